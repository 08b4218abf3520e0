"""A training session: everything from built models to the exported generator. The driver (`train`) opens
it after checking the config, locking the run folder and finding the checkpoint to resume from."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import interrupts
from ..analysis.losslog import LossLogWriter
from ..analysis.strips import save_image_atomic, strip_grid
from ..config import degradation_ranges, loader_workers
from ..data.loader import BatchLoader, open_split, sample_pairs
from ..fileio import atomic_path, write_text_atomic
from ..images import float_to_uint8
from ..networks import content_loss_name, figure_note
from ..runs import GENERATOR_NAME
from .averaging import GROUP as AVERAGE_GROUP
from .averaging import WeightAverage, model_weights
from .bundle import GanModels, ensure_content_network
from .checkpoints import Checkpoint, CheckpointManager, NonFiniteWeights, pack_arrays, restore_arrays, training_state
from .epoch import phase_of, run_epoch
from .errors import CheckpointWriteError, RunFolderError, TrainingDiverged
from .kept_steps import steps_for_run
from .schedules import learning_rate_at

LOG_NAME = "loss_log.csv"


class EpochEnd(NamedTuple):
    """What an `on_epoch_end` callback receives; return True from it to stop after this epoch."""

    epoch: int  # global 1-based epoch just finished
    row: dict  # its loss-log row
    generator: object  # the Keras generator, synced with the training state (a later run in this process may
    # train the same object on: copy its weights to keep them)
    run_dir: Path


def export_generator(generator, path: Path, cfg=None, guard=None) -> Path:
    """Save the generator as `.keras` atomically (loads with safe_mode=True: no Lambda layers); a generator
    with synchronized BatchNorm (TF, several devices) is saved as the plain single-device network, rebuilt
    from its run's config (`cfg`)."""
    from .. import networks
    from ..backend import keep_tensorflow_unloaded
    from ..networks.tf_layers import GlobalBatchNormalization

    if any(isinstance(layer, GlobalBatchNormalization) for layer in generator.layers):
        if cfg is None:
            raise ValueError("a generator with synchronized BatchNorm is exported from its run's config: pass cfg")
        plain = networks.build("generator", cfg)
        plain.set_weights(generator.get_weights())
        generator = plain
    keep_tensorflow_unloaded()  # (on JAX)
    with atomic_path(path, suffix=".keras", before_publish=guard) as tmp:  # guard: checked at the rename
        generator.save(tmp)
    return path


def write_sample_strip(generator, pairs, path: Path, note: str | None) -> Path:
    """LR | SR | HR rows of `pairs` through `generator`, saved atomically."""
    import keras

    lr = pairs.lr.astype(np.float32) / 127.5 - 1.0
    sr = float_to_uint8(keras.ops.convert_to_numpy(generator(lr, training=False)))
    rows = [[pairs.lr[i], sr[i], pairs.hr[i]] for i in range(len(lr))]
    return save_image_atomic(strip_grid(rows, ["LR (nearest)", "SR", "HR"], note=note), path)


class TrainingSession:
    """Models, steps, data, log and checkpoints of one call to `train`, and the epoch loop over them."""

    def __init__(self, cfg, run_dir: Path, manager: CheckpointManager, models: GanModels, placement, progress: bool,
                 guard=None):
        self.cfg, self.run_dir, self.manager, self.models = cfg, run_dir, manager, models
        self.placement, self.progress = placement, progress
        self.guard = guard or (lambda: None)  # raises when this trainer no longer owns the run (RunLock.verify)
        manager.publish_guard = self.guard  # checked again at each checkpoint's rename
        self.note = figure_note(cfg)
        self.log = LossLogWriter(run_dir / LOG_NAME)
        self.epoch = self.global_step = 0
        self.learning_rate_scale, self.rollbacks = 1.0, 0
        self.checkpoint: Path | None = None
        self.rollback_floor: int | None = None  # rollbacks walk back past this epoch ...
        self.diverged_at = 0  # ... until training gets past the epoch that diverged
        self.initial: dict | None = None
        self.average: WeightAverage | None = None  # cfg.ema_decay: the weights this run exports

    def start(self, latest: Checkpoint | None) -> None:
        """Restore `latest` (or remember the initial weights), cut the log back to it, build steps and data."""
        if latest is not None:
            restore_arrays(self.models, latest.arrays)
            self.epoch, self.global_step, self.checkpoint = latest.epoch, latest.step, latest.path
            state = latest.state  # "lr_scale": checkpoints written before 0.3
            self.learning_rate_scale = float(state.get("learning_rate_scale", state.get("lr_scale", 1.0)))
            print(f"Resuming {self.run_dir.name} from {latest.path.name}: epoch {self.epoch} done, step "
                  f"{self.global_step}")
        elif self.cfg.nan_policy == "rollback":
            self.initial = self._arrays()
        self._start_average(latest.arrays if latest is not None else None)
        self.log.truncate(self.epoch)
        self.models, self.steps = steps_for_run(self.models, self.cfg, self.placement)  # a kept run's, or new
        self.loader = BatchLoader(open_split(self.cfg.data_dir, "train"), self.cfg.batch_size, self.cfg.crop_size,
                                  self.cfg.augment, seed=self.cfg.seed, steps_per_epoch=self.cfg.steps_per_epoch,
                                  tone_fraction=self.cfg.tone_patches, degradation=degradation_ranges(self.cfg),
                                  workers=loader_workers(self.cfg))
        self.samples = sample_pairs(self.cfg.data_dir, self.cfg.n_samples, self.cfg.crop_size)

    def _start_average(self, arrays: dict | None) -> None:
        """The weight average (cfg.ema_decay): the checkpoint's, or the generator's weights to start from."""
        if not self.cfg.ema_decay:
            return
        if self.average is None:  # starts at the generator's weights; LDL runs the averaged copy in every step
            self.average = WeightAverage(self.cfg.ema_decay, self.models.generator, bool(self.cfg.artifact_weight))
            self.models.generator_average = self.average.model if self.cfg.artifact_weight else None
        elif arrays is None or AVERAGE_GROUP not in arrays:  # a rollback to the initial weights: start again
            self.average.load(model_weights(self.models.generator))
        if arrays is not None and AVERAGE_GROUP in arrays:
            self.average.load(arrays[AVERAGE_GROUP])

    def _arrays(self) -> dict:
        """Everything a checkpoint keeps: the networks, the optimizers and the weight average."""
        arrays = pack_arrays(self.models)
        return {**arrays, AVERAGE_GROUP: self.average.arrays} if self.average is not None else arrays

    def generator_for_use(self):
        """The generator the run shows, evaluates and exports: the weight average when there is one."""
        return self.average.averaged_model() if self.average else self.models.generator

    def run(self, on_epoch_end=None) -> int:
        """Train up to the config's total epochs (or until `on_epoch_end` returns True); returns the
        epochs trained by this call."""
        first = self.epoch
        try:
            while self.epoch < self.cfg.total_epochs:
                if phase_of(self.cfg, self.epoch)[0] == "gan":
                    ensure_content_network(self.models, self.cfg, self.placement)
                try:
                    row = run_epoch(self.cfg, self.epoch, self.steps, self.loader, self.global_step,
                                    learning_rate_at(self.cfg, self.epoch) * self.learning_rate_scale, self.progress,
                                    self.average)
                    stop = self._finish_epoch(row, on_epoch_end)
                except TrainingDiverged as exc:
                    self._roll_back(exc)
                    continue
                if stop:
                    break
                interrupts.check()  # a signal during the checkpoint write stops here, the checkpoint whole
        finally:
            self.loader.close()  # the loader's worker processes, however training ends
        self.steps.sync_to_models()
        return self.epoch - first

    def _finish_epoch(self, row: dict, on_epoch_end) -> bool:
        """Log the epoch, write samples and a checkpoint when due, ask the callback whether to stop."""
        cfg, epoch = self.cfg, row["epoch"]
        self.guard()  # still this run's trainer? (a stall can cost it the lock) Nothing is written otherwise
        self.global_step = row["step"]
        if epoch > self.diverged_at:
            self.rollback_floor = None
        self.log.append(row)
        last = epoch == cfg.total_epochs
        sample_now, save_now = epoch % cfg.sample_every == 0 or last, epoch % cfg.save_every == 0 or last
        if sample_now or save_now or on_epoch_end:
            self.steps.sync_to_models()
        shown = self.generator_for_use() if sample_now or on_epoch_end else None
        if sample_now:
            write_sample_strip(shown, self.samples, self.run_dir / "samples" / f"epoch_{epoch:06d}.png", self.note)
        stop = bool(on_epoch_end and on_epoch_end(EpochEnd(epoch, row, shown, self.run_dir)))
        if save_now or stop:
            self.save_checkpoint(epoch)
        self.epoch = epoch
        return stop

    def save_checkpoint(self, epoch: int) -> None:
        state = training_state(self.cfg, self.global_step, self.learning_rate_scale, self.manager.run_id)
        try:
            self.checkpoint = self.manager.save(epoch, self._arrays(), state)
        except NonFiniteWeights as exc:
            raise TrainingDiverged(str(exc)) from exc
        except OSError as exc:
            previous = self.checkpoint.name if self.checkpoint else "none"
            raise CheckpointWriteError(
                f"Could not write the epoch-{epoch} checkpoint in {self.manager.directory} ({exc}). The previous "
                f"checkpoint ({previous}) is intact. Free some space (or point drive_dir elsewhere) and "
                f"resume.") from exc

    def _roll_back(self, exc: TrainingDiverged) -> None:
        """Go back to the newest good checkpoint with a lower learning rate (one further back at each new
        rollback until training gets past the epoch that diverged); re-raise when the policy, the count or
        the checkpoints are exhausted."""
        cfg = self.cfg
        self.diverged_at = max(self.diverged_at, self.epoch + 1)
        advice = (f"The newest checkpoint ({self.checkpoint.name if self.checkpoint else 'none'}) is the last good "
                  f"one. Lower learning_rate and resume, or set nan_policy='rollback'.")
        if cfg.nan_policy != "rollback" or self.rollbacks >= cfg.nan_max_rollbacks:
            raise TrainingDiverged(f"{exc}. {advice}") from exc
        target = self.manager.latest(before=self.rollback_floor)
        if target is None and self.initial is None:
            raise TrainingDiverged(f"{exc}; no earlier checkpoint to roll back to. {advice}") from exc
        self.rollbacks += 1
        self.learning_rate_scale *= cfg.nan_learning_rate_factor
        restore_arrays(self.models, target.arrays if target else self.initial)
        self._start_average(target.arrays if target else self.initial)
        self.steps.load_from_models()
        self.epoch, self.global_step = (target.epoch, target.step) if target else (0, 0)
        self.rollback_floor = self.epoch if target else 0
        self.log.truncate(self.epoch)
        warnings.warn(f"{exc} -> rollback {self.rollbacks}/{cfg.nan_max_rollbacks}: back to epoch {self.epoch}, "
                      f"learning rate x{self.learning_rate_scale:g}", stacklevel=2)

    def export(self) -> Path:
        """The generator as `<run_dir>/generator.keras` and the loss figure (labelled for random VGG)."""
        from ..analysis import plot_training_curves
        from ..analysis.losslog import load_log

        self.guard()
        try:
            path = export_generator(self.generator_for_use(), self.run_dir / GENERATOR_NAME, self.cfg, self.guard)
            self.guard()
            if self.log.rows():
                plot_training_curves(load_log(self.log.path), self.run_dir / "loss_curves.png", self.note)
        except OSError as exc:
            raise RunFolderError(f"Training finished and checkpoint {self.checkpoint} is saved, but exporting to "
                                 f"{self.run_dir} failed ({exc}). Free some space and run again: it exports "
                                 f"without training.") from exc
        return path

    def write_summary(self) -> None:
        from ..networks import model_summary

        content = (f"GAN-phase generator loss: {content_loss_name(self.cfg)}" if self.cfg.epochs
                   else "GAN-phase loss: not used (no GAN epochs)")
        write_text_atomic(self.run_dir / "model_summary.txt", f"{model_summary(self.models.generator)}\n\n"
                          f"{model_summary(self.models.discriminator)}\n\n{content}\n")
