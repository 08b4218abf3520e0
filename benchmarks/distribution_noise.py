"""How far a run may differ from one device by rounding alone, and how far real bugs move it: the numbers
behind tests/test_distribution.py's tolerances. The test's tiny run (1 pre-training + 2 GAN epochs of 2
steps, batch 4) is repeated as:

  base          one device (2 epochs, resumed for the third)
  onednn_off    the same with TF_ENABLE_ONEDNN_OPTS=0: the same arithmetic in other kernels (TensorFlow)
  two_then_one  2 epochs on two simulated devices, the third on one (the test's case)
  bn_not_synced two_then_one with per-replica BatchNorm statistics (a bug; TensorFlow only)
  adam_reset    base with both optimizers' moments zeroed at the resume (a lost state: a bug)

and each is compared with base: the largest loss differences per log column, the largest BatchNorm
moving-statistic difference per network, and Adam's moments (over arrays, the least r with
|diff| <= r |x| + 1e-6, the test's form).

    python benchmarks/distribution_noise.py --backend tensorflow [--out benchmarks/results/...json]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
WORKER = REPO / "tests" / "distributed_worker.py"
KEYS = ("g_loss", "content_loss", "d_loss", "adv_loss", "d_real", "d_fake")
CASES = {"onednn_off": ({"TF_ENABLE_ONEDNN_OPTS": "0"}, 1), "two_then_one": ({}, 2),
         "bn_not_synced": ({"NOISE_BUG": "bn_not_synced"}, 2), "adam_reset": ({"NOISE_BUG": "adam_reset"}, 1)}


def inject_bug(bug: str) -> None:
    """Patch the package in this process to show what a bug does (called by the worker form of this file)."""
    from srgan_helpers.networks import blocks
    from srgan_helpers.training import session

    if bug == "bn_not_synced":
        plain = blocks.batch_norm
        blocks.batch_norm = lambda name, synchronized=False: plain(name, False)
    elif bug == "adam_reset":
        restore = session.restore_arrays

        def restore_then_reset(bundle, arrays):
            restore(bundle, arrays)
            for optimizer in (bundle.g_optimizer, bundle.d_optimizer):
                for variable in optimizer.variables:
                    if len(variable.shape):  # moments, not iteration counters
                        variable.assign(variable.value * 0)
        session.restore_arrays = restore_then_reset


def train_case(backend: str, config: Path, run_dir: Path, env: dict, first_devices: int) -> None:
    jobs = [f"{run_dir}:{first_devices}:1", f"{run_dir}:1:2"]
    proc = subprocess.run([sys.executable, __file__, "--worker", backend, "2", str(config), *jobs],
                          env={**os.environ, **env}, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{run_dir.name} failed:\n{proc.stderr[-2000:]}")


def loss_log(run_dir: Path) -> dict[str, np.ndarray]:
    with open(run_dir / "loss_log.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {k: np.array([float(r[k]) if r[k] else np.nan for r in rows]) for k in KEYS}


def compare(cfg, base: Path, other: Path) -> dict[str, float]:
    """Largest differences of `other` to `base`: losses, moving statistics per network, Adam moments."""
    from srgan_helpers.training.bundle import build_models
    from srgan_helpers.training.checkpoints import CheckpointManager

    a, b = loss_log(base), loss_log(other)
    result = {k: float(np.nanmax(np.abs(a[k] - b[k]))) for k in KEYS}
    arrays = [CheckpointManager(run / "checkpoints").latest().arrays for run in (base, other)]
    bundle = build_models(cfg)
    for group, model in (("generator", bundle.generator), ("discriminator", bundle.discriminator)):
        moving = [i for i, v in enumerate(model.weights) if "moving_" in v.path]
        result[f"{group}_moving_statistics"] = max(float(np.max(np.abs(arrays[0][group][i] - arrays[1][group][i])))
                                                   for i in moving)
    for group in ("g_optimizer", "d_optimizer"):
        result[f"{group}_moments_relative"] = max(  # the test's form: |y - x| <= r |x| + 1e-6, the least r
            float(max(np.linalg.norm(y - x) - 1e-6, 0) / np.linalg.norm(x))
            for x, y in zip(arrays[0][group], arrays[1][group]) if x.ndim and np.linalg.norm(x) > 0)
    return result


def measure(backend: str, work: Path) -> dict[str, dict[str, float]]:
    from srgan_helpers.config import TrainConfig
    from srgan_helpers.data.datasets import build_sample
    from srgan_helpers.data.preprocess import preprocess

    data = work / "tiny"
    preprocess(build_sample(work / "raw"), data, n_images=16, hr_size=64, scale=4, test_fraction=0.25, seed=1,
               progress=False)
    cfg = TrainConfig(data_dir=str(data), hr_size=64, crop_size=32, n_res_blocks=1, d_head="pool", vgg_weights=None,
                      vgg_layer="block2_conv2", batch_size=4, epochs=2, pretrain_epochs=1, steps_per_epoch=2,
                      sample_every=100, n_samples=2, seed=3)
    cfg.to_json(work / "config.json")
    train_case(backend, work / "config.json", work / "base", {}, 1)
    cases = {name: case for name, case in CASES.items()
             if backend == "tensorflow" or name not in ("onednn_off", "bn_not_synced")}
    results = {}
    for name, (env, first_devices) in cases.items():
        train_case(backend, work / "config.json", work / name, env, first_devices)
        results[name] = compare(cfg, work / "base", work / name)
        print(name.ljust(14), "  ".join(f"{k} {v:.1e}" for k, v in results[name].items()), flush=True)
    return results


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("tensorflow", "jax"), default="tensorflow")
    parser.add_argument("--out", help="result JSON (default benchmarks/results/distribution_noise_BACKEND.json)")
    args = parser.parse_args(argv)
    os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
    sys.path.insert(0, str(REPO / "benchmarks"))
    from record import write_result

    with tempfile.TemporaryDirectory(prefix="distribution_noise_") as work:
        results = measure(args.backend, Path(work))
    out = args.out or REPO / "benchmarks" / "results" / f"distribution_noise_{args.backend}.json"
    return write_result(out, "distribution_noise", {"cases": results})


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    del sys.argv[1]
    inject_bug(os.environ.get("NOISE_BUG", ""))
    sys.argv[0] = str(WORKER)
    import runpy

    runpy.run_path(str(WORKER), run_name="__main__")
elif __name__ == "__main__":
    main()
