"""Batches made by worker processes and handed out in step order: the same batches, bit for bit, as the
loader makes alone (each batch is a function of (seed, epoch, step) only), faster when making them is the
bottleneck (the realistic degradation).

Workers are spawned (never forked: the parent runs TensorFlow or JAX threads), live as long as their
loader, ignore Ctrl-C (the parent stops them) and exit on their own within half a second when the parent
dies, even by SIGKILL: no orphans. A worker's error reaches the consumer as one line.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import types

_POLL_SECONDS = 0.5
BATCH_DEADLINE = 120.0  # seconds without any batch from a live worker: it is stalled (stopped, or blocked on I/O)


class LoaderWorkerError(RuntimeError):
    """A worker failed to make a batch (the message is the worker's error, in one line)."""


def default_workers(cpus: int | None = None) -> int:
    """What the machine allows: none on 2 cores or fewer (the training step uses them), else half the cores
    up to 8."""
    cpus = cpus or os.cpu_count() or 1
    return 0 if cpus <= 2 else min(8, cpus // 2)


def _work(loader, tasks, results, handing_over, parent: int) -> None:
    """A worker's loop: (generation, epoch, step) tasks in, (generation, step, uint8 batch or error) out
    through `results`, the one pipe of all workers (`handing_over` lets one write to it at a time)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    plans: dict = {}
    while (task := _next_task(tasks, parent)) is not None:
        generation, epoch, step = task
        try:
            if epoch not in plans:
                plans = {epoch: loader.epoch_plan(epoch)}
            made = loader.batch_uint8(epoch, step, plans[epoch])
        except Exception as exc:  # noqa: BLE001 - handed to the consumer as one line
            made = LoaderWorkerError(f"loader worker: {type(exc).__name__}: {exc}")
        if not _hand_over(results, handing_over, (generation, step, made), parent):
            return


def _hand_over(results, handing_over, message, parent: int) -> bool:
    """Send `message` once it is this worker's turn at the pipe; False when the parent is gone (also while
    waiting for the turn: a stopped worker may hold it forever)."""
    while not handing_over.acquire(timeout=_POLL_SECONDS):
        if os.getppid() != parent:
            return False
    try:
        results.send(message)
        return True
    except OSError:  # the parent is gone: its end of the pipe closed with it
        return False
    finally:
        handing_over.release()


def _next_task(tasks, parent: int):
    """The next task, or None when the pool closes or the parent is gone."""
    while True:
        try:
            return tasks.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            if os.getppid() != parent:
                return None


def _receive(results, arrived: queue.Queue) -> None:
    """Move each whole message from the workers' pipe into `arrived`, in a thread of its own. A batch is
    handed over in more than one write: a worker stopped between them blocks this thread only, never the
    wait for batches (its deadline and Ctrl-C). Ends when every worker is gone (no write end is left)."""
    while True:
        try:
            arrived.put(results.recv())
        except (EOFError, OSError):
            return


@contextlib.contextmanager
def _main_module_hidden():
    """Workers need nothing of __main__; hidden while they are spawned, a user's script is not run again in
    each of them (spawn imports the main module unless it is guarded by `if __name__ == "__main__"`)."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


class WorkerPool:
    """`n` spawned processes making `loader`'s batches; `batches(epoch, start)` yields them in step order."""

    def __init__(self, loader, n: int, ahead: int | None = None):
        context = multiprocessing.get_context("spawn")
        self.tasks, self.arrived = context.Queue(), queue.Queue()
        self.results, results_end = context.Pipe(duplex=False)
        self.ahead, self.generation, self.ready, self.lock = ahead or 2 * n, 0, {}, threading.Lock()
        self.handing_over = context.Lock()  # kept: a spawned worker opens it by name once it starts
        work = (loader, self.tasks, results_end, self.handing_over, os.getpid())
        self.processes = [context.Process(target=_work, args=work, daemon=True, name=f"srgan-loader-{i}")
                          for i in range(n)]
        with _main_module_hidden():
            for process in self.processes:
                process.start()
        results_end.close()  # the workers hold the only write ends: when the last is gone, receiving ends
        self.receiver = threading.Thread(target=_receive, args=(self.results, self.arrived), daemon=True,
                                         name="srgan-loader-receiver")
        self.receiver.start()

    def batches(self, epoch: int, start: int, stop: int):
        """(lr, hr) uint8 batches of steps start..stop-1 of `epoch`, in order, `ahead` steps in flight. A new
        call supersedes an unfinished one: that one ends, and its batches still in flight are dropped."""
        with self.lock:
            self.generation += 1
            self.ready.clear()
            mine = self.generation
        submitted = start
        for step in range(start, stop):
            while submitted < min(stop, step + self.ahead):
                self.tasks.put((mine, epoch, submitted))
                submitted += 1
            batch = self._wait_for(mine, step)
            if batch is None:
                return
            if isinstance(batch, LoaderWorkerError):
                raise batch
            yield batch

    def _wait_for(self, generation: int, step: int):
        """Step `step`'s batch of `generation`, or None once a newer call has superseded it. One thread reads
        the results at a time and files each under its (generation, step) for whichever call wants it."""
        while True:
            with self.lock:
                if (generation, step) in self.ready:
                    return self.ready.pop((generation, step))
                if generation != self.generation:
                    return None
                made_for, made_step, batch = self._next_result(step)
                if made_for == self.generation:
                    self.ready[(made_for, made_step)] = batch

    def _next_result(self, step: int | None = None):
        """The next batch any worker made. Ctrl-C (under a command's handler) stops the wait at once; a worker
        that died, or no batch at all for BATCH_DEADLINE seconds, is one LoaderWorkerError."""
        from .. import interrupts

        waiting_since = time.monotonic()
        while True:
            try:
                return self.arrived.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                interrupts.check()
                dead = [p for p in self.processes if not p.is_alive()]
                if dead:
                    raise LoaderWorkerError(f"loader worker {dead[0].name} died (exit code {dead[0].exitcode}); "
                                            f"set loader_workers=0 to make batches in the training process") from None
                if time.monotonic() - waiting_since > BATCH_DEADLINE:  # read at each poll: it may be lowered
                    names = ", ".join(f"{p.name} (pid {p.pid})" for p in self.processes)
                    raise LoaderWorkerError(f"no batch from the loader workers for {BATCH_DEADLINE:.0f} s (waiting "
                                            f"for step {step}); one is stalled, stopped or blocked on its data "
                                            f"(a pack on a slow or hung drive?): {names}. Set loader_workers=0, "
                                            f"or check the data's drive") from None

    def close(self) -> None:
        """Stop every worker (a polite None, then terminate), then the receiver, and release the pipes."""
        for _ in self.processes:
            try:
                self.tasks.put_nowait(None)
            except (ValueError, OSError):
                break
        for process in self.processes:
            process.join(timeout=2)
            for stop in (process.terminate, process.kill):  # SIGTERM waits in a stopped process; SIGKILL does not
                if process.is_alive():
                    stop()
                    process.join(timeout=2)
        self.receiver.join(timeout=2)  # every write end closed with its worker: the receiver has ended
        if not self.receiver.is_alive():  # (never close a pipe a thread still reads: its number is reused)
            self.results.close()
        self.tasks.cancel_join_thread()
        self.tasks.close()
        self.processes = []
