import io
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data
from PIL import Image, ImageCms

from srgan_helpers.inference import upscale
from srgan_helpers.inference.tiling import seam_weights, upscale_tiled


@pytest.fixture(scope="module")
def generator_path(tmp_path_factory):
    import keras

    from srgan_helpers.networks.srresnet import build_generator
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
    image = np.random.default_rng(1).integers(0, 256, (120, 180, 3), dtype=np.uint8)  # 2 x 3 tiles: seams both ways
    whole = upscaler.predict(image[None].astype(np.float32) / 127.5 - 1)[0]
    tiled = upscale_tiled(upscaler.predict, image, 4, tile=64, overlap=overlap)  # uint8 in: no float copy made
    assert tiled.shape == (480, 720, 3)
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
    "rgba.png": (lambda: Image.fromarray(np.dstack([photo(), np.tile(np.arange(0, 240, 8, dtype=np.uint8), (20, 1))])),
                 "RGBA"),
    "gray16.png": (lambda: Image.fromarray((np.arange(600).reshape(20, 30) * 100).astype(np.uint16)), "I;16"),
}


@pytest.mark.parametrize("name", sorted(MODES))
def test_each_mode_round_trips_with_right_size_and_mode(name, generator_path, tmp_path, capsys):
    make, mode = MODES[name]
    make().save(tmp_path / name)
    code, text = run([tmp_path / name, "--model", generator_path], tmp_path, capsys)
    assert code == 0
    out = Image.open(tmp_path / "out" / name.replace(".png", "_x4.png"))
    assert out.size == (120, 80) and out.mode == mode
    assert ("16-bit input upscaled with 8-bit precision" in text.out) == (mode == "I;16")  # said, not hidden
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
    assert Image.MAX_IMAGE_PIXELS == 100  # restored: --allow-large once left every later image unguarded


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
    lr_size = Image.open(shared_data("Set14") / "LR_bicubic_x4" / "bridge.png").size
    assert bridge.mode == "L" and bridge.size == tuple(4 * s for s in lr_size)


def test_inputs_with_the_same_name_never_overwrite_each_other(tmp_path):
    from pathlib import Path

    paths = [Path("a/photo.jpg"), Path("a/photo.png"), Path("b/photo.png"), Path("c/other.png")]
    stems = upscale.output_stems(paths)
    assert len(set(stems.values())) == 4 and stems[Path("c/other.png")] == "other"
    assert stems[Path("a/photo.jpg")] == "photo_jpg"


def noise(w, h, seed=0):
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def hidden_files(folder):
    return [p.name for p in folder.rglob(".*")]


def test_a_full_disk_costs_one_line_and_the_other_inputs_are_done(generator_path, tmp_path):
    """A real write limit (RLIMIT_FSIZE: writes past 200 kB fail with EFBIG, as on a full disk)."""
    import resource
    import signal
    import subprocess
    import sys

    src = tmp_path / "in"
    src.mkdir()
    noise(128, 128).save(src / "a_big.png")  # 512x512 noise: ~790 kB of PNG, over the limit
    noise(12, 10).save(src / "b_small.png")

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "srgan_helpers.upscale", str(src), "--model", str(generator_path),
                           "--out", str(out), "--quiet", "--tile", "64", "--overlap", "16"], capture_output=True,
                          text=True, preexec_fn=limit_file_size, timeout=300)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert len(errors) == 1 and "a_big.png" in errors[0] and "File too large" in errors[0]
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["b_small_x4.png"] and not hidden_files(out)


def test_a_temp_file_a_killed_run_left_in_out_is_removed_by_the_next_run(generator_path, tmp_path, capsys):
    """A real leftover: atomic_path's temp file of a process SIGKILLed while writing it. The next run removes
    it; a live writer's temp file (this process) and another host's stay."""
    import signal
    import subprocess
    import sys

    from srgan_helpers.fileio import owner_tag

    out = tmp_path / "out"
    killed = ("import os, signal, sys\nfrom srgan_helpers.fileio import atomic_path\n"
              "with atomic_path(sys.argv[1]) as tmp:\n    tmp.write_bytes(b'half an image')\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n")
    assert subprocess.run([sys.executable, "-c", killed, str(out / "p_x4.png")]).returncode == -signal.SIGKILL
    assert len(hidden_files(out)) == 1
    live, other_host = f".q_x4.png.{owner_tag()}.abcd1234.tmp", ".r_x4.png.00000000-1.abcd1234.tmp"
    for name in (live, other_host):
        (out / name).write_bytes(b"being written")
    src = tmp_path / "in"
    src.mkdir()
    noise(24, 24, seed=1).save(src / "p.png")
    assert upscale.main([str(src), "--model", str(generator_path), "--out", str(out)]) == 0
    assert sorted(hidden_files(out)) == sorted([live, other_host])
    assert "removed 1 temp file(s) a killed run left in" in capsys.readouterr().out


def test_an_input_whose_output_name_is_too_long_is_one_line_and_the_others_go_on(generator_path, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    noise(24, 24, seed=1).save(src / ("a" * 250 + ".png"))  # 254 characters: with "_x4" the output's are 257
    noise(24, 24, seed=2).save(src / "b.png")
    code = upscale.main([str(src), "--model", str(generator_path), "--out", str(out), "--quiet"])
    assert code == 1 and sorted(p.name for p in out.iterdir()) == ["b_x4.png"]


def test_an_empty_suffix_with_a_250_character_name_is_written(generator_path, tmp_path):
    """The attack: `--suffix ''` and a 250-character stem failed because the temp name was longer than 255."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    noise(24, 24, seed=1).save(src / ("b" * 250 + ".png"))
    code = upscale.main([str(src), "--model", str(generator_path), "--out", str(out), "--quiet", "--suffix", ""])
    assert code == 0 and [p.name for p in out.iterdir()] == ["b" * 250 + ".png"]


def test_a_plain_scale_field_with_a_format_spec_is_still_a_good_suffix():
    assert upscale.suffix_problem("_x{scale}") is None and upscale.suffix_problem("-{scale:02d}x") is None


def test_an_output_name_that_would_leave_the_output_folder_is_refused(tmp_path):
    with pytest.raises(upscale.InputError, match="would leave --out"):
        upscale.output_path(tmp_path / "a.png", tmp_path / "out", "sr", "png", 4, stem="../a")


@pytest.mark.parametrize("extra, message", [
    (["--suffix", "/../../x"], "--suffix"),
    (["--suffix", "{scale.__floordiv__.__doc__[11]}"], "no attributes, indexes or nested fields"),  # rebuilds '/'
    (["--suffix", "{scale[0]}"], "--suffix"), (["--suffix", "{scale:{scale}}"], "nested fields"),
    (["--suffix", "{stem}"], "only {scale}"),
    (["--overlap", "0"], "--overlap 0"),
    (["--overlap", "100", "--tile", "64"], "--overlap 100"),
    (["--tile", "4"], "--tile 4"),
])
def test_bad_options_are_refused_in_one_line_before_anything_is_written(extra, message, generator_path, tmp_path,
                                                                         capsys):
    noise(12, 10).save(tmp_path / "a.png")
    code = upscale.main([str(tmp_path / "a.png"), "--model", str(generator_path), "--out", str(tmp_path / "out"),
                         "--quiet", *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists() and not (tmp_path.parent / "x_x4.png").exists()


def test_an_impossible_or_unwritable_out_is_refused_before_the_model_loads(tmp_path, capsys, monkeypatch):
    noise(12, 10).save(tmp_path / "a.png")
    (tmp_path / "file").write_text("x")
    code = upscale.main([str(tmp_path / "a.png"), "--model", "no-such-model", "--out", str(tmp_path / "file" / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "--out" in err and "model" not in err.split("--out")[0]

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(upscale.tempfile, "NamedTemporaryFile", read_only)
    code = upscale.main([str(tmp_path / "a.png"), "--model", "no-such-model", "--out", str(tmp_path / "ro")])
    assert code == 2 and "Read-only file system" in capsys.readouterr().err


def test_animated_and_multipage_files_say_first_frame_only(generator_path, tmp_path, capsys):
    noise(16, 12, 1).save(tmp_path / "anim.gif", save_all=True, append_images=[noise(16, 12, 2), noise(16, 12, 3)])
    noise(16, 12, 1).save(tmp_path / "pages.tif", save_all=True, append_images=[noise(16, 12, 2)])
    code = upscale.main([str(tmp_path / "anim.gif"), str(tmp_path / "pages.tif"), "--model", str(generator_path),
                         "--out", str(tmp_path / "out"), "--quiet", "--tile", "64", "--overlap", "16"])
    out = capsys.readouterr().out
    assert code == 0 and "first of 3 frames" in out and "first of 2 frames" in out


def test_outputs_honour_the_umask(generator_path, tmp_path):
    import os
    import stat

    noise(12, 10).save(tmp_path / "a.png")
    old = os.umask(0o022)
    try:
        assert upscale.main([str(tmp_path / "a.png"), "--model", str(generator_path), "--out", str(tmp_path / "o"),
                             "--quiet"]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "o" / "a_x4.png").stat().st_mode) == 0o644


def _traced_peak_of_tiling(height: int, width: int) -> int:
    import tracemalloc

    lr = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    out = np.zeros((4 * height, 4 * width, 3), np.uint8)  # the caller's result image, allocated before tracing

    def nearest(batch):
        return np.repeat(np.repeat(batch, 4, axis=1), 4, axis=2)

    tracemalloc.start()
    upscale_tiled(nearest, lr, 4, tile=192, overlap=32, out=out)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert np.array_equal(out[::4, ::4], lr)
    return peak


def test_tiling_memory_does_not_grow_with_the_image_height():
    """Three times the rows (6 -> 18 MP out, uint8 result given by the caller): the traced peak stays the same
    (tile buffers and one seam strip as wide as the image); a float32 copy of the 18 MP output would be 216 MB."""
    small, large = _traced_peak_of_tiling(500, 1500), _traced_peak_of_tiling(1500, 1500)
    assert large < 1.1 * small + 2e6, f"{small / 1e6:.0f} MB -> {large / 1e6:.0f} MB"
    assert large < 80e6, f"peak {large / 1e6:.0f} MB"


def test_an_input_smaller_than_the_networks_reach_keeps_its_colour(tmp_path):
    """A 1x1 (200, 100, 50) came back (160, 118, 93): the network's zero padding reached every pixel. Small
    inputs are mirrored out first; with the shipped model every output pixel stays within 4 levels."""
    for size in ((1, 1), (5, 3)):
        Image.new("RGB", size, (200, 100, 50)).save(tmp_path / f"tiny{size[0]}.png")
    assert upscale.main([str(tmp_path / "tiny1.png"), str(tmp_path / "tiny5.png"), "--model", "srresnet-x4",
                         "--out", str(tmp_path / "out"), "--quiet"]) == 0
    for name, size in (("tiny1_x4.png", (4, 4)), ("tiny5_x4.png", (20, 12))):
        out = Image.open(tmp_path / "out" / name)
        assert out.size == size
        assert np.abs(np.asarray(out).astype(int) - (200, 100, 50)).max() <= 4


def test_tile_auto_sizes_the_tile_from_free_memory_and_halves_it_on_out_of_memory(generator_path, tmp_path,
                                                                                  capsys, monkeypatch):
    from srgan_helpers.inference import memory

    assert memory.auto_tile(32, 50_000, free=8 * 2**30) == 224 and memory.auto_tile(32, 50_000, free=2**20) == 32
    assert memory.auto_tile(32, 50_000, free=10**15) == 1024  # clamped
    assert memory.is_out_of_memory(RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate"))
    assert not memory.is_out_of_memory(ValueError("bad shape"))
    from srgan_helpers.inference import load_generator

    per_pixel = memory.window_bytes_per_pixel(load_generator(generator_path))
    monkeypatch.setattr(memory, "free_host_bytes", lambda: 2 * 288**2 * per_pixel)  # -> 256-px tiles (+2 x 16)
    real_predict, windows = upscale.Upscaler.predict, []

    def predict_with_little_memory(self, batch):  # fault injection: windows over 100 px "run out of memory"
        windows.append(batch.shape[1])
        if max(batch.shape[1:3]) > 100:
            raise RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate 3.2GiB")
        return real_predict(self, batch)

    monkeypatch.setattr(upscale.Upscaler, "predict", predict_with_little_memory)
    noise(160, 160, seed=3).save(tmp_path / "big.png")
    code = upscale.main([str(tmp_path / "big.png"), "--model", str(generator_path), "--tile", "auto", "--overlap", "16",
                         "--out", str(tmp_path / "out"), "--quiet"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "tile halved to 64" in out.out and windows[:2] == [160, 144]  # 256 (the whole 160) -> 128 -> 64
    expected = upscale.Upscaler(generator_path, 64, 16).upscale_array(np.asarray(Image.open(tmp_path / "big.png")))
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "big_x4.png")), expected)
    with pytest.raises(SystemExit):
        upscale.build_parser().parse_args(["x.png", "--model", "m", "--tile", "nine"])


@pytest.mark.parametrize("name", __import__("srgan_helpers.named_models", fromlist=["shipped"]).shipped())
def test_every_shipped_model_upscales_by_its_name(name, tmp_path, capsys):
    noise(40, 30, seed=5).save(tmp_path / "small.png")
    code = upscale.main([str(tmp_path / "small.png"), "--model", name, "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert Image.open(tmp_path / "out" / "small_x4.png").size == (160, 120)


def test_a_result_too_large_for_memory_is_refused_before_anything_is_allocated(generator_path, tmp_path, capsys,
                                                                              monkeypatch):
    from srgan_helpers.inference import memory

    noise(200, 100, seed=6).save(tmp_path / "wide.png")  # its x4 result: 800 x 400 x 3 = 0.96 MB
    noise(20, 10, seed=7).save(tmp_path / "tiny.png")
    monkeypatch.setattr(memory, "free_host_bytes", lambda: 1_000_000)  # as if 1 MB were free
    code = upscale.main([str(tmp_path), "--model", str(generator_path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "wide.png: its x4 result (800x400) needs 0.0 GiB" in err and "--allow-large" in err
    assert upscale.bytes_needed(200, 100, 4, False) == 200 * 100 * 7 + 800 * 400 * 4  # Pillow's RGB: 4 B a pixel
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["tiny_x4.png"]  # the others go on
    code = upscale.main([str(tmp_path / "wide.png"), "--model", str(generator_path), "--out", str(tmp_path / "out"),
                         "--quiet", "--allow-large"])
    assert code == 0 and (tmp_path / "out" / "wide_x4.png").is_file()


def png_declaring(width: int, height: int) -> bytes:
    """A small PNG whose header declares width x height (its data: one compressed row, then truncated)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * (3 * width + 1)))
            + chunk(b"IEND", b""))


def test_a_small_png_declaring_100_mpx_is_refused_from_its_header_before_decoding(generator_path, tmp_path, capsys,
                                                                                 monkeypatch):
    """The attack's 97 KB PNG of 100 Mpx was decoded (8.95 GB peak RSS): the check ran after decoding and
    counted 3 bytes a pixel where Pillow allocates 4. Now the header decides, before any decoding."""
    (tmp_path / "bomb.png").write_bytes(png_declaring(10_000, 10_000))
    noise(20, 10, seed=7).save(tmp_path / "tiny.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 89_478_485)  # Pillow's default, whatever ran before
    decoded = []
    real_decode = upscale.decode
    monkeypatch.setattr(upscale, "decode", lambda path: decoded.append(path.name) or real_decode(path))
    code = upscale.main([str(tmp_path), "--model", str(generator_path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "bomb.png: declares 10000x10000 (100 Mpx), over Pillow's decompression-bomb limit" in err
    assert decoded == ["tiny.png"] and err.count("error:") == 1  # never decoded; the others go on
    assert (tmp_path / "bomb.png").stat().st_size < 100_000


def test_an_output_written_meanwhile_by_another_run_is_not_overwritten(tmp_path):
    """Two upscales into one --out: the second to finish finds the name taken and leaves the first's file."""
    dest = tmp_path / "photo_x4.png"
    with pytest.raises(upscale.InputError, match="already exists .*meanwhile"):
        img = Image.fromarray(photo())
        original_save = img.save

        def save_then_lose_the_race(path, **kwargs):
            original_save(path, **kwargs)
            dest.write_bytes(b"the other run's result")  # written while this one was still encoding

        img.save = save_then_lose_the_race
        upscale.save_atomic(img, dest, "png", 95, None, overwrite=False)
    assert dest.read_bytes() == b"the other run's result" and not hidden_files(tmp_path)
    upscale.save_atomic(Image.fromarray(photo()), dest, "png", 95, None, overwrite=True)  # --overwrite replaces
    assert Image.open(dest).size == (30, 20)


@pytest.mark.parametrize("during", ["first", "last"])
def test_a_signal_during_any_image_even_the_last_stops_the_run(generator_path, tmp_path, capsys, monkeypatch, during):
    """The handler only sets a flag (an exception raised in a gc callback was printed and lost); the flag is
    checked between tiles and images and once more before success is reported: a Ctrl-C during the last
    image once ended with status 0."""
    from srgan_helpers import interrupts

    noise(24, 24, seed=1).save(tmp_path / "a.png")
    noise(24, 24, seed=2).save(tmp_path / "b.png")
    real_process = upscale.process

    def process_with_a_signal(src, *args, **kwargs):
        if src.name == ("a.png" if during == "first" else "b.png"):
            interrupts.request_stop()
        return real_process(src, *args, **kwargs)

    monkeypatch.setattr(upscale, "process", process_with_a_signal)
    code = upscale.main([str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--model", str(generator_path),
                         "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 130, err
    if during == "first":  # the image's tiles stop at once: nothing of it is written
        assert "interrupted: 0 of 2 done; not done: " in err and "a.png" in err and "b.png" in err
    else:
        assert "interrupted: 1 of 2 done; not done: " in err and "b.png" in err
    assert not hidden_files(tmp_path / "out") and "Traceback" not in err


def test_compare_strips_are_titled_with_the_models_names(generator_path, tmp_path, capsys, monkeypatch):
    """Notebook 07 and --layout compare: the SR panels say which model made them, not 'SR-A' / 'SR-B'."""
    from srgan_helpers.analysis import strips

    titles = []
    real = strips.strip_grid
    monkeypatch.setattr(strips, "strip_grid", lambda rows, labels, **kw: titles.append(labels) or real(rows, labels))
    Image.fromarray(photo(64, 48)).save(tmp_path / "p.png")
    other = tmp_path / "other.keras"
    other.write_bytes(Path(generator_path).read_bytes())
    assert run([tmp_path / "p.png", "--model", generator_path, "--model-b", other], tmp_path, capsys)[0] == 0
    assert titles == [["LR (nearest)", "Bicubic", Path(generator_path).stem, "other", "HR"]]
