"""Synthetic loss logs in the original project's exact format, from its own noise model: Keras 2's binary
cross-entropy with probabilities clipped at 1e-7, noisy soft labels N(0.9 | 0.1, 0.05) clipped to
[0, 1], one batch of 16 per logged epoch."""

import numpy as np

EPS = 1e-7


def bce(labels, probs):
    p = np.clip(probs, EPS, 1 - EPS)
    return float(np.mean(-(labels * np.log(p) + (1 - labels) * np.log(1 - p))))


def epoch_losses(rng, saturated: bool, batch: int = 16):
    real, fake, gen = (np.clip(rng.normal(m, 0.05, batch), 0, 1) for m in (0.9, 0.1, 0.9))
    if saturated:  # D calls every image real: its output pinned at the upper clip bound
        p_real = p_fake = p_gen = np.ones(batch)
    else:
        p_real, p_fake = rng.uniform(0.55, 0.9, batch), rng.uniform(0.1, 0.45, batch)
        p_gen = rng.uniform(0.1, 0.5, batch)
    d_loss = 0.5 * (bce(real, p_real) + bce(fake, p_fake))
    content = 0.05 + rng.normal(0, 0.002)
    adv = bce(gen, p_gen)
    return d_loss, content + 1e-3 * adv, content, adv


def write_original_log(path, saturated_from=None, n=2500, seed=0, broken_bracket_at=None):
    """`saturated_from`: first saturated epoch (1: throughout, None: healthy throughout)."""
    rng = np.random.default_rng(seed)
    lines = []
    for epoch in range(1, n + 1):
        d, g, c, a = epoch_losses(rng, saturated_from is not None and epoch >= saturated_from)
        close = "" if epoch == broken_bracket_at else "]"
        lines.append(f"EPOCH {epoch}\td_loss {d:.4f}\tgan_loss [{g:.4f}, {c:.4f}, {a:.4f}{close}")
    path.write_text("\n".join(lines) + "\n")
    return path
