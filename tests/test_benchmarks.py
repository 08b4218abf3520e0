"""The benchmark scripts run (smoke sizes); they make no timing claims here."""

import json
import os
import subprocess
import sys
import tempfile

import pytest
from conftest import REPO


def run(script, *args):
    """Run a benchmark script with its own temp folder, which must be empty again when it ends."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), *args], capture_output=True,
                              text=True, cwd=REPO, timeout=600, env={**os.environ, "TMPDIR": tmp})
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert not os.listdir(tmp), f"{script} left {os.listdir(tmp)} in its temp folder"
    return proc.stdout


def test_throughput_smoke(tmp_path):
    out = run("throughput.py", "--smoke", "--out", str(tmp_path / "t.json"))
    result = json.loads((tmp_path / "t.json").read_text())
    row = result["results"][0]
    assert result["smoke"] and row["gan_step"]["images_per_s"] > 0 and row["mse_step"]["images_per_s"] > 0
    assert result["gflop_per_image"]["gan_step"] > result["gflop_per_image"]["mse_step"] > 0
    assert "img/s" in out


def test_throughput_flops_match_the_reference_size():
    sys.path.insert(0, str(REPO / "benchmarks"))
    from flops import model_flops, srgan_step_flops, vgg_flops

    from srgan_helpers.networks.discriminator import build_discriminator
    from srgan_helpers.networks.srresnet import build_generator

    flops = srgan_step_flops(model_flops(build_generator(), (44, 44, 3)),
                             model_flops(build_discriminator(176), (176, 176, 3)), vgg_flops("block5_conv4", 176))
    assert 140e9 < flops["gan_step"] < 160e9  # DESIGN.md: about 151 GFLOP per image


def test_torch_reference_smoke(tmp_path):
    pytest.importorskip("torch")
    run("throughput.py", "--smoke", "--reference", "torch", "--out", str(tmp_path / "t.json"))
    row = json.loads((tmp_path / "t.json").read_text())["results"][0]
    assert row["torch_gan_step"]["images_per_s"] > 0 and row["ours_over_torch"] > 0


@pytest.mark.slow
def test_loader_and_upscale_benchmarks_smoke(tmp_path):
    run("loader_speed.py", "--steps", "5", "--realistic-steps", "2", "--workers", "0,1",
        "--out", str(tmp_path / "l.json"))
    loader = json.loads((tmp_path / "l.json").read_text())
    rows = loader["results"]
    assert all(r["pairs_per_s"] > 0 for r in rows) and {r["lr"] for r in rows} == {"bicubic", "realistic"}
    # versions from the installed packages; no backend: the loader runs no Keras code (nor starts it to ask)
    assert loader["keras"] and loader["numpy"] and "backend" not in loader
    run("upscale_speed.py", "--res-blocks", "1", "--sizes", "64x48,128x96", "--tile", "32", "--overlap", "8",
        "--out", str(tmp_path / "u.json"))
    upscale = json.loads((tmp_path / "u.json").read_text())
    rows = upscale["results"]
    assert [r["input"] for r in rows] == ["64x48", "128x96"] and all(r["peak_rss_mb"] > 0 for r in rows)
    assert upscale["backend"] == os.environ.get("KERAS_BACKEND", "tensorflow") and upscale["keras"]


@pytest.mark.slow
def test_quality_smoke_on_faces_holds_some_out_and_scores_them(tmp_path):
    """quality.py --smoke --train-set faces prepares 24 CelebA faces as 88-px pairs, holds 5 out, trains 20
    steps through train() and scores the held-out faces (the "291" path: the recipe test below)."""
    from conftest import shared_data

    data = shared_data("faces").parent
    run("quality.py", "--smoke", "--data", str(data), "--data-root", str(tmp_path / "prepared"), "--work",
        str(tmp_path / "runs"), "--train-set", "faces", "--out", str(tmp_path / "f.json"))
    faces = json.loads((tmp_path / "f.json").read_text())["ours"]
    assert set(faces["final"]) >= {"faces_test"} and faces["config"]["hr_size"] == 88
    assert faces["curve_set"].endswith("test") and faces["final"]["faces_test"]["bicubic_psnr"] > 20


@pytest.mark.parametrize("init, base, slope", [("keras+prelu25", "keras", 0.25), ("torch+prelu0", "torch", 0.0)])
def test_the_initialisation_experiments_live_in_the_benchmark_as_generators_of_their_own(init, base, slope):
    """The package knows only the torch and keras initialisations; the quality benchmark's two experiment
    variants register a generator each (the base init, then every PReLU slope set)."""
    import numpy as np

    sys.path.insert(0, str(REPO / "benchmarks"))
    from quality import register_experiment_init

    from srgan_helpers import networks
    from srgan_helpers.config import TrainConfig
    from srgan_helpers.networks.common import INITS

    assert init not in INITS
    name, config_init = register_experiment_init(init)
    assert config_init == base and name in networks.GENERATORS
    generator = networks.build("generator", TrainConfig(n_res_blocks=1, init=config_init, generator=name))
    alphas = [np.asarray(layer.alpha) for layer in generator.layers if hasattr(layer, "alpha")]
    assert alphas and all(np.all(a == np.float32(slope)) for a in alphas)


@pytest.mark.slow
def test_a_recipe_stage_continues_in_a_second_sitting(tmp_path):
    """quality.py --smoke through recipes.py on real images (24 of the "291" whole images, Set5 scored): a
    sitting that ends early (--sitting-minutes) exits 3 with its checkpoint kept; the same
    command continues the stage from it (not from scratch), and the stage's result holds the whole curve,
    both sittings' time and the speed against a matmul peak measured in the same run."""
    from conftest import shared_data

    shared_data("T91")
    command = [sys.executable, str(REPO / "benchmarks" / "recipes.py"), "run", "smoke", "--work", str(tmp_path / "r"),
               "--data-root", str(tmp_path / "prepared")]
    first = subprocess.run([*command, "--sitting-minutes", "0.0001"], capture_output=True, text=True, cwd=REPO,
                           timeout=600)
    assert first.returncode == 3 and "sitting over at step 10" in first.stdout, first.stderr[-2000:]
    stage = tmp_path / "r" / "smoke" / "stage1"
    assert not (stage / "result.json").exists()
    second = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert second.returncode == 0 and "stage 1 continues" in second.stdout, second.stderr[-2000:]
    ours = json.loads((stage / "result.json").read_text())["ours"]
    assert [p["step"] for p in ours["curve"]] == [10, 20]  # the first sitting's point kept
    assert set(ours["final"]) == {"Set5"} and ours["final"]["Set5"]["bicubic_psnr"] > 28  # real Set5, scored
    assert "24 train + 0 test whole images" in first.stdout and "bicubic (Pillow)" in second.stdout
    rows = (stage / "run" / "loss_log.csv").read_text().splitlines()[1:]
    assert [row.split(",")[2] for row in rows] == ["10", "20"]  # step 20 continued from the checkpoint at 10
    speed = ours["speed"]
    assert speed["epochs"] == 2 and speed["matmul_peak_gflops"] > 1 and 0 < speed["share_of_peak"]
    assert ours["wall_seconds"] >= ours["train_seconds"] > 0


def test_a_held_recipe_is_not_shipped_without_anyway(capsys, monkeypatch):
    """A recipe whose last result missed a target says so and ships nothing (no export, no card)."""
    import dataclasses

    sys.path.insert(0, str(REPO / "benchmarks"))
    import recipes

    held = dataclasses.replace(recipes.RECIPES["smoke"], held="missed a target")
    monkeypatch.setitem(recipes.RECIPES, "smoke", held)
    monkeypatch.setattr(recipes.subprocess, "run", lambda *a, **k: pytest.fail(f"ran {a}"))
    assert recipes.ship("smoke", python="/nonexistent/python") == 2  # refused before anything runs
    assert "smoke is held: missed a target" in capsys.readouterr().err


def test_suite_cpu_counts_each_test_with_the_children_it_waited_for(tmp_path, monkeypatch):
    """benchmarks/suite_cpu.py's plugin: one row per test, its own CPU and its subprocesses'; then the totals."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import suite_cpu

    rows = tmp_path / "rows.jsonl"
    monkeypatch.setenv(suite_cpu.ROWS_ENV, str(rows))

    class Item:
        nodeid = "tests/test_x.py::test_busy"

    around_the_test = suite_cpu.pytest_runtest_protocol(Item(), None)
    next(around_the_test)
    subprocess.run([sys.executable, "-c", "sum(i * i for i in range(2_000_000))"], check=True)  # the test's child
    with pytest.raises(StopIteration):
        next(around_the_test)
    row = json.loads(rows.read_text())
    assert row["test"] == Item.nodeid and 0.05 < row["children"] <= row["wall"]  # one thread: CPU within wall
    other = {"test": "tests/test_y.py::test_heavy", "wall": 1.0, "own": 2.0, "children": 1.0}
    summary = suite_cpu.summarize([row, other, {"test": "tests/test_x.py::test_idle", "wall": 0.1, "own": 0.0,
                                                 "children": 0.0}], top=2)
    assert summary["tests"] == 3 and [r["test"] for r in summary["largest"]] == [other["test"], Item.nodeid]
    assert summary["in_subprocesses"] == round(1.0 + row["children"], 1)
    assert list(summary["files"]) == ["tests/test_y.py", "tests/test_x.py"]
