"""The backend-neutral training driver: `train(cfg, run_dir)` runs phase 1 (SRResNet MSE pre-training)
and phase 2 (GAN), checkpoints, resumes exactly, logs every epoch, writes sample strips and exports.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
import time
import warnings
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .. import analysis, distribute, losses
from ..checkpoints import CheckpointManager
from ..config import TrainConfig
from ..fileio import atomic_path, write_text_atomic
from ..images import float_to_uint8
from ..loader import BatchLoader, load_pairs
from ..strips import save_image_atomic, strip_grid
from ..workflows import random_vgg_note

LOG_NAME = "loss_log.csv"
GENERATOR_NAME = "generator.keras"
# Changing these between a run and its resume would load mismatched weights or data.
ARCHITECTURE_KEYS = ("hr_size", "scale", "crop_size", "n_res_blocks", "upsample", "d_head", "vgg_layer", "data_dir",
                     "batch_size", "seed", "pretrain_epochs", "augment")


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the newest checkpoint is still the last good one."""


class CheckpointWriteError(RuntimeError):
    """A checkpoint could not be written (disk full, Drive quota...); the previous one is intact."""


def _checkpoint_manager(cfg: TrainConfig, run_dir: Path) -> CheckpointManager:
    """The run's checkpoint manager. SRGAN_TEST_CHECKPOINT_DELAY (seconds; tests only) slows each write
    down between writing and renaming, so that fault-injection tests can kill the process inside it."""
    delay = float(os.environ.get("SRGAN_TEST_CHECKPOINT_DELAY", "0") or 0)
    hook = (lambda _tmp: time.sleep(delay)) if delay > 0 else None
    return CheckpointManager(run_dir / "checkpoints", cfg.keep_last, cfg.keep_every, write_hook=hook)


@dataclasses.dataclass
class TrainResult:
    run_dir: Path
    config: TrainConfig
    log_path: Path
    generator_path: Path
    checkpoint: Path | None
    epochs_run: int  # epochs trained by this call (0 when the run was already complete)

    def history(self) -> dict[str, np.ndarray]:
        return analysis.read_loss_log(self.log_path)


def _backend_steps(generator, discriminator, vgg, g_opt, d_opt, cfg, placement=None):
    import keras

    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        from .tf_steps import TFSteps

        jit = cfg.jit_compile if cfg.jit_compile is not None else bool(tf.config.list_physical_devices("GPU"))
        return TFSteps(generator, discriminator, vgg, g_opt, d_opt, cfg, jit_compile=jit,
                       strategy=placement.strategy if placement else None)
    if name == "jax":
        from .jax_steps import JaxSteps

        return JaxSteps(generator, discriminator, vgg, g_opt, d_opt, cfg,
                        distribution=placement.distribution if placement else None)
    raise RuntimeError(f"KERAS_BACKEND={name!r} has no GAN training step; use 'tensorflow' or 'jax'")


def _make_optimizer(cfg: TrainConfig, model):
    import keras

    opt = keras.optimizers.Adam(learning_rate=cfg.learning_rate, beta_1=cfg.beta_1)
    if cfg.mixed_precision == "mixed_float16":
        opt = keras.optimizers.LossScaleOptimizer(opt)
    opt.build(model.trainable_variables)
    return opt


def learning_rate_at(cfg: TrainConfig, epoch: int) -> float:
    """Learning rate of 0-based global `epoch` (decay counts GAN epochs)."""
    gan_epoch = epoch - cfg.pretrain_epochs
    if cfg.lr_decay_epoch is not None and gan_epoch >= cfg.lr_decay_epoch:
        return cfg.learning_rate * cfg.lr_decay_factor
    return cfg.learning_rate


def check_resumable(saved: TrainConfig, cfg: TrainConfig) -> None:
    clashes = {k: (getattr(saved, k), getattr(cfg, k)) for k in ARCHITECTURE_KEYS if getattr(saved, k) != getattr(cfg, k)}
    if clashes:
        raise ValueError(f"This run folder was trained with other settings {clashes} (saved, asked); resume with "
                         f"the saved config (TrainConfig.from_json(run_dir / 'config.json')) or use a new run name")


class LossLogWriter:
    """The per-epoch CSV log: appended and fsynced every epoch; truncated to a checkpoint on resume."""

    def __init__(self, path: Path):
        self.path = path

    def rows(self) -> list[dict]:
        if not self.path.is_file():
            return []
        with open(self.path, newline="") as handle:
            return list(csv.DictReader(handle))

    def truncate(self, epochs_done: int) -> None:
        """Keep exactly the rows of epochs 1..epochs_done (drops rows written after the checkpoint)."""
        kept = [r for r in self.rows() if r.get("epoch", "").isdigit() and int(r["epoch"]) <= epochs_done]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=analysis.LOG_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(kept)
        write_text_atomic(self.path, buffer.getvalue())

    def append(self, row: dict) -> None:
        with open(self.path, "a", newline="") as handle:
            csv.DictWriter(handle, fieldnames=analysis.LOG_COLUMNS, extrasaction="ignore").writerow(row)
            handle.flush()
            os.fsync(handle.fileno())


def _model_arrays(G, D, g_opt, d_opt) -> dict[str, list[np.ndarray]]:
    import keras

    to_np = keras.ops.convert_to_numpy
    return {"generator": G.get_weights(), "discriminator": D.get_weights(),
            "g_optimizer": [to_np(v.value) for v in g_opt.variables],
            "d_optimizer": [to_np(v.value) for v in d_opt.variables]}


def _restore_arrays(arrays, G, D, g_opt, d_opt) -> None:
    G.set_weights(arrays["generator"])
    D.set_weights(arrays["discriminator"])
    for opt, key in ((g_opt, "g_optimizer"), (d_opt, "d_optimizer")):
        if len(arrays[key]) != len(opt.variables):
            raise ValueError(f"checkpoint {key} has {len(arrays[key])} variables, the optimizer {len(opt.variables)}")
        for variable, value in zip(opt.variables, arrays[key]):
            variable.assign(value)


def export_generator(G, path: Path) -> Path:
    """Save the generator as `.keras` atomically (loads with safe_mode=True: no Lambda layers)."""
    with atomic_path(path, suffix=".keras") as tmp:
        G.save(tmp)
    return path


def write_sample_strip(G, pairs, path: Path, n: int, note: str | None) -> Path:
    import keras

    lr = pairs.lr[:n].astype(np.float32) / 127.5 - 1.0
    sr = float_to_uint8(keras.ops.convert_to_numpy(G(lr, training=False)))
    rows = [[pairs.lr[i], sr[i], pairs.hr[i]] for i in range(len(lr))]
    return save_image_atomic(strip_grid(rows, ["LR (nearest)", "SR", "HR"], note=note), path)


def _run_epoch(cfg, epoch, steps, loader, global_step, lr_value, progress, ckpt_path) -> dict:
    """Train one epoch; return its loss-log row. Raises TrainingDiverged on a non-finite loss."""
    n_steps, b = loader.steps_per_epoch, cfg.batch_size
    phase = "pretrain" if epoch < cfg.pretrain_epochs else "gan"
    steps.set_learning_rate(lr_value)
    label_rng = np.random.default_rng([cfg.seed, 7, epoch])
    labels = [losses.noisy_labels(label_rng, (n_steps, b, 1), m, cfg.label_std)
              for m in (cfg.real_label_mean, cfg.fake_label_mean, cfg.gen_label_mean)]
    metrics = []
    start = time.perf_counter()
    bar = tqdm(loader.prefetch(epoch), total=n_steps, disable=not progress, leave=False, mininterval=1.0,
               desc=f"epoch {epoch + 1}/{cfg.total_epochs} {phase}")
    for step, (lr_batch, hr_batch) in enumerate(bar):
        if phase == "pretrain":
            metrics.append(steps.pretrain_step(lr_batch, hr_batch))
        else:
            metrics.append(steps.gan_step(lr_batch, hr_batch, labels[0][step], labels[1][step], labels[2][step]))
        if progress and (step % max(1, n_steps // 10) == 0 or step == n_steps - 1):
            bar.set_postfix({k: f"{float(v):.4g}" for k, v in metrics[-1].items() if k in ("g_loss", "d_loss")},
                            refresh=False)
    bar.close()
    host = [{k: float(v) for k, v in m.items()} for m in metrics]
    seconds = time.perf_counter() - start
    for step, m in enumerate(host):
        bad = [k for k, v in m.items() if not math.isfinite(v)]
        if bad:
            raise TrainingDiverged(f"{bad} became non-finite at epoch {epoch + 1}, step {step + 1}; the newest "
                                   f"checkpoint ({ckpt_path}) is the last good one. Lower learning_rate and "
                                   f"resume, or set nan_policy='rollback'.")
    row = {"epoch": epoch + 1, "phase": phase, "step": global_step + n_steps, "lr": lr_value,
           "seconds": round(seconds, 3), "images_per_s": round(n_steps * b / seconds, 2)}
    row.update({k: float(np.mean([m[k] for m in host])) for k in host[0]})
    if progress:
        print(f"epoch {epoch + 1}/{cfg.total_epochs} [{phase}] "
              + " ".join(f"{k}={row[k]:.4g}" for k in host[0]) + f" ({row['images_per_s']:.1f} img/s)")
    return row


def train(cfg: TrainConfig, run_dir: str | Path, resume: bool = True, progress: bool = True) -> TrainResult:
    """Train (or continue) the run in `run_dir` up to `cfg.total_epochs`; returns where everything is.

    With `resume` (the default) the newest verified checkpoint in `run_dir/checkpoints` is loaded and
    training continues at the next epoch with results identical to an uninterrupted run.
    """
    import keras

    from ..models import build_discriminator, build_generator, build_vgg_features

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    config_path = run_dir / "config.json"
    manager = _checkpoint_manager(cfg, run_dir)
    manager.remove_partials()
    latest = manager.latest() if resume else None
    if latest is None and not resume and manager.paths():
        raise FileExistsError(f"{run_dir} already holds checkpoints; pass resume=True or use a new run name "
                              f"(nothing is ever deleted for you)")
    if latest is not None:
        check_resumable(TrainConfig.from_dict(latest[2]["config"]), cfg)
    cfg.to_json(config_path)
    note = random_vgg_note(cfg)

    previous_policy = keras.mixed_precision.dtype_policy().name
    keras.mixed_precision.set_global_policy(cfg.mixed_precision or "float32")
    placement = distribute.resolve(cfg.devices, cfg.batch_size)
    if placement.distributed:
        print(f"Training on {placement.n_devices} devices ({placement.kind}); global batch {cfg.batch_size}")
    try:
        keras.utils.set_random_seed(cfg.seed)
        sync_bn = placement.strategy is not None and placement.distributed
        with distribute.activated(placement), placement.scope():
            G = build_generator(cfg.scale, cfg.n_res_blocks, upsample=cfg.upsample, synchronized_bn=sync_bn)
            D = build_discriminator(cfg.train_hr_size, head=cfg.d_head, synchronized_bn=sync_bn)
            with warnings.catch_warnings():
                warnings.simplefilter("always")
                vgg = build_vgg_features(cfg.vgg_layer, cfg.vgg_weights)
            g_opt, d_opt = _make_optimizer(cfg, G), _make_optimizer(cfg, D)
        return _train_loop(cfg, run_dir, manager, latest, note, placement, G, D, vgg, g_opt, d_opt, progress)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


def _train_loop(cfg, run_dir, manager, latest, note, placement, G, D, vgg, g_opt, d_opt, progress) -> TrainResult:
    """Everything after the models exist: resume, epochs, logging, samples, checkpoints, export."""
    import keras

    from ..models import build_generator, model_summary

    with distribute.activated(placement):
        write_text_atomic(run_dir / "model_summary.txt",
                          f"{model_summary(G)}\n\n{model_summary(D)}\n\nVGG19 features: {cfg.vgg_layer}, "
                          f"weights={cfg.vgg_weights!r}, {vgg.count_params():,} frozen parameters\n")

        start_epoch, global_step, ckpt_path, lr_scale = 0, 0, None, 1.0
        log = LossLogWriter(run_dir / LOG_NAME)
        if latest is not None:
            ckpt_path, arrays, state = latest
            _restore_arrays(arrays, G, D, g_opt, d_opt)
            start_epoch, global_step = state["epoch"], state["step"]
            lr_scale = float(state.get("lr_scale", 1.0))
            print(f"Resuming {run_dir.name} from {ckpt_path.name}: epoch {start_epoch} done, step {global_step}")
        log.truncate(start_epoch)
        initial = _model_arrays(G, D, g_opt, d_opt) if latest is None and cfg.nan_policy == "rollback" else None

        steps = _backend_steps(G, D, vgg, g_opt, d_opt, cfg, placement)
        train_pairs = load_pairs(cfg.data_dir, "train")
        try:
            sample_pairs = load_pairs(cfg.data_dir, "test", limit=cfg.n_samples)
        except (FileNotFoundError, ValueError):
            sample_pairs = load_pairs(cfg.data_dir, "train", limit=cfg.n_samples)
        loader = BatchLoader(train_pairs, cfg.batch_size, cfg.crop_size, cfg.augment, seed=cfg.seed,
                             steps_per_epoch=cfg.steps_per_epoch)
        rollbacks, epoch = 0, start_epoch
        while epoch < cfg.total_epochs:
            try:
                row = _run_epoch(cfg, epoch, steps, loader, global_step, learning_rate_at(cfg, epoch) * lr_scale,
                                 progress, ckpt_path)
            except TrainingDiverged as exc:
                if cfg.nan_policy != "rollback" or rollbacks >= cfg.nan_max_rollbacks:
                    raise
                rollbacks += 1
                lr_scale *= cfg.nan_lr_factor
                back = manager.latest()
                arrays, state = (back[1], back[2]) if back else (initial, {"epoch": 0, "step": 0})
                _restore_arrays(arrays, G, D, g_opt, d_opt)
                steps.load_from_models()
                epoch, global_step = state["epoch"], state["step"]
                log.truncate(epoch)
                warnings.warn(f"{exc} -> rollback {rollbacks}/{cfg.nan_max_rollbacks}: back to epoch {epoch}, "
                              f"learning rate x{lr_scale:g}", stacklevel=2)
                continue
            global_step = row["step"]
            log.append(row)
            last = epoch + 1 == cfg.total_epochs
            sample_now = (epoch + 1) % cfg.sample_every == 0 or last
            save_now = (epoch + 1) % cfg.save_every == 0 or last
            if sample_now or save_now:
                steps.sync_to_models()
            if sample_now:
                write_sample_strip(G, sample_pairs, run_dir / "samples" / f"epoch_{epoch + 1:06d}.png",
                                   cfg.n_samples, note)
            if save_now:
                state = {"step": global_step, "log_rows": epoch + 1, "lr_scale": lr_scale, "config": cfg.to_dict(),
                         "data_order": "a function of (seed, epoch): see loader.BatchLoader",
                         "backend": keras.backend.backend(), "keras": keras.__version__}
                try:
                    ckpt_path = manager.save(epoch + 1, _model_arrays(G, D, g_opt, d_opt), state)
                except OSError as exc:
                    raise CheckpointWriteError(
                        f"Could not write the epoch-{epoch + 1} checkpoint in {manager.directory} ({exc}). The previous "
                        f"checkpoint ({ckpt_path.name if ckpt_path else 'none'}) is intact. Free some space (or "
                        f"point drive_dir elsewhere) and resume.") from exc
            epoch += 1
        steps.sync_to_models()
        exported = G
        if any(getattr(layer, "synchronized", False) for layer in G.layers):  # TF multi-device: plain BN to save
            exported = build_generator(cfg.scale, cfg.n_res_blocks, upsample=cfg.upsample)
            exported.set_weights(G.get_weights())
        generator_path = export_generator(exported, run_dir / GENERATOR_NAME)
        if log.rows():
            analysis.plot_training_curves(analysis.read_loss_log(log.path), run_dir / "loss_curves.png", note)
        return TrainResult(run_dir, cfg, log.path, generator_path, ckpt_path, cfg.total_epochs - start_epoch)
