"""One trainer per run, even after a stall: a live pid on this host is never stale, a holder whose lock was
taken over stops before its next write (and never refreshes the new owner's lock), exactly one of several
racing takers wins a stale lock, and creating the lock either completes or leaves nothing."""

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from conftest import log_columns

from srgan_helpers.training.runlock import LockLost, RunLock, RunLocked


def write_lock(folder, age=0.0, **info):
    path = folder / ".lock"
    path.write_text(json.dumps(info) if info else "")
    when = time.time() - age
    os.utime(path, (when, when))
    return path


def dead_pid():
    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout)


def test_a_stalled_trainer_on_this_host_keeps_its_run_however_old_its_heartbeat(tmp_path):
    stalled = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stalled.send_signal(signal.SIGSTOP)  # as the trainer, stopped for longer than stale_after
        write_lock(tmp_path, age=600, pid=stalled.pid, host=socket.gethostname(), started="earlier", token="a")
        with pytest.raises(RunLocked, match=f"pid {stalled.pid}"):
            RunLock(tmp_path).acquire()
    finally:
        stalled.kill()
        stalled.wait()


def test_a_holder_that_lost_its_lock_stops_with_one_line_and_never_refreshes_the_new_lock(tmp_path):
    lock = RunLock(tmp_path, heartbeat_every=0.02)
    lock.acquire()
    lock.verify()  # its own: fine
    write_lock(tmp_path, age=400, pid=1, host="another-vm", started="now", token="theirs")  # taken over
    time.sleep(0.2)  # several heartbeats
    assert time.time() - (tmp_path / ".lock").stat().st_mtime > 300  # the new owner's file was not touched
    with pytest.raises(LockLost, match=r"lost its lock .*now held by pid 1 on host another-vm") as caught:
        lock.verify()
    assert "\n" not in str(caught.value)
    lock.release()
    assert json.loads((tmp_path / ".lock").read_text())["token"] == "theirs"  # release leaves theirs alone


def test_training_stops_before_writing_the_epoch_after_its_lock_was_taken(tiny_config, tmp_path):
    from srgan_helpers.training import train

    run = tmp_path / "run"

    def taken_over_after_first_epoch(event):
        if event.epoch == 1:
            write_lock(run, pid=1, host="another-vm", started="now", token="theirs")

    with pytest.raises(LockLost):
        train(tiny_config.replace(epochs=2, save_every=1), run, progress=False,
              on_epoch_end=taken_over_after_first_epoch)
    assert list(log_columns(run / "loss_log.csv")["epoch"]) == [1]  # no row, checkpoint or export after
    # taken over after epoch 1's log row but before its checkpoint: the checkpoint is refused at its rename
    assert sorted(p.name for p in (run / "checkpoints").glob("ckpt-*")) == []
    assert not (run / "generator.keras").exists()


def take(folder, start, winners):
    """One taker: all four start together (the barrier); a winner is appended to `winners`."""
    lock = RunLock(folder, heartbeat_every=3600)
    start.wait()
    try:
        lock.acquire()
        winners.append(lock)
    except RunLocked:
        pass


@pytest.mark.filterwarnings("ignore:.*stale lock")
def test_exactly_one_of_four_racing_takers_wins_a_stale_lock_in_1000_trials(tmp_path):
    gone = dead_pid()
    two_winners = 0
    for trial in range(1000):
        folder = tmp_path / str(trial % 4)
        folder.mkdir(exist_ok=True)
        for leftover in folder.iterdir():
            leftover.unlink()
        write_lock(folder, pid=gone, host=socket.gethostname(), started="earlier", token="stale")
        start, winners = threading.Barrier(4), []
        takers = [threading.Thread(target=take, args=(folder, start, winners)) for _ in range(4)]
        for t in takers:
            t.start()
        for t in takers:
            t.join()
        two_winners += len(winners) != 1
        for lock in winners:
            lock.release()
    assert two_winners == 0


def test_a_full_disk_while_creating_the_lock_leaves_no_lock(tmp_path, monkeypatch):
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, fd, *args, **kwargs):
            self.handle = real_fdopen(fd, *args, **kwargs)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", FullDisk)
    with pytest.raises(RunLocked, match="could not write the lock .*No space left.*nothing was left behind"):
        RunLock(tmp_path).acquire()
    assert not (tmp_path / ".lock").exists()


def test_an_empty_lock_is_stale_after_seconds_not_minutes(tmp_path):
    write_lock(tmp_path)  # just created: its creator may be writing it now
    with pytest.raises(RunLocked):
        RunLock(tmp_path).acquire()
    write_lock(tmp_path, age=10)  # left empty by a crash (or a full disk before this version)
    lock = RunLock(tmp_path)
    with pytest.warns(UserWarning, match="took over a stale lock"):
        lock.acquire()
    assert lock.owned()
    lock.release()


@pytest.mark.parametrize("inside", ["export", "checkpoint"])
def test_a_lock_lost_inside_a_write_is_checked_at_the_rename_and_nothing_is_published(tiny_config, tmp_path,
                                                                                     monkeypatch, inside):
    """The attack: stopped inside the export, another trainer took over and trained on; resumed, the first
    replaced the newer export with older weights and exited 0. The lock is now checked at the moment of
    publishing (the rename), for the export and for every checkpoint."""
    import keras

    from srgan_helpers.training import train
    from srgan_helpers.training.checkpoints import CheckpointManager

    run = tmp_path / "run"
    train(tiny_config.replace(epochs=1), run, progress=False)  # a finished run: checkpoints 1-2, an export
    (run / "generator.keras").write_bytes(b"the other trainer's newer export")
    before = sorted(p.name for p in (run / "checkpoints").glob("ckpt-*"))

    def taken_over():
        write_lock(run, pid=1, host="another-vm", started="now", token="theirs")

    if inside == "export":
        real_save = keras.Model.save
        monkeypatch.setattr(keras.Model, "save", lambda self, path, *a, **k: (real_save(self, path, *a, **k),
                                                                             taken_over()))
    else:
        real_write = CheckpointManager._write
        monkeypatch.setattr(CheckpointManager, "_write", lambda self, *a: (real_write(self, *a), taken_over())[0])
    with pytest.raises(LockLost):
        train(tiny_config.replace(epochs=2), run, progress=False)
    assert (run / "generator.keras").read_bytes() == b"the other trainer's newer export"
    after = sorted(p.name for p in (run / "checkpoints").glob("ckpt-*"))
    if inside == "checkpoint":
        assert after == before  # the epoch-3 checkpoint written, never renamed into place
    else:
        assert "ckpt-000003" in after  # saved while the lock was still held; only the export came after
    assert not [p.name for p in run.rglob(".*tmp*")] and not list((run / "checkpoints").glob(".ckpt-*"))


def test_a_transient_io_error_reading_the_lock_is_retried_and_a_lasting_one_is_one_line(tmp_path, monkeypatch):
    """The attack: one EIO reading .lock raised LockLost naming the trainer's own pid; EIO then ENOENT killed
    the heartbeat thread and training went on without a heartbeat."""
    import errno
    from pathlib import Path

    from srgan_helpers.training import runlock

    monkeypatch.setattr(runlock, "READ_PAUSE", 0.001)
    lock = RunLock(tmp_path, heartbeat_every=0.01)
    lock.acquire()
    real_read = Path.read_text
    failures = {"left": 2}

    def flaky_read(path, *a, **k):
        if path.name == ".lock" and failures["left"]:
            failures["left"] -= 1
            raise OSError(errno.EIO, "Input/output error")
        return real_read(path, *a, **k)

    monkeypatch.setattr(Path, "read_text", flaky_read)
    lock.verify()  # two EIOs, then a good read: still ours
    failures["left"] = 10**6  # the file system stays broken: the heartbeat stops, and says why
    deadline = time.monotonic() + 30
    while lock.heartbeat_failure is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lock.heartbeat_failure and "Input/output error" in lock.heartbeat_failure
    with pytest.raises(LockLost, match="heartbeat stopped .*Input/output error") as caught:
        lock.verify()
    assert "\n" not in str(caught.value) and f"pid {os.getpid()}" not in str(caught.value)
    monkeypatch.setattr(Path, "read_text", real_read)
    lock.release()


def test_refusals_say_what_to_do_for_an_empty_lock_and_a_live_one_on_this_host(tmp_path):
    write_lock(tmp_path)  # 0 bytes: a trainer creating it this instant
    with pytest.raises(RunLocked) as empty:
        RunLock(tmp_path).acquire()
    assert "pid None" not in str(empty.value) and "empty or unreadable" in str(empty.value)
    write_lock(tmp_path, pid=os.getpid(), host=socket.gethostname(), started="now", token="t")
    with pytest.raises(RunLocked) as live:
        RunLock(tmp_path).acquire()
    assert "try again in 0 s" not in str(live.value) and "alive on this machine" in str(live.value)
