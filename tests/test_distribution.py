"""Data-parallel training on 2 simulated CPU devices, on JAX (keras.distribution.DataParallel) and on
TensorFlow (MirroredStrategy over 2 logical CPUs, synchronized BatchNorm).

Tolerances, set from measurements (tiny config, 1 pre-training + 2 GAN epochs of 2 steps, batch 4; largest
difference to one device after the third epoch; benchmarks/distribution_noise.py measures them):

                                     rounding floor                    real bugs
                                     TF oneDNN off  TF 2 dev  JAX 2 dev  BN not synced  Adam reset (TF / JAX)
  g_loss, content_loss               2.9e-7         1.0e-7    1.9e-9     9.2e-4         1.4e-3 / 8.9e-4
  d_loss, adv_loss, d_real, d_fake   4.4e-4         1.4e-4    8.0e-7     8.0e-3         1.9e-3 / 1.7e-3
  D BatchNorm moving statistics      8.3e-3         3.5e-3    4.6e-6     1.1e-1         3.1e-2 / 3.8e-2
  G BatchNorm moving statistics      3.2e-5         1.8e-5    9.5e-7     4.4e-2         1.2e-2 / 2.0e-2
  G Adam moments (least r, below)    0.4%           0.3%      0.0%       31%            88% / 98%
  D Adam moments (least r, below)    21%            12%       0.15%      140%           88% / 120%

(bugs: the smallest difference over the group's columns; floors: the largest.)
"TF oneDNN off" is the same one-device run with TF_ENABLE_ONEDNN_OPTS=0: the same arithmetic in other
kernels. The discriminator side is the noisy one: Adam turns rounding in near-zero gradients into steps of up
to (1 - beta_1) / sqrt(1 - beta_2) ~ 3.2 learning rates (the conv biases in front of a BatchNorm have a true
gradient of exactly zero, so theirs is pure rounding noise), and oneDNN picks other kernels for a replica's
half batch, so on TensorFlow two devices differ from one by more than summation order. Hence: generator
losses 1e-5, discriminator losses 1e-3; BatchNorm moving statistics 1e-3 (generator) and 2e-2
(discriminator; a lost statistic is >= 0.25 off); Adam moments as whole arrays, |diff| <= r |x| + 1e-6 with
r = 10% (generator) and 50% (discriminator); other weights 1e-3 absolute, the dead biases steps x 3.2 x lr;
iteration counters exactly. After 6 steps at lr 1e-4 weights move little: the losses, statistics and moments
are what tell a bug.
"""

import csv

import numpy as np
import pytest
from conftest import latest_arrays, run_training_worker

LOSS_TOLERANCES = {"g_loss": 1e-5, "content_loss": 1e-5,  # the generator side, then the discriminator side
                   "d_loss": 1e-3, "adv_loss": 1e-3, "d_real": 1e-3, "d_fake": 1e-3}
KEYS = tuple(LOSS_TOLERANCES)
MOMENT_TOLERANCES = {"g_optimizer": 0.1, "d_optimizer": 0.5}  # relative, whole arrays


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
    """Per network, the tolerance of each dead bias and its BatchNorm's moving mean (steps x 3.2 x lr) and of
    the discriminator's moving statistics (2e-2); all other weights use 1e-3."""
    from srgan_helpers.training.bundle import build_models

    models = build_models(cfg)
    drift = steps * 3.2 * cfg.learning_rate
    tolerances = {name: dict.fromkeys(dead_bias_indices(model), drift)
                  for name, model in (("generator", models.generator), ("discriminator", models.discriminator))}
    for i, variable in enumerate(models.discriminator.weights):
        if "moving_" in variable.path:
            tolerances["discriminator"][i] = 2e-2
    return tolerances


def assert_same(a, b, rows=None):
    for key in KEYS:
        x, y = a[key][:rows], b[key][:rows]
        np.testing.assert_allclose(y, x, atol=LOSS_TOLERANCES[key], rtol=0, equal_nan=True, err_msg=key)


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
    # trains 2 epochs on two devices, then resumes on one. The two-device runs follow each other: on
    # TensorFlow the second trains on the first's kept models and steps (training/kept_steps.py).
    out = train_in_process(backend, config, (straight, 1, 1), ("copy", straight, one_then_two), (straight, 1, 2),
                           (two, 2, 1), (one_then_two, 2, 2), (two, 1, 2))
    assert "Resuming one_then_two from ckpt-000002" in out, out[-2000:]
    assert out.count("Training on 2 devices") == 2, out[-2000:]
    if backend == "jax":  # each step compiled once per device count: state keeps its sharding (a new learning
        assert "compiled steps: pretrain 2, gan 2" in out, out[-2000:]  # rate included) from step to step
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
                    assert np.linalg.norm(y - x) <= MOMENT_TOLERANCES[group] * np.linalg.norm(x) + 1e-6, group
    from srgan_helpers.inference import load_generator

    assert load_generator(two).count_params() > 0  # plain BatchNorm: loads on any backend, in safe mode


def test_batch_must_split_evenly_and_devices_must_exist():
    from srgan_helpers.training import distribute

    with pytest.raises(ValueError, match="multiple of the 3 devices"):
        distribute.check_batch(16, 3)
    with pytest.raises(ValueError, match="device"):
        distribute.resolve(64, batch_size=64)
    assert not distribute.resolve("auto").distributed  # one CPU: no distribution


def test_a_placement_carries_one_engine_object_named_by_its_kind():
    from srgan_helpers.training.distribute import Placement

    engine = object()
    assert Placement(2, "tf_mirrored", engine).strategy is engine
    assert Placement(2, "tf_mirrored", engine).distribution is None
    assert Placement(2, "jax_data_parallel", engine).distribution is engine
    assert Placement(2, "jax_data_parallel", engine).strategy is None
    assert Placement().strategy is None and Placement().distribution is None and not Placement().distributed
