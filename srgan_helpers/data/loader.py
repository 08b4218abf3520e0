"""Batches of (lr, hr) float32 in [-1, 1] from a prepared set (fixed pairs in memory, or patches of whole
images read from a memory-mapped pack); numpy only (no TensorFlow import).

Order, crops and flips of epoch e depend only on (seed, e): any epoch can be replayed, and a run can
resume at any step of it. A background thread prefetches batches so the accelerator never waits; with
`workers` > 0, worker processes make them (data/workers.py), the same batches in the same order.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from ..images import bicubic_resize, list_images, load_uint8, uint8_to_float
from .degrade import degrade
from .pack import PackedImages
from .preprocess import SPLITS, read_manifest
from .tones import tone_patch


@dataclasses.dataclass
class PairSet:
    """Fixed-size pairs held in memory as uint8 arrays: hr (N, H, W, 3), lr (N, H/s, W/s, 3)."""

    hr: np.ndarray
    lr: np.ndarray
    names: list[str]

    @property
    def scale(self) -> int:
        return self.hr.shape[1] // self.lr.shape[1]

    @property
    def hr_sizes(self) -> np.ndarray:
        return np.tile(np.array(self.hr.shape[1:3], dtype=np.int64), (len(self), 1))

    def image(self, i: int, key: str = "hr") -> np.ndarray:
        return (self.hr if key == "hr" else self.lr)[i]

    def __len__(self) -> int:
        return len(self.names)


def load_pairs(data_dir: str | Path, split: str = "train", limit: int | None = None) -> PairSet:
    """Read a fixed-crop set's `<data_dir>/<split>/{hr,lr}/*.png` into memory; every file's size is checked."""
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: use one of {SPLITS}")
    hr_dir = Path(data_dir) / split / "hr"
    if not hr_dir.is_dir():
        raise FileNotFoundError(f"{hr_dir} not found: run preprocess (notebook 01) to build {data_dir}")
    paths = list_images(hr_dir, recursive=False)[:limit]
    if not paths:
        raise ValueError(f"{hr_dir} holds no images: re-run preprocess with more images or test_fraction > 0")
    check_digests(Path(data_dir), split, paths)
    hr = [load_uint8(p) for p in paths]
    lr = [load_uint8(hr_dir.parent / "lr" / p.name) for p in paths]
    for path, h, lo in zip(paths, hr, lr):
        if h.shape != hr[0].shape or lo.shape != lr[0].shape:
            raise ValueError(f"{path.name} in {hr_dir.parent}: HR {h.shape[1]}x{h.shape[0]} / LR {lo.shape[1]}x"
                             f"{lo.shape[0]} differ from the set's {hr[0].shape[1]}x{hr[0].shape[0]} / "
                             f"{lr[0].shape[1]}x{lr[0].shape[0]}: the file was changed; re-run preprocess")
    hr, lr = np.stack(hr), np.stack(lr)
    if hr.shape[1] % lr.shape[1] or hr.shape[1] // lr.shape[1] != hr.shape[2] // lr.shape[2]:
        raise ValueError(f"{data_dir}/{split}: HR {hr.shape[1:3]} is not an integer multiple of LR {lr.shape[1:3]}")
    return PairSet(hr=hr, lr=lr, names=[p.name for p in paths])


def check_digests(data_dir: Path, split: str, paths: list[Path]) -> None:
    """ValueError naming the first HR or LR file whose SHA-256 differs from what manifest.json recorded when
    the set was prepared (a file edited or replaced since); sets without recorded digests pass."""
    from ..fileio import file_digest

    try:
        records = {r["name"]: r for r in read_manifest(data_dir).get(split, []) if isinstance(r, dict)}
    except (FileNotFoundError, ValueError):
        return
    for path in paths:
        record = records.get(path.name, {})
        for key, file in (("hr", path), ("lr", path.parent.parent / "lr" / path.name)):
            wanted = record.get(f"{key}_sha256")
            if wanted and file.is_file() and file_digest(file) != wanted:
                raise ValueError(f"{file}: changed after the set was prepared (its SHA-256 differs from "
                                 f"{data_dir / 'manifest.json'}); re-run preprocess with overwrite=True")


def set_mode(data_dir: str | Path) -> str:
    """"fixed" (equal-size pairs, the original's centre crops) or "whole" (whole images in a pack)."""
    return read_manifest(data_dir).get("params", {}).get("mode", "fixed")


def open_split(data_dir: str | Path, split: str = "train"):
    """A split as an image set for BatchLoader: PairSet (fixed-crop sets) or PackedImages (whole images)."""
    if set_mode(data_dir) == "whole":
        return PackedImages(Path(data_dir) / split / "pack")
    return load_pairs(data_dir, split)


def sample_pairs(data_dir: str | Path, n: int, hr_crop: int | None = None) -> PairSet:
    """Up to `n` test pairs (train when the set has no test split) for sample strips: whole pairs of a
    fixed-crop set, or centre crops of `hr_crop` HR pixels of whole images."""
    for split in ("test", "train"):
        try:
            images = open_split(data_dir, split)
        except (FileNotFoundError, ValueError):
            continue
        if len(images):
            break
    else:
        raise ValueError(f"{data_dir} has no images to show")
    n = min(n, len(images))
    if isinstance(images, PairSet) and hr_crop in (None, images.hr.shape[1]):
        return PairSet(images.hr[:n], images.lr[:n], images.names[:n])
    s, side = images.scale, int(hr_crop or images.hr_sizes.min())
    hrs, lrs = [], []
    for i in range(n):
        h, w = images.hr_sizes[i] // s
        y, x, c = (h - side // s) // 2, (w - side // s) // 2, side // s
        lrs.append(np.array(images.image(i, "lr")[y:y + c, x:x + c]))
        hrs.append(np.array(images.image(i, "hr")[y * s:(y + c) * s, x * s:(x + c) * s]))
    return PairSet(np.stack(hrs), np.stack(lrs), list(images.names[:n]))


def dihedral(image: np.ndarray, code: int) -> np.ndarray:
    """One of the 8 flips/90-degree rotations (code 0 is the identity)."""
    out = np.rot90(image, code % 4, axes=(0, 1))
    return out[:, ::-1] if code >= 4 else out


class BatchLoader:
    """Deterministic, resumable batches of aligned (lr, hr) random crops with optional augmentation.

    Args:
        images: a PairSet or PackedImages (anything with scale, hr_sizes, image(i, key), len()).
        batch_size (int): pairs per batch.
        crop_size (int | None): HR patch side (None: the whole pair of a fixed-size set).
        augment (bool): random flips and 90-degree rotations.
        shuffle (bool): a new image order every epoch.
        seed (int): with the epoch number, decides order, crops and flips.
        steps_per_epoch (int | None): batches per epoch (None: one pass over the images).
        tone_fraction (float): the share of each batch made of flat fields and ramps (`tones.tone_patch`),
            their LR made with the package's bicubic; a function of (seed, epoch, step).
        degradation (DegradeRanges | None): make every LR from its HR patch with `degrade.degrade` (blur,
            resize, noise, JPEG; seeded by seed, epoch, step and sample) instead of the stored bicubic LR.
        workers (int): worker processes making batches for `prefetch` (0: the prefetch thread alone).
    """

    def __init__(self, images, batch_size: int, crop_size: int | None = None, augment: bool = False,
                 shuffle: bool = True, seed: int = 0, steps_per_epoch: int | None = None, tone_fraction: float = 0.0,
                 degradation=None, workers: int = 0):
        self.images, self.batch_size, self.augment, self.shuffle, self.seed = images, batch_size, augment, shuffle, seed
        self.degradation, self.workers, self._pool = degradation, workers, None
        self.n_tones = int(round(tone_fraction * batch_size))
        self.scale = images.scale
        smallest = images.hr_sizes.min(axis=0)
        self.crop_size = crop_size or int(smallest.min())
        if self.crop_size % self.scale or self.crop_size > smallest.min():
            raise ValueError(f"crop_size={crop_size} must be a multiple of {self.scale} and <= the smallest HR side "
                             f"{int(smallest.min())}")
        self.steps_per_epoch = steps_per_epoch or max(1, len(images) // batch_size)

    def __getstate__(self):  # what a worker process receives: no pool
        return {**self.__dict__, "_pool": None}

    def epoch_plan(self, epoch: int):
        """Indices, crop offsets (LR pixels) and dihedral codes for every sample of `epoch`."""
        rng = np.random.default_rng([self.seed, epoch])
        n_needed = self.steps_per_epoch * self.batch_size
        n = len(self.images)
        reps = -(-n_needed // n)
        order = np.concatenate([rng.permutation(n) if self.shuffle else np.arange(n) for _ in range(reps)])
        order = order[:n_needed]
        free = self.images.hr_sizes[order] // self.scale - self.crop_size // self.scale + 1
        ys = rng.integers(0, free[:, 0])
        xs = rng.integers(0, free[:, 1])
        codes = rng.integers(0, 8, n_needed) if self.augment else np.zeros(n_needed, dtype=int)
        return order, ys, xs, codes

    def epoch(self, epoch: int, start_step: int = 0):
        """Yield (lr, hr) float32 batches for `epoch`, starting at `start_step`."""
        plan = self.epoch_plan(epoch)
        for step in range(start_step, self.steps_per_epoch):
            yield _to_float(self.batch_uint8(epoch, step, plan))

    def batch_uint8(self, epoch: int, step: int, plan=None) -> tuple[np.ndarray, np.ndarray]:
        """Batch `step` of `epoch` as uint8 (lr, hr): a function of (seed, epoch, step) alone."""
        order, ys, xs, codes = plan if plan is not None else self.epoch_plan(epoch)
        if hasattr(self.images, "check_intact"):  # a pack cut short under us: a named error, not SIGBUS
            self.images.check_intact()
        c, s, b = self.crop_size // self.scale, self.scale, self.batch_size
        stored_lr = self.degradation is None
        hrs = self._tone_patches(epoch, step)
        lrs = [self._bicubic_lr(hr) for hr in hrs] if stored_lr else []
        for j in range(step * b + self.n_tones, (step + 1) * b):
            i, y, x, code = order[j], ys[j], xs[j], codes[j]
            hrs.append(dihedral(self.images.image(i, "hr")[y * s:(y + c) * s, x * s:(x + c) * s], code))
            if stored_lr:
                lrs.append(dihedral(self.images.image(i, "lr")[y:y + c, x:x + c], code))
        if not stored_lr:
            lrs = [degrade(np.ascontiguousarray(hr), np.random.default_rng([self.seed, 5, epoch, step, j]),
                           self.degradation, self.scale) for j, hr in enumerate(hrs)]
        return np.stack(lrs), np.stack(hrs)

    def _tone_patches(self, epoch: int, step: int) -> list[np.ndarray]:
        """The batch's tone patches (HR), seeded by (seed, epoch, step)."""
        rng = np.random.default_rng([self.seed, 3, epoch, step])
        return [tone_patch(rng, self.crop_size) for _ in range(self.n_tones)]

    def _bicubic_lr(self, hr: np.ndarray) -> np.ndarray:
        side = self.crop_size // self.scale
        return np.asarray(bicubic_resize(Image.fromarray(hr), side, side))

    def prefetch(self, epoch: int, start_step: int = 0, buffer: int = 4):
        """`epoch(...)` produced by a background thread, `buffer` batches ahead (made by the worker processes
        when there are any; started on first use, kept until `close`)."""
        if not self.workers:
            return prefetch(self.epoch(epoch, start_step), buffer)
        if self._pool is None:
            from .workers import WorkerPool

            self._pool = WorkerPool(self, self.workers)
        made = self._pool.batches(epoch, start_step, self.steps_per_epoch)
        return prefetch(map(_to_float, made), buffer)

    def close(self) -> None:
        """Stop the worker processes, if any (they also stop when this process ends, however it ends)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def _to_float(batch):
    lr, hr = batch
    return uint8_to_float(lr), uint8_to_float(hr)


_DONE = object()


def _next_handed_over(q: queue.Queue):
    """The next item in the buffer. Ctrl-C (under a command's handler) ends the wait at the next poll: the
    producer may never hand over (its read hangs on a stalled drive)."""
    from .. import interrupts

    while True:
        try:
            return q.get(timeout=0.5)
        except queue.Empty:
            interrupts.check()


def prefetch(iterable, buffer: int = 4):
    """Iterate `iterable` in a daemon thread; errors are re-raised in the consumer."""
    q: queue.Queue = queue.Queue(maxsize=buffer)
    stop = threading.Event()

    def hand_over(item) -> bool:
        """Put `item` in the buffer once there is room; False if the consumer stopped first."""
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in iterable:
                if not hand_over(item):
                    return
            hand_over(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            hand_over(exc)

    thread = threading.Thread(target=produce, daemon=True, name="srgan-prefetch")
    thread.start()
    try:
        while True:
            item = _next_handed_over(q)
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
