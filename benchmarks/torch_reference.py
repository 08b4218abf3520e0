"""A plain PyTorch SRGAN step of the same architecture, for side-by-side timing on the same device:
generator (SRResNet), discriminator (flatten or pool head), VGG19 up to conv5_4 (random weights: the
speed is the same), Adam for both, one D update on real and fake, one G update with the VGG content loss
and 1e-3 x adversarial loss. bf16/fp16 through torch.autocast; channels_last memory format."""

from __future__ import annotations

import statistics
import time

from torch_srresnet import build_srresnet


def build(hr_size: int, res_blocks: int, d_head: str, device):
    import torch
    from torch import nn

    layers = [nn.Conv2d(3, 64, 3, padding=1), nn.LeakyReLU(0.2)]
    cin = 64
    for filters, stride in ((64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 2)):
        layers += [nn.Conv2d(cin, filters, 3, stride, 1), nn.BatchNorm2d(filters, momentum=0.2), nn.LeakyReLU(0.2)]
        cin = filters
    if d_head == "flatten":
        side = hr_size // 16
        layers += [nn.Flatten(), nn.Linear(512 * side * side, 1024)]
    else:
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1024)]
    layers += [nn.LeakyReLU(0.2), nn.Linear(1024, 1)]
    disc = nn.Sequential(*layers)

    vgg_layers, cin = [], 3
    for v in (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512):
        if v == "M":
            vgg_layers.append(nn.MaxPool2d(2))
        else:
            vgg_layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU()]
            cin = v
    vgg = nn.Sequential(*vgg_layers).eval().requires_grad_(False)
    mem = torch.channels_last
    return (build_srresnet(res_blocks).to(device, memory_format=mem), disc.to(device, memory_format=mem),
            vgg.to(device, memory_format=mem))


def bench_torch(hr_size: int, res_blocks: int, d_head: str, batch: int, precision: str, steps: int, repeats: int,
                warmup: int) -> dict:
    import torch
    import torch.nn.functional as F

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    G, D, vgg = build(hr_size, res_blocks, d_head, device)
    g_opt = torch.optim.Adam(G.parameters(), 1e-4, betas=(0.9, 0.999))
    d_opt = torch.optim.Adam(D.parameters(), 1e-4, betas=(0.9, 0.999))
    dtype = {"float32": None, "mixed_bfloat16": torch.bfloat16, "mixed_float16": torch.float16}[precision]
    scaler = torch.amp.GradScaler(enabled=dtype is torch.float16 and device.type == "cuda")
    hr = (torch.rand(batch, 3, hr_size, hr_size, device=device) * 2 - 1).contiguous(memory_format=torch.channels_last)
    lr = F.avg_pool2d(hr, 4).contiguous(memory_format=torch.channels_last)
    real_t, fake_t = torch.full((batch, 1), 0.9, device=device), torch.full((batch, 1), 0.1, device=device)
    mean = torch.tensor([0.485, 0.456, 0.406], device=device).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225], device=device).view(1, 3, 1, 1)

    def step():
        with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            sr = G(lr)
            d_loss = (F.binary_cross_entropy_with_logits(D(hr).float(), real_t)
                      + F.binary_cross_entropy_with_logits(D(sr.detach()).float(), fake_t))
        d_opt.zero_grad(set_to_none=True)
        scaler.scale(d_loss).backward()
        scaler.step(d_opt)
        with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            f_sr = vgg(((sr + 1) / 2 - mean) / std)
            with torch.no_grad():
                f_hr = vgg(((hr + 1) / 2 - mean) / std)
            content = F.mse_loss(f_sr.float() / 12.75, f_hr.float() / 12.75)
            g_loss = content + 1e-3 * F.binary_cross_entropy_with_logits(D(sr).float(), real_t)
        g_opt.zero_grad(set_to_none=True)
        scaler.scale(g_loss).backward()
        scaler.step(g_opt)
        scaler.update()
        return g_loss

    def run(n):
        start = time.perf_counter()
        for _ in range(n):
            loss = step()
        float(loss.detach())
        return (time.perf_counter() - start) / n

    run(warmup)
    seconds = statistics.median(run(steps) for _ in range(repeats))
    return {"ms_per_step": 1000 * seconds, "images_per_s": batch / seconds, "torch": torch.__version__,
            "device": str(device)}
