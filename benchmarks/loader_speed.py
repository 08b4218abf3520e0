"""Loader throughput: (lr, hr) pairs per second from a prepared set, on one core, with and without
augmentation and prefetch, with the stored bicubic LR and with the `realistic` degradation (LR made on the
fly: data/degrade.py). Prints a table and writes JSON (target: >= 5,000 pairs/s at 176 px).

    python benchmarks/loader_speed.py [--data DIR] [--out benchmarks/results/loader_speed.json]
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from srgan_helpers import __version__  # noqa: E402
from srgan_helpers.data.datasets import build_sample  # noqa: E402
from srgan_helpers.data.loader import BatchLoader, load_pairs  # noqa: E402
from srgan_helpers.data.preprocess import preprocess  # noqa: E402


def measure(loader: BatchLoader, use_prefetch: bool, epochs: int = 3) -> float:
    n, start = 0, time.perf_counter()
    for epoch in range(epochs):
        batches = loader.prefetch(epoch) if use_prefetch else loader.epoch(epoch)
        for lr, _ in batches:
            n += len(lr)
    return n / (time.perf_counter() - start)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="a prepared set (default: the embedded sample at 176 px)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--realistic-steps", type=int, default=20, help="batches per epoch with the realistic LR "
                        "(about 100 times slower per pair)")
    parser.add_argument("--out", default="benchmarks/results/loader_speed.json")
    args = parser.parse_args(argv)
    data = args.data
    if data is None:
        tmp = Path(tempfile.mkdtemp())
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)  # nothing left in /tmp
        data = tmp / "sample"
        preprocess(build_sample(tmp / "raw"), data, n_images=44, hr_size=176, progress=False)
    pairs = load_pairs(data, "train")
    rows = []
    from srgan_helpers.data.degrade import DegradeRanges

    cases = [(crop, augment, use_prefetch, None) for crop, augment in ((None, False), (None, True), (96, True))
             for use_prefetch in (False, True)] + [(96, True, False, DegradeRanges())]
    for crop, augment, use_prefetch, degradation in cases:
        steps = args.realistic_steps if degradation else args.steps
        loader = BatchLoader(pairs, args.batch_size, crop, augment, seed=0, steps_per_epoch=steps,
                             degradation=degradation)
        rate = measure(loader, use_prefetch)
        rows.append({"hr_patch": crop or pairs.hr.shape[1], "augment": augment, "prefetch": use_prefetch,
                     "lr": "realistic" if degradation else "bicubic", "pairs_per_s": round(rate, 1)})
        print(f"HR {rows[-1]['hr_patch']:>3} px  augment={augment!s:5}  prefetch={use_prefetch!s:5}  "
              f"LR {rows[-1]['lr']:9}  {rate:9.0f} pairs/s")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from record import write_result

    return write_result(args.out, "loader_speed", {"numpy": np.__version__, "srgan_helpers": __version__,
                                                    "batch_size": args.batch_size, "results": rows})


if __name__ == "__main__":
    main()
