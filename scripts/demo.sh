#!/usr/bin/env bash
# One command, offline: set up .venv, then prepare the embedded sample, train a small SRGAN briefly, and
# write the loss plot and the LR | Bicubic | SR | HR comparison into outputs/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh tf
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
.venv/bin/python -m srgan_helpers.demo "$@"
