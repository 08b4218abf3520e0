"""ONNX export: any shipped name, run folder or .keras file becomes an .onnx file that onnxruntime runs at
any height and width with Keras' numbers (<= 1e-4); a missing package or a bad name is one line."""

import importlib.util

import pytest

from srgan_helpers.inference import export

onnx = pytest.importorskip("onnx")  # the "export" extra (CI installs it; Colab's own stack lacks it)
pytest.importorskip("tf2onnx")
pytest.importorskip("onnxruntime")


def test_a_shipped_model_exports_with_dynamic_sizes_and_keras_numbers(tmp_path, capsys):
    out = tmp_path / "srresnet-x4.onnx"
    assert export.main(["srresnet-x4", str(out)]) == 0
    line = capsys.readouterr().out
    assert "onnxruntime matches Keras" in line and "any height and width" in line
    graph = onnx.load(str(out)).graph
    dims = [d.dim_param or d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    assert dims[3] == 3 and all(isinstance(d, str) for d in dims[:3])  # batch, height, width dynamic
    assert export.largest_difference("srresnet-x4", out) <= 1e-4
    assert [p.name for p in tmp_path.iterdir()] == ["srresnet-x4.onnx"]  # no temp file left


def test_a_run_folder_exports_too_and_an_existing_file_needs_overwrite(finished_run, tmp_path, capsys, monkeypatch):
    """The attack: export replaced an existing .onnx without --overwrite, its write errors named no path, and a
    killed export's hidden temp stayed for good."""
    from srgan_helpers.fileio import host_tag

    out = tmp_path / "mine.onnx"
    out.write_bytes(b"someone's model")
    left = tmp_path / f".mine.onnx.{host_tag()}-999999999.abcd1234.tmp.onnx"  # a killed export's temp
    left.write_bytes(b"half")
    assert export.main([str(finished_run), str(out)]) == 2
    assert f"{out} already exists; pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"someone's model"
    assert export.main([str(finished_run), str(out), "--overwrite"]) == 0
    assert out.read_bytes() != b"someone's model" and not left.exists()
    import contextlib
    import errno

    from srgan_helpers import fileio

    @contextlib.contextmanager
    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
        yield

    monkeypatch.setattr(fileio, "atomic_path", full_disk)
    capsys.readouterr()
    assert export.main([str(finished_run), str(tmp_path / "full.onnx")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'full.onnx'}: cannot be written (No space left on device)" in err and err.count("\n") == 1


def test_bad_requests_are_one_line(tmp_path, capsys, monkeypatch):
    assert export.main(["srresnet-x4", str(tmp_path / "model.txt")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'model.txt'}: the output name must end in .onnx"
    assert export.main(["no-such-model", str(tmp_path / "m.onnx")]) == 2
    assert "no-such-model" in capsys.readouterr().err
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tf2onnx" else real(name, *a))
    assert export.main(["srresnet-x4", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "srgan-helpers[export]"' in err
    assert not list(tmp_path.iterdir())
