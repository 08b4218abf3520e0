"""Shared fixtures: the embedded sample, a tiny prepared set, tiny training configs, ../shared/data."""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _scratch_dir(prefix: str) -> str:
    """A temporary folder that this process removes when it ends (a JAX cache grows to gigabytes)."""
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")  # reproducible TensorFlow (set before it starts)
if "KERAS_HOME" not in os.environ:
    os.environ["KERAS_HOME"] = _scratch_dir("keras_home_")
# JAX compiles the same tiny steps in many tests and worker processes: one compilation cache for the run
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    os.environ["JAX_COMPILATION_CACHE_DIR"] = _scratch_dir("jax_cache_")
if "TORCHINDUCTOR_CACHE_DIR" not in os.environ:  # PyTorch's compile cache (the reference benchmark), not /tmp
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = _scratch_dir("torchinductor_")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
if os.environ.get("PYTEST_XDIST_WORKER"):  # parallel workers (pytest -n): one Keras home each, nothing shared
    os.environ["KERAS_HOME"] = _scratch_dir(f"keras_home_{os.environ['PYTEST_XDIST_WORKER']}_")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from completeness import pytest_runtest_logreport, pytest_sessionfinish, pytest_terminal_summary  # noqa: E402,F401

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SRGAN_SHARED_DATA", REPO.parent / "shared" / "data"))
WORKER = REPO / "tests" / "distributed_worker.py"


def pytest_collection_modifyitems(config, items):
    """Tests marked slow first (a stable sort): with parallel workers (scripts/test.sh: pytest -n 2) the run
    then ends on short tests, not on one worker finishing a minute-long test while the other waits."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def shared_data(name: str) -> Path:
    """A folder of ../shared/data, or skip the test with the reason."""
    path = SHARED / name
    if not path.is_dir():
        pytest.skip(f"{path} not found: real-data tests need ../shared/data beside the checkout (CI has it)")
    return path


@pytest.fixture(scope="session")
def sample_raw(tmp_path_factory) -> Path:
    from srgan_helpers.data.datasets import build_sample

    return build_sample(tmp_path_factory.mktemp("raw"))


@pytest.fixture(scope="session")
def tiny_set(sample_raw, tmp_path_factory) -> Path:
    """12 train + 4 test pairs at 64 px HR / 16 px LR, from the embedded sample."""
    from srgan_helpers.data.preprocess import preprocess

    out = tmp_path_factory.mktemp("sets") / "tiny"
    preprocess(sample_raw, out, n_images=16, hr_size=64, scale=4, test_fraction=0.25, seed=1, progress=False)
    return out


def _tiny_config(tiny_set):
    from srgan_helpers.config import TrainConfig

    return TrainConfig(data_dir=str(tiny_set), hr_size=64, crop_size=32, n_res_blocks=1, d_head="pool",
                       vgg_weights=None, vgg_layer="block2_conv2", batch_size=2, epochs=2, pretrain_epochs=1,
                       steps_per_epoch=2, sample_every=1, n_samples=2, seed=3)


@pytest.fixture
def tiny_config(tiny_set):
    return _tiny_config(tiny_set)


@pytest.fixture(scope="session")
def _finished_run_once(tiny_set, tmp_path_factory) -> Path:
    from srgan_helpers.training import train

    run = tmp_path_factory.mktemp("finished") / "run"
    train(_tiny_config(tiny_set).replace(epochs=1), run, progress=False)
    return run


@pytest.fixture
def finished_run(_finished_run_once, tmp_path) -> Path:
    """A stopped run of `tiny_config.replace(epochs=1)`: 1 pre-training + 1 GAN epoch, checkpoints 1 and 2,
    its log, samples and exported generator. Trained once per test process; each test gets its own copy."""
    return Path(shutil.copytree(_finished_run_once, tmp_path / "run"))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def latest_arrays(run_dir):
    """The arrays of a run's newest verified checkpoint."""
    from srgan_helpers.training.checkpoints import CheckpointManager

    return CheckpointManager(Path(run_dir) / "checkpoints").latest().arrays


def checkpoint_arrays(path):
    from srgan_helpers.training.checkpoints import CheckpointManager

    return CheckpointManager(Path(path).parent).load(path).arrays


def log_columns(path):
    """A run's loss log as columns (the package's one reader)."""
    from srgan_helpers.analysis.losslog import load_log

    return load_log(path).columns


def eventually(condition, timeout: float, poll: float = 0.1) -> bool:
    """Whether `condition()` holds within `timeout` seconds (checked every `poll` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)
    return True


def process_stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name: [0] state, [1] parent's pid, [11] user and [12]
    system CPU clock ticks."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def processes() -> dict[int, list[str]]:
    """Every process's process_stat, by pid (one that ends while the table is read is left out)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                table[int(entry.name)] = process_stat(int(entry.name))
            except (OSError, IndexError):  # (ended meanwhile)
                continue
    return table


def cpu_ticks(fields: list[str]) -> int:
    """User + system CPU clock ticks of a process, from its process_stat fields."""
    return int(fields[11]) + int(fields[12])


def alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie, exited but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
        return process_stat(pid)[0] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False


def run_training_worker(backend, n_simulated, config, job_args, env=None) -> str:
    """Run tests/distributed_worker.py (train jobs one after another in a fresh process that sees
    `n_simulated` devices); fail with its output if it fails, else return what it printed."""
    proc = subprocess.run([sys.executable, str(WORKER), backend, str(n_simulated), str(config), *job_args], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-3000:]
    return proc.stdout
