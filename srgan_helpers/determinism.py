"""Seeded runs that are bit-identical on CPU, on both backends, whatever else loads the machine.

What it takes (measured, benchmarks/RESULTS.md "reproducibility"): on TensorFlow, op determinism
(`tf.config.experimental.enable_op_determinism()`) and oneDNN's CPU kernels off
(`TF_ENABLE_ONEDNN_OPTS=0`, which must be set before TensorFlow is imported: importing this package sets
it unless you set it yourself). JAX's CPU programs are deterministic as they are. `deterministic=False`
in the config skips TensorFlow's op determinism (faster on a GPU); set TF_ENABLE_ONEDNN_OPTS=1 before
importing anything for TensorFlow's fastest CPU kernels.
"""

from __future__ import annotations

import os
import sys
import warnings

ONEDNN = "TF_ENABLE_ONEDNN_OPTS"
_imported_too_early = False  # TensorFlow was imported (with oneDNN on) before this package


def prepare_environment() -> None:
    """Before TensorFlow is imported: oneDNN's non-deterministic CPU kernels off and TensorFlow's start-up
    INFO/WARNING lines silenced (TF_CPP_MIN_LOG_LEVEL=2), unless chosen otherwise."""
    global _imported_too_early
    _imported_too_early = "tensorflow" in sys.modules and os.environ.get(ONEDNN) != "0"
    os.environ.setdefault(ONEDNN, "0")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and the Keras backend; with `deterministic`, make TensorFlow's ops deterministic."""
    import keras

    keras.utils.set_random_seed(seed)
    if not deterministic or keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    if _imported_too_early or os.environ.get(ONEDNN) != "0":
        warnings.warn(f"TensorFlow runs with oneDNN's CPU kernels ({ONEDNN} was not 0 when it was imported): seeded "
                      f"CPU runs may differ in the last digits. Import srgan_helpers before TensorFlow (or set "
                      f"{ONEDNN}=0) for bit-identical runs.", stacklevel=2)
