"""tests/completeness.py: a pytest-xdist run that loses a worker's queue says how many tests did not run."""

import re
import subprocess
import sys

from conftest import REPO

TESTS = """
import time, pytest

@pytest.mark.parametrize("i", range(20))
def test_one_of_twenty(i):
    time.sleep(0.05)
    if i == STOP:
        raise KeyboardInterrupt  # the worker stops here, its queue with it
"""


def _run(tmp_path, stop: int) -> tuple[int, str]:
    (tmp_path / "test_twenty.py").write_text(TESTS.replace("STOP", str(stop)))
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "tests")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "completeness", "-p",
                           "no:cacheprovider", "test_twenty.py"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    return done.returncode, done.stdout


def test_a_worker_lost_mid_run_leaves_a_line_with_the_count(tmp_path):
    code, out = _run(tmp_path, stop=3)
    missing = re.search(r"(\d+) of 20 collected tests did not run", out)
    ran = sum(int(n) for n in re.findall(r"(\d+) (?:passed|failed)", out.splitlines()[-1]))
    assert code != 0 and missing, out
    assert int(missing.group(1)) == 20 - ran > 0, out


def test_a_complete_run_says_nothing_more(tmp_path):
    code, out = _run(tmp_path, stop=-1)
    assert code == 0 and "did not run" not in out and "20 passed" in out, out
