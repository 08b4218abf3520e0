"""Tiled super-resolution with cross-faded seams and bounded memory.

Each tile of `tile` LR pixels is run with `overlap` pixels of context on every side; neighbouring tiles
are cross-faded with linear ramps over `overlap` pixels around each seam (weights sum to one), so the
result has no seams. When overlap/2 covers the generator's receptive field, tiled output equals untiled
output.

Memory: the input stays uint8 (each window is converted to float on its own); floats exist only for the
tile being blended (its window at the output scale) and for the seam strips still waiting for a
neighbour: the strip below the current row of tiles (2 x overlap/2 x scale rows of the output's width)
and the strip right of the current tile. Finished pixels go to `sink(top_row, left_col, uint8 block)` at
once, so no float copy of the whole image is ever made.
"""

from __future__ import annotations

import numpy as np


def seam_weights(length: int, core_start: int, core_end: int, blend: int) -> np.ndarray:
    """1-D weights over [core_start - blend, core_end + blend) for one tile of a row of tiles.

    Inside the image, edges ramp linearly across 2*blend pixels so neighbours sum to 1; at the
    image border the weight stays 1."""
    lo, hi = max(0, core_start - blend), min(length, core_end + blend)
    x = np.arange(lo, hi, dtype=np.float64) + 0.5
    w = np.ones(hi - lo)
    if core_start > 0 and blend:
        w = np.minimum(w, (x - (core_start - blend)) / (2 * blend))
    if core_end < length and blend:
        w = np.minimum(w, ((core_end + blend) - x) / (2 * blend))
    return np.clip(w, 0.0, 1.0).astype(np.float32)


def to_uint8(values: np.ndarray) -> np.ndarray:
    """[-1, 1] floats -> uint8 (clip, round)."""
    return np.clip(np.round((values + 1.0) * 127.5), 0, 255).astype(np.uint8)


def _as_float(window: np.ndarray) -> np.ndarray:
    if window.dtype == np.uint8:
        return window.astype(np.float32) * np.float32(1 / 127.5) - np.float32(1.0)
    return window.astype(np.float32, copy=False)


class _Seams:
    """The float strips still waiting for a neighbour's contribution."""

    def __init__(self, strip_rows: int, width: int, channels: int):
        self.below = np.zeros((strip_rows, width, channels), np.float32)  # under the current row of tiles
        self.right: np.ndarray | None = None  # right of the previous tile in this row (all its rows)


def upscale_tiled(predict, lr: np.ndarray, scale: int, tile: int = 192, overlap: int = 32, out=None, sink=None,
                  on_tile=None):
    """Super-resolve `lr` (H, W, C): uint8, or float32 in [-1, 1]) with `predict(batch) -> batch` tile by tile.

    Results go to `sink(top, left, uint8 block)` when given, else into `out` (uint8 or float32 array of
    shape (H*s, W*s, C)), else into a new float32 array that is returned. `on_tile()` is called after
    each tile (progress bars)."""
    if tile < 1 or overlap < 0:
        raise ValueError(f"tile={tile} must be >= 1 and overlap={overlap} >= 0")
    h, w, c = lr.shape
    if sink is None:
        out = out if out is not None else np.empty((h * scale, w * scale, c), np.float32)
        sink = _array_sink(out)
    blend = min(overlap // 2, tile // 2)
    seams = _Seams(2 * blend * scale, w * scale, c)
    for y0 in range(0, h, tile):
        seams.right = None
        for x0 in range(0, w, tile):
            core = (y0, min(y0 + tile, h), x0, min(x0 + tile, w))
            _blend_tile(predict, lr, scale, core, overlap, blend, seams, sink)
            if on_tile:
                on_tile()
    return out


def _array_sink(out: np.ndarray):
    def write(top: int, left: int, block: np.ndarray) -> None:
        region = out[top:top + block.shape[0], left:left + block.shape[1]]
        region[...] = to_uint8(block) if out.dtype == np.uint8 else block
    return write


def _blend_tile(predict, lr, s, core, overlap, blend, seams: _Seams, sink) -> None:
    """Add one tile's weighted prediction to its waiting seams; hand on what is finished, keep the rest."""
    h, w = lr.shape[:2]
    y0, y1, x0, x1 = core
    ry0, ry1, rx0, rx1 = max(0, y0 - blend), min(h, y1 + blend), max(0, x0 - blend), min(w, x1 + blend)
    wy0, wy1, wx0, wx1 = max(0, y0 - overlap), min(h, y1 + overlap), max(0, x0 - overlap), min(w, x1 + overlap)
    pred = predict(_as_float(lr[None, wy0:wy1, wx0:wx1]))[0]
    acc = pred[(ry0 - wy0) * s:(ry1 - wy0) * s, (rx0 - wx0) * s:(rx1 - wx0) * s].astype(np.float32)
    acc *= np.repeat(seam_weights(h, y0, y1, blend), s)[:, None, None]
    acc *= np.repeat(seam_weights(w, x0, x1, blend), s)[None, :, None]
    left_done = x0 + blend if x0 > 0 else 0  # columns before this were met by the previous tile already
    if y0 > 0:  # the strip left under the previous row of tiles
        rows = (min(y0 + blend, h) - ry0) * s
        acc[:rows, (left_done - rx0) * s:] += seams.below[:rows, left_done * s:rx1 * s]
    if seams.right is not None:  # the previous tile's right edge
        acc[:, :seams.right.shape[1]] += seams.right
    keep_rows = (ry1 - (y1 - blend)) * s if y1 < h else 0
    keep_cols = (rx1 - (x1 - blend)) * s if x1 < w else 0
    done_rows, done_cols = acc.shape[0] - keep_rows, acc.shape[1] - keep_cols
    if done_rows and done_cols:
        sink(ry0 * s, rx0 * s, acc[:done_rows, :done_cols])
    if keep_rows:
        seams.below[:keep_rows, rx0 * s:rx0 * s + done_cols] = acc[done_rows:, :done_cols]
    seams.right = acc[:, done_cols:].copy() if keep_cols else None


def tile_count(h: int, w: int, tile: int) -> int:
    return -(-h // tile) * -(-w // tile)
