"""What both backends' steps share: the loss arithmetic on model outputs."""

from __future__ import annotations

from keras import ops

from .. import losses


def discriminator_terms(real_logits, fake_logits, real_labels, fake_labels):
    d_loss = losses.bce_with_logits(real_labels, real_logits) + losses.bce_with_logits(fake_labels, fake_logits)
    d_real = ops.mean(ops.sigmoid(ops.cast(real_logits, "float32")))
    d_fake = ops.mean(ops.sigmoid(ops.cast(fake_logits, "float32")))
    return d_loss, d_real, d_fake


def generator_terms(sr, hr, features_sr, features_hr, sr_logits, gen_labels, cfg):
    """(perceptual loss, content, adversarial): content (+ optional pixel MSE) + adv_weight x BCE."""
    content = content_term(sr, hr, features_sr, features_hr, cfg)
    if cfg.pixel_weight and cfg.content_loss != "pixel":
        content = content + cfg.pixel_weight * losses.mse(sr, hr)
    adversarial = losses.bce_with_logits(gen_labels, sr_logits)
    return content + cfg.adv_weight * adversarial, content, adversarial


def content_term(sr, hr, features_sr, features_hr, cfg):
    """The content loss `cfg.content_loss` names: pixel MSE, the sum of several layers' feature MSEs, or one
    layer's (ImageNet VGG54) divided by vgg_rescale squared."""
    if features_sr is None:
        return losses.mse(sr, hr)
    if isinstance(features_sr, (list, tuple)):
        return losses.layered_content_loss(features_sr, features_hr)
    return losses.content_loss(features_sr, features_hr, cfg.vgg_rescale)
