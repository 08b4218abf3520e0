"""Learning-rate schedules: the rate of every epoch is a function of the config and the epoch alone, so a
resumed run follows the same schedule as an uninterrupted one.

- "constant": `learning_rate` throughout (the original project);
- "step": multiplied by `learning_rate_decay_factor` from GAN epoch `learning_rate_decay_epoch` on (the
  SRGAN paper: 1e-4, then 1e-5 for the second half);
- "cosine": within each phase (pre-training, GAN), from `learning_rate` down to 0 along half a cosine.

Every schedule starts each phase with `warmup_epochs` of linear warm-up (epoch k of it at k / warmup).
"""

from __future__ import annotations

import math


def _phase_position(cfg, epoch: int) -> tuple[int, int]:
    """(0-based epoch within its phase, epochs in the phase) of 0-based global `epoch`."""
    if epoch < cfg.pretrain_epochs:
        return epoch, cfg.pretrain_epochs
    return epoch - cfg.pretrain_epochs, cfg.epochs


def learning_rate_at(cfg, epoch: int) -> float:
    """The learning rate of 0-based global `epoch` under `cfg.learning_rate_schedule`."""
    position, length = _phase_position(cfg, epoch)
    rate = cfg.learning_rate
    if position < cfg.warmup_epochs:
        return rate * (position + 1) / (cfg.warmup_epochs + 1)
    if cfg.learning_rate_schedule == "step":
        decayed = epoch >= cfg.pretrain_epochs and position >= cfg.learning_rate_decay_epoch
        return rate * cfg.learning_rate_decay_factor if decayed else rate
    if cfg.learning_rate_schedule == "cosine":
        span = max(1, length - cfg.warmup_epochs)
        return rate * 0.5 * (1 + math.cos(math.pi * (position - cfg.warmup_epochs) / span))
    return rate
