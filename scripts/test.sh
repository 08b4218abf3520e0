#!/usr/bin/env bash
# One command: set up .venv with TensorFlow (CPU), JAX and pytest, then run the whole suite on the
# TensorFlow backend and the backend-specific tests again on JAX.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh tf,jax,test
export TF_CPP_MIN_LOG_LEVEL=2
export KERAS_HOME="${KERAS_HOME:-$(mktemp -d)}"
# one JAX compilation cache for both passes and every worker and subprocess (tests/conftest.py explains)
export JAX_COMPILATION_CACHE_DIR="${JAX_COMPILATION_CACHE_DIR:-$(mktemp -d)}"
workers="${SRGAN_TEST_WORKERS:-2}"  # pytest-xdist processes for the TensorFlow pass (2 cores: 2); 0: in-process
echo "== ruff (lint: pyproject.toml's [tool.ruff]) =="
.venv/bin/ruff check .
# The JAX pass runs beside the TensorFlow pass (the machine is then never idle at either pass's tail); its
# output is printed when it is done.
jax_log=$(mktemp)
KERAS_BACKEND=jax .venv/bin/python -m pytest -q -p no:cacheprovider --durations=5 -m backend "$@" > "$jax_log" 2>&1 &
jax_pid=$!
echo "== pytest, KERAS_BACKEND=tensorflow (everything), $workers workers; the JAX pass runs beside it =="
tf_status=0
KERAS_BACKEND=tensorflow .venv/bin/python -m pytest -q -n "$workers" --dist worksteal --durations=10 "$@" || tf_status=$?
jax_status=0
wait "$jax_pid" || jax_status=$?
echo "== pytest, KERAS_BACKEND=jax (backend-specific tests) =="
cat "$jax_log"
rm -f "$jax_log"
[ "$tf_status" -eq 0 ] && [ "$jax_status" -eq 0 ]
