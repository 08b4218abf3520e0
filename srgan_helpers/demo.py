"""The offline end-to-end demo: embedded sample -> HR/LR pairs -> a short SRResNet + SRGAN training ->
loss plot -> LR | Bicubic | shipped srresnet-x4 | shipped srgan-x4 | this run's generator | HR comparison
with PSNR/SSIM, all under outputs/demo/. The shipped models show what trained models do; the demo's own
few minutes of training show the pipeline working end to end (offline, its GAN phase uses pixel MSE +
adversarial, the loss srgan-x4 was trained with; with the ImageNet VGG19 weights cached, the paper's
VGG54; the random-weight VGG19 loss diverged at the demo's learning rate of 5e-4).

    python -m srgan_helpers.demo                 # 2 minutes of training (--minutes), ~3 in all on 2 CPU cores

It trains by time, not by a step count: machines differ and drift (the same step count took 3:52 one day and
9:52 two days later), so each phase stops when its share of `--minutes` is spent and the summary says how
many steps that was.
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
    from .analysis.strips import save_image_atomic, strip_grid
    from .data.loader import load_pairs
    from .images import float_to_uint8, uint8_to_float
    from .metrics import bicubic_upscale, psnr, ssim

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
    from .inference import load_generator, predict

    return predict(load_generator(model_path), lr)


class TimeBudget:
    """An on_epoch_end callback: stop once `seconds` of training have passed; counts steps and images."""

    def __init__(self, seconds: float, phase: str):
        self.seconds, self.phase, self.spent, self.steps, self.images = seconds, phase, 0.0, 0, 0

    def __call__(self, event) -> bool:
        from .progress import write_line

        self.spent += event.row["seconds"]
        self.steps = event.row["step"]
        self.images += event.row["images_per_s"] * event.row["seconds"]
        write_line(f"  {self.phase}: step {self.steps}, {self.spent:.0f} of {self.seconds:.0f} s, generator loss "
                   f"{event.row['g_loss']:.4g} ({event.row['images_per_s']:.1f} images/s)")
        return self.spent >= self.seconds

    def line(self) -> str:
        rate = self.images / self.spent if self.spent else 0.0
        return f"{self.phase}: {self.steps} steps in {self.spent:.0f} s ({rate:.1f} images/s)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="outputs/demo", help="run folder (default outputs/demo)")
    parser.add_argument("--data-root", default="data", help="where the sample is prepared (default data)")
    parser.add_argument("--minutes", type=float, default=2.0, help="training time in all (default 2): 60%% "
                        "SRResNet (MSE), 40%% GAN; the steps are what fits this machine today")
    parser.add_argument("--res-blocks", type=int, default=4)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--crop", type=int, default=64, help="HR patch side")
    parser.add_argument("--steps", type=int, default=8, help="steps per epoch (the budget is checked after each)")
    args = parser.parse_args(argv)
    from . import interrupts

    return interrupts.run_command(lambda: demo(args), lambda: f"the demo stopped; {args.out} holds what was done")


def demo_config(args, data_dir: Path):
    """The demo's training settings; the epoch counts are upper bounds: the time budget ends each phase."""
    from .config import TrainConfig

    vgg = cached_vgg_weights()
    return TrainConfig(data_dir=str(data_dir), crop_size=args.crop, n_res_blocks=args.res_blocks, d_head="pool",
                       content_loss="vgg19" if vgg else "pixel", vgg_weights=vgg, batch_size=args.batch,
                       epochs=0, pretrain_epochs=10**6, steps_per_epoch=args.steps, learning_rate=5e-4,
                       sample_every=10**6, save_every=10**6, keep_last=1, keep_every=0)


def train_within(args, data_dir: Path):
    """SRResNet (MSE) for 60% of the budget in <out>/pretrain, then the GAN phase from its generator for the
    rest in <out>; returns (result, config, the two phases' lines)."""
    from .training import train

    out, budget = Path(args.out), 60 * args.minutes
    cfg = demo_config(args, data_dir)
    mse = TimeBudget(0.6 * budget, "SRResNet (MSE)")
    pretrained = train(cfg, out / "pretrain", progress=False, on_epoch_end=mse)
    gan_cfg = cfg.replace(pretrain_epochs=0, epochs=10**6, generator_from=str(pretrained.generator_path))
    gan = TimeBudget(budget - mse.spent, "SRGAN")
    result = train(gan_cfg, out, progress=False, on_epoch_end=gan)
    return result, gan_cfg, [mse.line(), gan.line()]


def demo(args) -> int:
    """Prepare the sample, train within the time budget, compare; prints where everything is."""
    from .named_models import resolve_model, shipped
    from .networks import content_loss_name
    from .workflows import prepare

    start = time.time()
    data_dir, _ = prepare("sample", args.data_root, "demo", n_images=44, hr_size=176, scale=4, test_fraction=0.2)
    result, cfg, trained = train_within(args, data_dir)
    out = Path(args.out)
    models = {name: resolve_model(name) for name in (STARTER, GAN) if name in shipped()}
    models["demo run"] = result.generator_path
    means = comparison(models, data_dir, out / "comparison.png", note=f"demo run's GAN loss: {content_loss_name(cfg)}")
    print(f"\nDemo finished in {time.time() - start:.0f} s (GAN loss: {content_loss_name(cfg)}).")
    print("  trained " + "; ".join(trained))
    print("  test PSNR/SSIM (Y, border 4): " + ", ".join(
        f"{label} {psnr_:.2f} dB / {ssim_:.4f}" for label, (psnr_, ssim_) in means.items()))
    print(f"  ({STARTER} is the model shipped with the package; `srgan-upscale photo.jpg --model {STARTER}`)")
    for name in ("loss_curves.png", "comparison.png", "loss_log.csv", "generator.keras"):
        print(f"  {out / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
