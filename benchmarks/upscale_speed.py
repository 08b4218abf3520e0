"""Upscale speed and peak memory: megapixels (input) per second and peak RSS at three sizes (640x480,
1280x720 and 2560x1440: 12x the pixels from first to last) at the default tile; peak memory must stay
nearly flat. Each size runs in its own process so its peak RSS is its own; the RSS after loading the model
and warming up (the framework's own share) is reported beside it. Prints a table and writes JSON.

    python benchmarks/upscale_speed.py [--res-blocks 16 | --model srresnet-x4] [--tile 192]
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
import numpy as np
from PIL import Image
from srgan_helpers.inference import upscale
w, h, model, tile, overlap, out = sys.argv[1:7]
src = out + "/in.png"
Image.fromarray(np.random.default_rng(0).integers(0, 256, (int(h), int(w), 3), dtype=np.uint8)).save(src)
up = upscale.Upscaler(model, int(tile), int(overlap))
up.upscale(np.zeros((8, 8, 3), np.uint8))  # warm-up (graph building) outside the timing
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
code = upscale.main([src, "--model", model, "--out", out, "--tile", tile, "--overlap", overlap, "--quiet"])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"exit": code, "seconds": seconds, "peak_rss_mb": peak / 1024, "rss_before_mb": base / 1024}))
"""


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--res-blocks", type=int, default=16, help="generator depth (16: the paper's)")
    parser.add_argument("--tile", type=int, default=192)
    parser.add_argument("--overlap", type=int, default=32)
    parser.add_argument("--sizes", default="640x480,1280x720,2560x1440")
    parser.add_argument("--model", help="a shipped model name or .keras file instead of a random --res-blocks one")
    parser.add_argument("--out", default="benchmarks/results/upscale_speed.json")
    args = parser.parse_args(argv)

    from srgan_helpers.networks.srresnet import build_generator
    from srgan_helpers.training import export_generator

    work = Path(tempfile.mkdtemp())
    atexit.register(shutil.rmtree, work, ignore_errors=True)  # nothing left in /tmp
    if args.model:
        from srgan_helpers.named_models import resolve_model

        model = resolve_model(args.model)
    else:
        model = export_generator(build_generator(4, args.res_blocks), work / "generator.keras")
    rows = []
    for size in args.sizes.split(","):
        w, h = size.split("x")
        out = work / size
        out.mkdir()
        child = [sys.executable, "-c", CHILD, w, h, str(model), str(args.tile), str(args.overlap), str(out)]
        proc = subprocess.run(child, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
        if proc.returncode:
            sys.exit(f"benchmark child failed:\n{proc.stderr[-2000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        mp = int(w) * int(h) / 1e6
        rows.append({"input": size, "input_mp": mp, "seconds": round(r["seconds"], 2),
                     "input_mp_per_s": round(mp / r["seconds"], 4), "output_mp_per_s": round(16 * mp / r["seconds"], 3),
                     "peak_rss_mb": round(r["peak_rss_mb"], 1), "rss_after_warm_up_mb": round(r["rss_before_mb"], 1)})
        print(f"{size:>10}: {r['seconds']:7.1f} s  {mp / r['seconds']:.4f} input MP/s  "
              f"{16 * mp / r['seconds']:.3f} output MP/s  peak RSS {r['peak_rss_mb']:.0f} MB "
              f"(after warm-up {r['rss_before_mb']:.0f} MB)")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from record import write_result

    setup = {"model": args.model or "random", "res_blocks": args.res_blocks, "tile": args.tile,
             "overlap": args.overlap}
    return write_result(args.out, "upscale_speed", {**setup, "results": rows})


if __name__ == "__main__":
    main()
