"""One trainer per run folder: a lock file with a heartbeat.

`<run_dir>/.lock` holds the owner's pid, host and start time; a background thread touches it every
`heartbeat_every` seconds. A second trainer refuses, naming the owner. A lock left by a killed process is
stale: at once when its pid is gone on this host, otherwise when its heartbeat is older than
`stale_after` seconds (a Colab disconnect leaves such a lock on Drive); a stale lock is taken over with a
warning. `break_lock=True` takes over any lock (only when you know the other trainer is gone).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import warnings
from pathlib import Path

LOCK_NAME = ".lock"


class RunLocked(RuntimeError):
    """Another trainer holds the run folder; the message names it and says how to override."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


class RunLock:
    """The lock of one run folder (a context manager).

    Args:
        run_dir: the run folder.
        stale_after: seconds without a heartbeat after which a lock counts as abandoned.
        heartbeat_every: seconds between two touches of the lock file.
    """

    def __init__(self, run_dir: str | Path, stale_after: float = 120.0, heartbeat_every: float = 10.0):
        self.path = Path(run_dir) / LOCK_NAME
        self.stale_after, self.heartbeat_every = stale_after, heartbeat_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def holder(self) -> dict | None:
        """The current lock's owner (pid, host, started, age of its heartbeat in seconds), or None."""
        try:
            info = json.loads(self.path.read_text())
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            info, age = {}, time.time() - self.path.stat().st_mtime
        if not isinstance(info, dict):
            info = {}
        return {**info, "heartbeat_age": age}

    def is_stale(self, holder: dict) -> bool:
        same_host = holder.get("host") == socket.gethostname()
        pid = holder.get("pid")
        if same_host and isinstance(pid, int) and not _pid_alive(pid):
            return True
        return holder["heartbeat_age"] > self.stale_after

    def acquire(self, break_lock: bool = False) -> None:
        """Take the lock, or raise RunLocked naming its holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            if self._create():
                self._start_heartbeat()
                return
            holder = self.holder()
            if holder is None:
                continue  # released meanwhile: try again
            if not (break_lock or self.is_stale(holder)):
                raise RunLocked(self._refusal(holder))
            self._take_over(holder, forced=break_lock and not self.is_stale(holder))
        raise RunLocked(f"{self.path}: could not take the lock (another trainer is starting at the same time)")

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            return False
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(info) + "\n")
        return True

    def _take_over(self, holder: dict, forced: bool) -> None:
        aside = self.path.with_name(f"{LOCK_NAME}.taken-{os.getpid()}")
        try:
            os.replace(self.path, aside)  # only one of two racing takers finds the old lock
            aside.unlink()
        except FileNotFoundError:
            return
        how = "broke the lock (break_lock=True)" if forced else "took over a stale lock"
        warnings.warn(f"{self.path.parent}: {how} of pid {holder.get('pid')} on {holder.get('host')} "
                      f"(last heartbeat {holder['heartbeat_age']:.0f} s ago)", stacklevel=3)

    def _refusal(self, holder: dict) -> str:
        wait = max(0.0, self.stale_after - holder["heartbeat_age"])
        return (f"{self.path.parent} is being trained by pid {holder.get('pid')} on host {holder.get('host')} "
                f"(since {holder.get('started')}, last heartbeat {holder['heartbeat_age']:.0f} s ago). One trainer "
                f"per run folder. If that session is gone (e.g. a Colab disconnect), its lock counts as stale "
                f"after {self.stale_after:.0f} s without a heartbeat: try again in {wait:.0f} s, or pass "
                f"break_lock=True (--break-lock) if you are sure it no longer runs.")

    def _start_heartbeat(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="srgan-run-lock", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_every):
            try:
                os.utime(self.path)
            except OSError:
                pass  # the next beat tries again; a lost lock file is noticed by nobody but a second trainer

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        holder = self.holder()
        if holder is not None and holder.get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()
