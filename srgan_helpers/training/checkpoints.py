"""Atomic, verified, rotating checkpoints, and what goes into them.

A checkpoint is a folder `ckpt-<epoch>/` holding `arrays.npz` (weights and optimizer states) and
`state.json` (epoch, step, config, run id, the npz's SHA-256 and its own). It is written under a temp
name, fsynced and renamed; one that fails verification is skipped, never loaded, never deleted. Rotation
keeps the newest `keep_last` *verified* checkpoints of this run and deletes only older ones that verify
as this run's own; anything else named like a checkpoint is left alone (or moved aside, never deleted).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import time
import uuid
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..fileio import file_digest, fsync_dir, fsync_file, make_shareable, temp_dir_beside

CKPT_RE = re.compile(r"^ckpt-(\d{6})$")
MODEL_GROUPS = ("generator", "discriminator", "g_optimizer", "d_optimizer")


def _stat_signature(folder: Path) -> tuple:
    """(name, size, mtime_ns, inode) of a checkpoint folder's files: what changes when a file is edited."""
    try:
        return tuple(sorted((p.name, st.st_size, st.st_mtime_ns, st.st_ino)
                            for p in folder.iterdir() for st in [p.stat()]))
    except OSError:
        return ()


class Checkpoint(NamedTuple):
    """One verified checkpoint: where it is, its arrays by group, and its state."""

    path: Path
    arrays: dict[str, list[np.ndarray]]
    state: dict

    @property
    def epoch(self) -> int:
        return self.state["epoch"]

    @property
    def step(self) -> int:
        return self.state["step"]


class UnusableCheckpoints(RuntimeError):
    """Checkpoints exist but none verifies; the message names each one and why."""


class NonFiniteWeights(ValueError):
    """Weights to be saved hold NaN, Inf or blown-up values: such a checkpoint would never be a good one."""


def new_run_id() -> str:
    return uuid.uuid4().hex


# --- what a training checkpoint holds --------------------------------------------------------------
def pack_arrays(models) -> dict[str, list[np.ndarray]]:
    """The arrays of a GanModels bundle (both networks and both optimizers), as numpy."""
    import keras

    to_np = keras.ops.convert_to_numpy
    return {"generator": models.generator.get_weights(), "discriminator": models.discriminator.get_weights(),
            "g_optimizer": [to_np(v.value) for v in models.g_optimizer.variables],
            "d_optimizer": [to_np(v.value) for v in models.d_optimizer.variables]}


def restore_arrays(models, arrays: dict[str, list[np.ndarray]]) -> None:
    """Load packed arrays back into a GanModels bundle (counts checked per group)."""
    models.generator.set_weights(arrays["generator"])
    models.discriminator.set_weights(arrays["discriminator"])
    for opt, key in ((models.g_optimizer, "g_optimizer"), (models.d_optimizer, "d_optimizer")):
        if len(arrays[key]) != len(opt.variables):
            raise ValueError(f"checkpoint {key} has {len(arrays[key])} variables, the optimizer {len(opt.variables)}")
        for variable, value in zip(opt.variables, arrays[key]):
            variable.assign(value)


def training_state(cfg, step: int, learning_rate_scale: float, run_id: str | None) -> dict:
    """The state.json fields a training checkpoint carries (epoch and hashes are added by `save`)."""
    import keras

    return {"step": step, "learning_rate_scale": learning_rate_scale, "run_id": run_id, "config": cfg.to_dict(),
            "data_order": "a function of (seed, epoch): see loader", "backend": keras.backend.backend(),
            "keras": keras.__version__}


# --- verification ----------------------------------------------------------------------------------
def state_digest(state: dict) -> str:
    body = {k: v for k, v in state.items() if k != "state_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=_jsonable).encode()).hexdigest()


def check_state(state, folder_name: str, required: tuple[str, ...] = ()) -> None:
    """Raise ValueError unless `state` is a well-formed state.json for checkpoint folder `folder_name`."""
    if not isinstance(state, dict):
        raise ValueError(f"state.json holds a {type(state).__name__}, not an object")
    if state.get("state_sha256") != state_digest(state):
        raise ValueError("state.json does not match its recorded SHA-256 (edited or tampered?)")
    match = CKPT_RE.match(folder_name)
    for key, kind in (("epoch", int), ("step", int), ("groups", dict), ("arrays_sha256", str)):
        if not isinstance(state.get(key), kind) or isinstance(state.get(key), bool):
            raise ValueError(f"state.json's {key!r} is missing or not {kind.__name__} (tampered?)")
    if not match or int(match.group(1)) != state["epoch"] or state["step"] < 0:
        raise ValueError("state.json's epoch/step do not match the checkpoint (tampered?)")
    if not all(isinstance(k, str) and isinstance(n, int) and n >= 0 for k, n in state["groups"].items()):
        raise ValueError("state.json's groups are not {name: count}")
    key = "learning_rate_scale" if "learning_rate_scale" in state else "lr_scale"  # lr_scale: before 0.3
    scale = state.get(key, 1.0)
    if not (isinstance(scale, (int, float)) and not isinstance(scale, bool) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"state.json's {key}={scale!r} is not a positive number")
    missing = [k for k in required if k not in state]
    if missing:
        raise ValueError(f"state.json lacks {missing}")
    if "config" in state:  # a training checkpoint: its config must be valid and it must hold every network
        from ..config import TrainConfig

        TrainConfig.from_dict(state["config"])  # raises ValueError naming what is wrong
        absent = [g for g in MODEL_GROUPS if g not in state["groups"]]
        if absent:
            raise ValueError(f"state.json's groups lack {absent} (edited or tampered?)")


def _read_state(path: Path, required: tuple[str, ...]) -> dict:
    try:
        state = json.loads((path / "state.json").read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"state.json unreadable ({exc})") from exc
    check_state(state, path.name, required)
    try:
        if file_digest(path / "arrays.npz") != state["arrays_sha256"]:
            raise ValueError("arrays.npz does not match its recorded SHA-256")
    except OSError as exc:
        raise ValueError(f"arrays.npz unreadable ({exc})") from exc
    return state


BLOWN_UP = 1e12  # a network weight this large means training has diverged (healthy ones stay below ~1e3)


def _bad_groups(arrays: dict[str, list]) -> list[str]:
    """Groups holding NaN or Inf, or network weights of a magnitude no healthy run reaches (> BLOWN_UP)."""
    bad = []
    for group, values in arrays.items():
        floats = [np.asarray(a) for a in values if np.issubdtype(np.asarray(a).dtype, np.inexact)]
        network = group in ("generator", "discriminator")
        if any(not np.isfinite(a).all() or (network and a.size and np.abs(a).max() > BLOWN_UP) for a in floats):
            bad.append(group)
    return bad


class CheckpointManager:
    """The checkpoints of one run folder: save, verify, load, rotate.

    Args:
        directory: the run's `checkpoints/` folder.
        keep_last: newest verified checkpoints of this run kept by rotation.
        keep_every: every keep_every-th epoch is kept for good (0: none).
        run_id: the run's identity; only verified checkpoints carrying it are ever rotated away.
        required: state.json keys a usable checkpoint must have (the driver asks for "config").
        write_hook: tests only: called with the temp folder between writing and renaming.
    """

    def __init__(self, directory: str | Path, keep_last: int = 3, keep_every: int = 0, run_id: str | None = None,
                 required: tuple[str, ...] = (), write_hook=None):
        self.directory = Path(directory)
        self.keep_last, self.keep_every, self.run_id, self.required = keep_last, keep_every, run_id, required
        self._write_hook = write_hook
        self.publish_guard = lambda: None  # a trainer sets its lock check here (RunLock.verify)
        # folder name -> (files' stat signature, state) for folders verified by this process; any change on
        # disk (an edit, a copy over it) changes the signature and forces a fresh verification
        self._verified: dict[str, tuple[tuple, dict]] = {}

    def remove_partials(self) -> int:
        """Delete temp folders of our own interrupted saves and rotations; returns how many."""
        if not self.directory.is_dir():
            return 0
        partials = [p for p in self.directory.iterdir() if p.name.startswith(".ckpt-") and
                    p.name.endswith((".partial", ".deleting")) and p.is_dir() and not p.is_symlink()]
        for path in partials:
            shutil.rmtree(path, ignore_errors=True)
        return len(partials)

    def paths(self) -> list[Path]:
        """Folders named like checkpoints (verified or not), oldest first; files are never checkpoints."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if CKPT_RE.match(p.name) and p.is_dir()
                      and not p.is_symlink())

    def verify(self, path: Path) -> dict:
        """The state of checkpoint folder `path` if its files match their hashes; else ValueError."""
        signature = _stat_signature(path)
        cached = self._verified.get(path.name)
        if cached is not None and cached[0] == signature:
            return cached[1]
        try:
            state = _read_state(path, self.required)
        except ValueError as exc:
            raise ValueError(f"checkpoint {path} is incomplete or corrupt ({exc})") from exc
        self._verified[path.name] = (signature, state)
        return state

    def load(self, path: str | Path) -> Checkpoint:
        """A verified checkpoint's arrays and state; ValueError if it fails verification or holds NaN/Inf."""
        path = Path(path)
        state = self.verify(path)
        try:
            with np.load(path / "arrays.npz") as data:
                arrays = {g: [data[f"{g}/{i:04d}"] for i in range(n)] for g, n in state["groups"].items()}
        except (OSError, KeyError, ValueError, EOFError) as exc:
            raise ValueError(f"checkpoint {path} is incomplete or corrupt ({exc})") from exc
        bad = _bad_groups(arrays)
        if bad:
            raise ValueError(f"checkpoint {path} holds non-finite or blown-up weights in {bad}")
        return Checkpoint(path, arrays, state)

    def latest(self, before: int | None = None) -> Checkpoint | None:
        """The newest checkpoint that verifies (older than epoch `before`, if given), or None when there is
        none at all. Bad ones are skipped with a warning and left on disk. Raises UnusableCheckpoints when
        checkpoints exist but not one of them can be used."""
        failures = []
        for path in reversed(self.paths()):
            if before is not None and int(CKPT_RE.match(path.name).group(1)) >= before:
                continue
            try:
                return self.load(path)
            except ValueError as exc:
                failures.append((path, str(exc)))
                warnings.warn(f"{exc}; falling back to the previous checkpoint", stacklevel=2)
        if failures and before is None:
            reasons = "; ".join(f"{p.name}: {why}" for p, why in failures)
            raise UnusableCheckpoints(
                f"No checkpoint in {self.directory} can be used ({reasons}). Nothing was changed. Restore a "
                f"checkpoint, or start this run afresh with fresh_start=True (--fresh-start): the unusable "
                f"checkpoints and the loss log are moved aside, never deleted.")
        return None

    def save(self, epoch: int, arrays: dict[str, list], state: dict) -> Path:
        """Write checkpoint `epoch` atomically (refusing NaN/Inf weights), then rotate. Returns its folder."""
        bad = _bad_groups(arrays)
        if bad:
            raise NonFiniteWeights(f"the weights of {bad} hold NaN, Inf or values above {BLOWN_UP:g} at epoch "
                                   f"{epoch} (training diverged); not saved")
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"ckpt-{epoch:06d}"
        tmp = temp_dir_beside(final)
        try:
            state = self._write(tmp, arrays, {**state, "run_id": self.run_id}, epoch)
            if self._write_hook:
                self._write_hook(tmp)
            self.publish_guard()  # still this run's writer, at the moment of publishing?
            self._clear_way(final)
            os.replace(tmp, final)
            fsync_dir(self.directory)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        self._verified[final.name] = (_stat_signature(final), state)
        self._rotate()
        return final

    def _write(self, folder: Path, arrays: dict[str, list], state: dict, epoch: int) -> dict:
        flat = {f"{group}/{i:04d}": np.asarray(a) for group, values in arrays.items() for i, a in enumerate(values)}
        npz = folder / "arrays.npz"
        with open(npz, "wb") as handle:
            np.savez(handle, **flat)
        fsync_file(npz)
        state = {**state, "epoch": epoch, "groups": {g: len(v) for g, v in arrays.items()},
                 "arrays_sha256": file_digest(npz)}
        state["state_sha256"] = state_digest(state)
        (folder / "state.json").write_text(json.dumps(state, indent=1, default=_jsonable))
        fsync_file(folder / "state.json")
        for path in (npz, folder / "state.json"):
            make_shareable(path)
        return json.loads(json.dumps(state, default=_jsonable))

    def _clear_way(self, final: Path) -> None:
        """Make room for `final`: our own verified checkpoint of that epoch is replaced; anything else there
        (a stray file or folder, another run's checkpoint) is moved aside, never deleted."""
        if not (final.exists() or final.is_symlink()):
            return
        if final.is_dir() and not final.is_symlink() and self._is_own(final):
            trash = final.with_name(f".{final.name}.deleting")
            os.replace(final, trash)
            shutil.rmtree(trash, ignore_errors=True)
            return
        aside = final.with_name(f"{final.name}.stray-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
        os.replace(final, aside)
        warnings.warn(f"{final} was not a checkpoint of this run; moved it aside to {aside.name}", stacklevel=3)

    def _is_own(self, path: Path) -> bool:
        try:
            return self.verify(path).get("run_id") == self.run_id
        except ValueError:
            return False

    def _rotate(self) -> None:
        """Delete this run's verified checkpoints older than the newest `keep_last` verified ones."""
        own = [p for p in self.paths() if self._is_own(p)]
        for path in own[: max(0, len(own) - self.keep_last)]:
            epoch = int(CKPT_RE.match(path.name).group(1))
            if self.keep_every and epoch % self.keep_every == 0:
                continue
            trash = path.with_name(f".{path.name}.deleting")
            os.replace(path, trash)
            shutil.rmtree(trash, ignore_errors=True)
            self._verified.pop(path.name, None)

    def describe(self) -> list[tuple[str, str]]:
        """(name, "verified epoch E step S" or the reason it cannot be used) for every checkpoint folder."""
        rows = []
        for path in self.paths():
            try:
                state = self.verify(path)
                rows.append((path.name, f"verified: epoch {state['epoch']}, step {state['step']}"))
            except ValueError as exc:
                rows.append((path.name, f"unusable: {exc}"))
        return rows

    def set_aside(self, tag: str) -> Path | None:
        """Move the whole checkpoints folder to `checkpoints.<tag>` (a fresh start deletes nothing)."""
        if not self.directory.exists():
            return None
        aside = self.directory.with_name(f"{self.directory.name}.{tag}")
        os.replace(self.directory, aside)
        self._verified.clear()
        return aside


def _jsonable(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
