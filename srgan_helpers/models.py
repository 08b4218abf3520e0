"""Generator (SRResNet), discriminator and VGG19 feature extractor, in backend-neutral Keras 3.

Block functions read like the paper's figure. No Lambda layers: every custom op is a registered
layer, so saved `.keras` files load with `safe_mode=True`.

Initialisation (`init`): "torch" (the default) draws every kernel and bias from U(+-1/sqrt(fan_in)) and
starts PReLU slopes at 0.25, as PyTorch does by default and as the SRGAN reference implementations train;
"keras" is Keras' own default (glorot_uniform kernels, zero biases, PReLU slope 0). The Keras default
learned markedly slower (benchmarks/RESULTS.md, "initialisation").
"""

from __future__ import annotations

import math
import warnings

import keras
from keras import initializers, layers, ops

from .config import INITS, UPSAMPLE_MODES, VGG19_LAYERS
from .pretrained import load_application

VGG_BGR_MEAN = (103.939, 116.779, 123.68)


@keras.saving.register_keras_serializable(package="srgan")
class PixelShuffle(layers.Layer):
    """Sub-pixel convolution's rearrangement: (N, H, W, C*r^2) -> (N, H*r, W*r, C): `ops.depth_to_space`,
    or the same reshape/transpose on Keras < 3.14, which lacks it."""

    def __init__(self, factor: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        if hasattr(ops, "depth_to_space"):
            return ops.depth_to_space(x, self.factor)
        r = self.factor
        shape = ops.shape(x)
        n, h, w, c = shape[0], shape[1], shape[2], x.shape[-1] // (r * r)
        x = ops.reshape(x, (n, h, w, r, r, c))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (n, h * r, w * r, c))

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        r = self.factor
        return (n, None if h is None else h * r, None if w is None else w * r, c // (r * r))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="srgan")
class VGGPreprocess(layers.Layer):
    """[-1, 1] RGB -> VGG's input: [0, 255], RGB -> BGR, ImageNet mean subtracted."""

    def call(self, x):
        x = (ops.cast(x, self.compute_dtype) + 1.0) * 127.5
        x = ops.flip(x, axis=-1)
        return x - ops.convert_to_tensor(VGG_BGR_MEAN, dtype=self.compute_dtype)


def _fan_in_uniform(fan_in: int):
    bound = 1.0 / math.sqrt(fan_in)
    return initializers.RandomUniform(-bound, bound)


def conv(x, filters: int, kernel: int, name: str, init: str = "torch", strides: int = 1):
    """Conv2D 'same', initialised by `init` (see the module docstring)."""
    if init == "keras":
        return layers.Conv2D(filters, kernel, strides=strides, padding="same", name=name)(x)
    fan_in = x.shape[-1] * kernel * kernel
    return layers.Conv2D(filters, kernel, strides=strides, padding="same", name=name,
                         kernel_initializer=_fan_in_uniform(fan_in), bias_initializer=_fan_in_uniform(fan_in))(x)


def dense(x, units: int, name: str, init: str = "torch", dtype=None):
    if init == "keras":
        return layers.Dense(units, name=name, dtype=dtype)(x)
    fan_in = x.shape[-1]
    return layers.Dense(units, name=name, dtype=dtype, kernel_initializer=_fan_in_uniform(fan_in),
                        bias_initializer=_fan_in_uniform(fan_in))(x)


def prelu(x, name=None, init: str = "torch"):
    slope = initializers.Constant(0.25) if init == "torch" else "zeros"
    return layers.PReLU(alpha_initializer=slope, shared_axes=[1, 2], name=name)(x)


def batch_norm(name: str, synchronized: bool = False):
    """BatchNormalization(momentum 0.8, as the original); `synchronized`: statistics over every replica
    (multi-device TensorFlow)."""
    if synchronized:
        from .tf_layers import GlobalBatchNormalization  # TensorFlow's distribution strategies only

        return GlobalBatchNormalization(momentum=0.8, name=name)
    return layers.BatchNormalization(momentum=0.8, name=name)


def res_block(x, filters: int = 64, synchronized: bool = False, name: str = "res", init: str = "torch"):
    """conv3-BN-PReLU-conv3-BN + skip."""
    y = conv(x, filters, 3, f"{name}_conv1", init)
    y = batch_norm(f"{name}_bn1", synchronized)(y)
    y = prelu(y, f"{name}_prelu", init)
    y = conv(y, filters, 3, f"{name}_conv2", init)
    y = batch_norm(f"{name}_bn2", synchronized)(y)
    return layers.Add(name=f"{name}_add")([x, y])


def upsample_block(x, mode: str = "pixel_shuffle", name: str = "up", init: str = "torch"):
    """x2: conv3-256 + pixel shuffle + PReLU (paper), or UpSampling2D + conv3-256 + LeakyReLU (the original)."""
    if mode == "pixel_shuffle":
        x = conv(x, 256, 3, f"{name}_conv", init)
        x = PixelShuffle(2, name=f"{name}_shuffle")(x)
        return prelu(x, f"{name}_prelu", init)
    x = layers.UpSampling2D(2, name=f"{name}_upsampling")(x)
    x = conv(x, 256, 3, f"{name}_conv", init)
    return layers.LeakyReLU(0.2, name=f"{name}_lrelu")(x)


def build_generator(scale: int = 4, n_res_blocks: int = 16, filters: int = 64, upsample: str = "pixel_shuffle",
                    name: str = "generator", synchronized_bn: bool = False, init: str = "torch") -> keras.Model:
    """SRResNet, fully convolutional on (None, None, 3) inputs in [-1, 1]; output in [-1, 1] (tanh).

    Args:
        scale (int): upscaling factor, a power of two.
        n_res_blocks (int): residual blocks (paper: 16).
        filters (int): channels of the residual trunk (paper: 64).
        upsample (str): "pixel_shuffle" (paper) or "upsampling_lrelu" (the original project).
        synchronized_bn (bool): BatchNorm statistics across replicas (multi-device TensorFlow).
        init (str): "torch" (default) or "keras"; see the module docstring.
    """
    if scale < 2 or scale & (scale - 1):
        raise ValueError(f"scale={scale}: must be a power of two")
    if upsample not in UPSAMPLE_MODES:
        raise ValueError(f"upsample={upsample!r}: use one of {UPSAMPLE_MODES}")
    if init not in INITS:
        raise ValueError(f"init={init!r}: use one of {INITS}")
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


def disc_block(x, filters: int, strides: int, name: str, synchronized: bool = False, init: str = "torch"):
    x = conv(x, filters, 3, f"{name}_conv", init, strides=strides)
    x = batch_norm(f"{name}_bn", synchronized)(x)
    return layers.LeakyReLU(0.2, name=f"{name}_lrelu")(x)


DISC_BLOCKS = ((64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 2))


def build_discriminator(hr_size: int | None = 176, head: str = "flatten", name: str = "discriminator",
                        synchronized_bn: bool = False, init: str = "torch") -> keras.Model:
    """The original discriminator; returns one logit per image.

    head="flatten" needs a fixed `hr_size` (Dense 1024 on the flattened maps, as the original);
    head="pool" uses global average pooling and accepts any size.
    """
    if head not in ("flatten", "pool"):
        raise ValueError(f"head={head!r}: use 'flatten' or 'pool'")
    if init not in INITS:
        raise ValueError(f"init={init!r}: use one of {INITS}")
    if head == "flatten" and not hr_size:
        raise ValueError("head='flatten' needs a fixed hr_size; use head='pool' for any size")
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


def build_vgg_features(layer: str = "block5_conv4", weights: str | None = "imagenet",
                       name: str = "vgg_features") -> keras.Model:
    """Frozen VGG19 up to `layer`, taking [-1, 1] RGB; weights "imagenet" (Keras download, cached in
    ~/.keras/models), a path to a no-top weights file, or None (random: tests/offline demos only)."""
    if layer not in VGG19_LAYERS:
        raise ValueError(f"vgg_layer={layer!r} is not a VGG19 layer; choose one of {VGG19_LAYERS}")
    if weights is None:
        warnings.warn("VGG19 with RANDOM weights: the content loss is not perceptual. Use this only for tests "
                      "and offline demos; every figure of this run is labelled so.", stacklevel=2)
    vgg = load_application(keras.applications.VGG19, weights, "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                           "vgg_weights", include_top=False, input_shape=(None, None, 3))
    features = vgg.get_layer(layer).output
    trunk = keras.Model(vgg.input, features, name="vgg19_trunk")
    image = keras.Input((None, None, 3), name="image")
    model = keras.Model(image, trunk(VGGPreprocess(name="vgg_preprocess")(image)), name=name)
    model.trainable = False
    return model


def model_summary(model: keras.Model) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda line, **_: lines.append(line), expand_nested=False)
    return "\n".join(lines)
