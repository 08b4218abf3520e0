"""Data-parallel training on several devices through the engines' own distribution:
`keras.distribution.DataParallel` on JAX, `tf.distribute` (MirroredStrategy on GPUs or logical CPUs,
TPUStrategy on a Colab TPU) on TensorFlow. The global batch is split across the devices; BatchNorm
statistics are global (JAX: one SPMD program; TF: synchronized BatchNormalization); both optimizers see
the all-reduced gradients. Checkpoints hold plain arrays, so runs move between device counts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os


@dataclasses.dataclass
class Placement:
    """Where training runs: `n_devices` and one engine object, which `kind` names: a tf.distribute strategy
    (tf_mirrored, tf_tpu) or a keras.distribution.DataParallel (jax_data_parallel); none on one device."""

    n_devices: int = 1
    kind: str = "single"  # single | jax_data_parallel | tf_mirrored | tf_tpu
    engine: object = None

    @property
    def distributed(self) -> bool:
        return self.n_devices > 1

    @property
    def strategy(self):
        """TensorFlow's distribution strategy (None on JAX or one device)."""
        return self.engine if self.kind.startswith("tf_") else None

    @property
    def distribution(self):
        """JAX's keras.distribution (None on TensorFlow or one device)."""
        return self.engine if self.kind == "jax_data_parallel" else None

    def scope(self):
        """Where models and optimizers must be built (TF strategy scope; JAX: the global distribution)."""
        if self.strategy is not None:
            return self.strategy.scope()
        return contextlib.nullcontext()


def _tf_devices():
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    return [d.name for d in gpus] if gpus else [d.name for d in tf.config.list_logical_devices("CPU")]


def resolve(devices="auto", batch_size: int = 16) -> Placement:
    """A Placement for `devices`: "auto" (every GPU/TPU there is; one device on CPU) or a count."""
    import keras

    backend = keras.backend.backend()
    if devices in (None, "", 1, "1"):
        return Placement()
    if backend == "jax":
        return _resolve_jax(devices, batch_size)
    if backend == "tensorflow":
        return _resolve_tf(devices, batch_size)
    raise ValueError(f"devices={devices}: multi-device training needs the jax or tensorflow backend")


def _resolve_jax(devices, batch_size: int) -> Placement:
    import jax
    import keras

    available = jax.devices()
    if devices == "auto":
        n = len(available) if available[0].platform != "cpu" else 1
    else:
        n = int(devices)
    if n > len(available):
        raise ValueError(f"devices={devices}: only {len(available)} JAX device(s) here ({available[0].platform})")
    if n == 1:
        return Placement()
    check_batch(batch_size, n)
    chosen = keras.distribution.list_devices(available[0].platform)[:n]
    return Placement(n, "jax_data_parallel", engine=keras.distribution.DataParallel(devices=chosen))


def _resolve_tf(devices, batch_size: int) -> Placement:
    import tensorflow as tf

    if devices == "auto" and (os.environ.get("COLAB_TPU_ADDR") or tf.config.list_logical_devices("TPU")):
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        strategy = tf.distribute.TPUStrategy(resolver)
        check_batch(batch_size, strategy.num_replicas_in_sync)
        return Placement(strategy.num_replicas_in_sync, "tf_tpu", engine=strategy)
    names = _tf_devices()
    gpus = tf.config.list_logical_devices("GPU")
    n = (len(gpus) if gpus else 1) if devices == "auto" else int(devices)
    if n > len(names):
        raise ValueError(f"devices={devices}: only {len(names)} TensorFlow device(s) here")
    if n == 1:
        return Placement()
    check_batch(batch_size, n)
    return Placement(n, "tf_mirrored", engine=_mirrored_strategy(tuple(names[:n])))


@functools.cache
def _mirrored_strategy(names: tuple[str, ...]):
    """One MirroredStrategy per device set and process: a second strategy over the same devices reuses the
    first one's collective-op keys, and its synchronized BatchNorm then fails ("Shape mismatch in the
    collective instance") when a notebook kernel trains twice."""
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(list(names))


def check_batch(batch_size: int, n: int) -> None:
    if batch_size % n:
        raise ValueError(f"batch_size={batch_size} must be a multiple of the {n} devices (it is the global batch)")


@contextlib.contextmanager
def activated(placement: Placement):
    """Make the JAX distribution global for the duration (models built inside get replicated variables)."""
    if placement.distribution is None:
        yield placement
        return
    import keras

    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(placement.distribution)
    try:
        yield placement
    finally:
        keras.distribution.set_distribution(previous)
