"""`python -m srgan_helpers.export`: the ONNX export command, which lives in `inference/export.py` (see there)."""

from .inference.export import main

if __name__ == "__main__":
    raise SystemExit(main())
