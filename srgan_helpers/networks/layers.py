"""The package's own Keras layers, registered for loading (`register_keras_serializable`). No Lambda layers:
every custom op is a registered layer, so saved `.keras` files load with `safe_mode=True`. An entry lists the
modules holding its layers in its LAYERS; `networks.register_layers()` imports them before a model loads."""

from __future__ import annotations

import keras
from keras import layers, ops

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


@keras.saving.register_keras_serializable(package="srgan")
class SpectralConv2D(layers.Layer):
    """A bias-free 'same' convolution whose kernel is divided by its largest singular value (Miyato et al.
    2018), estimated by one power iteration per training call, as PyTorch's `spectral_norm` (BasicSR): the
    kernel variable keeps the raw weights, the gradient passes through the division, the iteration's vector
    `u` (a non-trainable weight) is detached. (Keras' SpectralNormalization writes the normalised kernel back
    into the variable on TensorFlow but not in JAX's stateless calls: one network, two trainings.)"""

    def __init__(self, filters: int, kernel_size: int, strides: int = 1, kernel_initializer="glorot_uniform",
                 **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.strides = filters, kernel_size, strides
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        shape = (self.kernel_size, self.kernel_size, input_shape[-1], self.filters)
        self.kernel = self.add_weight(name="kernel", shape=shape, initializer=self.kernel_initializer)
        self.vector_u = self.add_weight(name="vector_u", shape=(1, self.filters), trainable=False,
                                        initializer=keras.initializers.RandomNormal())

    def normalized_kernel(self, training: bool = False):
        """kernel / sigma; with `training`, the power iteration's new u is kept for the next call."""
        weights = ops.reshape(self.kernel, (-1, self.filters))
        v = _unit_vector(ops.matmul(self.vector_u, ops.transpose(weights)))
        u = _unit_vector(ops.matmul(v, weights))
        u, v = ops.stop_gradient(u), ops.stop_gradient(v)
        if training:
            self.vector_u.assign(u)
        sigma = ops.sum(ops.matmul(v, weights) * u)
        return self.kernel / sigma

    def call(self, x, training=False):
        kernel = ops.cast(self.normalized_kernel(training), self.compute_dtype)
        return ops.conv(x, kernel, strides=self.strides, padding="same")

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        return (n, None if h is None else -(-h // self.strides), None if w is None else -(-w // self.strides),
                self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


def _unit_vector(x):
    """x / max(|x|, 1e-12), as PyTorch's F.normalize."""
    return x / ops.maximum(ops.sqrt(ops.sum(ops.square(x))), 1e-12)
