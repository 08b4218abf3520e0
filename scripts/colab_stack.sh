#!/usr/bin/env bash
# The suite on Google Colab's own packages (constraints/colab.txt: its published runtime), on Python 3.13:
#  1. a venv with Colab's versions of everything the package and the tests touch (+ papermill, which
#     Colab lacks but the notebook tests need);
#  2. the package installed exactly as the notebooks' setup cell does (`pip install -q <source>`, no
#     extras, no constraints), failing if that upgrades a package Colab already has;
#  3. the suite on TensorFlow, then the backend-specific tests on JAX (as scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-colab
python="${PYTHON313:-}"
if [ -z "$python" ]; then
  python=$(ls -d "$(pyenv root 2>/dev/null || echo /root/.pyenv)"/versions/3.13*/bin/python 2>/dev/null | head -1)
fi
[ -x "$python" ] || { echo "error: no Python 3.13 found (set PYTHON313=/path/to/python3.13)" >&2; exit 2; }
[ -x $venv/bin/python ] || "$python" -m venv $venv
pip="$venv/bin/python -m pip"
$pip install -q --upgrade pip
runtime="tensorflow-cpu keras jax jaxlib numpy scipy scikit-image pillow matplotlib tqdm gdown jupytext h5py optree
 ipywidgets ipykernel protobuf nbformat nbclient requests pytest"
$pip install -q -c constraints/colab.txt $runtime
$pip install -q -c constraints/colab.txt papermill pytest-xdist pytest-timeout   # the tests' tools Colab lacks
$pip freeze | sort > $venv/before.txt
$pip install -q .                     # what the notebooks' setup cell does on Colab
$pip freeze | sort > $venv/after.txt
changed=$(comm -13 $venv/before.txt $venv/after.txt | grep -viE "^srgan[-_]helpers" || true)
if [ -n "$changed" ]; then
  echo "error: installing the package changed Colab's packages:" >&2; echo "$changed" >&2; exit 1
fi
$venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
echo "== Colab stack: $($venv/bin/python --version), $(grep -iE '^(tensorflow[-_]cpu|keras|jax|numpy)==' $venv/after.txt | tr '\n' ' ')"
source scripts/test_env.sh   # as scripts/test.sh: scratch Keras home + JAX cache, workers, threads
echo "== pytest on Colab's stack, KERAS_BACKEND=tensorflow (everything), $tf_workers workers =="
KERAS_BACKEND=tensorflow $venv/bin/python -m pytest -q -n "$tf_workers" --dist worksteal -p no:cacheprovider "$@"
echo "== pytest on Colab's stack, KERAS_BACKEND=jax (backend-specific tests), $workers workers =="
KERAS_BACKEND=jax $venv/bin/python -m pytest -q -n "$workers" --dist worksteal -p no:cacheprovider -m backend "$@"
