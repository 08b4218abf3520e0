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
