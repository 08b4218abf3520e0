"""Seeded runs are bit-identical on CPU, on the active backend, with other work loading the machine.

The run is the one that differed by 8.7e-3 before (1 residual block, 32-px patches, batch 2, 1 pre-training
and 6 GAN epochs, VGG19 up to block5_conv4): TensorFlow's oneDNN kernels and non-deterministic ops changed
its last digits from run to run. Two CPU hogs run beside both trainings.
"""

import subprocess
import sys

import numpy as np
import pytest
from conftest import latest_arrays

from srgan_helpers.training import train

pytestmark = pytest.mark.backend


@pytest.fixture
def cpu_hogs():
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    yield hogs
    for hog in hogs:
        hog.kill()
        hog.wait()


def test_two_seeded_runs_under_load_give_identical_weights(tiny_config, tmp_path, cpu_hogs):
    cfg = tiny_config.replace(vgg_layer="block5_conv4", steps_per_epoch=None, epochs=3, pretrain_epochs=1,
                              sample_every=100, n_samples=1)
    runs = [tmp_path / "a", tmp_path / "b"]
    for run in runs:
        train(cfg, run, progress=False)
    assert all(hog.poll() is None for hog in cpu_hogs)  # the load was there all along
    a, b = (latest_arrays(run) for run in runs)
    for group in a:
        for x, y in zip(a[group], b[group]):
            np.testing.assert_array_equal(x, y, err_msg=group)
    assert (runs[0] / "loss_log.csv").read_text().split("\n")[1:] != []
    logs = [[line.split(",")[:9] for line in (run / "loss_log.csv").read_text().splitlines()] for run in runs]
    assert logs[0] == logs[1]  # every loss of every epoch, to the last digit
