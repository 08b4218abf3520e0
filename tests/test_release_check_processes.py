"""`named_models check --jobs N` checks models in N spawned processes: Ctrl-C and SIGTERM stop it at once,
a checking process that dies (the out-of-memory killer) is one line, and no checking process outlives the
command, however it ends."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, alive, eventually, processes, shared_data

INTERRUPTED = "interrupted: the release check did not finish; no card was changed"


def checking_processes(parent: int) -> list[int]:
    """The processes multiprocessing spawned for `parent` to check models in."""
    found = []
    for pid, fields in processes().items():
        try:
            if int(fields[1]) == parent and b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:  # (ended meanwhile)
            continue
    return found


@pytest.fixture
def check_with_two_jobs():
    """Start `check --jobs 2` on ../shared/data (SIGINT as in a terminal); yield it and its two checking
    processes once both exist; whatever the test did, nothing of it is left running after."""
    data = shared_data("Set5").parent
    proc = subprocess.Popen([sys.executable, "-m", "srgan_helpers.named_models", "check", "--jobs", "2", "--data",
                             str(data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    workers = []
    try:
        eventually(lambda: len(checking_processes(proc.pid)) == 2 or proc.poll() is not None, timeout=120)
        workers = checking_processes(proc.pid)
        assert len(workers) == 2, proc.communicate(timeout=600)
        yield proc, workers
    finally:
        for pid in [proc.pid, *workers]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.communicate()


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_ctrl_c_or_sigterm_stops_a_check_with_jobs_at_once_and_no_checking_process_is_left(check_with_two_jobs,
                                                                                           how):
    proc, workers = check_with_two_jobs
    proc.send_signal(how)
    _, err = proc.communicate(timeout=30)  # not when the checks are done (a minute or more each)
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == INTERRUPTED, err[-2000:]
    assert "Traceback" not in err, err[-2000:]
    assert eventually(lambda: not any(alive(pid) for pid in workers), timeout=10), "checking processes left"


def test_a_checking_process_that_dies_is_one_line_and_stops_the_others(check_with_two_jobs):
    proc, workers = check_with_two_jobs
    os.kill(workers[0], signal.SIGKILL)  # as the out-of-memory killer would
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "Traceback" not in err, err[-2000:]
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: a checking process ended without a result") and "--jobs 1" in last, last
    assert eventually(lambda: not any(alive(pid) for pid in workers), timeout=10), "checking processes left"


def test_no_checking_process_outlives_a_killed_check(check_with_two_jobs):
    proc, workers = check_with_two_jobs
    proc.kill()
    proc.wait(timeout=30)
    assert eventually(lambda: not any(alive(pid) for pid in workers), timeout=10), "orphan checking processes"
