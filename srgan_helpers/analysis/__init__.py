"""Loss analysis: which loss model a log follows, saturation spans, and the loss figure (perceptual,
content, 1e-3 x adversarial and discriminator loss, with a zoomed window). Reading logs: `losslog`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .losslog import LOG_COLUMNS, LossLog, load_log
from .saturation import LossModel, detect_saturation, saturation_report

__all__ = ["LOG_COLUMNS", "LossLog", "load_log", "LossModel", "detect_saturation", "saturation_report",
           "loss_model_for", "figure_note_for", "plot_training_curves", "save_figure", "smooth"]


def _run_config(log_path: str | Path):
    """The TrainConfig saved beside a run's loss log, or None (an original log, or no config.json)."""
    from ..config import TrainConfig

    path = Path(log_path).parent / "config.json"
    try:
        return TrainConfig.from_json(path) if path.is_file() else None
    except ValueError:
        return None


def loss_model_for(log: LossLog) -> LossModel:
    """How `log`'s losses were computed: the original's clipped BCE and labels for an original-format log,
    our logit BCE and the run's own labels (from config.json beside it) for ours."""
    if log.format == "original":
        return LossModel()
    cfg = _run_config(log.source)
    return LossModel.from_config(cfg) if cfg is not None else LossModel(epsilon=None, d_loss_is_mean=False)


def figure_note_for(log: LossLog) -> str | None:
    """The RANDOM WEIGHTS label for a log of a run trained with random VGG features (None otherwise)."""
    from ..networks import figure_note

    cfg = _run_config(log.source) if log.format == "csv" else None
    return figure_note(cfg) if cfg is not None else None


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average over `window` epochs (NaN-aware); window <= 1 returns the values."""
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) == 0:
        return values
    ok = np.isfinite(values)
    kernel = np.ones(window)
    sums = np.convolve(np.where(ok, values, 0.0), kernel, mode="same")
    counts = np.convolve(ok.astype(float), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)



def _draw(ax_g, ax_d, cols, window, log_scale, sel=None):
    epochs = cols["epoch"] if sel is None else cols["epoch"][sel]

    def pick(key):
        values = smooth(cols[key], window)
        return values if sel is None else values[sel]

    has_pretraining = bool((np.asarray(cols["phase"]) == "pretrain").any())
    ax_g.plot(epochs, pick("g_loss"), label="perceptual (MSE in pre-training)" if has_pretraining else "perceptual")
    ax_g.plot(epochs, pick("content_loss"), label="content", linestyle="--")
    ax_g.plot(epochs, 1e-3 * pick("adv_loss"), label="1e-3 x adversarial", linestyle=":")
    ax_d.plot(epochs, pick("d_loss"), color="tab:red", label="discriminator")
    if np.isfinite(cols["d_real"]).any():
        ax_d.plot(epochs, pick("d_real"), color="tab:green", label="D(real)", linestyle="--")
        ax_d.plot(epochs, pick("d_fake"), color="tab:purple", label="D(fake)", linestyle=":")
    positive = np.concatenate([pick("g_loss"), pick("content_loss")])
    if log_scale and np.nanmin(positive, initial=np.inf) > 0:
        ax_g.set_yscale("log")
    for ax in (ax_g, ax_d):
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    ax_g.set_ylabel("generator losses" + (" (log)" if ax_g.get_yscale() == "log" else ""))
    ax_d.set_ylabel("discriminator")


def plot_training_curves(log, path: str | Path | None = None, note: str | None = None, zoom=None,
                         smooth_window: int = 1, log_scale: bool = True, saturation: list[dict] | None = None):
    """The loss figure: generator losses | discriminator, plus a zoomed row for `zoom=(first, last)` epochs.
    Pre-training epochs are shaded; saturated spans are shaded red and labelled. Saves PNG (and SVG when
    `path` ends in .svg, or both when asked via a list of paths)."""
    from matplotlib.figure import Figure

    cols = log.columns if isinstance(log, LossLog) else log
    note = note if note is not None else (figure_note_for(log) if isinstance(log, LossLog) else None)
    rows = 2 if zoom else 1
    fig = Figure(figsize=(11, 3.8 * rows))
    axes = fig.subplots(rows, 2, squeeze=False)
    _draw(axes[0, 0], axes[0, 1], cols, smooth_window, log_scale)
    epochs = cols["epoch"]
    pretrain = epochs[cols["phase"] == "pretrain"]
    if len(pretrain):
        for ax in axes[0]:
            ax.axvspan(pretrain.min() - 0.5, pretrain.max() + 0.5, color="0.9", zorder=0)
    for span in saturation or []:
        for ax in axes[0]:
            ax.axvspan(span["start"], span["end"], color="red", alpha=0.08, zorder=0)
        axes[0, 1].annotate("saturated", xy=(span["start"], 0.95), xycoords=("data", "axes fraction"), fontsize=7,
                            color="darkred")
    if zoom:
        first, last = zoom
        sel = (epochs >= first) & (epochs <= last)
        if sel.any():
            _draw(axes[1, 0], axes[1, 1], cols, smooth_window, log_scale, sel)
            axes[1, 0].set_title(f"zoom: epochs {first}-{last}", fontsize=9)
        else:
            axes[1, 0].text(0.5, 0.5, f"no epochs in {first}-{last}", ha="center", transform=axes[1, 0].transAxes)
    source = f" of {Path(log.source).name}" if isinstance(log, LossLog) else ""
    title = f"Training losses{source}" + (f" (smoothed over {smooth_window})" if smooth_window > 1 else "")
    fig.suptitle(title + (f" - {note}" if note else ""), color="darkred" if note else "black", fontsize=10)
    fig.tight_layout()
    for target in ([path] if isinstance(path, (str, Path)) else (path or [])):
        save_figure(fig, target)
    return fig


def save_figure(fig, path: str | Path) -> Path:
    """Write a matplotlib figure atomically; the format follows the suffix (.png, .svg, .pdf)."""
    from ..fileio import atomic_path

    path = Path(path)
    with atomic_path(path, suffix=path.suffix) as tmp:
        fig.savefig(tmp, dpi=110, format=path.suffix.lstrip("."))
    return path
