"""Other work on the machine while a test runs, measured, and made only when missing.

A test that must hold "under load" used to start a CPU hog for its whole length. Inside the suite the
machine is already loaded (the other pytest workers, the release check beside them), so the hog only took
a core from them. `OtherWork` measures every half second how much of the cores went to processes outside
the test's own process tree (all cores' busy time in /proc/stat, less the tree's CPU time) and starts a hog
the first time that falls below `floor` of the machine; the test asserts on the measured share.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from conftest import cpu_ticks, processes

WINDOW_SECONDS = 0.5


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def tree_ticks(root: int, leave_out: int | None = None) -> int:
    """CPU clock ticks (user + system) of process `root` and all its descendants alive now, but `leave_out`."""
    table = processes()
    parents = {pid: int(fields[1]) for pid, fields in table.items() if pid != leave_out}
    tree, grew = {root}, True
    while grew:
        grown = tree | {pid for pid, parent in parents.items() if parent in tree}
        grew, tree = grown != tree, grown
    return sum(cpu_ticks(table[pid]) for pid in tree if pid in table)


class OtherWork:
    """While open: the share of the machine other processes use, kept at `floor` or more by a hog started
    the first time a half-second window falls below it. `share`: the measured share over the whole time."""

    def __init__(self, floor: float = 0.25):
        self.floor, self.hog, self._stop = floor, None, threading.Event()
        self._other = self._total = 0

    def __enter__(self) -> OtherWork:
        self._thread = threading.Thread(target=self._watch, name="other-work", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        if self.hog is not None:
            self.hog.kill()
            self.hog.wait()

    @property
    def share(self) -> float:
        return self._other / max(self._total, 1)

    def _own_ticks(self) -> int:
        """This test's CPU ticks: its process and their children, the hog left out (it is other work)."""
        return tree_ticks(os.getpid(), leave_out=self.hog.pid if self.hog else None)

    def _watch(self) -> None:
        busy, total = machine_ticks()
        own = self._own_ticks()
        while not self._stop.wait(WINDOW_SECONDS):
            (busy_now, total_now), own_now = machine_ticks(), self._own_ticks()
            other = max(0, (busy_now - busy) - (own_now - own))  # (a process of the tree that ended: counted
            self._other, self._total = self._other + other, self._total + (total_now - total)  # as other work)
            if self.hog is None and other < self.floor * (total_now - total):
                self.hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            busy, total, own = busy_now, total_now, own_now
