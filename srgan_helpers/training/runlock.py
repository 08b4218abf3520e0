"""One trainer per run folder: a lock file with a heartbeat.

`<run_dir>/.lock` holds the owner's pid, host, start time and a random token; a background thread touches
it every `heartbeat_every` seconds. A second trainer refuses, naming the owner. A lock left by a killed
process is stale: at once when its pid is gone on this host, otherwise when its heartbeat is older than
`stale_after` seconds (a Colab disconnect leaves such a lock on Drive); a lock whose pid lives on this host
is never stale (a stalled trainer, e.g. SIGSTOP, still owns its run). A stale lock is taken over with a
warning, one taker at a time (`.lock.takeover`), and only the very lock judged stale is removed.
`break_lock=True` takes over any lock (only when you know the other trainer is gone).

A holder whose lock was taken over (it stalled longer than `stale_after` on another host, or someone
broke the lock) finds out before its next write: `verify()` raises LockLost, and its heartbeat stops
touching a file it no longer owns. Creating the lock either completes or leaves nothing (a full disk).

Guarantees: on one machine's file system, exactly one trainer holds a run folder. On a network or cloud
file system (Google Drive) exclusive creation is not atomic across machines: two machines starting in the
same instant may both believe they won; the token check then stops the loser before its next write.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
import warnings
from pathlib import Path

from ..fileio import pid_alive

LOCK_NAME = ".lock"
UNWRITTEN_GRACE = 5.0  # seconds a lock may stay empty while its creator writes it; after that it is stale
READ_TRIES, READ_PAUSE = 5, 0.2  # reading the lock: tries on an I/O error, and the growing pause between them


class RunLocked(RuntimeError):
    """Another trainer holds the run folder; the message names it and says how to override."""


class LockLost(RunLocked):
    """This trainer's lock was taken over (or removed) while it ran; it must stop before writing again."""


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
        self.token = uuid.uuid4().hex
        self.lost = False
        self.heartbeat_failure: str | None = None  # why the heartbeat stopped, if it did

    def holder(self) -> dict | None:
        """The current lock's owner (pid, host, started, age of its heartbeat in seconds), or None. A read that
        fails with an I/O error (a network file system's hiccup) is tried again READ_TRIES times before the
        error is raised: one EIO must not read as a lock that changed hands."""
        for attempt in range(READ_TRIES):
            try:
                return self._read_holder()
            except FileNotFoundError:
                return None
            except OSError:
                if attempt == READ_TRIES - 1:
                    raise
                time.sleep(READ_PAUSE * (attempt + 1))

    def _read_holder(self) -> dict:
        text = self.path.read_text()
        age = time.time() - self.path.stat().st_mtime
        try:
            info = json.loads(text)
        except ValueError:
            info = {}
        return {**(info if isinstance(info, dict) else {}), "heartbeat_age": age}

    def is_stale(self, holder: dict) -> bool:
        """Abandoned: its pid is gone on this host, it was never written, or (another host) no heartbeat."""
        same_host = holder.get("host") == socket.gethostname()
        pid = holder.get("pid")
        if same_host and isinstance(pid, int):
            return not pid_alive(pid)  # a live pid here owns its run, however long it has been stalled
        if "pid" not in holder:  # empty or unreadable: its creator died between creating and writing it
            return holder["heartbeat_age"] > UNWRITTEN_GRACE
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
            with self._takeover_turn():
                self._take_over(holder, forced=break_lock and not self.is_stale(holder))
        raise RunLocked(f"{self.path}: could not take the lock (another trainer is starting at the same time)")

    def _create(self) -> bool:
        """Create the lock with its content, or nothing: a failed write (a full disk) removes it again."""
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            return False
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "token": self.token}
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(json.dumps(info) + "\n")
        except OSError as exc:
            self.path.unlink(missing_ok=True)
            raise RunLocked(f"{self.path}: could not write the lock ({exc}); nothing was left behind. Free some "
                            f"space and run again") from exc
        return True

    @contextlib.contextmanager
    def _takeover_turn(self, wait: float = 10.0):
        """One taker at a time (`.lock.takeover`, created exclusively; one older than `wait` s is abandoned)."""
        turn = self.path.with_name(f"{LOCK_NAME}.takeover")
        deadline = time.monotonic() + wait
        while True:
            try:
                os.close(os.open(turn, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
                break
            except FileExistsError:
                with contextlib.suppress(FileNotFoundError):
                    if time.time() - turn.stat().st_mtime > wait:
                        turn.unlink()  # its taker died inside its turn
                if time.monotonic() > deadline:
                    raise RunLocked(f"{self.path}: another trainer is taking this run over; try again") from None
                time.sleep(0.005)
        try:
            yield
        finally:
            turn.unlink(missing_ok=True)

    def _take_over(self, holder: dict, forced: bool) -> None:
        """Remove the lock `holder` describes, if it is still the one there (in this taker's turn)."""
        now = self.holder()
        same = now is not None and all(now.get(k) == holder.get(k) for k in ("pid", "host", "started", "token"))
        if not same:
            return  # another taker replaced it meanwhile: compete for the new one
        self.path.unlink(missing_ok=True)
        how = "broke the lock (break_lock=True)" if forced else "took over a stale lock"
        warnings.warn(f"{self.path.parent}: {how} of pid {holder.get('pid')} on {holder.get('host')} "
                      f"(last heartbeat {holder['heartbeat_age']:.0f} s ago)", stacklevel=3)

    def _refusal(self, holder: dict) -> str:
        if "pid" not in holder:  # empty or unreadable: a trainer creating it this instant, or one that died then
            wait = max(1.0, UNWRITTEN_GRACE - holder["heartbeat_age"])
            return (f"{self.path} is empty or unreadable: another trainer may be starting this instant. Try again "
                    f"in {wait:.0f} s (an empty lock counts as abandoned after {UNWRITTEN_GRACE:.0f} s), or pass "
                    f"break_lock=True (--break-lock) if no trainer runs.")
        who = (f"pid {holder.get('pid')} on host {holder.get('host')} (since {holder.get('started')}, last heartbeat "
               f"{holder['heartbeat_age']:.0f} s ago). One trainer per run folder.")
        if holder.get("host") == socket.gethostname():
            return (f"{self.path.parent} is being trained by {who} That process is alive on this machine, so it "
                    f"holds the run until it ends: stop it first, or pass break_lock=True (--break-lock) if it is "
                    f"not a trainer.")
        wait = max(1.0, self.stale_after - holder["heartbeat_age"])
        return (f"{self.path.parent} is being trained by {who} If that session is gone (e.g. a Colab disconnect), "
                f"its lock counts as stale after {self.stale_after:.0f} s without a heartbeat: try again in "
                f"{wait:.0f} s, or pass break_lock=True (--break-lock) if you are sure it no longer runs.")

    def _start_heartbeat(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="srgan-run-lock", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        """Touch the lock every `heartbeat_every` s while it is ours. Whatever stops it is kept in
        `heartbeat_failure` (the trainer's next verify() raises it in one line): it never dies silently."""
        misses = 0
        while not self._stop.wait(self.heartbeat_every):
            try:
                if not self.owned():  # reading it is already tried READ_TRIES times
                    self.lost = True
                    return  # never refresh a lock another trainer now holds
            except OSError as exc:
                self.heartbeat_failure = f"cannot read {self.path.name}: {exc}"
                return
            try:
                os.utime(self.path)
                misses = 0
            except OSError as exc:
                misses += 1  # one failed touch is retried at the next beat; a run of them stops the trainer
                if misses >= READ_TRIES:
                    self.heartbeat_failure = f"cannot touch {self.path.name}: {exc}"
                    return
            except Exception as exc:  # noqa: BLE001 - anything else: said, never swallowed
                self.heartbeat_failure = f"{type(exc).__name__}: {exc}"
                return

    def owned(self) -> bool:
        """The lock file there is still this holder's (its token)."""
        holder = self.holder()
        return holder is not None and holder.get("token") == self.token

    def verify(self) -> None:
        """Raise LockLost (one line) unless this trainer still holds its lock: call it before every write."""
        if self.heartbeat_failure:
            raise LockLost(f"{self.path.parent}: this trainer's lock heartbeat stopped ({self.heartbeat_failure}); "
                           f"without it another machine could take the run over, so it stops without writing "
                           f"anything more. Run it again to resume from the newest checkpoint.")
        try:
            owned = not self.lost and self.owned()
        except OSError as exc:
            raise LockLost(f"{self.path}: this trainer cannot read its lock ({exc}, {READ_TRIES} tries); it stops "
                           f"without writing anything more. Run it again to resume from the newest "
                           f"checkpoint.") from exc
        if not owned:
            self.lost = True
            holder = self.holder() or {}
            now = (f"now held by pid {holder.get('pid')} on host {holder.get('host')}" if holder.get("pid")
                   else "its lock file is gone")
            raise LockLost(f"{self.path.parent}: this trainer lost its lock while it was stalled or stopped "
                           f"({now}); it stops without writing anything more. Run it again once the other "
                           f"trainer has finished; it resumes from the newest checkpoint.")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.owned():
            self.path.unlink(missing_ok=True)

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()
