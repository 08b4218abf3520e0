"""What protects a run folder: checks before anything is written, one trainer at a time, no silent restart,
rollbacks that walk back, a loss log that never loses rows (the 'nothing lost, round 2' findings)."""

import json
import os
import socket
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
from conftest import log_columns

from srgan_helpers.training import TrainingDiverged, train
from srgan_helpers.training import __main__ as cli
from srgan_helpers.training.checkpoints import UnusableCheckpoints
from srgan_helpers.training.runlock import RunLock, RunLocked


def epochs_of(run_dir):
    return [int(e) for e in log_columns(run_dir / "loss_log.csv")["epoch"]]


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_checkpoint_unusable_refuses_and_changes_nothing_then_fresh_start_moves_aside(tiny_config,
                                                                                        finished_run):
    for ckpt in (finished_run / "checkpoints").iterdir():
        (ckpt / "arrays.npz").write_bytes(b"damaged")
    before = snapshot(finished_run)
    with warnings.catch_warnings(), pytest.raises(UnusableCheckpoints, match="ckpt-000001.*ckpt-000002|ckpt-000002"):
        warnings.simplefilter("ignore")
        train(tiny_config.replace(epochs=1), finished_run, progress=False)
    assert snapshot(finished_run) == before  # log, config, checkpoints: all as they were
    train(tiny_config.replace(epochs=1), finished_run, progress=False, fresh_start=True)
    aside = [p.name for p in finished_run.iterdir() if "set-aside" in p.name]
    assert len(aside) == 2 and epochs_of(finished_run) == [1, 2]  # old checkpoints + old log kept, moved aside


def test_a_second_trainer_is_refused_naming_the_first(tiny_config, tmp_path):
    run = tmp_path / "run"
    cfg_path = tmp_path / "config.json"
    tiny_config.replace(pretrain_epochs=1, epochs=30).to_json(cfg_path)
    env = {**os.environ, "SRGAN_TEST_CHECKPOINT_DELAY": "0.3"}
    first = subprocess.Popen([sys.executable, "-m", "srgan_helpers.training", str(run), "--config", str(cfg_path),
                              "--no-progress"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not (run / "loss_log.csv").exists():
            time.sleep(0.05)
        before = epochs_of(run)
        with pytest.raises(RunLocked, match=f"pid {first.pid} on host {socket.gethostname()}.*break_lock"):
            train(tiny_config.replace(pretrain_epochs=1, epochs=30), run, progress=False)
        assert first.poll() is None and epochs_of(run)[: len(before)] == before  # the first one goes on untouched
    finally:
        first.kill()
        first.wait()


def test_a_stale_lock_does_not_block_the_resume(finished_run, tiny_config):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (finished_run / ".lock").write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname(),
                                                    "started": "earlier"}))
    with pytest.warns(UserWarning, match="took over a stale lock"):
        train(tiny_config.replace(epochs=2), finished_run, progress=False)
    assert epochs_of(finished_run) == [1, 2, 3] and not (finished_run / ".lock").exists()


def test_a_lock_from_another_host_counts_by_its_heartbeat(tmp_path):
    lock_path = tmp_path / ".lock"
    lock_path.write_text(json.dumps({"pid": 1, "host": "colab-vm-that-disconnected", "started": "earlier"}))
    with pytest.raises(RunLocked, match="stale after 120 s"):
        RunLock(tmp_path).acquire()
    old = time.time() - 300
    os.utime(lock_path, (old, old))  # its heartbeat stopped five minutes ago
    lock = RunLock(tmp_path)
    with pytest.warns(UserWarning, match="stale lock"):
        lock.acquire()
    lock.release()
    assert not lock_path.exists()


def test_rollback_walks_back_through_older_checkpoints(tiny_config, tmp_path, monkeypatch):
    from srgan_helpers.training import session

    cfg = tiny_config.replace(epochs=3, nan_policy="rollback", nan_max_rollbacks=3, keep_last=5)
    train(cfg.replace(epochs=2), tmp_path / "run", progress=False)  # checkpoints 1, 2, 3
    real = session.run_epoch

    def diverge_at_4(cfg, epoch, *args):
        if epoch == 3:  # 0-based: the 4th epoch always blows up
            raise TrainingDiverged(f"weights blown up at epoch {epoch + 1}")
        return real(cfg, epoch, *args)

    monkeypatch.setattr(session, "run_epoch", diverge_at_4)
    with warnings.catch_warnings(record=True) as caught, pytest.raises(TrainingDiverged, match="blown up"):
        warnings.simplefilter("always")
        train(cfg, tmp_path / "run", progress=False)
    backs = [str(w.message).split("back to ")[1].split(",")[0] for w in caught if "rollback" in str(w.message)]
    assert backs == ["epoch 3", "epoch 2", "epoch 1"]  # each rollback one checkpoint further back


def test_config_is_checked_in_full_before_anything_is_written(tiny_config, tmp_path):
    run = tmp_path / "run"
    with pytest.raises(FileNotFoundError, match="run preprocess"):
        train(tiny_config.replace(data_dir=str(tmp_path / "vanished")), run, progress=False)
    with pytest.raises(ValueError, match="hr_size=96 but .* holds 64 px"):
        train(tiny_config.replace(hr_size=96), run, progress=False)
    with pytest.raises(ValueError, match="vgg_weights"):
        train(tiny_config.replace(vgg_weights="/no/such/weights.h5"), run, progress=False)
    assert not (run / "config.json").exists() and not (run / "checkpoints").exists()


def test_changing_loss_scaling_on_resume_is_refused_by_name(finished_run, tiny_config):
    with pytest.raises(ValueError, match="mixed_precision"):
        train(tiny_config.replace(epochs=2, mixed_precision="mixed_float16"), finished_run, progress=False)


def test_a_log_that_lost_its_header_keeps_every_row(finished_run, tiny_config):
    log = finished_run / "loss_log.csv"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[1:]))  # header gone
    with pytest.warns(UserWarning, match="header line missing"):
        train(tiny_config.replace(epochs=2), finished_run, progress=False)
    assert log.read_text().startswith("epoch,phase,") and epochs_of(finished_run) == [1, 2, 3]


def test_a_log_that_is_not_a_log_is_refused_not_emptied(finished_run, tiny_config):
    log = finished_run / "loss_log.csv"
    log.write_text("my notes about this run\n" + log.read_text())
    before = log.read_text()
    with pytest.raises(ValueError, match="not ours, or damaged"):
        train(tiny_config.replace(epochs=2), finished_run, progress=False)
    assert log.read_text() == before


def cli_error(argv, capsys):
    code = cli.main([*argv, "--no-progress"])
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize("change, message", [
    ({"devices": "gpu"}, "devices='gpu'"), ({"devices": 0}, "devices=0"), ({"label_std": -1.0}, "label_std"),
    ({"steps_per_epoch": -1}, "steps_per_epoch=-1"), ({"learning_rate": -0.1}, "learning_rate"),
    ({"n_res_blocks": -1}, "n_res_blocks"), ({"n_samples": 0}, "n_samples"),
    ({"nan_learning_rate_factor": 0.0}, "nan_learning_rate_factor"),
    ({"vgg_layer": "block9_conv1"}, "vgg_layer"), ({"vgg_weights": "nope.h5"}, "vgg_weights"),
    ({"hr_size": 96}, "hr_size=96"), ({"data_dir": "/vanished"}, "manifest.json not found"),
    ({"seed": -1}, "seed=-1"), ({"seed": 2 ** 64}, "seed=18446744073709551616"),
    ({"adv_weight": float("inf")}, "adv_weight=inf must be a finite"), ({"pixel_weight": float("inf")}, "pixel_weight"),
    ({"vgg_rescale": 1e-320}, "vgg_rescale=1e-320"), ({"vgg_weights": "/etc/passwd"}, "not an HDF5 weights file"),
])
def test_the_cli_refuses_bad_settings_in_one_line(change, message, tiny_config, tmp_path, capsys):
    values = {**tiny_config.to_dict(), **change}
    (tmp_path / "c.json").write_text(json.dumps(values))
    code, err = cli_error([str(tmp_path / "run"), "--config", str(tmp_path / "c.json")], capsys)
    assert code == 2 and message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "run" / "config.json").exists()


def test_the_cli_refuses_bad_arguments_and_unwritable_folders_in_one_line(tiny_config, tmp_path, capsys, monkeypatch):
    tiny_config.to_json(tmp_path / "c.json")
    for argv, message in (([str(tmp_path / "r"), "--config", str(tmp_path / "c.json"), "--epochs", "-5"], "epochs=-5"),
                          ([str(tmp_path / "r"), "--config", str(tmp_path)], "is a folder"),
                          ([str(tmp_path / "c.json" / "run"), "--config", str(tmp_path / "c.json")], "run folder")):
        code, err = cli_error(argv, capsys)
        assert code == 2 and message in err and len(err.splitlines()) == 1, err
    import srgan_helpers.training.driver as driver

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(driver.tempfile, "NamedTemporaryFile", read_only)
    code, err = cli_error([str(tmp_path / "r2"), "--config", str(tmp_path / "c.json")], capsys)
    assert code == 2 and "Read-only file system" in err and len(err.splitlines()) == 1


def test_disk_full_at_export_is_one_line(finished_run, tiny_config, tmp_path, capsys, monkeypatch):
    import srgan_helpers.training.session as session

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(session, "export_generator", full)
    tiny_config.replace(epochs=2).to_json(tmp_path / "c.json")
    code, err = cli_error([str(finished_run), "--config", str(tmp_path / "c.json")], capsys)
    assert code == 2 and "No space left" in err and "checkpoint" in err and len(err.splitlines()) == 1


def test_an_unknown_function_in_a_keras_file_is_one_line(tmp_path, capsys):
    import zipfile

    from srgan_helpers.inference import upscale
    from srgan_helpers.networks.srresnet import build_generator
    from srgan_helpers.training import export_generator

    good = export_generator(build_generator(4, n_res_blocks=1), tmp_path / "g.keras")
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(tmp_path / "bad.keras", "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "config.json":
                data = data.replace(b'"tanh"', b'"no_such_activation_function"')
            zout.writestr(item, data)
    (tmp_path / "a.png").write_bytes(b"")
    assert upscale.main([str(tmp_path / "a.png"), "--model", str(tmp_path / "bad.keras"), "--out",
                         str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "not a loadable Keras model" in err and len(err.splitlines()) == 1


def test_nothing_in_a_checkpoint_is_shared_with_others(finished_run):
    import stat

    for path in (finished_run / "checkpoints").rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o044, path  # group/others can read (umask 022 here)
    assert np.all(stat.S_IMODE((finished_run / "config.json").stat().st_mode) & 0o044)


def test_two_fresh_starts_within_one_second_keep_both_set_aside_logs(tiny_config, tmp_path, monkeypatch):
    import srgan_helpers.training.driver as driver

    monkeypatch.setattr(driver.time, "strftime", lambda fmt: "20261202T101500")  # the same second, twice
    run = tmp_path / "run"
    for n in (1, 2):
        (run / "checkpoints").mkdir(parents=True)
        (run / "loss_log.csv").write_text(f"log {n}\n")
        driver.open_checkpoints(tiny_config, run, resume=True, fresh_start=True)
    assert (run / "loss_log.set-aside-20261202T101500.csv").read_text() == "log 1\n"
    assert (run / "loss_log.set-aside-20261202T101500-2.csv").read_text() == "log 2\n"
    assert {p.name for p in run.glob("checkpoints.*")} == {"checkpoints.set-aside-20261202T101500",
                                                            "checkpoints.set-aside-20261202T101500-2"}


def test_a_checkpoint_copied_in_from_another_run_is_refused_by_name(finished_run, tiny_config, tmp_path):
    import shutil

    from srgan_helpers.training import train

    other = tmp_path / "other"
    train(tiny_config.replace(epochs=3, seed=4), other, progress=False)  # its own run_id; epochs 1..4
    shutil.copytree(other / "checkpoints" / "ckpt-000004", finished_run / "checkpoints" / "ckpt-000004")
    before = sorted(p.name for p in (finished_run / "checkpoints").iterdir())
    with pytest.raises(ValueError, match=r"checkpoints of 2 different runs \(ckpt-000004 of one, ckpt-000001, "
                                         r"ckpt-000002 of another\).*nothing was changed"):
        train(tiny_config.replace(epochs=5), finished_run, progress=False)
    assert sorted(p.name for p in (finished_run / "checkpoints").iterdir()) == before
