"""Train in a fresh process that sees N simulated devices (JAX: forced host devices; TensorFlow: logical
CPUs; N=1: the machine as it is, with the compute threads the caller's environment gives), one job after
another in the same process (each job is a separate train() call, i.e. a stop and a resume when the run
folder repeats); a job `copy:SRC:DST` copies run folder SRC as it is at that moment:

    python tests/distributed_worker.py BACKEND N_SIMULATED CONFIG_JSON RUN_DIR:DEVICES:EPOCHS [copy:SRC:DST] [...]
"""

import os
import shutil
import sys

backend, n_simulated, config_json, *jobs = sys.argv[1:]
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

for job in jobs:
    if job.startswith("copy:"):
        _, source, target = job.split(":")
        shutil.copytree(source, target)
        continue
    run_dir, devices, epochs = job.rsplit(":", 2)
    cfg = TrainConfig.from_json(config_json).replace(devices=int(devices), epochs=int(epochs))
    print(f"== job {job}", flush=True)
    train(cfg, run_dir, progress=False)
if backend == "jax":  # how many programs each jitted step holds (one per device count and input shapes)
    from srgan_helpers.training.jax_steps import jitted_gan, jitted_pretrain

    print(f"compiled steps: pretrain {jitted_pretrain._cache_size()}, gan {jitted_gan._cache_size()}", flush=True)
