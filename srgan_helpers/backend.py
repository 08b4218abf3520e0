"""Choosing the Keras backend from a notebook: it must be set before Keras is first imported."""

from __future__ import annotations

import contextlib
import os
import sys

BACKENDS = ("tensorflow", "jax")


class BackendError(RuntimeError):
    """Keras is already loaded with another backend in this process; the message says what to do."""


def select_backend(name: str | None) -> str:
    """Use Keras backend `name` ("tensorflow" or "jax"; None or "" keeps KERAS_BACKEND / Keras' default).

    Sets KERAS_BACKEND when Keras is not imported yet; when it is, and with another backend, raises
    BackendError saying to restart the runtime. Returns the backend in use."""
    if not name and "keras" in sys.modules:  # nothing asked: whatever Keras already runs on
        import keras

        return keras.backend.backend()
    name = name or os.environ.get("KERAS_BACKEND") or "tensorflow"
    if name not in BACKENDS:
        raise ValueError(f"backend={name!r}: use one of {BACKENDS}")
    if "keras" in sys.modules:
        import keras

        current = keras.backend.backend()
        if current != name:
            raise BackendError(f"Keras is already loaded with the {current!r} backend in this kernel, so "
                               f"backend={name!r} cannot take effect. Restart the runtime (Colab: Runtime > "
                               f"Restart session; Jupyter: Kernel > Restart) and run the notebook again.")
        return current
    os.environ["KERAS_BACKEND"] = name
    return name


@contextlib.contextmanager
def quiet_stderr():
    """Silence file descriptor 2 for the duration: TensorFlow's C++ libraries print start-up lines (absl,
    oneDNN) there while they load, whatever TF_CPP_MIN_LOG_LEVEL says. Python exceptions still propagate."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def load_keras(name: str | None = None):
    """Select the backend and import Keras (and its engine) without the engine's start-up noise."""
    select_backend(name)
    with quiet_stderr():
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow  # noqa: F401  (its libraries load here, quietly)
    return keras


def keep_tensorflow_unloaded() -> None:
    """On a backend other than TensorFlow, make Keras' seeding and serialization stop importing TensorFlow
    (when it is installed): seeding imports it to seed it, serialization to ask whether an object is one of
    its types, which cannot exist before it is imported. The import costs seconds, its memory and its
    start-up lines on stderr in the middle of a run. Once TensorFlow is imported (by anyone) both use it as
    before. Where Keras' internals differ (another version), nothing changes."""
    try:
        import keras
        from keras.src.saving import serialization_lib
        from keras.src.utils import rng_utils
        from keras.src.utils.module_utils import LazyModule
    except ImportError:
        return
    if keras.backend.backend() == "tensorflow":
        return

    class TensorFlowOnceImported(LazyModule):
        """Keras' lazy `tensorflow`, available only once something has imported TensorFlow."""

        @property
        def available(self):
            return "tensorflow" in sys.modules and LazyModule.available.fget(self)

    for module in (serialization_lib, rng_utils):
        lazy = getattr(module, "tf", None)
        if type(lazy) is LazyModule and lazy.module is None:  # (not yet replaced, TensorFlow not yet loaded)
            module.tf = TensorFlowOnceImported(lazy.name)
