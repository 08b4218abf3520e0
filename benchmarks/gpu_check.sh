#!/usr/bin/env bash
# The GPU check, on a machine with JAX and PyTorch but no TensorFlow, no Keras and no network (issue 14):
#   1. the general model: 16-block SRResNet on the "291" whole images through the package's own training
#      path (JAX, bf16), MINUTES_GENERAL of training, Set5 learning curve, Set5/Set14 at the end;
#   2. beside it on the same GPU, the face model: 16 blocks on the CelebA faces (88-px centre crops, 20%
#      held out), MINUTES_FACES of training;
#   3. then, alone on the GPU, throughput: ours vs plain PyTorch in the same run (batch 64, bf16).
# Both generators come back (generator_291.keras, generator_faces.keras) with their result JSON; BSD100 and
# the cards are done on a CPU afterwards (benchmarks/ship_model.py).
#
#   bash benchmarks/gpu_check.sh --prepare   # here, once: wheels into .whl/, data into .gpu_data/ (both git-excluded)
#   bash benchmarks/gpu_check.sh             # there (device tool; carry .whl and .gpu_data); about 8 minutes
#   bash benchmarks/gpu_check.sh --profile   # there: where the GAN step's time goes (gan_step_profile.py); 3 minutes
# Results: $OUT (or benchmarks/results/gpu/): quality_{291,faces}.{json,log}, generator_{291,faces}.keras,
# throughput_gpu.json (7 files: the device tool brings back at most 8).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--prepare" ]; then
  grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
  for d in /.gpu_data/ /.gpu_prepared/ /.gpu_runs/; do grep -qx "$d" .git/info/exclude || echo "$d" >> .git/info/exclude; done
  rm -rf .whl && mkdir -p .whl
  keras_version=$(.venv/bin/python -c 'import keras; print(keras.__version__)' 2>/dev/null || python3 -c 'import keras; print(keras.__version__)')
  for pkg in "keras==$keras_version" namex optree; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl "$pkg"
  done
  rm -rf .gpu_data && mkdir -p .gpu_data
  for s in T91 BSD200 Set5 Set14 faces; do cp -r ../shared/data/$s .gpu_data/; done
  du -sh .whl .gpu_data
  exit 0
fi
out="${OUT:-benchmarks/results/gpu}"
mkdir -p "$out"
site="${GPU_CHECK_SITE:-/tmp/site}"
if ! python3 -c 'import keras' 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .whl/*.whl
  export PYTHONPATH="$site"
fi
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$PWD" KERAS_BACKEND=jax PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
data="${GPU_CHECK_DATA:-.gpu_data}"
if [ "${1:-}" = "--profile" ]; then  # where the GAN step's time goes, and the loader's pace on this CPU
  python3 -c "from srgan_helpers.workflows import prepare; prepare('291', '.gpu_prepared', '291_min96', n_images=None,
test_fraction=0, mode='whole', min_size=96, folder='$data')" > /dev/null 2>&1
  exec timeout "${PROFILE_SECONDS:-200}" python3 benchmarks/gan_step_profile.py --loader-data .gpu_prepared/291_min96 \
    --out "$out/gan_step_profile.json"
fi
common=(--backend jax --data "$data" --data-root .gpu_prepared --blocks "${BLOCKS:-16}" --batch "${BATCH:-64}"
        --learning-rate "${LEARNING_RATE:-2e-4}" --precision "${PRECISION:-mixed_bfloat16}" --steps-per-epoch "${STEPS_PER_EPOCH:-500}"
        --save-every 20)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 benchmarks/quality.py "${common[@]}" --train-set 291 --patch "${PATCH:-96}" --minutes "${MINUTES_GENERAL:-5}" \
  --eval-every "${EVAL_EVERY:-5000}" --sets Set5,Set14 --work .gpu_runs/291 --out "$out/quality_291.json" \
  --generator-out "$out/generator_291.keras" > "$out/quality_291.log" 2>&1 &
general=$!
python3 benchmarks/quality.py "${common[@]}" --train-set faces --hr-size 88 --minutes "${MINUTES_FACES:-2}" \
  --eval-every "${EVAL_EVERY:-5000}" --work .gpu_runs/faces --out "$out/quality_faces.json" \
  --generator-out "$out/generator_faces.keras" > "$out/quality_faces.log" 2>&1 &
faces=$!
status=0
wait "$faces" || { status=1; echo "face model failed: tail of its log"; tail -n 20 "$out/quality_faces.log"; }
wait "$general" || { status=1; echo "general model failed: tail of its log"; tail -n 20 "$out/quality_291.log"; }
tail -n 25 "$out/quality_faces.log" "$out/quality_291.log"
timeout "${THROUGHPUT_SECONDS:-120}" python3 benchmarks/throughput.py --batch-sizes "${THROUGHPUT_BATCH:-64}" \
  --precisions mixed_bfloat16 --steps 20 --repeats 3 ${THROUGHPUT_ARGS:-} --reference torch \
  --out "$out/throughput_gpu.json" 2>&1 || status=1
exit $status
