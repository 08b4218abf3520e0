import io

import numpy as np
import pytest
from conftest import shared_data
from PIL import Image, ImageCms

from srgan_helpers import upscale
from srgan_helpers.tiling import seam_weights, upscale_tiled


@pytest.fixture(scope="module")
def generator_path(tmp_path_factory):
    import keras

    from srgan_helpers.models import build_generator
    from srgan_helpers.training import export_generator

    keras.utils.set_random_seed(0)
    return export_generator(build_generator(4, n_res_blocks=1), tmp_path_factory.mktemp("g") / "generator.keras")


@pytest.fixture(scope="module")
def upscaler(generator_path):
    return upscale.Upscaler(generator_path, tile=64, overlap=16)


def photo(w=30, h=20, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("overlap", [16, 24, 32])
def test_tiled_equals_untiled(upscaler, overlap):
    lr = np.random.default_rng(1).uniform(-1, 1, (200, 300, 3)).astype(np.float32)
    whole = upscaler.predict(lr[None])[0]
    tiled = upscale_tiled(upscaler.predict, lr, 4, tile=64, overlap=overlap)
    assert tiled.shape == (800, 1200, 3)
    assert np.abs((tiled - whole) / 2).max() < 1e-4  # on the [0, 1] scale


def test_seam_weights_are_a_partition_of_unity():
    total = np.zeros(100)
    for start in range(0, 100, 30):
        lo = max(0, start - 5)
        w = seam_weights(100, start, min(start + 30, 100), 5)
        total[lo:lo + len(w)] += w
    np.testing.assert_allclose(total, 1.0, atol=1e-6)


def run(args, tmp_path, capsys):
    code = upscale.main([*map(str, args), "--out", str(tmp_path / "out"), "--quiet", "--tile", "64", "--overlap", "16"])
    return code, capsys.readouterr()


MODES = {
    "rgb.png": (lambda: Image.fromarray(photo()), "RGB"),
    "gray.png": (lambda: Image.fromarray(photo()).convert("L"), "L"),
    "la.png": (lambda: Image.fromarray(photo()).convert("LA"), "LA"),
    "palette.png": (lambda: Image.fromarray(photo()).convert("P"), "RGB"),
    "rgba.png": (lambda: Image.fromarray(np.dstack([photo(), np.tile(np.arange(0, 240, 8, dtype=np.uint8), (20, 1))])), "RGBA"),
    "gray16.png": (lambda: Image.fromarray((np.arange(600).reshape(20, 30) * 100).astype(np.uint16)), "I;16"),
}


@pytest.mark.parametrize("name", sorted(MODES))
def test_each_mode_round_trips_with_right_size_and_mode(name, generator_path, tmp_path, capsys):
    make, mode = MODES[name]
    make().save(tmp_path / name)
    code, _ = run([tmp_path / name, "--model", generator_path], tmp_path, capsys)
    assert code == 0
    out = Image.open(tmp_path / "out" / name.replace(".png", "_x4.png"))
    assert out.size == (120, 80) and out.mode == mode
    if mode == "RGBA":  # alpha upscaled bicubically and re-attached
        alpha = np.asarray(out)[..., 3]
        assert alpha[:, 0].mean() < 10 and alpha[:, -1].mean() > 220


def test_cmyk_exif_and_icc_profile(generator_path, tmp_path, capsys):
    Image.fromarray(photo()).convert("CMYK").save(tmp_path / "cmyk.jpg")
    tall = Image.fromarray(photo(20, 30))
    exif = tall.getexif()
    exif[0x0112] = 6
    tall.save(tmp_path / "rotated.jpg", exif=exif)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(photo()).save(tmp_path / "icc.png", icc_profile=icc)
    code, _ = run([tmp_path, "--model", generator_path, "--format", "jpg"], tmp_path, capsys)
    assert code == 0
    assert Image.open(tmp_path / "out" / "cmyk_x4.jpg").mode == "RGB"
    assert Image.open(tmp_path / "out" / "rotated_x4.jpg").size == (120, 80)  # displayed orientation
    assert Image.open(tmp_path / "out" / "icc_x4.jpg").info.get("icc_profile") == icc


def test_bad_files_get_one_line_each_and_the_rest_is_done(generator_path, tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(photo()).save(src / "good.png")
    buf = io.BytesIO()
    Image.fromarray(photo(64, 64)).save(buf, "JPEG")
    (src / "truncated.jpg").write_bytes(buf.getvalue()[:300])
    (src / "empty.png").write_bytes(b"")
    (src / "notes.jpg").write_text("not an image")
    code, captured = run([src, tmp_path / "missing.png", "--model", generator_path], tmp_path, capsys)
    assert code == 1
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 4
    for word in ("truncated.jpg", "empty.png", "notes.jpg", "missing.png"):
        assert sum(word in line for line in errors) == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good_x4.png"]  # nothing partial


def test_no_overwrite_without_flag_and_never_over_the_input(generator_path, tmp_path, capsys):
    Image.fromarray(photo()).save(tmp_path / "a.png")
    assert run([tmp_path / "a.png", "--model", generator_path], tmp_path, capsys)[0] == 0
    code, captured = run([tmp_path / "a.png", "--model", generator_path], tmp_path, capsys)
    assert code == 1 and "--overwrite" in captured.err
    assert run([tmp_path / "a.png", "--model", generator_path, "--overwrite"], tmp_path, capsys)[0] == 0
    # same name, same folder, --overwrite: still refused, the input is never replaced
    before = (tmp_path / "a.png").read_bytes()
    code = upscale.main([str(tmp_path / "a.png"), "--model", str(generator_path), "--out", str(tmp_path),
                         "--suffix", "", "--overwrite", "--quiet"])
    assert code == 1 and "overwrite the input" in capsys.readouterr().err
    assert (tmp_path / "a.png").read_bytes() == before


def test_decompression_bomb_guard_and_override(generator_path, tmp_path, capsys, monkeypatch):
    Image.fromarray(photo(40, 40)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    code, captured = run([tmp_path / "big.png", "--model", generator_path], tmp_path, capsys)
    assert code == 1 and "--allow-large" in captured.err
    code, _ = run([tmp_path / "big.png", "--model", generator_path, "--allow-large"], tmp_path, capsys)
    assert code == 0


def test_layouts_lr_sr_hr_and_compare(generator_path, tmp_path, capsys):
    Image.fromarray(photo(64, 48)).save(tmp_path / "p.png")
    assert run([tmp_path / "p.png", "--model", generator_path, "--layout", "lr-sr-hr"], tmp_path, capsys)[0] == 0
    three = Image.open(tmp_path / "out" / "p_x4_lr-sr-hr.png")
    assert run([tmp_path / "p.png", "--model", generator_path, "--model-b", generator_path], tmp_path, capsys)[0] == 0
    five = Image.open(tmp_path / "out" / "p_x4_compare.png")
    assert five.width > three.width * 1.5 and five.height == three.height
    assert run([tmp_path / "p.png", "--model", tmp_path / "nope.keras"], tmp_path, capsys)[0] == 2


def test_set14_all_fourteen_including_grayscale(generator_path, tmp_path, capsys):
    # The LR inputs keep CI fast; the HR folder (2000x1920 outputs) is the same code, about 16x the pixels.
    code = upscale.main([str(shared_data("Set14") / "LR_bicubic_x4"), "--model", str(generator_path), "--out",
                         str(tmp_path / "up"), "--quiet"])
    assert code == 0
    outs = sorted((tmp_path / "up").glob("*_x4.png"))
    assert len(outs) == 14
    bridge = Image.open(tmp_path / "up" / "bridge_x4.png")
    assert bridge.mode == "L" and bridge.size == tuple(4 * s for s in Image.open(shared_data("Set14") / "LR_bicubic_x4" / "bridge.png").size)


def test_inputs_with_the_same_name_never_overwrite_each_other(tmp_path):
    from pathlib import Path

    paths = [Path("a/photo.jpg"), Path("a/photo.png"), Path("b/photo.png"), Path("c/other.png")]
    stems = upscale.output_stems(paths)
    assert len(set(stems.values())) == 4 and stems[Path("c/other.png")] == "other"
    assert stems[Path("a/photo.jpg")] == "photo_jpg"
