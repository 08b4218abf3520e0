# Sourced by scripts/test.sh and scripts/colab_stack.sh: the environment both test passes run in.
# - a Keras home and one JAX compilation cache for both backends' passes, every pytest worker and every
#   subprocess (tests/conftest.py explains), in a scratch folder removed when the calling script ends (the
#   cache grows to gigabytes: nothing may pile up in /tmp run after run);
# - srgan_stop_at_exit PID: a background job (and its children) the exit trap stops; the trap never changes
#   the script's exit status (every command in it may fail: `set -e` holds inside a trap);
# - SRGAN_TEST_WORKERS pytest-xdist processes (2 cores: 3 in the TensorFlow pass, 2 in the JAX pass; 0 runs the
#   tests in pytest's own process);
# - with workers, one TensorFlow compute thread per process: the workers and what they start share the
#   cores, rather than each spinning a pool of its own on them. XLA (JAX) keeps its default threads: then
#   every JAX process, the reproducibility test's fresh one with a user's settings included, compiles with the
#   same flags and shares the compilation cache.
export TF_CPP_MIN_LOG_LEVEL=2
srgan_scratch=$(mktemp -d -t srgan-tests-XXXXXX)
srgan_background_pids=""
srgan_stop_at_exit() { srgan_background_pids="$srgan_background_pids $1"; }
srgan_at_exit() {
  local pid
  for pid in $srgan_background_pids; do
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  rm -rf "$srgan_scratch" || true
}
trap srgan_at_exit EXIT
export KERAS_HOME="${KERAS_HOME:-$srgan_scratch/keras}"
export JAX_COMPILATION_CACHE_DIR="${JAX_COMPILATION_CACHE_DIR:-$srgan_scratch/jax_cache}"
workers="${SRGAN_TEST_WORKERS:-2}"
# The TensorFlow pass: a third worker. On one TensorFlow thread each, two workers left ~12% of the two cores
# idle while tests waited on files, signals and their subprocesses (idle, 2026-12-05: 6:04-6:25 with 2, 5:41
# with 3). The JAX pass keeps 2: XLA's own threads, and the release check beside it, fill the cores.
tf_workers="${SRGAN_TEST_WORKERS:-3}"
if [ "$workers" != 0 ]; then
  export TF_NUM_INTRAOP_THREADS="${TF_NUM_INTRAOP_THREADS:-1}"
fi
