"""Stage 4 of the original project: bicubic vs Model A vs Model B on a test set: FID (+ KID), PSNR, SSIM,
a bar chart, a CSV and markdown table, and labelled LR | Bicubic | SR-A | SR-B | HR strips."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from . import fid as fid_lib
from .fileio import write_text_atomic
from .loader import load_pairs
from .metrics import bicubic_upscale, psnr, ssim
from .strips import save_image_atomic, strip_grid

# The original project's published FID on 500 CelebA test images (176 px), InceptionV3 ImageNet weights.
PUBLISHED_FID = {"Bicubic": 50.11, "Model A (COCO)": 11.10, "Model B (CelebA)": 6.98}


def comparable_to_published(n_images: int, hr_size: int, fid_weights) -> tuple[bool, str]:
    reasons = []
    if fid_weights != "imagenet":
        reasons.append("InceptionV3 weights are not ImageNet")
    if n_images != 500:
        reasons.append(f"{n_images} images, not 500")
    if hr_size != 176:
        reasons.append(f"{hr_size}px HR, not 176px")
    return (not reasons, "comparable" if not reasons else "not comparable: " + "; ".join(reasons))


def compare(data_dir: str | Path, models: dict[str, str | Path | None], out_dir: str | Path, n_images: int = 500,
            fid_weights: str | None = "imagenet", n_strips: int = 4, strip_images: list[str] | None = None,
            seed: int = 0, progress: bool = True) -> dict:
    """Score bicubic and each named generator (a .keras file or run folder; None entries are skipped)
    against HR on `data_dir`'s test split; write comparison.csv/.md, fid_bar.png and strips.png."""
    from .inference import load_generator, super_resolve

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pairs = load_pairs(data_dir, "test", limit=n_images)
    scale, n = pairs.scale, len(pairs)
    chosen = _choose(pairs.names, strip_images, n_strips, seed)  # bad names fail before any FID work
    outputs = {"Bicubic": [bicubic_upscale(lr, scale) for lr in pairs.lr]}
    for label, path in models.items():
        if path:
            outputs[label] = super_resolve(load_generator(path), list(pairs.lr))
    inception = fid_lib.build_inception(fid_weights)
    real = fid_lib.inception_features(pairs.hr, inception, progress=progress, desc="FID: HR")
    rows = []
    for label, images in outputs.items():
        feats = fid_lib.inception_features(np.stack(images), inception, progress=progress, desc=f"FID: {label}")
        kid_mean, kid_std = fid_lib.kid_from_features(real, feats, subset_size=min(1000, n))
        rows.append({"method": label, "n_images": n,
                     "fid": fid_lib.fid_from_features(real, feats), "kid": kid_mean, "kid_std": kid_std,
                     "psnr": float(np.mean([psnr(h, s, scale) for h, s in zip(pairs.hr, images)])),
                     "ssim": float(np.mean([ssim(h, s, scale) for h, s in zip(pairs.hr, images)]))})
    ok, status = comparable_to_published(n, pairs.hr.shape[1], fid_weights)
    note = fid_lib.random_weights_note(fid_weights)
    result = {"rows": rows, "published_fid": PUBLISHED_FID, "published_status": status, "note": note,
              "data_dir": str(data_dir), "fid_weights": fid_weights}
    paths = {"csv": out_dir / "comparison.csv", "markdown": out_dir / "comparison.md",
             "json": out_dir / "comparison.json", "bar_chart": out_dir / "fid_bar.png", "strips": out_dir / "strips.png"}
    write_text_atomic(paths["csv"], _csv(rows))
    write_text_atomic(paths["markdown"], comparison_markdown(result))
    write_text_atomic(paths["json"], json.dumps(result, indent=1, default=str) + "\n")
    from .analysis import save_figure

    save_figure(fid_bar_chart(result), paths["bar_chart"])
    labels = ["LR (nearest)"] + list(outputs) + ["HR"]
    strip_rows = [[pairs.lr[i]] + [outputs[k][i] for k in outputs] + [pairs.hr[i]] for i in chosen]
    save_image_atomic(strip_grid(strip_rows, labels, note=note), paths["strips"])
    result["paths"] = {k: str(v) for k, v in paths.items()}
    return result


def _choose(names, wanted, n, seed):
    if wanted:
        missing = [w for w in wanted if w not in names]
        if missing:
            raise ValueError(f"strip_images {missing} are not in the test set (e.g. {names[:3]})")
        return [names.index(w) for w in wanted]
    return sorted(np.random.default_rng(seed).permutation(len(names))[:n].tolist())


def _csv(rows) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def comparison_markdown(result: dict) -> str:
    lines = ["| method | images | FID (lower is better) | KID x1000 | PSNR (dB) | SSIM |", "|---|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['method']} | {r['n_images']} | {r['fid']:.2f} | {1000 * r['kid']:.2f} ± "
                     f"{1000 * r['kid_std']:.2f} | {r['psnr']:.2f} | {r['ssim']:.4f} |")
    published = ", ".join(f"{k} {v}" for k, v in result["published_fid"].items())
    lines.append(f"| original project (published FID) | 500 | {published} | - | - | - |")
    text = "\n".join(lines) + f"\n\nPublished FID row: {result['published_status']}.\n"
    if result.get("note"):
        text = f"**{result['note']}**\n\n" + text
    return text


def fid_bar_chart(result: dict):
    """FID per method (ours solid, the original's published numbers hatched), like performance.jpg."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.8))
    ax = fig.subplots()
    methods = [r["method"] for r in result["rows"]]
    values = [r["fid"] for r in result["rows"]]
    bars = ax.bar(np.arange(len(methods)) - 0.2, values, width=0.4, label="this run", color="tab:blue")
    ax.bar_label(bars, fmt="%.2f", fontsize=8)
    published = [result["published_fid"].get(m, result["published_fid"].get(_published_key(m))) for m in methods]
    if any(p is not None for p in published):
        pub = ax.bar(np.arange(len(methods)) + 0.2, [p or 0 for p in published], width=0.4, fill=False,
                     hatch="//", edgecolor="0.4", label=f"original, published ({result['published_status']})")
        ax.bar_label(pub, labels=[f"{p}" if p else "" for p in published], fontsize=8)
    ax.set_xticks(np.arange(len(methods)), methods)
    ax.set_ylabel("FID (lower is better)")
    ax.legend(fontsize=7)
    title = f"FID against HR, {result['rows'][0]['n_images']} test images"
    if result.get("note"):
        title += f"\n{result['note']}"
    ax.set_title(title, fontsize=9, color="darkred" if result.get("note") else "black")
    fig.tight_layout()
    return fig


def _published_key(method: str) -> str | None:
    low = method.lower()
    if "coco" in low or low.endswith(" a") or "model a" in low:
        return "Model A (COCO)"
    if "celeb" in low or low.endswith(" b") or "model b" in low:
        return "Model B (CelebA)"
    return None
