"""scripts/setup_env.sh chooses its installer: uv where it can be had, pip with SRGAN_INSTALLER=pip, where uv
cannot be installed, or when uv fails (uv does not read pip's configuration). Run on a stand-in `.venv`
whose python and uv only log what they were asked: no network, no install."""

import os
import shutil
import stat
import subprocess

import pytest
from conftest import REPO

FAKE_PYTHON = """#!/usr/bin/env bash
echo "python $*" >> "$SETUP_LOG"
if [ "$*" = "-m pip install -q uv" ]; then
  [ "$FAKE_UV" = missing ] && exit 1
  printf '#!/usr/bin/env bash\\necho "uv $*" >> "$SETUP_LOG"\\n[ "$FAKE_UV" != fails ]\\n' > "$(dirname "$0")/uv"
  chmod +x "$(dirname "$0")/uv"
fi
exit 0
"""


def _setup(tmp_path, fake_uv="ok", installer=None) -> tuple[int, list[str], str]:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "setup_env.sh", repo / "scripts")
    python = repo / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "log"
    env = dict(os.environ, SETUP_LOG=str(log), FAKE_UV=fake_uv)
    env.pop("SRGAN_INSTALLER", None)
    if installer:
        env["SRGAN_INSTALLER"] = installer
    done = subprocess.run(["bash", "scripts/setup_env.sh", "tf,test"], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=60)
    return done.returncode, log.read_text().splitlines(), done.stderr


PIP_INSTALL = "python -m pip install -q -e .[tf,test]"
KERNEL = "python -m ipykernel install --sys-prefix --name python3 --display-name Python 3"


def test_uv_installs_the_package_when_it_can_be_had(tmp_path):
    code, calls, _ = _setup(tmp_path)
    assert code == 0
    assert calls == ["python -m pip install -q uv",
                     "uv pip install --python .venv/bin/python -q --compile-bytecode -e .[tf,test]", KERNEL]


@pytest.mark.parametrize("fake_uv, installer", [("missing", None), ("ok", "pip"), ("fails", None)])
def test_pip_installs_it_when_uv_is_not_wanted_not_there_or_fails(tmp_path, fake_uv, installer):
    code, calls, err = _setup(tmp_path, fake_uv, installer)
    assert code == 0
    assert calls[-3:] == ["python -m pip install -q --upgrade pip", PIP_INSTALL, KERNEL]
    assert ("python -m pip install -q uv" in calls) == (installer is None)
    assert ("uv could not install" in err) == (fake_uv == "fails")
