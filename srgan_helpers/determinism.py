"""Seeded runs on CPU: bit-identical on both backends, whatever else loads the machine.

JAX's CPU programs are deterministic as they are. TensorFlow needs three things (measured:
benchmarks/RESULTS.md, "reproducibility"):
- op determinism (`tf.config.experimental.enable_op_determinism()`);
- grappler's memory optimizer off. Its scheduling pass rewrites gradient sums of three or more terms (the
  AddN nodes of BatchNorm's and LeakyReLU's backward passes) into in-place accumulations that add the terms
  in the order they happen to finish; under load, 1 GAN step in ~25 then rounded differently and seeded runs
  parted from there (by up to 6.8e-3 after four epochs). tf.config has no public switch for that one pass,
  so it is set in the eager context's base ConfigProto (the rest of grappler, fusions included, stays on);
- one inter-op thread (TF_NUM_INTEROP_THREADS=1, which must be set before TensorFlow starts: importing this
  package sets it unless you set it yourself).
All of it applies when the config's `deterministic` is on (the default); `deterministic=False` skips the first
two (for speed on a GPU, where bit-identity is not claimed).
"""

from __future__ import annotations

import os
import random
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
    """Seed Python, NumPy and the Keras backend (seed_keras); with `deterministic`, make TensorFlow's ops
    deterministic."""
    import keras

    seed_keras(seed)
    if not deterministic or keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    keep_gradient_sums_in_order()
    if _imported_too_early or os.environ.get(INTEROP) != "1":
        warnings.warn(f"TensorFlow started with several inter-op threads ({INTEROP} was not 1 when it was imported): "
                      f"seeded CPU runs may differ in the last digits under load. Import srgan_helpers before "
                      f"TensorFlow (or set {INTEROP}=1) for bit-identical runs.", stacklevel=2)


def seed_keras(seed: int) -> None:
    """keras.utils.set_random_seed(seed) (Python, NumPy, Keras' global SeedGenerator, TensorFlow's global
    seed), less one cost on TensorFlow: tf.random.set_seed also empties TensorFlow's kernel cache, so each
    traced step that a run reuses (training/kept_steps.py) would be optimized again, ~2.5 of a tiny kept run's
    5 CPU-s (2026-12-06). That cache also holds eager stateful random kernels (`tf.random.uniform(..., seed=1)`
    outside a tf.function), which this seeding does not restart; neither Keras 3 nor this package uses them.
    On other backends, or where Keras' or TensorFlow's internals differ from these, it is
    keras.utils.set_random_seed itself, which on another backend no longer starts TensorFlow
    (backend.keep_tensorflow_unloaded) unless something already did."""
    if not isinstance(seed, int):
        raise ValueError(f"The seed must be an integer, not {seed!r}")
    import keras

    from .backend import keep_tensorflow_unloaded

    keras_state = _keras_seed_state()
    tf_context = _tensorflow_context() if keras.backend.backend() == "tensorflow" else None
    if keras_state is None or tf_context is None:
        keep_tensorflow_unloaded()  # (on another backend: Keras' seeding then leaves TensorFlow alone)
        keras.utils.set_random_seed(seed)
        return
    import numpy as np

    global_state, seed_key, generator_key = keras_state
    global_state.set_global_attribute(seed_key, seed)
    global_state.set_global_attribute(generator_key, None)  # Keras rebuilds it from the seed at the next draw
    random.seed(seed)
    np.random.seed(seed)
    tf_context._seed, tf_context._rng = seed, random.Random(seed)  # tf.random.set_seed, less the cache


def _keras_seed_state():
    """Keras' global state and the keys of its seed and its global SeedGenerator, or None."""
    try:
        from keras.src.backend.common import global_state
        from keras.src.random.seed_generator import GLOBAL_SEED_GENERATOR
        from keras.src.utils.rng_utils import GLOBAL_RANDOM_SEED
    except ImportError:
        return None
    return global_state, GLOBAL_RANDOM_SEED, GLOBAL_SEED_GENERATOR


def _tensorflow_context():
    """TensorFlow's eager context if its seed is the pair (_seed, _rng) that tf.random.set_seed sets, else None."""
    try:
        from tensorflow.python.eager import context
    except ImportError:
        return None
    ctx = context.context()
    draws_op_seeds = getattr(getattr(type(ctx), "_internal_operation_seed", None), "__code__", None)
    return ctx if hasattr(ctx, "_seed") and draws_op_seeds and "_rng" in draws_op_seeds.co_names else None


def keep_gradient_sums_in_order(keep: bool = True) -> None:
    """Turn grappler's memory optimizer off (`keep`) or back to TensorFlow's default for the tf.functions traced
    from now on (see the module's docstring): off, gradient sums add their terms in graph order, not in the
    order the terms finish."""
    import tensorflow as tf

    try:
        from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
        from tensorflow.python.eager import context

        ctx = context.context()
        config = config_pb2.ConfigProto()
        if ctx._config is not None:
            config.CopyFrom(ctx._config)
        levels = rewriter_config_pb2.RewriterConfig
        config.graph_options.rewrite_options.memory_optimization = levels.NO_MEM_OPT if keep else levels.DEFAULT_MEM_OPT
        ctx._config = config
        ctx._thread_local_data.function_call_options = None  # rebuilt from the config at the next call
    except (ImportError, AttributeError):  # a TensorFlow without these internals: all of grappler off instead
        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": keep})
