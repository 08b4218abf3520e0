"""Image I/O: open anything Pillow reads as clean RGB, convert to and from [-1, 1] arrays, save atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .fileio import atomic_path

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm")


FRAMES = "srgan_frames"  # info key: how many frames/pages the file had (only the first is used)


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
    """An image fully decoded with its EXIF orientation applied, in its own mode (info kept). Animated and
    multi-page files give their first frame; `info[FRAMES]` says how many there were.

    Raises ImageError naming the file and the reason for empty, truncated, oversized or non-image
    files, and FileNotFoundError for a missing one."""
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ImageError(f"{path}: empty file (0 bytes)")
        with Image.open(path) as img:
            img.load()  # decoded into memory: the image stays valid after the file is closed
            info = {**img.info, FRAMES: frame_count(img)}
            out = ImageOps.exif_transpose(img)
        out.info.update({k: v for k, v in info.items() if k not in out.info})
        return out
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
    """Convert any Pillow mode to 8-bit RGB (16-bit and float scaled down band by band, without a float
    copy of the whole image; alpha composited on `background`)."""
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return Image.fromarray(_gray_to_uint8(img), "L").convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, tuple(background) + (255,))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    if img.mode != "RGB":
        return img.convert("RGB")
    return img


def _gray_to_uint8(img: Image.Image, band_rows: int = 512) -> np.ndarray:
    """16-bit, 32-bit integer or float grayscale -> uint8, scaled by the format's peak (65535 for 16-bit,
    1.0 for floats in [0, 1]), `band_rows` rows at a time."""
    arr = np.asarray(img)
    top = float(arr.max(initial=0))
    if img.mode == "F":
        peak = 1.0 if top <= 1.0 else 255.0
    else:
        peak = 65535.0 if top > 255 or img.mode.startswith("I;16") else 255.0
    out = np.empty(arr.shape, np.uint8)
    for row in range(0, arr.shape[0], band_rows):
        band = arr[row:row + band_rows].astype(np.float32) * np.float32(255.0 / peak)
        out[row:row + band_rows] = np.clip(np.round(band), 0, 255)
    return out


def frame_count(img: Image.Image) -> int:
    """Frames in an animated GIF/WebP/PNG or pages in a multi-page TIFF (1 for a still image)."""
    return int(getattr(img, "n_frames", 1) or 1)


def frames_note(img: Image.Image) -> str | None:
    """'first of N frames used' for an animated or multi-page file, else None."""
    n = img.info.get(FRAMES, 1)
    return f"first of {n} frames used (animated or multi-page file)" if n > 1 else None


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
