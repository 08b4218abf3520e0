"""Ctrl-C and SIGTERM are never lost and never print a traceback: the handler sets a flag, and commands check
it between tiles, images and training steps and once more before they report success. The subprocess
tests send real signals at chosen and at random moments (the delay is in the failure message) and run on
both backends; prove them beside CPU hogs (`yes > /dev/null &` twice)."""

import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from srgan_helpers import interrupts

pytestmark = pytest.mark.backend
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}


def test_the_handler_only_sets_a_flag_and_check_raises_it():
    previous = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with interrupts.handled():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.01)  # the handler runs at the next bytecode: no exception here, only the flag
        assert interrupts.requested()
        with pytest.raises(interrupts.Interrupted, match="SIGTERM"):
            interrupts.check()
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == previous
    with interrupts.handled():
        assert not interrupts.requested()  # each command starts with the flag down
        interrupts.check()


def test_a_command_stopped_by_ctrl_c_leaves_later_library_calls_alone(tmp_path):
    """The flag belongs to the command that was stopped. Left set, the next library call in the same process
    (a notebook cell after an interrupted in-process command, or the next test in a pytest worker: one
    crashed with KeyboardInterrupt inside evaluate()) was stopped as if Ctrl-C had been pressed again."""
    from srgan_helpers.evaluate import evaluate
    from srgan_helpers.inference import load_generator

    def work():
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C during the command's work
        time.sleep(0.01)
        interrupts.check()

    assert interrupts.run_command(work) == interrupts.EXIT_STATUS
    assert not interrupts.requested()
    interrupts.check()  # outside a command: a no-op
    Image.new("RGB", (64, 64), (90, 140, 200)).save(tmp_path / "flat.png")
    assert evaluate(load_generator("srresnet-x4"), tmp_path, progress=False)["mean"]["sr_psnr"] > 0


def start(args, **env):
    return subprocess.Popen([sys.executable, "-m", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **env},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as in a terminal


def wait_for(condition, proc, what: str, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, f"ended before {what}: {proc.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.02)


def assert_one_quiet_line(proc, moment: str) -> str:
    _, err = proc.communicate(timeout=180)
    lines = [line for line in err.splitlines() if line.startswith("interrupted:")]
    assert proc.returncode == 130 and len(lines) == 1, f"{moment}: status {proc.returncode}\n{err[-3000:]}"
    assert "Traceback" not in err and "Exception ignored" not in err, f"{moment}:\n{err[-3000:]}"
    return lines[0]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """Three small photos and a last, large one (many 32-px tiles: seconds of work for a signal to land in)."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for name, side in (("a", 48), ("b", 48), ("c", 48), ("z_last", 256)):
        Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(folder / f"{name}.png")
    return folder


@pytest.fixture(scope="module")
def generator_path(tmp_path_factory):
    import keras

    from srgan_helpers.networks.srresnet import build_generator
    from srgan_helpers.training import export_generator

    keras.utils.set_random_seed(0)
    return export_generator(build_generator(4, n_res_blocks=1), tmp_path_factory.mktemp("g") / "generator.keras")


@pytest.mark.parametrize("how, moment", [("SIGINT", "last image"), ("SIGTERM", "random")])
def test_upscale_stops_with_one_line_whenever_the_signal_comes(photos, generator_path, tmp_path, how, moment):
    out = tmp_path / "out"
    proc = start(["srgan_helpers.upscale", photos, "--model", generator_path, "--out", out, "--quiet",
                  "--tile", "32", "--overlap", "8"])
    if moment == "last image":  # the three small ones are written: the large last one is under way
        wait_for(lambda: len(list(out.glob("*_x4.png"))) == 3, proc, "three outputs")
    else:
        wait_for(out.is_dir, proc, "the output folder")  # the command's handler is in place from here on
        delay = random.uniform(0, 2)
        moment = f"random, {delay:.2f} s after the output folder appeared"
        time.sleep(delay)
    proc.send_signal(SIGNALS[how])
    line = assert_one_quiet_line(proc, moment)
    assert "z_last.png" in line, f"{moment}: {line}"  # the last image is never reported done
    assert not [p.name for p in out.rglob(".*")], f"{moment}: temp files left"


@pytest.mark.parametrize("how, moment", [("SIGTERM", "checkpoint write"), ("SIGINT", "random")])
def test_training_stops_with_one_line_whenever_the_signal_comes(tiny_config, tmp_path, how, moment):
    from srgan_helpers.training.checkpoints import CheckpointManager

    run, cfg_path = tmp_path / "run", tmp_path / "config.json"
    tiny_config.replace(pretrain_epochs=1, epochs=30).to_json(cfg_path)
    proc = start(["srgan_helpers.training", run, "--config", cfg_path, "--no-progress"],
                 SRGAN_TEST_CHECKPOINT_DELAY="1.0")
    if moment == "checkpoint write":  # a checkpoint's temp folder exists: the write is under way
        wait_for(lambda: list(run.glob("checkpoints/.ckpt-*")), proc, "a checkpoint being written")
    else:
        wait_for((run / "config.json").exists, proc, "the run's config.json")
        delay = random.uniform(0, 4)
        moment = f"random, {delay:.2f} s after config.json appeared"
        time.sleep(delay)
    proc.send_signal(SIGNALS[how])
    line = assert_one_quiet_line(proc, moment)
    assert "run the same command again" in line, f"{moment}: {line}"
    latest = CheckpointManager(run / "checkpoints").latest()
    assert (latest is None) == ("no checkpoint was written yet" in line), f"{moment}: {line}"
    assert not (run / ".lock").exists() and not list(run.glob("checkpoints/.ckpt-*")), f"{moment}: left behind"


def test_every_command_turns_a_signal_into_one_line_and_status_130(capsys, monkeypatch):
    """evaluate (stopped between images), the release check, export and the demo share run_command: a signal
    during the work, or during its last unit, is status 130 and one line, never a success."""
    from conftest import shared_data

    from srgan_helpers import evaluate

    real = evaluate.bicubic_upscale

    def signal_at_the_second_image(lr, scale, calls=[]):  # noqa: B006 - counts calls
        calls.append(1)
        if len(calls) == 2:
            interrupts.request_stop(signal.SIGTERM)
        return real(lr, scale)

    monkeypatch.setattr(evaluate, "bicubic_upscale", signal_at_the_second_image)
    assert evaluate.main([str(shared_data("Set5"))]) == 130
    err = capsys.readouterr().err
    assert err.count("interrupted:") == 1 and "no scores were written" in err and "Traceback" not in err
    assert interrupts.run_command(lambda: interrupts.request_stop() or 0, lambda: "what was left") == 130
    assert capsys.readouterr().err == "interrupted: what was left\n"
    assert interrupts.run_command(lambda: 0) == 0
