"""A toy generator with a custom layer and a toy content loss, each one table entry away from training
(tests/test_networks.py): what a new network needs, and nothing more."""

from types import SimpleNamespace

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="toy")
class ChannelGain(layers.Layer):
    """A learned gain per channel: a custom layer Keras can only load once its module is imported."""

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

    def call(self, x):
        return x * self.gain


def _build_generator(cfg, synchronized_bn=False):
    lr = keras.Input((None, None, 3), name="lr")
    x = layers.Conv2D(8, 3, padding="same")(lr)
    x = layers.UpSampling2D(cfg.scale, interpolation="bilinear")(x)
    x = ChannelGain()(layers.Conv2D(3, 3, padding="same")(x))
    return keras.Model(lr, layers.Activation("tanh", dtype="float32", name="sr")(x), name="generator")


def _gain_problems(cfg):
    gain = (cfg.generator_options or {}).get("gain", 1)
    return [] if gain == 1 else [f"generator_options['gain']={gain}: the toy knows only 1"]


TOY_GENERATOR = SimpleNamespace(SETTINGS=("scale", "generator_options"), LAYERS=(__name__,), check=_gain_problems,
                                build=_build_generator)


def _mean_colour_loss(sr, hr, features_sr, features_hr, cfg):
    """The squared difference of the images' mean colours (no feature network)."""
    return ops.mean(ops.square(ops.mean(sr, axis=(1, 2)) - ops.mean(hr, axis=(1, 2))))


TOY_CONTENT_LOSS = SimpleNamespace(SETTINGS=(), LAYERS=(), check=lambda cfg: [], build=lambda cfg, sync=False: None,
                                   loss=_mean_colour_loss, describe=lambda cfg: "mean-colour MSE (toy)")
