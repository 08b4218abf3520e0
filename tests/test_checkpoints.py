import numpy as np
import pytest

from srgan_helpers.checkpoints import CheckpointManager, run_dir


def arrays(value):
    return {"generator": [np.full((2, 2), value, "float32")], "g_optimizer": [np.array(value)]}


def test_save_load_and_rotation_keeps_last_and_every_mth(tmp_path):
    manager = CheckpointManager(tmp_path, keep_last=2, keep_every=3)
    for epoch in range(1, 8):
        manager.save(epoch, arrays(epoch), {"step": epoch * 10})
    names = [p.name for p in manager.paths()]
    assert names == ["ckpt-000003", "ckpt-000006", "ckpt-000007"]
    path, loaded, state = manager.latest()
    assert path.name == "ckpt-000007" and state["step"] == 70 and float(loaded["generator"][0][0, 0]) == 7
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_corrupt_or_partial_checkpoint_falls_back_to_previous(tmp_path):
    manager = CheckpointManager(tmp_path, keep_last=5)
    manager.save(1, arrays(1), {"step": 1})
    manager.save(2, arrays(2), {"step": 2})
    npz = tmp_path / "ckpt-000002" / "arrays.npz"
    npz.write_bytes(npz.read_bytes()[:100])  # cut off mid-write
    (tmp_path / ".ckpt-000003.abc.partial").mkdir()  # an interrupted save
    with pytest.warns(UserWarning, match="ckpt-000002"):
        path, loaded, _ = manager.latest()
    assert path.name == "ckpt-000001" and float(loaded["generator"][0][0, 0]) == 1


def test_a_failed_write_leaves_the_previous_checkpoint_intact(tmp_path):
    def disk_full(_tmp):
        raise OSError(28, "No space left on device")

    CheckpointManager(tmp_path).save(1, arrays(1), {"step": 1})
    with pytest.raises(OSError, match="No space"):
        CheckpointManager(tmp_path, write_hook=disk_full).save(2, arrays(2), {"step": 2})
    path, _, _ = CheckpointManager(tmp_path).latest()
    assert path.name == "ckpt-000001"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-000001"]


def test_run_dir_validates_names_and_never_empties(tmp_path):
    path = run_dir("exp1", output_root=tmp_path)
    (path / "keep.txt").write_text("x")
    assert run_dir("exp1", output_root=tmp_path) == path and (path / "keep.txt").exists()
    assert run_dir("exp2", drive_dir=str(tmp_path / "drive")) == tmp_path / "drive" / "exp2"
    for bad in ("../escape", "a/b", ".."):
        with pytest.raises(ValueError, match="run name"):
            run_dir(bad, output_root=tmp_path)


def test_drive_is_mounted_once_on_colab_only(monkeypatch, tmp_path):
    import sys
    import types

    from srgan_helpers import checkpoints, workflows

    assert checkpoints.mount_drive() is False and workflows.mount_drive(True) is False  # not Colab
    calls = []
    drive = types.SimpleNamespace(mount=lambda path: calls.append(path))
    colab = types.ModuleType("google.colab")
    colab.drive = drive
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    assert workflows.mount_drive(False) is False and calls == []
    assert workflows.mount_drive(True) is True and calls == ["/content/drive"]
