"""Work shared out to spawned processes (`check --jobs N`) that can always be stopped: the wait for their
results polls for Ctrl-C / SIGTERM (interrupts.check) every half second, a stop or a process that dies
kills the others at once, and a process whose command was killed exits by itself.

concurrent.futures' own wait would hold a command until every check is done (minutes) however often one
pressed Ctrl-C, and leave its processes running after the command was killed.
"""

from __future__ import annotations

import os

POLL_SECONDS = 0.5


class JobDied(RuntimeError):
    """A process ended without handing back its result (killed: by the out-of-memory killer, or by hand)."""


def run_in_processes(function, argument_tuples: list[tuple], jobs: int, threads: str) -> list:
    """`function(*arguments)` for each tuple, in `jobs` spawned processes with `threads` compute threads each;
    the results in order. Raises interrupts.Interrupted on a stop, JobDied when a process died."""
    import concurrent.futures
    import multiprocessing

    from .. import interrupts

    before = set(multiprocessing.active_children())
    pool = concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                                  initializer=_in_each_process, initargs=(threads, os.getpid()))
    try:
        futures = [pool.submit(function, *arguments) for arguments in argument_tuples]
        while concurrent.futures.wait(futures, timeout=POLL_SECONDS).not_done:
            interrupts.check()
        interrupts.check()  # a signal that came with the last result is not lost
        results = [future.result() for future in futures]
    except BaseException as exc:
        _kill(set(multiprocessing.active_children()) - before)
        pool.shutdown(wait=False, cancel_futures=True)
        if isinstance(exc, concurrent.futures.process.BrokenProcessPool):
            interrupts.check()  # SIGTERM to the whole group ended them: a stop, not a death
            raise JobDied("a checking process ended without a result") from exc
        raise
    pool.shutdown(wait=True)
    return results


def _kill(processes) -> None:
    """End `processes` now (a no-op for those already done) and reap them."""
    for process in processes:
        process.kill()
    for process in processes:
        process.join()


def _in_each_process(threads: str, parent: int) -> None:
    """In a spawned process, before TensorFlow starts: its share of the cores (unless the caller set one);
    Ctrl-C (sent to the whole process group) left to the parent, which stops the work; and an exit as soon
    as the parent is gone (killed), not when this process's work is done."""
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", threads)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="srgan-orphan-watch", daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os._exit(1)
