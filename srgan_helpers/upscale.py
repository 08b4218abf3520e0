"""Upscale your own images with a trained generator: any size (tiled, seamless), any common format.

    srgan-upscale photo.jpg holiday/ 'scans/*.png' --model outputs/model_b_celeba --out upscaled/
    python -m srgan_helpers.upscale ...            (the same; backend from KERAS_BACKEND)

Layouts: sr (the upscaled image), lr-sr-hr (treat the input as ground truth: downscale it, upscale it
back, show LR | SR | HR), compare (LR | Bicubic | SR-A | SR-B | HR; needs --model-b).
Modes: RGB, L, LA, RGBA and 16-bit grayscale keep their mode (alpha is upscaled bicubically and
re-attached); P and CMYK become RGB (RGBA when transparent). EXIF orientation is applied; ICC profiles
are kept. A file that fails gets one line with the reason; the others are still done; the exit status
is 1 if any failed. Outputs are written under a temp name and renamed: never a partial file.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .fileio import atomic_path
from .images import IMAGE_SUFFIXES, ImageError, open_image, to_rgb
from .tiling import tile_count, upscale_tiled

FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}
LAYOUTS = ("sr", "lr-sr-hr", "compare")
MEMMAP_BYTES = 64 << 20  # outputs larger than this are assembled in a disk-backed buffer


class InputError(ValueError):
    """A file that cannot be upscaled; the message names it and says why."""


@dataclass
class Decoded:
    rgb: np.ndarray  # uint8 (H, W, 3)
    alpha: np.ndarray | None  # uint8 (H, W) or None
    out_mode: str  # the mode the result is saved in
    icc_profile: bytes | None


def decode(path: Path) -> Decoded:
    """Open any image as RGB (+ alpha), EXIF orientation applied; raise InputError with the reason."""
    try:
        img = open_image(path)
    except (ImageError, FileNotFoundError) as exc:
        hint = "; if you trust this file, pass --allow-large" if "decompression bomb" in str(exc) else ""
        raise InputError(f"{exc}{hint}") from exc
    mode = img.mode
    has_alpha = mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info)
    alpha = np.asarray(img.convert("RGBA"))[..., 3].copy() if has_alpha else None
    opaque = img.convert("RGBA").convert("RGB") if has_alpha else to_rgb(img)
    out_mode = {"L": "L", "LA": "LA", "RGBA": "RGBA", "I;16": "I;16", "I;16B": "I;16", "I;16L": "I;16",
                "I": "I;16"}.get(mode, "RGBA" if has_alpha else "RGB")
    return Decoded(np.asarray(opaque), alpha, out_mode, img.info.get("icc_profile"))


def encode(rgb: np.ndarray, alpha: np.ndarray | None, mode: str, fmt: str) -> Image.Image:
    """The result in the input's mode (JPEG cannot hold alpha or 16 bits: flattened on white / 8-bit)."""
    img = Image.frombuffer("RGB", (rgb.shape[1], rgb.shape[0]), np.ascontiguousarray(rgb), "raw", "RGB", 0, 1)
    if alpha is not None and fmt != "jpg":
        rgba = img.convert("RGBA")
        rgba.putalpha(Image.fromarray(alpha))
        return rgba.convert("LA") if mode == "LA" else rgba
    if alpha is not None:  # jpg: composite over white
        canvas = Image.new("RGB", img.size, "white")
        canvas.paste(img, mask=Image.fromarray(alpha))
        img = canvas
    if mode in ("L", "LA"):
        return img.convert("L")
    if mode == "I;16" and fmt == "png":
        gray = np.asarray(img.convert("L"), dtype=np.uint16) * 257
        return Image.fromarray(gray)  # uint16 -> mode I;16
    if mode == "I;16":
        return img.convert("L")
    return img


def upscale_alpha(alpha: np.ndarray, scale: int) -> np.ndarray:
    img = Image.fromarray(alpha)
    return np.asarray(img.resize((img.width * scale, img.height * scale), Image.Resampling.BICUBIC))


class Upscaler:
    """A loaded generator with its scale and tiling settings."""

    def __init__(self, model_path: str | Path, tile: int = 192, overlap: int = 32):
        from .inference import load_generator, model_scale

        self.model = load_generator(model_path)
        self.scale = model_scale(self.model)
        self.tile, self.overlap = tile, overlap

    def predict(self, batch: np.ndarray) -> np.ndarray:
        import keras

        return keras.ops.convert_to_numpy(self.model(batch.astype(np.float32), training=False))

    def upscale(self, rgb: np.ndarray, out: np.ndarray | None = None, on_tile=None) -> np.ndarray:
        """uint8 (H, W, 3) -> uint8 (H*s, W*s, 3), tile by tile into `out` if given."""
        h, w = rgb.shape[:2]
        if out is None:
            out = np.empty((h * self.scale, w * self.scale, 3), np.uint8)
        lr = rgb.astype(np.float32) / 127.5 - 1.0
        upscale_tiled(self.predict, lr, self.scale, self.tile, self.overlap, out=out, on_tile=on_tile)
        return out


def expand_inputs(items: list[str]) -> tuple[list[Path], list[str]]:
    """Files, folders (recursively) and globs -> image paths; plus one message per input that matched nothing."""
    paths, problems = [], []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in IMAGE_SUFFIXES)
        elif p.is_file():
            found = [p]
        else:
            found = sorted(Path(q) for q in glob.glob(item, recursive=True) if Path(q).is_file())
        if not found:
            problems.append(f"{item}: no such file, folder or matching image")
        paths.extend(found)
    unique = list(dict.fromkeys(paths))
    return unique, problems


def output_stems(paths: list[Path]) -> dict[Path, str]:
    """A distinct output stem per input: its stem, or stem_ext / parent_stem_ext when names collide
    (photo.jpg and photo.png, or a/x.png and b/x.png, never overwrite each other)."""
    stems: dict[Path, str] = {}
    candidates = (lambda p: p.stem, lambda p: f"{p.stem}_{p.suffix.lstrip('.')}",
                  lambda p: f"{p.parent.name}_{p.stem}_{p.suffix.lstrip('.')}")
    for path in paths:
        for make in candidates:
            if sum(make(q) == make(path) for q in paths) == 1 or make is candidates[-1]:
                stems[path] = make(path)
                break
    seen: dict[str, int] = {}
    for path, stem in stems.items():  # last resort: number what still collides
        seen[stem] = seen.get(stem, 0) + 1
        if seen[stem] > 1:
            stems[path] = f"{stem}_{seen[stem]}"
    return stems


def output_path(src: Path, out_dir: Path, layout: str, fmt: str, scale: int, suffix: str = "_x{scale}",
                stem: str | None = None) -> Path:
    tag = suffix.format(scale=scale) + {"sr": "", "lr-sr-hr": "_lr-sr-hr", "compare": "_compare"}[layout]
    return out_dir / f"{stem or src.stem}{tag}.{fmt}"


def save_atomic(img: Image.Image, path: Path, fmt: str, quality: int, icc: bytes | None) -> None:
    kwargs = {"quality": quality} if fmt in ("jpg", "webp") else {}
    if icc and fmt in ("png", "jpg", "webp"):
        kwargs["icc_profile"] = icc
    with atomic_path(path, suffix=f".{fmt}") as tmp:
        img.save(tmp, format=FORMATS[fmt], **kwargs)


def _buffer(shape, out_dir: Path):
    """uint8 output buffer: in memory when small, else a disk-backed memmap (deleted on close)."""
    if int(np.prod(shape)) <= MEMMAP_BYTES:
        return np.empty(shape, np.uint8), None
    handle = tempfile.NamedTemporaryFile(prefix=".srgan-upscale-", suffix=".raw", dir=out_dir, delete=False)
    handle.close()
    return np.memmap(handle.name, dtype=np.uint8, mode="w+", shape=shape), handle.name


def process(src: Path, args, up_a: Upscaler, up_b: Upscaler | None, out_dir: Path, bar_factory,
            stem: str | None = None) -> Path:
    from .metrics import bicubic_upscale
    from .strips import strip_grid

    dest = output_path(src, out_dir, args.layout, args.format, up_a.scale, args.suffix, stem)
    if dest.resolve() == src.resolve():
        raise InputError(f"{src}: the output would overwrite the input; choose another --out")
    if dest.exists() and not args.overwrite:
        raise InputError(f"{dest}: already exists; pass --overwrite to replace it")
    dec = decode(src)
    s = up_a.scale
    if args.layout == "sr":
        shape = (dec.rgb.shape[0] * s, dec.rgb.shape[1] * s, 3)
        buffer, raw = _buffer(shape, out_dir)
        try:
            n_tiles = tile_count(*dec.rgb.shape[:2], up_a.tile)
            with bar_factory(n_tiles, src.name) as bar:
                up_a.upscale(dec.rgb, buffer, on_tile=lambda: bar.update(1))
            alpha = upscale_alpha(dec.alpha, s) if dec.alpha is not None else None
            save_atomic(encode(buffer, alpha, dec.out_mode, args.format), dest, args.format, args.quality,
                        dec.icc_profile)
        finally:
            del buffer
            if raw:
                os.unlink(raw)
        return dest
    hr = dec.rgb[: dec.rgb.shape[0] // s * s, : dec.rgb.shape[1] // s * s]
    if hr.shape[0] < s or hr.shape[1] < s:
        raise InputError(f"{src}: {dec.rgb.shape[1]}x{dec.rgb.shape[0]} is too small to downscale by {s}")
    lr = np.asarray(Image.fromarray(hr).resize((hr.shape[1] // s, hr.shape[0] // s), Image.Resampling.BICUBIC))
    panels, labels = [lr], ["LR (nearest)"]
    if args.layout == "compare":
        panels.append(bicubic_upscale(lr, s))
        labels.append("Bicubic")
    with bar_factory(tile_count(*lr.shape[:2], up_a.tile) * (2 if up_b else 1), src.name) as bar:
        panels.append(up_a.upscale(lr, on_tile=lambda: bar.update(1)))
        labels.append("SR-A" if up_b else "SR")
        if up_b:
            panels.append(up_b.upscale(lr, on_tile=lambda: bar.update(1)))
            labels.append("SR-B")
    panels.append(hr)
    labels.append("HR")
    save_atomic(strip_grid([panels], labels), dest, args.format, args.quality, None)
    return dest


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srgan-upscale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="image files, folders (searched recursively) or globs")
    parser.add_argument("--model", required=True, help="generator .keras file, or a run folder (its generator.keras)")
    parser.add_argument("--model-b", help="a second generator, for --layout compare (LR | Bicubic | SR-A | SR-B | HR)")
    parser.add_argument("--out", default="upscaled", help="output folder (default: upscaled/)")
    parser.add_argument("--layout", choices=LAYOUTS, default=None,
                        help="sr (default), lr-sr-hr, or compare (the default with --model-b)")
    parser.add_argument("--tile", type=int, default=192, help="tile side in input pixels (default 192; lower it "
                        "if memory runs out)")
    parser.add_argument("--overlap", type=int, default=32, help="context pixels around each tile; seams are "
                        "cross-faded over this width (default 32)")
    parser.add_argument("--format", choices=sorted(FORMATS), default="png", help="output format (default png)")
    parser.add_argument("--quality", type=int, default=95, help="jpg/webp quality (default 95)")
    parser.add_argument("--suffix", default="_x{scale}", help="added to each output's file name (default "
                        "_x{scale}; an empty suffix keeps the input's name)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs (never an input)")
    parser.add_argument("--allow-large", action="store_true",
                        help="lift Pillow's decompression-bomb limit (only for images you trust)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def main(argv=None) -> int:
    from .progress import progress_bar as tqdm

    args = build_parser().parse_args(argv)
    args.layout = args.layout or ("compare" if args.model_b else "sr")
    if args.layout == "compare" and not args.model_b:
        print("error: --layout compare needs --model-b", file=sys.stderr)
        return 2
    if args.tile < 8 or args.overlap < 0:
        print(f"error: --tile must be >= 8 and --overlap >= 0 (got {args.tile}, {args.overlap})", file=sys.stderr)
        return 2
    if args.allow_large:
        Image.MAX_IMAGE_PIXELS = None
    try:
        up_a = Upscaler(args.model, args.tile, args.overlap)
        up_b = Upscaler(args.model_b, args.tile, args.overlap) if args.model_b else None
    except (FileNotFoundError, ValueError, OSError) as exc:
        print(f"error: cannot load the model: {exc}", file=sys.stderr)
        return 2
    if up_b and up_b.scale != up_a.scale:
        print(f"error: --model is x{up_a.scale} but --model-b is x{up_b.scale}", file=sys.stderr)
        return 2
    paths, failures = expand_inputs(args.inputs)
    for message in failures:
        print(f"error: {message}", file=sys.stderr)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    def bar_factory(total, name):
        return tqdm(total=total, desc=f"  tiles {name}", unit="tile", leave=False, disable=args.quiet)

    done, stems = 0, output_stems(paths)
    for src in tqdm(paths, desc="images", unit="img", disable=args.quiet or len(paths) < 2):
        try:
            dest = process(src, args, up_a, up_b, out_dir, bar_factory, stems[src])
            done += 1
            if not args.quiet:
                tqdm.write(f"{src} -> {dest}")
        except InputError as exc:
            failures.append(str(exc))
            print(f"error: {exc}", file=sys.stderr)
        except MemoryError:
            failures.append(f"{src}: out of memory")
            print(f"error: {src}: out of memory; try a smaller --tile", file=sys.stderr)
    print(f"{done} of {len(paths)} image(s) upscaled x{up_a.scale} into {out_dir}"
          + (f"; {len(failures)} problem(s)" if failures else ""), file=sys.stderr if failures else sys.stdout)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
