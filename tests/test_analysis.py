import numpy as np
import pytest

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


def test_saturated_discriminator_found_in_the_original_pattern(tmp_path):
    with pytest.warns(UserWarning):
        flat = analysis.load_log(write_original_log(tmp_path / "flat.txt"))
        alive = analysis.load_log(write_original_log(tmp_path / "alive.txt", flat=False))
    spans = analysis.detect_saturation(flat, window=50)
    assert spans and spans[0]["kind"] == "flat" and spans[0]["start"] == 1 and spans[0]["end"] == 300
    assert analysis.detect_saturation(alive, window=50) == []
    assert "epochs 1-300" in analysis.saturation_report(spans)


def test_pinned_d_real_and_d_fake_in_our_csv(tmp_path):
    header = ",".join(analysis.LOG_COLUMNS)
    rows = [f"{e},gan,{e},0.01,0.1,0.05,{4 + e * 0.01},0.999,0.001,0.0001,1,10" for e in range(1, 81)]
    rows.insert(5, "oops,not,a,row")
    (tmp_path / "loss_log.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
    with pytest.warns(UserWarning, match="line 7"):
        log = analysis.load_log(tmp_path / "loss_log.csv")
    assert len(log) == 80 and log.format == "csv"
    kinds = {s["kind"] for s in analysis.detect_saturation(log, window=30)}
    assert "pinned" in kinds


def test_figures_written_png_and_svg_with_zoom(tmp_path):
    with pytest.warns(UserWarning):
        log = analysis.load_log(write_original_log(tmp_path / "log.txt"))
    paths = [tmp_path / "fig.png", tmp_path / "fig.svg"]
    analysis.plot_training_curves(log, paths, zoom=(100, 150), smooth_window=5,
                                  saturation=analysis.detect_saturation(log))
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[0].stat().st_size > 10_000
    assert b"<svg" in paths[1].read_bytes()[:500]


def test_smoothing_is_a_centred_mean():
    np.testing.assert_allclose(analysis.smooth(np.array([0, 3, 6, 9.0]), 3), [1.5, 3, 6, 7.5])
    assert analysis.smooth(np.array([1.0, 2.0]), 1).tolist() == [1.0, 2.0]
