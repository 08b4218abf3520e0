"""Smooth tone patches: flat fields and linear ramps of any colour.

Natural-image training patches almost never hold a large flat bright or dark area (0 of 5,800 random
96-px patches of the "291" set have a mean above 220 and a spread under 8 levels), so a generator trained
on them alone is free to do anything there: the first shipped `srresnet-x4` turned every gray level above
~220 into pure white. Two uses of the same patches:

- training: `tone_patch` makes one seeded HR patch; the loader mixes a fraction of them into every batch
  (`TrainConfig.tone_patches`), their LR made by the package's bicubic like every other pair;
- release check: `gray_fields`, `colour_fields` and `ramps` are the fixed inputs a shipped model must
  return unchanged (`release_check`).
"""

from __future__ import annotations

import numpy as np

# Pure and mixed colours every model must keep: the RGB cube's corners, half-tones, and colours that
# tinted or clipped in earlier models (cream, skin, sky, pure green).
COLOURS = ((0, 0, 0), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255),
           (0, 255, 255), (128, 128, 128), (128, 0, 0), (0, 128, 0), (0, 0, 128), (250, 240, 220),
           (224, 172, 140), (135, 206, 235), (40, 40, 60), (250, 250, 250), (5, 5, 5))


def random_colour(rng: np.random.Generator) -> np.ndarray:
    """An RGB colour: a gray level a third of the time (tints show first on grays), otherwise one whose
    channels are each 0 or 255 a quarter of the time (pure and mixed colours, black and white are where
    models clip) and uniform otherwise."""
    if rng.random() < 1 / 3:
        return np.full(3, rng.integers(0, 256))
    return np.where(rng.random(3) < 0.5, rng.choice([0, 255], 3), rng.integers(0, 256, 3))


def tone_patch(rng: np.random.Generator, size: int) -> np.ndarray:
    """A (size, size, 3) uint8 patch: a flat field (half the time) or a linear ramp between two random
    colours, horizontal or vertical."""
    start = random_colour(rng)
    end = start if rng.random() < 0.5 else random_colour(rng)
    t = np.linspace(0.0, 1.0, size)[None, :, None]
    patch = np.broadcast_to(start + (end - start) * t, (size, size, 3))
    if rng.random() < 0.5:
        patch = patch.transpose(1, 0, 2)
    return np.clip(np.round(patch), 0, 255).astype(np.uint8)


def flat_fields(colours, size: int) -> np.ndarray:
    """(len(colours), size, size, 3) uint8 flat fields."""
    colours = np.asarray(colours, dtype=np.uint8).reshape(-1, 1, 1, 3)
    return np.ascontiguousarray(np.broadcast_to(colours, (len(colours), size, size, 3)))


def gray_fields(size: int = 24) -> np.ndarray:
    """Flat fields of every gray level 0..255."""
    return flat_fields(np.repeat(np.arange(256)[:, None], 3, axis=1), size)


def colour_fields(size: int = 24) -> np.ndarray:
    return flat_fields(COLOURS, size)


def ramps(height: int = 32) -> dict[str, np.ndarray]:
    """Horizontal ramps over 64 LR columns: full gray 0..255, the bright end 150..255, and colour ramps."""
    def ramp(start, end):
        t = np.linspace(0.0, 1.0, 64)[None, :, None]
        row = np.round(np.asarray(start) + (np.asarray(end) - np.asarray(start)) * t).astype(np.uint8)
        return np.ascontiguousarray(np.broadcast_to(row, (height, 64, 3)))

    return {"gray 0-255": ramp((0, 0, 0), (255, 255, 255)), "gray 150-255": ramp((150,) * 3, (255,) * 3),
            "red-cyan": ramp((255, 0, 0), (0, 255, 255)), "blue-yellow": ramp((0, 0, 255), (255, 255, 0)),
            "black-green": ramp((0, 0, 0), (0, 255, 0)), "cream-white": ramp((250, 240, 220), (255, 255, 255))}
