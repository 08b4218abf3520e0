"""NIQE, the Natural Image Quality Evaluator (Mittal, Soundararajan and Bovik, IEEE SPL 2013): how far an
image's local statistics are from those of pristine natural photos. No reference image is needed; lower is
more natural. The standard algorithm, as the authors' MATLAB code and SR papers compute it:

- the Y channel (BT.601, as PSNR here), `crop_border` pixels cropped, rounded to integers;
- at two scales (the image, then MATLAB's antialiased bicubic `imresize` by 1/2), 96x96-pixel blocks of
  the mean-subtracted, contrast-normalised image (a 7x7 Gaussian window), 18 features per block and scale:
  the shape and spread of a generalised Gaussian, and of asymmetric ones fitted to 4 pairwise products;
- the distance between the multivariate Gaussian of the image's blocks and the authors' pristine model
  (`niqe_pris_params.npz`, shipped with this package).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
from scipy.ndimage import convolve
from scipy.special import gamma

from . import rgb_to_y

PRISTINE = Path(__file__).resolve().parents[1] / "weights" / "niqe_pris_params.npz"
BLOCK = 96
SHAPES = np.arange(0.2, 10.001, 0.001)  # the generalised Gaussian shapes searched (as the authors' code)


@functools.lru_cache(maxsize=1)
def pristine_model() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean 1x36, covariance 36x36, 7x7 Gaussian window) of the authors' pristine-image model."""
    with np.load(PRISTINE) as params:
        return params["mu_pris_param"], params["cov_pris_param"], params["gaussian_window"]


@functools.lru_cache(maxsize=1)
def _shape_ratios() -> np.ndarray:
    return gamma(2 / SHAPES) ** 2 / (gamma(1 / SHAPES) * gamma(3 / SHAPES))


def aggd_fit(values: np.ndarray) -> tuple[float, float, float]:
    """(shape, left scale, right scale) of the asymmetric generalised Gaussian fitted by moment matching."""
    values = values.ravel()
    left, right = np.sqrt(np.mean(values[values < 0] ** 2)), np.sqrt(np.mean(values[values > 0] ** 2))
    ratio = left / right
    r_hat = np.mean(np.abs(values)) ** 2 / np.mean(values ** 2)
    r_norm = r_hat * (ratio ** 3 + 1) * (ratio + 1) / (ratio ** 2 + 1) ** 2
    shape = SHAPES[np.argmin((_shape_ratios() - r_norm) ** 2)]
    spread = np.sqrt(gamma(1 / shape) / gamma(3 / shape))
    return shape, left * spread, right * spread


def block_features(block: np.ndarray) -> list[float]:
    """The 18 features of one normalised block: its own fit, then the fits of 4 neighbour products."""
    shape, left, right = aggd_fit(block)
    features = [shape, (left + right) / 2]
    for shift in ((0, 1), (1, 0), (1, 1), (1, -1)):
        shape, left, right = aggd_fit(block * np.roll(block, shift, axis=(0, 1)))
        features += [shape, (right - left) * gamma(2 / shape) / gamma(1 / shape), left, right]
    return features


def _cubic(x: np.ndarray) -> np.ndarray:
    x = np.abs(x)
    return ((1.5 * x ** 3 - 2.5 * x ** 2 + 1) * (x <= 1)
            + (-0.5 * x ** 3 + 2.5 * x ** 2 - 4 * x + 2) * ((x > 1) & (x <= 2)))


def _halving_weights(length: int) -> tuple[np.ndarray, np.ndarray]:
    """(source indices, weights) of MATLAB's antialiased bicubic resize by 1/2 along one axis of `length`."""
    scale, width = 0.5, 8.0  # antialiasing widens the cubic kernel by 1/scale
    out = np.arange(1, math.ceil(length * scale) + 1)
    centre = out / scale + 0.5 * (1 - 1 / scale)
    first = np.floor(centre - width / 2)
    taps = first[:, None] + np.arange(int(math.ceil(width)) + 2)[None, :]
    weights = scale * _cubic(scale * (centre[:, None] - taps))
    weights /= weights.sum(axis=1, keepdims=True)
    mirrored = np.concatenate([np.arange(length), np.arange(length - 1, -1, -1)])  # MATLAB's symmetric edges
    return mirrored[np.mod(taps.astype(int) - 1, 2 * length)], weights


def matlab_halve(image: np.ndarray) -> np.ndarray:
    """MATLAB's `imresize(image, 0.5)` (bicubic, antialiased) of a 2-D float image."""
    rows, row_weights = _halving_weights(image.shape[0])
    image = np.einsum("ij,ijk->ik", row_weights, image[rows])
    cols, col_weights = _halving_weights(image.shape[1])
    return np.einsum("ij,kij->ki", col_weights, image[:, cols])


def _normalised(image: np.ndarray, window: np.ndarray) -> np.ndarray:
    mu = convolve(image, window, mode="nearest")
    sigma = np.sqrt(np.abs(convolve(image ** 2, window, mode="nearest") - mu ** 2))
    return (image - mu) / (sigma + 1)


def niqe_of_gray(image: np.ndarray) -> float:
    """NIQE of a 2-D float image in [0, 255] holding at least two 96-px blocks."""
    mu_pristine, cov_pristine, window = pristine_model()
    n_h, n_w = image.shape[0] // BLOCK, image.shape[1] // BLOCK
    image = image[:n_h * BLOCK, :n_w * BLOCK].astype(np.float64)
    features = []
    for scale in (1, 2):
        normalised, side = _normalised(image, window), BLOCK // scale
        features.append(np.array([block_features(normalised[i * side:(i + 1) * side, j * side:(j + 1) * side])
                                  for j in range(n_w) for i in range(n_h)]))
        image = matlab_halve(image / 255.0) * 255.0
    features = np.concatenate(features, axis=1)
    mean = np.nanmean(features, axis=0)
    cov = np.cov(features[~np.isnan(features).any(axis=1)], rowvar=False)
    delta = mu_pristine - mean
    return float(np.sqrt(np.squeeze(delta @ np.linalg.pinv((cov_pristine + cov) / 2) @ delta.T)))


def niqe(image: np.ndarray, crop_border: int = 0) -> float:
    """NIQE of a uint8 RGB (or gray) image on its Y channel, `crop_border` pixels cropped from each side.
    Needs two 96-px blocks after the crop (the features' covariance is taken over the blocks)."""
    y = rgb_to_y(image)
    if crop_border:
        y = y[crop_border:-crop_border, crop_border:-crop_border]
    if (y.shape[0] // BLOCK) * (y.shape[1] // BLOCK) < 2:
        raise ValueError(f"NIQE needs two {BLOCK}x{BLOCK} blocks (e.g. {2 * BLOCK}x{BLOCK} pixels) after the "
                         f"{crop_border}-px border; this image is {y.shape[1]}x{y.shape[0]}: score larger images, "
                         f"or leave NIQE out for small ones")
    return niqe_of_gray(np.round(y))
