"""Loss logs: read our CSV log, plot the training curves."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

LOG_COLUMNS = ("epoch", "phase", "step", "d_loss", "g_loss", "content_loss", "adv_loss", "d_real", "d_fake",
               "lr", "seconds", "images_per_s")


def read_loss_log(path: str | Path) -> dict[str, np.ndarray]:
    """Our CSV loss log as columns (numbers as float arrays, NaN where empty; `phase` as strings)."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns: dict[str, np.ndarray] = {}
    for name in LOG_COLUMNS:
        values = [row.get(name, "") for row in rows]
        if name == "phase":
            columns[name] = np.array(values, dtype=object)
        else:
            columns[name] = np.array([float(v) if v not in ("", None) else np.nan for v in values], dtype=float)
    return columns


def plot_training_curves(log: dict[str, np.ndarray], path: str | Path | None = None, note: str | None = None):
    """Perceptual (g_loss), content, 1e-3 x adversarial and discriminator loss per epoch; saves PNG."""
    from matplotlib.figure import Figure

    epochs = log["epoch"]
    fig = Figure(figsize=(11, 3.8))
    ax_g, ax_d = fig.subplots(1, 2)
    ax_g.plot(epochs, log["g_loss"], label="generator (perceptual / MSE in pre-training)")
    ax_g.plot(epochs, log["content_loss"], label="content", linestyle="--")
    ax_g.plot(epochs, 1e-3 * log["adv_loss"], label="1e-3 x adversarial", linestyle=":")
    ax_g.set_xlabel("epoch")
    ax_g.set_ylabel("loss (log scale)")
    if np.nanmin(np.concatenate([log["g_loss"], log["content_loss"]]), initial=np.inf) > 0:
        ax_g.set_yscale("log")
    ax_g.legend(fontsize=8)
    ax_d.plot(epochs, log["d_loss"], color="tab:red", label="discriminator")
    ax_d.plot(epochs, log["d_real"], color="tab:green", label="D(real)", linestyle="--")
    ax_d.plot(epochs, log["d_fake"], color="tab:purple", label="D(fake)", linestyle=":")
    ax_d.set_xlabel("epoch")
    ax_d.legend(fontsize=8)
    pretrain = epochs[log["phase"] == "pretrain"]
    if len(pretrain):
        for ax in (ax_g, ax_d):
            ax.axvspan(pretrain.min() - 0.5, pretrain.max() + 0.5, color="0.9", zorder=0)
    title = "Training losses" + (f" - {note}" if note else "")
    fig.suptitle(title, color="darkred" if note else "black", fontsize=10)
    fig.tight_layout()
    if path is not None:
        from .fileio import atomic_path

        path = Path(path)
        with atomic_path(path, suffix=path.suffix) as tmp:
            fig.savefig(tmp, dpi=110, format=path.suffix.lstrip("."))
    return fig
