"""The offline end-to-end demo: embedded sample -> HR/LR pairs -> a short SRResNet + SRGAN training ->
loss plot -> LR | Bicubic | shipped srresnet-x4 | shipped srgan-x4 | this run's generator | HR comparison
with PSNR/SSIM, all under outputs/demo/. The shipped models show what trained models do; the demo's own
few minutes of training show the pipeline working end to end (offline, its GAN phase uses pixel MSE +
adversarial, the loss srgan-x4 was trained with; with the ImageNet VGG19 weights cached, the paper's
VGG54; the random-weight VGG19 loss diverged at the demo's learning rate of 5e-4).

    python -m srgan_helpers.demo            # about 3 minutes on 2 CPU cores
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

STARTER, GAN = "srresnet-x4", "srgan-x4"  # the shipped models shown beside the demo's own
VGG_NOTOP = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"


def cached_vgg_weights() -> str | None:
    """'imagenet' when Keras already holds the VGG19 weights (no download needed), else None (random)."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return "imagenet" if (home / "models" / VGG_NOTOP).is_file() else None


def comparison(models: dict[str, Path], data_dir: Path, out_path: Path, n: int = 4, note: str | None = None) -> dict:
    """LR | Bicubic | one column per model | HR strip of the first `n` test images, with mean PSNR/SSIM
    (Y, border 4) of bicubic and of each model."""
    from .data.loader import load_pairs
    from .images import float_to_uint8, uint8_to_float
    from .metrics import bicubic_upscale, psnr, ssim
    from .strips import save_image_atomic, strip_grid

    pairs = load_pairs(data_dir, "test", limit=n)
    scale = pairs.scale
    outputs = {"bicubic": np.stack([bicubic_upscale(lr, scale) for lr in pairs.lr])}
    for label, path in models.items():
        outputs[label] = float_to_uint8(_predict(path, uint8_to_float(pairs.lr)))
    means = {label: tuple(np.mean([(psnr(h, x, scale), ssim(h, x, scale)) for h, x in zip(pairs.hr, images)],
                                  axis=0)) for label, images in outputs.items()}
    labels = ["LR (nearest)"] + [f"{label} {means[label][0]:.2f} dB" for label in outputs] + ["HR"]
    rows = [[pairs.lr[i], *(images[i] for images in outputs.values()), pairs.hr[i]] for i in range(len(pairs.hr))]
    save_image_atomic(strip_grid(rows, labels, note=note), out_path)
    return means


def _predict(model_path: Path, lr: np.ndarray) -> np.ndarray:
    import keras

    from .inference import load_generator

    model = load_generator(model_path)
    return keras.ops.convert_to_numpy(model(lr, training=False))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="outputs/demo", help="run folder (default outputs/demo)")
    parser.add_argument("--data-root", default="data", help="where the sample is prepared (default data)")
    parser.add_argument("--pretrain-epochs", type=int, default=24, help="SRResNet MSE epochs")
    parser.add_argument("--epochs", type=int, default=4, help="GAN epochs")
    parser.add_argument("--res-blocks", type=int, default=4)
    parser.add_argument("--steps", type=int, default=16, help="steps per epoch")
    args = parser.parse_args(argv)
    from . import interrupts

    return interrupts.run_command(lambda: demo(args), lambda: f"the demo stopped; {args.out} holds what was done")


def demo(args) -> int:
    """Prepare the sample, train, compare; prints where everything is."""
    from .config import TrainConfig, content_loss_name
    from .named_models import resolve_model, shipped
    from .training import train
    from .workflows import prepare

    start = time.time()
    data_dir, _ = prepare("sample", args.data_root, "demo", n_images=44, hr_size=176, scale=4, test_fraction=0.2)
    vgg = cached_vgg_weights()
    cfg = TrainConfig(data_dir=str(data_dir), crop_size=64, n_res_blocks=args.res_blocks, d_head="pool",
                      content_loss="vgg19" if vgg else "pixel", vgg_weights=vgg, batch_size=8,
                      epochs=args.epochs, pretrain_epochs=args.pretrain_epochs, steps_per_epoch=args.steps,
                      learning_rate=5e-4, sample_every=max(1, args.epochs), keep_last=2)
    result = train(cfg, args.out)
    out = Path(args.out)
    models = {name: resolve_model(name) for name in (STARTER, GAN) if name in shipped()}
    models["demo run"] = result.generator_path
    means = comparison(models, data_dir, out / "comparison.png", note=f"demo run's GAN loss: {content_loss_name(cfg)}")
    print(f"\nDemo finished in {time.time() - start:.0f} s (GAN loss: {content_loss_name(cfg)}).")
    print("  test PSNR/SSIM (Y, border 4): " + ", ".join(
        f"{label} {psnr_:.2f} dB / {ssim_:.4f}" for label, (psnr_, ssim_) in means.items()))
    print(f"  ({STARTER} is the model shipped with the package; `srgan-upscale photo.jpg --model {STARTER}`)")
    for name in ("loss_curves.png", "comparison.png", "loss_log.csv", "generator.keras"):
        print(f"  {out / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
