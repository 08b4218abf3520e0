"""Tiled super-resolution with cross-faded seams and bounded memory.

Each tile of `tile` LR pixels is run with `overlap` pixels of context on every side; neighbouring tiles
are cross-faded with linear ramps over `overlap` pixels around each seam (weights sum to one), so the
result has no seams. When overlap/2 covers the generator's receptive field, tiled output equals untiled
output. Rows are finished band by band into `out` (which may be a disk-backed memmap), so peak memory
depends on the tile size and the image width, not on the image height.
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


def upscale_tiled(predict, lr: np.ndarray, scale: int, tile: int = 192, overlap: int = 32, out=None,
                  on_tile=None) -> np.ndarray:
    """Super-resolve float32 `lr` (H, W, C) in [-1, 1] with `predict(batch) -> batch` tile by tile.

    Returns float32 (H*s, W*s, C) in [-1, 1], or writes into `out` (uint8, same shape) when given.
    `on_tile()` is called after each tile (progress bars)."""
    if tile < 1 or overlap < 0:
        raise ValueError(f"tile={tile} must be >= 1 and overlap={overlap} >= 0")
    h, w, c = lr.shape
    s = scale
    blend = min(overlap // 2, tile // 2)
    starts_y, starts_x = list(range(0, h, tile)), list(range(0, w, tile))
    result = out if out is not None else np.empty((h * s, w * s, c), np.float32)
    carry = None  # accumulated rows shared with the next band: (first HR row, array)
    for y0 in starts_y:
        y1 = min(y0 + tile, h)
        band_lo, band_hi = max(0, y0 - blend) * s, min(h, y1 + blend) * s
        band = np.zeros((band_hi - band_lo, w * s, c), np.float32)
        if carry is not None:
            first, rows = carry
            band[first - band_lo:first - band_lo + len(rows)] += rows
        wy = np.repeat(seam_weights(h, y0, y1, blend), s)
        for x0 in starts_x:
            x1 = min(x0 + tile, w)
            wy0, wy1 = max(0, y0 - overlap), min(h, y1 + overlap)
            wx0, wx1 = max(0, x0 - overlap), min(w, x1 + overlap)
            pred = predict(lr[None, wy0:wy1, wx0:wx1])[0]
            ry0, ry1 = max(0, y0 - blend), min(h, y1 + blend)
            rx0, rx1 = max(0, x0 - blend), min(w, x1 + blend)
            part = pred[(ry0 - wy0) * s:(ry1 - wy0) * s, (rx0 - wx0) * s:(rx1 - wx0) * s]
            wx = np.repeat(seam_weights(w, x0, x1, blend), s)
            band[ry0 * s - band_lo:ry1 * s - band_lo, rx0 * s:rx1 * s] += part * (wy[:, None, None] * wx[None, :, None])
            if on_tile:
                on_tile()
        final_hi = band_hi if y1 == h else (y1 - blend) * s
        _write_rows(result, band_lo, band[:final_hi - band_lo])
        carry = None if y1 == h else (final_hi, band[final_hi - band_lo:].copy())
    return result


def _write_rows(result: np.ndarray, first: int, rows: np.ndarray) -> None:
    if result.dtype == np.uint8:
        result[first:first + len(rows)] = np.clip(np.round((rows + 1.0) * 127.5), 0, 255).astype(np.uint8)
    else:
        result[first:first + len(rows)] = rows


def tile_count(h: int, w: int, tile: int) -> int:
    return -(-h // tile) * -(-w // tile)
