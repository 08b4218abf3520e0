#!/usr/bin/env bash
# Create .venv (once) and install the package with the extras given as $1 (e.g. "tf,test").
# The installer is uv (from PyPI, into .venv) where it can be had: it fetches and unpacks the wheels in
# parallel and byte-compiles on every core, about half pip's time for the test extras on 2 cores
# (benchmarks/RESULTS.md, "Suite times"); the same versions resolve. uv does not read pip's configuration:
# with SRGAN_INSTALLER=pip (a private index, say), where uv cannot be installed, or when it fails, pip does it.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-tf}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
pip=".venv/bin/python -m pip"

install_with_uv() {
  [ "${SRGAN_INSTALLER:-uv}" = uv ] || return 1
  $pip install -q uv 2>/dev/null || return 1
  .venv/bin/uv pip install --python .venv/bin/python -q --compile-bytecode -e ".[${extras}]" && return 0
  echo "setup_env.sh: uv could not install the package; trying pip" >&2
  return 1
}

if ! install_with_uv; then
  $pip install -q --upgrade pip
  $pip install -q -e ".[${extras}]"
fi
.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
