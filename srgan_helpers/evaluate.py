"""Benchmark evaluation as papers report it: PSNR / SSIM (Y channel, `scale`-pixel border) of bicubic and
of a generator, full-size images, on any evaluation set: the benchmark layout (HR/ + LR_bicubic_x4/, e.g.
Set5, Set14, BSD100), a set prepared by notebook 01 (data/<set> or data/<set>/test), or a folder of HR
images alone (LR made with the package's Pillow bicubic).

    python -m srgan_helpers.evaluate --model srresnet-x4 ../shared/data/Set5 ../shared/data/Set14
    python -m srgan_helpers.evaluate --model outputs/model_b_celeba data/celeba/test my_photos/
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np

from . import interrupts
from .data.evalsets import LAYOUTS, read_degraded_set, read_eval_set
from .metrics import bicubic_upscale, psnr, ssim
from .progress import progress_bar as tqdm


def evaluate(generator, folder: str | Path, scale: int = 4, progress: bool = True, with_niqe: bool = False,
             degrade: str | None = None, baseline: dict | None = None) -> dict:
    """Per-image and mean PSNR/SSIM of bicubic (and of `generator`, if given) on one paired folder;
    `with_niqe` adds NIQE (no reference; lower is more natural) of HR, bicubic and SR, for images of at
    least two 96-px blocks (NaN for smaller ones; their mean leaves them out). `degrade` ("mild",
    "strong"): the LR made from HR by that recipe (data/degrade.py; built once, cached in data/degraded/),
    scored against the clean HR. Images larger than one tile are super-resolved tile by tile. `baseline`:
    an earlier evaluate() of the same folder, scale and degradation (another model's, or an earlier point
    of a learning curve): bicubic's and HR's scores are taken from it, not measured again."""
    set_name, pairs = read_degraded_set(folder, degrade, scale) if degrade else read_eval_set(folder, scale)
    known = {row["image"]: row for row in baseline["images"]} if baseline else {}
    rows = []
    for (name, hr, lr), sr in tqdm(zip(pairs, _sr_outputs(generator, pairs, scale)), total=len(pairs), desc=set_name,
                                   disable=not progress, leave=False):
        interrupts.check()  # under a command's handler, Ctrl-C stops between images
        reference = _reference_scores(hr, lr, scale, with_niqe, known.get(name))
        row = {"image": name, "bicubic_psnr": reference["bicubic_psnr"], "bicubic_ssim": reference["bicubic_ssim"]}
        if sr is not None:
            row["sr_psnr"], row["sr_ssim"] = psnr(hr, sr, scale), ssim(hr, sr, scale)
        if with_niqe:
            row.update(hr_niqe=reference["hr_niqe"], bicubic_niqe=reference["bicubic_niqe"])
            if sr is not None:
                row["sr_niqe"] = niqe_or_nan(sr, scale)
        rows.append(row)
    means = {k: _mean([r[k] for r in rows]) for k in rows[0] if k != "image"}
    return {"set": set_name, "n_images": len(rows), "images": rows, "mean": means}


REFERENCE_KEYS, REFERENCE_NIQE_KEYS = ("bicubic_psnr", "bicubic_ssim"), ("hr_niqe", "bicubic_niqe")


def _reference_scores(hr: np.ndarray, lr: np.ndarray, scale: int, with_niqe: bool, known: dict | None) -> dict:
    """Bicubic's PSNR/SSIM (and HR's and bicubic's NIQE) of one image: from `known`, the same image's row of an
    earlier evaluation, when it holds them all; else measured."""
    keys = REFERENCE_KEYS + (REFERENCE_NIQE_KEYS if with_niqe else ())
    if known and all(key in known for key in keys):
        return {key: known[key] for key in keys}
    bicubic = bicubic_upscale(lr, scale)
    scores = {"bicubic_psnr": psnr(hr, bicubic, scale), "bicubic_ssim": ssim(hr, bicubic, scale)}
    if with_niqe:
        scores.update(hr_niqe=niqe_or_nan(hr, scale), bicubic_niqe=niqe_or_nan(bicubic, scale))
    return scores


EVAL_TILE, EVAL_OVERLAP = 192, 32  # LR pixels: as srgan-upscale's defaults (memory bounded by the tile)
EVAL_CHUNK = 16  # images super-resolved together (equal sizes in one batch: 400 faces 4x faster than one by one)


def _sr_outputs(generator, pairs, scale: int):
    """The generator's output for each (name, hr, lr), in order (None without a generator): chunk by chunk,
    images that fit one tile batched by size, larger ones tile by tile."""
    from .inference import super_resolve

    if generator is None:
        yield from [None] * len(pairs)
        return
    for start in range(0, len(pairs), EVAL_CHUNK):
        chunk = [lr for _, _, lr in pairs[start:start + EVAL_CHUNK]]
        small = [i for i, lr in enumerate(chunk) if max(lr.shape[:2]) <= EVAL_TILE]
        whole = dict(zip(small, super_resolve(generator, [chunk[i] for i in small])))
        yield from (whole[i] if i in whole else super_resolve_bounded(generator, lr, scale)
                    for i, lr in enumerate(chunk))


def super_resolve_bounded(generator, lr: np.ndarray, scale: int) -> np.ndarray:
    """The generator's output for one uint8 LR image: whole when it fits one tile (the benchmark sets),
    else tile by tile as srgan-upscale does (a 1024-px photo no longer needs gigabytes)."""
    from .inference import predict, super_resolve
    from .inference.tiling import upscale_tiled

    if max(lr.shape[:2]) <= EVAL_TILE:
        return super_resolve(generator, [lr])[0]
    out = np.zeros((lr.shape[0] * scale, lr.shape[1] * scale, 3), np.uint8)
    upscale_tiled(lambda batch: predict(generator, batch), lr, scale, EVAL_TILE, EVAL_OVERLAP, out=out)
    return out


def niqe_or_nan(image: np.ndarray, border: int) -> float:
    """NIQE of a uint8 image with `border` pixels cropped; NaN when it is smaller than two 96-px blocks."""
    from .metrics.niqe import niqe

    try:
        return niqe(image, border)
    except ValueError:
        return float("nan")


def _mean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def score_sets(generator, folders: dict[str, str | Path], scale: int = 4, with_niqe: bool = False) -> dict[str, dict]:
    """{label: mean PSNR / SSIM (and NIQE) of the generator and of bicubic} for each evaluation set (a model
    card's "metrics")."""
    scores = {}
    for label, folder in folders.items():
        mean = evaluate(generator, folder, scale, progress=False, with_niqe=with_niqe)["mean"]
        scores[label] = card_scores(mean)
    return scores


def card_scores(mean: dict) -> dict:
    """A set's mean scores under a model card's names (psnr, ssim, bicubic_psnr, ...; niqe when measured)."""
    names = {"sr_psnr": "psnr", "sr_ssim": "ssim", "bicubic_psnr": "bicubic_psnr", "bicubic_ssim": "bicubic_ssim",
             "sr_niqe": "niqe", "bicubic_niqe": "bicubic_niqe", "hr_niqe": "hr_niqe"}
    return {card: mean[key] for key, card in names.items() if key in mean and np.isfinite(mean[key])}


def results_table(results: list[dict]) -> str:
    """Paper-style markdown table: set | bicubic PSNR / SSIM | model PSNR / SSIM (| NIQE of HR / bicubic /
    model, when measured)."""
    has_sr, has_niqe = "sr_psnr" in results[0]["mean"], "hr_niqe" in results[0]["mean"]
    head = "| set | images | bicubic PSNR / SSIM |" + (" model PSNR / SSIM |" if has_sr else "")
    head += (" NIQE HR / bicubic" + (" / model |" if has_sr else " |")) if has_niqe else ""
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for r in results:
        m = r["mean"]
        line = f"| {r['set']} | {r['n_images']} | {m['bicubic_psnr']:.2f} / {m['bicubic_ssim']:.4f} |"
        if has_sr:
            line += f" {m['sr_psnr']:.2f} / {m['sr_ssim']:.4f} |"
        if has_niqe:
            line += " " + " / ".join(f"{m[k]:.2f}" for k in ("hr_niqe", "bicubic_niqe", "sr_niqe") if k in m) + " |"
        lines.append(line)
    return "\n".join(lines)


def per_image_csv(results: list[dict]) -> str:
    buffer = io.StringIO()
    fields = ["set"] + list(results[0]["images"][0])
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    for r in results:
        for row in r["images"]:
            writer.writerow({"set": r["set"], **row})
    return buffer.getvalue()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m srgan_helpers.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", help=f"evaluation sets: {LAYOUTS}")
    parser.add_argument("--model", help="a shipped model's name (e.g. srresnet-x4), a run folder or a generator "
                        ".keras file (omit: bicubic only)")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--csv", help="also write per-image scores to this CSV file")
    parser.add_argument("--degrade", choices=["mild", "strong"], help="score restoration: LR made from HR by blur, "
                        "bicubic, noise and JPEG (mild: sigma 0.8, noise 3, quality 80; strong: 1.6, 10, 40)")
    parser.add_argument("--niqe", action="store_true", help="also NIQE (no reference; lower is more natural) of HR, "
                        "bicubic and the model, for images of at least two 96-px blocks")
    return parser


def main(argv=None) -> int:
    from . import interrupts

    args = _parser().parse_args(argv)
    return interrupts.run_command(lambda: evaluate_command(args), lambda: "no scores were written")


def evaluate_command(args) -> int:
    from .backend import load_keras

    load_keras()
    try:
        generator = None
        if args.model:
            from .inference import load_generator

            generator = load_generator(args.model)
        results = [evaluate(generator, folder, args.scale, with_niqe=args.niqe, degrade=args.degrade)
                   for folder in args.folders]
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"PSNR (dB) / SSIM on the Y channel, {args.scale}-pixel border cropped, x{args.scale}")
    print(results_table(results))
    if args.csv:
        from .fileio import write_text_atomic

        write_text_atomic(args.csv, per_image_csv(results))
        print(f"per-image scores: {args.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
