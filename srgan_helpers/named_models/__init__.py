"""Named models: pretrained generators shipped inside the package (weights + a card), resolved by name
wherever a model path is accepted (srgan-upscale --model, evaluate --model, notebooks 06 and 07).

    python -m srgan_helpers.named_models list          # shipped models and your own run folders
    python -m srgan_helpers.named_models card srresnet-x4
    python -m srgan_helpers.named_models check [NAME] [--full]   # the release check (inference/release_check.py)

The commands are in `cli.py` (they use the release check, which looks models up here: kept apart, no circle).

An MSE-trained model is an "SRResNet"; a model trained with the adversarial loss is an "SRGAN", and its
card names the content loss it was trained with (pixel MSE: the paper's SRGAN-MSE; random-weight VGG19;
ImageNet VGG54). A known name whose weights are not shipped yet says how to train them.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from ..runs import GENERATOR_NAME, list_runs

WEIGHTS_DIR = Path(__file__).parents[1] / "weights"
KNOWN = {
    "srresnet-x4": ("general photos, x4, pixel-MSE (SRResNet)",
                    "bash benchmarks/gpu_check.sh on a GPU, then benchmarks/ship_model.py (its card says how)"),
    "srresnet-x4-faces": ("faces (Essex and CelebA; checked on LFW), x4, pixel-MSE (SRResNet)",
                          "python benchmarks/recipes.py run srresnet-x4-faces on a CPU (two stages from "
                          "srresnet-x4), then python -m srgan_helpers.named_models check"),
    "srgan-x4": ("general photos, x4, SRGAN (adversarial; the card names its content loss): photo-realistic "
                 "textures, lower PSNR",
                 "benchmarks/quality.py --gan pixel --from srresnet-x4 (CPU or GPU), or notebook 02 with "
                 "generator_from='srresnet-x4'"),
    "srgan-x4-faces": ("faces (Essex and CelebA; checked on LFW), x4, SRGAN (adversarial)",
                       "python benchmarks/recipes.py run srgan-x4-faces on a CPU (one stage from srgan-x4), then "
                       "python benchmarks/recipes.py ship srgan-x4-faces"),
    "srresnet-x4-real": ("photos from phones and the web (blur, noise, JPEG), x4, pixel-MSE SRResNet trained on "
                         "the realistic degradation",
                         "benchmarks/quality.py --from srresnet-x4 --degradation realistic"),
}


class ModelNotShipped(FileNotFoundError):
    """A known model name whose weights this package does not ship (yet); the message says how to train it."""


def weights_path(name: str) -> Path:
    return WEIGHTS_DIR / f"{name}.keras"


def card(name: str) -> dict:
    """The card of a shipped model (architecture, data and its licence, training, scores, date)."""
    path = WEIGHTS_DIR / f"{name}.json"
    if not path.is_file():
        raise ModelNotShipped(not_shipped_message(name))
    return json.loads(path.read_text())


def shipped() -> list[str]:
    return sorted(name for name in KNOWN if weights_path(name).is_file())


def not_shipped_message(name: str) -> str:
    what, how = KNOWN[name]
    return (f"model {name!r} ({what}) has no weights shipped with this version of srgan_helpers. Train it: "
            f"{how}. Shipped: {shipped() or 'none'}")


def resolve_model(spec: str | Path) -> Path:
    """A .keras file for `spec`: a model name (always the shipped model: a local folder of the same name is
    reached by its path form, ./srresnet-x4), an existing file, or a run folder (its generator.keras)."""
    name, path = str(spec), Path(spec)
    if name in KNOWN:
        if not weights_path(name).is_file():
            raise ModelNotShipped(not_shipped_message(name))
        if path.exists():
            warnings.warn(f"{name!r} is a shipped model's name: the shipped model is used, not the local {name}; "
                          f"pass ./{name} for that", stacklevel=2)
        return weights_path(name)
    if path.is_file():
        return path
    if path.is_dir():
        return path / GENERATOR_NAME
    raise FileNotFoundError(f"{spec}: no such .keras file, run folder or model name. Model names: "
                            f"{sorted(KNOWN)} (shipped: {shipped() or 'none'}); "
                            f"`python -m srgan_helpers.named_models list` shows them and your runs")


def headline_score(name: str) -> str:
    """A shipped model's PSNR beside bicubic's, from its card: Set5, else its first set (held-out faces);
    "" when the card has none."""
    metrics = card(name).get("metrics", {})
    label = "Set5" if "Set5" in metrics else next(iter(metrics), None)
    if label is None:
        return ""
    m = metrics[label]
    return f"{label.replace('_', ' ')} {m['psnr']:.2f} dB (bicubic {m['bicubic_psnr']:.2f})"


def list_models(*run_roots: str | Path) -> list[dict]:
    """Every known name (shipped or not, with its Set5 PSNR when shipped) and the user's own run folders."""
    rows = []
    for name, (what, _) in KNOWN.items():
        if weights_path(name).is_file():
            rows.append({"name": name, "kind": "shipped", "what": what, "path": str(weights_path(name)),
                         "score": headline_score(name)})
        else:
            rows.append({"name": name, "kind": "not shipped", "what": what, "path": "", "score": ""})
    for run in list_runs(*run_roots):
        rows.append({"name": str(run), "kind": "your run", "what": "", "path": str(run / GENERATOR_NAME), "score": ""})
    return rows


def card_markdown(name: str) -> str:
    c = card(name)
    lines = [f"# {name}", "", c.get("summary", ""), ""]
    for key in ("architecture", "data", "data_licence", "training", "device", "date", "made_by"):
        if key in c:
            lines.append(f"- **{key.replace('_', ' ')}**: {c[key]}")
    if c.get("metrics"):
        lines += ["", "| set | bicubic PSNR / SSIM | model PSNR / SSIM |", "|---|---|---|"]
        for name_, m in c["metrics"].items():
            lines.append(f"| {name_} | {m['bicubic_psnr']:.2f} / {m['bicubic_ssim']:.4f} | {m['psnr']:.2f} / "
                         f"{m['ssim']:.4f} |")
    return "\n".join(lines) + "\n"
