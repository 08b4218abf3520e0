"""Every notebook: paired with its .py, clean, and executed by papermill with tiny parameters."""

import ast
import json
import sys
from pathlib import Path

import jupytext
import papermill
import pytest
from conftest import REPO, log_columns
from loglab import write_original_log as synthesize

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.py"))
TINY_TRAIN = {"dataset": "sample", "n_images": 16, "epochs": 2, "pretrain_epochs": 1, "n_res_blocks": 1,
              "crop_size": 32, "d_head": "pool", "vgg_weights": "None", "batch_size": 2, "steps_per_epoch": 2,
              "sample_every": 1, "hr_size": 64, "vgg_layer": "block2_conv2"}
NOISE = ("IProgress", "absl::", "oneDNN", "cpu_feature_guard", "TqdmWarning", "Traceback")


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
    notebook_cells = jupytext.read(py).cells
    code = "\n".join(c.source for c in notebook_cells if c.cell_type == "code" and not c.source.startswith("%"))
    tree = ast.parse("\n".join(line for line in code.splitlines() if not line.lstrip().startswith("%")))
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
    tags = [c.metadata.get("tags", []) for c in jupytext.read(py).cells]
    assert sum("parameters" in t for t in tags) == 1


ENGINES_LOADED = 'import sys\nprint("engines loaded:", [m for m in ("keras", "tensorflow", "jax") if m in sys.modules])'


def run(name, cwd, after=None, before=None, **parameters):
    """Execute notebook `name` in `cwd` with papermill; `after`: code run in the same kernel once the notebook
    is done (a cell appended to a copy); `before`: (text, code), code run just before the first cell that
    holds that text."""
    source, out = REPO / "notebooks" / f"{name}.ipynb", cwd / f"out_{name}.ipynb"
    if after or before:
        import nbformat

        notebook = nbformat.read(source, as_version=4)
        if after:
            notebook.cells.append(nbformat.v4.new_code_cell(after))
        if before:
            at = next(i for i, cell in enumerate(notebook.cells) if before[0] in cell.source)
            notebook.cells.insert(at, nbformat.v4.new_code_cell(before[1]))
        source = cwd / f"in_{name}.ipynb"
        nbformat.write(notebook, source)
    papermill.execute_notebook(str(source), str(out), parameters=parameters, cwd=str(cwd), kernel_name="python3",
                               progress_bar=False)
    return json.loads(out.read_text())


def keras_backend() -> str:
    import keras

    return keras.backend.backend()


def latest_state(run_dir):
    from srgan_helpers.training.checkpoints import CheckpointManager

    return CheckpointManager(run_dir / "checkpoints").latest().state


def images_in(notebook):
    return sum("image/png" in o.get("data", {}) for c in notebook["cells"] for o in c.get("outputs", []))


def text_of(notebook) -> str:
    """Everything a reader sees as text: streams, results and errors."""
    parts = []
    for cell in notebook["cells"]:
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            parts.append("".join(out.get("data", {}).get("text/plain", "")))
            parts.append(" ".join(out.get("traceback", [])))
    return "\n".join(parts)


def assert_quiet(notebook):
    """A rendered notebook shows progress and results, nothing else: no start-up noise, no stray values."""
    text = text_of(notebook)
    assert not [word for word in NOISE if word in text], [word for word in NOISE if word in text]
    results = ["".join(o.get("data", {}).get("text/plain", "")) for c in notebook["cells"]
               for o in c.get("outputs", []) if o.get("output_type") == "execute_result"]
    assert not [r for r in results if r in ("False", "True", "None")], results


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("nb")


def parameters_of(name: str) -> set[str]:
    cell = next(c for c in jupytext.read(REPO / "notebooks" / f"{name}.py").cells
                if "parameters" in c.metadata.get("tags", []))
    return {t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign) for t in node.targets}


def test_hints_name_only_parameters_the_notebook_has():
    """Errors say 'pass archive=<path>' (downloads) and 'overwrite=True' (preparing): every notebook that can
    raise them has those parameters."""
    from srgan_helpers.data import datasets, preprocess

    assert "archive=<path>" in Path(datasets.__file__).read_text()
    assert "overwrite=True" in Path(preprocess.__file__).read_text()
    for py in NOTEBOOKS:
        source = py.read_text()
        if "prepare(" in source:
            assert "archive" in parameters_of(py.stem), py.stem
        if "workflows.prepare(" in source:
            assert "overwrite" in parameters_of(py.stem), py.stem


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_knows_every_parameter_of_the_cell(py, caplog):
    """`papermill --help-notebook` and `-p` read the cell with their own parser (one '=' a line): every name
    the cell assigns is a parameter papermill lists, with nothing it cannot parse."""
    import logging

    with caplog.at_level(logging.WARNING, logger="papermill"):
        listed = set(papermill.inspect_notebook(str(py.with_suffix(".ipynb"))))
    assert parameters_of(py.stem) <= listed, sorted(parameters_of(py.stem) - listed)
    assert "Unable to parse" not in caplog.text


def test_training_notebooks_take_every_config_field_as_a_parameter():
    """README: any TrainConfig field is set with `-p field value`; papermill warns of none as unknown."""
    import dataclasses

    from srgan_helpers.config import TrainConfig

    for name in ("02_train_coco", "03_train_celeba"):
        assert {f.name for f in dataclasses.fields(TrainConfig)} <= parameters_of(name), name


def test_training_notebooks_are_generated_from_their_template():
    sys.path.insert(0, str(REPO / "scripts"))
    import notebooks as generator

    for name in generator.names():
        text = generator.render(name)
        assert (REPO / "notebooks" / f"{name}.py").read_text() == text, f"{name}: run python scripts/notebooks.py"
        assert (REPO / "notebooks" / f"{name}.ipynb").read_text() == generator.ipynb_text(text), name


def test_01_preprocess_on_the_embedded_sample(workdir):
    nb = run("01_preprocess", workdir, after=ENGINES_LOADED, dataset="sample", n_images=20)
    assert "engines loaded: []" in text_of(nb)  # preparing data runs no network: its kernel starts none
    manifest = json.loads((workdir / "data" / "sample" / "manifest.json").read_text())
    assert (manifest["counts"]["train"], manifest["counts"]["test"]) == (16, 4)
    assert manifest["params"]["hr_size"] == 176
    assert images_in(nb) >= 2  # the pairs and the degradation preview
    assert_quiet(nb)
    assert_progress_bars_fit_the_kernel(nb)


def assert_progress_bars_fit_the_kernel(notebook):
    """Widgets where ipywidgets is installed (Colab has 7.7.1), text bars elsewhere; never 'IProgress not
    found'."""
    import importlib.util

    widgets = [o for c in notebook["cells"] for o in c.get("outputs", [])
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    if importlib.util.find_spec("ipywidgets") is not None:
        assert widgets, "ipywidgets is installed but no progress bar rendered as a widget"
    else:
        assert not widgets and "%|" in text_of(notebook), "text progress bars expected"
    assert "IProgress not found" not in text_of(notebook)


@pytest.mark.slow
def test_03_train_then_04_resume_on_the_other_backend(workdir):
    nb = run("03_train_celeba", workdir, data_dir="data/tiny64", run_name="celeba_tiny", **TINY_TRAIN)
    run_dir = workdir / "outputs" / "celeba_tiny"
    for name in ("loss_log.csv", "generator.keras", "config.json", "model_summary.txt"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "checkpoints" / "ckpt-000003").is_dir()
    assert images_in(nb) >= 2  # loss plot + sample strip rendered in the output notebook
    text = text_of(nb)
    assert "pretrain 1/1" in text and "GAN 2/2" in text and "epoch 4" not in text
    step = "_gan_fn" if keras_backend() == "jax" else "_gan_replica"  # the step printed is the one that trains
    assert "def generator_terms(" in text and "cfg.adv_weight * adversarial" in text and f"def {step}(" in text
    assert_quiet(nb)
    other = "jax" if keras_backend() == "tensorflow" else "tensorflow"
    nb = run("04_resume", workdir, run_dir="outputs/celeba_tiny", epochs=3, backend=other)
    assert [int(e) for e in log_columns(run_dir / "loss_log.csv")["epoch"]] == [1, 2, 3, 4]
    assert "GAN 3/3" in text_of(nb) and images_in(nb) >= 2
    assert latest_state(run_dir)["backend"] == other  # the checkpoint moved between backends
    assert_quiet(nb)


def test_02_train_on_whole_images_of_the_sample(workdir):
    nb = run("02_train_coco", workdir, data_dir="data/tiny_whole", run_name="coco_tiny",
             **{**TINY_TRAIN, "epochs": 1})
    assert (workdir / "outputs" / "coco_tiny" / "generator.keras").is_file()
    assert json.loads((workdir / "data" / "tiny_whole" / "manifest.json").read_text())["params"]["mode"] == "whole"
    assert images_in(nb) >= 2 and "nothing scored" in text_of(nb)
    assert_quiet(nb)


def test_05_finds_the_saturation_of_an_original_format_log(workdir):
    """(A healthy log, where it must find none: tests/test_analysis.py, through the same report.)"""
    synthesize(workdir / "saturated.log", saturated_from=1, broken_bracket_at=2025)
    with open(workdir / "saturated.log", "a") as handle:
        handle.write("corrupted line\n")
    nb = run("05_loss_analysis", workdir, after=ENGINES_LOADED, log_path="saturated.log", zoom_start=40, zoom_end=60,
             out_dir="analysis")
    text = text_of(nb)
    assert "engines loaded: []" in text  # reading a loss log runs no network: its kernel starts none
    assert "2500 epochs read" in text and "line 2501 skipped" in text and "line 2025 read" in text
    assert "clip level 8.06 over epochs 1-2500" in text
    assert (workdir / "analysis" / "loss_analysis.png").stat().st_size > 0
    assert (workdir / "analysis" / "loss_analysis.svg").stat().st_size > 0
    assert images_in(nb) >= 1
    assert_quiet(nb)


def test_06_offline_shows_no_fid_bar_and_says_why(workdir, tiny_set, finished_run):
    """Model A: the shipped general model, by name; Model B: a run folder."""
    nb = run("06_fid_comparison", workdir, data_dir=str(tiny_set), model_a="srresnet-x4", model_b=str(finished_run),
             n_images=3, n_strips=2, out_dir="cmp")  # fid_weights: its default, auto, offline here
    md = (workdir / "cmp" / "comparison.md").read_text()
    assert "| Bicubic | 3 |" in md and "| srresnet-x4 | 3 |" in md and f"| {finished_run.name} | 3 |" in md
    assert "Model A (COCO)" not in md.split("the original project's published FID")[0]  # labels name the models
    assert "FID and KID not measured: the standard FID weights cannot be had" in md
    assert "FID network: standard FID (pytorch-fid's InceptionV3" in md
    assert "FID and KID not measured" in text_of(nb) and "NIQE" in md
    assert images_in(nb) >= 2
    assert_quiet(nb)


def test_07_with_nothing_to_upscale_fails_headless_with_one_line(workdir):
    """Its defaults with no my_photos/ folder: papermill fails (it once exited 0 after an empty figure)."""
    import papermill

    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run("07_upscale", workdir, before=("upscale_photos(", ENGINES_LOADED), inputs="no_such_folder",
            out_dir="nothing")
    assert "NothingUpscaled: nothing was upscaled" in str(failure.value) and "no_such_folder" in str(failure.value)
    assert not (workdir / "nothing").exists()
    # said before Keras loads: the backend is chosen in the setup cell, Keras loaded by the first call that
    # needs it (seconds sooner, on Colab too)
    assert "engines loaded: []" in text_of(json.loads((workdir / "out_07_upscale.ipynb").read_text()))


def test_07_upscales_a_folder_with_the_shipped_model_by_default(workdir):
    from PIL import Image

    photos = workdir / "my_photos"
    photos.mkdir(exist_ok=True)
    Image.new("RGB", (24, 16), "orange").save(photos / "a.png")
    Image.new("L", (10, 12), 128).save(photos / "b.jpg")
    (photos / "broken.jpg").write_text("not an image")
    nb = run("07_upscale", workdir, after=ENGINES_LOADED, inputs="my_photos", out_dir="upscaled", tile=16,
             overlap=8)  # model: its default; Keras loaded (on the backend asked for) by the upscaling cell
    assert Image.open(workdir / "upscaled" / "a_x4.png").size == (96, 64)
    assert Image.open(workdir / "upscaled" / "b_x4.png").mode == "L"
    assert "broken.jpg" in json.dumps(nb) and images_in(nb) >= 1
    assert "srresnet-x4" in text_of(nb)  # the shipped starter model, named in the output
    assert "engines loaded: ['keras', 'tensorflow'" in text_of(nb)
