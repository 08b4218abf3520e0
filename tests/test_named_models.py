"""Named models: the shipped models, names not shipped yet, and the user's own runs in one list; on real
data, the shipped models do what their cards say."""

import pytest

from srgan_helpers import named_models


def test_list_shows_shipped_models_unshipped_names_and_your_runs(tmp_path, capsys):
    run = tmp_path / "outputs" / "my_run"
    run.mkdir(parents=True)
    (run / "generator.keras").write_bytes(b"x")
    rows = {r["name"]: r for r in named_models.list_models(tmp_path / "outputs")}
    assert rows["srresnet-x4"]["kind"] == "shipped" and rows["srresnet-x4"]["score"].startswith("Set5 31.")
    assert rows["srresnet-x4-faces"]["kind"] == "shipped" and rows["srresnet-x4-faces"]["score"].startswith(
        "faces test 27.")
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


@pytest.mark.slow
def test_the_face_model_beats_the_general_one_on_held_out_faces_and_both_beat_bicubic(tmp_path):
    """Real CelebA faces (../shared/data/faces): 48 of the 400 the face model never saw (its card lists them),
    prepared as its card says (88-px centre crops): the face model beats the general model there, and both
    beat bicubic; the cards say the same on all 400, with the data's licence."""
    import shutil

    from conftest import shared_data

    from srgan_helpers.data.preprocess import preprocess
    from srgan_helpers.evaluate import evaluate
    from srgan_helpers.inference import load_generator

    held_out = named_models.card("srresnet-x4-faces")["held_out_faces"]
    assert len(held_out) == 400
    source = tmp_path / "held_out"
    source.mkdir()
    for name in held_out[::8][:48]:
        shutil.copyfile(shared_data("faces") / name, source / name)
    preprocess(source, tmp_path / "faces88", n_images=None, hr_size=88, test_fraction=0, mode="fixed", progress=False)
    scores = {name: evaluate(load_generator(name), tmp_path / "faces88" / "train", progress=False)["mean"]
              for name in ("srresnet-x4", "srresnet-x4-faces")}
    general_now, faces_now = scores["srresnet-x4"], scores["srresnet-x4-faces"]
    assert faces_now["sr_psnr"] > general_now["sr_psnr"] > general_now["bicubic_psnr"]
    general, faces = (named_models.card(n)["metrics"]["faces_test"] for n in ("srresnet-x4", "srresnet-x4-faces"))
    assert faces["psnr"] > general["psnr"] > general["bicubic_psnr"]
    assert "non-commercial" in named_models.card("srresnet-x4-faces")["data_licence"]


def test_the_general_models_card_states_what_its_file_scores_on_set5():
    """The shipped srresnet-x4 scored now on the real Set5 gives the PSNR its card states (to 0.02 dB; the
    card was measured on a CPU with this very file), and beats bicubic by more than 2 dB."""
    from conftest import shared_data

    from srgan_helpers.evaluate import evaluate
    from srgan_helpers.inference import load_generator

    mean = evaluate(load_generator("srresnet-x4"), shared_data("Set5"), progress=False)["mean"]
    stated = named_models.card("srresnet-x4")["metrics"]["Set5"]
    assert mean["sr_psnr"] == pytest.approx(stated["psnr"], abs=0.02)
    assert mean["sr_psnr"] > mean["bicubic_psnr"] + 2


def test_a_models_name_is_the_shipped_model_and_a_folder_of_that_name_is_reached_by_its_path(tmp_path, monkeypatch):
    """A run folder named like a shipped model no longer passes for it (the report said "shipped with the
    package" for the folder's weights): the bare name is the shipped model, with a warning; ./name the folder."""
    (tmp_path / "srresnet-x4").mkdir()
    (tmp_path / "srresnet-x4" / "generator.keras").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning, match="pass ./srresnet-x4"):
        assert named_models.resolve_model("srresnet-x4") == named_models.weights_path("srresnet-x4")
    assert named_models.resolve_model("./srresnet-x4").resolve() == tmp_path / "srresnet-x4" / "generator.keras"
