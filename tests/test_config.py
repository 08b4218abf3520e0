import json

import pytest

from srgan_helpers.config import TrainConfig


def test_json_round_trip(tmp_path):
    cfg = TrainConfig(epochs=7, crop_size=96, vgg_weights=None, mixed_precision="mixed_bfloat16")
    cfg.to_json(tmp_path / "config.json")
    assert TrainConfig.from_json(tmp_path / "config.json") == cfg
    assert json.loads((tmp_path / "config.json").read_text())["epochs"] == 7


def test_defaults_match_the_original_experiment():
    cfg = TrainConfig()
    assert (cfg.hr_size, cfg.lr_size, cfg.scale, cfg.n_res_blocks, cfg.adv_weight) == (176, 44, 4, 16, 1e-3)
    assert (cfg.learning_rate, cfg.beta_1) == (1e-4, 0.9)


@pytest.mark.parametrize("bad, message", [
    ({"scale": 3}, "power of two"),
    ({"hr_size": 170}, "multiple of scale"),
    ({"crop_size": 30}, "crop_size"),
    ({"upsample": "nearest"}, "upsample"),
    ({"mixed_precision": "fp8"}, "mixed_precision"),
    ({"batch_size": 0}, "batch_size"),
])
def test_invalid_values_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**bad)


def test_unknown_keys_and_non_json_are_refused(tmp_path):
    with pytest.raises(ValueError, match="Unknown config keys"):
        TrainConfig.from_dict({"epochs": 1, "__import__": "os"})
    (tmp_path / "bad.json").write_text("epochs = 3")
    with pytest.raises(ValueError, match="not valid JSON"):
        TrainConfig.from_json(tmp_path / "bad.json")


def test_runs_written_when_lr_also_meant_the_learning_rate_still_load():
    """Before 0.3 "lr" named the learning rate too; configs of such runs load under the new names."""
    from srgan_helpers.config import TrainConfig

    cfg = TrainConfig.from_dict({"lr_decay_epoch": 5, "lr_decay_factor": 0.5, "nan_lr_factor": 0.25})
    assert (cfg.learning_rate_decay_epoch, cfg.learning_rate_decay_factor, cfg.nan_learning_rate_factor) == (5, 0.5,
                                                                                                           0.25)
    assert not any(name.startswith("lr_") or "_lr_" in name for name in cfg.to_dict())


def test_the_installed_version_is_the_packages_own():
    """One source: pip's metadata (pyproject.toml reads it) and srgan_helpers.__version__ agree."""
    import importlib.metadata

    import srgan_helpers

    assert importlib.metadata.version("srgan-helpers") == srgan_helpers.__version__


@pytest.mark.parametrize("field, value, allowed", [("loader_workers", 2**63, "from 0 .* to 256"),
                                                   ("batch_size", 10**12, "at most 4096")])
def test_sizes_without_an_upper_bound_are_refused(field, value, allowed):
    """The attack's loader_workers 2**63 and batch_size 10**12 were accepted (the loader hung after the run
    folder was written); now the config refuses them by name."""
    with pytest.raises(ValueError, match=rf"{field}={value}.*{allowed}"):
        TrainConfig(**{field: value})
