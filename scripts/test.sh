#!/usr/bin/env bash
# One command: set up .venv with TensorFlow (CPU), JAX and pytest, then run the whole suite on the
# TensorFlow backend and the backend-specific tests again on JAX.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
bash scripts/setup_env.sh tf,jax,test,export
echo "== .venv ready in $((SECONDS - started)) s =="
source scripts/test_env.sh   # scratch Keras home + JAX cache (removed at exit), workers, threads
echo "== ruff (lint: pyproject.toml's [tool.ruff]) =="
.venv/bin/ruff check .
echo "== pytest, KERAS_BACKEND=tensorflow (everything), $workers workers =="
KERAS_BACKEND=tensorflow .venv/bin/python -m pytest -q -n "$workers" --dist worksteal --durations=10 "$@"
echo "== pytest, KERAS_BACKEND=jax (backend-specific tests), $workers workers =="
KERAS_BACKEND=jax .venv/bin/python -m pytest -q -n "$workers" --dist worksteal --durations=5 -m backend "$@"
echo "== release check of every shipped model: tones, every Set5/Set14 image above bicubic, its card re-measured =="
if [ -d ../shared/data/Set5 ]; then
  checked=$SECONDS
  KERAS_BACKEND=tensorflow .venv/bin/python -m srgan_helpers.named_models check --data ../shared/data --jobs "$(( workers > 0 ? workers : 1 ))"
  echo "== release check: $((SECONDS - checked)) s =="
else
  echo "skipped: ../shared/data (Set5, Set14, faces) is not beside the repository"
fi
echo "== scripts/test.sh: $((SECONDS - started)) s in all =="
