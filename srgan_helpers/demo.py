"""The offline end-to-end demo: embedded sample -> HR/LR pairs -> a short SRResNet + SRGAN training ->
loss plot -> LR | Bicubic | SR | HR comparison with PSNR/SSIM, all under outputs/demo/.

    python -m srgan_helpers.demo            # about 3 minutes on 2 CPU cores
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

VGG_NOTOP = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"


def cached_vgg_weights() -> str | None:
    """'imagenet' when Keras already holds the VGG19 weights (no download needed), else None (random)."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return "imagenet" if (home / "models" / VGG_NOTOP).is_file() else None


def comparison(generator_path: Path, data_dir: Path, out_path: Path, n: int = 4, note: str | None = None) -> dict:
    """LR | Bicubic | SR | HR strip of the first `n` test images, with mean PSNR/SSIM (Y, border 4)."""
    import keras

    from .images import float_to_uint8, uint8_to_float
    from .loader import load_pairs
    from .metrics import bicubic_upscale, psnr, ssim
    from .strips import save_image_atomic, strip_grid

    pairs = load_pairs(data_dir, "test", limit=n)
    model = keras.saving.load_model(generator_path, safe_mode=True)
    scale = pairs.scale
    sr = float_to_uint8(keras.ops.convert_to_numpy(model(uint8_to_float(pairs.lr), training=False)))
    bic = np.stack([bicubic_upscale(lr, scale) for lr in pairs.lr])
    scores = {"bicubic": [(psnr(h, b, scale), ssim(h, b, scale)) for h, b in zip(pairs.hr, bic)],
              "sr": [(psnr(h, s, scale), ssim(h, s, scale)) for h, s in zip(pairs.hr, sr)]}
    means = {k: tuple(np.mean(v, axis=0)) for k, v in scores.items()}
    labels = ["LR (nearest)", f"Bicubic {means['bicubic'][0]:.2f} dB", f"SR {means['sr'][0]:.2f} dB", "HR"]
    rows = [[pairs.lr[i], bic[i], sr[i], pairs.hr[i]] for i in range(len(sr))]
    save_image_atomic(strip_grid(rows, labels, note=note), out_path)
    return means


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="outputs/demo", help="run folder (default outputs/demo)")
    parser.add_argument("--data-root", default="data", help="where the sample is prepared (default data)")
    parser.add_argument("--pretrain-epochs", type=int, default=24, help="SRResNet MSE epochs")
    parser.add_argument("--epochs", type=int, default=4, help="GAN epochs")
    parser.add_argument("--res-blocks", type=int, default=4)
    parser.add_argument("--steps", type=int, default=16, help="steps per epoch")
    args = parser.parse_args(argv)

    from .config import TrainConfig
    from .training import train
    from .workflows import prepare, random_vgg_note

    start = time.time()
    data_dir, _ = prepare("sample", args.data_root, "demo", n_images=44, hr_size=176, scale=4, test_fraction=0.2)
    vgg = cached_vgg_weights()
    cfg = TrainConfig(data_dir=str(data_dir), crop_size=64, n_res_blocks=args.res_blocks, d_head="pool",
                      vgg_weights=vgg, batch_size=8, epochs=args.epochs, pretrain_epochs=args.pretrain_epochs,
                      steps_per_epoch=args.steps, learning_rate=5e-4, sample_every=max(1, args.epochs),
                      keep_last=2, pixel_weight=0.0 if vgg else 1.0)
    result = train(cfg, args.out)
    out = Path(args.out)
    means = comparison(result.generator_path, data_dir, out / "comparison.png", note=random_vgg_note(cfg))
    print(f"\nDemo finished in {time.time() - start:.0f} s (VGG weights: {vgg or 'random - pipeline test only'}).")
    print(f"  test PSNR/SSIM (Y, border 4): bicubic {means['bicubic'][0]:.2f} dB / {means['bicubic'][1]:.4f}, "
          f"SR {means['sr'][0]:.2f} dB / {means['sr'][1]:.4f}")
    for name in ("loss_curves.png", "comparison.png", "loss_log.csv", "generator.keras"):
        print(f"  {out / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
