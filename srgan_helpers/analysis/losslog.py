"""The per-epoch loss log: one reader for our CSV and the original project's text format, and the writer
the training driver appends to.

Ours: `loss_log.csv` with the columns of LOG_COLUMNS. The original's, one line per epoch:
`EPOCH 12\\td_loss 7.9721\\tgan_loss [0.0571, 0.0555, 1.6012]` (perceptual, content, adversarial).
"""

from __future__ import annotations

import csv
import io
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..fileio import write_text_atomic

LOG_COLUMNS = ("epoch", "phase", "step", "d_loss", "g_loss", "content_loss", "adv_loss", "d_real", "d_fake",
               "learning_rate", "seconds", "images_per_s")
HEADER = ",".join(LOG_COLUMNS)
ORIGINAL_LINE = re.compile(r"^EPOCH\s+(?P<epoch>\d+)\s+d_loss\s+(?P<d>\S+)\s+gan_loss\s+\["
                           r"(?P<g>[^,\]]+),(?P<c>[^,\]]+),(?P<a>[^,\]]+?)\s*(?P<close>\])?\s*$")


@dataclass
class LossLog:
    """Columns of a loss log, the lines that could not be read (line number, text, reason), and notes on
    lines read despite a flaw (line number, note)."""

    columns: dict[str, np.ndarray]
    source: str
    format: str
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)

    def __getitem__(self, key):
        return self.columns[key]

    def __len__(self):
        return len(self.columns["epoch"])

    def has(self, key: str) -> bool:
        """True when column `key` holds at least one number (the original's logs have no D(real)/D(fake))."""
        return key in self.columns and bool(np.isfinite(np.asarray(self.columns[key], dtype=float)).any())


def load_log(path: str | Path, warn: bool = True) -> LossLog:
    """Read our CSV log or the original project's format (auto-detected). Malformed lines are kept as
    `problems` with their line numbers and reported with one warning; they never stop the reading."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such loss log (a run folder's loss_log.csv or an original log)")
    text = path.read_text(errors="replace").removeprefix("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.startswith("epoch,") or _headerless_row(first):
        log = _columns_from_csv(text, path)
    else:
        log = _read_original(text, path)
    if log.problems and warn:
        shown = "; ".join(f"line {n}: {reason}" for n, _, reason in log.problems[:5])
        more = f" (and {len(log.problems) - 5} more)" if len(log.problems) > 5 else ""
        warnings.warn(f"{path}: skipped {len(log.problems)} malformed line(s): {shown}{more}", stacklevel=2)
    return log


def _headerless_row(line: str) -> bool:
    """A CSV row of ours whose header line was lost."""
    fields = line.split(",")
    return len(fields) == len(LOG_COLUMNS) and fields[0].isdigit() and fields[1] in ("pretrain", "gan")


def read_csv_rows(text: str) -> tuple[list[dict[str, str]], list[tuple[int, str, str]], list[tuple[int, str]]]:
    """(rows as strings, problems, notes) of our CSV log. A missing header line is noted, and the rows are
    read in the standard column order."""
    lines = text.splitlines()
    notes, start = [], 2
    if lines and not lines[0].startswith("epoch,"):
        notes.append((1, "header line missing: columns read in the standard order"))
        lines, start = [HEADER] + lines, 1
    rows, problems = [], []
    for line_no, row in enumerate(csv.DictReader(lines), start=start):
        if None in row or any(v is None for v in row.values()):
            problems.append((line_no, ",".join(str(v) for v in row.values()), "wrong number of fields"))
        elif not (row.get("epoch") or "").isdigit():
            problems.append((line_no, ",".join(row.values()), "no epoch number"))
        else:
            if "lr" in row:  # logs written before 0.3 named the learning rate "lr"
                row["learning_rate"] = row.pop("lr")
            rows.append(row)
    return rows, problems, notes


def _number(text: str) -> float:
    try:
        return float(text) if text not in ("", None) else np.nan
    except ValueError:
        return np.nan


def _columns_from_csv(text: str, path: Path) -> LossLog:
    rows, problems, notes = read_csv_rows(text)
    columns = {k: np.array([(r.get(k) or "") if k == "phase" else _number(r.get(k, "")) for r in rows],
                           dtype=object if k == "phase" else float) for k in LOG_COLUMNS}
    return LossLog(columns, str(path), "csv", problems, notes)


def _read_original(text: str, path: Path) -> LossLog:
    rows, problems, notes = [], [], []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = ORIGINAL_LINE.match(line.strip())
        if not match:
            problems.append((line_no, line, "not 'EPOCH n  d_loss x  gan_loss [p, c, a]'"))
            continue
        try:
            rows.append(tuple(float(match[k]) for k in ("epoch", "d", "g", "c", "a")))
        except ValueError as exc:
            problems.append((line_no, line, f"unreadable number ({exc})"))
            continue
        if match["close"] is None:
            notes.append((line_no, f"epoch {match['epoch']}: closing ']' missing; all three losses read"))
    arr = np.array(rows, dtype=float).reshape(-1, 5)
    n = len(arr)
    nan = np.full(n, np.nan)
    columns = {"epoch": arr[:, 0], "phase": np.array(["gan"] * n, dtype=object), "step": nan.copy(),
               "d_loss": arr[:, 1], "g_loss": arr[:, 2], "content_loss": arr[:, 3], "adv_loss": arr[:, 4],
               "d_real": nan.copy(), "d_fake": nan.copy(), "learning_rate": nan.copy(), "seconds": nan.copy(),
               "images_per_s": nan.copy()}
    return LossLog(columns, str(path), "original", problems, notes)


class LossLogWriter:
    """The training run's CSV log: appended and fsynced every epoch; cut back to a checkpoint on resume."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def rows(self) -> list[dict[str, str]]:
        """The log's rows. A log whose header line was lost is read (and rewritten with its header); one
        that is not a log at all is refused, never emptied."""
        if not self.path.is_file():
            return []
        text = self.path.read_text(errors="replace").removeprefix("\ufeff")  # a spreadsheet may add a BOM
        if not text.strip():
            return []
        first = text.splitlines()[0]
        if not (first.startswith("epoch,") or _headerless_row(first)):
            raise ValueError(f"{self.path} does not start with the loss-log header ({HEADER}) and its first line "
                             f"is not a log row: it is not ours, or damaged. Move it aside (nothing was changed).")
        rows, problems, notes = read_csv_rows(text)
        if notes:
            warnings.warn(f"{self.path}: {notes[0][1]}; the header is written back, no row is dropped", stacklevel=3)
        if problems:
            shown = "; ".join(f"line {n}: {reason} ({line[:60]!r})" for n, line, reason in problems[:3])
            warnings.warn(f"{self.path}: {len(problems)} unreadable row(s) left out of the log: {shown}. Their epochs "
                          f"have no row now; the checkpoints are unaffected", stacklevel=3)
        return rows

    def truncate(self, epochs_done: int) -> None:
        """Keep exactly the rows of epochs 1..epochs_done (drops rows written after the checkpoint)."""
        kept = [r for r in self.rows() if int(r["epoch"]) <= epochs_done]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=LOG_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
        write_text_atomic(self.path, buffer.getvalue())

    def append(self, row: dict) -> None:
        with open(self.path, "a", newline="") as handle:
            csv.DictWriter(handle, fieldnames=LOG_COLUMNS, extrasaction="ignore", lineterminator="\n").writerow(row)
            handle.flush()
            os.fsync(handle.fileno())
