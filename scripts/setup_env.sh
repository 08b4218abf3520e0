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
.venv/bin/python -m pip install -q -e ".[${extras}]"
.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
