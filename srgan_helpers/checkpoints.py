"""Run folders (Google Drive on Colab, else outputs/<run>) and atomic, verified, rotating checkpoints.

A checkpoint is a folder `ckpt-<epoch>/` holding `arrays.npz` (weights and optimizer states) and
`state.json` (epoch, step, loss-log position, config, the npz's SHA-256). It is written under a temp
name, fsynced and renamed; one that fails verification is skipped, never loaded. Nothing is deleted on
start or resume; rotation only removes checkpoints older than the newest `keep_last`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .fileio import file_digest, fsync_dir, fsync_file

CKPT_RE = re.compile(r"^ckpt-(\d{6})$")


def in_colab() -> bool:
    return "google.colab" in sys.modules


def mount_drive() -> bool:
    """Mount Google Drive at /content/drive on Colab (once); False elsewhere."""
    if not in_colab():
        return False
    if not Path("/content/drive/MyDrive").exists():
        from google.colab import drive  # type: ignore[import-not-found]

        drive.mount("/content/drive")
    return True


def run_dir(name: str, drive_dir: str | None = None, output_root: str | Path = "outputs") -> Path:
    """The folder of run `name`: under `drive_dir` (Google Drive is mounted first on Colab), else
    `output_root`. Created if missing; never emptied."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in (".", ".."):
        raise ValueError(f"run name {name!r}: use letters, digits, '_', '-', '.' only")
    root = Path(output_root)
    if drive_dir:
        if str(drive_dir).startswith("/content/drive"):
            mount_drive()
        root = Path(drive_dir)
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path


class CheckpointManager:
    def __init__(self, directory: str | Path, keep_last: int = 3, keep_every: int = 0, write_hook=None):
        self.directory = Path(directory)
        self.keep_last, self.keep_every = keep_last, keep_every
        self._write_hook = write_hook  # tests only: called between writing and renaming

    def remove_partials(self) -> int:
        """Delete temp folders of saves that were interrupted (never complete checkpoints); returns how many."""
        if not self.directory.is_dir():
            return 0
        partials = [p for p in self.directory.iterdir() if p.name.startswith(".ckpt-") and
                    p.name.endswith((".partial", ".deleting"))]
        for path in partials:
            shutil.rmtree(path, ignore_errors=True)
        return len(partials)

    def paths(self) -> list[Path]:
        """Complete-looking checkpoint folders, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if p.is_dir() and CKPT_RE.match(p.name))

    def save(self, epoch: int, arrays: dict[str, list], state: dict) -> Path:
        """Write checkpoint `epoch` atomically, then rotate old ones. Returns its folder."""
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"ckpt-{epoch:06d}"
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=self.directory))
        try:
            flat = {f"{group}/{i:04d}": np.asarray(a) for group, values in arrays.items() for i, a in enumerate(values)}
            npz = tmp / "arrays.npz"
            with open(npz, "wb") as handle:
                np.savez(handle, **flat)
            fsync_file(npz)
            state = {**state, "epoch": epoch, "groups": {g: len(v) for g, v in arrays.items()},
                     "arrays_sha256": file_digest(npz)}
            (tmp / "state.json").write_text(json.dumps(state, indent=1, default=_jsonable))
            fsync_file(tmp / "state.json")
            if self._write_hook:
                self._write_hook(tmp)
            if final.exists():  # same epoch saved again (e.g. after a crash): replace only when complete
                shutil.rmtree(final)
            os.replace(tmp, final)
            fsync_dir(self.directory)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        self._rotate()
        return final

    def _rotate(self) -> None:
        paths = self.paths()
        for path in paths[: max(0, len(paths) - self.keep_last)]:
            epoch = int(CKPT_RE.match(path.name).group(1))
            if self.keep_every and epoch % self.keep_every == 0:
                continue
            trash = path.with_name(f".{path.name}.deleting")
            os.replace(path, trash)
            shutil.rmtree(trash, ignore_errors=True)

    @staticmethod
    def load(path: str | Path) -> tuple[dict[str, list[np.ndarray]], dict]:
        """(arrays by group, state) of one checkpoint; raises ValueError if it fails verification."""
        path = Path(path)
        try:
            state = json.loads((path / "state.json").read_text())
            if file_digest(path / "arrays.npz") != state["arrays_sha256"]:
                raise ValueError("arrays.npz does not match its recorded SHA-256")
            match = CKPT_RE.match(path.name)
            if not (isinstance(state.get("epoch"), int) and isinstance(state.get("step"), int)
                    and match and int(match.group(1)) == state["epoch"]):
                raise ValueError("state.json's epoch/step do not match the checkpoint (tampered?)")
            with np.load(path / "arrays.npz") as data:
                arrays = {g: [data[f"{g}/{i:04d}"] for i in range(n)] for g, n in state["groups"].items()}
        except (OSError, KeyError, json.JSONDecodeError, ValueError, EOFError) as exc:
            raise ValueError(f"checkpoint {path} is incomplete or corrupt ({exc})") from exc
        return arrays, state

    def latest(self):
        """(path, arrays, state) of the newest checkpoint that verifies, or None. Bad ones are skipped
        with a warning (and left on disk for inspection)."""
        for path in reversed(self.paths()):
            try:
                arrays, state = self.load(path)
            except ValueError as exc:
                warnings.warn(f"{exc}; falling back to the previous checkpoint", stacklevel=2)
                continue
            return path, arrays, state
        return None


def _jsonable(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")

