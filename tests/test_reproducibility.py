"""Seeded runs on CPU, with other work loading the machine: bit-identical on JAX; on TensorFlow equal to
1e-3 (they were 8.7e-3 apart before one inter-op thread and op determinism; 2.4e-4 in the weights and 7.3e-5
relative in the losses is the most seen since: TensorFlow 2.20, Colab's, with 5 busy processes on 2 cores).

The run is the one that differed by 8.7e-3 before (1 residual block, 32-px patches, batch 2, VGG19 up to
block5_conv4), with 1 pre-training and 3 GAN epochs. A CPU hog runs beside both trainings (and in the suite
the other pytest worker: 2 cores, at least 3 busy processes).

TensorFlow's residual (benchmarks/RESULTS.md, "reproducibility"): under load about 1 pair of runs in 3 to 5
still parts in the last digits at the first GAN step's update (1e-8 to 2e-5 in the weights afterwards);
bit-identity is therefore asserted on JAX only, and TensorFlow is held to what it reliably gives.
"""

import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import latest_arrays, log_columns

from srgan_helpers.training import train

pytestmark = pytest.mark.backend


@pytest.fixture
def cpu_hogs():
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])]
    yield hogs
    for hog in hogs:
        hog.kill()
        hog.wait()


@pytest.mark.slow
def test_two_seeded_runs_under_load_agree_bit_identical_on_jax(tiny_config, tmp_path, cpu_hogs):
    cfg = tiny_config.replace(vgg_layer="block5_conv4", steps_per_epoch=None, epochs=3, pretrain_epochs=1,
                              sample_every=100, n_samples=1)
    runs = [tmp_path / "a", tmp_path / "b"]
    for run in runs:
        train(cfg, run, progress=False)
    assert all(hog.poll() is None for hog in cpu_hogs)  # the load was there all along
    a, b = (latest_arrays(run) for run in runs)
    exact = keras.backend.backend() == "jax"
    for group in a:
        for x, y in zip(a[group], b[group]):
            if exact:
                np.testing.assert_array_equal(x, y, err_msg=group)
            elif group in ("generator", "discriminator"):
                np.testing.assert_allclose(y, x, atol=1e-3, rtol=0, err_msg=group)
    logs = [log_columns(run / "loss_log.csv") for run in runs]
    assert len(logs[0]["epoch"]) == 4
    for key in ("d_loss", "g_loss", "content_loss", "adv_loss"):
        if exact:  # every loss of every epoch, to the last digit
            np.testing.assert_array_equal(logs[0][key], logs[1][key], err_msg=key)
        else:
            np.testing.assert_allclose(logs[1][key], logs[0][key], rtol=1e-3, err_msg=key)
