"""Every awkward input through preprocess, the loader and srgan-upscale: converted or skipped with a
reason, never a crash, never a partial file."""

import numpy as np
import pytest
from bad_inputs import make_bad_inputs
from PIL import Image

from srgan_helpers.data.loader import load_pairs
from srgan_helpers.data.preprocess import preprocess
from srgan_helpers.images import ImageError
from srgan_helpers.inference import upscale


def no_temp_files(folder):
    return not [p for p in folder.rglob("*") if p.name.startswith(".") or ".tmp" in p.name or ".partial" in p.name]


def test_at_least_twenty_kinds(tmp_path):
    assert len(make_bad_inputs(tmp_path)) >= 20


def test_preprocess_converts_or_skips_each_with_a_reason(tmp_path):
    kinds = make_bad_inputs(tmp_path / "raw")
    with pytest.warns(UserWarning, match="usable images"):
        manifest = preprocess(tmp_path / "raw", tmp_path / "set", n_images=100, hr_size=88, test_fraction=0,
                              progress=False)
    skipped = {row["file"]: row["reason"] for row in manifest["skipped"]}
    kept = {row["source"] for row in manifest["train"]}
    for name, expected in kinds.items():
        if expected == "ok":
            assert name in kept, (name, skipped.get(name))
        else:
            reason = skipped.get(name, "")
            assert name in skipped and (expected in reason or "truncated" in reason), (name, reason)
    for record in manifest["train"]:
        img = Image.open(tmp_path / "set" / "train" / "hr" / record["name"])
        assert img.mode == "RGB" and img.size == (88, 88)
    assert no_temp_files(tmp_path / "set")


def test_loader_names_a_corrupt_cache_file(tmp_path, sample_raw):
    preprocess(sample_raw, tmp_path / "set", n_images=6, hr_size=64, test_fraction=0, progress=False)
    victim = sorted((tmp_path / "set" / "train" / "lr").iterdir())[2]
    victim.write_bytes(victim.read_bytes()[:40])
    with pytest.raises((ImageError, ValueError), match=victim.name):  # its manifest digest tells first now
        load_pairs(tmp_path / "set", "train")
    victim.unlink()
    with pytest.raises(FileNotFoundError, match=victim.name):
        load_pairs(tmp_path / "set", "train")


@pytest.mark.slow
def test_upscale_processes_the_good_ones_and_names_each_bad_one(tmp_path, capsys):
    from srgan_helpers.networks.srresnet import build_generator
    from srgan_helpers.training import export_generator

    kinds = make_bad_inputs(tmp_path / "raw")
    model = export_generator(build_generator(4, n_res_blocks=1), tmp_path / "g.keras")
    code = upscale.main([str(tmp_path / "raw"), "--model", str(model), "--out", str(tmp_path / "out"), "--quiet",
                         "--tile", "48", "--overlap", "8"])
    err = capsys.readouterr().err
    assert code == 1
    unreadable = {n for n, e in kinds.items() if e not in ("ok", "smaller")}
    error_lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(error_lines) == len(unreadable)
    for name in unreadable:
        assert sum(name in line for line in error_lines) == 1, name
    outputs = {p.name for p in (tmp_path / "out").iterdir()}
    assert len(outputs) == len(kinds) - len(unreadable)  # small images upscale fine
    for name in outputs:
        img = Image.open(tmp_path / "out" / name)
        img.load()
        assert img.width % 4 == 0 and np.asarray(img).size > 0
    assert no_temp_files(tmp_path / "out")
