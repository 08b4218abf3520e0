"""Stage 1 of the original project, corrected: raw images -> fixed HR/LR PNG pairs + manifest.json.

seeded choice of N images -> RGB (any mode, EXIF orientation) -> centre crop `hr_size` -> Pillow bicubic
/ `scale` -> split by `test_fraction` -> data/<name>/{train,test}/{hr,lr}/*.png. Bad files are skipped
with a reason in the manifest; the set is built in a temp folder and renamed when complete.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .fileio import file_digest, fsync_dir, write_text_atomic
from .images import ImageError, bicubic_resize, center_crop, list_images, load_uint8, open_rgb, save_png_atomic

MANIFEST = "manifest.json"
SPLITS = ("train", "test")


def _safe_stem(path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", path.stem)[:60] or "image"


def make_pair(path: Path, hr_size: int, scale: int):
    """(HR, LR) Pillow images for one file; raises ImageError with the reason to skip it."""
    img = open_rgb(path)
    if img.width < hr_size or img.height < hr_size:
        raise ImageError(f"{path}: {img.width}x{img.height} is smaller than the {hr_size}x{hr_size} crop")
    hr = center_crop(img, hr_size)
    return hr, bicubic_resize(hr, hr_size // scale, hr_size // scale)


def preprocess(source: str | Path, out_dir: str | Path, n_images: int = 2500, hr_size: int = 176, scale: int = 4,
               test_fraction: float = 0.2, seed: int = 0, overwrite: bool = False, progress: bool = True) -> dict:
    """Build the HR/LR pair set in `out_dir` and return its manifest.

    Re-running with the same parameters does nothing. A set made with other parameters is never mixed
    with: it raises unless `overwrite=True`, which replaces it only once the new set is complete.
    """
    source, out_dir = Path(source), Path(out_dir)
    if hr_size % scale:
        raise ValueError(f"hr_size={hr_size} must be a multiple of scale={scale}")
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction={test_fraction} must be in [0, 1)")
    if n_images < 1:
        raise ValueError(f"n_images={n_images} must be >= 1")
    files = list_images(source)
    params = {"source": str(source.resolve()), "n_images": n_images, "hr_size": hr_size, "scale": scale,
              "test_fraction": test_fraction, "seed": seed}

    existing = read_manifest(out_dir) if (out_dir / MANIFEST).is_file() else None
    if existing is not None and existing["params"] == params:
        return existing
    if out_dir.exists() and not overwrite:
        differ = {k: (existing["params"].get(k), v) for k, v in params.items()
                  if existing and existing["params"].get(k) != v} if existing else "no manifest.json"
        raise FileExistsError(f"{out_dir} already holds a data set made with other parameters ({differ}); "
                              f"choose another out_dir or pass overwrite=True")

    order = np.random.default_rng(seed).permutation(len(files))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    try:
        kept, skipped = [], []
        bar = tqdm(total=n_images, desc=f"preprocess {source.name}", disable=not progress, unit="img")
        for idx in order:
            if len(kept) == n_images:
                break
            path = files[idx]
            try:
                hr, lr = make_pair(path, hr_size, scale)
            except ImageError as exc:
                skipped.append({"file": str(path.relative_to(source)), "reason": str(exc).split(": ", 1)[-1]})
                continue
            kept.append((path, hr, lr))
            bar.update(1)
        bar.close()
        if not kept:
            raise ValueError(f"{source}: no usable image among {len(files)} files "
                             f"(first reasons: {skipped[:3]}); check the folder and hr_size={hr_size}")
        if len(kept) < n_images:
            warnings.warn(f"{source}: only {len(kept)} usable images of the {n_images} asked for", stacklevel=2)
        n_test = int(round(len(kept) * test_fraction))
        splits = {"train": kept[: len(kept) - n_test], "test": kept[len(kept) - n_test:]}
        manifest = {"format": 1, "params": params, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "counts": {"source_files": len(files), "train": len(splits["train"]),
                               "test": len(splits["test"]), "skipped": len(skipped)},
                    "skipped": skipped}
        for split, items in splits.items():
            records = []
            for i, (path, hr, lr) in enumerate(items):
                name = f"{i:05d}_{_safe_stem(path)}.png"
                save_png_atomic(hr, tmp / split / "hr" / name)
                save_png_atomic(lr, tmp / split / "lr" / name)
                records.append({"name": name, "source": str(path.relative_to(source)),
                                "hr_sha256": file_digest(tmp / split / "hr" / name),
                                "lr_sha256": file_digest(tmp / split / "lr" / name)})
            manifest[split] = records
        write_text_atomic(tmp / MANIFEST, json.dumps(manifest, indent=1) + "\n")
        _swap_into_place(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def _swap_into_place(new: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(new, target)
    fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(data_dir: str | Path) -> dict:
    path = Path(data_dir) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run preprocess (notebook 01) for {data_dir} first")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is corrupt ({exc}); re-run preprocess with overwrite=True") from exc


def skipped_report(manifest: dict) -> str:
    """The skipped files as a short markdown table (empty string when none)."""
    rows = manifest.get("skipped", [])
    if not rows:
        return ""
    lines = ["| file | reason |", "|---|---|"] + [f"| {r['file']} | {r['reason']} |" for r in rows]
    return "\n".join(lines)


def read_paired_folder(folder: str | Path, scale: int = 4) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, HR, LR) uint8 arrays from a benchmark folder laid out as `HR/` + `LR_bicubic_x<scale>/`.

    HR is cropped to exactly `scale` x LR (the usual modcrop) when it is up to scale-1 pixels larger.
    """
    folder = Path(folder)
    hr_dir, lr_dir = folder / "HR", folder / f"LR_bicubic_x{scale}"
    if not hr_dir.is_dir() or not lr_dir.is_dir():
        raise FileNotFoundError(f"{folder}: expected sub-folders HR/ and {lr_dir.name}/ (as in Set5)")
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
