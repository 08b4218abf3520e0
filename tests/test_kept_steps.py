"""TensorFlow keeps a finished run's models and traced steps for the next run with the same step
(training/kept_steps.py): that run trains on them from its own state, with the results a new trace gives."""

import keras
import numpy as np
import pytest
from conftest import latest_arrays, log_columns

from srgan_helpers.training import TrainingDiverged, build_models, ensure_content_network, kept_steps, train

LOSSES = ("g_loss", "content_loss", "d_loss", "adv_loss", "d_real", "d_fake")


@pytest.fixture
def step_builds(monkeypatch):
    """The steps built (traced anew) from here on, counted; nothing kept from earlier tests."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("JAX's steps are jitted once per process (jax_steps); only TensorFlow's are kept")
    kept_steps.forget()
    built = []
    real = kept_steps.build_steps
    monkeypatch.setattr(kept_steps, "build_steps", lambda *a, **k: built.append(a[1]) or real(*a, **k))
    yield built
    kept_steps.forget()


def assert_same_run(a, b):
    """Two run folders hold the same training, bit for bit: losses, and every checkpointed array."""
    log_a, log_b = log_columns(a / "loss_log.csv"), log_columns(b / "loss_log.csv")
    for key in LOSSES:
        np.testing.assert_array_equal(log_b[key], log_a[key], err_msg=key)
    arrays_a, arrays_b = latest_arrays(a), latest_arrays(b)
    for group in arrays_a:
        for x, y in zip(arrays_a[group], arrays_b[group], strict=True):
            np.testing.assert_array_equal(y, x, err_msg=group)


@pytest.mark.slow
def test_a_second_run_of_the_same_step_trains_on_the_kept_trace_from_its_own_start(tiny_config, tmp_path,
                                                                                   step_builds):
    cfg = tiny_config.replace(epochs=1)
    train(cfg, tmp_path / "first", progress=False)
    train(cfg.replace(epochs=2, sample_every=2), tmp_path / "second", progress=False)  # (not in the step)
    assert len(step_builds) == 1  # traced once: the second run took the first's steps
    # ... and started from its own initial weights and fresh optimizers, not from where the first stopped:
    # its first two epochs are the first run's, bit for bit.
    first, second = log_columns(tmp_path / "first" / "loss_log.csv"), log_columns(tmp_path / "second" / "loss_log.csv")
    for key in LOSSES:
        np.testing.assert_array_equal(second[key][:2], first[key], err_msg=key)
    assert list(second["epoch"]) == [1, 2, 3]


def test_another_step_or_a_failed_run_traces_anew_and_gives_a_new_traces_results(tiny_config, tmp_path,
                                                                                  step_builds):
    cfg = tiny_config.replace(epochs=0)  # pre-training only: the bookkeeping is the same for both steps
    train(cfg, tmp_path / "a", progress=False)
    train(cfg.replace(n_res_blocks=2), tmp_path / "other_network", progress=False)
    train(cfg, tmp_path / "a_again", progress=False)
    assert len(step_builds) == 3  # one run is kept: the other network's replaced the first
    with pytest.raises(TrainingDiverged):  # takes the kept steps, and fails: nothing is kept
        train(cfg.replace(learning_rate=1e30), tmp_path / "diverged", progress=False)
    assert len(step_builds) == 3
    train(cfg, tmp_path / "after_the_failure", progress=False)
    assert len(step_builds) == 4
    assert_same_run(tmp_path / "a", tmp_path / "a_again")
    assert_same_run(tmp_path / "a", tmp_path / "after_the_failure")


def test_a_kept_content_network_takes_the_values_of_one_built_anew(tiny_config):
    """The kept steps run the kept feature network: a new run builds its own (the same random draws, the same
    weights file read) and copies its values into the kept one."""
    cfg = tiny_config
    keras.utils.set_random_seed(5)
    models = build_models(cfg)
    ensure_content_network(models, cfg)
    kept = models.content_network
    kept.set_weights([np.zeros_like(w) for w in kept.get_weights()])
    ensure_content_network(models, cfg)
    assert models.content_network is kept and not np.any(kept.get_weights()[0])  # not stale: left alone
    keras.utils.set_random_seed(5)
    build_models(cfg)
    models.content_network_stale = True
    ensure_content_network(models, cfg)
    keras.utils.set_random_seed(5)
    fresh = build_models(cfg)
    ensure_content_network(fresh, cfg)
    assert models.content_network is kept and not models.content_network_stale
    for x, y in zip(fresh.content_network.get_weights(), kept.get_weights(), strict=True):
        np.testing.assert_array_equal(y, x)
