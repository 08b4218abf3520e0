from srgan_helpers import demo


def test_demo_runs_offline_end_to_end(tmp_path, capsys):
    out = tmp_path / "outputs" / "demo"
    assert demo.main(["--out", str(out), "--data-root", str(tmp_path / "data"), "--minutes", "0.01",
                      "--res-blocks", "1", "--steps", "1", "--batch", "2"]) == 0
    for name in ("loss_curves.png", "comparison.png", "loss_log.csv", "generator.keras"):
        assert (out / name).stat().st_size > 0
    printed = capsys.readouterr().out
    assert "bicubic" in printed and "dB" in printed
    assert "srresnet-x4" in printed  # the shipped starter model is shown beside the demo's own run
    assert "GAN loss: pixel MSE + 0.001 x adversarial" in printed  # offline: named, not "pipeline test only"
    # by time: the budget (0.6 s) ends each phase after its first epoch, and the summary says what was trained
    assert "trained SRResNet (MSE): 1 steps in " in printed and "; SRGAN: 1 steps in " in printed


def test_the_shipped_starter_model_beats_bicubic_on_the_demo_sample(tmp_path):
    from srgan_helpers.demo import STARTER, comparison
    from srgan_helpers.named_models import resolve_model
    from srgan_helpers.workflows import prepare

    data_dir, _ = prepare("sample", tmp_path / "data", "demo", n_images=44, hr_size=176, scale=4, test_fraction=0.2)
    means = comparison({STARTER: resolve_model(STARTER)}, data_dir, tmp_path / "comparison.png")
    assert means[STARTER][0] > means["bicubic"][0] + 0.3, means
    assert (tmp_path / "comparison.png").stat().st_size > 0
