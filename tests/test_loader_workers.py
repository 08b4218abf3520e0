"""The parallel loader: worker processes make the very batches the loader makes alone, in the same order,
for any number of workers and after a resume; a worker's error reaches the trainer as one line; the
workers stop when the loader closes and when the training process is interrupted or killed (no orphans)."""

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import alive, cpu_ticks, eventually, process_stat, shared_data

from srgan_helpers.data.degrade import DegradeRanges
from srgan_helpers.data.loader import BatchLoader, open_split
from srgan_helpers.data.preprocess import preprocess
from srgan_helpers.data.workers import LoaderWorkerError, default_workers

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def whole_set(tmp_path_factory):
    """Eight whole Set14 photos in a memory-mapped pack (what the 291 set is)."""
    out = tmp_path_factory.mktemp("whole") / "set"
    preprocess(shared_data("Set14/HR"), out, n_images=8, scale=4, test_fraction=0, mode="whole", progress=False)
    return out


def make_loader(data_dir, workers, degradation=None, steps_per_epoch=5):
    return BatchLoader(open_split(data_dir, "train"), 4, crop_size=48, augment=True, seed=11,
                       steps_per_epoch=steps_per_epoch, tone_fraction=0.25, degradation=degradation, workers=workers)


def batches(loader, epoch, start=0):
    try:
        return [(lr.copy(), hr.copy()) for lr, hr in loader.prefetch(epoch, start)]
    finally:
        loader.close()


@pytest.mark.parametrize("degradation", [None, DegradeRanges()], ids=["bicubic", "realistic"])
def test_any_number_of_workers_gives_the_same_batches_in_the_same_order(whole_set, degradation):
    alone = [b for e in (0, 1) for b in make_loader(whole_set, 0, degradation).epoch(e)]
    for workers in (0, 1, 2, 3):
        loader = make_loader(whole_set, workers, degradation)
        try:
            made = [(lr.copy(), hr.copy()) for e in (0, 1) for lr, hr in loader.prefetch(e)]  # one pool, 2 epochs
        finally:
            loader.close()
        assert len(made) == len(alone) == 10
        for (lr, hr), (lr0, hr0) in zip(made, alone):
            assert np.array_equal(lr, lr0) and np.array_equal(hr, hr0), f"{workers} workers"


def test_a_resume_mid_epoch_with_workers_gives_the_rest_of_that_epoch(whole_set):
    alone = list(make_loader(whole_set, 0).epoch(2))
    resumed = batches(make_loader(whole_set, 2), 2, start=3)
    assert len(resumed) == 2 and all(np.array_equal(a[1], b[1]) for a, b in zip(resumed, alone[3:]))


def test_an_abandoned_epoch_does_not_leak_into_the_next(whole_set):
    loader = make_loader(whole_set, 2)
    try:
        first = loader.prefetch(0)
        next(first)
        first.close()  # e.g. an epoch cut by a divergence rollback
        again = [hr for _, hr in loader.prefetch(0)]
    finally:
        loader.close()
    assert all(np.array_equal(a, b[1]) for a, b in zip(again, make_loader(whole_set, 0).epoch(0)))


def test_a_workers_error_reaches_the_trainer_as_one_line_and_the_workers_stop(whole_set):
    loader = make_loader(whole_set, 2, degradation=DegradeRanges())
    loader.degradation = "not ranges"  # what a worker receives: it fails making the first batch
    with pytest.raises(LoaderWorkerError, match=r"^loader worker: \w+Error: .+") as caught:
        batches(loader, 0)
    assert "\n" not in str(caught.value)
    assert loader._pool is None


def test_the_default_worker_count_leaves_a_two_core_machine_to_training(monkeypatch):
    from srgan_helpers.config import TrainConfig, loader_workers
    from srgan_helpers.data import workers

    assert default_workers(2) == 0 and default_workers(16) == 8 and default_workers(6) == 3
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 16)
    assert loader_workers(TrainConfig(degradation="realistic")) == 8  # the degradation needs them
    assert loader_workers(TrainConfig()) == 0  # the stored bicubic LR is faster made in-process
    assert loader_workers(TrainConfig(loader_workers=3)) == 3


CHILD = textwrap.dedent("""
    import sys, time
    from srgan_helpers.data.loader import BatchLoader, open_split
    loader = BatchLoader(open_split(sys.argv[1], "train"), 4, crop_size=48, seed=1, steps_per_epoch=10**6,
                         workers=2)
    batches = loader.prefetch(0)
    next(batches)
    print(" ".join(str(p.pid) for p in loader._pool.processes), flush=True)
    for _ in batches:
        time.sleep(0.05)
""")


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
def test_no_worker_outlives_an_interrupted_or_killed_trainer(whole_set, how):
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(whole_set)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=REPO,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as in a terminal:
    # a suite started in the background (`cmd &` in a script) passes SIGINT on ignored, and so would the child
    workers = [int(pid) for pid in child.stdout.readline().split()]
    assert len(workers) == 2 and all(alive(pid) for pid in workers), child.stderr.read()
    child.send_signal(how)
    child.wait(timeout=30)
    assert eventually(lambda: not any(alive(pid) for pid in workers), timeout=10), \
        f"orphan loader workers after {how.name}"


HOLDING_THE_PIPE = textwrap.dedent("""
    import sys
    from srgan_helpers.data.loader import BatchLoader, open_split
    loader = BatchLoader(open_split(sys.argv[1], "train"), 4, crop_size=48, seed=1, steps_per_epoch=10**6,
                         workers=2)
    batches = loader.prefetch(0)  # the workers start
    loader._pool.handing_over.acquire()  # as a worker stopped while it held the pipe: the others wait for it
    print(" ".join(str(p.pid) for p in loader._pool.processes), flush=True)
    next(batches)  # asks for the first steps: made, they wait for the pipe (and this, for them)
""")


def test_no_worker_waiting_for_the_pipe_outlives_a_killed_trainer(whole_set):
    """Workers hand batches over one at a time; one that waits its turn when the trainer is killed (the turn
    held by a stopped worker, here by the trainer itself) still sees the trainer gone and exits."""
    child = subprocess.Popen([sys.executable, "-c", HOLDING_THE_PIPE, str(whole_set)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=REPO)
    workers = [int(pid) for pid in child.stdout.readline().split()]
    assert len(workers) == 2, child.stderr.read()
    for pid in workers:
        wait_until_idle(pid)  # each has made what it was asked for and waits to hand it over
    child.kill()
    child.wait(timeout=30)
    assert eventually(lambda: not any(alive(pid) for pid in workers), timeout=10), \
        "orphan loader workers waiting for the pipe"


def test_training_with_workers_is_the_training_without_them_and_leaves_no_worker(tiny_config, tmp_path):
    import multiprocessing

    from conftest import checkpoint_arrays

    from srgan_helpers.config import TrainConfig
    from srgan_helpers.training import train

    with pytest.raises(ValueError, match=r"loader_workers=-1: use a whole number from 0"):
        TrainConfig(loader_workers=-1)
    runs = {n: train(tiny_config.replace(loader_workers=n, epochs=0), tmp_path / f"w{n}", progress=False).checkpoint
            for n in (0, 2)}
    assert not multiprocessing.active_children()  # the session closed its pool
    alone, with_workers = checkpoint_arrays(runs[0]), checkpoint_arrays(runs[2])
    assert alone.keys() == with_workers.keys() and alone["generator"]
    for group in alone:
        assert all(np.array_equal(a, b) for a, b in zip(alone[group], with_workers[group], strict=True)), group


def wait_until_idle(pid, quiet=1.0, limit=120.0):
    """Until process `pid` has used no CPU for `quiet` seconds: it has done all it can (made the batches it
    was asked for, and is either waiting for work or blocked handing a batch over)."""
    deadline, last, since = time.monotonic() + limit, cpu_ticks(process_stat(pid)), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, f"process {pid} never went idle"
        time.sleep(0.1)
        if (now := cpu_ticks(process_stat(pid))) != last:
            last, since = now, time.monotonic()


def test_a_worker_stopped_while_handing_over_a_batch_is_one_line_and_leaves_no_thread(whole_set, monkeypatch):
    """The hang the README's test command met (6d8de04, 2026-12-06: its TensorFlow pass sat still for 13
    minutes): a batch is handed over in more than one write, and a worker stopped between them left the
    trainer reading the rest of it forever, past the deadline and past Ctrl-C. Here every batch (1.5 MB) is
    larger than a pipe holds, and the worker is stopped once it can do no more while the consumer waits:
    mid hand-over, or waiting for work. The deadline (120 s; 3 s here) names it in one line, and closing
    leaves no worker and no thread."""
    from srgan_helpers.data import workers

    loader = BatchLoader(open_split(whole_set, "train"), 8, crop_size=240, seed=3, steps_per_epoch=10**6, workers=1)
    threads_before = set(threading.enumerate())
    batches_ = loader.prefetch(0)
    next(batches_)
    (stalled,) = [p.pid for p in loader._pool.processes]
    wait_until_idle(stalled)
    monkeypatch.setattr(workers, "BATCH_DEADLINE", 3.0)
    os.kill(stalled, signal.SIGSTOP)
    outcome = []

    def consume():
        try:
            for _ in batches_:
                pass
        except LoaderWorkerError as error:
            outcome.append(error)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    consumer.join(timeout=60)
    if consumer.is_alive():
        os.kill(stalled, signal.SIGKILL)
        pytest.fail("no error 60 s after the worker stopped: the trainer hangs on a half-handed-over batch")
    assert outcome and re.search(rf"no batch from the loader workers for 3 s .*pid {stalled}", str(outcome[0]))
    assert "\n" not in str(outcome[0])
    closing = time.monotonic()
    loader.close()  # kills what SIGTERM cannot stop
    assert time.monotonic() - closing < 15 and not alive(stalled)
    assert eventually(lambda: not set(threading.enumerate()) - threads_before, timeout=15), \
        "a thread of the closed loader is left behind"


def test_ctrl_c_stops_a_wait_for_a_stalled_worker_at_once(whole_set):
    """Under a command's handler the flag ends the wait at the next poll (half a second), not at the deadline."""
    from srgan_helpers import interrupts

    loader = make_loader(whole_set, 1, steps_per_epoch=10**6)  # the stall always comes mid-epoch
    batches_ = loader.prefetch(0)
    next(batches_)
    (stalled,) = [p.pid for p in loader._pool.processes]
    os.kill(stalled, signal.SIGSTOP)
    with interrupts.handled():
        os.kill(os.getpid(), signal.SIGINT)
        started = time.monotonic()
        with pytest.raises(interrupts.Interrupted):
            for _ in batches_:
                pass
    assert time.monotonic() - started < 10
    loader.close()
    assert not alive(stalled)
