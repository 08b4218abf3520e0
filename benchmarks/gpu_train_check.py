"""A short real training on a GPU: SRResNet MSE pre-training on random 96-px HR patches (24-px LR) from
T91 + BSD200, through the package's own training step and loader, for a fixed time; then Set5 PSNR
(Y, border 4) of the result. Prints numbers and writes JSON.

    KERAS_BACKEND=jax python benchmarks/gpu_train_check.py --data .gpu_data --seconds 150
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def random_patches(folders, n_per_image: int, hr: int, scale: int, seed: int = 0):
    """(PairSet) n random HR crops per image with their Pillow-bicubic LR."""
    from srgan_helpers.images import list_images, load_uint8
    from srgan_helpers.loader import PairSet

    rng = np.random.default_rng(seed)
    hrs, lrs = [], []
    for folder in folders:
        for path in list_images(folder):
            img = load_uint8(path)
            if min(img.shape[:2]) < hr:
                continue
            for _ in range(n_per_image):
                y, x = rng.integers(0, img.shape[0] - hr + 1), rng.integers(0, img.shape[1] - hr + 1)
                patch = img[y:y + hr, x:x + hr]
                hrs.append(patch)
                lrs.append(np.asarray(Image.fromarray(patch).resize((hr // scale, hr // scale), Image.Resampling.BICUBIC)))
    return PairSet(hr=np.stack(hrs), lr=np.stack(lrs), names=[str(i) for i in range(len(hrs))])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data", help="folder holding T91/HR, BSD200/HR and Set5")
    parser.add_argument("--seconds", type=float, default=150)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--patches-per-image", type=int, default=32)
    parser.add_argument("--res-blocks", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--precision", default="mixed_bfloat16")
    parser.add_argument("--out", default="benchmarks/results/gpu_train_check.json")
    args = parser.parse_args(argv)

    import keras

    from srgan_helpers.config import TrainConfig
    from srgan_helpers.evaluate import evaluate
    from srgan_helpers.loader import BatchLoader
    from srgan_helpers.models import build_discriminator, build_generator, build_vgg_features
    from srgan_helpers.training.driver import _backend_steps, _make_optimizer

    data = Path(args.data)
    start = time.perf_counter()
    pairs = random_patches([data / "T91" / "HR", data / "BSD200" / "HR"], args.patches_per_image, 96, 4)
    prep_s = time.perf_counter() - start
    print(f"{len(pairs)} patches prepared in {prep_s:.1f} s")
    policy = None if args.precision == "float32" else args.precision
    cfg = TrainConfig(hr_size=96, n_res_blocks=args.res_blocks, d_head="pool", vgg_weights=None, vgg_layer="block1_conv1",
                      mixed_precision=policy, batch_size=args.batch, learning_rate=args.learning_rate)
    keras.mixed_precision.set_global_policy(policy or "float32")
    keras.utils.set_random_seed(0)
    G = build_generator(4, args.res_blocks)
    D = build_discriminator(96, head="pool")
    vgg = build_vgg_features("block1_conv1", None)
    steps = _backend_steps(G, D, vgg, _make_optimizer(cfg, G), _make_optimizer(cfg, D), cfg)
    loader = BatchLoader(pairs, args.batch, augment=True, seed=0)
    n_steps, epoch, history = 0, 0, []
    train_start = time.perf_counter()
    while time.perf_counter() - train_start < args.seconds:
        for lr, hr in loader.prefetch(epoch):
            metrics = steps.pretrain_step(lr, hr)
            n_steps += 1
            if n_steps % 200 == 0:
                elapsed = time.perf_counter() - train_start
                history.append({"step": n_steps, "seconds": elapsed, "mse": float(metrics["g_loss"])})
                print(f"step {n_steps}: mse {history[-1]['mse']:.5f}, {n_steps * args.batch / elapsed:.0f} patches/s")
            if time.perf_counter() - train_start >= args.seconds:
                break
        epoch += 1
    float(metrics["g_loss"])
    train_s = time.perf_counter() - train_start
    steps.sync_to_models()
    keras.mixed_precision.set_global_policy("float32")
    G32 = build_generator(4, args.res_blocks)
    G32.set_weights([np.asarray(w, np.float32) for w in G.get_weights()])
    result = evaluate(G32, data / "Set5", progress=False)
    out = {"backend": keras.backend.backend(), "precision": args.precision, "batch": args.batch,
           "steps": n_steps, "train_seconds": train_s, "patches_per_s": n_steps * args.batch / train_s,
           "set5_psnr": result["mean"]["sr_psnr"], "set5_ssim": result["mean"]["sr_ssim"],
           "set5_bicubic_psnr": result["mean"]["bicubic_psnr"], "history": history,
           "date": time.strftime("%Y-%m-%d")}
    print(f"{n_steps} steps in {train_s:.0f} s ({out['patches_per_s']:.0f} patches/s): Set5 PSNR "
          f"{out['set5_psnr']:.2f} dB (bicubic {out['set5_bicubic_psnr']:.2f})")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    return out


if __name__ == "__main__":
    main()
