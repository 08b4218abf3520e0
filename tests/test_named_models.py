"""Named models: the shipped starter model, names not shipped yet, and the user's own runs in one list."""

import pytest

from srgan_helpers import named_models


def test_list_shows_shipped_models_unshipped_names_and_your_runs(tmp_path, capsys):
    run = tmp_path / "outputs" / "my_run"
    run.mkdir(parents=True)
    (run / "generator.keras").write_bytes(b"x")
    rows = {r["name"]: r for r in named_models.list_models(tmp_path / "outputs")}
    assert rows["srresnet-x4"]["kind"] == "shipped" and rows["srresnet-x4"]["score"].startswith("Set5 29.")
    assert rows["srgan-x4"]["kind"] == "not shipped"
    assert rows[str(run)]["kind"] == "your run"
    assert named_models.main(["card", "srresnet-x4"]) == 0
    card = capsys.readouterr().out
    assert "| Set14 |" in card and "data licence" in card


def test_a_name_not_shipped_says_how_to_train_it_and_a_typo_lists_the_names():
    with pytest.raises(named_models.ModelNotShipped, match="notebook 02"):
        named_models.resolve_model("srgan-x4")
    with pytest.raises(FileNotFoundError, match="srresnet-x4"):
        named_models.resolve_model("srresnet-x5")
