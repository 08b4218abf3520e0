"""Seeded runs on CPU: bit-identical on JAX, and as close as TensorFlow allows, whatever else loads the machine.

What it takes (measured: benchmarks/RESULTS.md, "reproducibility"). On TensorFlow: one inter-op thread
(TF_NUM_INTEROP_THREADS=1, which must be set before TensorFlow starts: importing this package sets it
unless you set it yourself; independent ops otherwise ran in a load-dependent order and runs parted by
1e-3) and op determinism (`tf.config.experimental.enable_op_determinism()`, when the config's
`deterministic` is on). oneDNN's fast CPU kernels stay on. With both, a residual remains on TensorFlow:
under heavy load about 1 pair of seeded runs in 3 to 5 still parts in the last digits (1e-8 to 5e-6 after the
first GAN epoch; 2.4e-4 after four epochs, the most seen, on TensorFlow 2.20 with 5 busy processes on 2
cores); its source was not found. JAX's CPU programs are deterministic as they are.
`deterministic=False` skips op determinism (faster on a GPU); set TF_NUM_INTEROP_THREADS yourself before
importing anything to change the thread count.
"""

from __future__ import annotations

import os
import sys
import warnings

INTEROP = "TF_NUM_INTEROP_THREADS"
_imported_too_early = False  # TensorFlow was imported (with several inter-op threads) before this package


def prepare_environment() -> None:
    """Before TensorFlow starts: one inter-op thread (deterministic order of ops) and TensorFlow's start-up
    INFO/WARNING lines silenced (TF_CPP_MIN_LOG_LEVEL=2), unless chosen otherwise."""
    global _imported_too_early
    _imported_too_early = "tensorflow" in sys.modules and os.environ.get(INTEROP) != "1"
    os.environ.setdefault(INTEROP, "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and the Keras backend; with `deterministic`, make TensorFlow's ops deterministic."""
    import keras

    keras.utils.set_random_seed(seed)
    if not deterministic or keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    if _imported_too_early or os.environ.get(INTEROP) != "1":
        warnings.warn(f"TensorFlow started with several inter-op threads ({INTEROP} was not 1 when it was imported): "
                      f"seeded CPU runs may differ in the last digits under load. Import srgan_helpers before "
                      f"TensorFlow (or set {INTEROP}=1) for runs that agree to about 1e-5.", stacklevel=2)
