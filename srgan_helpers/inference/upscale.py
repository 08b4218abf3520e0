"""Upscale your own images with a trained generator: any size (tiled, seamless), any common format.

    srgan-upscale photo.jpg holiday/ 'scans/*.png' --model srresnet-x4 --out upscaled/
    python -m srgan_helpers.upscale ...            (the same; backend from KERAS_BACKEND)

--model takes a shipped model's name (`python -m srgan_helpers.named_models list`), a run folder or a
.keras file. Layouts: sr (the upscaled image), lr-sr-hr (treat the input as ground truth: downscale it,
upscale it back, show LR | SR | HR), compare (LR | Bicubic | SR-A | SR-B | HR; needs --model-b).
Modes: RGB, L, LA, RGBA and 16-bit grayscale keep their mode (alpha is upscaled bicubically and
re-attached); P and CMYK become RGB (RGBA when transparent). EXIF orientation is applied; ICC profiles
are kept; animated and multi-page files give their first frame (the file's line says so). A file that
fails gets one line with the reason (a full disk included); the others are still done; the exit status
is 1 if any failed. Outputs are written under a temp name and renamed: never a partial file, and no temp
file is left behind, also when the run is stopped (Ctrl-C, SIGTERM: what was not done is listed).
Memory: a constant set by --tile, plus the input image and the x4 result (the image encoder needs the
whole result); no float copy of the image is made.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import glob
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .. import interrupts
from ..fileio import atomic_path, owner_tag, remove_stale_temps
from ..images import IMAGE_SUFFIXES, ImageError, frames_note, open_image, to_rgb
from .tiling import tile_count, to_uint8, upscale_tiled

FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}
LAYOUTS = ("sr", "lr-sr-hr", "compare")
MIN_OVERLAP = 8


class InputError(ValueError):
    """A file that cannot be upscaled; the message names it and says why."""


@dataclass
class Decoded:
    rgb: np.ndarray  # uint8 (H, W, 3)
    alpha: np.ndarray | None  # uint8 (H, W) or None
    out_mode: str  # the mode the result is saved in
    icc_profile: bytes | None
    note: str | None = None  # e.g. "first of 12 frames used"


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
    notes = [n for n in (frames_note(img), precision_note(mode)) if n]
    return Decoded(np.asarray(opaque), alpha, out_mode, img.info.get("icc_profile"), "; ".join(notes) or None)


def declared_size(src: Path) -> tuple[int, int, bool]:
    """(width, height, has alpha) from the file's header alone: nothing is decoded. Unreadable headers give
    (0, 0, False): decoding then says what is wrong."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # the size is judged below, by us
        try:
            with Image.open(src) as img:
                return img.width, img.height, "A" in img.mode or "transparency" in img.info
        except Exception:  # noqa: BLE001 - any unreadable header: decode() names the problem
            return 0, 0, False
        finally:
            Image.MAX_IMAGE_PIXELS = limit


def bytes_needed(width: int, height: int, scale: int, alpha: bool) -> int:
    """What upscaling one image allocates at once, by Pillow's layout: the decoded input (4 bytes a pixel:
    Pillow stores RGB as RGBX) and its array (3), the x`scale` result image (4 a pixel) and, with alpha,
    its plane at both sizes and the RGBA result (4 more a pixel)."""
    pixels, out_pixels = width * height, width * height * scale * scale
    return pixels * (7 + (5 if alpha else 0)) + out_pixels * (4 + (5 if alpha else 0))


def check_declared_size(src: Path, scale: int, allow_large: bool) -> None:
    """InputError from the header, before anything is decoded or allocated: an image over Pillow's
    decompression-bomb limit (a 97 KB PNG may declare 100 Mpx), or one whose upscale needs more than half the
    available host memory; --allow-large tries anyway."""
    from .memory import free_host_bytes

    width, height, alpha = declared_size(src)
    if allow_large or not width:
        return
    if Image.MAX_IMAGE_PIXELS and width * height > Image.MAX_IMAGE_PIXELS:
        raise InputError(f"{src}: declares {width}x{height} ({width * height / 1e6:.0f} Mpx), over Pillow's "
                         f"decompression-bomb limit of {Image.MAX_IMAGE_PIXELS / 1e6:.0f} Mpx; if you trust this "
                         f"file, pass --allow-large")
    needed, free = bytes_needed(width, height, scale, alpha), free_host_bytes()
    if needed > free // 2:
        raise InputError(f"{src}: its x{scale} result ({width * scale}x{height * scale}) needs "
                         f"{needed / 2**30:.1f} GiB of memory and {free / 2**30:.1f} GiB is available; split the "
                         f"image, or pass --allow-large to try anyway")


def precision_note(mode: str) -> str | None:
    """Said in the file's line for inputs of more than 8 bits: the model sees (and returns) 8-bit values."""
    if mode.startswith("I") or mode == "F":
        return f"{'16' if mode.startswith('I;16') else '32'}-bit input upscaled with 8-bit precision"
    return None


def encode(img: Image.Image, alpha: np.ndarray | None, mode: str, fmt: str) -> Image.Image:
    """The RGB result in the input's mode (JPEG cannot hold alpha or 16 bits: flattened on white / 8-bit)."""
    if alpha is not None and fmt != "jpg":
        img.putalpha(Image.fromarray(alpha))  # RGB -> RGBA in place
        return img.convert("LA") if mode == "LA" else img
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


MIN_SIDE = 48  # input pixels: smaller images are mirrored out to this before upscaling (then cropped)


def _paste(image: Image.Image, top: int, left: int, block: np.ndarray) -> None:
    image.paste(Image.fromarray(to_uint8(block)), (left, top))


def _checked(on_tile):
    """The per-tile callback, with a check for Ctrl-C / SIGTERM first (a large image stops within a tile)."""

    def tick():
        interrupts.check()
        if on_tile:
            on_tile()

    return tick


def model_label(model_path: str | Path) -> str:
    """What a figure calls a model: a shipped model's name, a run folder's name, a .keras file's stem."""
    path = Path(model_path)
    return path.stem if path.suffix == ".keras" else path.name or str(model_path)


class Upscaler:
    """A loaded generator with its scale and tiling settings."""

    def __init__(self, model_path: str | Path, tile: int | str = 192, overlap: int = 32):
        from . import load_generator, model_scale
        from .memory import auto_tile, window_bytes_per_pixel

        self.model = load_generator(model_path)
        self.label = model_label(model_path)
        self.scale = model_scale(self.model)
        self.auto = tile == "auto"  # sized from free memory, halved on an out-of-memory error
        self.tile, self.overlap = (auto_tile(overlap, window_bytes_per_pixel(self.model)) if self.auto
                                   else int(tile)), overlap
        self.note: str | None = None

    def predict(self, batch: np.ndarray) -> np.ndarray:
        from . import predict

        return predict(self.model, batch)

    def upscale(self, rgb: np.ndarray, on_tile=None) -> Image.Image:
        """uint8 (H, W, 3) -> the x`scale` RGB image, assembled tile by tile (no float copy of the image). An
        image smaller than MIN_SIDE is mirrored out to it first and the result cropped: the network's zero
        padding would otherwise reach every pixel (a 1x1 (200,100,50) came back (160,118,93))."""
        h, w = rgb.shape[:2]
        pad_h, pad_w = max(0, MIN_SIDE - h), max(0, MIN_SIDE - w)
        if pad_h or pad_w:
            rgb = np.pad(rgb, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)),
                         mode="symmetric")
        result = self._tiled(rgb, _checked(on_tile))
        top, left = pad_h // 2 * self.scale, pad_w // 2 * self.scale
        return result.crop((left, top, left + w * self.scale, top + h * self.scale)) if pad_h or pad_w else result

    def _tiled(self, rgb: np.ndarray, on_tile=None) -> Image.Image:
        """The tiled upscale; with --tile auto, an out-of-memory error halves the tile and starts over."""
        from .memory import is_out_of_memory

        while True:
            result = Image.new("RGB", (rgb.shape[1] * self.scale, rgb.shape[0] * self.scale))
            paste = functools.partial(_paste, result)
            try:
                upscale_tiled(self.predict, rgb, self.scale, self.tile, self.overlap, sink=paste, on_tile=on_tile)
                return result
            except Exception as exc:
                if not (self.auto and is_out_of_memory(exc) and self.tile // 2 >= max(16, self.overlap)):
                    raise
                self.tile //= 2
                self.note = f"out of memory: tile halved to {self.tile}"

    def upscale_array(self, rgb: np.ndarray, on_tile=None) -> np.ndarray:
        return np.asarray(self.upscale(rgb, on_tile))


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
    path = out_dir / f"{stem or src.stem}{tag}.{fmt}"
    if path.resolve().parent != out_dir.resolve():
        raise InputError(f"{src}: its output name {path.name!r} would leave --out {out_dir}; nothing was written")
    return path


def save_atomic(img: Image.Image, path: Path, fmt: str, quality: int, icc: bytes | None,
                overwrite: bool = True) -> None:
    """Write `img` whole or not at all; without `overwrite`, never over a file that exists by then (another
    upscale into the same --out may have written it meanwhile: InputError)."""
    kwargs = {"quality": quality} if fmt in ("jpg", "webp") else {}
    if icc and fmt in ("png", "jpg", "webp"):
        kwargs["icc_profile"] = icc
    try:
        with atomic_path(path, suffix=f".{fmt}", exclusive=not overwrite) as tmp:
            img.save(tmp, format=FORMATS[fmt], **kwargs)
    except FileExistsError:
        raise InputError(f"{path}: already exists (written meanwhile by another run?); pass --overwrite to "
                         f"replace it") from None


def process(src: Path, args, up_a: Upscaler, up_b: Upscaler | None, out_dir: Path, bar_factory,
            stem: str | None = None) -> tuple[Path, str | None]:
    """Upscale one file into `out_dir`: (output path, note). InputError names what is wrong with it."""
    dest = output_path(src, out_dir, args.layout, args.format, up_a.scale, args.suffix, stem)
    if dest.resolve() == src.resolve():
        raise InputError(f"{src}: the output would overwrite the input; choose another --out")
    if dest.exists() and not args.overwrite:
        raise InputError(f"{dest}: already exists; pass --overwrite to replace it")
    check_declared_size(src, up_a.scale, args.allow_large)
    dec = decode(src)
    try:
        if args.layout == "sr":
            with bar_factory(tile_count(*dec.rgb.shape[:2], up_a.tile), src.name) as bar:
                result = up_a.upscale(dec.rgb, on_tile=lambda: bar.update(1))
            alpha = upscale_alpha(dec.alpha, up_a.scale) if dec.alpha is not None else None
            save_atomic(encode(result, alpha, dec.out_mode, args.format), dest, args.format, args.quality,
                        dec.icc_profile, args.overwrite)
        else:
            save_atomic(comparison_strip(src, dec.rgb, args, up_a, up_b, bar_factory), dest, args.format,
                        args.quality, None, args.overwrite)
    except OSError as exc:
        raise InputError(f"{src}: could not write {dest} ({exc}); nothing partial was left") from exc
    notes = [n for n in (dec.note, up_a.note) if n]
    up_a.note = None
    return dest, "; ".join(notes) or None


def comparison_strip(src: Path, rgb: np.ndarray, args, up_a: Upscaler, up_b: Upscaler | None, bar_factory):
    """LR | SR | HR (or LR | Bicubic | SR-A | SR-B | HR), each SR panel titled with its model's name: the input
    downscaled, upscaled back, beside itself."""
    from ..analysis.strips import strip_grid
    from ..metrics import bicubic_upscale

    s = up_a.scale
    hr = rgb[: rgb.shape[0] // s * s, : rgb.shape[1] // s * s]
    if hr.shape[0] < s or hr.shape[1] < s:
        raise InputError(f"{src}: {rgb.shape[1]}x{rgb.shape[0]} is too small to downscale by {s}")
    lr = np.asarray(Image.fromarray(hr).resize((hr.shape[1] // s, hr.shape[0] // s), Image.Resampling.BICUBIC))
    panels, labels = [lr], ["LR (nearest)"]
    if args.layout == "compare":
        panels.append(bicubic_upscale(lr, s))
        labels.append("Bicubic")
    with bar_factory(tile_count(*lr.shape[:2], up_a.tile) * (2 if up_b else 1), src.name) as bar:
        panels.append(up_a.upscale_array(lr, on_tile=lambda: bar.update(1)))
        labels.append(up_a.label)
        if up_b:
            panels.append(up_b.upscale_array(lr, on_tile=lambda: bar.update(1)))
            labels.append(up_b.label if up_b.label != up_a.label else f"{up_b.label} (B)")
    return strip_grid([panels + [hr]], labels + ["HR"])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srgan-upscale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="image files, folders (searched recursively) or globs")
    parser.add_argument("--model", required=True, help="a shipped model's name (e.g. srresnet-x4), a run folder "
                        "(its generator.keras) or a generator .keras file")
    parser.add_argument("--model-b", help="a second generator, for --layout compare (LR | Bicubic | SR-A | SR-B | HR)")
    parser.add_argument("--out", default="upscaled", help="output folder (default: upscaled/)")
    parser.add_argument("--layout", choices=LAYOUTS, default=None,
                        help="sr (default), lr-sr-hr, or compare (the default with --model-b)")
    parser.add_argument("--tile", type=tile_argument, default=192, help="tile side in input pixels, >= 8 "
                        "(default 192; memory grows with its square: lower it if memory runs out), or auto: sized "
                        "from free accelerator (or host) memory and halved on an out-of-memory error")
    parser.add_argument("--overlap", type=int, default=32, help=f"context pixels around each tile, from {MIN_OVERLAP} "
                        "to --tile (default 32). Neighbouring tiles are cross-faded over it; the network looks about "
                        "40 input pixels around each pixel, so less context leaves visible seams (0 gave a mean "
                        "error of 36/255), and more than the tile only adds work")
    parser.add_argument("--format", choices=sorted(FORMATS), default="png", help="output format (default png)")
    parser.add_argument("--quality", type=int, default=95, help="jpg/webp quality (default 95)")
    parser.add_argument("--suffix", default="_x{scale}", help="added to each output's file name (default "
                        "_x{scale}; an empty suffix keeps the input's name; no path separators)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs (never an input)")
    parser.add_argument("--allow-large", action="store_true",
                        help="lift Pillow's decompression-bomb limit (only for images you trust)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def tile_argument(text: str) -> int | str:
    """--tile: a whole number of input pixels, or "auto"."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number of input pixels, or auto") from None


def check_arguments(args) -> str | None:
    """The first problem with the arguments, in one line, or None."""
    if args.layout == "compare" and not args.model_b:
        return "--layout compare needs --model-b"
    if args.tile != "auto" and args.tile < 8:
        return f"--tile {args.tile}: must be at least 8 input pixels"
    if not MIN_OVERLAP <= args.overlap <= (1024 if args.tile == "auto" else args.tile):
        return (f"--overlap {args.overlap}: must be from {MIN_OVERLAP} (less leaves visible seams) to the tile size "
                f"{args.tile} (more only adds work); see --help")
    problem = suffix_problem(args.suffix)
    if problem:
        return problem
    if not 1 <= args.quality <= 100:
        return f"--quality {args.quality}: must be from 1 to 100"
    return None


def suffix_problem(suffix: str) -> str | None:
    """What is wrong with an output-name suffix, or None: only the plain field {scale} (a format spec
    allowed, no attribute, index or nested field), and no path separator or '..' in the result."""
    import string

    try:
        fields = [(name, spec) for _, name, spec, _ in string.Formatter().parse(suffix) if name is not None]
        if any(name != "scale" or "{" in (spec or "") for name, spec in fields):
            return f"--suffix {suffix!r}: only {{scale}} may appear in braces (no attributes, indexes or nested fields)"
        tag = suffix.format(scale=4)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        return f"--suffix {suffix!r}: only {{scale}} may appear in braces ({exc})"
    if any(sep in text for text in (suffix, tag) for sep in ("/", "\\", "..")):
        return f"--suffix {suffix!r}: no path separators or '..' (outputs always go into --out)"
    return None


def prepare_out_dir(out: str) -> Path:
    """The output folder, created and proved writable before any model is loaded; OSError says why not."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OSError(f"--out {out} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=f".srgan-upscale-write-test.{owner_tag()}.", suffix=".tmp"):
            pass
    except OSError as exc:
        raise OSError(f"--out {out} cannot be written ({exc.strerror or exc}); choose a writable folder") from exc
    return path


def load_models(args) -> tuple[Upscaler, Upscaler | None]:
    up_a = Upscaler(args.model, args.tile, args.overlap)
    up_b = Upscaler(args.model_b, args.tile, args.overlap) if args.model_b else None
    if up_b and up_b.scale != up_a.scale:
        raise ValueError(f"--model is x{up_a.scale} but --model-b is x{up_b.scale}")
    return up_a, up_b


def run_all(paths: list[Path], args, up_a: Upscaler, up_b: Upscaler | None, out_dir: Path, done: list[Path],
            failures: list[str]) -> None:
    """Upscale every input, appending it to `done` or its one-line reason to `failures`. Raises
    interrupts.Interrupted after Ctrl-C / SIGTERM, at the next tile or image (temp files are removed on the way
    out)."""
    from ..progress import progress_bar, write_line

    def bar_factory(total, name):
        return progress_bar(total=total, desc=f"  tiles {name}", unit="tile", leave=False, disable=args.quiet)

    stems = output_stems(paths)
    for src in progress_bar(paths, desc="images", unit="img", disable=args.quiet or len(paths) < 2):
        interrupts.check()
        try:
            dest, note = process(src, args, up_a, up_b, out_dir, bar_factory, stems[src])
            done.append(src)
            if not args.quiet or note:
                write_line(f"{src} -> {dest}" + (f" ({note})" if note else ""))
        except InputError as exc:
            failures.append(str(exc))
            print(f"error: {exc}", file=sys.stderr)
        except MemoryError:
            failures.append(f"{src}: out of memory")
            print(f"error: {src}: out of memory; try a smaller --tile", file=sys.stderr)
        except OSError as exc:  # e.g. a name too long for the file system once the suffix is added
            failures.append(f"{src}: {exc.strerror or exc}")
            print(f"error: {src}: its output cannot be written ({exc.strerror or exc}); the others go on",
                  file=sys.stderr)


def setup(args) -> tuple[Path, Upscaler, Upscaler | None]:
    """Check the arguments and the output folder, then load the models; ValueError/OSError say what is wrong."""
    problem = check_arguments(args)
    if problem:
        raise ValueError(problem)
    out_dir = prepare_out_dir(args.out)
    leftovers = remove_stale_temps(out_dir)
    if leftovers and not args.quiet:
        print(f"removed {len(leftovers)} temp file(s) a killed run left in {out_dir}")
    try:
        up_a, up_b = load_models(args)
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"cannot load the model: {exc}") from exc
    if not args.quiet:
        for spec in filter(None, (args.model, args.model_b)):
            print(f"model: {describe_model(spec)}")
    return out_dir, up_a, up_b


def describe_model(spec: str) -> str:
    """`spec` as a user reads it: a shipped model's name with its headline score, else the path."""
    from ..named_models import KNOWN, headline_score

    if spec not in KNOWN:
        return str(spec)  # a path: a file, or a run folder (a folder named like a model: ./srresnet-x4)
    score = headline_score(spec)
    return f"{spec} (shipped with the package{'; ' + score if score else ''}; " \
           f"`python -m srgan_helpers.named_models card {spec}`)"


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    paths: list[Path] = []
    done: list[Path] = []

    def not_done() -> str:
        left = [str(p) for p in paths if p not in done]
        return f"{len(done)} of {len(paths)} done; not done: {', '.join(left) or 'none'}"

    with pillow_limit(None if args.allow_large else Image.MAX_IMAGE_PIXELS):  # the handler from the start:
        return interrupts.run_command(lambda: upscale_command(args, paths, done), not_done)  # Ctrl-C while loading


@contextlib.contextmanager
def pillow_limit(pixels: int | None):
    """Pillow's decompression-bomb limit for one command (--allow-large: none), restored after: it is global
    state, and a caller's (a notebook's, a test process's) later images keep their guard."""
    previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, pixels
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def upscale_command(args, paths: list[Path], done: list[Path]) -> int:
    """The command's work; `paths` and `done` are filled as it goes (for the interrupt line)."""
    from ..backend import load_keras

    load_keras()
    args.layout = args.layout or ("compare" if args.model_b else "sr")
    try:
        out_dir, up_a, up_b = setup(args)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    found, failures = expand_inputs(args.inputs)
    paths.extend(found)
    for message in failures:
        print(f"error: {message}", file=sys.stderr)
    run_all(paths, args, up_a, up_b, out_dir, done, failures)
    interrupts.check()  # a signal during the last image is not lost: no success line after it
    print(f"{len(done)} of {len(paths)} image(s) upscaled x{up_a.scale} into {out_dir}"
          + (f"; {len(failures)} problem(s)" if failures else ""), file=sys.stderr if failures else sys.stdout)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
