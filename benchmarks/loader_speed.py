"""Loader throughput: (lr, hr) pairs per second from a prepared set, on one core, with and without
augmentation and prefetch, with the stored bicubic LR and with the `realistic` degradation (LR made on the
fly: data/degrade.py), and with 1, 2, ... worker processes (data/workers.py; 96-px patches, both LR kinds).
Prints a table and writes JSON (targets: >= 5,000 pairs/s at 176 px; 2 workers >= 1.7x one), and the cores
the realistic LR needs for 5,000 96-px pairs/s.

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
    parser.add_argument("--workers", default="0,1,2", help="worker counts measured (0: the prefetch thread alone)")
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
    parallel = measure_workers(pairs, args, [int(n) for n in args.workers.split(",")])
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from record import write_result

    return write_result(args.out, "loader_speed", {"numpy": np.__version__, "srgan_helpers": __version__,
                                                    "batch_size": args.batch_size, "cpus": os.cpu_count(),
                                                    "results": rows, "workers": parallel})


def measure_workers(pairs, args, counts: list[int]) -> dict:
    """Pairs/s of 96-px augmented batches made by 0, 1, 2, ... worker processes, bicubic and realistic LR;
    the speed-up of 2 workers over 1 and the cores 5,000 realistic pairs/s need."""
    from srgan_helpers.data.degrade import DegradeRanges

    out = {}
    for kind, degradation, steps in (("bicubic", None, args.steps), ("realistic", DegradeRanges(),
                                                                      4 * args.realistic_steps)):
        rates = {}
        for n in counts:
            loader = BatchLoader(pairs, args.batch_size, 96, True, seed=0, steps_per_epoch=steps,
                                 degradation=degradation, workers=n)
            try:
                next(iter(loader.prefetch(99)))  # workers started and warm before the clock runs
                rates[n] = measure(loader, True, epochs=2)
            finally:
                loader.close()
            print(f"HR  96 px  LR {kind:9}  {n} workers  {rates[n]:9.0f} pairs/s"
                  + (f"  ({rates[n] / n:.0f} per worker)" if n else ""))
        out[kind] = {"pairs_per_s": {str(n): round(r, 1) for n, r in rates.items()}}
        if 1 in rates and 2 in rates:
            out[kind]["speedup_2_over_1"] = round(rates[2] / rates[1], 2)
            print(f"  {kind}: 2 workers {rates[2] / rates[1]:.2f}x one")
    if 1 in counts:
        per_worker = out["realistic"]["pairs_per_s"]["1"]
        out["realistic"]["cores_for_5000_pairs_per_s"] = round(5000 / per_worker, 1)
        print(f"  realistic LR, 96 px: {5000 / per_worker:.0f} cores make 5,000 pairs/s ({per_worker:.0f} per core)")
    return out


if __name__ == "__main__":
    main()
