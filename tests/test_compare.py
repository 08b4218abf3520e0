import json

import numpy as np
import pytest

from srgan_helpers import compare


@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    from srgan_helpers.networks.srresnet import build_generator
    from srgan_helpers.training import export_generator

    return export_generator(build_generator(4, n_res_blocks=1), tmp_path_factory.mktemp("g") / "g.keras")


def test_offline_comparison_reports_fid_as_not_measurable_and_plots_no_fid_bar(tiny_set, generator, tmp_path):
    result = compare.compare(tiny_set, {"Model A (COCO)": generator, "Model B (CelebA)": generator, "unused": ""},
                             tmp_path / "cmp", n_images=4, fid_weights=None, n_strips=2, progress=False)
    assert [r["method"] for r in result["rows"]] == ["Bicubic", "Model A (COCO)", "Model B (CelebA)"]
    for row in result["rows"]:
        assert row["n_images"] == 4 and row["fid"] is None and row["kid"] is None and row["psnr"] > 0
    md = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "not measurable offline" in md and "not comparable" in md and "50.11" in md
    assert json.loads((tmp_path / "cmp" / "comparison.json").read_text())["rows"][0]["fid"] is None
    fig = compare.fid_bar_chart(result)
    fid_axis = fig.axes[0]
    assert not fid_axis.patches  # no bar: a published bar alone would read as a score of this data
    assert any("FID not measured" in t.get_text() for t in fid_axis.texts)
    assert any("Bicubic 50.11" in t.get_text() and "not these" in t.get_text() for t in fid_axis.texts)
    for name in ("fid_bar.png", "strips.png", "comparison.csv"):
        assert (tmp_path / "cmp" / name).stat().st_size > 0
    with pytest.raises(ValueError, match="not in the test set"):
        compare.compare(tiny_set, {}, tmp_path / "x", n_images=4, fid_weights=None, strip_images=["nope.png"],
                        progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("network", ["standard", "keras"])
def test_fid_is_measured_with_a_weights_file_and_the_network_is_named(tiny_set, generator, tmp_path, network):
    """The measured path with each network (weights files of random networks: plumbing, not a real FID); the
    table names the network, and only the original's Keras InceptionV3 can be comparable to its numbers."""
    from test_fid_inception import random_state

    from srgan_helpers.metrics import fid_inception

    if network == "keras":
        with pytest.warns(UserWarning):
            net = compare.fid_lib.build_inception(None)
        weights = tmp_path / "inception_notop.weights.h5"
        net.save_weights(weights)
    else:
        weights = tmp_path / "fid_inception.npz"
        np.savez(weights, **random_state(fid_inception.build_fid_inception(random_weights=False)))
    result = compare.compare(tiny_set, {"Model B (CelebA)": generator}, tmp_path / "cmp", n_images=2,
                             fid_weights=str(weights), n_strips=1, progress=False, fid_network=network)
    assert result["fid_status"] == "measured" and all(r["fid"] is not None for r in result["rows"])
    md = (tmp_path / "cmp" / "comparison.md").read_text()
    assert f"FID network: {compare.fid_lib.FID_NETWORKS[network]}." in md
    assert ("standard FID network" in result["published_status"]) == (network == "standard")


def test_published_reference_only_comparable_on_the_original_setup():
    assert compare.comparable_to_published(500, 176, "imagenet") == (True, "comparable")
    ok, why = compare.comparable_to_published(20, 88, None)
    assert not ok and "not ImageNet" in why and "20 images" in why


def test_models_are_named_by_their_labels_or_names_and_niqe_joins_on_real_photos(tmp_path, capsys):
    """Labels: given, else the model's name / run folder / file stem (never "Model A (COCO)" for whatever is
    compared); NIQE in the table and chart for photos of two 96-px blocks; FID "auto" offline: one line."""
    from conftest import shared_data

    assert compare.labelled_models(["srresnet-x4", "outputs/run7", "", "srresnet-x4"], ["", "", "x", "mine"]) == {
        "srresnet-x4": "srresnet-x4", "run7": "outputs/run7", "mine": "srresnet-x4"}
    assert compare.labelled_models(["a.keras", "b/a.keras"], ["", ""]) == {"a": "a.keras", "a (2)": "b/a.keras"}
    result = compare.compare(shared_data("Set5"), {}, tmp_path / "cmp", n_images=5, n_strips=1, progress=False)
    assert result["fid_status"].startswith("not measured: the standard FID weights cannot be had here")
    assert "FID and KID not measured" in capsys.readouterr().out
    assert 3 < result["rows"][0]["niqe"] < 15
    assert "| Bicubic | 5 |" in (tmp_path / "cmp" / "comparison.md").read_text()
    niqe_axis = compare.fid_bar_chart(result).axes[2]
    assert niqe_axis.get_ylabel().startswith("NIQE") and len(niqe_axis.patches) == 1
