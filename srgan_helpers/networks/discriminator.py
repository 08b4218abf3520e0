"""The SRGAN discriminator (the original project's): eight conv blocks and a dense head, one logit per image.

Entry of `networks.DISCRIMINATORS` ("srgan"): SETTINGS, check, build, LAYERS.
"""

from __future__ import annotations

from .common import INITS, choice_problem

HEADS = ("flatten", "pool")  # Dense 1024 on the flattened maps (fixed size, the original) or on their mean
SETTINGS = ("crop_size", "hr_size", "d_head", "init")
LAYERS = ("srgan_helpers.networks.tf_layers",)
DISC_BLOCKS = ((64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 2))


def check(cfg) -> list[str]:
    return choice_problem(cfg, "d_head", HEADS) + choice_problem(cfg, "init", INITS)


def build(cfg, synchronized_bn: bool = False):
    return build_discriminator(cfg.train_hr_size, head=cfg.d_head, synchronized_bn=synchronized_bn, init=cfg.init)


def disc_block(x, filters: int, strides: int, name: str, synchronized: bool = False, init: str = "torch"):
    from keras import layers

    from .blocks import batch_norm, conv

    x = conv(x, filters, 3, f"{name}_conv", init, strides=strides)
    x = batch_norm(f"{name}_bn", synchronized)(x)
    return layers.LeakyReLU(0.2, name=f"{name}_lrelu")(x)


def build_discriminator(hr_size: int | None = 176, head: str = "flatten", name: str = "discriminator",
                        synchronized_bn: bool = False, init: str = "torch"):
    """The original discriminator; returns one logit per image.

    head="flatten" needs a fixed `hr_size` (Dense 1024 on the flattened maps, as the original);
    head="pool" uses global average pooling and accepts any size.
    """
    import keras
    from keras import layers

    from .blocks import conv, dense

    _check_arguments(hr_size, head, init)
    side = hr_size if head == "flatten" else None
    hr = keras.Input((side, side, 3), name="image")
    x = conv(hr, 64, 3, "d_head_conv", init)
    x = layers.LeakyReLU(0.2, name="d_head_lrelu")(x)
    for i, (filters, strides) in enumerate(DISC_BLOCKS):
        x = disc_block(x, filters, strides, name=f"d{i}", synchronized=synchronized_bn, init=init)
    x = layers.Flatten(name="flatten")(x) if head == "flatten" else layers.GlobalAveragePooling2D(name="pool")(x)
    x = dense(x, 1024, "dense", init)
    x = layers.LeakyReLU(0.2, name="dense_lrelu")(x)
    logit = dense(x, 1, "logit", init, dtype="float32")
    return keras.Model(hr, logit, name=name)


def _check_arguments(hr_size, head: str, init: str) -> None:
    if head not in HEADS:
        raise ValueError(f"head={head!r}: use 'flatten' or 'pool'")
    if init not in INITS:
        raise ValueError(f"init={init!r}: use one of {INITS}")
    if head == "flatten" and not hr_size:
        raise ValueError("head='flatten' needs a fixed hr_size; use head='pool' for any size")
