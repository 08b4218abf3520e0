"""Choosing the backend from a notebook parameter."""

import os
import subprocess
import sys

import pytest

from srgan_helpers.backend import BackendError, select_backend


def test_backend_is_set_before_keras_is_imported():
    code = ("import os, sys; from srgan_helpers.backend import select_backend; "
            "assert 'keras' not in sys.modules; print(select_backend('jax')); import keras; "
            "print(keras.backend.backend())")
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["jax", "jax"]


def test_another_backend_after_keras_is_loaded_says_restart():
    import keras

    current = keras.backend.backend()
    assert select_backend(current) == current
    other = "jax" if current == "tensorflow" else "tensorflow"
    with pytest.raises(BackendError, match="Restart"):
        select_backend(other)
    with pytest.raises(ValueError, match="backend='torch'"):
        select_backend("torch")
