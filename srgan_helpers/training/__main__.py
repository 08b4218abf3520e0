"""Headless training without a notebook:

    python -m srgan_helpers.training outputs/my_run --config my_config.json   # start (or continue) a run
    python -m srgan_helpers.training outputs/my_run                           # continue with its config.json

Exit status 0 when the run reached its epochs; 1 when it stopped on a NaN/Inf loss or a checkpoint that
could not be written (the message says what to do); 2 for anything to fix before training can run (bad
arguments or config, missing data, an unwritable run folder, a run locked by another trainer,
checkpoints that cannot be used). Every error is one line, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m srgan_helpers.training", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", help="the run folder (created if missing; never emptied)")
    parser.add_argument("--config", help="a config JSON (default: the run folder's config.json)")
    parser.add_argument("--epochs", type=int, help="override the number of GAN epochs")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars or per-epoch lines")
    parser.add_argument("--fresh-start", action="store_true",
                        help="start over although checkpoints exist (they and the log are moved aside, not deleted)")
    parser.add_argument("--break-lock", action="store_true",
                        help="take over the run folder from another trainer's lock (only if it is gone)")
    return parser


def load_config(args):
    """The config to train with (the run's own config.json unless --config names another)."""
    from ..config import TrainConfig

    config_path = Path(args.config) if args.config else Path(args.run_dir) / "config.json"
    if not config_path.exists():
        raise FileNotFoundError(f"{config_path}: no such config file (pass --config for a new run)")
    cfg = TrainConfig.from_json(config_path)
    return cfg.replace(epochs=args.epochs) if args.epochs is not None else cfg


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from .. import interrupts

    return interrupts.run_command(  # Ctrl-C / SIGTERM: a flag, checked between steps and before "done"
        lambda: train_command(args),
        lambda: f"{_newest_checkpoint(args.run_dir)}; run the same command again to resume from it")


def train_command(args) -> int:
    from .. import interrupts
    from ..backend import load_keras

    try:
        cfg = load_config(args)  # before Keras starts (seconds): a config that cannot run is said at once
    except (ValueError, TypeError, OSError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    load_keras()
    from .checkpoints import UnusableCheckpoints
    from .driver import train
    from .errors import CheckpointWriteError, RunFolderError, TrainingDiverged
    from .runlock import RunLocked

    try:
        result = train(cfg, args.run_dir, resume=True, progress=not args.no_progress, fresh_start=args.fresh_start,
                       break_lock=args.break_lock)
    except (TrainingDiverged, CheckpointWriteError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (ValueError, TypeError, OSError, RunLocked, RunFolderError, UnusableCheckpoints, RuntimeError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    interrupts.check()  # a signal during the last checkpoint or the export: no "done" line after it
    print(f"done: {result.run_dir} (checkpoint {result.checkpoint}, generator {result.generator_path})")
    return 0


def _newest_checkpoint(run_dir) -> str:
    """'the newest checkpoint is ckpt-000012 (epoch 12)' (or that there is none yet), for the interrupt line."""
    from pathlib import Path

    from .checkpoints import CheckpointManager

    try:
        latest = CheckpointManager(Path(run_dir) / "checkpoints").latest()
    except Exception:  # noqa: BLE001 - the line must come out whatever the folder holds
        latest = None
    return f"the newest checkpoint is {latest.path.name}" if latest else "no checkpoint was written yet"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":
    raise SystemExit(main())
