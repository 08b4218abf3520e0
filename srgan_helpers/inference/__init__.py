"""Load an exported generator and run it on uint8 images (whole images: the generator is fully
convolutional)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..images import float_to_uint8, uint8_to_float


def load_generator(spec: str | Path):
    """A generator from a `.keras` file, a run folder (its `generator.keras`) or a shipped model's name
    (see `named_models`), loaded with safe_mode=True."""
    import keras

    from ..named_models import resolve_model
    from ..networks import register_layers

    register_layers()  # every table entry's custom layers, so any entry's saved model loads

    path = resolve_model(spec)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no generator found; pass a .keras file, a run folder that holds "
                                f"generator.keras (training exports it at the end of every session) or a model name")
    check_model_file(path)
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except ValueError as exc:
        if "safe_mode" in str(exc) or "Lambda" in str(exc) or "lambda" in str(exc):
            raise ValueError(f"{path}: refusing to load: the model holds a Lambda layer or other code that would "
                             f"run on loading (safe_mode). Only load such a file if you wrote it yourself, with "
                             f"keras.saving.load_model(path, safe_mode=False)") from exc
        raise ValueError(f"{path}: not a loadable Keras model ({exc})") from exc
    except Exception as exc:  # unknown classes or functions, a damaged zip...: one clear message
        unknown = unknown_layers(path)
        if unknown:
            raise ValueError(f"{path}: holds layers Keras does not know ({', '.join(unknown)}): add the network's "
                             f"entry to its table in srgan_helpers.networks (its LAYERS name the module that defines "
                             f"them), or import that module first") from exc
        reason = " ".join(str(exc).split())[:300]
        raise ValueError(f"{path}: not a loadable Keras model ({type(exc).__name__}: {reason})") from exc


def unknown_layers(path: Path) -> list[str]:
    """The registered names of the custom layers in a .keras file that no imported module has registered."""
    import json
    import zipfile

    import keras

    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return []
    found, stack = set(), [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            name = node.get("registered_name")
            if isinstance(name, str) and ">" in name and keras.saving.get_registered_object(name) is None:
                found.add(name)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)


MAX_MODEL_TEXT = 16 * 2**20  # a .keras file's config.json / metadata.json: kilobytes for any real network
MAX_MODEL_BYTES = 4 * 2**30  # everything a .keras file unpacks to


def check_model_file(path: Path) -> None:
    """Refuse, before Keras reads it, a .keras file that unpacks to far more than a model holds (a 3 MB file whose
    config.json was 1.5 GiB of padding loaded at 3.85 GB RSS): as images and archives are guarded."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # not a zip (an .h5 file, a damaged one): Keras says what it is
    text = [m for m in members if m.filename in ("config.json", "metadata.json") and m.file_size > MAX_MODEL_TEXT]
    total = sum(m.file_size for m in members)
    if text or total > MAX_MODEL_BYTES:
        what = (f"its {text[0].filename} unpacks to {text[0].file_size / 2**20:,.0f} MiB (a model's is kilobytes; "
                f"limit {MAX_MODEL_TEXT // 2**20} MiB)" if text else
                f"it unpacks to {total / 2**30:.1f} GiB (limit {MAX_MODEL_BYTES // 2**30} GiB)")
        raise ValueError(f"{path}: refusing to load: {what}; this is not a model file this package wrote")


def model_scale(model) -> int:
    """The generator's upscaling factor, measured on a tiny input."""
    import keras

    out = keras.ops.convert_to_numpy(model(np.zeros((1, 4, 4, 3), np.float32), training=False))
    return out.shape[1] // 4


def predict(model, batch) -> np.ndarray:
    """The model's float32 output for a float32 batch, run as one compiled function (Keras' predict_on_batch:
    a tf.function on TensorFlow, jax.jit on JAX) rather than layer by layer from Python: Set14 through
    srresnet-x4 on one CPU thread took 5.8 s against 12.1 s eagerly on TensorFlow, and 8.5 s (its compilations
    included) against 20 s on JAX (2026-12-05)."""
    return np.asarray(model.predict_on_batch(np.asarray(batch, np.float32)))


def super_resolve(model, images, batch_size: int = 8) -> list[np.ndarray]:
    """uint8 LR images (a list; sizes may differ) -> uint8 SR images; equal-size images run in batches."""
    results: list[np.ndarray | None] = [None] * len(images)
    by_shape: dict[tuple, list[int]] = {}
    for i, img in enumerate(images):
        by_shape.setdefault(np.asarray(img).shape, []).append(i)
    for indices in by_shape.values():
        for start in range(0, len(indices), batch_size):
            chunk = indices[start:start + batch_size]
            batch = uint8_to_float(np.stack([np.asarray(images[i]) for i in chunk]))
            out = float_to_uint8(predict(model, batch))
            for i, sr in zip(chunk, out):
                results[i] = sr
    return results
