#!/usr/bin/env bash
# One command: set up .venv with TensorFlow (CPU), JAX and pytest, then run the whole suite on the
# TensorFlow backend and the backend-specific tests again on JAX.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
bash scripts/setup_env.sh tf,jax,test
echo "== .venv ready in $((SECONDS - started)) s =="
source scripts/test_env.sh   # scratch Keras home + JAX cache (removed at exit), workers, threads
echo "== ruff (lint: pyproject.toml's [tool.ruff]) =="
.venv/bin/ruff check .
echo "== pytest, KERAS_BACKEND=tensorflow (everything), $workers workers =="
KERAS_BACKEND=tensorflow .venv/bin/python -m pytest -q -n "$workers" --dist worksteal --durations=10 "$@"
echo "== pytest, KERAS_BACKEND=jax (backend-specific tests), $workers workers =="
KERAS_BACKEND=jax .venv/bin/python -m pytest -q -n "$workers" --dist worksteal --durations=5 -m backend "$@"
echo "== scripts/test.sh: $((SECONDS - started)) s in all =="
