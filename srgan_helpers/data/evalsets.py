"""Evaluation sets in every layout a user has: the SR benchmark layout (`HR/` + `LR_bicubic_x4/`, e.g.
Set5), a set this package prepared (`data/<set>` or its `test/` split: `hr/` + `lr/`), or a plain folder of
HR images (LR made by the same Pillow bicubic the package uses everywhere)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..images import bicubic_resize, list_images, load_uint8, open_rgb

LAYOUTS = "HR/ + LR_bicubic_x<scale>/ (as Set5), a prepared set (hr/ + lr/, or its test/ split), or HR images"


def read_paired_folder(folder: str | Path, scale: int = 4) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, HR, LR) uint8 arrays from a benchmark folder laid out as `HR/` + `LR_bicubic_x<scale>/`.

    HR is cropped to exactly `scale` x LR (the usual modcrop) when it is up to scale-1 pixels larger.
    """
    folder = Path(folder)
    hr_dir, lr_dir = folder / "HR", folder / f"LR_bicubic_x{scale}"
    if not hr_dir.is_dir() or not lr_dir.is_dir():
        raise FileNotFoundError(f"{folder}: expected sub-folders HR/ and {lr_dir.name}/ (as in Set5)")
    return _pairs(hr_dir, lr_dir, scale)


def _pairs(hr_dir: Path, lr_dir: Path, scale: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    pairs = []
    for hr_path in list_images(hr_dir, recursive=False):
        lr_path = lr_dir / hr_path.name
        if not lr_path.is_file():
            raise FileNotFoundError(f"{lr_path}: no LR image for {hr_path.name}")
        hr, lr = load_uint8(hr_path), load_uint8(lr_path)
        h, w = lr.shape[0] * scale, lr.shape[1] * scale
        if not (h <= hr.shape[0] < h + scale and w <= hr.shape[1] < w + scale):
            raise ValueError(f"{hr_path.name}: HR {hr.shape[1]}x{hr.shape[0]} is not {scale} x LR "
                             f"{lr.shape[1]}x{lr.shape[0]}")
        pairs.append((hr_path.stem, hr[:h, :w], lr))
    return pairs


def _from_hr_only(folder: Path, scale: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    pairs = []
    for path in list_images(folder, recursive=False):
        img = open_rgb(path)
        w, h = img.width // scale * scale, img.height // scale * scale
        if w < scale or h < scale:
            continue
        hr = img.crop((0, 0, w, h))
        pairs.append((path.stem, np.asarray(hr), np.asarray(bicubic_resize(hr, w // scale, h // scale))))
    return pairs


def read_eval_set(folder: str | Path, scale: int = 4) -> tuple[str, list[tuple[str, np.ndarray, np.ndarray]]]:
    """(set name, [(image name, HR, LR)]) from any of the layouts above."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder (an evaluation set is {LAYOUTS})")
    if (folder / "HR").is_dir() and (folder / f"LR_bicubic_x{scale}").is_dir():
        return folder.name, read_paired_folder(folder, scale)
    for split in (folder, folder / "test"):
        if (split / "hr").is_dir() and (split / "lr").is_dir():
            name = f"{folder.name}/test" if split != folder else f"{folder.parent.name}/{folder.name}"
            return name, _pairs(split / "hr", split / "lr", scale)
    pairs = _from_hr_only(folder, scale)
    if not pairs:
        raise FileNotFoundError(f"{folder}: no images found; an evaluation set is {LAYOUTS}")
    return folder.name, pairs


DEGRADED_CACHE = Path("data") / "degraded"


def read_degraded_set(folder: str | Path, level: str, scale: int = 4, cache: str | Path = DEGRADED_CACHE):
    """(set name, [(image name, HR, degraded LR)]): an evaluation set's HR with LR made by the `level`
    recipe of degrade.EVAL_RECIPES (blur, bicubic, noise seeded by the image's name, JPEG). The LR files are
    built once into `cache`/<set>-<level>-x<scale>/ (PNG, written atomically) and read from there after."""
    from .degrade import EVAL_RECIPES

    if level not in EVAL_RECIPES:
        raise ValueError(f"degrade={level!r}: use one of {sorted(EVAL_RECIPES)}")
    name, pairs = read_eval_set(folder, scale)
    target = Path(cache) / f"{name.replace('/', '_')}-{level}-x{scale}"
    recipe = {"level": level, "recipe": list(EVAL_RECIPES[level]), "scale": scale, "images": [n for n, _, _ in pairs]}
    if _cached_recipe(target) != recipe:
        _build_degraded(target, pairs, level, scale, recipe)
    return f"{name} ({level})", [(n, hr, load_uint8(target / f"{n}.png")) for n, hr, _ in pairs]


def _cached_recipe(target: Path) -> dict | None:
    import json

    try:
        return json.loads((target / "recipe.json").read_text())
    except (OSError, ValueError):
        return None


def _build_degraded(target: Path, pairs, level: str, scale: int, recipe: dict) -> None:
    import json

    from PIL import Image

    from ..fileio import write_text_atomic
    from ..images import save_png_atomic
    from .degrade import eval_degrade

    target.mkdir(parents=True, exist_ok=True)
    for n, hr, _ in pairs:
        save_png_atomic(Image.fromarray(eval_degrade(hr, n, level, scale)), target / f"{n}.png")
    write_text_atomic(target / "recipe.json", json.dumps(recipe, indent=1) + "\n")  # last: the cache is complete
