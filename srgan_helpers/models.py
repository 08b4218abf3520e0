"""Generator (SRResNet), discriminator and VGG19 feature extractor, in backend-neutral Keras 3.

Block functions read like the paper's figure. No Lambda layers: every custom op is a registered
layer, so saved `.keras` files load with `safe_mode=True`.
"""

from __future__ import annotations

import math
import warnings

import keras
from keras import layers, ops

from .pretrained import load_application

VGG_BGR_MEAN = (103.939, 116.779, 123.68)


@keras.saving.register_keras_serializable(package="srgan")
class PixelShuffle(layers.Layer):
    """Sub-pixel convolution's rearrangement: (N, H, W, C*r^2) -> (N, H*r, W*r, C)."""

    def __init__(self, factor: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return ops.depth_to_space(x, self.factor)

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


def prelu(x, name=None):
    return layers.PReLU(shared_axes=[1, 2], name=name)(x)


def batch_norm(name: str, synchronized: bool = False):
    """BatchNormalization(momentum 0.8, as the original); `synchronized` for multi-device TensorFlow."""
    return layers.BatchNormalization(momentum=0.8, synchronized=synchronized, name=name)


def res_block(x, filters: int = 64, synchronized: bool = False, name: str = "res"):
    """conv3-BN-PReLU-conv3-BN + skip."""
    y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv1")(x)
    y = batch_norm(f"{name}_bn1", synchronized)(y)
    y = prelu(y, name=f"{name}_prelu")
    y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv2")(y)
    y = batch_norm(f"{name}_bn2", synchronized)(y)
    return layers.Add(name=f"{name}_add")([x, y])


def upsample_block(x, mode: str = "pixel_shuffle", name: str = "up"):
    """x2: conv3-256 + pixel shuffle + PReLU (paper), or UpSampling2D + conv3-256 + LeakyReLU (seed)."""
    if mode == "pixel_shuffle":
        x = layers.Conv2D(256, 3, padding="same", name=f"{name}_conv")(x)
        x = PixelShuffle(2, name=f"{name}_shuffle")(x)
        return prelu(x, name=f"{name}_prelu")
    x = layers.UpSampling2D(2, name=f"{name}_upsampling")(x)
    x = layers.Conv2D(256, 3, padding="same", name=f"{name}_conv")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_lrelu")(x)


def build_generator(scale: int = 4, n_res_blocks: int = 16, filters: int = 64, upsample: str = "pixel_shuffle",
                    name: str = "generator", synchronized_bn: bool = False) -> keras.Model:
    """SRResNet, fully convolutional on (None, None, 3) inputs in [-1, 1]; output in [-1, 1] (tanh)."""
    if scale < 2 or scale & (scale - 1):
        raise ValueError(f"scale={scale}: must be a power of two")
    if upsample not in ("pixel_shuffle", "seed"):
        raise ValueError(f"upsample={upsample!r}: use 'pixel_shuffle' or 'seed'")
    lr = keras.Input((None, None, 3), name="lr")
    x = layers.Conv2D(filters, 9, padding="same", name="head_conv")(lr)
    skip = x = prelu(x, name="head_prelu")
    for i in range(n_res_blocks):
        x = res_block(x, filters, synchronized_bn, name=f"res{i}")
    x = layers.Conv2D(filters, 3, padding="same", name="body_conv")(x)
    x = batch_norm("body_bn", synchronized_bn)(x)
    x = layers.Add(name="long_skip")([skip, x])
    for i in range(int(math.log2(scale))):
        x = upsample_block(x, upsample, name=f"up{i}")
    x = layers.Conv2D(3, 9, padding="same", name="tail_conv")(x)
    sr = layers.Activation("tanh", dtype="float32", name="sr")(x)
    return keras.Model(lr, sr, name=name)


def disc_block(x, filters: int, strides: int, name: str, synchronized: bool = False):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", name=f"{name}_conv")(x)
    x = batch_norm(f"{name}_bn", synchronized)(x)
    return layers.LeakyReLU(0.2, name=f"{name}_lrelu")(x)


DISC_BLOCKS = ((64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 2))


def build_discriminator(hr_size: int | None = 176, head: str = "flatten", name: str = "discriminator",
                        synchronized_bn: bool = False) -> keras.Model:
    """The original discriminator; returns one logit per image.

    head="flatten" needs a fixed `hr_size` (Dense 1024 on the flattened maps, as the original);
    head="pool" uses global average pooling and accepts any size.
    """
    if head not in ("flatten", "pool"):
        raise ValueError(f"head={head!r}: use 'flatten' or 'pool'")
    if head == "flatten" and not hr_size:
        raise ValueError("head='flatten' needs a fixed hr_size; use head='pool' for any size")
    side = hr_size if head == "flatten" else None
    hr = keras.Input((side, side, 3), name="image")
    x = layers.Conv2D(64, 3, padding="same", name="d_head_conv")(hr)
    x = layers.LeakyReLU(0.2, name="d_head_lrelu")(x)
    for i, (filters, strides) in enumerate(DISC_BLOCKS):
        x = disc_block(x, filters, strides, name=f"d{i}", synchronized=synchronized_bn)
    x = layers.Flatten(name="flatten")(x) if head == "flatten" else layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dense(1024, name="dense")(x)
    x = layers.LeakyReLU(0.2, name="dense_lrelu")(x)
    logit = layers.Dense(1, dtype="float32", name="logit")(x)
    return keras.Model(hr, logit, name=name)


def build_vgg_features(layer: str = "block5_conv4", weights: str | None = "imagenet",
                       name: str = "vgg_features") -> keras.Model:
    """Frozen VGG19 up to `layer`, taking [-1, 1] RGB; weights "imagenet" (Keras download, cached in
    ~/.keras/models), a path to a no-top weights file, or None (random: tests/offline demos only)."""
    if weights is None:
        warnings.warn("VGG19 with RANDOM weights: the content loss is not perceptual. Use this only for tests "
                      "and offline demos; every figure of this run is labelled so.", stacklevel=2)
    vgg = load_application(keras.applications.VGG19, weights, "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                           "vgg_weights", include_top=False, input_shape=(None, None, 3))
    try:
        features = vgg.get_layer(layer).output
    except ValueError as exc:
        names = [lyr.name for lyr in vgg.layers if "conv" in lyr.name]
        raise ValueError(f"vgg_layer={layer!r} is not a VGG19 layer; choose one of {names}") from exc
    trunk = keras.Model(vgg.input, features, name="vgg19_trunk")
    image = keras.Input((None, None, 3), name="image")
    model = keras.Model(image, trunk(VGGPreprocess(name="vgg_preprocess")(image)), name=name)
    model.trainable = False
    return model


def model_summary(model: keras.Model) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda line, **_: lines.append(line), expand_nested=False)
    return "\n".join(lines)
