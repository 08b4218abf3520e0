import json

import pytest

from srgan_helpers import compare


def test_comparison_writes_table_chart_and_strips(tiny_set, tmp_path):
    from srgan_helpers.models import build_generator
    from srgan_helpers.training import export_generator

    gen = export_generator(build_generator(4, n_res_blocks=1), tmp_path / "g.keras")
    with pytest.warns(UserWarning):
        result = compare.compare(tiny_set, {"Model A (COCO)": gen, "Model B (CelebA)": gen, "unused": ""},
                                 tmp_path / "cmp", n_images=4, fid_weights=None, n_strips=2, progress=False)
    assert [r["method"] for r in result["rows"]] == ["Bicubic", "Model A (COCO)", "Model B (CelebA)"]
    for row in result["rows"]:
        assert row["n_images"] == 4 and row["fid"] >= 0 and row["psnr"] > 0
    md = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "RANDOM WEIGHTS" in md and "not comparable" in md and "50.11" in md
    assert json.loads((tmp_path / "cmp" / "comparison.json").read_text())["fid_weights"] is None
    for name in ("fid_bar.png", "strips.png", "comparison.csv"):
        assert (tmp_path / "cmp" / name).stat().st_size > 0
    with pytest.raises(ValueError, match="not in the test set"):
        compare.compare(tiny_set, {}, tmp_path / "x", n_images=4, fid_weights=None, strip_images=["nope.png"],
                        progress=False)


def test_published_reference_only_comparable_on_the_original_setup():
    assert compare.comparable_to_published(500, 176, "imagenet") == (True, "comparable")
    ok, why = compare.comparable_to_published(20, 88, None)
    assert not ok and "not ImageNet" in why and "20 images" in why
