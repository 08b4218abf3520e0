"""Layers that only TensorFlow's distribution strategies need (several GPUs, a TPU); imported by the
models only when such a strategy is active, so the models stay backend-neutral."""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="srgan")
class GlobalBatchNormalization(layers.BatchNormalization):
    """BatchNormalization whose training statistics span every replica of a TensorFlow distribution
    strategy, computed in two passes (mean, then mean squared deviation) like the single-device layer.
    Keras' own `synchronized=True` uses E[x^2] - E[x]^2, which rounds differently: 2-device runs then
    drifted 3e-4 from 1-device ones within 4 GAN steps; with this layer they agree to rounding."""

    def _moments(self, inputs, mask):
        import tensorflow as tf

        context = tf.distribute.get_replica_context()
        if mask is not None or context is None or context.num_replicas_in_sync == 1:
            return ops.moments(inputs, axes=self._reduction_axes)
        x = ops.cast(inputs, "float32")
        axes = self._reduction_axes
        count = context.all_reduce("SUM", ops.cast(ops.size(x), "float32") / x.shape[-1])
        mean = context.all_reduce("SUM", ops.sum(x, axis=axes)) / count
        variance = context.all_reduce("SUM", ops.sum(ops.square(x - mean), axis=axes)) / count
        return ops.cast(mean, inputs.dtype), ops.cast(variance, inputs.dtype)
