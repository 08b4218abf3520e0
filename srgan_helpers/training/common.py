"""What both backends' steps share: the loss arithmetic on model outputs."""

from __future__ import annotations

from keras import ops

from .. import networks
from . import losses


def discriminator_terms(real_logits, fake_logits, real_labels, fake_labels):
    d_loss = losses.bce_with_logits(real_labels, real_logits) + losses.bce_with_logits(fake_labels, fake_logits)
    d_real = ops.mean(ops.sigmoid(ops.cast(real_logits, "float32")))
    d_fake = ops.mean(ops.sigmoid(ops.cast(fake_logits, "float32")))
    return d_loss, d_real, d_fake


def generator_terms(sr, hr, features_sr, features_hr, sr_logits, gen_labels, cfg, sr_average=None):
    """(perceptual loss, content, adversarial): content (+ optional pixel MSE) + adv_weight x BCE (+ the
    artefact term, LDL, against `sr_average`: the averaged generator's output, when cfg.artifact_weight)."""
    content = networks.content_loss(sr, hr, features_sr, features_hr, cfg)
    if cfg.pixel_weight and cfg.content_loss != "pixel":
        content = content + cfg.pixel_weight * losses.mse(sr, hr)
    adversarial = losses.bce_with_logits(gen_labels, sr_logits)
    total = content + cfg.adv_weight * adversarial
    if cfg.artifact_weight:
        total = total + cfg.artifact_weight * losses.artifact_loss(sr, hr, sr_average)
    return total, content, adversarial
