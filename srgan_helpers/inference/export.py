"""A generator as an ONNX file, any height and width: for onnxruntime, TensorRT, OpenCV or a phone.

    python -m srgan_helpers.export srresnet-x4 srresnet-x4.onnx      # a shipped name, a run folder or a .keras

It uses Keras' own exporter (TensorFlow and tf2onnx: `pip install "srgan-helpers[export]"`), writes to a
temporary name and renames, then checks the file with onnxruntime against Keras on two sizes (<= 1e-4).
Input: float32 (N, H, W, 3) RGB in [-1, 1]; output: (N, s*H, s*W, 3) in [-1, 1].
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

CHECK_SHAPES = ((1, 20, 30, 3), (2, 33, 17, 3))  # two sizes, odd ones included: the axes are dynamic
TOLERANCE = 1e-4


class ExportUnavailable(RuntimeError):
    """The export needs packages this installation lacks; the message says which and how to add them."""


def _require(module: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ExportUnavailable(f"ONNX export needs {module}: pip install \"srgan-helpers[export]\" (tensorflow, "
                                f"tf2onnx, onnx, onnxruntime)")


def export_onnx(model_spec: str | Path, out: str | Path, overwrite: bool = False) -> Path:
    """Write the generator `model_spec` names to `out` (.onnx) with dynamic batch, height and width; an
    existing `out` is replaced only with `overwrite`. A killed export's temp file in the folder is removed."""
    from ..fileio import atomic_path, remove_stale_temps
    from . import load_generator

    for module in ("tensorflow", "tf2onnx", "onnx"):
        _require(module)
    out = Path(out)
    if out.suffix.lower() != ".onnx":
        raise ValueError(f"{out}: the output name must end in .onnx")
    if out.exists() and not overwrite:
        raise ValueError(f"{out} already exists; pass --overwrite to replace it")
    generator = load_generator(model_spec)
    generator(np.zeros((1, 8, 8, 3), np.float32))  # Keras exports only a model that has been called
    try:
        if out.parent.is_dir():
            remove_stale_temps(out.parent)
        with atomic_path(out, suffix=".onnx", exclusive=not overwrite) as partial:
            generator.export(str(partial), format="onnx", verbose=False)
    except FileExistsError:
        raise ValueError(f"{out}: written meanwhile by another run; pass --overwrite to replace it") from None
    except OSError as exc:
        raise OSError(f"{out}: cannot be written ({exc.strerror or exc}); nothing partial was left") from exc
    return out


def largest_difference(model_spec: str | Path, onnx_path: str | Path) -> float:
    """The largest |onnxruntime - Keras| over CHECK_SHAPES' random inputs."""
    import keras

    from . import load_generator

    _require("onnxruntime")
    import onnxruntime

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    generator, rng, worst = load_generator(model_spec), np.random.default_rng(0), 0.0
    for shape in CHECK_SHAPES:
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        ours = keras.ops.convert_to_numpy(generator(x, training=False))
        theirs = session.run(None, {name: x})[0]
        if theirs.shape != ours.shape:
            raise RuntimeError(f"{onnx_path}: output {theirs.shape} for input {shape}, Keras gives {ours.shape}")
        worst = max(worst, float(np.abs(theirs - ours).max()))
    return worst


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a shipped model's name, a run folder or a generator .keras file")
    parser.add_argument("out", help="the .onnx file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing .onnx file")
    args = parser.parse_args(argv)
    from .. import interrupts

    return interrupts.run_command(lambda: export_command(args), lambda: f"{args.out} was not written")


def export_command(args) -> int:
    from ..backend import load_keras

    load_keras()
    try:
        path = export_onnx(args.model, args.out, args.overwrite)
        worst = largest_difference(args.model, path)
    except (ExportUnavailable, ValueError, OSError, RuntimeError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    status = "matches Keras" if worst <= TOLERANCE else "DIFFERS from Keras"
    print(f"wrote {path}: any height and width; onnxruntime {status} (largest difference {worst:.1e} on "
          f"{len(CHECK_SHAPES)} sizes)")
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    raise SystemExit(main())
