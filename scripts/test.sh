#!/usr/bin/env bash
# One command: set up .venv with TensorFlow (CPU), JAX and pytest, then run the whole suite on the
# TensorFlow backend and the backend-specific tests again on JAX.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh tf,jax,test
export TF_CPP_MIN_LOG_LEVEL=2
export KERAS_HOME="${KERAS_HOME:-$(mktemp -d)}"
echo "== ruff (lint: pyproject.toml's [tool.ruff]) =="
.venv/bin/ruff check .
echo "== pytest, KERAS_BACKEND=tensorflow (everything) =="
KERAS_BACKEND=tensorflow .venv/bin/python -m pytest -q --durations=10 "$@"
echo "== pytest, KERAS_BACKEND=jax (backend-specific tests) =="
KERAS_BACKEND=jax .venv/bin/python -m pytest -q -m backend "$@"
