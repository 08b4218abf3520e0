"""How fast a training run went against what the machine can do: images/s from the run's loss log, the
FLOPs of one training step per image (benchmarks/flops.py), and a float32 matmul peak measured with numpy on
this machine at the time of the run (machines differ and drift: a peak from another day means little).

    python benchmarks/speed.py outputs/recipes/srresnet-x4-faces/stage1/run     # one run folder
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def matmul_peak_gflops(n: int = 2048, repeats: int = 5, library: str = "keras") -> float:
    """The best of `repeats` float32 n x n matmuls, in GFLOP/s: with the Keras backend's own matmul (the
    kernels training runs on: oneDNN on TensorFlow, XLA on JAX) or with numpy's BLAS ("numpy"; here
    OPENBLAS_CORETYPE may hold it to older instructions than the backend uses)."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    if library == "keras":
        import keras

        a, b = keras.ops.convert_to_tensor(a), keras.ops.convert_to_tensor(b)

        def product():
            return keras.ops.convert_to_numpy(keras.ops.matmul(a, b))  # to numpy: waits for the result
    else:
        def product():
            return a @ b
    product()  # warm-up: threads started, pages touched, kernels chosen
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        product()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def step_flops_per_image(cfg) -> dict:
    """FLOPs per image of the run's MSE step and GAN step at its training patch size."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from flops import model_flops, srgan_step_flops

    from srgan_helpers import networks

    hr = cfg.train_hr_size
    lr = hr // cfg.scale
    g_fwd = model_flops(networks.build("generator", cfg), (lr, lr, 3))
    d_fwd = model_flops(networks.build("discriminator", cfg), (hr, hr, 3)) if cfg.epochs else 0
    content = networks.build("content_loss", cfg) if cfg.epochs and cfg.content_loss != "pixel" else None
    content_fwd = model_flops(content, (hr, hr, 3)) if content is not None else 0
    return srgan_step_flops(g_fwd, d_fwd, content_fwd)


def run_speed(run_dir: str | Path, peak_gflops: float) -> dict:
    """Images/s (the median epoch of the run's log), GFLOP per image and the share of `peak_gflops` reached."""
    from srgan_helpers.analysis.losslog import LossLogWriter
    from srgan_helpers.config import TrainConfig

    run_dir = Path(run_dir)
    cfg = TrainConfig.from_json(run_dir / "config.json")
    rows = LossLogWriter(run_dir / "loss_log.csv").rows()
    images_per_s = statistics.median(float(r["images_per_s"]) for r in rows)
    kind = "gan_step" if cfg.epochs else "mse_step"
    gflop = step_flops_per_image(cfg)[kind] / 1e9
    achieved = images_per_s * gflop
    return {"images_per_s": round(images_per_s, 2), "step": kind, "gflop_per_image": round(gflop, 3),
            "achieved_gflops": round(achieved, 1), "matmul_peak_gflops": round(peak_gflops, 1),
            "share_of_peak": round(achieved / peak_gflops, 3),
            "train_seconds": round(sum(float(r["seconds"]) for r in rows), 1), "epochs": len(rows)}


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    print(f"numpy matmul: {matmul_peak_gflops(library='numpy'):.0f} GFLOP/s")
    print(json.dumps(run_speed(args.run_dir, matmul_peak_gflops()), indent=1))


if __name__ == "__main__":
    main()
