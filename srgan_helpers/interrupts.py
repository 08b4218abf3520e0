"""Ctrl-C and SIGTERM that are never lost: one handler for both that only sets a flag, and `check()` calls
between images, tiles, training steps and once more before a command reports success.

Why a flag and not Python's KeyboardInterrupt: the exception is raised wherever Python happens to be when
the signal arrives, and inside a garbage-collector callback (JAX registers one, imported even on the
TensorFlow backend) it is printed as "Exception ignored ... KeyboardInterrupt" and lost, so the command
finished as if nobody had pressed Ctrl-C. A flag cannot be swallowed; a check raises `Interrupted` at a
point where everything written so far is whole.

Commands wrap their work in `handled()` and turn `Interrupted` into one line and exit status 130. Library
calls (notebooks) install no handler: Jupyter's interrupt works as usual, and `check()` is a no-op.
"""

from __future__ import annotations

import contextlib
import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)
EXIT_STATUS = 130  # what shells report for a command stopped by Ctrl-C
_STOP = threading.Event()
_received: list[int] = []


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM arrived; raised by `check()` at a safe point."""


def _on_signal(signum, frame) -> None:
    _received.append(signum)
    _STOP.set()


def requested() -> bool:
    """Whether Ctrl-C or SIGTERM arrived during `handled()`."""
    return _STOP.is_set()


def check() -> None:
    """Raise Interrupted if a signal arrived (call it between units of work, and before reporting success)."""
    if _STOP.is_set():
        name = signal.Signals(_received[0]).name if _received else "a signal"
        raise Interrupted(f"stopped by {name}")


def request_stop(signum: int = signal.SIGINT) -> None:
    """What the handler does, callable in-process (a test, or a caller that wants the same clean stop)."""
    _on_signal(signum, None)


@contextlib.contextmanager
def handled():
    """For a command's whole run: SIGINT and SIGTERM set the flag; the previous handlers come back after,
    and the flag goes down with them (it was this command's: left up, it stopped the process's next library
    call). Outside the main thread (where Python allows no handler) it only clears the flag."""
    _lower_flag()
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, _on_signal) for sig in SIGNALS} if in_main_thread else {}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _lower_flag()


def _lower_flag() -> None:
    _STOP.clear()
    _received.clear()


def run_command(work, interrupted_line=lambda: "nothing more was done") -> int:
    """A command's whole run under `handled()`: `work()`'s exit status, checked once more before it counts
    as success; on Ctrl-C / SIGTERM, 'interrupted: <interrupted_line()>' on stderr and EXIT_STATUS."""
    import sys

    try:
        with handled():
            status = work()
            check()  # a signal during the last unit of work is not lost
            return status
    except KeyboardInterrupt:  # Interrupted, or a Ctrl-C where no handler could be set
        print(f"interrupted: {interrupted_line()}", file=sys.stderr)
        return EXIT_STATUS
