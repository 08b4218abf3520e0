"""The generator's pixel term and the adversarial losses (noisy labels), in float32. Content losses are
their network entries' own formulas (networks/)."""

from __future__ import annotations

import numpy as np
from keras import ops

from ..networks.common import mse

__all__ = ["mse", "bce_with_logits", "noisy_labels", "artifact_map", "artifact_loss"]
ARTIFACT_WINDOW = 7  # LDL's local-variance window (pixels)


def bce_with_logits(labels, logits):
    """Mean binary cross-entropy of soft `labels` against `logits` (numerically stable form); one label per
    image (batch, 1) applies to every logit of that image (a per-pixel discriminator's (batch, h, w, 1))."""
    logits = ops.cast(logits, "float32")
    labels = ops.reshape(ops.cast(labels, "float32"), (-1,) + (1,) * (len(logits.shape) - 1))
    return ops.mean(ops.relu(logits) - logits * labels + ops.log1p(ops.exp(-ops.abs(logits))))


def _unit(x):
    return (ops.cast(x, "float32") + 1.0) * 0.5  # [-1, 1] -> [0, 1], the range LDL's weights were made for


def _local_variance(x, window: int):
    """The (unbiased) variance of each pixel's window x window neighbourhood (reflected at the borders)."""
    pad = window // 2
    padded = ops.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")
    mean = ops.average_pool(padded, window, strides=1, padding="valid")
    mean_of_squares = ops.average_pool(padded * padded, window, strides=1, padding="valid")
    n = window * window
    return ops.relu(mean_of_squares - mean * mean) * (n / (n - 1))


def artifact_map(sr, hr, sr_average, window: int = ARTIFACT_WINDOW):
    """LDL's artefact map (Liang et al., "Details or Artifacts", CVPR 2022; BasicSR's
    get_refined_artifact_map): where the residual |HR - SR| varies strongly within a small window, GAN detail is
    likely fake; weighted by the patch's residual variance ^ (1/5), and zero wherever the averaged generator
    (`sr_average`, the EMA) is further from HR than SR (there the detail is trusted)."""
    hr = _unit(hr)
    residual = ops.sum(ops.abs(hr - _unit(sr)), axis=-1, keepdims=True)
    residual_average = ops.sum(ops.abs(hr - _unit(sr_average)), axis=-1, keepdims=True)
    count = ops.cast(ops.shape(residual)[1] * ops.shape(residual)[2], "float32")
    patch = ops.power(ops.var(residual, axis=(1, 2, 3), keepdims=True) * count / (count - 1.0), 0.2)
    weight = patch * _local_variance(residual, window)
    return ops.where(residual < residual_average, 0.0, weight)


def artifact_loss(sr, hr, sr_average):
    """LDL's loss: the L1 distance of SR and HR (in [0, 1]) weighted by the artefact map. The map is held as a
    weight (BasicSR lets its gradient through: a generator can then lower the map by evening out its error,
    and at weight 100 one learned colour casts that way; benchmarks/RESULTS.md)."""
    weight = ops.stop_gradient(artifact_map(sr, hr, sr_average))
    return ops.mean(ops.abs(weight * _unit(sr) - weight * _unit(hr)))


def noisy_labels(rng: np.random.Generator, shape, mean: float, std: float) -> np.ndarray:
    """The original's soft labels: N(mean, std) clipped to [0, 1], float32."""
    return np.clip(rng.normal(mean, std, size=shape), 0.0, 1.0).astype(np.float32)
