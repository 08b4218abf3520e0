"""One epoch of training: the phase it belongs to, its learning rate and labels, its steps, its log row."""

from __future__ import annotations

import math
import time

import numpy as np

from .. import interrupts
from ..progress import progress_bar, write_line
from . import losses
from .errors import TrainingDiverged


def phase_of(cfg, epoch: int) -> tuple[str, int, int]:
    """(phase, 1-based epoch within the phase, epochs in the phase) of 0-based global `epoch`."""
    if epoch < cfg.pretrain_epochs:
        return "pretrain", epoch + 1, cfg.pretrain_epochs
    return "gan", epoch - cfg.pretrain_epochs + 1, cfg.epochs


def phase_label(cfg, epoch: int) -> str:
    """'pretrain 2/100' or 'GAN 7/2500': how a user counts epochs."""
    phase, number, total = phase_of(cfg, epoch)
    return f"{'pretrain' if phase == 'pretrain' else 'GAN'} {number}/{total}"


def epoch_labels(cfg, epoch: int, n_steps: int) -> list[np.ndarray]:
    """The noisy real / fake / generator labels of every step of `epoch` (a function of seed and epoch)."""
    rng = np.random.default_rng([cfg.seed, 7, epoch])
    return [losses.noisy_labels(rng, (n_steps, cfg.batch_size, 1), mean, cfg.label_std)
            for mean in (cfg.real_label_mean, cfg.fake_label_mean, cfg.gen_label_mean)]


def run_epoch(cfg, epoch: int, steps, loader, global_step: int, learning_rate: float, progress: bool,
              average=None) -> dict:
    """Train one epoch; return its loss-log row. Raises TrainingDiverged on a non-finite loss. `average` (a
    WeightAverage) follows the generator after every step."""
    n_steps = loader.steps_per_epoch
    phase = phase_of(cfg, epoch)[0]
    steps.set_learning_rate(learning_rate)
    labels = epoch_labels(cfg, epoch, n_steps) if phase == "gan" else None
    metrics, start = [], time.perf_counter()
    bar = progress_bar(loader.prefetch(epoch), total=n_steps, disable=not progress, leave=False,
                       desc=phase_label(cfg, epoch))
    for step, (lr_batch, hr_batch) in enumerate(bar):
        interrupts.check()  # Ctrl-C / SIGTERM (under a command's handler): stop between steps
        if labels is None:
            metrics.append(steps.pretrain_step(lr_batch, hr_batch))
        else:
            metrics.append(steps.gan_step(lr_batch, hr_batch, *(kind[step] for kind in labels)))
        if average is not None:
            average.update(steps.generator_weights())
    bar.close()
    host = [{k: float(v) for k, v in m.items()} for m in metrics]
    seconds = time.perf_counter() - start
    _check_finite(host, epoch, cfg)
    row = {"epoch": epoch + 1, "phase": phase, "step": global_step + n_steps, "learning_rate": learning_rate,
           "seconds": round(seconds, 3), "images_per_s": round(n_steps * cfg.batch_size / seconds, 2)}
    row.update({k: float(np.mean([m[k] for m in host])) for k in host[0]})
    if progress:
        write_line(f"{phase_label(cfg, epoch)} (epoch {epoch + 1} of {cfg.total_epochs}) "
                   + " ".join(f"{k}={row[k]:.4g}" for k in host[0]) + f" ({row['images_per_s']:.1f} img/s)")
    return row


def _check_finite(host: list[dict], epoch: int, cfg) -> None:
    for step, m in enumerate(host):
        bad = [k for k, v in m.items() if not math.isfinite(v)]
        if bad:
            raise TrainingDiverged(f"{bad} became non-finite at epoch {epoch + 1}, step {step + 1} "
                                   f"({phase_label(cfg, epoch)})")
