"""Stage 1 of the original project, corrected: raw images -> a prepared set + manifest.json.

Two modes:
- "fixed" (the original's): seeded choice of N images -> RGB (any mode, EXIF orientation) -> centre crop
  `hr_size` -> Pillow bicubic / `scale` -> split -> data/<name>/{train,test}/{hr,lr}/*.png.
- "whole" (the standard way to train a general model, e.g. on "291" or DIV2K): every image kept whole
  (cropped to a multiple of `scale`; smaller than `min_size` skipped), its LR made once by the same
  Pillow bicubic; the PNGs are written as above and a memory-mapped pack per split (`<split>/pack/`)
  from which the loader samples random patches.

Bad files are skipped with a reason in the manifest; the set is built in a temp folder and renamed when
complete. The source folder is never written to or deleted: an output inside it (or around it) is
refused, and `overwrite` replaces only a set this package made.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import warnings
from pathlib import Path

import numpy as np

from .. import interrupts
from ..fileio import file_digest, fsync_dir, temp_dir_beside, write_text_atomic
from ..images import (
    ImageError,
    bicubic_resize,
    center_crop,
    frames_note,
    list_images,
    load_uint8,
    open_image,
    save_png_atomic,
    to_rgb,
)
from ..progress import progress_bar as tqdm
from .pack import PackWriter

MANIFEST = "manifest.json"
SPLITS = ("train", "test")
MODES = ("fixed", "whole")
SPLIT_BY = ("image", "folder")
MADE_BY = "srgan_helpers.data.preprocess"


def _safe_stem(path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", path.stem)[:60] or "image"


def make_pair(path: Path, hr_size: int, scale: int):
    """(HR, LR, note) for one file in fixed mode: the centre `hr_size` crop (taken before any conversion,
    so a huge image is never converted whole) and its bicubic downscale; raises ImageError to skip it."""
    img = open_image(path)
    if img.width < hr_size or img.height < hr_size:
        raise ImageError(f"{path}: {img.width}x{img.height} is smaller than the {hr_size}x{hr_size} crop")
    hr = to_rgb(center_crop(img, hr_size))
    return hr, bicubic_resize(hr, hr_size // scale, hr_size // scale), frames_note(img)


def make_whole(path: Path, min_size: int, scale: int):
    """(HR, LR, note) for one file in whole mode: the image cropped to a multiple of `scale`."""
    img = open_image(path)
    if img.width < min_size or img.height < min_size:
        raise ImageError(f"{path}: {img.width}x{img.height} is smaller than min_size={min_size}")
    note = frames_note(img)
    w, h = img.width // scale * scale, img.height // scale * scale
    hr = to_rgb(img if (w, h) == img.size else img.crop((0, 0, w, h)))
    return hr, bicubic_resize(hr, w // scale, h // scale), note


def check_paths(source: Path, out_dir: Path) -> None:
    """Refuse an output that is, contains or lies inside the source: preparing must never touch originals."""
    src, out = source.resolve(), out_dir.resolve()
    if src == out or src in out.parents or out in src.parents:
        raise ValueError(f"out_dir {out_dir} and the source {source} overlap: the prepared set would be written "
                         f"into (or over) your originals. Choose another name or data_root.")


SET_LAYOUT = {MANIFEST: None, "train": {"hr", "lr", "pack"}, "test": {"hr", "lr", "pack"}}


def foreign_entries(out_dir: Path) -> list[str]:
    """What a folder holds beyond a prepared set's own layout (manifest.json, train/ and test/ with hr/, lr/
    and pack/ only): anything else is someone's, and a set replaced would take it along."""
    foreign = []
    for entry in sorted(out_dir.iterdir()):
        if entry.name not in SET_LAYOUT or entry.is_dir() != (SET_LAYOUT[entry.name] is not None):
            foreign.append(entry.name)
        elif SET_LAYOUT[entry.name]:
            foreign += [f"{entry.name}/{sub.name}" for sub in sorted(entry.iterdir())
                        if sub.name not in SET_LAYOUT[entry.name]]
    return foreign


def _check_replaceable(out_dir: Path, existing: dict | None, params: dict, overwrite: bool) -> None:
    if not out_dir.exists():
        return
    if existing is None or existing.get("made_by") != MADE_BY:
        raise FileExistsError(f"{out_dir} exists and is not a set this package prepared (no manifest.json of "
                              f"ours): it is never replaced. Choose another name or out_dir.")
    foreign = foreign_entries(out_dir)
    if foreign:
        raise FileExistsError(f"{out_dir} holds files a prepared set does not ({', '.join(foreign[:3])}): it is "
                              f"never replaced. Move them out, or choose another name or out_dir.")
    if not overwrite:
        differ = {k: (existing["params"].get(k), v) for k, v in params.items() if existing["params"].get(k) != v}
        raise FileExistsError(f"{out_dir} already holds a set made with other parameters ({differ}); choose another "
                              f"name, or replace it with overwrite=True")


def preprocess(source: str | Path, out_dir: str | Path, n_images: int | None = 2500, hr_size: int = 176,
               scale: int = 4, test_fraction: float = 0.2, seed: int = 0, overwrite: bool = False,
               progress: bool = True, mode: str = "fixed", min_size: int = 96, split_by: str = "image") -> dict:
    """Build the prepared set in `out_dir` and return its manifest.

    Args:
        source: a folder of images (searched recursively); never written to.
        out_dir: where the set goes; must not overlap `source`.
        n_images: images chosen (seeded); None: all of them.
        hr_size: fixed mode: the HR crop side.
        scale: LR side = HR side / scale.
        test_fraction: share held out as the test split.
        seed: the random choice and order of images.
        overwrite: replace a set this package made with other parameters (only once the new one is complete).
        mode: "fixed" (centre crops) or "whole" (whole images + a memory-mapped pack).
        min_size: whole mode: images with a side below this are skipped.
        split_by: "image" (each image drawn alone) or "folder" (whole sub-folders go to one split: one
            folder per person in a face set, whose shots are near duplicates).

    Re-running with the same parameters does nothing.
    """
    source, out_dir = Path(source), Path(out_dir)
    params = _params(source, n_images, hr_size, scale, test_fraction, seed, mode, min_size, split_by)
    check_paths(source, out_dir)
    existing = _read_existing(out_dir)
    if existing is not None and existing.get("params") == params:
        return existing
    _check_replaceable(out_dir, existing, params, overwrite)
    files = list_images(source)
    order = seeded_order(files, source, seed, split_by)
    tmp = temp_dir_beside(out_dir)
    try:
        staging = tmp / ".staging"
        kept, skipped, notes = _select(files, order, source, params, staging, progress)
        manifest = _write_set(tmp, staging, kept, skipped, notes, params, len(files))
        shutil.rmtree(staging, ignore_errors=True)
        swap_into_place(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def seeded_order(files: list[Path], source: Path, seed: int, split_by: str) -> np.ndarray:
    """The seeded order images are taken in; by folder, each sub-folder's images stay together."""
    if split_by == "image":
        return np.random.default_rng(seed).permutation(len(files))
    groups = sorted({_group(path, source) for path in files})
    rank = {group: i for i, group in enumerate(np.random.default_rng(seed).permutation(groups))}
    return np.array(sorted(range(len(files)), key=lambda i: (rank[_group(files[i], source)], i)), dtype=int)


def _group(path: Path, source: Path) -> str:
    return str(path.parent.relative_to(source))


def _params(source, n_images, hr_size, scale, test_fraction, seed, mode, min_size, split_by="image") -> dict:
    if mode not in MODES:
        raise ValueError(f"mode={mode!r}: use one of {MODES}")
    if split_by not in SPLIT_BY:
        raise ValueError(f"split_by={split_by!r}: use one of {SPLIT_BY}")
    if scale < 2 or hr_size % scale:
        raise ValueError(f"hr_size={hr_size} must be a multiple of scale={scale}")
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction={test_fraction} must be in [0, 1)")
    if n_images is not None and n_images < 1:
        raise ValueError(f"n_images={n_images} must be >= 1 (or None: all images)")
    if min_size < scale:
        raise ValueError(f"min_size={min_size} must be >= scale={scale}")
    params = {"source": str(Path(source).resolve()), "n_images": n_images, "hr_size": hr_size, "scale": scale,
              "test_fraction": test_fraction, "seed": seed}
    params = params if split_by == "image" else {**params, "split_by": split_by}
    return params if mode == "fixed" else {**params, "mode": mode, "min_size": min_size}


def _read_existing(out_dir: Path) -> dict | None:
    if not (out_dir / MANIFEST).is_file():
        return None
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _select(files, order, source: Path, params: dict, staging: Path, progress: bool):
    """Open files in the seeded order until enough are usable, writing each pair's PNGs to `staging` at once
    (memory holds one image at a time): (kept records, skipped, notes)."""
    wanted = params["n_images"] or len(files)
    whole = params.get("mode") == "whole"
    kept, skipped, notes = [], [], []
    bar = tqdm(total=wanted, desc=f"preprocess {source.name}", disable=not progress, unit="img", mininterval=1.0)
    for idx in order:
        interrupts.check()  # under a command's handler, Ctrl-C stops between images (the temp set is removed)
        if len(kept) == wanted:
            break
        path = files[idx]
        try:
            hr, lr, note = (make_whole(path, params["min_size"], params["scale"]) if whole
                            else make_pair(path, params["hr_size"], params["scale"]))
        except ImageError as exc:
            skipped.append({"file": str(path.relative_to(source)), "reason": str(exc).split(": ", 1)[-1]})
            continue
        if note:
            notes.append({"file": str(path.relative_to(source)), "note": note})
        staged = f"{len(kept):06d}.png"
        save_png_atomic(hr, staging / "hr" / staged)
        save_png_atomic(lr, staging / "lr" / staged)
        kept.append({"path": path, "source": str(path.relative_to(source)), "staged": staged, "size": list(hr.size)})
        bar.update(1)
    bar.close()
    if not kept:
        raise ValueError(f"{source}: no usable image among {len(files)} files (first reasons: {skipped[:3]}); "
                         f"check the folder and the size settings")
    if len(kept) < wanted and params["n_images"]:
        warnings.warn(f"{source}: only {len(kept)} usable images of the {wanted} asked for", stacklevel=3)
    return kept, skipped, notes


def _write_set(tmp: Path, staging: Path, kept, skipped, notes, params: dict, n_files: int) -> dict:
    n_train = _train_count(kept, params)
    splits = {"train": kept[:n_train], "test": kept[n_train:]}
    manifest = {"format": 2, "made_by": MADE_BY, "params": params, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "counts": {"source_files": n_files, "train": len(splits["train"]), "test": len(splits["test"]),
                           "skipped": len(skipped)},
                "skipped": skipped, "notes": notes}
    for split, items in splits.items():
        manifest[split] = _place_split(tmp / split, staging, items, params)
    if params.get("mode") == "whole":
        manifest["min_hr_side"] = min(min(item["size"]) for item in kept)
    write_text_atomic(tmp / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    return manifest


def _train_count(kept: list[dict], params: dict) -> int:
    """How many of the kept images train; by folder, the cut moves back to the start of the folder it falls in."""
    n_train = len(kept) - int(round(len(kept) * params["test_fraction"]))
    if params.get("split_by") != "folder" or n_train == len(kept):
        return n_train
    group_of = [str(Path(item["source"]).parent) for item in kept]
    while 0 < n_train and group_of[n_train - 1] == group_of[n_train]:
        n_train -= 1
    if n_train == 0:
        raise ValueError("split_by='folder': a single folder holds the images, so no folder is left to train on; "
                         "use split_by='image' or more folders")
    return n_train


def _place_split(folder: Path, staging: Path, items, params: dict) -> list[dict]:
    """Move a split's staged PNGs to `folder/{hr,lr}/` under their final names (and pack them in whole mode)."""
    pack = PackWriter(folder / "pack", params["scale"]) if params.get("mode") == "whole" else None
    records = []
    for i, item in enumerate(items):
        name = f"{i:05d}_{_safe_stem(item['path'])}.png"
        for key in ("hr", "lr"):
            (folder / key).mkdir(parents=True, exist_ok=True)
            os.replace(staging / key / item["staged"], folder / key / name)
        if pack is not None:
            pack.add(name, load_uint8(folder / "hr" / name), load_uint8(folder / "lr" / name))
        records.append({"name": name, "source": item["source"],
                        "size": item["size"], "hr_sha256": file_digest(folder / "hr" / name),
                        "lr_sha256": file_digest(folder / "lr" / name)})
    if pack is not None:
        pack.close()
    return records


def swap_into_place(new: Path, target: Path) -> None:
    """Put the finished folder `new` where `target` is (the old one renamed aside first, then removed)."""
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
        manifest = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is corrupt ({exc}); re-run preprocess with overwrite=True") from exc
    if not isinstance(manifest, dict):
        raise ValueError(f"{path} is not a manifest; re-run preprocess with overwrite=True")
    return manifest


def skipped_report(manifest: dict) -> str:
    """The skipped files (and notes, e.g. animated files) as a short markdown table (empty string when none)."""
    rows = [(r["file"], r["reason"]) for r in manifest.get("skipped", [])]
    rows += [(r["file"], r["note"]) for r in manifest.get("notes", [])]
    if not rows:
        return ""
    lines = ["| file | reason or note |", "|---|---|"] + [f"| {f} | {why} |" for f, why in rows]
    return "\n".join(lines)
