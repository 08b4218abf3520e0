"""Seeding: the random state keras.utils.set_random_seed sets, without emptying TensorFlow's kernel cache
(which would optimize every reused traced step again)."""

import random

import keras
import numpy as np
import pytest
from keras.src.utils import rng_utils

from srgan_helpers.determinism import seed_keras

pytestmark = pytest.mark.backend


def _draws():
    """One draw from each generator a seed sets: Keras' global SeedGenerator, NumPy's, Python's."""
    return np.asarray(keras.random.uniform((4,))), np.random.rand(3), random.random()


@pytest.mark.parametrize("seed", [3, 11])
def test_seeding_gives_keras_set_random_seed_s_draws(seed):
    keras.utils.set_random_seed(seed + 1)
    _draws()  # the global generators have moved on: seeding must reset them all
    seed_keras(seed)
    ours = _draws()
    assert rng_utils.get_random_seed() == seed  # what Keras reads back as the seed set
    keras.utils.set_random_seed(seed)
    theirs = _draws()
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="integer"):
        seed_keras(1.5)


def test_tensorflow_is_seeded_without_emptying_its_kernel_cache(monkeypatch):
    """tf.random.set_seed empties the cache of instantiated (grappler-optimized) functions: a run on kept
    steps (training/kept_steps.py) would optimize its steps again. The graph seed must still be the seed."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("TensorFlow's seed")
    import tensorflow as tf
    from tensorflow.python.eager import context

    def fresh_trace():
        return tf.function(lambda: tf.random.uniform([3]))().numpy()

    tf.random.set_seed(7)
    expected = fresh_trace(), [context.internal_operation_seed() for _ in range(3)]  # graph seed, op seeds
    emptied = []
    monkeypatch.setattr(context.pywrap_tfe, "TFE_ContextClearCaches", lambda handle: emptied.append(handle))
    tf.random.set_seed(8)
    assert emptied  # the patch sees TensorFlow's own seeding empty the cache (else this test could not fail)
    emptied.clear()
    seed_keras(7)
    assert emptied == [] and context.global_seed() == 7
    np.testing.assert_array_equal(fresh_trace(), expected[0])
    seed_keras(7)
    assert [context.internal_operation_seed() for _ in range(3)] == expected[1]
