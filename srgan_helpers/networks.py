"""The networks a config can name, one table each: generators (`TrainConfig.generator`), discriminators
(`TrainConfig.discriminator`) and content-loss feature extractors (`TrainConfig.content_loss`).

Adding one is an entry here plus its own builder module; the builders import Keras only when called, so
a config is checked without it. Every builder takes (cfg, synchronized_bn) and returns a keras.Model (a
content loss with no feature network, "pixel", returns None).
"""

from __future__ import annotations


def _srresnet(cfg, synchronized_bn: bool = False):
    from .models import build_generator

    return build_generator(cfg.scale, cfg.n_res_blocks, upsample=cfg.upsample, synchronized_bn=synchronized_bn,
                           init=cfg.init)


def _srgan_discriminator(cfg, synchronized_bn: bool = False):
    from .models import build_discriminator

    return build_discriminator(cfg.train_hr_size, head=cfg.d_head, synchronized_bn=synchronized_bn, init=cfg.init)


def _vgg19_features(cfg, synchronized_bn: bool = False):
    from .models import build_vgg_features

    return build_vgg_features(cfg.vgg_layer, cfg.vgg_weights)


def _random_vgg19(cfg, synchronized_bn: bool = False):
    from .random_vgg import build_random_vgg_features

    return build_random_vgg_features()


def _pixel(cfg, synchronized_bn: bool = False):
    return None  # no feature network: the content loss is the pixel MSE itself (the SRGAN paper's SRGAN-MSE)


GENERATORS = {"srresnet": _srresnet}  # SRResNet (Ledig et al. 2017): residual trunk + pixel shuffle
DISCRIMINATORS = {"srgan": _srgan_discriminator}  # the SRGAN discriminator (8 conv blocks + dense head)
CONTENT_LOSSES = {
    "vgg19": _vgg19_features,  # VGG19 features up to cfg.vgg_layer (weights: cfg.vgg_weights; ImageNet by default)
    "random_vgg19": _random_vgg19,  # VGG19 with random weights, five layers (Liu et al. 2021): works offline
    "pixel": _pixel,  # pixel MSE + adversarial (SRGAN-MSE): no feature network
}
TABLES = {"generator": GENERATORS, "discriminator": DISCRIMINATORS, "content_loss": CONTENT_LOSSES}


def build(kind: str, cfg, synchronized_bn: bool = False):
    """The network of `kind` ("generator", "discriminator", "content_loss") that `cfg` names."""
    table = TABLES[kind]
    name = getattr(cfg, kind)
    if name not in table:
        raise ValueError(f"{kind}={name!r}: use one of {sorted(table)}")
    return table[name](cfg, synchronized_bn)
