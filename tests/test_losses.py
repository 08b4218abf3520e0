import keras
import numpy as np
import pytest

from srgan_helpers.training import losses

pytestmark = pytest.mark.backend


def test_bce_with_logits_matches_the_formula():
    logits = np.array([[-8.0], [-2.0], [0.0], [3.0], [9.0]], dtype="float32")
    labels = np.array([[0.1], [0.9], [0.5], [0.9], [0.95]], dtype="float32")
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    expected = np.mean(-(labels * np.log(p) + (1 - labels) * np.log(1 - p)))
    got = float(keras.ops.convert_to_numpy(losses.bce_with_logits(labels, logits)))
    assert got == pytest.approx(expected, rel=1e-5)
    huge = np.array([[80.0], [-80.0]], dtype="float32")  # no overflow at saturated logits
    saturated = losses.bce_with_logits(np.array([[0.1], [0.9]], "float32"), huge)
    assert np.isfinite(float(keras.ops.convert_to_numpy(saturated)))


def test_the_vgg19_content_loss_rescales_features():
    from srgan_helpers.config import TrainConfig
    from srgan_helpers.networks import vgg

    a = np.full((1, 2, 2, 4), 12.75, "float32")
    b = np.zeros((1, 2, 2, 4), "float32")
    for rescale, expected in ((12.75, 1.0), (1.0, 12.75 ** 2)):
        cfg = TrainConfig(vgg_rescale=rescale)
        assert float(keras.ops.convert_to_numpy(vgg.loss(None, None, a, b, cfg))) == pytest.approx(expected)


def test_perceptual_loss_is_content_plus_weighted_adversarial():
    from srgan_helpers.config import TrainConfig
    from srgan_helpers.training.common import generator_terms

    feats_sr, feats_hr = np.full((1, 2, 2, 4), 12.75, "float32"), np.zeros((1, 2, 2, 4), "float32")
    logits, labels = np.zeros((2, 1), "float32"), np.full((2, 1), 0.9, "float32")
    sr = hr = np.zeros((2, 4, 4, 3), "float32")
    total, content, adversarial = (float(keras.ops.convert_to_numpy(t)) for t in
                                   generator_terms(sr, hr, feats_sr, feats_hr, logits, labels, TrainConfig()))
    assert content == pytest.approx(1.0) and adversarial == pytest.approx(np.log(2), rel=1e-5)
    assert total == pytest.approx(1.0 + 1e-3 * np.log(2), rel=1e-6)


def test_noisy_labels_are_clipped_normal():
    labels = losses.noisy_labels(np.random.default_rng(0), (20000, 1), 0.9, 0.05)
    assert labels.dtype == np.float32 and labels.min() >= 0 and labels.max() <= 1
    assert labels.mean() == pytest.approx(0.9, abs=0.01) and labels.std() == pytest.approx(0.05, abs=0.01)
    assert losses.noisy_labels(np.random.default_rng(0), (1000, 1), 0.97, 0.2).max() == 1.0
