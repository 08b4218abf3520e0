"""Which process wrote something: a short tag of this host and pid, and whether a pid here still lives."""

from __future__ import annotations

import hashlib
import os
import socket


def pid_alive(pid: int) -> bool:
    """Whether a process `pid` exists on this host (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def host_tag() -> str:
    """Eight hex digits naming this host (in file names, where a host name may not fit)."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def owner_tag() -> str:
    """'<host tag>-<pid>': this process, in a file name."""
    return f"{host_tag()}-{os.getpid()}"
