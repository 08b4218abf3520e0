"""Ship a trained generator as a named model: its .keras file and a card (architecture, data and its
licence, training, device, scores, date) under srgan_helpers/weights/. Used by quality.py --export.

A .keras file saved by a newer Keras may not load on an older one (Keras 3.15 writes BatchNormalization
settings that 3.13 refuses), so a shipped file must be saved with the oldest Keras the package supports
(Colab's; see scripts/colab_stack.sh, whose pass loads every shipped model): rebuild the generator there
and set the weights, as srresnet-x4 was."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

WEIGHTS = Path(__file__).resolve().parents[1] / "srgan_helpers" / "weights"
DATA_291 = ("the \"291\" set: T91 (Yang et al. 2010) + the 200 BSDS300 training images (Martin et al. 2001), "
            "whole images, random patches")
LICENCE_291 = ("T91 and BSDS300 are distributed for research use by their authors (see their pages); "
               "the weights are released with this package (MIT)")


def ship(name: str, ours: dict, record: dict) -> Path:
    """Copy the generator to weights/<name>.keras and write weights/<name>.json; refuse beating-bicubic fails."""
    worse = [s for s, m in ours["final"].items() if m["psnr"] <= m["bicubic_psnr"]]
    if worse:
        raise SystemExit(f"not shipped: {name} does not beat bicubic on {worse}")
    cfg = ours["config"]
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    target = WEIGHTS / f"{name}.keras"
    shutil.copyfile(ours["generator"], target)
    size_mb = target.stat().st_size / 1e6
    card = {
        "name": name,
        "summary": f"SRResNet x4 trained with pixel MSE (not an SRGAN: no perceptual loss), {ours['steps']} steps.",
        "architecture": f"SRResNet, {cfg['n_res_blocks']} residual blocks, 64 channels, pixel shuffle x4, tanh output; "
                        f"{ours['params']:,} parameters; {size_mb:.1f} MB",
        "data": DATA_291, "data_licence": LICENCE_291,
        "training": f"{ours['steps']} Adam steps (lr {cfg['learning_rate']}), batch {cfg['batch_size']}, "
                    f"{cfg['crop_size']}-px HR patches with flips/rotations, init {cfg['init']}, "
                    f"{ours['train_seconds'] / 60:.1f} min of training ({ours['wall_seconds'] / 60:.1f} min wall)",
        "device": f"{record.get('processor') or record.get('machine')}, {record.get('cpus')} CPUs, "
                  f"{record.get('backend')} backend, Keras {record.get('keras')}",
        "date": record.get("date"),
        "made_by": "python benchmarks/quality.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in record["args"].items()
            if k in ("backend", "blocks", "patch", "batch", "lr", "steps", "minutes", "init") and v),
        "metrics": ours["final"],
        "curve": ours["curve"],
    }
    (WEIGHTS / f"{name}.json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"shipped {target} ({size_mb:.1f} MB) and its card")
    return target
