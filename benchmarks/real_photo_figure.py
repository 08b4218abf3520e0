"""Real JPEGs, as found (no ground truth): the input | each model's x4, to look at what compression and
noise become. Made for the real-photo model's release.

    python benchmarks/real_photo_figure.py --models srresnet-x4 srresnet-x4-real \\
        --images ../shared/data/faces/000017.jpg ../shared/data/faces/000051.jpg --out docs/figures/phone.png
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", required=True, help="model names, run folders or .keras files")
    parser.add_argument("--images", nargs="+", required=True, help="real JPEG photos")
    parser.add_argument("--out", default="outputs/real_photos.png")
    args = parser.parse_args(argv)
    from srgan_helpers.analysis.strips import save_image_atomic, strip_grid
    from srgan_helpers.backend import load_keras
    from srgan_helpers.images import load_uint8
    from srgan_helpers.inference import load_generator, super_resolve

    load_keras()
    models = [load_generator(spec) for spec in args.models]
    rows, sizes = [], []
    for path in map(Path, args.images):
        lr = load_uint8(path)
        rows.append([lr.repeat(4, 0).repeat(4, 1)] + [super_resolve(m, [lr])[0] for m in models])
        sizes.append(f"{path.name} {lr.shape[1]}x{lr.shape[0]}, {path.stat().st_size / 1000:.1f} kB")
    note = "real JPEGs, no ground truth: " + "; ".join(sizes)
    return save_image_atomic(strip_grid(rows, ["input (x4 nearest)"] + list(args.models), note=note), args.out)


if __name__ == "__main__":
    print(main())
