"""The weight average (TrainConfig.ema_decay, BasicSR's EMA): its formula, what a run exports, and that a
resumed run continues the very same average (both backends: CI runs this module on TensorFlow and on JAX)."""

import numpy as np
import pytest
from conftest import checkpoint_arrays

from srgan_helpers.training import train
from srgan_helpers.training.averaging import GROUP, WeightAverage

pytestmark = pytest.mark.backend


def test_the_average_follows_its_formula():
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    model.set_weights([np.zeros((2, 3)), np.ones(3)])  # kernel, bias
    average = WeightAverage(0.9, model)
    for value in (10.0, 20.0):
        average.update([np.full((2, 3), value), np.full(3, value)])
    kernel, bias = (np.asarray(v.value) for v in average.averaged_model().trainable_variables)
    assert np.allclose(kernel, 0.1 * 20 + 0.9 * (0.1 * 10))  # 2.9
    assert np.allclose(bias, 0.1 * 20 + 0.9 * (0.1 * 10 + 0.9 * 1))  # 3.71
    assert np.array_equal(model.get_weights()[1], np.ones(3))  # the network itself is left alone


def test_a_run_exports_the_average_and_a_resumed_run_continues_it(tiny_config, tmp_path):
    from srgan_helpers.inference import load_generator

    cfg = tiny_config.replace(epochs=2, ema_decay=0.9)  # 1 pre-training + 2 GAN epochs, 2 steps each
    straight = train(cfg, tmp_path / "straight", progress=False)
    train(cfg.replace(epochs=1), tmp_path / "resumed", progress=False)  # 2 epochs, then the 3rd on resume
    resumed = train(cfg, tmp_path / "resumed", progress=False)
    assert resumed.epochs_run == 1
    a, b = checkpoint_arrays(straight.checkpoint), checkpoint_arrays(resumed.checkpoint)
    for x, y in zip(a[GROUP], b[GROUP]):
        np.testing.assert_allclose(y, x, atol=1e-5)
    exported = [np.asarray(w) for w in load_generator(straight.generator_path).get_weights()]
    model = load_generator(straight.generator_path)
    ordered = [np.asarray(v.value) for v in model.trainable_variables + model.non_trainable_variables]
    assert all(np.array_equal(e, avg) for e, avg in zip(ordered, a[GROUP]))  # the export is the average ...
    raw = a["generator"]
    assert any(not np.allclose(e, r) for e, r in zip(exported, raw))  # ... not the last step's weights


def test_the_weight_average_is_checked_and_locked_on_resume(tiny_config):
    with pytest.raises(ValueError, match=r"ema_decay=1.0 must be in \[0, 1\)"):
        tiny_config.replace(ema_decay=1.0)
    from srgan_helpers.config import resume_clashes

    assert "ema_decay" in resume_clashes(tiny_config, tiny_config.replace(ema_decay=0.999))


def _reference_artifact_map(sr, hr, average, window=7):
    """BasicSR's get_refined_artifact_map, transcribed to numpy (images in [0, 1], NHWC)."""
    residual = np.abs(hr - sr).sum(-1, keepdims=True)
    residual_average = np.abs(hr - average).sum(-1, keepdims=True)
    patch = np.var(residual, axis=(1, 2, 3), ddof=1, keepdims=True) ** (1 / 5)
    pad = window // 2
    padded = np.pad(residual, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (window, window), axis=(1, 2))
    pixel = windows.var(axis=(-1, -2), ddof=1)
    weight = patch * pixel
    weight[residual < residual_average] = 0
    return weight


def test_the_artifact_map_is_ldl_s():
    import keras

    from srgan_helpers.training.losses import artifact_loss, artifact_map

    rng = np.random.default_rng(0)
    hr = rng.uniform(-0.8, 0.8, (2, 24, 20, 3)).astype("float32")
    sr = np.clip(hr + rng.normal(0, 0.2, hr.shape), -1, 1).astype("float32")
    average = np.clip(hr + rng.normal(0, 0.15, hr.shape), -1, 1).astype("float32")
    got = keras.ops.convert_to_numpy(artifact_map(sr, hr, average))
    want = _reference_artifact_map(*((x + 1) / 2 for x in (sr, hr, average)))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-7)
    assert 0 < (got == 0).mean() < 1  # trusted where the average is further off, weighted elsewhere
    smooth = np.clip(hr + 0.1, -1, 1).astype("float32")  # an even offset: no local variance, nothing fake
    assert float(keras.ops.convert_to_numpy(artifact_loss(smooth, hr, hr))) < 1e-3 * float(
        keras.ops.convert_to_numpy(artifact_loss(sr, hr, hr)))


def test_a_gan_trains_with_the_artifact_loss(tiny_config, tmp_path):
    from conftest import log_columns

    with pytest.raises(ValueError, match="set ema_decay too"):
        tiny_config.replace(artifact_weight=1.0)
    plain = train(tiny_config.replace(epochs=1, ema_decay=0.9), tmp_path / "plain", progress=False)
    ldl = train(tiny_config.replace(epochs=1, ema_decay=0.9, artifact_weight=100.0), tmp_path / "ldl", progress=False)
    g_plain, g_ldl = log_columns(plain.log_path)["g_loss"], log_columns(ldl.log_path)["g_loss"]
    assert np.isfinite(g_ldl).all() and g_ldl[-1] > g_plain[-1]  # the same steps, plus the artefact term


def _gradient(loss, x):
    """d loss(x) / dx on the running backend."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return np.asarray(jax.grad(loss)(x))
    import tensorflow as tf

    variable = tf.Variable(x)
    with tf.GradientTape() as tape:
        value = loss(variable)
    return tape.gradient(value, variable).numpy()


def test_the_artifact_map_weighs_the_error_and_is_not_itself_trained():
    """The map says where the detail is fake; it is a weight, not a target: its gradient is held (at weight
    100 a map the generator could lower by evening out its error taught it colour casts: RESULTS.md). So the
    loss's gradient is the map times L1's, pulling SR towards HR wherever the map is not zero."""
    import keras

    from srgan_helpers.training.losses import artifact_loss, artifact_map

    rng = np.random.default_rng(1)
    hr = rng.uniform(-0.8, 0.8, (2, 16, 16, 3)).astype("float32")
    sr = np.clip(hr + rng.normal(0, 0.2, hr.shape), -1, 1).astype("float32")
    average = np.clip(hr + rng.normal(0, 0.15, hr.shape), -1, 1).astype("float32")
    weight = keras.ops.convert_to_numpy(artifact_map(sr, hr, average))
    got = _gradient(lambda v: artifact_loss(v, hr, average), sr)
    want = weight * np.sign(sr - hr) * 0.5 / sr.size  # the mean of |w (sr - hr) / 2| with w held
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-12)
