"""Choosing the backend from a notebook parameter."""

import os
import subprocess
import sys
import textwrap

import pytest

from srgan_helpers.backend import BackendError, select_backend


def test_backend_is_set_before_keras_is_imported():
    """As a notebook sets it: setup_notebook(backend, keras="later") (notebook 07) chooses the backend and
    leaves Keras unloaded; whatever loads Keras later runs on that backend."""
    code = ("import os, sys; from srgan_helpers import workflows; from srgan_helpers.backend import select_backend; "
            "workflows.setup_notebook('jax', keras='later'); assert 'keras' not in sys.modules; "
            "print(select_backend(None)); import keras; print(keras.backend.backend())")
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["jax", "jax"]
    from srgan_helpers import workflows

    with pytest.raises(ValueError, match="keras='sometimes'"):
        workflows.setup_notebook(keras="sometimes")


def test_another_backend_after_keras_is_loaded_says_restart():
    import keras

    current = keras.backend.backend()
    assert select_backend(current) == current
    other = "jax" if current == "tensorflow" else "tensorflow"
    with pytest.raises(BackendError, match="Restart"):
        select_backend(other)
    with pytest.raises(ValueError, match="backend='torch'"):
        select_backend("torch")


def test_seeding_and_saving_on_jax_do_not_start_tensorflow(tmp_path):
    """Keras' seeding and serialization import TensorFlow when it is installed (seconds, its memory and its
    start-up lines on stderr mid-run): to seed it, and to ask whether an object is one of its types, which
    cannot exist before it is imported. On JAX a seeded, exported generator starts no TensorFlow, draws what
    Keras' own seeding gives, and loads back the same."""
    code = textwrap.dedent("""
        import pathlib, sys
        import numpy as np
        from srgan_helpers.backend import load_keras, quiet_stderr
        keras = load_keras("jax")
        from srgan_helpers.determinism import seed_keras
        from srgan_helpers.training.session import export_generator
        seed_keras(5)
        draws = keras.ops.convert_to_numpy(keras.random.uniform((3,))), np.random.rand(2)
        x = keras.Input((8, 8, 3))
        model = keras.Model(x, keras.layers.Conv2D(3, 3, padding="same")(x))
        path = export_generator(model, pathlib.Path(sys.argv[1]))
        print("tensorflow" in sys.modules)
        batch = np.ones((1, 8, 8, 3), np.float32)
        again = keras.saving.load_model(path)
        print(np.array_equal(keras.ops.convert_to_numpy(again(batch)), keras.ops.convert_to_numpy(model(batch))))
        with quiet_stderr():  # (Keras' seeding starts TensorFlow)
            keras.utils.set_random_seed(5)
        theirs = keras.ops.convert_to_numpy(keras.random.uniform((3,))), np.random.rand(2)
        print(all(np.array_equal(a, b) for a, b in zip(draws, theirs)))
    """)
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "g.keras")], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "True", "True"] and out.stderr == ""
