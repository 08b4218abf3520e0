"""Choosing the Keras backend from a notebook: it must be set before Keras is first imported."""

from __future__ import annotations

import os
import sys

BACKENDS = ("tensorflow", "jax")


class BackendError(RuntimeError):
    """Keras is already loaded with another backend in this process; the message says what to do."""


def select_backend(name: str | None) -> str:
    """Use Keras backend `name` ("tensorflow" or "jax"; None or "" keeps KERAS_BACKEND / Keras' default).

    Sets KERAS_BACKEND when Keras is not imported yet; when it is, and with another backend, raises
    BackendError saying to restart the runtime. Returns the backend in use."""
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
