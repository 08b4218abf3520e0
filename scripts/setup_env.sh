#!/usr/bin/env bash
# Create .venv (once) and install the package with the extras given as $1 (e.g. "tf,test").
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-tf}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# pip byte-compiles every file it installs (11,018 here: 17 of the install's 38 s on 2 cores); Python compiles the
# ~4,000 a run imports on first use instead, and keeps them, unless PYTHONDONTWRITEBYTECODE forbids writing them:
# then pip compiles everything, as by default.
compile=--no-compile
[ -n "${PYTHONDONTWRITEBYTECODE:-}" ] && compile=--compile
.venv/bin/python -m pip install -q "$compile" -e ".[${extras}]"
.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
