"""Batches of (lr, hr) float32 in [-1, 1] from a preprocessed set; numpy only (no TensorFlow import).

Order, crops and flips of epoch e depend only on (seed, e): any epoch can be replayed, and a run can
resume at any step of it. A background thread prefetches batches so the accelerator never waits.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from pathlib import Path

import numpy as np

from .images import list_images, load_uint8, uint8_to_float
from .preprocess import SPLITS


@dataclasses.dataclass
class PairSet:
    """A split held in memory as uint8 arrays: hr (N, H, W, 3), lr (N, H/s, W/s, 3)."""

    hr: np.ndarray
    lr: np.ndarray
    names: list[str]

    @property
    def scale(self) -> int:
        return self.hr.shape[1] // self.lr.shape[1]

    def __len__(self) -> int:
        return len(self.names)


def load_pairs(data_dir: str | Path, split: str = "train", limit: int | None = None) -> PairSet:
    """Read `<data_dir>/<split>/{hr,lr}/*.png` into memory (sizes checked)."""
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: use one of {SPLITS}")
    hr_dir = Path(data_dir) / split / "hr"
    if not hr_dir.is_dir():
        raise FileNotFoundError(f"{hr_dir} not found: run preprocess (notebook 01) to build {data_dir}")
    paths = list_images(hr_dir, recursive=False)[:limit]
    if not paths:
        raise ValueError(f"{hr_dir} holds no images: re-run preprocess with more images or test_fraction > 0")
    hr = np.stack([load_uint8(p) for p in paths])
    lr = np.stack([load_uint8(hr_dir.parent / "lr" / p.name) for p in paths])
    if hr.shape[1] % lr.shape[1] or hr.shape[1] // lr.shape[1] != hr.shape[2] // lr.shape[2]:
        raise ValueError(f"{data_dir}/{split}: HR {hr.shape[1:3]} is not an integer multiple of LR {lr.shape[1:3]}")
    return PairSet(hr=hr, lr=lr, names=[p.name for p in paths])


def dihedral(image: np.ndarray, code: int) -> np.ndarray:
    """One of the 8 flips/90-degree rotations (code 0 is the identity)."""
    out = np.rot90(image, code % 4, axes=(0, 1))
    return out[:, ::-1] if code >= 4 else out


class BatchLoader:
    """Deterministic, resumable batches of aligned (lr, hr) crops with optional augmentation."""

    def __init__(self, pairs: PairSet, batch_size: int, crop_size: int | None = None, augment: bool = False,
                 shuffle: bool = True, seed: int = 0, steps_per_epoch: int | None = None):
        self.pairs, self.batch_size, self.augment, self.shuffle, self.seed = pairs, batch_size, augment, shuffle, seed
        self.scale = pairs.scale
        self.crop_size = crop_size or pairs.hr.shape[1]
        if self.crop_size % self.scale or self.crop_size > min(pairs.hr.shape[1:3]):
            raise ValueError(f"crop_size={crop_size} must be a multiple of {self.scale} and <= the HR size "
                             f"{pairs.hr.shape[1:3]}")
        natural = max(1, len(pairs) // batch_size)
        self.steps_per_epoch = steps_per_epoch or natural

    def _epoch_plan(self, epoch: int):
        """Indices, crop offsets (LR pixels) and dihedral codes for every sample of `epoch`."""
        rng = np.random.default_rng([self.seed, epoch])
        n_needed = self.steps_per_epoch * self.batch_size
        n = len(self.pairs)
        reps = -(-n_needed // n)
        order = np.concatenate([rng.permutation(n) if self.shuffle else np.arange(n) for _ in range(reps)])
        order = order[:n_needed]
        lr_crop = self.crop_size // self.scale
        h, w = self.pairs.lr.shape[1:3]
        ys = rng.integers(0, h - lr_crop + 1, n_needed)
        xs = rng.integers(0, w - lr_crop + 1, n_needed)
        codes = rng.integers(0, 8, n_needed) if self.augment else np.zeros(n_needed, dtype=int)
        return order, ys, xs, codes

    def epoch(self, epoch: int, start_step: int = 0):
        """Yield (lr, hr) float32 batches for `epoch`, starting at `start_step`."""
        order, ys, xs, codes = self._epoch_plan(epoch)
        c, s, b = self.crop_size // self.scale, self.scale, self.batch_size
        for step in range(start_step, self.steps_per_epoch):
            lrs, hrs = [], []
            for j in range(step * b, (step + 1) * b):
                i, y, x, code = order[j], ys[j], xs[j], codes[j]
                lr = self.pairs.lr[i, y:y + c, x:x + c]
                hr = self.pairs.hr[i, y * s:(y + c) * s, x * s:(x + c) * s]
                if code:
                    lr, hr = dihedral(lr, code), dihedral(hr, code)
                lrs.append(lr)
                hrs.append(hr)
            yield uint8_to_float(np.stack(lrs)), uint8_to_float(np.stack(hrs))

    def prefetch(self, epoch: int, start_step: int = 0, buffer: int = 4):
        """`epoch(...)` produced by a background thread, `buffer` batches ahead."""
        return prefetch(self.epoch(epoch, start_step), buffer)


_DONE = object()


def prefetch(iterable, buffer: int = 4):
    """Iterate `iterable` in a daemon thread; errors are re-raised in the consumer."""
    q: queue.Queue = queue.Queue(maxsize=buffer)
    stop = threading.Event()

    def produce():
        try:
            for item in iterable:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
