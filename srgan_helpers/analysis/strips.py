"""Labelled image strips (LR | SR | HR, LR | Bicubic | SR-A | SR-B | HR): a grid of panels with titles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..fileio import atomic_path

LABEL_HEIGHT = 14


def _to_panel(image: np.ndarray, size: tuple[int, int]) -> Image.Image:
    """uint8 image resized to `size` (W, H) with nearest neighbour, so LR pixels stay visible."""
    img = Image.fromarray(np.asarray(image, dtype=np.uint8))
    return img if img.size == size else img.resize(size, Image.Resampling.NEAREST)


def strip_grid(rows: list[list[np.ndarray]], labels: list[str], note: str | None = None, pad: int = 2) -> Image.Image:
    """One row per image, one column per label; every panel shown at the size of the row's largest."""
    if not rows:
        raise ValueError("strip_grid needs at least one row of images")
    if any(len(row) != len(labels) for row in rows):
        raise ValueError(f"each row needs {len(labels)} panels ({labels})")
    sizes = [max((p.shape[1], p.shape[0]) for p in row) for row in rows]
    width = max(w for w, _ in sizes)
    top = LABEL_HEIGHT * (2 if note else 1)
    canvas = Image.new("RGB", (len(labels) * (width + pad) + pad, top + sum(h + pad for _, h in sizes) + pad), "white")
    draw = ImageDraw.Draw(canvas)
    if note:
        draw.text((pad, 1), note, fill=(200, 0, 0))
    for j, label in enumerate(labels):
        draw.text((pad + j * (width + pad) + 2, top - LABEL_HEIGHT + 1), label, fill="black")
    y = top
    for row, (w, h) in zip(rows, sizes):
        for j, panel in enumerate(row):
            canvas.paste(_to_panel(panel, (w, h)), (pad + j * (width + pad), y))
        y += h + pad
    return canvas


def save_image_atomic(img: Image.Image, path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path, suffix=path.suffix) as tmp:
        img.save(tmp, format=(path.suffix.lstrip(".") or "png").upper().replace("JPG", "JPEG"))
    return path
