"""How large a tile fits (`srgan-upscale --tile auto`): free accelerator memory, host memory on a CPU, and
what an out-of-memory error looks like on either backend.

What one LR pixel of a tile's window (the tile and its context) costs comes from the generator itself: its
largest layer output per input pixel (run once on a small probe), in float32, times PEAK_OVER_LARGEST_MAP,
the measured ratio of the peak to that map. For the 16-block x4 SRResNet the largest maps are its last
upsampling step's (1,024 values per LR pixel: 256 channels at x2, then 64 at x4; 4 KiB) and the peak about
18 KB per window pixel, run as one compiled call (TensorFlow CPU: 1,851 MiB peak RSS for 256 x 256 windows,
1,129 MiB above the 722 after loading and warm-up; JAX CPU 666 MiB above; `benchmarks/upscale_speed.py`,
2026-12-05; layer by layer it was 3.4 GiB). Half of what is free is planned for; an out-of-memory error halves
the tile and tries again.
"""

from __future__ import annotations

import math
import os

PEAK_OVER_LARGEST_MAP = 4.4  # 1,129 MiB / 65,536 window pixels = 17.6 KiB measured / 4 KiB (SRResNet's largest
# map: 1,024 float32 values per LR pixel)
PROBE_SIDE = 8  # input pixels of the probe that measures a generator's maps
AUTO_TILE_RANGE = (32, 1024)  # input pixels


def free_accelerator_bytes() -> int | None:
    """Free memory of the first JAX accelerator, or None (a CPU, TensorFlow, or a device that cannot say)."""
    import keras

    if keras.backend.backend() != "jax":
        return None  # TensorFlow reports what it uses, not what is left: host memory decides there
    try:
        import jax

        device = jax.devices()[0]
        stats = device.memory_stats() if device.platform != "cpu" else None
        return int(stats["bytes_limit"] - stats["bytes_in_use"]) if stats else None
    except Exception:  # noqa: BLE001 - a device that cannot tell: fall back to host memory
        return None


def free_host_bytes() -> int:
    """Available host memory (MemAvailable on Linux; free pages elsewhere)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def largest_map_per_pixel(generator) -> int:
    """The most values any one layer of `generator` outputs per input pixel (measured on a small probe)."""
    import keras
    import numpy as np

    layers = [layer for layer in generator.layers if not isinstance(layer, keras.layers.InputLayer)]
    probe = keras.Model(generator.inputs, [layer.output for layer in layers])
    outputs = probe(np.zeros((1, PROBE_SIDE, PROBE_SIDE, 3), np.float32), training=False)
    return max(int(np.prod(tuple(o.shape)[1:])) for o in outputs) // (PROBE_SIDE * PROBE_SIDE)


def window_bytes_per_pixel(generator) -> int:
    """The memory one input pixel of a tile's window costs at the generator's peak (bytes, float32)."""
    return int(PEAK_OVER_LARGEST_MAP * 4 * largest_map_per_pixel(generator))


def auto_tile(overlap: int, bytes_per_pixel: int, free: int | None = None) -> int:
    """The tile side (input pixels, a multiple of 16) whose window fits half of `free` bytes at
    `bytes_per_pixel` (window_bytes_per_pixel of the generator)."""
    free = free if free is not None else (free_accelerator_bytes() or free_host_bytes())
    window = math.isqrt(max(0, int(free * 0.5 / bytes_per_pixel)))
    tile = (window - 2 * overlap) // 16 * 16
    return max(AUTO_TILE_RANGE[0], overlap, min(AUTO_TILE_RANGE[1], tile))


def is_out_of_memory(exc: BaseException) -> bool:
    """A MemoryError, TensorFlow's ResourceExhaustedError or XLA's RESOURCE_EXHAUSTED."""
    text = f"{type(exc).__name__} {exc}"
    return isinstance(exc, MemoryError) or "ResourceExhausted" in text or "RESOURCE_EXHAUSTED" in text \
        or "out of memory" in text.lower()
