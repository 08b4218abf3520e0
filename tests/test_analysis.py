import numpy as np
import pytest
from loglab import write_original_log as synthesize

from srgan_helpers import analysis


def write_original_log(path, n=300, flat=True):
    lines = []
    for e in range(1, n + 1):
        adv = 1.6012 if flat else 1.6 + 0.3 * np.sin(e / 7)
        d = 7.9721 if flat else 1.2 + 0.2 * np.cos(e / 5)
        lines.append(f"EPOCH {e}\td_loss {d:.4f}\tgan_loss [0.0571, {0.0555 - e * 1e-6:.6f}, {adv:.4f}]")
    lines.insert(10, "Traceback (most recent call last):")
    lines.insert(20, "EPOCH 20\td_loss nan?\tgan_loss [1, 2]")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_original_format_reads_every_line_and_reports_malformed_ones(tmp_path):
    path = write_original_log(tmp_path / "log.txt")
    with pytest.warns(UserWarning, match="2 malformed"):
        log = analysis.load_log(path)
    assert log.format == "original" and len(log) == 300
    assert list(log["epoch"][:3]) == [1, 2, 3]
    assert log["g_loss"][0] == pytest.approx(0.0571) and log["adv_loss"][0] == pytest.approx(1.6012)
    assert [n for n, _, _ in log.problems] == [11, 21]


def test_saturation_throughout_is_found_with_its_evidence(tmp_path):
    log = analysis.load_log(synthesize(tmp_path / "sat.log", saturated_from=1))
    assert len(log) == 2500 and log.format == "original"
    spans = analysis.detect_saturation(log, window=50, model=analysis.loss_model_for(log))
    assert [(s["start"], s["end"], s["kind"]) for s in spans] == [(1, 2500, "calls every image real")]
    report = analysis.saturation_report(spans, log)
    assert "clip level 8.06 over epochs 1-2500" in report and "d_loss 8.0" in report
    assert "D(real)" not in report  # the log has none: nothing is said of them


def test_healthy_log_reports_none_and_never_claims_d_outputs_move(tmp_path):
    log = analysis.load_log(synthesize(tmp_path / "ok.log", saturated_from=None))
    assert analysis.detect_saturation(log, model=analysis.loss_model_for(log)) == []
    report = analysis.saturation_report([], log)
    assert report.startswith("No saturated discriminator") and "has no D(real)/D(fake)" in report


def test_saturation_from_halfway_is_found_from_its_start(tmp_path):
    log = analysis.load_log(synthesize(tmp_path / "half.log", saturated_from=1251))
    spans = analysis.detect_saturation(log, window=50, model=analysis.loss_model_for(log))
    assert len(spans) == 1 and abs(spans[0]["start"] - 1251) <= 25 and spans[0]["end"] == 2500


def test_the_original_real_levels_match_the_clip_arithmetic():
    """d_loss 7.97 +- 0.10 and adversarial 1.59 +- 0.14, as measured on the original's logs."""
    model = analysis.LossModel()
    levels = model.levels(1.0, 1.0)
    assert levels["d_loss"][0] == pytest.approx(0.5 * np.log(1e7), rel=0.01)  # 8.06
    assert levels["adv_loss"][0] == pytest.approx(0.1 * np.log(1e7), rel=0.03)  # 1.61


def test_a_line_missing_its_closing_bracket_is_read_and_noted(tmp_path):
    log = analysis.load_log(synthesize(tmp_path / "b.log", saturated_from=1, broken_bracket_at=2025))
    assert len(log) == 2500 and not log.problems
    assert log.notes == [(2025, "epoch 2025: closing ']' missing; all three losses read")]


def test_pinned_d_real_and_d_fake_in_our_csv(tmp_path):
    header = ",".join(analysis.LOG_COLUMNS)
    rows = [f"{e},gan,{e},0.01,0.1,0.05,{4 + e * 0.01},0.999,0.001,0.0001,1,10" for e in range(1, 81)]
    rows.insert(5, "oops,not,a,row")
    (tmp_path / "loss_log.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
    with pytest.warns(UserWarning, match="line 7"):
        log = analysis.load_log(tmp_path / "loss_log.csv")
    assert len(log) == 80 and log.format == "csv"
    spans = analysis.detect_saturation(log, window=30, model=analysis.loss_model_for(log))
    assert [s["kind"] for s in spans] == ["separates real and generated perfectly"]
    assert "D(real) 0.999, D(fake) 0.001" in analysis.saturation_report(spans, log)


def test_figures_written_png_and_svg_with_zoom(tmp_path):
    with pytest.warns(UserWarning):
        log = analysis.load_log(write_original_log(tmp_path / "log.txt"))
    paths = [tmp_path / "fig.png", tmp_path / "fig.svg"]
    analysis.plot_training_curves(log, paths, zoom=(100, 150), smooth_window=5,
                                  saturation=analysis.detect_saturation(log, model=analysis.loss_model_for(log)))
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[0].stat().st_size > 10_000
    assert b"<svg" in paths[1].read_bytes()[:500]


def test_smoothing_is_a_centred_mean():
    np.testing.assert_allclose(analysis.smooth(np.array([0, 3, 6, 9.0]), 3), [1.5, 3, 6, 7.5])
    assert analysis.smooth(np.array([1.0, 2.0]), 1).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("vgg_weights, labelled", [(None, True), ("imagenet", False)])
def test_the_05_figure_of_a_random_vgg_run_says_random_weights(tmp_path, vgg_weights, labelled):
    """Notebook 05 plots a run's loss_log.csv: the figure carries the RANDOM WEIGHTS label exactly when the
    run's config.json says its VGG19 had random weights."""
    from srgan_helpers.analysis.losslog import HEADER
    from srgan_helpers.config import TrainConfig

    TrainConfig(data_dir=str(tmp_path), vgg_weights=vgg_weights).to_json(tmp_path / "config.json")
    rows = [f"{e},{'pretrain' if e == 1 else 'gan'},{2 * e},0.5,1.0,0.9,0.1,0.6,0.4,0.0001,1.0,10.0" for e in (1, 2, 3)]
    (tmp_path / "loss_log.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    log = analysis.load_log(tmp_path / "loss_log.csv", warn=False)
    fig = analysis.plot_training_curves(log, tmp_path / "loss.png")
    assert ("RANDOM WEIGHTS" in fig._suptitle.get_text()) is labelled
    assert (tmp_path / "loss.png").stat().st_size > 0


def test_a_log_written_when_the_learning_rate_column_was_lr_is_read_and_rewritten_under_the_new_name(tmp_path):
    from srgan_helpers.analysis.losslog import HEADER, LossLogWriter, load_log

    path = tmp_path / "loss_log.csv"
    path.write_text("epoch,phase,step,d_loss,g_loss,content_loss,adv_loss,d_real,d_fake,lr,seconds,images_per_s\n"
                    "1,pretrain,2,,0.5,0.5,,,,0.0001,1.0,8.0\n2,gan,4,1.2,0.4,0.3,0.7,0.6,0.4,0.0001,1.0,8.0\n")
    np.testing.assert_allclose(load_log(path)["learning_rate"], [1e-4, 1e-4])
    LossLogWriter(path).truncate(1)  # what a resumed run does first
    assert path.read_text().splitlines() == [HEADER, "1,pretrain,2,,0.5,0.5,,,,0.0001,1.0,8.0"]


def test_a_log_saved_with_a_bom_resumes_and_a_garbled_row_is_named_in_a_warning(tmp_path):
    """A spreadsheet's BOM no longer blocks a resume; a garbled row in the middle is not dropped silently."""
    from srgan_helpers.analysis.losslog import HEADER, LossLogWriter, load_log

    rows = ["1,pretrain,2,,0.5,0.5,,,,0.0001,1.0,8.0", "2,gan,4,1.2,0.4,0.3,0.7,0.6,0.4,0.0001,1.0,8.0"]
    path = tmp_path / "loss_log.csv"
    path.write_text("\ufeff" + HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert len(load_log(path)) == 2 and len(LossLogWriter(path).rows()) == 2
    path.write_text("\n".join([HEADER, rows[0], "2,gan,4,1.2,0.4", rows[1].replace("2,gan,4", "3,gan,6")]) + "\n")
    with pytest.warns(UserWarning, match=r"1 unreadable row\(s\) left out of the log: line 3"):
        assert [r["epoch"] for r in LossLogWriter(path).rows()] == ["1", "3"]


def test_the_figure_names_its_log_and_says_mse_only_where_there_was_pre_training(tmp_path):
    with pytest.warns(UserWarning):
        original = analysis.load_log(write_original_log(tmp_path / "coco_run.log"))  # GAN epochs only
    fig = analysis.plot_training_curves(original)
    assert "coco_run.log" in fig._suptitle.get_text()
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()][0] == "perceptual"
    rows = ["1,pretrain,2,,0.5,0.5,,,,0.0001,1.0,8.0", "2,gan,4,1.2,0.4,0.3,0.7,0.6,0.4,0.0001,1.0,8.0"]
    (tmp_path / "loss_log.csv").write_text(",".join(analysis.LOG_COLUMNS) + "\n" + "\n".join(rows) + "\n")
    legend = analysis.plot_training_curves(analysis.load_log(tmp_path / "loss_log.csv")).axes[0].get_legend()
    assert legend.get_texts()[0].get_text() == "perceptual (MSE in pre-training)"
