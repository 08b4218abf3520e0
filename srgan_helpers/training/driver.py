"""The backend-neutral training driver: `train(cfg, run_dir)` runs phase 1 (SRResNet MSE pre-training) and
phase 2 (GAN), checkpoints, resumes exactly, logs every epoch, writes sample strips and exports.

Order of a call: check everything (config, data, weights, run folder) -> lock the run folder -> find the
checkpoint to resume from (refusing when none can be used) -> write config.json -> build -> train -> export.
Nothing is written before the checks pass; nothing in the run folder is ever deleted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
import time
from pathlib import Path

from .. import networks
from ..analysis.losslog import LossLog, load_log
from ..config import TrainConfig, resume_clashes
from ..data.loader import set_mode
from ..data.preprocess import read_manifest
from ..determinism import seed_everything
from . import distribute, kept_steps
from .bundle import build_models
from .checkpoints import CheckpointManager, new_run_id
from .errors import RunFolderError
from .runlock import RunLock
from .session import LOG_NAME, TrainingSession


@dataclasses.dataclass
class TrainResult:
    run_dir: Path
    config: TrainConfig
    log_path: Path
    generator_path: Path
    checkpoint: Path | None
    epochs_run: int  # epochs trained by this call (0 when the run was already complete)

    def history(self) -> LossLog:
        return load_log(self.log_path)


def _checkpoint_manager(cfg: TrainConfig, run_dir: Path, run_id: str | None = None) -> CheckpointManager:
    """The run's checkpoint manager. SRGAN_TEST_CHECKPOINT_DELAY (seconds; tests only) slows each write
    down between writing and renaming, so that fault-injection tests can kill the process inside it."""
    import os

    delay = float(os.environ.get("SRGAN_TEST_CHECKPOINT_DELAY", "0") or 0)
    hook = (lambda _tmp: time.sleep(delay)) if delay > 0 else None
    return CheckpointManager(run_dir / "checkpoints", cfg.keep_last, cfg.keep_every, run_id=run_id,
                             required=("config",), write_hook=hook)


def check_data(cfg: TrainConfig) -> None:
    """Refuse, before anything is written, a data_dir that is missing or does not fit the config."""
    manifest = read_manifest(cfg.data_dir)
    params = manifest.get("params", {})
    if params.get("scale", cfg.scale) != cfg.scale:
        raise ValueError(f"scale={cfg.scale} but {cfg.data_dir} was prepared at x{params.get('scale')}")
    if set_mode(cfg.data_dir) == "whole":
        smallest = manifest.get("min_hr_side", 0)
        if cfg.crop_size is None or cfg.crop_size > smallest:
            raise ValueError(f"{cfg.data_dir} holds whole images (smallest side {smallest} px): set crop_size, the "
                             f"HR patch side, to at most {smallest} (e.g. 96)")
    elif params.get("hr_size", cfg.hr_size) != cfg.hr_size:
        raise ValueError(f"hr_size={cfg.hr_size} but {cfg.data_dir} holds {params.get('hr_size')} px pairs: set "
                         f"hr_size={params.get('hr_size')} or prepare the data again")
    elif cfg.crop_size is not None and cfg.crop_size > cfg.hr_size:
        raise ValueError(f"crop_size={cfg.crop_size} is larger than the {cfg.hr_size} px pairs of {cfg.data_dir}")


def check_generator_source(cfg: TrainConfig) -> None:
    """generator_from names a shipped model, a run folder holding generator.keras, or a .keras file."""
    if cfg.generator_from:
        from ..named_models import resolve_model

        try:
            path = resolve_model(cfg.generator_from)
        except FileNotFoundError as exc:
            raise ValueError(f"generator_from: {exc}") from exc
        if not path.is_file():
            raise ValueError(f"generator_from={cfg.generator_from!r}: {path} does not exist; give a shipped model's "
                             f"name, a run folder holding generator.keras, or a .keras file")
        from .bundle import check_same_architecture

        check_same_architecture(networks.build("generator", cfg), cfg.generator_from)  # before anything is written


def check_run_folder(run_dir: Path) -> None:
    """The run folder exists (or can be made) and takes a file: else RunFolderError, before any writing."""
    try:
        if run_dir.exists() and not run_dir.is_dir():
            raise NotADirectoryError(f"{run_dir} is a file")
        run_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=run_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise RunFolderError(f"Cannot write in the run folder {run_dir} ({exc}): check that it is writable and "
                             f"has free space, or choose another run folder. Nothing was changed.") from exc


def preflight(cfg: TrainConfig, run_dir: Path):
    """Every check that can fail before training: data, weights, devices, the run folder. Returns the placement."""
    check_data(cfg)
    networks.preflight(cfg)  # what the named networks need from this machine (a weights file, say)
    check_generator_source(cfg)
    placement = distribute.resolve(cfg.devices, cfg.batch_size)
    check_run_folder(run_dir)
    return placement


def _free_set_aside_tag(run_dir: Path) -> str:
    """set-aside-<time>, with -2, -3 ... when an earlier fresh start in the same second took that name."""
    base = f"set-aside-{time.strftime('%Y%m%dT%H%M%S')}"
    for n in range(1, 1000):
        tag = base if n == 1 else f"{base}-{n}"
        if not (run_dir / f"checkpoints.{tag}").exists() and not (run_dir / f"loss_log.{tag}.csv").exists():
            return tag
    raise RunFolderError(f"{run_dir}: too many fresh starts set aside within one second")


def open_checkpoints(cfg: TrainConfig, run_dir: Path, resume: bool, fresh_start: bool):
    """(manager, checkpoint to resume from or None). A fresh start moves old checkpoints and log aside."""
    manager = _checkpoint_manager(cfg, run_dir)
    if fresh_start:
        tag = _free_set_aside_tag(run_dir)
        aside = manager.set_aside(tag)
        if (run_dir / LOG_NAME).exists():
            (run_dir / LOG_NAME).rename(run_dir / f"loss_log.{tag}.csv")
        if aside:
            print(f"Fresh start: the old checkpoints are in {aside} and the old log beside it (nothing deleted)")
        manager = _checkpoint_manager(cfg, run_dir, new_run_id())
        return manager, None
    manager.remove_partials()
    latest = manager.latest() if resume else None
    if not resume and manager.paths():
        raise FileExistsError(f"{run_dir} already holds checkpoints; pass resume=True or use a new run name "
                              f"(nothing is ever deleted for you)")
    if latest is None:
        manager.run_id = new_run_id()
        return manager, None
    refuse_foreign_checkpoints(manager, run_dir)
    clashes = resume_clashes(TrainConfig.from_dict(latest.state["config"]), cfg)
    if clashes:
        raise ValueError(f"This run folder was trained with other settings {clashes} (saved, asked); resume with "
                         f"the saved config (TrainConfig.from_json(run_dir / 'config.json')) or use a new run name")
    manager.run_id = latest.state.get("run_id")  # checkpoints made before 0.2 carry none: still this run's
    return manager, latest


def refuse_foreign_checkpoints(manager, run_dir: Path) -> None:
    """ValueError (one line) when the verified checkpoints belong to more than one run (one copied in)."""
    owners: dict[str, list[str]] = {}
    for path in manager.paths():
        try:
            run_id = manager.verify(path).get("run_id")
        except ValueError:
            continue  # unusable ones are skipped with a warning by latest()
        if run_id is not None:
            owners.setdefault(run_id, []).append(path.name)
    if len(owners) > 1:
        newest = max(owners.values(), key=lambda names: max(names))
        others = sorted(name for names in owners.values() if names is not newest for name in names)
        raise ValueError(f"{run_dir / 'checkpoints'} holds checkpoints of {len(owners)} different runs "
                         f"({', '.join(newest)} of one, {', '.join(others)} of another): a checkpoint was copied "
                         f"in from another run. Move the ones that are not this run's out of the folder (nothing "
                         f"was changed), or start over with fresh_start=True (--fresh-start)")


@contextlib.contextmanager
def precision_policy(name: str | None):
    """Keras' global dtype policy set for the duration (restored afterwards)."""
    import keras

    previous = keras.mixed_precision.dtype_policy().name
    keras.mixed_precision.set_global_policy(name or "float32")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def train(cfg: TrainConfig, run_dir: str | Path, resume: bool = True, progress: bool = True,
          fresh_start: bool = False, break_lock: bool = False, on_epoch_end=None) -> TrainResult:
    """Train (or continue) the run in `run_dir` up to `cfg.total_epochs`; returns where everything is.

    Args:
        cfg: the run's settings (checked in full before anything is written).
        run_dir: the run folder; one trainer at a time (a lock with a heartbeat).
        resume: continue from the newest verified checkpoint (results identical to an uninterrupted run).
        progress: progress bars and one line per epoch.
        fresh_start: start over although checkpoints exist; they and the log are moved aside, never deleted.
        break_lock: take over a lock another trainer holds (only when it is gone).
        on_epoch_end: called with an EpochEnd after every epoch; returning True stops after that epoch
            (a checkpoint is saved), e.g. for a time budget or an evaluation curve.
    """
    run_dir = Path(run_dir)
    placement = preflight(cfg, run_dir)
    lock = RunLock(run_dir)
    lock.acquire(break_lock)
    try:
        manager, latest = open_checkpoints(cfg, run_dir, resume, fresh_start)
        try:
            cfg.to_json(run_dir / "config.json")
        except OSError as exc:
            raise RunFolderError(f"Cannot write {run_dir / 'config.json'} ({exc}); nothing else was changed") from exc
        return _train_session(cfg, run_dir, manager, latest, placement, progress, on_epoch_end, lock.verify)
    finally:
        lock.release()


def _train_session(cfg, run_dir, manager, latest, placement, progress, on_epoch_end, guard) -> TrainResult:
    if placement.distributed:
        print(f"Training on {placement.n_devices} devices ({placement.kind}); global batch {cfg.batch_size}")
    with precision_policy(cfg.mixed_precision), distribute.activated(placement):
        seed_everything(cfg.seed, cfg.deterministic)
        session = TrainingSession(cfg, run_dir, manager, build_models(cfg, placement), placement, progress, guard)
        try:
            session.write_summary()
        except OSError as exc:
            raise RunFolderError(f"Cannot write in {run_dir} ({exc}); free some space and run again") from exc
        session.start(latest)
        epochs_run = session.run(on_epoch_end)
        generator_path = session.export()
        kept_steps.keep(session.models, session.steps, cfg, placement)  # for the next run with the same step
    return TrainResult(run_dir, cfg, run_dir / LOG_NAME, generator_path, session.checkpoint, epochs_run)

