"""Run folders: Google Drive on Colab (mounted once), else outputs/<run>; and the runs a user already has."""

from __future__ import annotations

import re
import sys
from pathlib import Path

GENERATOR_NAME = "generator.keras"


def in_colab() -> bool:
    return "google.colab" in sys.modules


def mount_drive(wanted: bool = True) -> bool:
    """Mount Google Drive at /content/drive on Colab when `wanted` (once); False (and a no-op) elsewhere."""
    if not wanted or not in_colab():
        return False
    if not Path("/content/drive/MyDrive").exists():
        from google.colab import drive  # type: ignore[import-not-found]

        drive.mount("/content/drive")
    return True


def run_dir(name: str, drive_dir: str | None = None, output_root: str | Path = "outputs") -> Path:
    """The folder of run `name`: under `drive_dir` (Google Drive is mounted first on Colab), else
    `output_root`. Created if missing; never emptied."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in (".", ".."):
        raise ValueError(f"run name {name!r}: use letters, digits, '_', '-', '.' only")
    root = Path(output_root)
    if drive_dir:
        if str(drive_dir).startswith("/content/drive"):
            mount_drive()
        root = Path(drive_dir)
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def list_runs(*roots: str | Path) -> list[Path]:
    """Run folders below `roots` (default: outputs/) that hold an exported generator, newest first."""
    found = []
    for root in roots or (Path("outputs"),):
        root = Path(root)
        if root.is_dir():
            found += [p.parent for p in root.glob(f"*/{GENERATOR_NAME}") if p.is_file()]
    return sorted(set(found), key=lambda p: (p / GENERATOR_NAME).stat().st_mtime, reverse=True)
