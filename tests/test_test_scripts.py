"""The test command's own shell (scripts/test_env.sh, sourced by scripts/test.sh and scripts/colab_stack.sh):
its exit trap stops what the script left running in the background and removes the scratch folder, and never
changes the script's exit status (a green suite once ended with exit 1: a `pkill` that found nothing to stop,
under `set -e`, inside the trap)."""

import os
import subprocess
import time

from conftest import REPO

PRELUDE = f'set -euo pipefail\ncd "{REPO}"\nsource scripts/test_env.sh\necho "$srgan_scratch"\n'


def _run(body: str) -> tuple[int, list[str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_HOME", "JAX_COMPILATION_CACHE_DIR")}
    done = subprocess.run(["bash", "-c", PRELUDE + body], capture_output=True, text=True, env=env, timeout=60)
    return done.returncode, done.stdout.split()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    return state != "Z"


def test_a_background_job_that_already_ended_leaves_the_exit_status_zero():
    code, out = _run('(true) &\nsrgan_stop_at_exit $!\nwait\necho done\n')
    assert code == 0 and out[-1] == "done"
    assert not os.path.exists(out[0]), "the scratch folder outlived the script"


def test_a_background_job_still_running_is_stopped_with_its_children():
    code, out = _run('(sleep 300 >/dev/null & echo $!; wait) &\nsrgan_stop_at_exit $!\nsleep 1\n')
    assert code == 0
    sleeper = int(out[1])
    deadline = time.monotonic() + 10
    while _alive(sleeper) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(sleeper), "the background job's child kept running after the script ended"


def test_a_failing_script_keeps_its_own_exit_status():
    code, out = _run('(true) &\nsrgan_stop_at_exit $!\nwait\nexit 3\n')
    assert code == 3 and not os.path.exists(out[0])
