"""Learning-rate schedules: each epoch's rate is a function of the config and the epoch, so a resumed run
follows the schedule exactly (the training test below resumes mid-schedule on the active backend)."""

import numpy as np
import pytest
from conftest import log_columns

from srgan_helpers.config import TrainConfig
from srgan_helpers.training.schedules import learning_rate_at


def rates(**settings):
    cfg = TrainConfig(learning_rate=1e-4, **settings)
    return [learning_rate_at(cfg, e) for e in range(cfg.total_epochs)]


def test_constant_and_the_papers_step_schedule():
    assert rates(pretrain_epochs=2, epochs=3) == [1e-4] * 5
    step = rates(pretrain_epochs=2, epochs=4, learning_rate_schedule="step", learning_rate_decay_epoch=2,
                 learning_rate_decay_factor=0.1)
    np.testing.assert_allclose(step, [1e-4, 1e-4, 1e-4, 1e-4, 1e-5, 1e-5])  # decay counts GAN epochs


def test_cosine_with_warm_up_restarts_in_each_phase():
    cosine = rates(pretrain_epochs=4, epochs=5, learning_rate_schedule="cosine", warmup_epochs=1)
    np.testing.assert_allclose(cosine[:4], [0.5e-4, 1e-4, 0.75e-4, 0.25e-4])  # warm-up, then a half cosine to 0
    np.testing.assert_allclose(cosine[4:], [0.5e-4, 1e-4, 1e-4 * (1 + np.cos(np.pi / 4)) / 2, 0.5e-4,
                                            1e-4 * (1 + np.cos(3 * np.pi / 4)) / 2])
    assert all(b <= a for a, b in zip(cosine[5:], cosine[6:]))


@pytest.mark.parametrize("settings, message", [
    ({"learning_rate_schedule": "linear"}, "use one of ('constant', 'step', 'cosine')"),
    ({"learning_rate_schedule": "step"}, "the step schedule needs the epoch"),
    ({"learning_rate_decay_epoch": 3}, "the step schedule needs the epoch"),
    ({"warmup_epochs": -1}, "warmup_epochs=-1 must be >= 0"),
])
def test_inconsistent_schedule_settings_are_refused_by_name(settings, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TrainConfig(**settings)


def test_a_config_from_before_schedules_with_a_decay_epoch_means_the_step_schedule():
    assert TrainConfig.from_dict({"lr_decay_epoch": 5}).learning_rate_schedule == "step"


@pytest.mark.backend
def test_a_run_resumed_mid_schedule_with_realistic_lr_equals_an_uninterrupted_one(tiny_config, tmp_path):
    import shutil

    from srgan_helpers.training import train

    cfg = tiny_config.replace(learning_rate_schedule="cosine", warmup_epochs=1, epochs=3, learning_rate=1e-3,
                              degradation="realistic")  # its LR drawn per (seed, epoch, step, sample) too
    straight = train(cfg, tmp_path / "straight", progress=False)
    shutil.copytree(tmp_path / "straight", tmp_path / "resumed")  # as if stopped after epoch 2, mid-schedule
    for later in ("ckpt-000003", "ckpt-000004"):
        shutil.rmtree(tmp_path / "resumed" / "checkpoints" / later)
    resumed = train(cfg, tmp_path / "resumed", progress=False)
    a, b = log_columns(straight.log_path), log_columns(resumed.log_path)
    np.testing.assert_array_equal(a["learning_rate"], b["learning_rate"])
    np.testing.assert_allclose(a["learning_rate"], [5e-4, 5e-4, 1e-3, 5e-4])
    np.testing.assert_allclose(a["g_loss"], b["g_loss"], atol=1e-6)
