"""Headless training without a notebook:

    python -m srgan_helpers.training outputs/my_run --config my_config.json   # start (or continue) a run
    python -m srgan_helpers.training outputs/my_run                           # continue with its config.json

Exit status 0 when the run reached its epochs, 1 when it stopped on a NaN/Inf loss or a checkpoint that
could not be written (the message says what to do), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m srgan_helpers.training", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", help="the run folder (created if missing; never emptied)")
    parser.add_argument("--config", help="a config JSON (default: the run folder's config.json)")
    parser.add_argument("--epochs", type=int, help="override the number of GAN epochs")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars or per-epoch lines")
    args = parser.parse_args(argv)

    from ..config import TrainConfig
    from .driver import CheckpointWriteError, TrainingDiverged, train

    config_path = Path(args.config) if args.config else Path(args.run_dir) / "config.json"
    try:
        cfg = TrainConfig.from_json(config_path)
    except (FileNotFoundError, ValueError, TypeError) as exc:
        print(f"error: {config_path}: {exc}", file=sys.stderr)
        return 2
    if args.epochs is not None:
        cfg = cfg.replace(epochs=args.epochs)
    try:
        result = train(cfg, args.run_dir, resume=True, progress=not args.no_progress)
    except (TrainingDiverged, CheckpointWriteError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"done: {result.run_dir} (checkpoint {result.checkpoint}, generator {result.generator_path})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
