"""Degraded pairs made once (data/degraded_set.py): seeded, read by the ordinary loader, kept when asked again
with the same settings, never half-written."""

import shutil

import numpy as np
import pytest
from conftest import SHARED as SHARED_DATA
from PIL import Image

from srgan_helpers.data.degrade import DegradeRanges
from srgan_helpers.data.degraded_set import make_degraded_set
from srgan_helpers.data.loader import BatchLoader, open_split

pytestmark = pytest.mark.skipif(not (SHARED_DATA / "T91").is_dir(), reason="../shared/data/T91 is not here")


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for path in sorted((SHARED_DATA / "T91" / "HR").glob("*.png"))[:3]:
        shutil.copy(path, folder / path.name)
    return folder


def test_the_set_is_seeded_degraded_and_read_by_the_ordinary_loader(photos, tmp_path):
    manifest = make_degraded_set(photos, tmp_path / "a", draws=2, hr_patch=64, progress=False)
    again = make_degraded_set(photos, tmp_path / "b", draws=2, hr_patch=64, progress=False)
    assert manifest["counts"]["train"] == 6 and [r["hr_sha256"] for r in manifest["train"]] == [
        r["hr_sha256"] for r in again["train"]] and [r["lr_sha256"] for r in manifest["train"]] == [
        r["lr_sha256"] for r in again["train"]]
    pairs = open_split(tmp_path / "a")
    assert pairs.hr.shape == (6, 64, 64, 3) and pairs.lr.shape == (6, 16, 16, 3)
    bicubic = [np.asarray(Image.fromarray(h).resize((16, 16), Image.Resampling.BICUBIC)) for h in pairs.hr]
    gaps = [np.abs(b.astype(int) - lr).mean() for b, lr in zip(bicubic, pairs.lr)]
    assert np.mean(gaps) > 3  # blur, noise and JPEG, not the plain bicubic LR
    assert len({r["lr_sha256"] for r in manifest["train"]}) == 6  # each draw its own degradation
    lr, hr = next(iter(BatchLoader(pairs, 4, 48, True, seed=0).prefetch(0)))
    assert lr.shape == (4, 12, 12, 3) and hr.shape == (4, 48, 48, 3)


def test_the_same_settings_keep_the_set_and_a_foreign_folder_is_refused(photos, tmp_path):
    out = tmp_path / "set"
    make_degraded_set(photos, out, draws=1, hr_patch=64, progress=False)
    stamp = (out / "manifest.json").stat().st_mtime_ns
    make_degraded_set(photos, out, draws=1, hr_patch=64, progress=False)
    assert (out / "manifest.json").stat().st_mtime_ns == stamp  # kept, not remade
    assert make_degraded_set(photos, out, draws=2, hr_patch=64, progress=False)["counts"]["train"] == 6  # remade
    (tmp_path / "mine").mkdir()
    with pytest.raises(ValueError, match="is not a degraded set"):
        make_degraded_set(photos, tmp_path / "mine", progress=False)
    with pytest.raises(ValueError, match="multiple of scale"):
        make_degraded_set(photos, tmp_path / "odd", hr_patch=66, progress=False)
    with pytest.raises(ValueError, match="clean_prob"):  # ranges it cannot draw from: refused, nothing written
        make_degraded_set(photos, tmp_path / "bad", ranges=DegradeRanges(clean_prob=2.0), progress=False)
    assert not (tmp_path / "bad").exists()


def test_a_stopped_run_leaves_nothing_behind(photos, tmp_path, monkeypatch):
    from srgan_helpers.data import degraded_set

    calls = []

    def stop_on_the_fourth(hr, rng, ranges, scale):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return hr[::scale, ::scale]

    monkeypatch.setattr(degraded_set, "degrade", stop_on_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        make_degraded_set(photos, tmp_path / "set", draws=2, hr_patch=64, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]


def test_the_quality_benchmark_draws_the_pairs_from_the_ranges_it_is_given(photos, tmp_path):
    """quality.py --train-set 291_degraded --degradation-ranges: the pairs come from those ranges (a folder
    of their own), and the training reads them as fixed pairs (no ranges in its TrainConfig)."""
    import argparse
    import sys

    from conftest import REPO

    sys.path.insert(0, str(REPO / "benchmarks"))
    from quality import degraded_291, make_config

    (tmp_path / "root" / "raw").mkdir(parents=True)
    shutil.copytree(photos, tmp_path / "root" / "raw" / "291")
    args = argparse.Namespace(data_root=str(tmp_path / "root"), draws=1, degraded_patch=64, seed=0,
                              degradation_ranges=None, degraded_recipe=None)
    default = degraded_291(args)
    clean = degraded_291(argparse.Namespace(**{**vars(args), "degradation_ranges": {"clean_prob": 1.0}}))
    assert default != clean and clean.name.startswith(default.name + "_r")
    pairs = open_split(clean)
    bicubic = [np.asarray(Image.fromarray(h).resize((16, 16), Image.Resampling.BICUBIC)) for h in pairs.hr]
    np.testing.assert_array_equal(np.stack(bicubic), pairs.lr)  # clean_prob 1: every LR a plain bicubic
    assert not np.array_equal(open_split(default).lr, pairs.lr)
    with pytest.raises(SystemExit, match="clean_prob"):
        degraded_291(argparse.Namespace(**{**vars(args), "degradation_ranges": {"clean_prob": 2}}))
    from quality import parse_args

    options = parse_args(["--train-set", "291_degraded", "--degradation-ranges", '{"clean_prob": 1.0}'])
    assert make_config(options, clean).degradation_ranges is None


def test_a_set_made_by_an_evaluation_recipe_is_that_recipe_with_the_noise_drawn_per_pair(photos, tmp_path):
    """recipe="strong": every LR is the `strong` evaluation recipe (evaluate --degrade strong) of its HR patch,
    the noise drawn from the pair's own seeded generator; the quality benchmark names the folder by it."""
    import argparse
    import sys

    from conftest import REPO

    from srgan_helpers.data.degrade import eval_degrade, recipe_degrade

    manifest = make_degraded_set(photos, tmp_path / "s", draws=2, hr_patch=64, recipe="strong", progress=False)
    assert manifest["params"]["degradation"] == "recipe strong (1.6, 10.0, 40)"
    pairs = open_split(tmp_path / "s")
    for i, (hr, lr, record) in enumerate(zip(pairs.hr, pairs.lr, manifest["train"])):
        rng = np.random.default_rng([0, i // 2, i % 2])  # draw i % 2 of image i // 2: its crop, then its LR
        height, width = Image.open(photos / record["source"]).size[::-1]
        assert [int(rng.integers(0, height - 63)), int(rng.integers(0, width - 63))] == record["at"]
        np.testing.assert_array_equal(recipe_degrade(hr, "strong", rng, 4), lr)
    assert not np.array_equal(pairs.lr[0], eval_degrade(pairs.hr[0], "x.png", "strong"))  # noise per pair
    with pytest.raises(ValueError, match="no ranges beside it"):
        make_degraded_set(photos, tmp_path / "t", recipe="strong", ranges=DegradeRanges(), progress=False)
    with pytest.raises(ValueError, match="use one of"):
        make_degraded_set(photos, tmp_path / "t", recipe="harsh", progress=False)
    assert not (tmp_path / "t").exists()
    sys.path.insert(0, str(REPO / "benchmarks"))
    from quality import degraded_291

    (tmp_path / "root" / "raw").mkdir(parents=True)
    shutil.copytree(photos, tmp_path / "root" / "raw" / "291")
    args = argparse.Namespace(data_root=str(tmp_path / "root"), draws=2, degraded_patch=64, seed=0,
                              degradation_ranges=None, degraded_recipe="strong")
    made = degraded_291(args)
    assert made.name == "291_degraded_d2_p64_s0_strong"
    np.testing.assert_array_equal(open_split(made).lr, pairs.lr)
