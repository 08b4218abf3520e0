"""The RRDB generator of ESRGAN (Wang et al., "ESRGAN: Enhanced Super-Resolution Generative Adversarial
Networks", ECCV 2018 workshops; BasicSR's RRDBNet): no BatchNorm, residual-in-residual dense blocks with
residual scaling 0.2, nearest-neighbour x2 steps each followed by a convolution, a linear output.

Entry of `networks.GENERATORS` ("rrdb"): SETTINGS, check, build, LAYERS. Its own settings are
`TrainConfig.generator_options`: {"blocks": 23, "filters": 64, "growth": 32} by default (ESRGAN's).
"""

from __future__ import annotations

import math

from .common import INITS, choice_problem, whole_number_options

DEFAULTS = {"blocks": 23, "filters": 64, "growth": 32}  # RRDB blocks, trunk channels, dense-block growth
SETTINGS = ("scale", "init", "generator_options")
LAYERS = ()  # Keras' own layers only
RESIDUAL_SCALE = 0.2


def options(cfg) -> dict:
    """DEFAULTS with the config's generator_options over them."""
    return whole_number_options(cfg, "generator_options", "rrdb", DEFAULTS)[0]


def check(cfg) -> list[str]:
    return whole_number_options(cfg, "generator_options", "rrdb", DEFAULTS)[1] + choice_problem(cfg, "init", INITS)


def build(cfg, synchronized_bn: bool = False):
    o = options(cfg)
    return build_rrdb_generator(cfg.scale, o["blocks"], o["filters"], o["growth"], init=cfg.init)


def dense_block(x, growth: int, name: str, init: str):
    """Five 3x3 convolutions, each seeing every earlier output (LeakyReLU 0.2 but the last), x 0.2 + input."""
    from keras import layers

    from .blocks import conv

    features = [x]
    for i in range(1, 5):
        joined = features[0] if i == 1 else layers.Concatenate(name=f"{name}_cat{i}")(features)
        grown = conv(joined, growth, 3, f"{name}_conv{i}", init)
        features.append(layers.LeakyReLU(0.2, name=f"{name}_lrelu{i}")(grown))
    out = conv(layers.Concatenate(name=f"{name}_cat5")(features), x.shape[-1], 3, f"{name}_conv5", init)
    return layers.Add(name=f"{name}_add")([x, layers.Rescaling(RESIDUAL_SCALE, name=f"{name}_scale")(out)])


def rrdb_block(x, growth: int, name: str, init: str):
    """Three dense blocks, x 0.2 + input (residual in residual)."""
    from keras import layers

    y = x
    for i in range(3):
        y = dense_block(y, growth, f"{name}_rdb{i}", init)
    return layers.Add(name=f"{name}_add")([x, layers.Rescaling(RESIDUAL_SCALE, name=f"{name}_scale")(y)])


def build_rrdb_generator(scale: int = 4, blocks: int = 23, filters: int = 64, growth: int = 32,
                         init: str = "torch", name: str = "generator"):
    """RRDBNet on (None, None, 3) inputs in [-1, 1]; a linear output (float32), clipped where it is shown."""
    import keras
    from keras import layers

    from .blocks import conv

    if scale < 2 or scale & (scale - 1):
        raise ValueError(f"scale={scale}: must be a power of two")
    lr = keras.Input((None, None, 3), name="lr")
    head = x = conv(lr, filters, 3, "head_conv", init)
    for i in range(blocks):
        x = rrdb_block(x, growth, f"rrdb{i}", init)
    x = layers.Add(name="long_skip")([head, conv(x, filters, 3, "body_conv", init)])
    for i in range(int(math.log2(scale))):
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"up{i}_nearest")(x)
        x = layers.LeakyReLU(0.2, name=f"up{i}_lrelu")(conv(x, filters, 3, f"up{i}_conv", init))
    x = layers.LeakyReLU(0.2, name="hr_lrelu")(conv(x, filters, 3, "hr_conv", init))
    sr = layers.Activation("linear", dtype="float32", name="sr")(conv(x, 3, 3, "tail_conv", init))
    return keras.Model(lr, sr, name=name)
