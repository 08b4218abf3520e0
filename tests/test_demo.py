from srgan_helpers import demo


def test_demo_runs_offline_end_to_end(tmp_path, capsys):
    out = tmp_path / "outputs" / "demo"
    assert demo.main(["--out", str(out), "--data-root", str(tmp_path / "data"), "--pretrain-epochs", "1",
                      "--epochs", "1", "--res-blocks", "1", "--steps", "1"]) == 0
    for name in ("loss_curves.png", "comparison.png", "loss_log.csv", "generator.keras"):
        assert (out / name).stat().st_size > 0
    printed = capsys.readouterr().out
    assert "bicubic" in printed and "dB" in printed
