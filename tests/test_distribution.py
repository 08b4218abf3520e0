"""Data-parallel training on 2 simulated CPU devices, on JAX (keras.distribution.DataParallel) and on
TensorFlow (MirroredStrategy over 2 logical CPUs, synchronized BatchNorm).

Tolerances. Losses: 1e-4 absolute. Two devices compute the same global-batch means and all-reduced
gradients as one, but add partial sums in another order, so float32 results differ by rounding (about
1e-7 in the first epochs; 1.5e-5 was seen on TensorFlow two epochs after a device-count switch, through
the effect below). Weights: 1e-3 absolute; Adam moments: within 10% as whole arrays (element-wise they
amplify rounding of near-zero gradients: up to 7% was seen on single elements on TensorFlow, whose
synchronized BatchNorm sums partial statistics across replicas, and 6% on JAX for a whole array, the
discriminator's first kernel; a lost or scrambled state is 100% off); iteration counters: exactly. The conv
biases in front of a BatchNorm have a true gradient of exactly zero (BN removes the mean), so their
computed gradient is pure rounding noise, and Adam normalises that noise into steps of up to
(1 - beta_1) / sqrt(1 - beta_2) ~ 3.2 learning rates whatever its size: such parameters may drift by that
much per step between any two summation orders, and are compared with that bound. All others agree
to rounding.
"""

import csv

import numpy as np
import pytest
from conftest import latest_arrays, run_training_worker

KEYS = ("g_loss", "d_loss", "content_loss", "adv_loss", "d_real", "d_fake")


def train_in_process(backend, config, *jobs):
    """Run (run_dir, devices, epochs) jobs in order, in one fresh process that sees 2 simulated devices;
    a job ("copy", source, target) copies a run folder as it is at that moment."""
    return run_training_worker(backend, 2, config, [f"{kind}:{a}:{b}" for kind, a, b in jobs])


def log_of(run_dir):
    with open(run_dir / "loss_log.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {k: np.array([float(r[k]) if r[k] else np.nan for r in rows]) for k in KEYS + ("epoch",)}


def weights_of(run_dir):
    return latest_arrays(run_dir)


def dead_bias_indices(model) -> set[int]:
    """Positions (in get_weights order) of conv biases whose only consumer is a BatchNormalization, and of
    that BatchNorm's moving mean, which follows them. The biases' true gradient is zero, so Adam turns
    rounding noise into steps of up to (1 - beta_1) / sqrt(1 - beta_2) ~ 3.2 learning rates each, in either
    direction."""
    import keras

    drifting = set()
    for layer in model.layers:
        consumers = [node.operation for node in getattr(layer, "_outbound_nodes", [])]
        if isinstance(layer, keras.layers.Conv2D) and layer.use_bias and consumers and all(
                isinstance(c, keras.layers.BatchNormalization) for c in consumers):
            drifting |= {layer.bias.path, *(c.moving_mean.path for c in consumers)}
    return {i for i, v in enumerate(model.weights) if v.path in drifting}


def network_tolerances(cfg, steps: int) -> dict[str, dict[int, float]]:
    """Per network, the tolerance of each dead bias and its BatchNorm's moving mean (steps x 3.2 x lr); all
    other weights use 1e-3."""
    from srgan_helpers.training.bundle import build_models

    models = build_models(cfg)
    drift = steps * 3.2 * cfg.learning_rate
    return {name: dict.fromkeys(dead_bias_indices(model), drift)
            for name, model in (("generator", models.generator), ("discriminator", models.discriminator))}


def assert_same(a, b, rows=None):
    for key in KEYS:
        x, y = a[key][:rows], b[key][:rows]
        np.testing.assert_allclose(y, x, atol=1e-4, rtol=0, equal_nan=True, err_msg=key)


@pytest.mark.parametrize("backend", ["jax", "tensorflow"])
@pytest.mark.slow
def test_two_devices_match_one_and_checkpoints_move_between_counts(backend, tiny_config, tmp_path):
    config = tmp_path / "config.json"
    cfg = tiny_config.replace(batch_size=4, pretrain_epochs=1, epochs=2, sample_every=100)
    cfg.to_json(config)
    tolerances = network_tolerances(cfg, steps=3 * cfg.steps_per_epoch)
    straight, two, one_then_two = tmp_path / "one_device", tmp_path / "two_then_one", tmp_path / "one_then_two"
    # One process: 3 epochs on one device (2, then resumed for the 3rd: resume is exact, test_training);
    # one_then_two is that run after 2 epochs (identical by definition), resumed on two devices; two_then_one
    # trains 2 epochs on two devices, then resumes on one.
    out = train_in_process(backend, config, (straight, 1, 1), ("copy", straight, one_then_two), (straight, 1, 2),
                           (two, 2, 1), (two, 1, 2), (one_then_two, 2, 2))
    assert "Resuming one_then_two from ckpt-000002" in out, out[-2000:]
    assert out.count("Training on 2 devices") == 2, out[-2000:]
    assert_same(log_of(straight), log_of(two), rows=2)  # two devices' first 2 epochs equal one device's
    assert_same(log_of(straight), log_of(two))
    assert_same(log_of(straight), log_of(one_then_two))
    for run in (two, one_then_two):
        assert list(log_of(run)["epoch"]) == [1, 2, 3]
        for group, arrays in weights_of(straight).items():
            for i, (x, y) in enumerate(zip(arrays, weights_of(run)[group])):
                if group in ("generator", "discriminator"):
                    np.testing.assert_allclose(y, x, atol=tolerances[group].get(i, 1e-3), err_msg=f"{group} {i}")
                elif x.ndim == 0:  # optimizer iteration counters: exactly equal
                    assert x == y, group
                else:  # Adam moments amplify rounding of near-zero gradients: compare as a whole
                    assert np.linalg.norm(y - x) <= 0.1 * np.linalg.norm(x) + 1e-6, group
    from srgan_helpers.inference import load_generator

    assert load_generator(two).count_params() > 0  # plain BatchNorm: loads on any backend, in safe mode


def test_batch_must_split_evenly_and_devices_must_exist():
    from srgan_helpers import distribute

    with pytest.raises(ValueError, match="multiple of the 3 devices"):
        distribute.check_batch(16, 3)
    with pytest.raises(ValueError, match="device"):
        distribute.resolve(64, batch_size=64)
    assert not distribute.resolve("auto").distributed  # one CPU: no distribution


def test_a_placement_carries_one_engine_object_named_by_its_kind():
    from srgan_helpers.distribute import Placement

    engine = object()
    assert Placement(2, "tf_mirrored", engine).strategy is engine
    assert Placement(2, "tf_mirrored", engine).distribution is None
    assert Placement(2, "jax_data_parallel", engine).distribution is engine
    assert Placement(2, "jax_data_parallel", engine).strategy is None
    assert Placement().strategy is None and Placement().distribution is None and not Placement().distributed
