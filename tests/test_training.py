"""The training core on the active backend (CI runs this module on TensorFlow and on JAX)."""

import csv

import keras
import numpy as np
import pytest
from conftest import checkpoint_arrays

from srgan_helpers.training import TrainingDiverged, build_models, build_steps, ensure_content_network, train
from srgan_helpers.training.checkpoints import CheckpointManager

pytestmark = pytest.mark.backend


def read_log(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def numeric(rows, key):
    return np.array([float(r[key]) if r[key] else np.nan for r in rows])


def build_tiny(cfg):
    keras.utils.set_random_seed(0)
    models = build_models(cfg)
    ensure_content_network(models, cfg)
    return models, build_steps(models, cfg)


def test_steps_reduce_mse_and_advance_both_optimizers(tiny_config):
    cfg = tiny_config.replace(learning_rate=1e-3)
    models, steps = build_tiny(cfg)
    rng = np.random.default_rng(0)
    hr = rng.uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    lr = hr.reshape(2, 8, 4, 8, 4, 3).mean(axis=(2, 4))
    mse = [float(steps.pretrain_step(lr, hr)["g_loss"]) for _ in range(15)]
    assert mse[-1] < 0.7 * mse[0]
    labels = [np.full((2, 1), v, "float32") for v in (0.9, 0.1, 0.9)]
    for _ in range(3):
        metrics = steps.gan_step(lr, hr, *labels)
    assert set(metrics) == {"d_loss", "g_loss", "content_loss", "adv_loss", "d_real", "d_fake"}
    steps.sync_to_models()
    assert int(keras.ops.convert_to_numpy(models.g_optimizer.iterations)) == 18
    assert int(keras.ops.convert_to_numpy(models.d_optimizer.iterations)) == 3


@pytest.mark.slow
def test_run_writes_log_checkpoints_samples_summary_and_export(tiny_config, tmp_path):
    result = train(tiny_config, tmp_path / "run", progress=False)
    rows = read_log(result.log_path)
    assert [r["epoch"] for r in rows] == ["1", "2", "3"] and [r["phase"] for r in rows] == ["pretrain", "gan", "gan"]
    assert [int(r["step"]) for r in rows] == [2, 4, 6]
    assert all(np.isfinite(numeric(rows[1:], k)).all() for k in ("d_loss", "g_loss", "d_real", "d_fake", "adv_loss"))
    run = tmp_path / "run"
    for name in ("config.json", "model_summary.txt", "generator.keras", "loss_curves.png"):
        assert (run / name).stat().st_size > 0, name
    assert "discriminator" in (run / "model_summary.txt").read_text()
    assert len(list((run / "samples").glob("epoch_*.png"))) == 3
    assert [p.name for p in CheckpointManager(run / "checkpoints").paths()] == ["ckpt-000001", "ckpt-000002",
                                                                                 "ckpt-000003"]
    reloaded = keras.saving.load_model(run / "generator.keras", safe_mode=True)
    assert tuple(reloaded(np.zeros((1, 5, 7, 3), "float32")).shape) == (1, 20, 28, 3)


@pytest.mark.slow
def test_resume_equals_an_uninterrupted_run(tiny_config, tmp_path, finished_run):
    cfg4 = tiny_config.replace(epochs=3)  # 1 pre-training + 3 GAN epochs
    straight = train(cfg4, tmp_path / "straight", progress=False)
    resumed = train(cfg4, finished_run, progress=False)  # a run stopped after 2 epochs: 2 more
    assert resumed.epochs_run == 2
    a, b = read_log(straight.log_path), read_log(resumed.log_path)
    assert [r["epoch"] for r in b] == ["1", "2", "3", "4"]
    for key in ("g_loss", "d_loss", "content_loss", "adv_loss", "d_real", "d_fake"):
        np.testing.assert_allclose(numeric(b, key), numeric(a, key), rtol=0, atol=1e-6, equal_nan=True)
    wa, wb = checkpoint_arrays(straight.checkpoint), checkpoint_arrays(resumed.checkpoint)
    for group in wa:
        for x, y in zip(wa[group], wb[group]):
            np.testing.assert_allclose(x, y, atol=1e-5)


@pytest.mark.slow
def test_resume_after_a_crash_drops_unsaved_rows_and_skips_a_cut_checkpoint(tiny_config, tmp_path, finished_run):
    run = finished_run  # checkpoints 1 and 2
    cfg = tiny_config.replace(epochs=2)
    reference = read_log(train(cfg, tmp_path / "ref", progress=False).log_path)
    npz = run / "checkpoints" / "ckpt-000002" / "arrays.npz"
    npz.write_bytes(npz.read_bytes()[:1000])  # the newest checkpoint was cut off mid-write
    with open(run / "loss_log.csv", "a") as handle:  # and a row was logged after the last good checkpoint
        handle.write("2,gan,4,9,9,9,9,0.5,0.5,0.0001,1,1\n")
    with pytest.warns(UserWarning, match="ckpt-000002"):
        result = train(cfg, run, progress=False)
    rows = read_log(result.log_path)
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    np.testing.assert_allclose(numeric(rows, "g_loss"), numeric(reference, "g_loss"), atol=1e-6)


def test_resume_with_other_architecture_is_refused(tiny_config, finished_run):
    with pytest.raises(ValueError, match="n_res_blocks"):
        train(tiny_config.replace(n_res_blocks=2), finished_run, progress=False)


def test_nan_loss_stops_with_epoch_and_step(tiny_config, tmp_path):
    cfg = tiny_config.replace(learning_rate=1e30, pretrain_epochs=3, epochs=0)
    with pytest.raises(TrainingDiverged, match=r"epoch \d+, step \d+"):
        train(cfg, tmp_path / "run", progress=False)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_runs_and_keeps_float32_losses(tiny_config, tmp_path, policy):
    # one step per phase on 16-px crops: a CPU has no float16 arithmetic (a GAN step at 32 px: ~5 s, emulated)
    cfg = tiny_config.replace(mixed_precision=policy, epochs=1, sample_every=100, crop_size=16, steps_per_epoch=1)
    result = train(cfg, tmp_path / "run", progress=False)
    rows = read_log(result.log_path)
    assert np.isfinite(numeric(rows[1:], "g_loss")).all()
    assert keras.mixed_precision.dtype_policy().name == "float32"  # restored afterwards


def test_a_fine_tune_starts_from_the_given_generator_and_frozen_batchnorm_keeps_its_statistics(
        tiny_config, tmp_path, finished_run):
    """generator_from copies a run's generator in; with freeze_batchnorm the MSE epochs move the
    convolutions but leave every BatchNorm statistic and scale as they were (training = inference)."""
    source = finished_run / "generator.keras"
    cfg = tiny_config.replace(generator_from=str(source), freeze_batchnorm=True, epochs=0, pretrain_epochs=1,
                              tone_patches=0.5)
    models = build_models(cfg)
    start = keras.saving.load_model(source, safe_mode=True)
    for mine, theirs in zip(models.generator.get_weights(), start.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    result = train(cfg, tmp_path / "fine", progress=False)
    tuned = keras.saving.load_model(result.generator_path, safe_mode=True)
    bn = [layer.name for layer in start.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for name in bn:
        for before, after in zip(start.get_layer(name).get_weights(), tuned.get_layer(name).get_weights()):
            np.testing.assert_array_equal(before, after)
    head = [m.get_layer("head_conv").get_weights()[0] for m in (start, tuned)]
    assert not np.array_equal(*head)


def test_a_generator_source_that_is_missing_or_of_another_shape_is_refused_before_anything_is_written(
        tiny_config, tmp_path, finished_run):
    with pytest.raises(ValueError, match="generator_from: .*no such .keras file"):
        train(tiny_config.replace(generator_from=str(tmp_path / "nowhere.keras")), tmp_path / "a", progress=False)
    assert not (tmp_path / "a" / "config.json").exists()
    with pytest.raises(ValueError, match="set n_res_blocks, scale and upsample"):
        build_models(tiny_config.replace(generator_from=str(finished_run), n_res_blocks=2))
    for wrong in ({"n_res_blocks": 2}, {"upsample": "upsampling_lrelu"}):  # the attack: refused after config.json
        with pytest.raises(ValueError, match="set n_res_blocks, scale and upsample"):
            train(tiny_config.replace(generator_from=str(finished_run), **wrong), tmp_path / "b", progress=False)
        assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())
