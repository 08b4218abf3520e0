import io
import json

import numpy as np
import pytest
from conftest import shared_data
from PIL import Image

from srgan_helpers.data.evalsets import read_paired_folder
from srgan_helpers.data.preprocess import preprocess, skipped_report
from srgan_helpers.images import ImageError, open_rgb


def _photo(w=120, h=100, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def make_bad_inputs(folder):
    """One file of every awkward kind; returns {name: expected outcome}."""
    folder.mkdir(parents=True, exist_ok=True)
    rgb = Image.fromarray(_photo())
    rgb.save(folder / "good.png")
    buf = io.BytesIO()
    rgb.save(buf, "JPEG")
    (folder / "truncated.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "text.jpg").write_text("this is not an image")
    rgb.convert("CMYK").save(folder / "cmyk.jpg")
    Image.fromarray((np.arange(120 * 100).reshape(100, 120) * 5).astype(np.uint16)).save(folder / "gray16.png")
    rgb.convert("P").save(folder / "palette.png")
    rgb.convert("RGBA").save(folder / "rgba.png")
    rgb.convert("LA").save(folder / "la.png")
    rgb.convert("L").save(folder / "gray.png")
    tall = Image.fromarray(_photo(100, 120, seed=2))
    exif = tall.getexif()
    exif[0x0112] = 6  # orientation: rotate 90 CW on display
    tall.save(folder / "exif_rotated.jpg", exif=exif)
    Image.fromarray(_photo(40, 40)).save(folder / "small.png")
    return {"truncated.jpg": "truncated", "empty.jpg": "empty", "text.jpg": "not an image", "small.png": "smaller"}


def test_every_awkward_input_is_converted_or_skipped_with_reason(tmp_path):
    skipped = make_bad_inputs(tmp_path / "raw")
    manifest = preprocess(tmp_path / "raw", tmp_path / "set", n_images=100, hr_size=88, scale=4,
                          test_fraction=0.25, progress=False)
    reasons = {row["file"]: row["reason"] for row in manifest["skipped"]}
    assert set(reasons) == set(skipped)
    for name, word in skipped.items():
        assert word in reasons[name], reasons[name]
    kept = {r["source"] for split in ("train", "test") for r in manifest[split]}
    assert kept == {"good.png", "cmyk.jpg", "gray16.png", "palette.png", "rgba.png", "la.png", "gray.png",
                    "exif_rotated.jpg"}
    for split in ("train", "test"):
        for record in manifest[split]:
            hr = Image.open(tmp_path / "set" / split / "hr" / record["name"])
            lr = Image.open(tmp_path / "set" / split / "lr" / record["name"])
            assert (hr.size, hr.mode, lr.size, lr.mode) == ((88, 88), "RGB", (22, 22), "RGB")
    assert "truncated.jpg" in skipped_report(manifest)
    assert not [p for p in (tmp_path).rglob("*") if ".tmp" in p.name or ".partial" in p.name]


def test_exif_orientation_and_modes(tmp_path):
    make_bad_inputs(tmp_path)
    assert open_rgb(tmp_path / "exif_rotated.jpg").size == (120, 100)  # 100x120 stored, rotated on display
    g16 = np.asarray(open_rgb(tmp_path / "gray16.png"))
    assert g16.dtype == np.uint8 and g16.max() > 100  # scaled from 16 bits, not clipped to 255
    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    rgba.save(tmp_path / "clear.png")
    assert tuple(np.asarray(open_rgb(tmp_path / "clear.png"))[0, 0]) == (255, 255, 255)  # on white
    with pytest.raises(ImageError, match="empty"):
        open_rgb(tmp_path / "empty.jpg")


def test_centre_crop_and_pillow_bicubic(tmp_path):
    (tmp_path / "raw").mkdir()
    img = _photo(200, 180)
    Image.fromarray(img).save(tmp_path / "raw" / "a.png")
    manifest = preprocess(tmp_path / "raw", tmp_path / "set", n_images=1, hr_size=176, scale=4, test_fraction=0,
                          progress=False)
    name = manifest["train"][0]["name"]
    hr = np.asarray(Image.open(tmp_path / "set/train/hr" / name))
    lr = Image.open(tmp_path / "set/train/lr" / name)
    assert np.array_equal(hr, img[2:178, 12:188])
    assert np.array_equal(np.asarray(lr), np.asarray(Image.fromarray(hr).resize((44, 44), Image.Resampling.BICUBIC)))


def test_rerun_is_a_no_op_and_other_params_never_mix(tmp_path, sample_raw):
    m1 = preprocess(sample_raw, tmp_path / "s", n_images=10, hr_size=64, test_fraction=0.2, seed=5, progress=False)
    stamp = (tmp_path / "s" / "manifest.json").stat().st_mtime_ns
    assert preprocess(sample_raw, tmp_path / "s", n_images=10, hr_size=64, test_fraction=0.2, seed=5,
                      progress=False) == m1
    assert (tmp_path / "s" / "manifest.json").stat().st_mtime_ns == stamp
    assert (m1["counts"]["train"], m1["counts"]["test"]) == (8, 2)
    with pytest.raises(FileExistsError, match="other parameters"):
        preprocess(sample_raw, tmp_path / "s", n_images=10, hr_size=96, test_fraction=0.2, seed=5, progress=False)
    m2 = preprocess(sample_raw, tmp_path / "s", n_images=6, hr_size=96, seed=5, overwrite=True, progress=False)
    files = list((tmp_path / "s").rglob("*.png"))
    assert len(files) == 2 * 6 and all(Image.open(f).size in ((96, 96), (24, 24)) for f in files)
    assert json.loads((tmp_path / "s" / "manifest.json").read_text())["params"] == m2["params"]


def test_seeded_choice_is_reproducible(tmp_path, sample_raw):
    a = preprocess(sample_raw, tmp_path / "a", n_images=8, hr_size=64, seed=3, progress=False)
    b = preprocess(sample_raw, tmp_path / "b", n_images=8, hr_size=64, seed=3, progress=False)
    c = preprocess(sample_raw, tmp_path / "c", n_images=8, hr_size=64, seed=4, progress=False)
    assert [r["hr_sha256"] for r in a["train"]] == [r["hr_sha256"] for r in b["train"]]
    assert [r["source"] for r in a["train"]] != [r["source"] for r in c["train"]]


def test_real_celeba_faces_give_88_and_22_pixel_pairs(tmp_path):
    faces = shared_data("faces")
    manifest = preprocess(faces, tmp_path / "faces", n_images=50, hr_size=88, scale=4, test_fraction=0.2,
                          progress=False)
    assert (manifest["counts"]["train"], manifest["counts"]["test"], manifest["counts"]["skipped"]) == (40, 10, 0)
    assert manifest["counts"]["source_files"] == 2000
    hr = Image.open(tmp_path / "faces/train/hr" / manifest["train"][0]["name"])
    lr = Image.open(tmp_path / "faces/train/lr" / manifest["train"][0]["name"])
    assert (hr.size, lr.size) == ((88, 88), (22, 22))


def test_paired_benchmark_folder_set5():
    pairs = read_paired_folder(shared_data("Set5"), scale=4)
    assert [name for name, _, _ in pairs] == ["baby", "bird", "butterfly", "head", "woman"]
    for _, hr, lr in pairs:
        assert hr.shape[0] == 4 * lr.shape[0] and hr.shape[1] == 4 * lr.shape[1] and hr.dtype == np.uint8


def test_the_source_folder_is_never_written_to_or_replaced(tmp_path, sample_raw):
    import shutil

    from srgan_helpers import workflows

    photos = tmp_path / "data" / "myphotos"
    shutil.copytree(sample_raw, photos)
    before = sorted(p.name for p in photos.iterdir())
    for out in (photos, photos / "inside", tmp_path / "data"):  # is, lies inside, contains the source
        with pytest.raises(ValueError, match="overlap"):
            preprocess(photos, out, n_images=4, hr_size=64, overwrite=True, progress=False)
    out_dir, _ = workflows.prepare(str(photos), tmp_path / "data", n_images=4, hr_size=64, overwrite=True)
    assert out_dir.name == "myphotos_prepared" and sorted(p.name for p in photos.iterdir()) == before
    stranger = tmp_path / "data" / "not_ours"
    stranger.mkdir()
    (stranger / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a set this package prepared"):
        preprocess(photos, stranger, n_images=4, hr_size=64, overwrite=True, progress=False)
    assert (stranger / "keep.txt").read_text() == "mine"


def test_a_folder_with_a_lookalike_manifest_or_a_photo_added_to_a_set_is_never_replaced(tmp_path, sample_raw):
    """Only a manifest made by this package, in a folder holding nothing but the set's own layout, marks a
    set that overwrite=True may replace: a user's manifest.json with a "params" key is not one, and a photo
    put into a prepared set is not taken along."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "manifest.json").write_text(json.dumps({"params": {"hr_size": 1}, "note": "my own index"}))
    (mine / "photo.jpg").write_bytes(b"my only copy")
    with pytest.raises(FileExistsError, match="not a set this package prepared"):
        preprocess(sample_raw, mine, n_images=4, hr_size=64, overwrite=True, progress=False)
    assert (mine / "photo.jpg").read_bytes() == b"my only copy"
    ours = tmp_path / "ours"
    preprocess(sample_raw, ours, n_images=4, hr_size=64, progress=False)
    (ours / "photo.jpg").write_bytes(b"put here later")
    (ours / "train" / "notes.txt").write_text("mine too")
    with pytest.raises(FileExistsError, match=r"holds files a prepared set does not \(photo.jpg, train/notes.txt\)"):
        preprocess(sample_raw, ours, n_images=4, hr_size=96, overwrite=True, progress=False)
    assert (ours / "photo.jpg").read_bytes() == b"put here later"
    (ours / "photo.jpg").unlink()
    (ours / "train" / "notes.txt").unlink()
    replaced = preprocess(sample_raw, ours, n_images=4, hr_size=96, overwrite=True, progress=False)
    assert replaced["params"]["hr_size"] == 96


def test_whole_images_are_kept_with_their_bicubic_lr_and_packed(tmp_path):
    from srgan_helpers.data.loader import BatchLoader, open_split
    from srgan_helpers.data.pack import PackedImages

    (tmp_path / "raw").mkdir()
    for i, (w, h) in enumerate(((203, 150), (97, 130), (60, 61))):
        Image.fromarray(_photo(w, h, seed=i)).save(tmp_path / "raw" / f"p{i}.png")
    manifest = preprocess(tmp_path / "raw", tmp_path / "set", n_images=None, mode="whole", min_size=64,
                          test_fraction=0, progress=False)
    assert manifest["counts"]["train"] == 2 and manifest["skipped"][0]["file"] == "p2.png"
    assert manifest["min_hr_side"] == 96  # 97 x 130 cropped to a multiple of 4
    pack = PackedImages(tmp_path / "set" / "train" / "pack")
    for i, name in enumerate(pack.names):
        hr = np.asarray(Image.open(tmp_path / "set" / "train" / "hr" / name))
        lr = np.asarray(Image.open(tmp_path / "set" / "train" / "lr" / name))
        assert np.array_equal(pack.image(i, "hr"), hr) and np.array_equal(pack.image(i, "lr"), lr)
        assert np.array_equal(lr, np.asarray(Image.fromarray(hr).resize((hr.shape[1] // 4, hr.shape[0] // 4),
                                                                        Image.Resampling.BICUBIC)))
    images = open_split(tmp_path / "set", "train")
    assert isinstance(images._maps["hr"], np.memmap)  # read from the mapped file, never loaded whole
    loader = BatchLoader(images, 4, crop_size=32, augment=True, seed=1, steps_per_epoch=3)
    first = list(loader.epoch(0))
    assert all(lr.shape == (4, 8, 8, 3) and hr.shape == (4, 32, 32, 3) for lr, hr in first)
    again = list(BatchLoader(open_split(tmp_path / "set", "train"), 4, 32, True, seed=1, steps_per_epoch=3).epoch(0))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again))  # seeded, replayable
    with pytest.raises(ValueError, match="smallest HR side 96"):
        BatchLoader(images, 4, crop_size=128)


def test_a_huge_16_bit_image_is_cropped_before_it_is_converted(tmp_path):
    """Fixed mode takes the centre crop in the file's own mode: no whole-image conversion or float copy."""
    big = (np.arange(4000 * 4000, dtype=np.uint32).reshape(4000, 4000) % 65536).astype(np.uint16)
    (tmp_path / "raw").mkdir()
    Image.fromarray(big).save(tmp_path / "raw" / "big16.png")
    import tracemalloc

    tracemalloc.start()
    preprocess(tmp_path / "raw", tmp_path / "set", n_images=1, hr_size=176, test_fraction=0, progress=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 80e6, peak  # the decoded 16-bit image is 32 MB; a float64 copy of it alone would be 128 MB


def test_split_by_folder_keeps_each_person_in_one_split(tmp_path):
    """LFW: 10 people of 10 photos; by folder, no person is in both splits (their shots are near duplicates)."""
    source = shared_data("faces_lfw")
    manifest = preprocess(source, tmp_path / "lfw", n_images=None, hr_size=248, test_fraction=0.2,
                          split_by="folder", progress=False)
    people = {split: {r["source"].split("/")[0] for r in manifest[split]} for split in ("train", "test")}
    assert len(people["train"]) == 8 and len(people["test"]) == 2 and not people["train"] & people["test"]
    assert manifest["counts"]["train"] + manifest["counts"]["test"] == 100
    assert manifest["params"]["split_by"] == "folder"
    again = preprocess(source, tmp_path / "lfw2", n_images=None, hr_size=248, test_fraction=0.2,
                       split_by="folder", progress=False)
    assert [r["source"] for r in again["test"]] == [r["source"] for r in manifest["test"]]  # seeded
    by_image = preprocess(source, tmp_path / "lfw3", n_images=None, hr_size=248, test_fraction=0.2, progress=False)
    mixed = {r["source"].split("/")[0] for r in by_image["train"]} & {r["source"].split("/")[0]
                                                                       for r in by_image["test"]}
    assert mixed and "split_by" not in by_image["params"]  # by image, people straddle (and old sets keep params)


def test_split_by_folder_refuses_one_folder_and_unknown_values(tmp_path, sample_raw):
    with pytest.raises(ValueError, match="a single folder holds the images"):
        preprocess(sample_raw, tmp_path / "one", n_images=8, hr_size=64, split_by="folder", progress=False)
    with pytest.raises(ValueError, match="split_by='person'"):
        preprocess(sample_raw, tmp_path / "bad", n_images=8, hr_size=64, split_by="person", progress=False)
    assert not (tmp_path / "one").exists() and not (tmp_path / "bad").exists()
