import keras
import numpy as np
import pytest

from srgan_helpers.networks.discriminator import build_discriminator
from srgan_helpers.networks.layers import PixelShuffle, VGGPreprocess
from srgan_helpers.networks.srresnet import build_generator
from srgan_helpers.networks.vgg import build_vgg_features

pytestmark = pytest.mark.backend


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_generator_upscales_any_size(scale):
    g = build_generator(scale=scale, n_res_blocks=1)
    for h, w in ((8, 8), (12, 10)):
        out = keras.ops.convert_to_numpy(g(np.zeros((1, h, w, 3), "float32")))
        assert out.shape == (1, h * scale, w * scale, 3)
        assert np.all(np.abs(out) <= 1)


def test_parameter_counts_match_the_paper_and_original():
    assert build_generator().count_params() == 1_554_883
    assert build_generator(upsample="upsampling_lrelu").count_params() == 2_043_779
    assert build_discriminator(176).count_params() == 68_133_697
    assert build_discriminator(176, head="pool").count_params() == 5_219_137


@pytest.mark.parametrize("build", [lambda: build_generator(n_res_blocks=2), lambda: build_discriminator(64)],
                         ids=["generator", "discriminator"])
def test_initialisation_is_pytorchs_default(build):
    """Every kernel and bias uniform in +-1/sqrt(fan_in), PReLU slopes 0.25 (as PyTorch initialises by default):
    the Keras defaults (glorot kernels, zero biases, PReLU slope 0) learned 1.6 dB slower (RESULTS.md)."""
    keras.utils.set_random_seed(0)
    model = build()
    weighted = [layer for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]
    assert weighted
    for layer in weighted:
        kernel, bias = (keras.ops.convert_to_numpy(w) for w in layer.weights)
        bound = 1 / np.sqrt(np.prod(kernel.shape[:-1])) * (1 + 1e-6)  # float32 rounding
        assert np.abs(kernel).max() <= bound and np.abs(bias).max() <= bound, layer.name
        if kernel.size >= 1000:
            assert kernel.std() == pytest.approx(bound / np.sqrt(3), rel=0.1), layer.name
        if bias.size >= 64:
            assert bias.std() > 0.3 * bound, layer.name
    for layer in model.layers:
        if isinstance(layer, keras.layers.PReLU):
            np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.weights[0]), 0.25)


def test_every_prelu_is_per_channel_and_no_lambda():
    g = build_generator(n_res_blocks=2)
    prelus = [layer for layer in g.layers if isinstance(layer, keras.layers.PReLU)]
    assert prelus and all(layer.shared_axes == [1, 2] for layer in prelus)
    assert all(layer.count_params() == 64 for layer in prelus)
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in g.layers)


def test_pixel_shuffle_matches_reference_rearrangement():
    x = np.arange(1 * 2 * 3 * 12, dtype="float32").reshape(1, 2, 3, 12)
    r, c = 2, 3
    ref = x.reshape(1, 2, 3, r, r, c).transpose(0, 1, 3, 2, 4, 5).reshape(1, 4, 6, c)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(PixelShuffle(2)(x)), ref)


def test_discriminator_gives_one_logit_and_pool_head_any_size():
    d = build_discriminator(64, head="flatten")
    assert tuple(d(np.zeros((2, 64, 64, 3), "float32")).shape) == (2, 1)
    p = build_discriminator(head="pool")
    assert tuple(p(np.zeros((1, 48, 80, 3), "float32")).shape) == (1, 1)
    with pytest.raises(ValueError, match="pool"):
        build_discriminator(None, head="flatten")


def test_vgg_preprocessing_and_layer_choice():
    x = np.array([[[[-1.0, 0.0, 1.0]]]], dtype="float32")  # RGB in [-1, 1]
    out = keras.ops.convert_to_numpy(VGGPreprocess()(x))[0, 0, 0]
    np.testing.assert_allclose(out, [255 - 103.939, 127.5 - 116.779, 0 - 123.68], rtol=1e-5)  # BGR, mean removed
    with pytest.warns(UserWarning, match="RANDOM"):
        vgg = build_vgg_features("block2_conv2", weights=None)
    assert not vgg.trainable and not vgg.trainable_weights
    assert tuple(vgg(np.zeros((1, 32, 32, 3), "float32")).shape) == (1, 16, 16, 128)
    with pytest.raises(ValueError, match="not a VGG19 layer"):  # refused before anything is built
        build_vgg_features("block9_conv9", weights=None)


def test_vgg_imagenet_offline_gives_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    import keras.src.utils.file_utils as fu

    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: no network")

    monkeypatch.setattr(fu, "get_file", no_network)
    monkeypatch.setattr(keras.utils, "get_file", no_network)
    import keras.src.applications.vgg19 as vgg19_module

    monkeypatch.setattr(vgg19_module.file_utils, "get_file", no_network)
    with pytest.raises(RuntimeError, match="vgg_weights=<path"):
        build_vgg_features(weights="imagenet")


def test_vgg_weights_from_a_file(tmp_path):
    with pytest.warns(UserWarning):
        source = build_vgg_features("block1_conv2", weights=None)
    trunk = source.get_layer("vgg19_trunk")
    full = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    full.set_weights([w + 0 for w in full.get_weights()])
    path = tmp_path / "vgg19_notop.weights.h5"
    full.save_weights(path)
    loaded = build_vgg_features("block1_conv2", weights=str(path))
    np.testing.assert_allclose(loaded.get_layer("vgg19_trunk").get_weights()[0], full.get_weights()[0])
    assert trunk is not None


def test_keras_export_reloads_in_safe_mode_with_identical_outputs(tmp_path):
    from srgan_helpers.training import export_generator

    g = build_generator(n_res_blocks=1)
    x = np.random.default_rng(0).uniform(-1, 1, (1, 10, 14, 3)).astype("float32")
    path = export_generator(g, tmp_path / "generator.keras")
    reloaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(g(x)), keras.ops.convert_to_numpy(reloaded(x)))
    assert [p.name for p in tmp_path.iterdir()] == ["generator.keras"]


def test_a_lambda_model_is_refused_in_safe_mode(tmp_path):
    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Lambda(lambda t: t * 2)(inp))
    model.save(tmp_path / "evil.keras")
    with pytest.raises(ValueError, match="(?i)lambda|unsafe|safe_mode"):
        keras.saving.load_model(tmp_path / "evil.keras", safe_mode=True)


def test_the_readme_s_ways_to_load_an_exported_generator_work_in_a_fresh_process():
    """README: load_generator(path), or keras.saving.load_model(path, safe_mode=True) after
    srgan_helpers.networks.register_layers() (PixelShuffle and the rest); without it Keras cannot find the class."""
    import subprocess
    import sys

    from srgan_helpers.named_models import resolve_model

    code = f"""
import keras
p = {str(resolve_model("srresnet-x4"))!r}
try:
    keras.saving.load_model(p, safe_mode=True)
except Exception as exc:
    print("PLAIN KERAS FAILS:", "PixelShuffle" in str(exc))
from srgan_helpers.networks import register_layers
register_layers()
keras.saving.load_model(p, safe_mode=True)
print("LOADED AFTER IMPORT")
from srgan_helpers.inference import load_generator
print("LOADED BY load_generator", load_generator(p).count_params())
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert "PLAIN KERAS FAILS: True" in proc.stdout, proc.stdout + proc.stderr[-500:]
    assert "LOADED AFTER IMPORT" in proc.stdout and "LOADED BY load_generator" in proc.stdout, proc.stderr
