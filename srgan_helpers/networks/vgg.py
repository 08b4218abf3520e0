"""The SRGAN paper's content loss: frozen ImageNet VGG19 features up to one layer (VGG54: block5_conv4), their
MSE divided by `vgg_rescale` squared (the paper's 1/12.75).

Entry of `networks.CONTENT_LOSSES` ("vgg19"): SETTINGS, check, preflight, build (the feature network), loss,
describe, figure_note, LAYERS.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from .common import choice_problem, mse

# Every convolution of VGG19 (what `vgg_layer` may name), checked without building the network.
VGG19_LAYERS = tuple(f"block{b}_conv{c}" for b, n in ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4)) for c in range(1, n + 1))
SETTINGS = ("vgg_layer", "vgg_weights", "vgg_rescale")
LAYERS = ("srgan_helpers.networks.layers",)


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"  # what every Keras .h5 weights file starts with


def check(cfg) -> list[str]:
    return choice_problem(cfg, "vgg_layer", VGG19_LAYERS)


def preflight(cfg) -> None:
    """Before training: a vgg_weights path names an existing HDF5 file (ValueError saying what to give)."""
    weights = cfg.vgg_weights
    if not cfg.epochs or weights in (None, "imagenet"):
        return
    if not Path(weights).is_file():
        raise ValueError(f"vgg_weights={weights!r}: use 'imagenet', None (random: tests only) or the path of an "
                         f"existing VGG19 no-top weights file")
    with open(weights, "rb") as handle:
        if handle.read(len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
            raise ValueError(f"vgg_weights={weights!r} is not an HDF5 weights file (.h5): give the VGG19 no-top "
                             f"weights Keras downloads (vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5)")


def build(cfg, synchronized_bn: bool = False):
    return build_vgg_features(cfg.vgg_layer, cfg.vgg_weights)


def loss(sr, hr, features_sr, features_hr, cfg):
    """One layer's feature MSE divided by vgg_rescale squared (the paper's VGG54 / 12.75^2)."""
    return mse(features_sr, features_hr) / (cfg.vgg_rescale * cfg.vgg_rescale)


def figure_note(cfg) -> str | None:
    """The label every figure of a run with untrained VGG weights carries (None otherwise)."""
    return "VGG19 RANDOM WEIGHTS (pipeline test only)" if cfg.vgg_weights is None else None


def describe(cfg) -> str:
    return figure_note(cfg) or f"VGG19 {cfg.vgg_layer} features (weights: {cfg.vgg_weights})"


def build_vgg_features(layer: str = "block5_conv4", weights: str | None = "imagenet", name: str = "vgg_features"):
    """Frozen VGG19 up to `layer`, taking [-1, 1] RGB; weights "imagenet" (Keras download, cached in
    ~/.keras/models), a path to a no-top weights file, or None (random: tests/offline demos only)."""
    import keras

    from .layers import VGGPreprocess
    from .pretrained import load_application

    if layer not in VGG19_LAYERS:
        raise ValueError(f"vgg_layer={layer!r} is not a VGG19 layer; choose one of {VGG19_LAYERS}")
    if weights is None:
        warnings.warn("VGG19 with RANDOM weights: the content loss is not perceptual. Use this only for tests "
                      "and offline demos; every figure of this run is labelled so.", stacklevel=2)
    vgg = load_application(keras.applications.VGG19, weights, "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                           "vgg_weights", include_top=False, input_shape=(None, None, 3))
    trunk = keras.Model(vgg.input, vgg.get_layer(layer).output, name="vgg19_trunk")
    image = keras.Input((None, None, 3), name="image")
    model = keras.Model(image, trunk(VGGPreprocess(name="vgg_preprocess")(image)), name=name)
    model.trainable = False
    return model
