"""Image I/O: open anything Pillow reads as clean RGB, convert to and from [-1, 1] arrays, save atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .fileio import atomic_path

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm")


class ImageError(ValueError):
    """An input file that is not a usable image; the message says why."""


def list_images(folder: str | Path, recursive: bool = True) -> list[Path]:
    """Image files below `folder` (by suffix, case-insensitive), sorted for reproducibility."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder of images")
    pattern = "**/*" if recursive else "*"
    return sorted(
        p for p in folder.glob(pattern)
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )


def open_image(path: str | Path) -> Image.Image:
    """An image fully decoded with its EXIF orientation applied, in its own mode (info kept).

    Raises ImageError naming the file and the reason for empty, truncated, oversized or non-image
    files, and FileNotFoundError for a missing one."""
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ImageError(f"{path}: empty file (0 bytes)")
        with Image.open(path) as img:
            img.load()
            info = dict(img.info)
            out = ImageOps.exif_transpose(img)
            out.info.update({k: v for k, v in info.items() if k not in out.info})
            return out if out is not img else img.copy()
    except ImageError:
        raise
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{path}: no such file") from exc
    except UnidentifiedImageError as exc:
        raise ImageError(f"{path}: not an image Pillow can read") from exc
    except Image.DecompressionBombError as exc:
        raise ImageError(f"{path}: {exc}") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{path}: unreadable or truncated image ({exc})") from exc


def open_rgb(path: str | Path, background=(255, 255, 255)) -> Image.Image:
    """`open_image` converted to 8-bit RGB (L, P, LA, RGBA, CMYK, I;16, I; alpha composited on `background`)."""
    return to_rgb(open_image(path), background)


def to_rgb(img: Image.Image, background=(255, 255, 255)) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB (16-bit scaled down, alpha composited on `background`)."""
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        arr = np.asarray(img).astype(np.float64)
        peak = 65535.0 if arr.max(initial=0) > 255 or img.mode.startswith("I;16") else 255.0
        arr = np.clip(np.round(arr * (255.0 / peak)), 0, 255).astype(np.uint8)
        return Image.fromarray(arr, "L").convert("RGB")
    if img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        scale = 255.0 if arr.max(initial=0) <= 1.0 else 1.0
        return Image.fromarray(np.clip(np.round(arr * scale), 0, 255).astype(np.uint8), "L").convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, tuple(background) + (255,))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    if img.mode != "RGB":
        return img.convert("RGB")
    return img


def center_crop(img: Image.Image, size: int) -> Image.Image:
    """The central size x size square (the original project's crop)."""
    left = (img.width - size) // 2
    top = (img.height - size) // 2
    return img.crop((left, top, left + size, top + size))


def bicubic_resize(img: Image.Image, width: int, height: int) -> Image.Image:
    return img.resize((width, height), Image.Resampling.BICUBIC)


def save_png_atomic(img: Image.Image, path: str | Path) -> None:
    with atomic_path(path, suffix=".png") as tmp:
        img.save(tmp, format="PNG")


def uint8_to_float(arr: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] -> float32 [-1, 1]."""
    return arr.astype(np.float32) * np.float32(1 / 127.5) - np.float32(1.0)


def float_to_uint8(arr) -> np.ndarray:
    """float [-1, 1] -> uint8 [0, 255]: clip, round, cast (krasserm's `resolve`)."""
    arr = np.asarray(arr, dtype=np.float32)
    return np.clip(np.round((arr + 1.0) * 127.5), 0, 255).astype(np.uint8)


def load_uint8(path: str | Path) -> np.ndarray:
    """An image file as an (H, W, 3) uint8 array."""
    return np.asarray(open_rgb(path))
