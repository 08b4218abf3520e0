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
# The release check runs beside both test passes (its output is shown when all are done): one checking
# process on one TensorFlow thread, at normal priority (it would starve behind other work on a loaded
# machine). Started beside the JAX pass alone, it outlasted that pass by a minute with one core idle (c07a707,
# 2026-12-06: release check 273 s, JAX pass 209 s). One process for all models: beside a pass that keeps both
# cores busy it does the same work in fewer CPU-seconds than a process per model (137 against 172 CPU-s,
# 2026-12-05). The exit trap (scripts/test_env.sh) stops it.
release_log="$srgan_scratch/release_check.log"
if [ -d ../shared/data/Set5 ]; then
  (checked=$SECONDS; status=0
   KERAS_BACKEND=tensorflow .venv/bin/python -m srgan_helpers.named_models check --data ../shared/data \
     --jobs 1 > "$release_log" 2>&1 || status=$?
   echo "$status" > "$release_log.status"
   echo "== release check: $((SECONDS - checked)) s (beside the test passes) ==" >> "$release_log") &
  release_pid=$!
  srgan_stop_at_exit "$release_pid"
fi
echo "== pytest, KERAS_BACKEND=tensorflow (everything), $tf_workers workers =="
KERAS_BACKEND=tensorflow .venv/bin/python -m pytest -q -n "$tf_workers" --dist worksteal --durations=10 "$@"
echo "== pytest, KERAS_BACKEND=jax (backend-specific tests), $workers workers =="
KERAS_BACKEND=jax .venv/bin/python -m pytest -q -n "$workers" --dist worksteal --durations=5 -m backend "$@"
echo "== release check of every shipped model: tones, every Set5/Set14 image above bicubic, its card re-measured =="
if [ -n "${release_pid:-}" ]; then
  wait "$release_pid" || true
  cat "$release_log"
  [ "$(cat "$release_log.status" 2>/dev/null)" = 0 ] || { echo "release check failed" >&2; exit 1; }
else
  echo "skipped: ../shared/data (Set5, Set14, faces) is not beside the repository"
fi
echo "== scripts/test.sh: $((SECONDS - started)) s in all =="
