"""Atomic file writes: a temp name in the same folder, fsync, then rename. Nothing half-written survives.
Temp names say which process wrote them (a host tag and pid), so a stale one is known and swept."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import tempfile
from pathlib import Path


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


# '.<name>.<host tag>-<pid>.<random>.tmp<suffix>': atomic_path's temp files, named by their writer
TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<host>[0-9a-f]{8})-(?P<pid>[0-9]+)\.[A-Za-z0-9_]+\.tmp")


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str = "", exclusive: bool = False, before_publish=None):
    """Yield a temp path beside `path`; on success fsync it and rename it onto `path`, else delete it.
    `exclusive`: never replace an existing `path` (FileExistsError), even one another process writes now.
    `before_publish()`: called at the last moment before the rename; raising there publishes nothing (a
    trainer checks that it still holds its run's lock)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the name's first 96 characters: a 250-character name must still leave room for the temp name's tags
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:96]}.{owner_tag()}.", suffix=".tmp" + suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    make_shareable(tmp)
    try:
        yield tmp
        fsync_file(tmp)
        if before_publish is not None:
            before_publish()
        _publish_exclusively(tmp, path) if exclusive else os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def remove_stale_temps(folder: str | Path) -> list[Path]:
    """Delete the temp files of atomic_path in `folder` whose writer, a process of this host, is gone (a
    killed run's leftovers); those of live processes and of other hosts stay. Returns what was removed."""
    removed, here = [], host_tag()
    for entry in Path(folder).glob(".*.tmp*"):
        match = TEMP_NAME.match(entry.name)
        if match and match["host"] == here and not pid_alive(int(match["pid"])) and entry.is_file():
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def _publish_exclusively(tmp: Path, path: Path) -> None:
    """Give the finished `tmp` the name `path` only if nothing has it: a hard link (atomic, fails when the
    name exists); where links are not supported, the name is claimed exclusively first, then replaced."""
    try:
        os.link(tmp, path)
        return
    except FileExistsError:
        raise
    except OSError:
        pass  # no hard links here (some network and FUSE file systems)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    os.replace(tmp, path)


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_shareable(path: str | Path, directory: bool = False) -> None:
    """Give a temp file (0600) or folder (0700) the mode a plain write would: 0666 / 0777 minus the umask."""
    os.chmod(path, (0o777 if directory else 0o666) & ~current_umask())


def temp_dir_beside(target: Path, suffix: str = ".partial") -> Path:
    """A new hidden temp folder next to `target` (same file system, so it can be renamed onto it), with the
    mode a plain mkdir would give."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent))
    make_shareable(tmp, directory=True)
    return tmp


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    """Make a rename durable (no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
