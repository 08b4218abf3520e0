"""SRGAN training throughput on the active Keras backend, through the real training steps.

Times the full GAN step (D update on real and fake + G update with the VGG content loss) and the MSE
pre-training step, for the given batch sizes and precisions, after warm-up, as the median over repeats.
Prints images/s, ms/step, GFLOP/image and the fraction of a matmul peak measured in the same run on the
same device, and writes JSON. `--reference torch` also times a plain PyTorch SRGAN step of the same
architecture in the same run (when torch is importable) and prints ours/PyTorch.

    KERAS_BACKEND=jax python benchmarks/throughput.py --batch-sizes 64 --precisions mixed_bfloat16 --reference torch
    python benchmarks/throughput.py --smoke          # tiny sizes: proves it runs (CI); no timing claims
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def sync(value) -> None:
    """Wait for the device (one host transfer of a scalar)."""
    import keras

    float(keras.ops.convert_to_numpy(value))


def time_steps(step, args, n_steps: int, repeats: int) -> float:
    """Median seconds per step over `repeats` runs of `n_steps` steps (one sync per run)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n_steps):
            metrics = step(*args)
        sync(metrics["g_loss"])
        times.append((time.perf_counter() - start) / n_steps)
    return statistics.median(times)


def matmul_peak(dtype: str, n: int, repeats: int = 10) -> float:
    """Measured matmul FLOP/s of the active backend and device for (n x n) @ (n x n) in `dtype`."""
    import keras

    a = keras.ops.ones((n, n), dtype=dtype)
    b = keras.ops.ones((n, n), dtype=dtype) * 0.5
    matmul = keras.ops.matmul
    if keras.backend.backend() == "jax":
        import jax

        matmul = jax.jit(keras.ops.matmul)
    sync(keras.ops.sum(matmul(a, b)[:1, :1]))
    start = time.perf_counter()
    out = None
    for _ in range(repeats):
        out = matmul(a, b)
    sync(keras.ops.sum(out[:1, :1]))
    return 2 * n ** 3 * repeats / (time.perf_counter() - start)


def device_name() -> str:
    import keras

    if keras.backend.backend() == "jax":
        import jax

        d = jax.devices()[0]
        return f"{d.platform}:{getattr(d, 'device_kind', '')}"
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return f"gpu:{gpus[0].name}" if gpus else f"cpu:{platform.processor() or platform.machine()}"
    return keras.backend.backend()


def bench_keras(cfg, batch: int, steps: int, repeats: int, warmup: int) -> dict:
    import keras

    from srgan_helpers.training import build_models, build_steps, ensure_content_network

    keras.mixed_precision.set_global_policy(cfg.mixed_precision or "float32")
    try:
        keras.utils.set_random_seed(0)
        import warnings

        models = build_models(cfg)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ensure_content_network(models, cfg)
        steps_obj = build_steps(models, cfg)
        rng = np.random.default_rng(0)
        hr = rng.uniform(-1, 1, (batch, cfg.hr_size, cfg.hr_size, 3)).astype(np.float32)
        lr = hr.reshape(batch, cfg.lr_size, cfg.scale, cfg.lr_size, cfg.scale, 3).mean(axis=(2, 4))
        labels = [np.full((batch, 1), v, np.float32) for v in (0.9, 0.1, 0.9)]
        if keras.backend.backend() == "jax":
            import jax

            lr, hr = jax.device_put(lr), jax.device_put(hr)
            labels = [jax.device_put(x) for x in labels]
        result = {}
        for name, step, args in (("mse_step", steps_obj.pretrain_step, (lr, hr)),
                                 ("gan_step", steps_obj.gan_step, (lr, hr, *labels))):
            time_steps(step, args, warmup, 1)
            seconds = time_steps(step, args, steps, repeats)
            result[name] = {"ms_per_step": 1000 * seconds, "images_per_s": batch / seconds}
        return result
    finally:
        keras.mixed_precision.set_global_policy("float32")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-sizes", default="16")
    parser.add_argument("--precisions", default="float32", help="comma list of float32, mixed_bfloat16, mixed_float16")
    parser.add_argument("--hr-size", type=int, default=176)
    parser.add_argument("--res-blocks", type=int, default=16)
    parser.add_argument("--d-head", default="flatten")
    parser.add_argument("--steps", type=int, default=10, help="steps per timed repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--matmul-n", type=int, default=0,
                        help="matmul size for the peak (0: 8192 on GPU, 1024 on CPU)")
    parser.add_argument("--reference", choices=["torch"], help="also time a plain PyTorch SRGAN step")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, 1 repeat: proves the script runs")
    parser.add_argument("--out", default="benchmarks/results/throughput.json")
    args = parser.parse_args(argv)
    if args.smoke:
        args.hr_size, args.res_blocks, args.d_head, args.steps, args.repeats, args.warmup = 32, 1, "pool", 2, 1, 1
        args.batch_sizes = "2"
        args.matmul_n = args.matmul_n or 256

    import keras
    from flops import model_flops, srgan_step_flops, vgg_flops

    from srgan_helpers.config import TrainConfig
    from srgan_helpers.networks.discriminator import build_discriminator
    from srgan_helpers.networks.srresnet import build_generator

    device = device_name()
    on_gpu = not device.startswith("cpu")
    n = args.matmul_n or (8192 if on_gpu else 1024)
    lr_shape = (args.hr_size // 4, args.hr_size // 4, 3)
    flops = srgan_step_flops(model_flops(build_generator(4, args.res_blocks), lr_shape),
                             model_flops(build_discriminator(args.hr_size, head=args.d_head),
                                         (args.hr_size, args.hr_size, 3)),
                             vgg_flops("block5_conv4", args.hr_size))
    print(f"backend {keras.backend.backend()} on {device}; GFLOP/image: GAN step {flops['gan_step'] / 1e9:.1f}, "
          f"MSE step {flops['mse_step'] / 1e9:.1f}")
    rows = []
    for precision in args.precisions.split(","):
        policy = None if precision == "float32" else precision
        dtype = {"float32": "float32", "mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}[precision]
        peak = matmul_peak(dtype, n)
        for batch in map(int, args.batch_sizes.split(",")):
            cfg = TrainConfig(hr_size=args.hr_size, n_res_blocks=args.res_blocks, d_head=args.d_head,
                              vgg_weights=None, mixed_precision=policy, batch_size=batch)
            ours = bench_keras(cfg, batch, args.steps, args.repeats, args.warmup)
            row = {"precision": precision, "batch": batch, "matmul_peak_tflops": peak / 1e12}
            for name in ("gan_step", "mse_step"):
                ips = ours[name]["images_per_s"]
                row[name] = {**ours[name], "gflop_per_image": flops[name] / 1e9,
                             "fraction_of_matmul_peak": ips * flops[name] / peak}
            if args.reference == "torch":
                from torch_reference import bench_torch

                ref = bench_torch(args.hr_size, args.res_blocks, args.d_head, batch, precision, args.steps,
                                  args.repeats, args.warmup)
                row["torch_gan_step"] = ref
                row["ours_over_torch"] = ours["gan_step"]["images_per_s"] / ref["images_per_s"]
            rows.append(row)
            line = (f"{precision:>14} b{batch:<4} GAN {row['gan_step']['images_per_s']:9.1f} img/s "
                    f"({row['gan_step']['ms_per_step']:8.1f} ms, "
                    f"{100 * row['gan_step']['fraction_of_matmul_peak']:5.1f}% "
                    f"of {peak / 1e12:.1f} TFLOP/s) | MSE {row['mse_step']['images_per_s']:9.1f} img/s")
            if "torch_gan_step" in row:
                line += (f" | PyTorch GAN {row['torch_gan_step']['images_per_s']:9.1f} img/s, "
                         f"ours/PyTorch {row['ours_over_torch']:.2f}")
            print(line)
    from record import write_result

    return write_result(args.out, "throughput", {
        "smoke": args.smoke, "device": device, "hr_size": args.hr_size, "res_blocks": args.res_blocks,
        "d_head": args.d_head, "gflop_per_image": {k: v / 1e9 for k, v in flops.items()}, "results": rows})


if __name__ == "__main__":
    main()
