"""A training set of degraded pairs made once, not at every step: from each HR image, `draws` random patches,
each with its own seeded realistic degradation (degrade.py; ~8 ms a pair on one core, which ate the CPU when
the loader made them during training), written as a fixed-pair set (train/hr, train/lr PNGs and a manifest
with their SHA-256, as preprocess writes) that the ordinary loader reads with `degradation="bicubic"`.

Draw `d` of image `i` comes from numpy's Generator seeded (seed, i, d): the same set on any machine, however
it is made. The set is written in a temp folder and renamed into place: a stopped run leaves nothing half-made.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
from PIL import Image

from .. import interrupts
from ..fileio import file_digest, temp_dir_beside, write_text_atomic
from ..images import ImageError, list_images, open_rgb
from ..progress import progress_bar
from .degrade import EVAL_RECIPES, DegradeRanges, degrade, recipe_degrade
from .preprocess import MANIFEST, check_paths, swap_into_place

MADE_BY = "srgan_helpers.data.degraded_set"


def make_degraded_set(source: str | Path, out_dir: str | Path, draws: int = 32, hr_patch: int = 128, scale: int = 4,
                      seed: int = 0, ranges: DegradeRanges | None = None, progress: bool = True,
                      recipe: str | None = None) -> dict:
    """Write the set (or keep the one already there when it was made with the same settings); returns its
    manifest. Images smaller than `hr_patch` are skipped and listed. `recipe` ("mild", "strong"): every pair
    made by that evaluation recipe (degrade.EVAL_RECIPES, its noise drawn per pair) instead of the ranges."""
    source, out_dir = Path(source), Path(out_dir)
    check_paths(source, out_dir)
    if draws < 1 or hr_patch < scale or hr_patch % scale:
        raise ValueError(f"draws={draws}, hr_patch={hr_patch}: use draws >= 1 and a patch that is a multiple of "
                         f"scale={scale}")
    make_lr, degradation = lr_maker(ranges, recipe, scale)  # bad settings: before anything is drawn or written
    params = {"source": str(source), "draws": draws, "hr_size": hr_patch, "scale": scale, "seed": seed,
              "mode": "fixed", "degradation": degradation}
    existing = _same_set(out_dir, params)
    if existing is not None:
        return existing
    files = list_images(source)
    if not files:
        raise ValueError(f"{source}: no images to degrade")
    tmp = temp_dir_beside(out_dir)
    try:
        records, skipped = _write_pairs(files, source, tmp / "train", params, make_lr, progress)
        manifest = {"format": 2, "made_by": MADE_BY, "params": params, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "counts": {"source_files": len(files), "train": len(records), "test": 0, "skipped": len(skipped)},
                    "skipped": skipped, "notes": [], "train": records, "test": []}
        write_text_atomic(tmp / MANIFEST, json.dumps(manifest, indent=1) + "\n")
        swap_into_place(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def lr_maker(ranges: DegradeRanges | None, recipe: str | None, scale: int):
    """(make_lr(hr, rng) -> uint8 LR, the degradation as the manifest names it) for the ranges or the recipe."""
    if recipe is not None:
        if recipe not in EVAL_RECIPES or ranges is not None:
            raise ValueError(f"recipe={recipe!r}: use one of {sorted(EVAL_RECIPES)}, and no ranges beside it")
        return (lambda hr, rng: recipe_degrade(hr, recipe, rng, scale)), f"recipe {recipe} {EVAL_RECIPES[recipe]}"
    ranges = ranges or DegradeRanges()
    if ranges.problems():
        raise ValueError("; ".join(ranges.problems()))
    return (lambda hr, rng: degrade(hr, rng, ranges, scale)), repr(ranges)


def _same_set(out_dir: Path, params: dict) -> dict | None:
    """The manifest already at `out_dir` when it was made by this module with `params`; None when there is
    none; ValueError when the folder holds something else (never overwritten)."""
    path = out_dir / MANIFEST
    if not out_dir.exists():
        return None
    manifest = json.loads(path.read_text()) if path.is_file() else {}
    if manifest.get("made_by") != MADE_BY:
        raise ValueError(f"{out_dir} exists and is not a degraded set: choose another folder or remove it")
    return manifest if manifest.get("params") == params else None


def _write_pairs(files, source: Path, split: Path, params: dict, make_lr, progress: bool):
    """Every draw of every image as train/hr/NAME.png and train/lr/NAME.png; (records, skipped)."""
    records, skipped = [], []
    for index, path in enumerate(progress_bar(files, disable=not progress, desc="degraded pairs")):
        interrupts.check()
        try:
            image = np.asarray(open_rgb(path))
        except ImageError as exc:
            skipped.append({"source": str(path.relative_to(source)), "reason": str(exc)})
            continue
        if min(image.shape[:2]) < params["hr_size"]:
            skipped.append({"source": str(path.relative_to(source)),
                            "reason": f"smaller than the {params['hr_size']}-px patch"})
            continue
        for draw in range(params["draws"]):
            records.append(_write_draw(image, index, draw, path, source, split, params, make_lr))
    return records, skipped


def _write_draw(image, index: int, draw: int, path: Path, source: Path, split: Path, params: dict, make_lr) -> dict:
    rng = np.random.default_rng([params["seed"], index, draw])
    side = params["hr_size"]
    y, x = (int(rng.integers(0, n - side + 1)) for n in image.shape[:2])
    hr = np.ascontiguousarray(image[y:y + side, x:x + side])
    lr = make_lr(hr, rng)
    name = f"{index:04d}_{draw:03d}_{path.stem[:40]}.png"
    for key, pixels in (("hr", hr), ("lr", lr)):  # inside the set's temp folder: renamed whole at the end
        (split / key).mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(split / key / name, format="PNG")
    return {"name": name, "source": str(path.relative_to(source)), "size": [side, side], "at": [y, x],
            "hr_sha256": file_digest(split / "hr" / name), "lr_sha256": file_digest(split / "lr" / name)}
