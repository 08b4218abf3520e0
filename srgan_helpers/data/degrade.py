"""Degradations that turn an HR image into the LR a phone or the web produces: blur, resizing, noise and
JPEG, in two stages, then a sinc filter: the "high-order" model of Real-ESRGAN (Wang et al., ICCVW 2021).
The default ranges are the ones its authors published (xinntao/Real-ESRGAN,
options/train_realesrgan_x4plus.yml); the code is this package's own, on scipy.ndimage and Pillow.

Every draw comes from the numpy Generator passed in: the same seed gives the same LR on any machine and
backend (numpy only), and the loader seeds it by (seed, epoch, step, sample), so a resumed run sees the
same LR. `degrade(hr, rng, ranges, scale)` takes a uint8 HR patch and returns the uint8 LR patch.
"""

from __future__ import annotations

import dataclasses
import io
import math

import numpy as np
from PIL import Image
from scipy import ndimage, special

from ..images import bicubic_resize

MAX_KERNEL = 41  # the largest blur kernel side (Real-ESRGAN draws 7..21)
KERNELS = ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")
RESIZE_MODES = {"area": Image.Resampling.BOX, "bilinear": Image.Resampling.BILINEAR,
                "bicubic": Image.Resampling.BICUBIC}


@dataclasses.dataclass(frozen=True)
class StageRanges:
    """The ranges one degradation stage draws from."""

    kernel_prob: tuple = (0.45, 0.25, 0.12, 0.03, 0.12, 0.03)  # of KERNELS
    sinc_prob: float = 0.1  # a sinc kernel instead
    blur_sigma: tuple = (0.2, 3.0)
    betag_range: tuple = (0.5, 4.0)  # generalised Gaussian shape
    betap_range: tuple = (1.0, 2.0)  # plateau shape
    resize_prob: tuple = (0.2, 0.7, 0.1)  # up, down, keep
    resize_range: tuple = (0.15, 1.5)
    gaussian_noise_prob: float = 0.5  # else Poisson
    noise_range: tuple = (1.0, 30.0)  # Gaussian sigma, in levels of 255
    poisson_scale_range: tuple = (0.05, 3.0)
    gray_noise_prob: float = 0.4
    jpeg_range: tuple = (30, 95)

    def problems(self, prefix: str) -> list[str]:
        """Every value outside what degrade() can use, named with its allowed range."""
        found = [_probability_problem(f"{prefix}.{name}", getattr(self, name))
                 for name in ("sinc_prob", "gaussian_noise_prob", "gray_noise_prob")]
        found += [_range_problem(f"{prefix}.{name}", getattr(self, name), *bounds)
                  for name, bounds in RANGE_BOUNDS.items()]
        found.append(_weights_problem(f"{prefix}.kernel_prob", self.kernel_prob, len(KERNELS), normalised=True))
        found.append(_weights_problem(f"{prefix}.resize_prob", self.resize_prob, 3, normalised=False))
        return [p for p in found if p]


# (lowest, highest, whole numbers only) of each (low, high) range a stage draws from
RANGE_BOUNDS = {"blur_sigma": (0.01, 20, False), "betag_range": (0.01, 20, False), "betap_range": (0.01, 20, False),
                "resize_range": (0.05, 4, False), "noise_range": (0, 255, False), "poisson_scale_range": (0, 20, False),
                "jpeg_range": (1, 100, True)}


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _probability_problem(name: str, value) -> str | None:
    if _finite(value) and 0 <= value <= 1:
        return None
    return f"{name}={value!r}: a probability, a number from 0 to 1"


def _range_problem(name: str, value, lowest, highest, whole: bool) -> str | None:
    kind = "whole numbers" if whole else "numbers"
    ok = (isinstance(value, tuple) and len(value) == 2 and all(_finite(v) for v in value)
          and (not whole or all(float(v).is_integer() for v in value))
          and lowest <= value[0] <= value[1] <= highest)
    return None if ok else f"{name}={list(value) if isinstance(value, tuple) else value!r}: two {kind} [low, high] " \
                           f"with {lowest} <= low <= high <= {highest}"


def _weights_problem(name: str, value, length: int, normalised: bool) -> str | None:
    ok = isinstance(value, tuple) and len(value) == length and all(_finite(v) and v >= 0 for v in value)
    total = sum(value) if ok else 0
    if ok and (total > 0 if normalised else abs(total - 1) < 1e-6):
        return None
    rule = "weights >= 0, not all 0 (scaled to sum to 1)" if normalised else "probabilities >= 0 that sum to 1"
    shown = list(value) if isinstance(value, tuple) else value
    return f"{name}={shown!r}: {length} {rule}"


@dataclasses.dataclass(frozen=True)
class DegradeRanges:
    """Both stages and the final sinc filter; defaults: Real-ESRGAN x4plus's published ranges."""

    first: StageRanges = StageRanges()
    second: StageRanges = StageRanges(blur_sigma=(0.2, 1.5), resize_prob=(0.3, 0.4, 0.3), resize_range=(0.3, 1.2),
                                      noise_range=(1.0, 25.0), poisson_scale_range=(0.05, 2.5))
    second_blur_prob: float = 0.8
    final_sinc_prob: float = 0.8
    kernel_sizes: tuple = (7, 21)  # odd sizes drawn from this range
    clean_prob: float = 0.0  # the share of LR made by a plain bicubic resize instead (keeps clean inputs sharp)

    def problems(self) -> list[str]:
        """Every value of both stages and of the whole outside what degrade() can use, each named with its
        allowed range (checked before a run writes anything)."""
        found = self.first.problems("first") + self.second.problems("second")
        found += [_probability_problem(name, getattr(self, name))
                  for name in ("second_blur_prob", "final_sinc_prob", "clean_prob")]
        sizes = self.kernel_sizes
        if not (isinstance(sizes, tuple) and len(sizes) == 2 and all(isinstance(v, int) and v % 2 for v in sizes)
                and 3 <= sizes[0] <= sizes[1] <= MAX_KERNEL):
            found.append(f"kernel_sizes={list(sizes) if isinstance(sizes, tuple) else sizes!r}: two odd whole "
                         f"numbers [low, high] with 3 <= low <= high <= {MAX_KERNEL}")
        return [f"degradation_ranges: {p}" for p in found if p]

    @classmethod
    def with_overrides(cls, overrides: dict | None) -> DegradeRanges:
        """The defaults with some values replaced: {"first": {"noise_range": [1, 10]}, "final_sinc_prob": 0}."""
        overrides = dict(overrides or {})
        stages = {k: dataclasses.replace(getattr(cls(), k), **{n: _tuple(v) for n, v in overrides.pop(k).items()})
                  for k in ("first", "second") if k in overrides}
        return dataclasses.replace(cls(), **stages, **{k: _tuple(v) for k, v in overrides.items()})


def _tuple(value):
    return tuple(value) if isinstance(value, list) else value


# --- kernels -------------------------------------------------------------------------------------------
def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    half = size // 2
    return np.meshgrid(np.arange(-half, half + 1), np.arange(-half, half + 1), indexing="xy")


def gaussian_family_kernel(size: int, sigma_x: float, sigma_y: float, angle: float, beta: float = 1.0,
                           plateau: bool = False) -> np.ndarray:
    """A normalised (generalised) Gaussian or plateau kernel, anisotropic and rotated by `angle`."""
    x, y = _grid(size)
    c, s = math.cos(angle), math.sin(angle)
    u, v = c * x + s * y, -s * x + c * y
    quad = (u / sigma_x) ** 2 + (v / sigma_y) ** 2
    kernel = 1.0 / (1.0 + quad ** beta) if plateau else np.exp(-0.5 * quad ** beta)
    return kernel / kernel.sum()


def sinc_kernel(size: int, cutoff: float) -> np.ndarray:
    """A circular low-pass (2-D sinc) kernel with cutoff frequency `cutoff` (radians per pixel)."""
    x, y = _grid(size)
    r = np.hypot(x, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        kernel = cutoff * special.j1(cutoff * r) / (2 * np.pi * r)
    kernel[r == 0] = cutoff ** 2 / (4 * np.pi)
    return kernel / kernel.sum()


def _note(notes: list | None, text: str) -> None:
    """Record what was drawn, in words (the degradation preview's titles), when someone asked."""
    if notes is not None:
        notes.append(text)


def random_kernel(rng: np.random.Generator, stage: StageRanges, sizes: tuple, notes: list | None = None) -> np.ndarray:
    """One blur kernel of a stage: a sinc (sinc_prob) or one of KERNELS (kernel_prob)."""
    size = int(rng.choice(np.arange(sizes[0], sizes[1] + 1, 2)))
    if rng.random() < stage.sinc_prob:
        _note(notes, f"sinc blur {size}px")
        return sinc_kernel(size, rng.uniform(np.pi / 3 if size < 13 else np.pi / 5, np.pi))
    kind = KERNELS[rng.choice(len(KERNELS), p=np.asarray(stage.kernel_prob) / sum(stage.kernel_prob))]
    sigma_x = rng.uniform(*stage.blur_sigma)
    sigma_y, angle = (sigma_x, 0.0) if kind.endswith("iso") and not kind.endswith("aniso") else (
        rng.uniform(*stage.blur_sigma), rng.uniform(-np.pi, np.pi))
    beta = 1.0
    if kind.startswith("generalized"):
        beta = rng.uniform(*stage.betag_range)
    elif kind.startswith("plateau"):
        beta = rng.uniform(*stage.betap_range)
    _note(notes, f"{kind.replace('_', ' ')} blur σ{sigma_x:.1f}" + (f"/{sigma_y:.1f}" if sigma_y != sigma_x else ""))
    return gaussian_family_kernel(size, sigma_x, sigma_y, angle, beta, plateau=kind.startswith("plateau"))


# --- the operations (float images in [0, 1], H x W x 3) ------------------------------------------------
def blur(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    return np.stack([ndimage.convolve(image[..., c], kernel, mode="reflect") for c in range(image.shape[-1])], -1)


def resize(image: np.ndarray, width: int, height: int, mode: str) -> np.ndarray:
    """Pillow resize of each channel in float (no rounding between stages)."""
    return np.stack([np.asarray(Image.fromarray(image[..., c].astype(np.float32), mode="F").resize(
        (width, height), RESIZE_MODES[mode])) for c in range(image.shape[-1])], -1)


def gaussian_noise(image: np.ndarray, rng: np.random.Generator, sigma: float, gray: bool) -> np.ndarray:
    """Additive Gaussian noise of `sigma` levels (of 255); `gray`: the same noise on every channel."""
    shape = image.shape[:2] + ((1,) if gray else image.shape[2:])
    return image + rng.normal(0.0, sigma / 255.0, shape)


def poisson_noise(image: np.ndarray, rng: np.random.Generator, scale: float, gray: bool) -> np.ndarray:
    """Shot noise: Poisson counts of the image at 255 levels, its deviation scaled by `scale`."""
    source = np.clip(image.mean(axis=-1, keepdims=True) if gray else image, 0, 1)
    levels = 2 ** np.ceil(np.log2(max(len(np.unique(np.round(source * 255))), 2)))
    noise = rng.poisson(source * levels) / levels - source
    return image + scale * noise


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode as JPEG (Pillow, in memory) at `quality`."""
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buffer, format="JPEG", quality=int(quality))
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), dtype=np.float32) / 255.0


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)


# --- the pipeline --------------------------------------------------------------------------------------
def _stage(image: np.ndarray, rng, stage: StageRanges, sizes, target_hw, do_blur: bool = True,
           with_jpeg: bool = True, notes: list | None = None) -> np.ndarray:
    """Blur, random resize (relative to `target_hw`), noise, then JPEG (the first stage; the second's JPEG
    comes with the final sinc filter)."""
    if do_blur:
        image = blur(image, random_kernel(rng, stage, sizes, notes))
    direction = rng.choice(3, p=stage.resize_prob)
    factor = (rng.uniform(1, stage.resize_range[1]), rng.uniform(stage.resize_range[0], 1), 1.0)[direction]
    h, w = (max(1, int(round(target_hw[0] * factor))), max(1, int(round(target_hw[1] * factor))))
    mode = rng.choice(list(RESIZE_MODES))
    image = resize(image, w, h, mode)
    _note(notes, f"resize x{factor:.2f} {mode}")
    gray = rng.random() < stage.gray_noise_prob
    if rng.random() < stage.gaussian_noise_prob:
        sigma = rng.uniform(*stage.noise_range)
        image = gaussian_noise(image, rng, sigma, gray)
        _note(notes, f"{'gray' if gray else 'colour'} noise σ{sigma:.1f}")
    else:
        amount = rng.uniform(*stage.poisson_scale_range)
        image = poisson_noise(image, rng, amount, gray)
        _note(notes, f"{'gray' if gray else 'colour'} Poisson x{amount:.2f}")
    image = np.clip(image, 0, 1)
    if not with_jpeg:
        return image
    quality = rng.integers(stage.jpeg_range[0], stage.jpeg_range[1] + 1)
    _note(notes, f"JPEG {quality}")
    return jpeg(image, quality)


def degrade(hr: np.ndarray, rng: np.random.Generator, ranges: DegradeRanges | None = None,
            scale: int = 4, notes: list | None = None) -> np.ndarray:
    """uint8 HR (H x W x 3, H and W multiples of `scale`) -> uint8 LR (H/scale x W/scale x 3); `notes`, a
    list, receives what was drawn, in words."""
    ranges = ranges or DegradeRanges()
    lr_hw = (hr.shape[0] // scale, hr.shape[1] // scale)
    if ranges.clean_prob and rng.random() < ranges.clean_prob:  # no draw at all when clean_prob is 0
        _note(notes, "clean: bicubic only")
        return np.asarray(bicubic_resize(Image.fromarray(np.asarray(hr, np.uint8)), lr_hw[1], lr_hw[0]))
    image = np.asarray(hr, dtype=np.float32) / 255.0
    image = _stage(image, rng, ranges.first, ranges.kernel_sizes, hr.shape[:2], notes=notes)
    image = _stage(image, rng, ranges.second, ranges.kernel_sizes, lr_hw, rng.random() < ranges.second_blur_prob,
                   with_jpeg=False, notes=notes)
    final = (sinc_kernel(int(rng.choice(np.arange(ranges.kernel_sizes[0], ranges.kernel_sizes[1] + 1, 2))),
                         rng.uniform(np.pi / 3, np.pi)) if rng.random() < ranges.final_sinc_prob else None)
    mode, quality = rng.choice(list(RESIZE_MODES)), rng.integers(ranges.second.jpeg_range[0],
                                                                  ranges.second.jpeg_range[1] + 1)
    sinc_first = rng.random() < 0.5  # the final sinc + resize before or after the last JPEG, as Real-ESRGAN
    if not sinc_first:
        image = jpeg(np.clip(image, 0, 1), quality)
    image = resize(image, lr_hw[1], lr_hw[0], mode)
    if final is not None:
        image = blur(image, final)
    if sinc_first:
        image = jpeg(np.clip(image, 0, 1), quality)
    _note(notes, ("sinc, " if final is not None else "") + f"JPEG {quality}" + (" last" if sinc_first else " first"))
    return to_uint8(image)


# --- fixed degradations for evaluation -----------------------------------------------------------------
# (Gaussian blur sigma in HR pixels, Gaussian noise sigma in levels of 255, JPEG quality), applied in that
# order around a bicubic /scale: the "mild" and "strong" versions of Set5/Set14/BSD100.
EVAL_RECIPES = {"mild": (0.8, 3.0, 80), "strong": (1.6, 10.0, 40)}


def stable_seed(name: str) -> int:
    """A seed from a file name that is the same in every process and on every machine (not hash())."""
    import zlib

    return zlib.crc32(name.encode("utf-8"))


def eval_degrade(hr: np.ndarray, name: str, level: str, scale: int = 4) -> np.ndarray:
    """The `level` recipe of EVAL_RECIPES on a uint8 HR image, its noise seeded by the image's name."""
    return recipe_degrade(hr, level, np.random.default_rng(stable_seed(name)), scale)


def recipe_degrade(hr: np.ndarray, level: str, rng: np.random.Generator, scale: int = 4) -> np.ndarray:
    """The `level` recipe of EVAL_RECIPES on a uint8 HR image: blur, bicubic /scale, noise drawn from `rng`,
    JPEG; the uint8 LR."""
    if level not in EVAL_RECIPES:
        raise ValueError(f"degrade={level!r}: use one of {sorted(EVAL_RECIPES)}")
    sigma, noise, quality = EVAL_RECIPES[level]
    image = np.asarray(hr, dtype=np.float32) / 255.0
    image = np.stack([ndimage.gaussian_filter(image[..., c], sigma, mode="reflect") for c in range(3)], -1)
    image = resize(image, hr.shape[1] // scale, hr.shape[0] // scale, "bicubic")
    image = gaussian_noise(image, rng, noise, gray=False)
    return to_uint8(jpeg(np.clip(image, 0, 1), quality))
