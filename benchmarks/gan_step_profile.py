"""Where the time of one SRGAN step goes (JAX): the full GAN and MSE steps, then each part of the GAN step
jitted alone at the same batch, size and precision: G forward, G forward + backward (MSE), VGG19 features
forward (on HR), VGG19 forward + input gradient (on SR), D forward + backward on real and fake. Each part's
time beside its share of the FLOPs and its TFLOP/s. `--loader-data` also times the package's batch loader
(random crops with flips/rotations, one thread) on a prepared whole-image set: can it feed the step?

    python benchmarks/gan_step_profile.py --batch 64 --precision mixed_bfloat16  # JAX (set here)
    python benchmarks/gan_step_profile.py --smoke                                # tiny sizes: proves it runs
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["KERAS_BACKEND"] = "jax"  # the parts are timed with jax.jit


def median_seconds(fn, args, steps: int, repeats: int) -> float:
    """Median seconds per call of jitted `fn(*args)` after one warm-up call (compilation)."""
    import jax

    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            out = fn(*args)
        jax.block_until_ready(out)
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times)


def state(model):
    return [v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables]


def parts(models, lr, hr):
    """{name: (jitted function, its arguments)} for each part of the GAN step."""
    import jax
    import jax.numpy as jnp

    G, D, vgg = models.generator, models.discriminator, models.content_network
    g_state, d_state, v_state = state(G), state(D), state(vgg)

    def g_out(g_tv, g_ntv, x):
        return G.stateless_call(g_tv, g_ntv, x, training=True)[0]

    def mse(g_tv, g_ntv, x, y):
        return jnp.mean(jnp.square(g_out(g_tv, g_ntv, x).astype("float32") - y))

    def features_sum(image):
        return jnp.sum(vgg.stateless_call(*v_state, image, training=False)[0].astype("float32"))

    def d_sum(d_tv, d_ntv, real, fake):
        return sum(jnp.sum(D.stateless_call(d_tv, d_ntv, x, training=True)[0].astype("float32")) for x in (real, fake))

    sr = jax.jit(g_out)(*g_state, lr)
    return {"G forward": (jax.jit(g_out), (*g_state, lr)),
            "G forward + backward (MSE)": (jax.jit(jax.grad(mse)), (*g_state, lr, hr)),
            "VGG forward (HR)": (jax.jit(features_sum), (hr,)),
            "VGG forward + input gradient (SR)": (jax.jit(jax.grad(features_sum)), (sr,)),
            "D forward + backward (real + fake)": (jax.jit(jax.grad(d_sum)), (*d_state, hr, sr))}


def part_flops(flops: dict) -> dict:
    g, d, v = flops["g_fwd"], flops["d_fwd"], flops["vgg_fwd"]
    return {"G forward": g, "G forward + backward (MSE)": 3 * g, "VGG forward (HR)": v,
            "VGG forward + input gradient (SR)": 2 * v, "D forward + backward (real + fake)": 6 * d}


def report(rows: list[dict]) -> None:
    """Add each part's TFLOP/s and share of the GAN step (the first row) and print the table."""
    for row in rows:
        row["tflops"] = row["gflop"] / row["ms"]
        row["share_of_gan_step"] = row["ms"] / rows[0]["ms"]
        print(f"  {row['part']:<36} {row['ms']:8.2f} ms  {100 * row['share_of_gan_step']:5.1f}% of the GAN step  "
              f"{row['gflop']:9.1f} GFLOP  {row['tflops']:7.1f} TFLOP/s")


def time_loader(data: str, batch: int, crop: int, steps: int) -> float:
    """Pairs per second the package's loader makes (random crops + flips/rotations, no prefetch)."""
    from srgan_helpers.data.loader import BatchLoader, open_split

    loader = BatchLoader(open_split(data, "train"), batch, crop, augment=True, seed=0, steps_per_epoch=steps)
    start = time.perf_counter()
    n = sum(len(lr) for lr, _ in loader.epoch(0))
    return n / (time.perf_counter() - start)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--hr-size", type=int, default=176)
    p.add_argument("--res-blocks", type=int, default=16)
    p.add_argument("--precision", default="mixed_bfloat16")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--loader-data", help="a prepared whole-image set: also time the loader on it")
    p.add_argument("--loader-crop", type=int, default=96)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--out", default="benchmarks/results/gan_step_profile.json")
    args = p.parse_args(argv)
    if args.smoke:
        args.batch, args.hr_size, args.res_blocks, args.steps, args.repeats = 2, 32, 1, 2, 1
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    import keras
    import numpy as np
    from flops import model_flops, srgan_step_flops, vgg_flops
    from record import write_result
    from throughput import bench_keras, device_name

    from srgan_helpers.config import TrainConfig
    from srgan_helpers.training import build_models, ensure_content_network

    policy = None if args.precision == "float32" else args.precision
    cfg = TrainConfig(hr_size=args.hr_size, n_res_blocks=args.res_blocks, d_head="flatten", vgg_weights=None,
                      mixed_precision=policy, batch_size=args.batch)
    full = bench_keras(cfg, args.batch, args.steps, args.repeats, 3)
    keras.mixed_precision.set_global_policy(args.precision)
    models = build_models(cfg)
    ensure_content_network(models, cfg)
    flops = srgan_step_flops(model_flops(models.generator, (cfg.lr_size, cfg.lr_size, 3)),
                             model_flops(models.discriminator, (cfg.hr_size, cfg.hr_size, 3)),
                             vgg_flops(cfg.vgg_layer, cfg.hr_size))
    hr = np.random.default_rng(0).uniform(-1, 1, (args.batch, cfg.hr_size, cfg.hr_size, 3)).astype("float32")
    lr = hr.reshape(args.batch, cfg.lr_size, 4, cfg.lr_size, 4, 3).mean(axis=(2, 4))
    rows = [{"part": name, "ms": full[key]["ms_per_step"], "gflop": flops[key] * args.batch / 1e9}
            for name, key in (("full GAN step", "gan_step"), ("full MSE step", "mse_step"))]
    work = part_flops(flops)
    for name, (fn, fn_args) in parts(models, lr, hr).items():
        rows.append({"part": name, "ms": 1000 * median_seconds(fn, fn_args, args.steps, args.repeats),
                     "gflop": work[name] * args.batch / 1e9})
    print(f"{device_name()}, batch {args.batch}, {args.hr_size} px, {args.precision}")
    report(rows)
    result = {"device": device_name(), "batch": args.batch, "hr_size": args.hr_size, "precision": args.precision,
              "parts": rows}
    if args.loader_data:
        result["loader_pairs_per_s"] = time_loader(args.loader_data, args.batch, args.loader_crop, 50)
        print(f"  loader: {result['loader_pairs_per_s']:.0f} pairs/s ({args.loader_crop}-px crops, batch {args.batch})")
    return write_result(args.out, "gan_step_profile", result)


if __name__ == "__main__":
    main()
