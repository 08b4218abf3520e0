"""The SRResNet generator (Ledig et al. 2017): a residual trunk, pixel-shuffle x2 steps, tanh output.

Entry of `networks.GENERATORS` ("srresnet"): SETTINGS, check, build, LAYERS. Keras is imported only when a
network is built, so a config is checked without it.
"""

from __future__ import annotations

import math

from .common import INITS, choice_problem

UPSAMPLE_MODES = ("pixel_shuffle", "upsampling_lrelu")  # the paper's, or the original project's
SETTINGS = ("scale", "n_res_blocks", "upsample", "init")  # the TrainConfig fields this network reads
LAYERS = ("srgan_helpers.networks.layers", "srgan_helpers.networks.tf_layers")  # its custom layers


def check(cfg) -> list[str]:
    """What is wrong with this network's settings in `cfg`."""
    problems = choice_problem(cfg, "upsample", UPSAMPLE_MODES) + choice_problem(cfg, "init", INITS)
    return problems + ([] if cfg.n_res_blocks >= 1 else [f"n_res_blocks={cfg.n_res_blocks} must be >= 1"])


def build(cfg, synchronized_bn: bool = False):
    return build_generator(cfg.scale, cfg.n_res_blocks, upsample=cfg.upsample, synchronized_bn=synchronized_bn,
                           init=cfg.init)


def res_block(x, filters: int = 64, synchronized: bool = False, name: str = "res", init: str = "torch"):
    """conv3-BN-PReLU-conv3-BN + skip."""
    from keras import layers

    from .blocks import batch_norm, conv, prelu

    y = conv(x, filters, 3, f"{name}_conv1", init)
    y = batch_norm(f"{name}_bn1", synchronized)(y)
    y = prelu(y, f"{name}_prelu", init)
    y = conv(y, filters, 3, f"{name}_conv2", init)
    y = batch_norm(f"{name}_bn2", synchronized)(y)
    return layers.Add(name=f"{name}_add")([x, y])


def upsample_block(x, mode: str = "pixel_shuffle", name: str = "up", init: str = "torch"):
    """x2: conv3-256 + pixel shuffle + PReLU (paper), or UpSampling2D + conv3-256 + LeakyReLU (the original)."""
    from keras import layers

    from .blocks import conv, prelu
    from .layers import PixelShuffle

    if mode == "pixel_shuffle":
        x = conv(x, 256, 3, f"{name}_conv", init)
        x = PixelShuffle(2, name=f"{name}_shuffle")(x)
        return prelu(x, f"{name}_prelu", init)
    x = layers.UpSampling2D(2, name=f"{name}_upsampling")(x)
    x = conv(x, 256, 3, f"{name}_conv", init)
    return layers.LeakyReLU(0.2, name=f"{name}_lrelu")(x)


def build_generator(scale: int = 4, n_res_blocks: int = 16, filters: int = 64, upsample: str = "pixel_shuffle",
                    name: str = "generator", synchronized_bn: bool = False, init: str = "torch"):
    """SRResNet, fully convolutional on (None, None, 3) inputs in [-1, 1]; output in [-1, 1] (tanh).

    Args:
        scale (int): upscaling factor, a power of two.
        n_res_blocks (int): residual blocks (paper: 16).
        filters (int): channels of the residual trunk (paper: 64).
        upsample (str): "pixel_shuffle" (paper) or "upsampling_lrelu" (the original project).
        synchronized_bn (bool): BatchNorm statistics across replicas (multi-device TensorFlow).
        init (str): "torch" (default) or "keras"; see blocks.py.
    """
    import keras
    from keras import layers

    from .blocks import batch_norm, conv, prelu

    _check_arguments(scale, upsample, init)
    lr = keras.Input((None, None, 3), name="lr")
    x = conv(lr, filters, 9, "head_conv", init)
    skip = x = prelu(x, "head_prelu", init)
    for i in range(n_res_blocks):
        x = res_block(x, filters, synchronized_bn, name=f"res{i}", init=init)
    x = conv(x, filters, 3, "body_conv", init)
    x = batch_norm("body_bn", synchronized_bn)(x)
    x = layers.Add(name="long_skip")([skip, x])
    for i in range(int(math.log2(scale))):
        x = upsample_block(x, upsample, name=f"up{i}", init=init)
    x = conv(x, 3, 9, "tail_conv", init)
    sr = layers.Activation("tanh", dtype="float32", name="sr")(x)
    return keras.Model(lr, sr, name=name)


def _check_arguments(scale: int, upsample: str, init: str) -> None:
    if scale < 2 or scale & (scale - 1):
        raise ValueError(f"scale={scale}: must be a power of two")
    if upsample not in UPSAMPLE_MODES:
        raise ValueError(f"upsample={upsample!r}: use one of {UPSAMPLE_MODES}")
    if init not in INITS:
        raise ValueError(f"init={init!r}: use one of {INITS}")
