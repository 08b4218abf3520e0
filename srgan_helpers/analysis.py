"""Loss logs: read ours (CSV) and the original project's text format, find a saturated discriminator,
and plot perceptual, content, 1e-3 x adversarial and discriminator loss with a zoomed window."""

from __future__ import annotations

import csv
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

LOG_COLUMNS = ("epoch", "phase", "step", "d_loss", "g_loss", "content_loss", "adv_loss", "d_real", "d_fake",
               "lr", "seconds", "images_per_s")
ORIGINAL_LINE = re.compile(
    r"^EPOCH\s+(?P<epoch>\d+)\s+d_loss\s+(?P<d>\S+)\s+gan_loss\s+\[(?P<g>[^,\]]+),(?P<c>[^,\]]+),(?P<a>[^,\]]+)\]\s*$")


@dataclass
class LossLog:
    """Columns of a loss log plus the lines that could not be read (line number, text, reason)."""

    columns: dict[str, np.ndarray]
    source: str
    format: str
    problems: list[tuple[int, str, str]] = field(default_factory=list)

    def __getitem__(self, key):
        return self.columns[key]

    def __len__(self):
        return len(self.columns["epoch"])


def _float(text: str) -> float:
    return float(text) if text not in ("", None) else np.nan


def read_loss_log(path: str | Path) -> dict[str, np.ndarray]:
    """Our CSV loss log as columns (numbers as float arrays, NaN where empty; `phase` as strings)."""
    return load_log(path).columns


def load_log(path: str | Path) -> LossLog:
    """Read our CSV log or the original project's format (auto-detected). Malformed lines are kept as
    `problems` with their line numbers and reported with one warning; they never stop the reading."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such loss log (a run folder's loss_log.csv or an original log)")
    text = path.read_text(errors="replace")
    first = next((line for line in text.splitlines() if line.strip()), "")
    log = _read_csv(text, path) if first.startswith("epoch,") else _read_original(text, path)
    if log.problems:
        shown = "; ".join(f"line {n}: {reason}" for n, _, reason in log.problems[:5])
        more = f" (and {len(log.problems) - 5} more)" if len(log.problems) > 5 else ""
        warnings.warn(f"{path}: skipped {len(log.problems)} malformed line(s): {shown}{more}", stacklevel=2)
    return log


def _read_csv(text: str, path: Path) -> LossLog:
    rows, problems = [], []
    reader = csv.DictReader(text.splitlines())
    for line_no, row in enumerate(reader, start=2):
        try:
            if None in row or any(v is None for v in row.values()):
                raise ValueError("wrong number of fields")
            parsed = {k: (row.get(k) or "") if k == "phase" else _float(row.get(k, "")) for k in LOG_COLUMNS}
            if not np.isfinite(parsed["epoch"]):
                raise ValueError("no epoch number")
            rows.append(parsed)
        except ValueError as exc:
            problems.append((line_no, ",".join(str(v) for v in row.values()), str(exc)))
    columns = {k: np.array([r[k] for r in rows], dtype=object if k == "phase" else float) for k in LOG_COLUMNS}
    return LossLog(columns, str(path), "csv", problems)


def _read_original(text: str, path: Path) -> LossLog:
    """`EPOCH 12\\td_loss 7.9721\\tgan_loss [0.0571, 0.0555, 1.6012]` (perceptual, content, adversarial)."""
    rows, problems = [], []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = ORIGINAL_LINE.match(line.strip())
        if not match:
            problems.append((line_no, line, "not 'EPOCH n  d_loss x  gan_loss [p, c, a]'"))
            continue
        try:
            rows.append((int(match["epoch"]), float(match["d"]), float(match["g"]), float(match["c"]),
                         float(match["a"])))
        except ValueError as exc:
            problems.append((line_no, line, f"unreadable number ({exc})"))
    arr = np.array(rows, dtype=float).reshape(-1, 5)
    n = len(arr)
    nan = np.full(n, np.nan)
    columns = {"epoch": arr[:, 0], "phase": np.array(["gan"] * n, dtype=object), "step": nan.copy(),
               "d_loss": arr[:, 1], "g_loss": arr[:, 2], "content_loss": arr[:, 3], "adv_loss": arr[:, 4],
               "d_real": nan.copy(), "d_fake": nan.copy(), "lr": nan.copy(), "seconds": nan.copy(),
               "images_per_s": nan.copy()}
    return LossLog(columns, str(path), "original", problems)


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


def detect_saturation(log, window: int = 50, flat_tol: float = 1e-3, pinned: float = 0.02) -> list[dict]:
    """Spans where the discriminator is saturated: D(real)/D(fake) pinned within `pinned` of 0 or 1, or the
    adversarial loss and d_loss flat (std < flat_tol x mean) over at least `window` consecutive epochs.

    Returns [{"start": epoch, "end": epoch, "kind": ..., "detail": ...}]; empty when training looks alive.
    """
    cols = log.columns if isinstance(log, LossLog) else log
    epochs = np.asarray(cols["epoch"], dtype=float)
    gan = np.array([p != "pretrain" for p in cols["phase"]])
    spans = []
    d_real, d_fake = np.asarray(cols["d_real"], float), np.asarray(cols["d_fake"], float)
    if np.isfinite(d_real).any():
        stuck = gan & (((d_real > 1 - pinned) & (d_fake < pinned)) | ((d_real < pinned) & (d_fake > 1 - pinned)))
        spans += [dict(s, kind="pinned", detail=f"D(real)/D(fake) within {pinned} of 1/0")
                  for s in _runs(stuck, epochs, window)]
    adv, d_loss = np.asarray(cols["adv_loss"], float), np.asarray(cols["d_loss"], float)
    if len(adv) >= window:
        flat = np.zeros(len(adv), dtype=bool)
        for i in range(len(adv) - window + 1):
            a, d = adv[i:i + window], d_loss[i:i + window]
            if (np.all(np.isfinite(a)) and np.all(np.isfinite(d)) and gan[i:i + window].all()
                    and np.std(a) < flat_tol * max(abs(np.mean(a)), 1e-8)
                    and np.std(d) < flat_tol * max(abs(np.mean(d)), 1e-8) * 10):
                flat[i:i + window] = True
        for span in _runs(flat, epochs, window):
            sel = (epochs >= span["start"]) & (epochs <= span["end"])
            spans.append(dict(span, kind="flat", detail=f"adversarial ~{np.mean(adv[sel]):.3g}, d_loss "
                                                         f"~{np.mean(d_loss[sel]):.3g} without change"))
    return sorted(spans, key=lambda s: s["start"])


def _runs(mask: np.ndarray, epochs: np.ndarray, min_len: int) -> list[dict]:
    runs, start = [], None
    for i, flag in enumerate(list(mask) + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start >= min_len:
                runs.append({"start": int(epochs[start]), "end": int(epochs[i - 1])})
            start = None
    return runs


def saturation_report(spans: list[dict]) -> str:
    if not spans:
        return "No saturated discriminator found: D(real), D(fake) and the adversarial loss keep moving."
    lines = [f"- epochs {s['start']}-{s['end']}: {s['kind']} ({s['detail']})" for s in spans]
    return "Saturated discriminator (the generator gets no useful adversarial gradient there):\n" + "\n".join(lines)


def _draw(ax_g, ax_d, cols, window, log_scale, sel=None):
    epochs = cols["epoch"] if sel is None else cols["epoch"][sel]

    def pick(key):
        values = smooth(cols[key], window)
        return values if sel is None else values[sel]

    ax_g.plot(epochs, pick("g_loss"), label="perceptual (MSE in pre-training)")
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
        axes[0, 1].annotate(f"saturated ({span['kind']})", xy=(span["start"], 0.95), xycoords=("data", "axes fraction"),
                            fontsize=7, color="darkred")
    if zoom:
        first, last = zoom
        sel = (epochs >= first) & (epochs <= last)
        if sel.any():
            _draw(axes[1, 0], axes[1, 1], cols, smooth_window, log_scale, sel)
            axes[1, 0].set_title(f"zoom: epochs {first}-{last}", fontsize=9)
        else:
            axes[1, 0].text(0.5, 0.5, f"no epochs in {first}-{last}", ha="center", transform=axes[1, 0].transAxes)
    title = "Training losses" + (f" (smoothed over {smooth_window})" if smooth_window > 1 else "")
    fig.suptitle(title + (f" - {note}" if note else ""), color="darkred" if note else "black", fontsize=10)
    fig.tight_layout()
    for target in ([path] if isinstance(path, (str, Path)) else (path or [])):
        save_figure(fig, target)
    return fig


def save_figure(fig, path: str | Path) -> Path:
    """Write a matplotlib figure atomically; the format follows the suffix (.png, .svg, .pdf)."""
    from .fileio import atomic_path

    path = Path(path)
    with atomic_path(path, suffix=path.suffix) as tmp:
        fig.savefig(tmp, dpi=110, format=path.suffix.lstrip("."))
    return path
