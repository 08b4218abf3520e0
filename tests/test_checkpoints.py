"""Checkpoints: atomic, verified (arrays and state hashed, state type-checked), rotated only among this
run's verified ones, never deleted when they cannot be verified as this run's own."""

import json

import numpy as np
import pytest

from srgan_helpers.training.checkpoints import CheckpointManager, NonFiniteWeights, UnusableCheckpoints, check_state


def arrays(value):
    return {"generator": [np.full((2, 2), value, "float32")], "g_optimizer": [np.array(value)],
            "discriminator": [np.full((3,), value, "float32")], "d_optimizer": [np.array(value)]}


def test_save_load_and_rotation_keeps_last_and_every_mth(tmp_path):
    manager = CheckpointManager(tmp_path, keep_last=2, keep_every=3, run_id="r1")
    for epoch in range(1, 8):
        manager.save(epoch, arrays(epoch), {"step": epoch * 10})
    names = [p.name for p in manager.paths()]
    assert names == ["ckpt-000003", "ckpt-000006", "ckpt-000007"]
    latest = manager.latest()
    assert latest.path.name == "ckpt-000007" and latest.step == 70 and float(latest.arrays["generator"][0][0, 0]) == 7
    assert latest.state["run_id"] == "r1"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_corrupt_or_partial_checkpoint_falls_back_to_previous(tmp_path):
    manager = CheckpointManager(tmp_path, keep_last=5)
    manager.save(1, arrays(1), {"step": 1})
    manager.save(2, arrays(2), {"step": 2})
    npz = tmp_path / "ckpt-000002" / "arrays.npz"
    npz.write_bytes(npz.read_bytes()[:100])  # cut off mid-write
    (tmp_path / ".ckpt-000003.abc.partial").mkdir()  # an interrupted save
    with pytest.warns(UserWarning, match="ckpt-000002"):
        path, loaded, _ = CheckpointManager(tmp_path).latest()
    assert path.name == "ckpt-000001" and float(loaded["generator"][0][0, 0]) == 1


def test_a_failed_write_leaves_the_previous_checkpoint_intact(tmp_path):
    def disk_full(_tmp):
        raise OSError(28, "No space left on device")

    CheckpointManager(tmp_path).save(1, arrays(1), {"step": 1})
    with pytest.raises(OSError, match="No space"):
        CheckpointManager(tmp_path, write_hook=disk_full).save(2, arrays(2), {"step": 2})
    assert CheckpointManager(tmp_path).latest().path.name == "ckpt-000001"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-000001"]


def test_every_checkpoint_unusable_is_refused_naming_each_and_nothing_changes(tmp_path):
    manager = CheckpointManager(tmp_path, keep_last=5)
    for epoch in (1, 2):
        manager.save(epoch, arrays(epoch), {"step": epoch})
    (tmp_path / "ckpt-000001" / "arrays.npz").write_bytes(b"garbage")
    (tmp_path / "ckpt-000002" / "state.json").write_text("[]")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.warns(UserWarning), pytest.raises(UnusableCheckpoints) as info:
        CheckpointManager(tmp_path).latest()
    message = str(info.value)
    assert "ckpt-000001: " in message and "SHA-256" in message and "ckpt-000002: " in message
    assert "fresh_start" in message and "never deleted" in message
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_rotation_counts_only_verified_checkpoints_of_this_run(tmp_path):
    (tmp_path / "ckpt-999999").mkdir(parents=True)  # a stray folder: unverifiable
    other = CheckpointManager(tmp_path, keep_last=1, run_id="someone-else")
    other.save(5, arrays(5), {"step": 5})  # another run's checkpoint, verified but not ours
    manager = CheckpointManager(tmp_path, keep_last=1, run_id="mine")
    for epoch in (1, 2, 3):
        manager.save(epoch, arrays(epoch), {"step": epoch})
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ckpt-000003", "ckpt-000005", "ckpt-999999"]  # our newest kept; the others untouched
    manager3 = CheckpointManager(tmp_path, keep_last=3, run_id="mine")
    for epoch in (6, 7):
        manager3.save(epoch, arrays(epoch), {"step": epoch})
    assert {"ckpt-000003", "ckpt-000006", "ckpt-000007"} <= {p.name for p in tmp_path.iterdir()}


def test_a_file_named_like_a_checkpoint_is_moved_aside_not_deleted(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "ckpt-000002").write_text("not a checkpoint")
    manager = CheckpointManager(tmp_path, run_id="mine")
    manager.save(1, arrays(1), {"step": 1})
    assert manager.latest().path.name == "ckpt-000001"  # a file never blocks a resume
    with pytest.warns(UserWarning, match="moved it aside"):
        manager.save(2, arrays(2), {"step": 2})
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("ckpt-000002.stray-")]
    assert len(aside) == 1 and aside[0].read_text() == "not a checkpoint"
    assert manager.latest().path.name == "ckpt-000002"


def test_non_finite_weights_are_never_saved_and_never_loaded(tmp_path):
    manager = CheckpointManager(tmp_path)
    manager.save(1, arrays(1), {"step": 1})
    with pytest.raises(NonFiniteWeights, match="generator"):
        manager.save(2, {"generator": [np.full((2, 2), np.inf, "float32")]}, {"step": 2})
    with pytest.raises(NonFiniteWeights, match="discriminator"):  # finite, but blown up: 1e30
        manager.save(2, {"discriminator": [np.full((2, 2), 1e30, "float32")]}, {"step": 2})
    assert [p.name for p in manager.paths()] == ["ckpt-000001"]


@pytest.mark.parametrize("edit, reason", [
    (lambda s: [], "not an object"),
    (lambda s: "a string", "not an object"),
    (lambda s: {**s, "groups": ["generator"]}, "groups"),
    (lambda s: {**s, "groups": {k: n for k, n in s["groups"].items() if k != "generator"}}, "groups lack"),
    (lambda s: {k: v for k, v in s.items() if k != "config"}, "lacks"),
    (lambda s: {**s, "learning_rate_scale": "abc"}, "learning_rate_scale"),
    (lambda s: {**s, "step": -5}, "epoch/step"),
    (lambda s: {**s, "config": {"epochs": "many"}}, "wrong type"),
])
def test_state_json_of_the_wrong_shape_falls_back_to_the_previous_checkpoint(tmp_path, edit, reason):
    from srgan_helpers.config import TrainConfig
    from srgan_helpers.training.checkpoints import state_digest

    manager = CheckpointManager(tmp_path, keep_last=5, required=("config",))
    for epoch in (1, 2):
        manager.save(epoch, arrays(epoch), {"step": epoch, "config": TrainConfig().to_dict()})
    state_path = tmp_path / "ckpt-000002" / "state.json"
    state = edit(json.loads(state_path.read_text()))
    if isinstance(state, dict):  # re-hash, so the shape check itself is what refuses it
        state["state_sha256"] = state_digest(state)
    state_path.write_text(json.dumps(state))
    with pytest.raises(ValueError, match=reason):
        check_state(json.loads(state_path.read_text()), "ckpt-000002", ("config",))
    with pytest.warns(UserWarning, match="ckpt-000002"):
        assert CheckpointManager(tmp_path, required=("config",)).latest().path.name == "ckpt-000001"


def test_an_edited_state_json_fails_its_hash(tmp_path):
    manager = CheckpointManager(tmp_path)
    manager.save(1, arrays(1), {"step": 1})
    manager.save(2, arrays(2), {"step": 2})
    state_path = tmp_path / "ckpt-000002" / "state.json"
    state_path.write_text(state_path.read_text().replace('"step": 2', '"step": 3'))
    with pytest.warns(UserWarning, match="tampered"):
        assert CheckpointManager(tmp_path).latest().path.name == "ckpt-000001"


def test_files_are_written_with_the_umask_not_0600(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        path = CheckpointManager(tmp_path).save(1, arrays(1), {"step": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert stat.S_IMODE((path / "arrays.npz").stat().st_mode) == 0o644
