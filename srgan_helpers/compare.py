"""Stage 4 of the original project: bicubic vs Model A vs Model B on a test set: FID (+ KID), PSNR, SSIM,
NIQE (no reference, offline), a bar chart, a CSV and markdown table, and labelled LR | Bicubic | SR-A | SR-B |
HR strips."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from .analysis.strips import save_image_atomic, strip_grid
from .data.evalsets import read_eval_set
from .fileio import write_text_atomic
from .metrics import bicubic_upscale, psnr, ssim
from .metrics import fid as fid_lib

# The original project's published FID on 500 CelebA test images (176 px), InceptionV3 ImageNet weights.
PUBLISHED_FID = {"Bicubic": 50.11, "Model A (COCO)": 11.10, "Model B (CelebA)": 6.98}


def comparable_to_published(n_images: int, hr_size: int, fid_weights, fid_network: str = "keras") -> tuple[bool, str]:
    reasons = []
    if fid_network != "keras":
        reasons.append("standard FID network, not the original's Keras InceptionV3")
    elif fid_weights != "imagenet":
        reasons.append("InceptionV3 weights are not ImageNet")
    if n_images != 500:
        reasons.append(f"{n_images} images, not 500")
    if hr_size != 176:
        reasons.append(f"{hr_size}px HR, not 176px")
    return (not reasons, "comparable" if not reasons else "not comparable: " + "; ".join(reasons))


NOT_AVAILABLE = {
    "keras": ("not measured: the ImageNet InceptionV3 weights cannot be had here (offline?); put "
              "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5 in ~/.keras/models/ or pass "
              "fid_weights=<path>"),
    "standard": ("not measured: the standard FID weights cannot be had here ({why}); put "
                 "pt_inception-2015-12-05-6726825d.pth in ~/.keras/models/ or pass fid_weights=<path>"),
}
NOT_MEASURABLE = ("not measurable offline: InceptionV3 has no real weights here, and random weights cannot "
                  "separate models (FID 6e-7 to 8e-5 for every method was measured)")


def model_label(spec) -> str:
    """How a compared model is named: a shipped model's name, a run folder's name, or a .keras file's stem."""
    from .named_models import KNOWN

    path = Path(str(spec))
    if str(spec) in KNOWN:
        return str(spec)
    return path.parent.name if path.name == "generator.keras" else (path.name if path.is_dir() else path.stem)


def labelled_models(specs: list, labels: list) -> dict:
    """{label: spec} for the compared models: the label given, else model_label(spec); a repeated label gets
    " (2)"; empty specs are left out."""
    models = {}
    for spec, label in zip(specs, labels):
        if spec:
            label = label or model_label(spec)
            models[label if label not in models else f"{label} (2)"] = spec
    return models


def compare(data_dir: str | Path, models: dict[str, str | Path | None], out_dir: str | Path, n_images: int = 500,
            fid_weights: str | None = "auto", n_strips: int = 4, strip_images: list[str] | None = None,
            seed: int = 0, progress: bool = True, scale: int = 4, fid_network: str = "standard") -> dict:
    """Score bicubic and each labelled generator (a model name, .keras file or run folder; empty entries are
    skipped) against HR on an evaluation set (`evalsets`: a prepared set's test split, a benchmark folder,
    or HR images alone); write comparison.csv/.md/.json, fid_bar.png and strips.png. FID and KID use
    `fid_network` (metrics.fid.FID_NETWORKS: "standard", the papers' FID; "keras", the original project's)
    and need its weights: "auto" uses the published ones when they can be had and otherwise says so in one
    line (everything else is still measured); a path; None leaves them out."""
    from .inference import load_generator, super_resolve

    out_dir = Path(out_dir)
    set_name, pairs = read_eval_set(data_dir, scale)
    pairs = pairs[:n_images]
    names, hrs, lrs = [p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs]
    chosen = _choose(names, strip_images, n_strips, seed)  # bad names fail before any model work
    outputs = {"Bicubic": [bicubic_upscale(lr, scale) for lr in lrs]}
    for label, spec in models.items():
        if spec:
            outputs[label] = super_resolve(load_generator(spec), lrs)
    distances, fid_weights, fid_status = _distances(hrs, outputs, fid_weights, fid_network, progress)
    rows = [{"method": label, "n_images": len(hrs), **distances[label], **_fidelity(hrs, images, scale)}
            for label, images in outputs.items()]
    hr_side = int(np.median([h.shape[0] for h in hrs]))
    _, status = comparable_to_published(len(hrs), hr_side, fid_weights, fid_network)
    result = {"rows": rows, "published_fid": PUBLISHED_FID, "published_status": status, "set": set_name,
              "fid_status": fid_status, "data_dir": str(data_dir), "fid_weights": fid_weights,
              "fid_network": fid_lib.FID_NETWORKS[fid_network]}
    strip_rows = [[lrs[i]] + [outputs[k][i] for k in outputs] + [hrs[i]] for i in chosen]
    result["paths"] = {k: str(v) for k, v in _write_outputs(result, strip_rows, list(outputs), out_dir).items()}
    return result


def _fidelity(hrs, images, scale: int) -> dict:
    """Mean PSNR and SSIM against HR, and mean NIQE (NaN when every image is smaller than two 96-px blocks)."""
    from .evaluate import niqe_or_nan

    niqe = [niqe_or_nan(s, scale) for s in images]
    return {"psnr": float(np.mean([psnr(h, s, scale) for h, s in zip(hrs, images)])),
            "ssim": float(np.mean([ssim(h, s, scale) for h, s in zip(hrs, images)])),
            "niqe": float(np.nanmean(niqe)) if np.isfinite(niqe).any() else float("nan")}


def _network_or_reason(fid_weights, fid_network: str):
    """(FidNetwork, weights, status) for `fid_weights`; "auto": the published weights when they can be had,
    else (None, None, the reason in one line)."""
    if fid_network not in fid_lib.FID_NETWORKS:
        raise ValueError(f"fid_network={fid_network!r}: use one of {', '.join(map(repr, fid_lib.FID_NETWORKS))}")
    if fid_weights is None:
        return None, None, NOT_MEASURABLE
    published = "imagenet" if fid_network == "keras" else "download"
    weights = published if fid_weights == "auto" else fid_weights
    try:
        return fid_lib.build_fid_network(fid_network, weights), weights, "measured"
    except (RuntimeError, OSError) as exc:
        if fid_weights != "auto":
            raise
        reason = NOT_AVAILABLE[fid_network].format(why=str(exc).split(". ")[0][:160])
        print(f"FID and KID {reason}; PSNR, SSIM and NIQE are measured")
        return None, None, reason


def _distances(hrs, outputs: dict, fid_weights, fid_network: str, progress: bool):
    """({method: {"fid", "kid", "kid_std"}}, weights used, status): measured with the FID network, or None for
    each when it has no real weights."""
    network, fid_weights, status = _network_or_reason(fid_weights, fid_network)
    if network is None:
        return {label: {"fid": None, "kid": None, "kid_std": None} for label in outputs}, None, status
    real = fid_lib.inception_features(hrs, network, progress=progress, desc="FID: HR")
    scores = {}
    for label, images in outputs.items():
        feats = fid_lib.inception_features(images, network, progress=progress, desc=f"FID: {label}")
        kid_mean, kid_std = fid_lib.kid_from_features(real, feats, subset_size=min(1000, len(hrs)))
        scores[label] = {"fid": fid_lib.fid_from_features(real, feats), "kid": kid_mean, "kid_std": kid_std}
    return scores, fid_weights, status


def _write_outputs(result: dict, strip_rows, methods: list[str], out_dir: Path) -> dict[str, Path]:
    from .analysis import save_figure

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out_dir / "comparison.csv", "markdown": out_dir / "comparison.md",
             "json": out_dir / "comparison.json", "bar_chart": out_dir / "fid_bar.png",
             "strips": out_dir / "strips.png"}
    write_text_atomic(paths["csv"], _csv(result["rows"]))
    write_text_atomic(paths["markdown"], comparison_markdown(result))
    write_text_atomic(paths["json"], json.dumps(result, indent=1, default=str) + "\n")
    save_figure(fid_bar_chart(result), paths["bar_chart"])
    labels = ["LR (nearest)"] + methods + ["HR"]
    save_image_atomic(strip_grid(strip_rows, labels), paths["strips"])
    return paths


def _choose(names, wanted, n, seed):
    if wanted:
        wanted = [Path(w).stem for w in wanted]  # "00003_x.png" or "00003_x"
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


def _number(value, fmt: str, missing: str = "not measured") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return missing
    return format(value, fmt)


def comparison_markdown(result: dict) -> str:
    lines = ["| method | images | FID (lower is better) | KID x1000 | PSNR (dB) | SSIM | NIQE (lower: more natural) |",
             "|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        kid = "not measured" if r["kid"] is None else f"{1000 * r['kid']:.2f} ± {1000 * r['kid_std']:.2f}"
        lines.append(f"| {r['method']} | {r['n_images']} | {_number(r['fid'], '.2f')} | {kid} | {r['psnr']:.2f} | "
                     f"{r['ssim']:.4f} | {_number(r.get('niqe'), '.2f', 'images too small')} |")
    published = ", ".join(f"{k} {v}" for k, v in result["published_fid"].items())
    lines.append(f"| the original project's published FID (its own models, not these) | 500 | {published} | - | - | "
                 f"- | - |")
    network = result.get("fid_network", "")
    text = "\n".join(lines) + f"\n\nFID network: {network}. Published FID row: {result['published_status']}.\n"
    if result["fid_status"] != "measured":
        text = f"**FID and KID {result['fid_status']}.** PSNR, SSIM and NIQE are measured.\n\n" + text
    return text


def fid_bar_chart(result: dict):
    """FID per method beside the original's published numbers (hatched), like its performance.jpg, then PSNR
    and NIQE per method. Without real Inception weights the FID panel says so, draws no bar and gives the
    published numbers as text; NIQE (no reference, so always measurable) needs images of at least two 96-px blocks."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 4.2))
    ax_fid, ax_psnr, ax_niqe = fig.subplots(1, 3)
    _fid_panel(ax_fid, result)
    _value_panel(ax_psnr, result, "psnr", "PSNR, Y channel (dB, higher is better)", "tab:green")
    _value_panel(ax_niqe, result, "niqe", "NIQE (lower is more natural)", "tab:purple")
    fig.suptitle(f"{result.get('set', '')}: {result['rows'][0]['n_images']} test images", fontsize=10)
    fig.tight_layout()
    return fig


def _fid_panel(ax, result: dict) -> None:
    """This run's FID beside the original's published bars; when nothing was measured, no bar at all (a
    published bar alone reads as a score of your data), and the published numbers as a line of text."""
    methods = [r["method"] for r in result["rows"]]
    x = np.arange(len(methods))
    ax.set_xticks(x, methods, fontsize=8)
    ax.set_ylabel("FID (lower is better)")
    ax.set_title(result.get("fid_network", ""), fontsize=8)
    if result["fid_status"] != "measured":
        published = ", ".join(f"{k} {v}" for k, v in result["published_fid"].items())
        ax.text(0.5, 0.97, "FID not measured:\nno real weights for its Inception network here", transform=ax.transAxes,
                ha="center", va="top", fontsize=9, color="darkred")
        ax.text(0.5, 0.5, f"the original project published, for its own models\n(not these): {published}",
                transform=ax.transAxes, ha="center", va="center", fontsize=7, color="0.35", wrap=True)
        ax.set_yticks([])
        return
    bars = ax.bar(x - 0.2, [r["fid"] for r in result["rows"]], width=0.4, label="this run", color="tab:blue")
    ax.bar_label(bars, fmt="%.2f", fontsize=8)
    published = [result["published_fid"].get(m, result["published_fid"].get(_published_key(m))) for m in methods]
    if any(p is not None for p in published):
        pub = ax.bar(x + 0.2, [p or 0 for p in published], width=0.4, fill=False, hatch="//",
                     edgecolor="0.4", label=f"original project, published ({result['published_status']})")
        ax.bar_label(pub, labels=[f"{p}" if p else "" for p in published], fontsize=8)
    ax.set_ylim(0, max([p or 0 for p in published] + [r["fid"] or 0 for r in result["rows"]] + [1]) * 1.35)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1, frameon=False)


def _value_panel(ax, result: dict, key: str, label: str, colour: str) -> None:
    """One bar per method of `key`; a note instead where nothing could be measured."""
    methods = [r["method"] for r in result["rows"]]
    values = [r.get(key, float("nan")) for r in result["rows"]]
    x = np.arange(len(methods))
    ax.set_xticks(x, methods, fontsize=8)
    ax.set_ylabel(label)
    if not np.isfinite(values).any():
        ax.text(0.5, 0.5, "images too small\n(NIQE needs two 96-px blocks)", transform=ax.transAxes, ha="center",
                va="center", fontsize=9, color="darkred")
        return
    bars = ax.bar(x, np.nan_to_num(values), color=colour)
    ax.bar_label(bars, fmt="%.2f", fontsize=8)
    finite = [v for v in values if np.isfinite(v)]
    ax.set_ylim(max(0, min(finite) - 3), max(finite) + 1)


def _published_key(method: str) -> str | None:
    low = method.lower()
    if "coco" in low or low.endswith(" a") or "model a" in low:
        return "Model A (COCO)"
    if "celeb" in low or low.endswith(" b") or "model b" in low:
        return "Model B (CelebA)"
    return None
