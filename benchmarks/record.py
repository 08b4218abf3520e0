"""Write a benchmark's result JSON with the facts that make it comparable (machine, versions, date)."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

PACKAGES = ("numpy", "keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib", "torch")


def environment() -> dict:
    """Machine, date, the installed versions (read from the packages' metadata, nothing imported) and, when the
    benchmark ran Keras code, its backend (and JAX's device). A benchmark that never imported Keras (the loader)
    records no backend: its numbers do not depend on one, and starting one to ask costs ~8 CPU-s."""
    facts = {"machine": platform.machine(), "processor": platform.processor(), "cpus": os.cpu_count(),
             "python": platform.python_version(), "date": time.strftime("%Y-%m-%d")}
    for package in PACKAGES:
        try:
            facts[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    keras = sys.modules.get("keras")
    if keras is None:
        return facts
    facts["backend"] = keras.backend.backend()
    if facts["backend"] == "jax":
        import jax

        device = jax.devices()[0]
        facts.update(accelerator=f"{device.platform}:{getattr(device, 'device_kind', '')}")
    return facts


def write_result(path: str | Path, name: str, result: dict) -> dict:
    """Save {benchmark, environment facts, **result} as JSON at `path`; print where; return it."""
    record = {"benchmark": name, **environment(), **result}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {path}")
    return record
