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
workers="${SRGAN_TEST_WORKERS:-2}"  # pytest-xdist processes (2 cores: 2); 0 runs in this process
# one compute thread per process (TensorFlow; XLA for JAX): the workers (and what they start) share the cores, rather than
# each spinning a pool of its own on them
if [ "$workers" != 0 ]; then
  export TF_NUM_INTRAOP_THREADS="${TF_NUM_INTRAOP_THREADS:-1}"
  export XLA_FLAGS="${XLA_FLAGS:-} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
fi
echo "== ruff (lint: pyproject.toml's [tool.ruff]) =="
.venv/bin/ruff check .
echo "== pytest, KERAS_BACKEND=tensorflow (everything), $workers workers =="
KERAS_BACKEND=tensorflow .venv/bin/python -m pytest -q -n "$workers" --dist worksteal --durations=10 "$@"
echo "== pytest, KERAS_BACKEND=jax (backend-specific tests), $workers workers =="
KERAS_BACKEND=jax .venv/bin/python -m pytest -q -n "$workers" --dist worksteal --durations=5 -m backend "$@"
