"""The GAN phase's content losses that work offline: VGG19 with random weights after Liu et al. (2021) and
pixel MSE (SRGAN-MSE). Each trains a GAN step on the active backend, is the same network in every process
(no download, no Keras RNG), and is named for what it is in cards and summaries."""

import keras
import numpy as np
import pytest
from PIL import Image

from srgan_helpers import networks
from srgan_helpers.networks import content_loss_name, figure_note
from srgan_helpers.networks.random_vgg import RANDOM_VGG_LAYERS, build_random_vgg_features, he_normal_weights
from srgan_helpers.training import build_models, build_steps, ensure_content_network

pytestmark = pytest.mark.backend
BABOON = "../shared/data/Set14/HR/baboon.png"


def real_patch(size=64):
    try:
        image = np.asarray(Image.open(BABOON).convert("RGB"))[:size, :size]
    except FileNotFoundError:
        pytest.skip("needs ../shared/data")
    return (image[None].astype("float32") / 127.5 - 1.0)


def test_random_vgg_is_one_fixed_network_with_features_that_keep_their_scale_through_depth():
    features = build_random_vgg_features()
    again = build_random_vgg_features()
    assert all(np.array_equal(a, b) for a, b in zip(features.get_weights(), again.get_weights()))
    assert not features.trainable_weights  # frozen: nothing of it is trained
    maps = [keras.ops.convert_to_numpy(f) for f in features(real_patch())]
    assert [m.shape[-1] for m in maps] == [64, 128, 256, 512, 512]
    rms = [float(np.sqrt(np.mean(m ** 2))) for m in maps]
    assert 0.2 < min(rms) and max(rms) < 3.0, rms  # He-normal: neither vanishing nor exploding with depth


def test_random_vgg_weights_are_he_normal_with_zero_biases():
    features = build_random_vgg_features(layers=RANDOM_VGG_LAYERS[:2])
    kernels = [w for w in features.get_weights() if w.ndim == 4]
    biases = [w for w in features.get_weights() if w.ndim == 1]
    for kernel in kernels:
        fan_in = np.prod(kernel.shape[:3])
        assert np.std(kernel) == pytest.approx(np.sqrt(2.0 / fan_in), rel=0.1)
    assert all(not b.any() for b in biases)
    assert len(he_normal_weights(features, seed=1)) == len(features.get_weights())


def test_random_vgg_loss_penalises_blur_more_than_noise_of_the_same_pixel_error():
    """What a perceptual loss is for: at equal pixel MSE, lost structure (blur) costs more than noise."""
    from PIL import ImageFilter

    from srgan_helpers.networks import random_vgg
    from srgan_helpers.networks.common import mse

    hr = real_patch(96)
    image = Image.fromarray(((hr[0] + 1) * 127.5).round().astype("uint8"))
    blurred = np.asarray(image.filter(ImageFilter.GaussianBlur(1)))[None].astype("float32") / 127.5 - 1.0
    sigma = float(np.sqrt(mse(blurred, hr)))
    noisy = (hr + np.random.default_rng(0).normal(0, sigma, hr.shape)).astype("float32")
    assert float(mse(noisy, hr)) == pytest.approx(float(mse(blurred, hr)), rel=0.05)
    features = build_random_vgg_features()
    loss = {name: float(keras.ops.convert_to_numpy(random_vgg.loss(x, hr, features(x), features(hr), None)))
            for name, x in (("noisy", noisy), ("blurred", blurred))}
    assert loss["blurred"] > 1.5 * loss["noisy"], loss  # measured: 2.1x on this patch


@pytest.mark.parametrize("content_loss", ["random_vgg19", "pixel"])
def test_a_gan_step_trains_with_each_offline_content_loss(tiny_config, content_loss):
    cfg = tiny_config.replace(content_loss=content_loss, learning_rate=1e-3)
    keras.utils.set_random_seed(0)
    models = build_models(cfg)
    ensure_content_network(models, cfg)
    assert (models.content_network is None) == (content_loss == "pixel")
    steps = build_steps(models, cfg)
    rng = np.random.default_rng(0)
    hr = rng.uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    lr = hr.reshape(2, 8, 4, 8, 4, 3).mean(axis=(2, 4))
    labels = [np.full((2, 1), v, "float32") for v in (0.9, 0.1, 0.9)]
    pixel_mse = float(np.mean((keras.ops.convert_to_numpy(models.generator(lr, training=True)) - hr) ** 2))
    content = [float(steps.gan_step(lr, hr, *labels)["content_loss"]) for _ in range(4)]
    assert all(np.isfinite(content)) and content[-1] < content[0]
    if content_loss == "pixel":  # SRGAN-MSE: the content term is the pixel MSE itself
        assert content[0] == pytest.approx(pixel_mse, rel=1e-4)
    else:
        assert content[0] > 2 * pixel_mse  # five layers' feature MSEs, each of the order of the pixel MSE


def test_each_content_loss_is_named_for_what_it_is(tiny_config):
    names = {loss: content_loss_name(tiny_config.replace(content_loss=loss, vgg_weights="imagenet"))
             for loss in networks.CONTENT_LOSSES}
    assert names["random_vgg19"].startswith("random-weight VGG19, 5 layers (Liu et al. 2021) + 0.001 x adversarial")
    assert names["pixel"] == "pixel MSE + 0.001 x adversarial"
    assert "block" in names["vgg19"] and "imagenet" in names["vgg19"]
    assert figure_note(tiny_config.replace(content_loss="random_vgg19", vgg_weights=None)) is None
    assert figure_note(tiny_config.replace(content_loss="vgg19", vgg_weights=None)).endswith("test only)")
