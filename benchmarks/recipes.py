"""How each shipped model is made on a 2-core CPU, stage by stage, from the shipped model it starts from:
one command per model that anyone can rerun, and continue across sittings.

    python benchmarks/recipes.py list                                   # the recipes and their stages
    python benchmarks/recipes.py run srresnet-x4-faces                  # every stage not done yet
    python benchmarks/recipes.py run srgan-x4-faces --sitting-minutes 30

Each stage is one benchmarks/quality.py run in a fixed folder (outputs/recipes/<model>/stage<N>/run), so
a sitting that ends (Ctrl-C, --sitting-minutes, a lost machine) continues from its newest checkpoint when
the same command runs again; a stage is done when its result JSON exists, and the next stage starts from
its generator. The result JSON holds the stage's wall time, training time, images/s and the share of a
matmul peak measured in the same run (benchmarks/speed.py). Shipping is a separate, deliberate step:
`ship` exports the last stage's weights (network interpolation where the recipe says so) and builds the
named model with the oldest supported Keras (.venv-colab: benchmarks/ship_model.py explains why).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "outputs" / "recipes"
SITTING_OVER = 3  # quality.py's exit status of a sitting that ended before its stage


@dataclasses.dataclass(frozen=True)
class Stage:
    """One training run: quality.py's options (without --from, --run-dir, --out, --generator-out)."""

    what: str
    options: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Recipe:
    start_from: str  # a shipped model's name ("": a network trained from scratch, as the smoke recipe)
    stages: tuple[Stage, ...]
    eval_sets: tuple[str, ...]  # LABEL=FOLDER scored for the card (relative to the repository)
    blend: float = 1.0  # network interpolation of the shipped weights: blend x last stage + (1 - blend) x partner
    blend_with: str = ""  # the partner of the interpolation (a shipped model's name; "": start_from)
    blend_why: str = ""  # how the blend was chosen (the card says it)
    history: str = ""  # what changed from the model shipped before under this name, and why (the card says it)
    held: str = ""  # why its last result must not ship (a target it missed); "": it may


FACE_TRAINING = ("--backend", "tensorflow", "--train-set", "faces_essex", "--blocks", "16", "--batch", "16",
                 "--patch", "96", "--tone-patches", "0.25", "--freeze-bn", "--schedule", "cosine")
FACE_MIX = (*FACE_TRAINING[:3], "faces_mix", *FACE_TRAINING[4:8], "--patch", "80", *FACE_TRAINING[10:])
FACE_EVAL = ("faces_essex_test=data/faces_essex_min96", "faces_lfw=data/faces_lfw248/train",
             "Set5=../shared/data/Set5", "Set14=../shared/data/Set14")
# Phone and web photos, in one stage: optical blur, a /4 resize, sensor noise, JPEG (the second stage's blur,
# the random resizes and the sinc filter of Real-ESRGAN's two-stage model off)
REAL_PHOTO_RANGES = {
    "first": {"blur_sigma": [0.2, 2.0], "sinc_prob": 0, "resize_prob": [0, 0, 1], "gaussian_noise_prob": 1,
              "noise_range": [0, 0.5], "gray_noise_prob": 0, "jpeg_range": [90, 95]},
    "second": {"resize_prob": [0, 0, 1], "gaussian_noise_prob": 0.8, "noise_range": [0, 15],
               "poisson_scale_range": [0.05, 1.5], "gray_noise_prob": 0.3, "jpeg_range": [30, 95]},
    "second_blur_prob": 0, "final_sinc_prob": 0, "clean_prob": 0.1}
RECIPES = {
    "srresnet-x4-faces": Recipe("srresnet-x4", (
        Stage("pixel MSE on the Essex faces (137 people; 16 held out), 96-px patches",
              (*FACE_TRAINING, "--learning-rate", "5e-5", "--steps", "300,600,900,1200,1500,1800",
               "--eval-every", "300")),
        Stage("pixel MSE on the Essex training people and the 1,600 CelebA training faces together, 80-px "
              "patches (Essex alone: +1.3 dB on held-out Essex people, -0.19 dB on held-out CelebA faces)",
              (*FACE_MIX, "--learning-rate", "5e-5", "--steps", "300,600,900,1200,1500,1800", "--eval-every", "300")),
    ), FACE_EVAL + ("faces_test=data/celeba_held_out/faces_test/train",)),
    "srgan-x4-faces": Recipe("srgan-x4", (
        Stage("SRGAN-MSE (pixel MSE + 0.005 x adversarial, as srgan-x4) on the Essex and CelebA training faces, "
              "80-px patches, from the shipped general GAN (from srresnet-x4-faces instead: NIQE on LFW 0.91 below "
              "it after 1,500 steps, 0.75 after 1,000 more at twice the adversarial weight; RESULTS.md)",
              (*FACE_MIX, "--learning-rate", "1e-4", "--warmup-epochs", "3", "--gan", "pixel",
               "--adv-weight", "0.005", "--steps", "500,1000,1500,2000", "--eval-every", "500")),
    ), FACE_EVAL + ("faces_test=data/celeba_held_out/faces_test/train",), blend=0.8, blend_with="srresnet-x4-faces",
        blend_why="Chosen on the held-out Essex people (NIQE / PSNR by share of the GAN: 1.0: 9.11 / 34.51 dB, 0.8: "
                  "8.45 / 34.63, 0.7: 8.48 / 34.67); the unblended GAN drew dark contour lines on faces."),
    "srgan-x4": Recipe("srresnet-x4", (
        Stage("SRGAN-MSE (pixel MSE + 0.005 x adversarial) on the \"291\" images, 64-px patches, with the weight "
              "average exported (BasicSR's EMA 0.999) and LDL's artefact term at 100 (LDL weighs it 1.0 against a "
              "pixel term of 0.01; here the pixel term is 1.0), its map held as a weight (through the map's own "
              "gradient the same run learned colour casts)",
              ("--backend", "tensorflow", "--train-set", "291", "--blocks", "16", "--batch", "16", "--patch", "64",
               "--tone-patches", "0.25", "--freeze-bn", "--schedule", "cosine", "--warmup-epochs", "3",
               "--learning-rate", "1e-4", "--gan", "pixel", "--adv-weight", "0.005", "--ema-decay", "0.999",
               "--artifact-weight", "100", "--curve-set", "Set14", "--steps", "500,1000,1500,2000",
               "--eval-every", "500")),
    ), ("Set5=../shared/data/Set5", "Set14=../shared/data/Set14", "BSD100=../shared/data/BSD100"),
        held="BSD100 NIQE 5.32 (target <= 4.86), BSD100/210088 5.70 dB below srresnet-x4, a mesh on grass and "
             "tentacles (RESULTS.md, 2026-12-05)"),
    "srresnet-x4-real": Recipe("srresnet-x4", (
        Stage("pixel MSE on degraded pairs made once (32 seeded draws of a 128-px patch per \"291\" image: blur "
              "sigma 0.2-2 at HR, a /4 resize, noise up to 15 levels, JPEG 30-95; 10% clean bicubic), 96-px "
              "patches",
              ("--backend", "tensorflow", "--train-set", "291_degraded", "--draws", "32", "--degraded-patch", "128",
               "--degradation-ranges", json.dumps(REAL_PHOTO_RANGES), "--blocks", "16", "--batch", "16", "--patch",
               "96", "--tone-patches", "0.2", "--freeze-bn", "--schedule", "cosine", "--warmup-epochs", "2",
               "--learning-rate", "1e-4", "--steps", "3000,6000", "--eval-every", "1500")),
    ), ("Set5=../shared/data/Set5", "Set14=../shared/data/Set14"),
        held="+0.54 dB on strong-degraded BSD100 after 3,000 steps (target +1.5); a specialist trained on the strong "
             "recipe itself (--degraded-recipe strong) +0.61 after 1,500 (RESULTS.md, 2026-12-05)"),
    "smoke": Recipe("", (Stage("seconds: 1 block, 32-px patches, 2 epochs of 10 steps (tests)", ("--smoke",)),), ()),
}


def shown(path: Path) -> str:
    """A path as the cards and logs show it: relative to the repository where it lies inside it."""
    path = Path(path).resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def stage_dir(name: str, index: int, work: Path = WORK) -> Path:
    return Path(work) / name / f"stage{index + 1}"


def stage_command(name: str, index: int, sitting_minutes: float = 0, work: Path = WORK,
                  data_root: str = "data") -> list[str]:
    """The quality.py command of stage `index` (it starts from the previous stage's generator)."""
    recipe, folder = RECIPES[name], stage_dir(name, index, work)
    start = recipe.start_from if index == 0 else shown(stage_dir(name, index - 1, work) / "generator.keras")
    command = [sys.executable, str(REPO / "benchmarks" / "quality.py"), *recipe.stages[index].options,
               *(["--from", start] if start else []), "--run-dir", str(folder / "run"), "--out",
               str(folder / "result.json"), "--generator-out", str(folder / "generator.keras"),
               "--data-root", data_root]
    return command + (["--sitting-minutes", str(sitting_minutes)] if sitting_minutes else [])


def run(name: str, sitting_minutes: float = 0, work: Path = WORK, data_root: str = "data") -> int:
    """Every stage not done yet, in order; 0 when all are done, SITTING_OVER when this sitting ended first."""
    for index, stage in enumerate(RECIPES[name].stages):
        folder = stage_dir(name, index, work)
        if (folder / "result.json").is_file():
            print(f"{name} stage {index + 1}: done ({folder / 'result.json'})")
            continue
        resumed = "continues" if (folder / "run" / "checkpoints").is_dir() else "starts"
        print(f"{name} stage {index + 1} {resumed}: {stage.what}", flush=True)
        code = subprocess.run(stage_command(name, index, sitting_minutes, work, data_root), cwd=REPO).returncode
        if code:
            return code
    print(f"{name}: every stage done; ship it with: python benchmarks/recipes.py ship {name}")
    return 0


def stage_records(name: str) -> list[dict]:
    """Each done stage's time and speed, as the card states them."""
    records = []
    for index, stage in enumerate(RECIPES[name].stages):
        result = json.loads((stage_dir(name, index) / "result.json").read_text())
        ours = result["ours"]
        records.append({"stage": index + 1, "what": stage.what, "steps": ours["steps"],
                        "wall_minutes": round(ours["wall_seconds"] / 60, 1),
                        "train_minutes": round(ours["train_seconds"] / 60, 1), **ours["speed"],
                        "command": " ".join(["python benchmarks/quality.py", *stage.options])})
    return records


def ship(name: str, python: str, anyway: bool = False) -> int:
    """Export the last stage's weights (blended where the recipe says) and ship them with `python` (the oldest
    supported Keras); the card gets every stage's time and speed."""
    recipe = RECIPES[name]
    if recipe.held and not anyway:
        print(f"not shipped: {name} is held: {recipe.held} (--anyway ships it regardless)", file=sys.stderr)
        return 2
    last = stage_dir(name, len(recipe.stages) - 1)
    weights = last / "shipped.weights.h5"
    partner = recipe.blend_with or recipe.start_from
    blend = ["--blend-with", partner, "--alpha", str(recipe.blend)] if recipe.blend != 1.0 else []
    ship_model = str(REPO / "benchmarks" / "ship_model.py")
    subprocess.run([sys.executable, ship_model, "export-weights", str(last / "generator.keras"), str(weights),
                    *blend], check=True, cwd=REPO)
    note = (f"Shipped weights: network interpolation (Wang et al., ESRGAN 2018) of {recipe.blend} x the last stage "
            f"and {round(1 - recipe.blend, 4):g} x {partner}{', its start' if partner == recipe.start_from else ''}. "
            f"{recipe.blend_why}".strip() if blend else "")
    records = stage_records(name)
    (last / "stages.json").write_text(json.dumps(records, indent=1) + "\n")
    note = " ".join(filter(None, [f"Trained from {recipe.start_from} in {len(records)} stage(s), "
                                  f"{sum(r['steps'] for r in records):,} steps in all, on a 2-core CPU "
                                  f"({sum(r['wall_minutes'] for r in records):.0f} min wall; the card's "
                                  f"'stages').", note]))
    return subprocess.run([python, ship_model, "ship", name, "--weights", str(weights), "--result",
                           str(last / "result.json"), "--eval", *recipe.eval_sets, "--note", note,
                           *(["--history", recipe.history] if recipe.history else []),
                           "--stages", str(last / "stages.json"), "--recipe", name], cwd=REPO).returncode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the recipes and their stages")
    go = sub.add_parser("run", help="run the stages not done yet")
    go.add_argument("name", choices=sorted(RECIPES))
    go.add_argument("--sitting-minutes", type=float, default=0, help="end this sitting after this much training")
    go.add_argument("--work", default=str(WORK), help="the recipes' folders (default outputs/recipes)")
    go.add_argument("--data-root", default="data", help="where quality.py prepares its sets (default data)")
    out = sub.add_parser("ship", help="ship the last stage as the named model")
    out.add_argument("name", choices=sorted(RECIPES))
    out.add_argument("--anyway", action="store_true", help="ship a recipe that is held (it missed a target)")
    out.add_argument("--python", default=str(REPO / ".venv-colab" / "bin" / "python"),
                     help="the interpreter with the oldest supported Keras (scripts/colab_stack.sh builds it)")
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, recipe in RECIPES.items():
            print(f"{name} (from {recipe.start_from}):")
            for index, stage in enumerate(recipe.stages):
                print(f"  stage {index + 1}: {stage.what}\n    {' '.join(stage_command(name, index, 0)[1:])}")
        return 0
    if args.command == "run":
        return run(args.name, args.sitting_minutes, Path(args.work), args.data_root)
    return ship(args.name, args.python, args.anyway)


if __name__ == "__main__":
    raise SystemExit(main())
