"""The tables of networks a config names: every entry builds from a config and checks its own settings; an
unknown name is refused by the config check, naming the choices; a new generator (with a custom layer) and a
new content loss are one entry each, and then train, save, load and upscale; RRDB (ESRGAN) is such an entry."""

import subprocess
import sys

import numpy as np
import pytest
import toy_networks
from conftest import REPO, latest_arrays
from PIL import Image

from srgan_helpers import networks
from srgan_helpers.config import TrainConfig

ENTRIES = [(kind, name) for kind, table in networks.TABLES.items() for name in table]
SMALL = {"n_res_blocks": 1, "crop_size": 32, "d_head": "pool", "vgg_weights": None, "vgg_layer": "block1_conv2",
         "generator_options": None}


@pytest.mark.parametrize(("kind", "name"), ENTRIES)
def test_each_table_entry_builds_from_a_config(kind, name):
    options = {"blocks": 1, "filters": 8, "growth": 4} if (kind, name) == ("generator", "rrdb") else None
    cfg = TrainConfig(**{**SMALL, kind: name, "generator_options": options})
    entry = networks.TABLES[kind][name]
    assert set(entry.SETTINGS) <= set(TrainConfig.__dataclass_fields__) and entry.check(cfg) == []
    network = networks.build(kind, cfg)
    if kind == "generator":
        assert tuple(network(np.zeros((1, 6, 5, 3), "float32")).shape) == (1, 24, 20, 3)
    elif kind == "discriminator":  # one logit per image, or per pixel
        per_pixel = name == "unet"
        assert tuple(network(np.zeros((2, 32, 32, 3), "float32")).shape) == ((2, 32, 32, 1) if per_pixel else (2, 1))
    else:
        assert (network is None) == (name == "pixel") and callable(entry.loss) and entry.describe(cfg)


@pytest.mark.parametrize("kind", sorted(networks.TABLES))
def test_an_unknown_name_is_refused_by_the_config_check_with_the_choices(kind):
    with pytest.raises(ValueError, match=rf"{kind}='nope': use one of \['"):
        TrainConfig(**{kind: "nope"})


@pytest.mark.parametrize(("values", "says"), [
    ({"upsample": "magic"}, "upsample='magic': use one of ('pixel_shuffle', 'upsampling_lrelu')"),
    ({"vgg_layer": "block9_conv9"}, "vgg_layer='block9_conv9': use one of ('block1_conv1'"),
    ({"d_head": "dense"}, "d_head='dense': use one of ('flatten', 'pool')"),
    ({"generator": "rrdb", "generator_options": {"blocks": 0}}, "generator_options['blocks']=0 must be a whole"),
    ({"generator": "rrdb", "generator_options": {"depth": 3}}, "generator_options ['depth']: rrdb knows"),
    ({"discriminator": "unet", "discriminator_options": {"features": 0}}, "discriminator_options['features']=0"),
    ({"discriminator": "unet", "discriminator_options": {"width": 3}}, "discriminator_options ['width']: unet kn"),
    ({"discriminator": "unet", "crop_size": 60}, "discriminator='unet' needs training patches of a side divisible"),
])
def test_each_entry_checks_the_settings_it_reads(values, says):
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        TrainConfig(**values)


def test_an_entry_s_settings_are_checked_only_when_it_is_named():
    assert TrainConfig(content_loss="pixel", vgg_layer="block9_conv9").vgg_layer == "block9_conv9"  # unused there


@pytest.fixture
def toy_tables(monkeypatch):
    monkeypatch.setitem(networks.GENERATORS, "toy", toy_networks.TOY_GENERATOR)
    monkeypatch.setitem(networks.CONTENT_LOSSES, "mean_colour", toy_networks.TOY_CONTENT_LOSS)


def test_a_new_generator_and_content_loss_are_one_entry_each_and_train_save_load_and_upscale(toy_tables, tiny_config,
                                                                                             tmp_path):
    from srgan_helpers.training import train

    cfg = tiny_config.replace(generator="toy", content_loss="mean_colour", epochs=1)
    with pytest.raises(ValueError, match="the toy knows only 1"):
        cfg.replace(generator_options={"gain": 2})
    result = train(cfg, tmp_path / "run", progress=False)
    log = (tmp_path / "run" / "loss_log.csv").read_text()
    assert "mean-colour MSE (toy)" in (tmp_path / "run" / "model_summary.txt").read_text() and ",gan," in log
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (20, 24, 3), np.uint8)).save(tmp_path / "photo.png")
    code = ("import sys; from srgan_helpers import networks; import toy_networks; "
            "networks.GENERATORS['toy'] = toy_networks.TOY_GENERATOR; "  # the one line a user adds
            "from srgan_helpers.inference import upscale; "
            f"sys.exit(upscale.main([{str(tmp_path / 'photo.png')!r}, '--model', {str(result.generator_path)!r}, "
            f"'--out', {str(tmp_path / 'out')!r}, '--quiet']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "PYTHONPATH": str(REPO / "tests")})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert Image.open(tmp_path / "out" / "photo_x4.png").size == (96, 80)


def test_a_model_of_an_unlisted_custom_layer_is_refused_in_one_line(toy_tables, tmp_path):
    """Without the entry, Keras cannot know the layer: load_generator says so in one clear error."""
    generator = toy_networks.TOY_GENERATOR.build(TrainConfig())
    generator.save(tmp_path / "toy.keras")
    path = str(tmp_path / "toy.keras")
    code = (f"from srgan_helpers.inference import load_generator\ntry:\n    load_generator({path!r})\n"
            f"except ValueError as exc:\n    print('REFUSED', exc)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert "REFUSED" in proc.stdout and "ChannelGain" in proc.stdout, proc.stdout + proc.stderr[-1000:]


@pytest.mark.backend
def test_rrdb_is_an_entry_that_trains(tiny_config, tmp_path):
    from srgan_helpers.inference import load_generator
    from srgan_helpers.training import train

    cfg = tiny_config.replace(generator="rrdb", generator_options={"blocks": 1, "filters": 8, "growth": 4},
                              pretrain_epochs=2, epochs=0, sample_every=100)  # the generator's own steps only
    result = train(cfg, tmp_path / "run", progress=False)  # one RRDB block: JAX compiles each of its 16 convs
    generator = load_generator(result.generator_path)
    names = [layer.name for layer in generator.layers]
    assert sum(n.endswith("_rdb2_add") for n in names) == 1 and "BatchNormalization" not in str(generator.layers)
    content = [float(row.split(",")[5]) for row in (tmp_path / "run" / "loss_log.csv").read_text().splitlines()[1:]]
    assert all(np.isfinite(content)) and len(content) == cfg.total_epochs


@pytest.mark.backend
def test_the_unet_discriminator_trains_a_gan_and_its_spectral_norm_moves(tiny_config, tmp_path):
    """Real-ESRGAN's U-Net D (one logit per pixel; the image's label applies to each) in a GAN run: finite
    losses, the power iteration's vector, a non-trainable weight, is updated by the training steps, and a
    second seeded run gives the same weights to the last bit."""
    from srgan_helpers.training import train
    from srgan_helpers.training.bundle import build_models

    cfg = tiny_config.replace(discriminator="unet", discriminator_options={"features": 8}, pretrain_epochs=0,
                              epochs=2, sample_every=100)
    start = build_models(cfg).discriminator
    result = train(cfg, tmp_path / "run", progress=False)
    rows = (tmp_path / "run" / "loss_log.csv").read_text().splitlines()
    header = rows[0].split(",")
    d_loss = [float(row.split(",")[header.index("d_loss")]) for row in rows[1:]]
    assert len(d_loss) == 2 and np.isfinite(d_loss).all() and result.epochs_run == 2
    trained = latest_arrays(tmp_path / "run")["discriminator"]
    vectors = [i for i, w in enumerate(start.weights) if w.path.endswith("vector_u")]
    assert len(vectors) == 8  # every convolution but the first and the last
    assert all(not np.allclose(trained[i], start.get_weights()[i]) for i in vectors)
    train(cfg, tmp_path / "again", progress=False)
    for group, arrays in latest_arrays(tmp_path / "run").items():
        for a, b in zip(arrays, latest_arrays(tmp_path / "again")[group]):
            np.testing.assert_array_equal(a, b, err_msg=group)


@pytest.mark.backend
def test_spectral_conv_divides_by_the_largest_singular_value_and_keeps_the_raw_kernel():
    """PyTorch's spectral_norm: power iterations on training calls converge to the kernel's largest singular
    value; the variable keeps the raw weights (on every backend); an inference call moves nothing."""
    import keras

    from srgan_helpers.networks.layers import SpectralConv2D

    layer = SpectralConv2D(6, 3, kernel_initializer=keras.initializers.RandomNormal(seed=1))
    x = np.random.default_rng(0).random((1, 8, 8, 4), np.float32)
    layer(x)
    raw, u = layer.kernel.numpy().copy(), layer.vector_u.numpy().copy()
    layer(x, training=False)
    assert np.array_equal(layer.vector_u.numpy(), u)
    for _ in range(30):
        layer(x, training=True)
    assert np.array_equal(layer.kernel.numpy(), raw) and not np.array_equal(layer.vector_u.numpy(), u)
    normalized = keras.ops.convert_to_numpy(layer.normalized_kernel()).reshape(-1, 6)
    assert np.linalg.svd(normalized, compute_uv=False)[0] == pytest.approx(1.0, abs=1e-4)
    expected = keras.ops.convert_to_numpy(keras.ops.conv(x, normalized.reshape(raw.shape), padding="same"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), expected, atol=1e-5)


def test_the_unet_discriminator_is_real_esrgan_s():
    from srgan_helpers.networks import unet_discriminator

    network = networks.build("discriminator", TrainConfig(discriminator="unet"))
    assert unet_discriminator.DEFAULTS == {"features": 64}
    # BasicSR's UNetDiscriminatorSN(3, 64): 4,376,897 trainable parameters (the power iteration's u apart)
    trainable = sum(int(np.prod(w.shape)) for w in network.trainable_weights)
    assert trainable == 4_376_897


def test_rrdb_defaults_are_esrgan_s():
    from srgan_helpers.networks import rrdb

    generator = networks.build("generator", TrainConfig(generator="rrdb"))
    assert rrdb.DEFAULTS == {"blocks": 23, "filters": 64, "growth": 32}
    assert generator.count_params() == 16_697_987  # BasicSR's RRDBNet(3, 3, 64, 23, 32) at x4: 16,697,987


def test_the_tile_memory_estimate_comes_from_the_generator():
    from srgan_helpers.inference import memory

    srresnet = networks.build("generator", TrainConfig())
    assert memory.largest_map_per_pixel(srresnet) == 256 * 4  # 256 channels at x2 (then 64 at x4)
    assert 17_000 < memory.window_bytes_per_pixel(srresnet) < 19_000  # the measured 17.6 KiB (memory.py)
    toy = toy_networks.TOY_GENERATOR.build(TrainConfig())
    assert memory.largest_map_per_pixel(toy) == 8 * 16  # its 8 channels at x4
    assert memory.auto_tile(16, memory.window_bytes_per_pixel(toy), free=2**30) > memory.auto_tile(
        16, memory.window_bytes_per_pixel(srresnet), free=2**30)  # a smaller network gets larger tiles
