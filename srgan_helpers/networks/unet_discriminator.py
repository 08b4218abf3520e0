"""The U-Net discriminator with spectral normalisation of Real-ESRGAN (Wang et al., "Real-ESRGAN: Training
Real-World Blind Super-Resolution with Pure Synthetic Data", ICCV 2021 workshops; BasicSR's
UNetDiscriminatorSN): one logit per pixel, so it tells where an image looks fake, not only whether.

Three stride-2 4x4 convolutions down, three bilinear x2 steps up with a skip from the same scale, two more
convolutions and a 1-channel output; LeakyReLU 0.2, no BatchNorm; spectral normalisation (one power
iteration per training call, as PyTorch's: layers.SpectralConv2D) on every convolution but the first and
the last.

Entry of `networks.DISCRIMINATORS` ("unet"): SETTINGS, check, build, LAYERS. Its own setting is
`TrainConfig.discriminator_options`: {"features": 64} by default (Real-ESRGAN's); a CPU run may take 32
(a quarter of the arithmetic).
"""

from __future__ import annotations

from .common import INITS, choice_problem, whole_number_options

DEFAULTS = {"features": 64}  # channels of the first convolution (x2, x4, x8 down the U)
SETTINGS = ("init", "discriminator_options", "crop_size", "hr_size")
LAYERS = ("srgan_helpers.networks.layers",)  # SpectralConv2D
LEAK = 0.2


def options(cfg) -> dict:
    """DEFAULTS with the config's discriminator_options over them."""
    return whole_number_options(cfg, "discriminator_options", "unet", DEFAULTS)[0]


def check(cfg) -> list[str]:
    problems = whole_number_options(cfg, "discriminator_options", "unet", DEFAULTS)[1]
    side = cfg.train_hr_size
    problems += [f"discriminator='unet' needs training patches of a side divisible by 8 (three x2 steps down and "
                 f"up); crop_size/hr_size gives {side}"] if side and side % 8 else []
    return problems + choice_problem(cfg, "init", INITS)


def build(cfg, synchronized_bn: bool = False):
    return build_unet_discriminator(options(cfg)["features"], init=cfg.init)


def _conv(x, filters: int, kernel: int, name: str, init: str, strides: int = 1, spectral: bool = True):
    """A convolution (spectrally normalised and bias-free, or plain with a bias, as BasicSR), then LeakyReLU."""
    from keras import layers

    from .blocks import conv_layer, fan_in_initializer
    from .layers import SpectralConv2D

    if spectral:
        layer = SpectralConv2D(filters, kernel, strides, fan_in_initializer(x.shape[-1] * kernel * kernel, init),
                               name=name)
    else:
        layer = conv_layer(x.shape[-1], filters, kernel, name, init, strides=strides)
    return layers.LeakyReLU(LEAK, name=f"{name}_lrelu")(layer(x))


def build_unet_discriminator(features: int = 64, name: str = "discriminator", init: str = "torch"):
    """Any input size divisible by 8 -> (batch, height, width, 1) float32 logits."""
    import keras
    from keras import layers

    from .blocks import conv_layer

    image = keras.Input((None, None, 3), name="image")
    x0 = _conv(image, features, 3, "u_in", init, spectral=False)
    x1 = _conv(x0, features * 2, 4, "u_down1", init, strides=2)
    x2 = _conv(x1, features * 4, 4, "u_down2", init, strides=2)
    x = _conv(x2, features * 8, 4, "u_down3", init, strides=2)
    for i, skip in enumerate((x2, x1, x0), start=1):
        x = layers.UpSampling2D(2, interpolation="bilinear", name=f"u_up{i}_resize")(x)
        x = _conv(x, skip.shape[-1], 3, f"u_up{i}", init)
        x = layers.Add(name=f"u_up{i}_skip")([x, skip])
    x = _conv(x, features, 3, "u_out1", init)
    x = _conv(x, features, 3, "u_out2", init)
    logits = conv_layer(features, 1, 3, "u_logit", init, dtype="float32")(x)
    return keras.Model(image, logits, name=name)
