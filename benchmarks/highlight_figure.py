"""Crops side by side: bicubic | each model | HR on real photos, with each panel's PSNR (Y, on the crop)
and, with --niqe, its NIQE (lower is more natural; crops of at least 48 LR pixels). Made for the release of
a model: look before it ships (bright skies and white walls for a PSNR model, textures for a GAN).

    python benchmarks/highlight_figure.py --models before=/tmp/old.keras srresnet-x4 \\
        --crops BSD100/167062:0,0 BSD100/62096:0,40 Set14/ppt3:60,100 --out docs/figures/highlights.png
    python benchmarks/highlight_figure.py --models srresnet-x4 srgan-x4 --niqe --side 64 \\
        --crops BSD100/8023:10,20 Set14/baboon:10,10 --out docs/figures/srgan.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def crop_rows(models: dict, crops: list[str], data: Path, side: int, scale: int = 4, with_lr: bool = False) -> list:
    """One row per crop: its name, the panels (bicubic, each model, HR; uint8) and the PSNR of each but HR."""
    from srgan_helpers.data.evalsets import read_eval_set
    from srgan_helpers.inference import super_resolve
    from srgan_helpers.metrics import bicubic_upscale, psnr

    rows = []
    for spec in crops:
        where, _, offset = spec.partition(":")
        folder, name = where.rsplit("/", 1)
        pairs = {n: (hr, lr) for n, hr, lr in read_eval_set(data / folder, scale)[1]}  # any layout
        hr, lr = pairs[name]
        y, x = (int(v) for v in (offset or "0,0").split(","))
        lr_crop = lr[y:y + side, x:x + side]
        hr_crop = hr[y * scale:(y + side) * scale, x * scale:(x + side) * scale]
        panels = [bicubic_upscale(lr_crop, scale)] + [super_resolve(m, [lr_crop])[0] for m in models.values()]
        lr_big = [lr_crop.repeat(scale, 0).repeat(scale, 1)] if with_lr else []  # the input, nearest neighbour
        rows.append((f"{folder}/{name}", lr_big + panels + [hr_crop], [psnr(hr_crop, p, scale) for p in panels]))
    return rows


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", required=True, help="LABEL=MODEL or MODEL (a name, run or .keras)")
    parser.add_argument("--crops", nargs="+", required=True, help="SET/IMAGE:Y,X (LR pixels) of each crop")
    parser.add_argument("--side", type=int, default=48, help="LR side of each crop")
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--niqe", action="store_true", help="also each panel's NIQE (HR's too)")
    parser.add_argument("--lr", action="store_true", help="show the LR input first (nearest neighbour)")
    parser.add_argument("--out", default="outputs/highlights.png")
    args = parser.parse_args(argv)
    from srgan_helpers.analysis.strips import save_image_atomic, strip_grid
    from srgan_helpers.backend import load_keras
    from srgan_helpers.inference import load_generator

    load_keras()
    specs = [m.partition("=")[::2] if "=" in m else (m, m) for m in args.models]
    models = {label: load_generator(spec) for label, spec in specs}
    rows = crop_rows(models, args.crops, Path(args.data), args.side, with_lr=args.lr)
    for where, _, scores in rows:
        print(where, " ".join(f"{label} {s:.2f} dB" for label, s in zip(["bicubic", *models], scores)))
    labels = ["LR (input)"] * args.lr + ["bicubic"] + list(models) + ["HR"]
    note = "PSNR (Y) per crop: " + "; ".join(
        f"{w}: " + ", ".join(f"{s:.1f}" for s in scores) for w, _, scores in rows)
    if args.niqe:
        note += niqe_note(rows, labels)
    return save_image_atomic(strip_grid([panels for _, panels, _ in rows], labels, note=note), args.out)


def niqe_note(rows, labels) -> str:
    """'. NIQE (lower is more natural): <crop>: bicubic 7.1, ..., HR 3.9; ...' (each panel, 4-px border)."""
    from srgan_helpers.evaluate import niqe_or_nan

    parts = []
    for where, panels, _ in rows:
        named = [(label, p) for label, p in zip(labels, panels) if not label.startswith("LR")]
        scores = [niqe_or_nan(p, 4) for _, p in named]
        print(where, "NIQE", " ".join(f"{label} {s:.2f}" for (label, _), s in zip(named, scores)))
        parts.append(f"{where}: " + ", ".join(f"{s:.1f}" for s in scores))
    return ". NIQE (lower is more natural): " + "; ".join(parts)


if __name__ == "__main__":
    print(main())
