"""Whole images of any size in one memory-mapped file per resolution, so a set larger than RAM (DIV2K's
800 photos hold ~3.5 GB of HR pixels) can be sampled patch by patch without loading it.

A pack is a folder with `hr.u8` and `lr.u8` (every image's uint8 RGB pixels, one after another) and
`index.json` (name, HR height and width, byte offsets). The operating system pages in only the patches
that are read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..fileio import fsync_file, make_shareable, write_text_atomic

INDEX = "index.json"


class PackWriter:
    """Append (HR, LR) uint8 images to a new pack in `folder` (a temp folder renamed when complete)."""

    def __init__(self, folder: str | Path, scale: int):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.scale = scale
        self.records: list[dict] = []
        self._files = {k: open(self.folder / f"{k}.u8", "wb") for k in ("hr", "lr")}
        self._offsets = {"hr": 0, "lr": 0}

    def add(self, name: str, hr: np.ndarray, lr: np.ndarray) -> None:
        h, w = hr.shape[:2]
        if lr.shape[:2] != (h // self.scale, w // self.scale) or h % self.scale or w % self.scale:
            raise ValueError(f"{name}: HR {w}x{h} and LR {lr.shape[1]}x{lr.shape[0]} are not x{self.scale} apart")
        record = {"name": name, "height": h, "width": w}
        for key, image in (("hr", hr), ("lr", lr)):
            data = np.ascontiguousarray(image, dtype=np.uint8)
            record[f"{key}_offset"] = self._offsets[key]
            self._files[key].write(data.tobytes())
            self._offsets[key] += data.nbytes
        self.records.append(record)

    def close(self) -> None:
        for key, handle in self._files.items():
            handle.close()
            fsync_file(self.folder / f"{key}.u8")
            make_shareable(self.folder / f"{key}.u8")
        index = {"format": 1, "scale": self.scale, "images": self.records,
                 "bytes": {k: self._offsets[k] for k in ("hr", "lr")}}
        write_text_atomic(self.folder / INDEX, json.dumps(index) + "\n")


class PackedImages:
    """Read-only, memory-mapped view of a pack: crops come straight from the mapped file."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        index_path = self.folder / INDEX
        if not index_path.is_file():
            raise FileNotFoundError(f"{index_path} not found: re-run preprocess (notebook 01) for this set")
        try:
            index = json.loads(index_path.read_text())
            records = index["images"]
            self.scale = int(index["scale"])
            self.names = [r["name"] for r in records]
            self._table = np.array([[r["height"], r["width"], r["hr_offset"], r["lr_offset"]] for r in records],
                                   dtype=np.int64).reshape(-1, 4)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{index_path} is corrupt ({exc}); re-run preprocess with overwrite=True") from exc
        self._bytes = {k: int(index["bytes"][k]) for k in ("hr", "lr")}
        self._maps = {k: self._map(k, self._bytes[k]) for k in ("hr", "lr")}

    def check_intact(self) -> None:
        """ValueError naming the file when a pack file no longer has its indexed size (truncated or replaced
        while training: reading the mapped pages past its new end would kill the process with SIGBUS)."""
        for key, expected in self._bytes.items():
            path = self.folder / f"{key}.u8"
            try:
                size = os.path.getsize(path)
            except OSError:
                size = -1
            if size != expected:
                raise ValueError(f"{path} now holds {size} bytes, its index says {expected}: the set was changed "
                                 f"while in use; re-run preprocess with overwrite=True")

    def _map(self, key: str, expected: int) -> np.memmap:
        path = self.folder / f"{key}.u8"
        size = os.path.getsize(path) if path.is_file() else -1
        if size != expected:
            raise ValueError(f"{path} holds {size} bytes, its index says {expected}: the set is damaged; re-run "
                             f"preprocess with overwrite=True")
        return np.memmap(path, dtype=np.uint8, mode="r")

    def __len__(self) -> int:
        return len(self.names)

    def __getstate__(self):  # a worker process maps the files itself instead of receiving their bytes
        return {k: v for k, v in self.__dict__.items() if k != "_maps"}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._maps = {k: np.memmap(self.folder / f"{k}.u8", dtype=np.uint8, mode="r") for k in ("hr", "lr")}

    @property
    def hr_sizes(self) -> np.ndarray:
        """(N, 2) HR heights and widths."""
        return self._table[:, :2]

    def image(self, i: int, key: str = "hr") -> np.ndarray:
        """Image `i` (HR or LR) as a read-only (H, W, 3) view of the mapped file."""
        h, w, hr_offset, lr_offset = (int(v) for v in self._table[i])
        if key == "lr":
            h, w, offset = h // self.scale, w // self.scale, lr_offset
        else:
            offset = hr_offset
        return self._maps[key][offset:offset + h * w * 3].reshape(h, w, 3)
