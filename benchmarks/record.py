"""Write a benchmark's result JSON with the facts that make it comparable (machine, versions, date)."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path


def environment() -> dict:
    facts = {"machine": platform.machine(), "processor": platform.processor(), "cpus": os.cpu_count(),
             "python": platform.python_version(), "date": time.strftime("%Y-%m-%d")}
    try:
        import keras

        facts.update(backend=keras.backend.backend(), keras=keras.__version__)
    except ImportError:
        return facts
    if facts["backend"] == "jax":
        import jax

        device = jax.devices()[0]
        facts.update(jax=jax.__version__, accelerator=f"{device.platform}:{getattr(device, 'device_kind', '')}")
    return facts


def write_result(path: str | Path, name: str, result: dict) -> dict:
    """Save {benchmark, environment facts, **result} as JSON at `path`; print where; return it."""
    record = {"benchmark": name, **environment(), **result}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {path}")
    return record
