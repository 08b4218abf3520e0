import numpy as np
import pytest
from conftest import shared_data

from srgan_helpers import evaluate
from srgan_helpers.inference import load_generator, model_scale, super_resolve


@pytest.fixture(scope="module")
def tiny_generator(tmp_path_factory):
    from srgan_helpers.networks.srresnet import build_generator
    from srgan_helpers.training import export_generator

    path = tmp_path_factory.mktemp("gen") / "generator.keras"
    export_generator(build_generator(4, n_res_blocks=1), path)
    return path


def test_evaluate_set5_bicubic_and_generator(tiny_generator):
    result = evaluate.evaluate(load_generator(tiny_generator), shared_data("Set5"), progress=False)
    assert result["n_images"] == 5 and [r["image"] for r in result["images"]][0] == "baby"
    assert result["mean"]["bicubic_psnr"] == pytest.approx(28.42, abs=0.05)
    assert 0 < result["mean"]["sr_psnr"] < result["mean"]["bicubic_psnr"]  # an untrained generator is worse
    table = evaluate.results_table([result])
    assert "| Set5 | 5 | 28.4" in table


def test_cli_prints_the_paper_table(tiny_generator, tmp_path, capsys):
    assert evaluate.main([str(shared_data("Set5")), str(shared_data("Set14")), "--model", str(tiny_generator.parent),
                          "--csv", str(tmp_path / "scores.csv")]) == 0
    out = capsys.readouterr().out
    assert "| Set5 |" in out and "| Set14 | 14 |" in out and "model PSNR" in out
    assert len((tmp_path / "scores.csv").read_text().splitlines()) == 1 + 5 + 14


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert evaluate.main([str(tmp_path)]) == 2
    assert "HR/" in capsys.readouterr().err
    assert evaluate.main([str(tmp_path), "--model", str(tmp_path / "none.keras")]) == 2


def test_super_resolve_handles_mixed_sizes(tiny_generator):
    model = load_generator(tiny_generator)
    assert model_scale(model) == 4
    out = super_resolve(model, [np.zeros((5, 6, 3), np.uint8), np.zeros((7, 3, 3), np.uint8)])
    assert [o.shape for o in out] == [(20, 24, 3), (28, 12, 3)] and out[0].dtype == np.uint8


def test_every_set_layout_is_accepted(tiny_generator, tiny_set, tmp_path, capsys):
    """The benchmark layout, the package's own prepared set (whole or its test split), and HR images alone."""
    from PIL import Image

    hr_only = tmp_path / "my_photos"
    hr_only.mkdir()
    for name in ("baby", "bird"):
        Image.open(shared_data("Set5") / "HR" / f"{name}.png").save(hr_only / f"{name}.png")
    model = load_generator(tiny_generator)
    for folder, expected in ((tiny_set, 4), (tiny_set / "test", 4), (hr_only, 2)):
        assert evaluate.evaluate(model, folder, progress=False)["n_images"] == expected
    # HR alone: LR made with the same Pillow bicubic, so bicubic matches the benchmark's own to ~0.1 dB
    own = evaluate.evaluate(None, hr_only, progress=False)["images"]
    bench = evaluate.evaluate(None, shared_data("Set5"), progress=False)["images"][:2]
    for a, b in zip(own, bench):
        assert a["bicubic_psnr"] == pytest.approx(b["bicubic_psnr"], abs=0.5)
    assert evaluate.main([str(tiny_set / "test"), "--model", str(tiny_generator)]) == 0
    assert "| tiny/test | 4 |" in capsys.readouterr().out


def test_niqe_joins_the_table_when_asked_and_is_left_out_for_images_too_small(tiny_generator, tiny_set, capsys):
    """Set5 with --niqe: NIQE of HR, bicubic and the model per image and in the table (bicubic is far less
    natural than the ground truth); the 64-px pairs of a prepared set are too small: NaN, left out."""
    assert evaluate.main([str(shared_data("Set5")), "--model", str(tiny_generator), "--niqe"]) == 0
    assert "NIQE HR / bicubic / model" in capsys.readouterr().out
    result = evaluate.evaluate(None, shared_data("Set5"), progress=False, with_niqe=True)
    assert all(np.isfinite(r["hr_niqe"]) and r["bicubic_niqe"] > r["hr_niqe"] for r in result["images"])
    small = evaluate.evaluate(None, tiny_set, progress=False, with_niqe=True)
    assert all(np.isnan(r["hr_niqe"]) for r in small["images"]) and np.isnan(small["mean"]["hr_niqe"])
    assert "niqe" not in evaluate.card_scores(small["mean"]) and "bicubic_psnr" in evaluate.card_scores(small["mean"])


def test_large_images_are_evaluated_tile_by_tile_with_the_same_numbers(monkeypatch):
    """Memory bounded by the tile, the numbers the whole image gives (Set5 with 64-px tiles)."""
    from conftest import shared_data

    from srgan_helpers import evaluate as ev
    from srgan_helpers.inference import load_generator

    generator, folder = load_generator("srresnet-x4"), shared_data("Set5")
    whole = ev.evaluate(generator, folder, progress=False)
    calls = []
    monkeypatch.setattr(ev, "EVAL_TILE", 64)
    from srgan_helpers.inference import tiling

    original = tiling.upscale_tiled
    monkeypatch.setattr(tiling, "upscale_tiled", lambda *a, **k: calls.append(a[1].shape) or original(*a, **k))
    tiled = ev.evaluate(generator, folder, progress=False)
    assert len(calls) == 4  # the Set5 images larger than a 64-px tile (butterfly's LR is 64 x 64: whole)
    for a, b in zip(whole["images"], tiled["images"]):
        assert abs(a["sr_psnr"] - b["sr_psnr"]) < 0.01 and abs(a["sr_ssim"] - b["sr_ssim"]) < 1e-3, a["image"]


def test_a_baseline_evaluation_lends_its_bicubic_and_hr_scores_and_they_are_the_same(monkeypatch):
    """Another model's (or an earlier curve point's) evaluation of the same folder: bicubic's PSNR/SSIM and
    HR's and bicubic's NIQE are taken from it, not measured again; a baseline without NIQE cannot lend NIQE."""
    folder = shared_data("Set5")
    plain = evaluate.evaluate(None, folder, progress=False)
    with_niqe = evaluate.evaluate(None, folder, progress=False, with_niqe=True)
    measured = []
    original = evaluate.bicubic_upscale
    monkeypatch.setattr(evaluate, "bicubic_upscale", lambda *a: measured.append(1) or original(*a))
    assert evaluate.evaluate(None, folder, progress=False, baseline=plain) == plain and not measured
    assert evaluate.evaluate(None, folder, progress=False, with_niqe=True, baseline=with_niqe) == with_niqe
    assert evaluate.evaluate(None, folder, progress=False, baseline=with_niqe) == plain and not measured
    assert evaluate.evaluate(None, folder, progress=False, with_niqe=True, baseline=plain) == with_niqe
    assert len(measured) == 5  # the last call: NIQE was not in its baseline, so every image was measured
