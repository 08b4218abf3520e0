#!/usr/bin/env bash
# The GPU check: throughput (ours vs plain PyTorch, same card, same run) + a short real training with
# its Set5/Set14/BSD100 PSNR (benchmarks/quality.py), on a machine with JAX and PyTorch but no TensorFlow, no Keras and no network.
#
#   bash benchmarks/gpu_check.sh --prepare   # here, once: wheels into .whl/, data into .gpu_data/ (both git-excluded)
#   bash benchmarks/gpu_check.sh             # there (device tool; carry .whl and .gpu_data); about 8 minutes
# Results: $OUT (or benchmarks/results/) throughput_gpu.json, quality_gpu.json, gpu_check.log.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--prepare" ]; then
  grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
  grep -qx '/.gpu_data/' .git/info/exclude 2>/dev/null || echo '/.gpu_data/' >> .git/info/exclude
  rm -rf .whl && mkdir -p .whl
  for pkg in "keras==$(python3 -c 'import keras; print(keras.__version__)' 2>/dev/null || .venv/bin/python -c 'import keras; print(keras.__version__)')" namex optree; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl "$pkg"
  done
  rm -rf .gpu_data && mkdir -p .gpu_data
  for s in T91 BSD200 Set5 Set14 BSD100; do cp -r ../shared/data/$s .gpu_data/; done
  du -sh .whl .gpu_data
  exit 0
fi
out="${OUT:-benchmarks/results}"
mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH="/tmp/site:$PWD" KERAS_BACKEND=jax PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  python3 benchmarks/throughput.py --batch-sizes 64,128 --precisions mixed_bfloat16,float32 --steps 20 --repeats 5 \
    --reference torch --out "$out/throughput_gpu.json"
  python3 benchmarks/quality.py --backend jax --data .gpu_data --data-root .gpu_prepared --work .gpu_runs \
    --minutes 2.5 --blocks 16 --precision mixed_bfloat16 --out "$out/quality_gpu.json"
} 2>&1 | tee "$out/gpu_check.log"
