"""PSNR and SSIM as SR papers report them: Y channel (ITU-R BT.601, as MATLAB's rgb2ycbcr), `scale`
pixels cropped from each border (BasicSR's `test_y_channel` convention). SSIM from scikit-image with the
Gaussian 11x11, sigma 1.5 window of Wang et al."""

from __future__ import annotations

import numpy as np
from PIL import Image


def rgb_to_y(image: np.ndarray) -> np.ndarray:
    """uint8 RGB (or gray) -> float64 Y in [16, 235], as MATLAB's rgb2ycbcr."""
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    return 16.0 + (img[..., :3] @ np.array([65.481, 128.553, 24.966])) / 255.0


def _prepare(hr: np.ndarray, sr: np.ndarray, crop_border: int, y_channel: bool):
    hr, sr = np.asarray(hr), np.asarray(sr)
    if hr.shape != sr.shape:
        raise ValueError(f"image shapes differ: HR {hr.shape} vs SR {sr.shape}")
    if y_channel:
        hr, sr = rgb_to_y(hr), rgb_to_y(sr)
    else:
        hr, sr = hr.astype(np.float64), sr.astype(np.float64)
    if crop_border:
        inner = (slice(crop_border, -crop_border), slice(crop_border, -crop_border))
        hr, sr = hr[inner], sr[inner]
    return hr, sr


def psnr(hr: np.ndarray, sr: np.ndarray, crop_border: int = 4, y_channel: bool = True) -> float:
    """PSNR in dB of uint8 images (inf when identical)."""
    a, b = _prepare(hr, sr, crop_border, y_channel)
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))


def ssim(hr: np.ndarray, sr: np.ndarray, crop_border: int = 4, y_channel: bool = True) -> float:
    from skimage.metrics import structural_similarity

    a, b = _prepare(hr, sr, crop_border, y_channel)
    kw = dict(data_range=255.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    if a.ndim == 3:
        return float(structural_similarity(a, b, channel_axis=-1, **kw))
    return float(structural_similarity(a, b, **kw))


def bicubic_upscale(lr: np.ndarray, scale: int) -> np.ndarray:
    """Pillow bicubic upsampling of a uint8 image by `scale` (the baseline in every comparison)."""
    img = Image.fromarray(np.asarray(lr, dtype=np.uint8))
    return np.asarray(img.resize((img.width * scale, img.height * scale), Image.Resampling.BICUBIC))
