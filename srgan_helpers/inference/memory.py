"""How large a tile fits (`srgan-upscale --tile auto`): free accelerator memory, host memory on a CPU, and
what an out-of-memory error looks like on either backend.

One LR pixel of a tile's window (the tile and its context) costs about 50 KB at the peak of a 16-block
x4 SRResNet in float32 (its x2 and x4 maps have 256 channels; measured on TensorFlow CPU: 4.1 GB peak RSS
for 256 x 256 windows, `benchmarks/upscale_speed.py`). Half of what is free is planned for; an
out-of-memory error halves the tile and tries again.
"""

from __future__ import annotations

import math
import os

BYTES_PER_WINDOW_PIXEL = 50_000
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


def auto_tile(overlap: int, free: int | None = None) -> int:
    """The tile side (input pixels, a multiple of 16) whose window fits half of `free` bytes."""
    free = free if free is not None else (free_accelerator_bytes() or free_host_bytes())
    window = math.isqrt(max(0, int(free * 0.5 / BYTES_PER_WINDOW_PIXEL)))
    tile = (window - 2 * overlap) // 16 * 16
    return max(AUTO_TILE_RANGE[0], overlap, min(AUTO_TILE_RANGE[1], tile))


def is_out_of_memory(exc: BaseException) -> bool:
    """A MemoryError, TensorFlow's ResourceExhaustedError or XLA's RESOURCE_EXHAUSTED."""
    text = f"{type(exc).__name__} {exc}"
    return isinstance(exc, MemoryError) or "ResourceExhausted" in text or "RESOURCE_EXHAUSTED" in text \
        or "out of memory" in text.lower()
