"""A perceptual loss that needs no download: VGG19's structure with random weights, after Liu et al.,
"Generic Perceptual Loss for Modeling Structured Output Dependencies" (CVPR 2021).

Their finding: what makes the perceptual loss work for super-resolution is the deep network's structure,
not ImageNet training; a randomly-weighted VGG, initialised so that the scale of its features neither
vanishes nor explodes with depth, compares images at several layers and serves as well. Here: every
VGG19 convolution drawn from He-normal N(0, 2 / fan_in) (the scale that keeps ReLU features' magnitude
through depth), zero biases, the features after the last ReLU of each of the five blocks (relu1_2,
relu2_2, relu3_4, relu4_4, relu5_4), taking the [-1, 1] image itself (random weights know no ImageNet
colour order or mean). The weights come from numpy with a fixed seed, so a run, its resume and both
backends use the very same network; nothing is trained and nothing is downloaded.

Entry of `networks.CONTENT_LOSSES` ("random_vgg19"): SETTINGS, check, build, loss, describe, LAYERS.
"""

from __future__ import annotations

import numpy as np

from .common import mse

# The output of each VGG19 block (its last convolution, ReLU included): the layers the loss compares.
RANDOM_VGG_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv4", "block4_conv4", "block5_conv4")
RANDOM_VGG_SEED = 2021  # one fixed network for every run (the paper's point: any random draw of this scale)
SETTINGS = ()  # nothing to choose: one fixed network
LAYERS = ()


def check(cfg) -> list[str]:
    return []


def build(cfg, synchronized_bn: bool = False):
    return build_random_vgg_features()


def loss(sr, hr, features_sr, features_hr, cfg):
    """The sum over the five layers of each layer's feature MSE (no rescale)."""
    return sum(mse(a, b) for a, b in zip(features_sr, features_hr))


def describe(cfg) -> str:
    return "random-weight VGG19, 5 layers (Liu et al. 2021)"


def he_normal_weights(model, seed: int = RANDOM_VGG_SEED) -> list[np.ndarray]:
    """Every weight of `model` (convolutions only) drawn N(0, 2 / fan_in), biases zero, from numpy."""
    rng = np.random.default_rng(seed)
    weights = []
    for w in model.get_weights():
        if w.ndim == 4:  # (kh, kw, in, out)
            fan_in = w.shape[0] * w.shape[1] * w.shape[2]
            weights.append(rng.normal(0.0, np.sqrt(2.0 / fan_in), size=w.shape).astype(w.dtype))
        else:
            weights.append(np.zeros_like(w))
    return weights


def build_random_vgg_features(layers=RANDOM_VGG_LAYERS, seed: int = RANDOM_VGG_SEED, name: str = "random_vgg19"):
    """Frozen VGG19 (no top) with He-normal random weights; returns the list of `layers`' feature maps."""
    import keras

    vgg = keras.applications.VGG19(weights=None, include_top=False, input_shape=(None, None, 3))
    vgg.set_weights(he_normal_weights(vgg, seed))
    outputs = [vgg.get_layer(layer).output for layer in layers]
    model = keras.Model(vgg.input, outputs, name=name)
    model.trainable = False
    return model
