"""The plain PyTorch reference for benchmarks/quality.py: the same SRResNet (PyTorch's default
initialisation, BatchNorm momentum and epsilon matched to Keras' 0.8 / 1e-3, tanh output in [-1, 1]),
Adam, pixel MSE, trained on the very same batches (the package's loader with the same seed)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def build_srresnet(blocks: int, scale: int = 4):
    import torch
    from torch import nn

    def bn():
        return nn.BatchNorm2d(64, momentum=0.2, eps=1e-3)

    class Res(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), bn(), nn.PReLU(64),
                                      nn.Conv2d(64, 64, 3, padding=1), bn())

        def forward(self, x):
            return x + self.body(x)

    class SRResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Sequential(nn.Conv2d(3, 64, 9, padding=4), nn.PReLU(64))
            self.body = nn.Sequential(*[Res() for _ in range(blocks)], nn.Conv2d(64, 64, 3, padding=1), bn())
            ups = [m for _ in range(int(np.log2(scale))) for m in (nn.Conv2d(64, 256, 3, padding=1),
                                                                    nn.PixelShuffle(2), nn.PReLU(64))]
            self.up = nn.Sequential(*ups)
            self.tail = nn.Conv2d(64, 3, 9, padding=4)

        def forward(self, x):
            h = self.head(x)
            return torch.tanh(self.tail(self.up(h + self.body(h))))

    return SRResNet()


class TorchGenerator:
    """Callable like a Keras generator: NHWC float [-1, 1] numpy in, NHWC numpy out (eval mode)."""

    def __init__(self, model):
        self.model = model

    def __call__(self, batch, training=False):
        import torch

        self.model.eval()
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(np.asarray(batch, np.float32).transpose(0, 3, 1, 2)))
            return self.model(x).numpy().transpose(0, 2, 3, 1)


def train_reference(args, data_dir: Path, steps: int, final_sets: dict[str, Path]) -> dict:
    """Train the reference for `steps` steps on the loader's batches; Set5 at the same points as ours, and
    `final_sets` at the end."""
    import torch

    from srgan_helpers.data.loader import BatchLoader, open_split
    from srgan_helpers.evaluate import evaluate, score_sets

    torch.manual_seed(args.seed)
    model = build_srresnet(args.blocks)
    opt = torch.optim.Adam(model.parameters(), lr=args.learning_rate, betas=(0.9, 0.999))
    loader = BatchLoader(open_split(data_dir, "train"), args.batch, args.patch, augment=True, seed=args.seed,
                         steps_per_epoch=args.steps_per_epoch)
    points, step, train_seconds, epoch = [], 0, 0.0, 0
    print(f"plain PyTorch {torch.__version__} reference, {steps} steps", flush=True)
    while step < steps:
        start = time.perf_counter()
        for lr, hr in loader.epoch(epoch):
            model.train()
            sr = model(torch.from_numpy(lr.transpose(0, 3, 1, 2).copy()))
            loss = torch.nn.functional.mse_loss(sr, torch.from_numpy(hr.transpose(0, 3, 1, 2).copy()))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
        train_seconds += time.perf_counter() - start
        epoch += 1
        if step in args.eval_steps or step % args.eval_every == 0 or step >= steps:
            mean = evaluate(TorchGenerator(model), Path(args.data) / "Set5", progress=False)["mean"]
            points.append({"step": step, "train_seconds": round(train_seconds, 1), "psnr": mean["sr_psnr"],
                           "ssim": mean["sr_ssim"], "mse": float(loss.detach())})
            print(f"  torch step {step:>6} ({train_seconds:6.0f} s): Set5 {mean['sr_psnr']:.2f} dB", flush=True)
    return {"torch": torch.__version__, "curve": points, "steps": step, "train_seconds": round(train_seconds, 1),
            "params": sum(p.numel() for p in model.parameters()),
            "final": score_sets(TorchGenerator(model), final_sets)}
