"""`python -m srgan_helpers.upscale` and `srgan-upscale`: the upscale command, which lives in
`inference/upscale.py` (see there)."""

from .inference.upscale import main

if __name__ == "__main__":
    raise SystemExit(main())
