"""Nothing from a file runs code or escapes its folder: models load in safe mode, configs are data,
checkpoints are verified, run names cannot climb out of the outputs folder."""

import json

import keras
import numpy as np
import pytest

from srgan_helpers.inference import load_generator, upscale
from srgan_helpers.training.checkpoints import CheckpointManager


@pytest.fixture
def lambda_model(tmp_path):
    inp = keras.Input((None, None, 3))
    model = keras.Model(inp, keras.layers.Lambda(lambda t: t * 2)(inp))
    model.save(tmp_path / "evil.keras")
    return tmp_path / "evil.keras"


def test_a_model_with_a_lambda_layer_is_refused_with_a_clear_message(lambda_model, tmp_path, capsys):
    with pytest.raises(ValueError, match="refusing to load: the model holds a Lambda layer"):
        load_generator(lambda_model)
    (tmp_path / "x.png").write_bytes(b"")
    assert upscale.main([str(tmp_path / "x.png"), "--model", str(lambda_model), "--quiet"]) == 2
    assert "Lambda" in capsys.readouterr().err


def test_a_tampered_checkpoint_is_never_used(tmp_path):
    manager = CheckpointManager(tmp_path)
    manager.save(1, {"generator": [np.zeros(2)]}, {"step": 1})
    manager.save(2, {"generator": [np.ones(2)]}, {"step": 2})
    state_path = tmp_path / "ckpt-000002" / "state.json"
    state = json.loads(state_path.read_text())
    state["epoch"] = "../../../etc"
    state_path.write_text(json.dumps(state))
    with pytest.warns(UserWarning, match="tampered"):
        path, arrays, _ = manager.latest()
    assert path.name == "ckpt-000001"


def test_config_is_data_never_code(tmp_path):
    from srgan_helpers.config import TrainConfig

    (tmp_path / "config.json").write_text('{"epochs": "__import__(\'os\').system(\'touch pwned\')"}')
    with pytest.raises(ValueError, match="wrong type"):
        TrainConfig.from_json(tmp_path / "config.json")
    assert not (tmp_path / "pwned").exists()


def test_a_model_file_whose_config_unpacks_to_gigabytes_is_refused_before_keras_reads_it(tmp_path, monkeypatch):
    """The attack's 3.2 MB .keras with 1.5 GiB of padding in config.json loaded at 3.85 GB RSS. The zip's own
    directory (no unpacking) shows the sizes; a real generator passes."""
    import zipfile

    import keras

    from srgan_helpers import inference
    from srgan_helpers.networks.srresnet import build_generator
    from srgan_helpers.training import export_generator

    good = export_generator(build_generator(4, n_res_blocks=1), tmp_path / "good.keras")
    inference.check_model_file(good)
    padded = tmp_path / "padded.keras"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item.filename, data + b" " * (40 * 2**20) if item.filename == "config.json" else data)
    assert padded.stat().st_size < 2 * 2**20
    loaded = []
    monkeypatch.setattr(keras.saving, "load_model", lambda *a, **k: loaded.append(a))
    with pytest.raises(ValueError, match=r"refusing to load: its config.json unpacks to 40 MiB .*limit 16 MiB"):
        inference.load_generator(padded)
    assert not loaded
