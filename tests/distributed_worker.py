"""Train in a fresh process that sees N simulated devices (JAX: forced host devices; TensorFlow: logical
CPUs): python tests/distributed_worker.py BACKEND N_SIMULATED RUN_DIR CONFIG_JSON DEVICES EPOCHS"""

import os
import sys

backend, n_simulated, run_dir, config_json, devices, epochs = sys.argv[1:7]
os.environ["KERAS_BACKEND"] = backend
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
if backend == "jax":
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={n_simulated}"
else:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * int(n_simulated))

from srgan_helpers.config import TrainConfig  # noqa: E402
from srgan_helpers.training import train  # noqa: E402

cfg = TrainConfig.from_json(config_json).replace(devices=int(devices), epochs=int(epochs))
train(cfg, run_dir, progress=False)
