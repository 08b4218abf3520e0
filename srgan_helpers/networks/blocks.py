"""The layers the SRGAN networks are made of, initialised by `init`.

"torch" (the default) draws every kernel and bias from U(+-1/sqrt(fan_in)) and starts PReLU slopes at 0.25,
as PyTorch does by default and as the SRGAN reference implementations train; "keras" is Keras' own default
(glorot_uniform kernels, zero biases, PReLU slope 0). The Keras default learned markedly slower
(benchmarks/RESULTS.md, "initialisation").
"""

from __future__ import annotations

import math

from keras import initializers, layers


def _fan_in_uniform(fan_in: int):
    bound = 1.0 / math.sqrt(fan_in)
    return initializers.RandomUniform(-bound, bound)


def fan_in_initializer(fan_in: int, init: str = "torch"):
    """A kernel's initializer under `init`: U(+-1/sqrt(fan_in)) ("torch") or glorot_uniform ("keras")."""
    return _fan_in_uniform(fan_in) if init == "torch" else initializers.GlorotUniform()


def conv(x, filters: int, kernel: int, name: str, init: str = "torch", strides: int = 1):
    """Conv2D 'same' applied to `x`, initialised by `init` (see the module docstring)."""
    return conv_layer(x.shape[-1], filters, kernel, name, init, strides=strides)(x)


def conv_layer(in_channels: int, filters: int, kernel: int, name: str, init: str = "torch", strides: int = 1,
               dtype=None):
    """The Conv2D 'same' layer itself (not yet applied), initialised by `init`."""
    fan_in = in_channels * kernel * kernel
    weights = fan_in_initializer(fan_in, init)  # (made before the bias's: unseeded initializers draw in order)
    bias = _fan_in_uniform(fan_in) if init == "torch" else "zeros"
    return layers.Conv2D(filters, kernel, strides=strides, padding="same", name=name, dtype=dtype,
                         kernel_initializer=weights, bias_initializer=bias)


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
