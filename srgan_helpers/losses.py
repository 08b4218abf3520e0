"""Content (VGG features, one layer or several), adversarial (noisy labels) and perceptual losses, in float32."""

from __future__ import annotations

import numpy as np
from keras import ops


def mse(a, b):
    return ops.mean(ops.square(ops.cast(a, "float32") - ops.cast(b, "float32")))


def content_loss(features_sr, features_hr, rescale: float = 12.75):
    """MSE of VGG feature maps, each divided by `rescale` (the paper's 1/12.75)."""
    return mse(features_sr, features_hr) / (rescale * rescale)


def layered_content_loss(features_sr, features_hr):
    """The sum over layers of each layer's feature MSE (a multi-layer feature network; no rescale)."""
    return sum(mse(a, b) for a, b in zip(features_sr, features_hr))


def bce_with_logits(labels, logits):
    """Mean binary cross-entropy of soft `labels` against `logits` (numerically stable form)."""
    logits = ops.cast(logits, "float32")
    labels = ops.cast(labels, "float32")
    return ops.mean(ops.relu(logits) - logits * labels + ops.log1p(ops.exp(-ops.abs(logits))))


def noisy_labels(rng: np.random.Generator, shape, mean: float, std: float) -> np.ndarray:
    """The original's soft labels: N(mean, std) clipped to [0, 1], float32."""
    return np.clip(rng.normal(mean, std, size=shape), 0.0, 1.0).astype(np.float32)
