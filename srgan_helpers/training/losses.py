"""The generator's pixel term and the adversarial losses (noisy labels), in float32. Content losses are
their network entries' own formulas (networks/)."""

from __future__ import annotations

import numpy as np
from keras import ops

from ..networks.common import mse

__all__ = ["mse", "bce_with_logits", "noisy_labels"]


def bce_with_logits(labels, logits):
    """Mean binary cross-entropy of soft `labels` against `logits` (numerically stable form)."""
    logits = ops.cast(logits, "float32")
    labels = ops.cast(labels, "float32")
    return ops.mean(ops.relu(logits) - logits * labels + ops.log1p(ops.exp(-ops.abs(logits))))


def noisy_labels(rng: np.random.Generator, shape, mean: float, std: float) -> np.ndarray:
    """The original's soft labels: N(mean, std) clipped to [0, 1], float32."""
    return np.clip(rng.normal(mean, std, size=shape), 0.0, 1.0).astype(np.float32)
