"""Nothing from a file runs code or escapes its folder: models load in safe mode, configs are data,
checkpoints are verified, run names cannot climb out of the outputs folder."""

import json

import keras
import numpy as np
import pytest

from srgan_helpers import upscale
from srgan_helpers.checkpoints import CheckpointManager
from srgan_helpers.inference import load_generator


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
