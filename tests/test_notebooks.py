"""Every notebook: paired with its .py, clean, and executed by papermill with tiny parameters."""

import ast
import csv
import json

import jupytext
import papermill
import pytest
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.py"))
TINY_TRAIN = {"dataset": "sample", "n_images": 16, "epochs": 2, "pretrain_epochs": 1, "n_res_blocks": 1,
              "crop_size": 32, "d_head": "pool", "vgg_weights": "None", "batch_size": 2, "steps_per_epoch": 2,
              "sample_every": 1, "hr_size": 64}


def cells(notebook):
    return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in notebook.cells]


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_ipynb_matches_its_py_and_is_clean(py):
    ipynb = py.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{ipynb.name} missing: run jupytext --sync {py}"
    assert cells(jupytext.read(py)) == cells(jupytext.read(ipynb)), f"{ipynb.name} is stale: jupytext --sync {py}"
    raw = json.loads(ipynb.read_text())
    assert raw["metadata"]["kernelspec"]["name"] == "python3"
    assert not any(c.get("outputs") for c in raw["cells"]), "committed notebooks carry no outputs"
    code = "\n".join(c.source for c in jupytext.read(py).cells if c.cell_type == "code" and not c.source.startswith("%"))
    tree = ast.parse("\n".join(line for line in code.splitlines() if not line.lstrip().startswith("%")))
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
    tags = [c.metadata.get("tags", []) for c in jupytext.read(py).cells]
    assert sum("parameters" in t for t in tags) == 1


def run(name, cwd, **parameters):
    out = cwd / f"out_{name}.ipynb"
    papermill.execute_notebook(str(REPO / "notebooks" / f"{name}.ipynb"), str(out), parameters=parameters,
                               cwd=str(cwd), kernel_name="python3", progress_bar=False)
    return json.loads(out.read_text())


def images_in(notebook):
    return sum("image/png" in o.get("data", {}) for c in notebook["cells"] for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("nb")


def test_01_preprocess_on_the_embedded_sample(workdir):
    nb = run("01_preprocess", workdir, dataset="sample", n_images=20)
    manifest = json.loads((workdir / "data" / "sample" / "manifest.json").read_text())
    assert (manifest["counts"]["train"], manifest["counts"]["test"]) == (16, 4)
    assert manifest["params"]["hr_size"] == 176
    assert images_in(nb) >= 1


def test_03_train_then_04_resume(workdir):
    nb = run("03_train_celeba", workdir, data_dir="data/tiny64", run_name="celeba_tiny", **TINY_TRAIN)
    run_dir = workdir / "outputs" / "celeba_tiny"
    for name in ("loss_log.csv", "generator.keras", "config.json", "model_summary.txt"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "checkpoints" / "ckpt-000003").is_dir()
    assert images_in(nb) >= 2  # loss plot + sample strip rendered in the output notebook
    nb = run("04_resume", workdir, run_dir="outputs/celeba_tiny", epochs=3)
    with open(run_dir / "loss_log.csv") as handle:
        assert [r["epoch"] for r in csv.DictReader(handle)] == ["1", "2", "3", "4"]
    assert images_in(nb) >= 2


def test_02_train_coco_on_the_sample(workdir):
    nb = run("02_train_coco", workdir, data_dir="data/tiny64", run_name="coco_tiny", **{**TINY_TRAIN, "epochs": 1})
    assert (workdir / "outputs" / "coco_tiny" / "generator.keras").is_file()
    assert images_in(nb) >= 2


def test_05_loss_analysis_on_an_original_format_log(workdir):
    lines = [f"EPOCH {e}\td_loss 7.9721\tgan_loss [0.0571, 0.0555, 1.6012]" for e in range(1, 121)]
    lines.insert(5, "corrupted line")
    (workdir / "original.log").write_text("\n".join(lines) + "\n")
    nb = run("05_loss_analysis", workdir, log_path="original.log", zoom_start=40, zoom_end=60, out_dir="analysis")
    text = json.dumps(nb)
    assert "line 6" in text and "Saturated discriminator" in text
    assert (workdir / "analysis" / "loss_analysis.png").stat().st_size > 0
    assert (workdir / "analysis" / "loss_analysis.svg").stat().st_size > 0
    assert images_in(nb) >= 1


def test_06_comparison_with_tiny_models(workdir):
    if not (workdir / "outputs" / "celeba_tiny" / "generator.keras").is_file():
        run("03_train_celeba", workdir, data_dir="data/tiny64", run_name="celeba_tiny", **TINY_TRAIN)
    nb = run("06_fid_comparison", workdir, data_dir="data/tiny64", model_a="outputs/celeba_tiny",
             model_b="outputs/celeba_tiny", n_images=3, fid_weights="None", n_strips=2, out_dir="cmp")
    md = (workdir / "cmp" / "comparison.md").read_text()
    assert "| Bicubic | 3 |" in md and "Model B (CelebA)" in md and "RANDOM WEIGHTS" in md
    assert images_in(nb) >= 2


def test_07_upscale_a_folder(workdir):
    from PIL import Image

    if not (workdir / "outputs" / "celeba_tiny" / "generator.keras").is_file():
        run("03_train_celeba", workdir, data_dir="data/tiny64", run_name="celeba_tiny", **TINY_TRAIN)
    photos = workdir / "my_photos"
    photos.mkdir(exist_ok=True)
    Image.new("RGB", (24, 16), "orange").save(photos / "a.png")
    Image.new("L", (10, 12), 128).save(photos / "b.jpg")
    (photos / "broken.jpg").write_text("not an image")
    nb = run("07_upscale", workdir, inputs="my_photos", model="outputs/celeba_tiny", out_dir="upscaled", tile=16,
             overlap=4)
    assert Image.open(workdir / "upscaled" / "a_x4.png").size == (96, 64)
    assert Image.open(workdir / "upscaled" / "b_x4.png").mode == "L"
    assert "broken.jpg" in json.dumps(nb) and images_in(nb) >= 1
