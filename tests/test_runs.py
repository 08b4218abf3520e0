"""Run folders and Google Drive: names that cannot climb out, folders never emptied, Drive mounted once."""

import sys
import types

import pytest

from srgan_helpers import runs


def test_run_dir_validates_names_and_never_empties(tmp_path):
    path = runs.run_dir("exp1", output_root=tmp_path)
    (path / "keep.txt").write_text("x")
    assert runs.run_dir("exp1", output_root=tmp_path) == path and (path / "keep.txt").exists()
    assert runs.run_dir("exp2", drive_dir=str(tmp_path / "drive")) == tmp_path / "drive" / "exp2"
    for bad in ("../escape", "a/b", ".."):
        with pytest.raises(ValueError, match="run name"):
            runs.run_dir(bad, output_root=tmp_path)


def test_drive_is_mounted_once_on_colab_only(monkeypatch):
    assert runs.mount_drive() is False  # not Colab
    calls = []
    colab = types.ModuleType("google.colab")
    colab.drive = types.SimpleNamespace(mount=lambda path: calls.append(path))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    assert runs.mount_drive(False) is False and calls == []
    assert runs.mount_drive(True) is True and calls == ["/content/drive"]


def test_list_runs_finds_exported_generators_newest_first(tmp_path):
    import os

    for i, name in enumerate(("old", "new")):
        (tmp_path / name).mkdir()
        (tmp_path / name / runs.GENERATOR_NAME).write_bytes(b"x")
        os.utime(tmp_path / name / runs.GENERATOR_NAME, (1000 + i, 1000 + i))
    (tmp_path / "unfinished").mkdir()
    assert [p.name for p in runs.list_runs(tmp_path)] == ["new", "old"]
