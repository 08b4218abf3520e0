"""Ship a trained generator as a named model: its .keras file and a card (architecture, data and its
licence, training, device, scores, date) under srgan_helpers/weights/. Used by quality.py --export (a CPU
run, saved by the Keras in hand) and, for a generator trained elsewhere (the GPU check), in two steps:

    python benchmarks/ship_model.py export-weights generator_291.keras /tmp/g291.weights.h5   # any Keras
    .venv-colab/bin/python benchmarks/ship_model.py ship srresnet-x4 --weights /tmp/g291.weights.h5 \\
        --result benchmarks/results/gpu/quality_291.json --eval Set5=../shared/data/Set5 ...       # oldest Keras

A .keras file saved by a newer Keras may not load on an older one (Keras 3.15 writes BatchNormalization
settings that 3.13 refuses), so a shipped file is built and saved with the oldest Keras the package supports
(Colab's; scripts/colab_stack.sh, whose pass loads every shipped model), in float32 whatever precision it
was trained in (a mixed_bfloat16 file would run in bf16 on a user's CPU), and scored there on the CPU."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WEIGHTS = REPO / "srgan_helpers" / "weights"
DATA = {
    "291": ("the \"291\" set: T91 (Yang et al. 2010) + the 200 BSDS300 training images (Martin et al. 2001), "
            "whole images, random patches",
            "T91 and BSDS300 are distributed for research use by their authors (see their pages); "
            "the weights are released with this package (MIT)"),
    "faces": ("2,000 CelebA aligned faces (img_align_celeba 000001-002000, stored downsampled to 89x109 by "
              "their source), 88-px centre crops (LR 22 px): 1,600 to train, 400 held out (seed 0)",
              "CelebA is available for non-commercial research purposes only (its agreement); weights "
              "trained on it carry that restriction"),
    "faces_essex": ("the Essex Faces94 collection (L. Spacek): 2,739 frontal faces of 137 people (180x200, 1990s "
                    "video), whole images, random 96-px patches; 16 people held out by person (seed 0), never "
                    "trained on; checked on 100 LFW news photos of 10 people (another source)",
                    "Essex Faces94: free for research use with credit to the collection, no open licence; LFW "
                    "(checked on only): research use. Weights trained on these carry the same research-use terms"),
}
DATA["faces_mix"] = (DATA["faces_essex"][0].replace("whole images, random 96-px patches", "whole images") +
                     "; then together with the 1,600 CelebA training faces (89x109; the 400 held out by srresnet-x4's "
                     "card stay held out), random 80-px patches",
                     DATA["faces_essex"][1] + "; CelebA: non-commercial research purposes only (its agreement)")


def ship(name: str, ours: dict, record: dict) -> Path:
    """Copy the generator to weights/<name>.keras and write weights/<name>.json; refuse beating-bicubic fails."""
    refuse_if_not_better(name, ours["final"], model_kind(ours["config"]))
    target = WEIGHTS / f"{name}.keras"
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ours["generator"], target)
    write_card(name, ours, record, ours["final"], target)
    return target


def model_kind(cfg: dict) -> str:
    """"gan" for a generator trained with the adversarial loss, else "psnr" (what the release check holds it to)."""
    return "gan" if cfg.get("epochs") else "psnr"


def refuse_if_not_better(name: str, metrics: dict, kind: str = "psnr") -> None:
    """A PSNR model must beat bicubic on every set; a GAN model must reach the SRGAN paper's PSNR."""
    sys.path.insert(0, str(REPO))
    from srgan_helpers.inference.release_check import GAN_PSNR_FLOOR

    if kind == "gan":
        worse = [s for s, m in metrics.items() if s in GAN_PSNR_FLOOR and m["psnr"] < GAN_PSNR_FLOOR[s]]
        if worse:
            raise SystemExit(f"not shipped: {name} is below the SRGAN paper's PSNR on {worse}")
        return
    worse = [s for s, m in metrics.items() if m["psnr"] <= m["bicubic_psnr"]]
    if worse:
        raise SystemExit(f"not shipped: {name} does not beat bicubic on {worse}")


def summary_line(ours: dict, cfg: dict) -> str:
    """What the model is, in one sentence: its loss, its training LR, its steps and where it started."""
    sys.path.insert(0, str(REPO))
    from srgan_helpers.config import TrainConfig
    from srgan_helpers.networks import content_loss_name

    start = f" from {cfg['generator_from']}" if cfg.get("generator_from") else ""
    if model_kind(cfg) == "gan":
        return (f"SRGAN x4: generator loss {content_loss_name(TrainConfig.from_dict(cfg))}, {ours['steps']} GAN "
                f"steps{start}.")
    degraded = ""
    if cfg.get("degradation") == "realistic":
        overrides = f"; ranges changed: {json.dumps(cfg['degradation_ranges'])}" if cfg.get("degradation_ranges") \
            else ""
        degraded = (" on LR made by the realistic degradation (blur, resize, Gaussian/Poisson noise and JPEG, twice, "
                    f"then a sinc filter; Real-ESRGAN's published ranges{overrides}): for photos from phones and "
                    "the web")
    return (f"SRResNet x4 trained with pixel MSE (not an SRGAN: no perceptual loss){degraded}, {ours['steps']} "
            f"steps{start}.")


def training_line(ours: dict, cfg: dict) -> str:
    size = f"{cfg['crop_size']}-px HR patches" if cfg.get("crop_size") else f"{cfg['hr_size']}-px HR pairs"
    precision = f", {cfg['mixed_precision']}" if cfg.get("mixed_precision") else ""
    start = (f"fine-tuned from {cfg['generator_from']}" + (" with BatchNorm frozen" if cfg.get("freeze_batchnorm")
                                                           else "") + ": " if cfg.get("generator_from") else "")
    tones = (f", {cfg['tone_patches']:.0%} of each batch flat fields and ramps of random colours (tones.py)"
             if cfg.get("tone_patches") else "")
    return (f"{start}{ours['steps']} Adam steps (lr {cfg['learning_rate']}{schedule_words(cfg)}), batch "
            f"{cfg['batch_size']}, {size} with "
            f"flips/rotations{tones}, init {cfg['init']}{precision}, {ours['train_seconds'] / 60:.1f} min of "
            f"training ({ours['wall_seconds'] / 60:.1f} min wall)")


def schedule_words(cfg: dict) -> str:
    """", cosine schedule, warm-up 3 epochs" and the like ("" for a constant learning rate)."""
    schedule = cfg.get("learning_rate_schedule", "constant")
    if schedule == "cosine":
        return f", cosine schedule, warm-up {cfg.get('warmup_epochs', 0)} epochs"
    if schedule == "step":
        return f", x{cfg.get('learning_rate_decay_factor')} at epoch {cfg.get('learning_rate_decay_epoch')}"
    return ""


def device_line(record: dict) -> str:
    where = record.get("accelerator") or record.get("processor") or record.get("machine")
    jax = record.get("jax") if record.get("backend") == "jax" else None  # (records list every installed version)
    versions = f"Keras {record.get('keras')}" + (f", JAX {jax}" if jax else "")
    return f"{where}, {record.get('cpus')} CPUs, {record.get('backend')} backend, {versions}"


def made_by(args: dict) -> str:
    """The quality.py command line of a run (the options that shaped it)."""
    keys = ["backend", "train_set", "blocks", "batch", "learning_rate", "init", "precision",
            "hr_size" if args.get("train_set") == "faces" else "patch", "minutes" if args.get("minutes") else "steps",
            "generator_from", "tone_patches", "degradation", "curve_set", "schedule", "warmup_epochs", "decay_epoch"]
    keys += ["degradation_ranges"] if args.get("degradation_ranges") else []
    keys += ["gan", "adv_weight", "pixel_weight"] if args.get("gan") else []
    shown = {k: f"'{json.dumps(v)}'" if isinstance(v, dict) else v for k, v in args.items()}
    options = " ".join(f"--{k.replace('_', '-')} {shown[k]}" for k in keys if args.get(k))
    line = f"python benchmarks/quality.py {options}"
    return line.replace("--generator-from", "--from") + (" --freeze-bn" if args.get("freeze_bn") else "")


def write_card(name: str, ours: dict, record: dict, metrics: dict, target: Path, made_by_note: str = "",
               **extra) -> None:
    cfg = ours["config"]
    data, licence = DATA[ours.get("train_set", "291")]
    card = {
        "name": name,
        "summary": summary_line(ours, cfg) + (f" {extra['weights_note']}" if extra.get("weights_note") else ""),
        "kind": model_kind(cfg),  # psnr: held to +-4 levels and to bicubic; gan: +-8 levels and the paper's PSNR
        "architecture": f"SRResNet, {cfg['n_res_blocks']} residual blocks, 64 channels, pixel shuffle x4, tanh output; "
                        f"{ours['params']:,} parameters; {target.stat().st_size / 1e6:.1f} MB",
        "data": data, "data_licence": licence, "training": training_line(ours, cfg), "device": device_line(record),
        "date": record.get("date"),
        "made_by": extra.pop("made_by", None) or made_by(record["args"]) + made_by_note,
        "metrics": metrics, "curve": ours["curve"], **extra,
    }
    (WEIGHTS / f"{name}.json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"shipped {target} ({target.stat().st_size / 1e6:.1f} MB) and its card")


def export_weights(source: str, target: str, blend_with: str | None = None, alpha: float = 1.0) -> None:
    """The weights of a saved generator as a .weights.h5 file (any Keras that loads `source`); with
    `blend_with`, network interpolation (Wang et al., ESRGAN 2018): alpha x source + (1 - alpha) x blend_with,
    two generators of one architecture (a GAN and the SRResNet it started from: realism against fidelity)."""
    sys.path.insert(0, str(REPO))
    from srgan_helpers.inference import load_generator

    generator = load_generator(source)
    if blend_with:
        other = load_generator(blend_with).get_weights()
        generator.set_weights([alpha * a + (1 - alpha) * b for a, b in zip(generator.get_weights(), other,
                                                                            strict=True)])
    generator.save_weights(target)
    print(f"wrote {target}" + (f" ({alpha:g} x {source} + {1 - alpha:g} x {blend_with})" if blend_with else ""))


def ship_from_weights(name: str, weights: str, result_path: str, eval_sets: list[str], history: str = "",
                      note: str = "", stages: str = "", recipe: str = "") -> Path:
    """Build the generator in float32 with the Keras in hand from its run's config (networks.GENERATORS),
    load `weights`, score it on the CPU (PSNR, SSIM, NIQE), ship it; `history`: what changed from the model
    shipped before under this name, and why."""
    sys.path.insert(0, str(REPO))
    import keras

    from srgan_helpers import networks
    from srgan_helpers.config import TrainConfig
    from srgan_helpers.evaluate import score_sets
    from srgan_helpers.fileio import atomic_path
    from srgan_helpers.named_models import weights_path

    record = json.loads(Path(result_path).read_text())
    ours = record["ours"]
    keras.mixed_precision.set_global_policy("float32")
    generator = networks.build("generator", TrainConfig.from_dict(ours["config"]).replace(mixed_precision=None))
    generator.load_weights(weights)
    folders = {label: Path(folder) for label, folder in (spec.split("=", 1) for spec in eval_sets)}
    metrics = score_sets(generator, folders, with_niqe=True)
    for label, m in metrics.items():
        print(f"{label}: {m['psnr']:.2f} dB / {m['ssim']:.4f} (bicubic {m['bicubic_psnr']:.2f})")
    refuse_if_not_better(name, metrics, model_kind(ours["config"]))
    extra = {"history": history} if history else {}
    if note:  # e.g. how the shipped weights were made from the run's (network interpolation)
        extra["weights_note"] = note
    if ours.get("train_set") == "faces":  # which faces it never saw, so anyone can score it on them
        extra["held_out_faces"] = held_out_sources(folders["faces_test"])
    elif "faces_test" in folders:  # the CelebA faces srresnet-x4 holds out, held out here too
        from srgan_helpers.named_models import card

        extra["held_out_faces"] = card("srresnet-x4")["held_out_faces"]
    if "faces_essex_test" in folders:  # the people it never saw (the release check prepares them again)
        extra["held_out_people"] = sorted({str(Path(s).parent) for s in held_out_sources(folders["faces_essex_test"])})
    if stages:  # the recipe's stages: each one's wall time, images/s and share of the machine's matmul peak
        extra["stages"] = json.loads(Path(stages).read_text())
        if len(extra["stages"]) > 1:  # its start is the stage before (a file of the recipe's folder)
            start = f"stage {len(extra['stages']) - 1}"
            ours = {**ours, "config": {**ours["config"], "generator_from": start}}
        extra["made_by"] = (f"python benchmarks/recipes.py run {recipe}, then python benchmarks/recipes.py ship "
                            f"{recipe} (each stage's quality.py command is in 'stages'; on the CPU)")
    target = weights_path(name)
    with atomic_path(target, suffix=".keras") as partial:
        generator.save(partial)
    where = ("bash benchmarks/gpu_check.sh" if record.get("accelerator") else
             "benchmarks/recipes.py, on the CPU" if recipe else "hand, on the CPU")
    write_card(name, ours, record, metrics, target,
               made_by_note=f" (run by {where}; shipped by benchmarks/ship_model.py ship)",
               saved_with=saved_with_line(keras.__version__, record), **extra)
    return target


def saved_with_line(keras_version: str, record: dict) -> str:
    precision = record["ours"]["config"].get("mixed_precision") or "float32"
    return (f"Keras {keras_version} (the oldest Keras this package supports: Colab's), float32, so every supported "
            f"Keras loads it; the weights are those of the {record.get('accelerator') or record.get('backend')} run; "
            f"metrics measured on the CPU with this file, the curve during training ({precision})")


def held_out_sources(prepared: Path) -> list[str]:
    """The source file names of a prepared set's test split (its manifest)."""
    manifest = json.loads((prepared / "manifest.json").read_text())
    return sorted(item["source"] for item in manifest["test"])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export-weights", help="a saved generator's weights as .weights.h5")
    exp.add_argument("source")
    exp.add_argument("target")
    exp.add_argument("--blend-with", help="network interpolation: this generator's weights ...")
    exp.add_argument("--alpha", type=float, default=1.0, help="... get 1 - alpha, the source's alpha")
    shp = sub.add_parser("ship", help="build, load weights, score on the CPU, save as a named model with its card")
    shp.add_argument("name")
    shp.add_argument("--weights", required=True)
    shp.add_argument("--result", required=True, help="the quality.py result JSON of the run")
    shp.add_argument("--eval", nargs="+", required=True, metavar="LABEL=FOLDER", help="sets scored for the card")
    shp.add_argument("--history", default="", help="what changed from the model shipped before, and why")
    shp.add_argument("--note", default="", help="how the shipped weights were made from the run's, if not as trained")
    shp.add_argument("--stages", default="", help="JSON of the recipe's stages (benchmarks/recipes.py ship)")
    shp.add_argument("--recipe", default="", help="the recipe's name")
    args = parser.parse_args(argv)
    if args.command == "export-weights":
        export_weights(args.source, args.target, args.blend_with, args.alpha)
    else:
        ship_from_weights(args.name, args.weights, args.result, args.eval, args.history, args.note, args.stages,
                          args.recipe)


if __name__ == "__main__":
    main()
