"""How well does the package's training learn? SRResNet (MSE) trained through the public path (a
TrainConfig and `train()`) on random patches of the "291" whole images, for a step or time budget, then
PSNR / SSIM (Y channel, 4-px border) and NIQE on Set5, Set14 and BSD100 beside bicubic and published numbers.
`--train-set faces` trains on the CelebA faces instead (fixed centre crops, 20% held out) and scores the
held-out faces.

    python benchmarks/quality.py --backend tensorflow --steps 1200,3000            # the parity run (CPU)
    python benchmarks/quality.py --backend jax --minutes 5 --blocks 16 --batch 16  # a time budget (GPU)
    python benchmarks/quality.py --smoke                                            # seconds: proves it runs
    python benchmarks/quality.py --train-set faces --hr-size 88 --minutes 2 --blocks 16  # the face model (GPU)
    python benchmarks/quality.py --from srresnet-x4 --tone-patches 0.25 --freeze-bn ...  # a fine-tune

With `--reference torch` (when PyTorch is importable) the same architecture is trained in plain PyTorch
on the very same batches (the package's loader, same seed) for the same steps, and both are compared at
every evaluation point. `--export NAME` ships the result as a named model (weights + card).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zlib
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
EXPERIMENT_INITS = {"keras+prelu25": ("keras", 0.25), "torch+prelu0": ("torch", 0.0)}  # (base init, PReLU slope)
PUBLISHED = {"SRResNet (paper)": {"Set5": 32.05, "Set14": 28.49, "BSD100": 27.58},
             "VDSR (291 images)": {"Set5": 31.35, "Set14": 28.01, "BSD100": 27.29}}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"), choices=["tensorflow", "jax"])
    p.add_argument("--data", default=str(REPO.parent / "shared" / "data"), help="holds T91/, BSD200/, Set5/...")
    p.add_argument("--train-set", default="291", choices=["291", "291_degraded", "faces", "faces_essex", "faces_mix"],
                   help="291: T91 + BSD200 whole images, --patch crops; faces: <data>/faces (CelebA) as "
                        "--hr-size centre crops, 20%% held out for the curve and the score; faces_essex: the Essex "
                        "faces, whole images, --patch crops, 10%% of the people held out for the curve; these face "
                        "sets are also scored on <data>/faces_lfw (248-px centre crops: faces of another source); "
                        "faces_mix: the Essex training people and the 1,600 CelebA training faces together (whole "
                        "images, --patch crops; curve on the held-out Essex people, also scored on the 400 held-out "
                        "CelebA faces)")
    p.add_argument("--hr-size", type=int, default=88, help="faces: HR side of the centre crops (LR: a quarter)")
    p.add_argument("--n-images", type=int, default=None, help="train on this many of the images (default: all)")
    p.add_argument("--data-root", default="data", help="where the training set is prepared")
    p.add_argument("--work", default="outputs/quality", help="run folders go below this")
    p.add_argument("--run-dir", help="this run folder instead of a new one below --work: a run stopped earlier "
                   "(Ctrl-C, --sitting-minutes, a lost machine) continues from its newest checkpoint")
    p.add_argument("--sitting-minutes", type=float, default=0, help="stop this sitting after this much training "
                   "(a checkpoint is kept; exit status 3); the same command continues it (with --run-dir)")
    p.add_argument("--blocks", type=int, default=2, help="residual blocks")
    p.add_argument("--patch", type=int, default=64, help="HR patch side")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--learning-rate", type=float, default=1e-4, help="Adam learning rate")
    p.add_argument("--steps", default="1200,3000", help="evaluation points; the last is the step budget")
    p.add_argument("--minutes", type=float, default=0, help="a training-time budget instead of --steps' last")
    p.add_argument("--eval-every", type=int, default=300, help="Set5 PSNR every N steps (learning curve)")
    p.add_argument("--steps-per-epoch", type=int, default=100)
    p.add_argument("--save-every", type=int, default=10, help="checkpoint every N epochs")
    p.add_argument("--init", default="torch", choices=["torch", "keras", *EXPERIMENT_INITS],
                   help="weight initialisation (TrainConfig.init); keras+prelu25 and torch+prelu0 swap the PReLU "
                        "starting slope, to find which part of the initialisation matters")
    p.add_argument("--precision", default=None, help="None, mixed_bfloat16, mixed_float16")
    p.add_argument("--sets", default=None, help="benchmark sets evaluated at the end (default: Set5,Set14,BSD100 "
                   "for 291, none for faces, whose held-out split is always scored)")
    p.add_argument("--reference", choices=["torch"], help="also train the same network in plain PyTorch")
    p.add_argument("--from", dest="generator_from", help="start from this generator (a shipped name, a run folder "
                   "or a .keras file): a fine-tune (TrainConfig.generator_from)")
    p.add_argument("--tone-patches", type=float, default=0.0, help="share of each batch made of flat fields and "
                   "ramps (TrainConfig.tone_patches)")
    p.add_argument("--freeze-bn", action="store_true", help="BatchNorm keeps its statistics (fine-tuning)")
    p.add_argument("--gan", choices=["vgg19", "random_vgg19", "pixel"], help="train the GAN phase (SRGAN) with "
                   "this content loss instead of the MSE phase; start it --from a trained SRResNet")
    p.add_argument("--curve-set", default="Set5", help="291: the benchmark set of the learning curve (Set14 has "
                   "the larger images NIQE needs)")
    p.add_argument("--adv-weight", type=float, default=1e-3, help="GAN: weight of the adversarial term")
    p.add_argument("--pixel-weight", type=float, default=0.0, help="GAN: weight of an added pixel-MSE term")
    p.add_argument("--draws", type=int, default=32, help="291_degraded: degraded patches drawn per HR image, made "
                   "once before training (data/degraded_set.py)")
    p.add_argument("--degraded-patch", type=int, default=128, help="291_degraded: HR side of each drawn pair")
    p.add_argument("--degraded-recipe", choices=["mild", "strong"], help="291_degraded: every pair made by this "
                   "evaluation recipe (evaluate --degrade) instead of the ranges: a specialist for it")
    p.add_argument("--ema-decay", type=float, default=0.0, help="average of the generator's weights, exported "
                   "instead of the raw ones (BasicSR: 0.999; 0: off)")
    p.add_argument("--artifact-weight", type=float, default=0.0, help="GAN: LDL's artefact term (needs --ema-decay)")
    p.add_argument("--discriminator", default="srgan", choices=["srgan", "unet"], help="GAN: the discriminator "
                   "(unet: Real-ESRGAN's U-Net with spectral norm, one logit per pixel)")
    p.add_argument("--discriminator-options", type=json.loads, default=None,
                   help='GAN: the discriminator\'s own settings, JSON, e.g. \'{"features": 32}\'')
    p.add_argument("--degradation", default="bicubic", choices=["bicubic", "realistic"],
                   help="how training LR is made (realistic: blur, noise, JPEG; data/degrade.py)")
    p.add_argument("--degradation-ranges", type=json.loads, default=None,
                   help='realistic (or 291_degraded: the ranges its pairs are drawn from): ranges replaced, '
                        'JSON, e.g. \'{"clean_prob": 0.2}\'')
    p.add_argument("--workers", type=int, default=None, help="loader worker processes (default: the machine's)")
    p.add_argument("--schedule", default="constant", choices=["constant", "step", "cosine"],
                   help="learning-rate schedule (cosine: with --warmup-epochs; step: x0.1 at --decay-epoch)")
    p.add_argument("--warmup-epochs", type=int, default=0)
    p.add_argument("--decay-epoch", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--deterministic", action="store_true", help="TensorFlow op determinism (bit-reproducible; "
                   "slower): by default a benchmark takes the fast kernels")
    p.add_argument("--export", help="ship the trained generator as this named model (weights + card)")
    p.add_argument("--generator-out", help="also copy the trained generator.keras to this path")
    p.add_argument("--out", help="result JSON (default benchmarks/results/quality_<backend>_<tag>.json)")
    p.add_argument("--smoke", action="store_true", help="1 block, 32-px patches, 20 steps, 24 images, Set5 only")
    args = p.parse_args(argv)
    if args.smoke:
        args.blocks, args.patch, args.batch = 1, 32, 4
        args.steps, args.eval_every, args.steps_per_epoch = "10,20", 10, 10
        args.n_images = args.n_images or 24
        if args.sets is None:
            args.sets = "Set5" if args.train_set == "291" else ""
    if args.sets is None:
        args.sets = "Set5,Set14,BSD100" if args.train_set.startswith("291") else ""
    args.eval_steps = sorted(int(s) for s in args.steps.split(","))
    return args


def prepare_train_set(args) -> tuple[Path, Path]:
    """(prepared training set, the folder the learning curve is measured on)."""
    from srgan_helpers.workflows import prepare

    subset = f"_n{args.n_images}" if args.n_images else ""
    if args.train_set == "faces_mix":
        return prepare_face_mix(args)
    if args.train_set == "faces_essex":
        data_dir, _ = prepare("faces_essex", args.data_root, f"faces_essex_min{args.patch}{subset}",
                              n_images=args.n_images, test_fraction=0.1, mode="whole", min_size=args.patch,
                              folder=args.data)
        return data_dir, data_dir
    if args.train_set == "faces":
        data_dir, _ = prepare(str(Path(args.data) / "faces"), args.data_root, f"faces{args.hr_size}{subset}",
                              n_images=args.n_images, hr_size=args.hr_size, test_fraction=0.2, mode="fixed")
        return data_dir, data_dir / "test"
    data_dir, _ = prepare("291", args.data_root, f"291_min{args.patch}{subset}", n_images=args.n_images,
                          test_fraction=0, mode="whole", min_size=args.patch, folder=args.data)
    if args.train_set == "291_degraded":
        data_dir = degraded_291(args)
    return data_dir, Path(args.data) / args.curve_set


def degraded_291(args) -> Path:
    """The "291" images as realistic-degraded pairs made once (seeded draws), read as fixed pairs."""
    from srgan_helpers.data.degrade import DegradeRanges
    from srgan_helpers.data.degraded_set import make_degraded_set

    recipe = args.degraded_recipe
    ranges = None if recipe and not args.degradation_ranges else DegradeRanges.with_overrides(args.degradation_ranges)
    tag = f"_{recipe}" if recipe else f"_r{zlib.crc32(repr(ranges).encode()):08x}" if args.degradation_ranges else ""
    out = Path(args.data_root) / f"291_degraded_d{args.draws}_p{args.degraded_patch}_s{args.seed}{tag}"
    try:
        make_degraded_set(Path(args.data_root) / "raw" / "291", out, draws=args.draws, hr_patch=args.degraded_patch,
                          seed=args.seed, ranges=ranges, recipe=recipe)
    except ValueError as exc:  # bad ranges or settings: one line, nothing written
        raise SystemExit(str(exc)) from None
    return out


def essex_split(args) -> Path:
    """The Essex faces prepared as whole images, 10% of the people held out (seed 0): the same split for every
    face recipe, whatever its patch size."""
    from srgan_helpers.workflows import prepare

    data_dir, _ = prepare("faces_essex", args.data_root, "faces_essex_min96", n_images=None, test_fraction=0.1,
                          mode="whole", min_size=96, folder=args.data)
    return data_dir


def prepare_face_mix(args) -> tuple[Path, Path]:
    """Essex's training people and CelebA's training faces (all but the 400 srresnet-x4's card holds out) as
    one whole-image set; the curve is measured on the held-out Essex people."""
    from srgan_helpers.named_models import card
    from srgan_helpers.workflows import prepare

    essex = essex_split(args)
    manifest = json.loads((essex / "manifest.json").read_text())
    source = Path(args.data_root) / "raw" / "faces_mix"
    if not source.is_dir():
        staging = source.with_name(".faces_mix.partial")
        held_out = set(card("srresnet-x4")["held_out_faces"])
        links = {f"essex/{item['source']}": Path(args.data) / "faces_essex" / item["source"]
                 for item in manifest["train"]}
        links.update({f"celeba/{p.name}": p for p in sorted((Path(args.data) / "faces").glob("*.jpg"))
                      if p.name not in held_out})
        for name, target in links.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).symlink_to(target.resolve())
        staging.rename(source)
    data_dir, _ = prepare(str(source), args.data_root, f"faces_mix_min{args.patch}", n_images=None, test_fraction=0,
                          mode="whole", min_size=args.patch)
    return data_dir, essex


def eval_folders(args, curve_folder: Path) -> dict[str, Path]:
    """The sets scored at the end: the held-out faces (faces) and the benchmark sets in --sets."""
    folders = {"faces_test": curve_folder} if args.train_set == "faces" else {}
    if args.train_set in ("faces_essex", "faces_mix"):
        folders["faces_essex_test"] = curve_folder
    if args.train_set == "faces_mix":
        folders["faces_test"] = celeba_held_out(args)
    if args.train_set != "291" and not args.smoke and (Path(args.data) / "faces_lfw").is_dir():
        folders["faces_lfw"] = lfw_check_set(args)
    folders.update({name: Path(args.data) / name for name in args.sets.split(",") if name})
    return folders


def celeba_held_out(args) -> Path:
    """The 400 CelebA faces srresnet-x4's card holds out, as 88-px pairs (as the release check prepares them)."""
    from srgan_helpers.inference.release_check import held_out_faces
    from srgan_helpers.named_models import card

    return held_out_faces(card("srresnet-x4"), Path(args.data), Path(args.data_root) / "celeba_held_out")


def lfw_check_set(args) -> Path:
    """The LFW faces as a check set: every photo's 248-px centre crop and its bicubic LR (never trained on)."""
    from srgan_helpers.workflows import prepare

    data_dir, _ = prepare("faces_lfw", args.data_root, "faces_lfw248", n_images=None, hr_size=248, test_fraction=0,
                          folder=args.data)
    return data_dir / "train"


def register_experiment_init(init: str) -> tuple[str, str]:
    """(generator name, TrainConfig.init) for `init`; an experiment's init is a generator of its own in
    networks.GENERATORS: the base initialisation, then every PReLU slope set to the experiment's."""
    if init not in EXPERIMENT_INITS:
        return "srresnet", init
    from srgan_helpers import networks

    base, slope = EXPERIMENT_INITS[init]

    def srresnet_with_slope(cfg, synchronized_bn=False):
        import keras

        generator = networks.srresnet.build(cfg, synchronized_bn)
        for layer in generator.layers:
            if isinstance(layer, keras.layers.PReLU):
                layer.alpha.assign(keras.ops.full(layer.alpha.shape, slope))
        return generator

    entry = SimpleNamespace(**{name: getattr(networks.srresnet, name) for name in ("SETTINGS", "LAYERS", "check")})
    networks.GENERATORS[f"srresnet-{init}"] = SimpleNamespace(**vars(entry), build=srresnet_with_slope)
    return f"srresnet-{init}", base


def make_config(args, data_dir: Path):
    from srgan_helpers.config import TrainConfig

    generator, init = register_experiment_init(args.init)
    budget = args.eval_steps[-1] if not args.minutes else 10**7
    epochs = -(-budget // args.steps_per_epoch)
    faces = args.train_set == "faces"  # fixed pairs; faces_essex: whole images, patches as 291
    hr_size = args.hr_size if faces else args.degraded_patch if args.train_set == "291_degraded" else 176
    gan = {"content_loss": args.gan, "adv_weight": args.adv_weight, "pixel_weight": args.pixel_weight,
           "artifact_weight": args.artifact_weight, "discriminator": args.discriminator,
           "discriminator_options": args.discriminator_options} \
        if args.gan else {"vgg_weights": None}
    return TrainConfig(data_dir=str(data_dir), crop_size=None if faces else args.patch,
                       hr_size=hr_size, n_res_blocks=args.blocks, d_head="pool", **gan,
                       degradation=args.degradation,
                       degradation_ranges=None if args.train_set == "291_degraded" else args.degradation_ranges,
                       loader_workers=args.workers, batch_size=args.batch, learning_rate_schedule=args.schedule,
                       warmup_epochs=args.warmup_epochs, learning_rate_decay_epoch=args.decay_epoch,
                       epochs=epochs if args.gan else 0, pretrain_epochs=0 if args.gan else epochs,
                       learning_rate=args.learning_rate, steps_per_epoch=args.steps_per_epoch, sample_every=10**6,
                       save_every=args.save_every, keep_last=1, keep_every=0, seed=args.seed, init=init,
                       generator=generator,
                       mixed_precision=args.precision, deterministic=args.deterministic,
                       generator_from=args.generator_from, tone_patches=args.tone_patches,
                       freeze_batchnorm=args.freeze_bn, ema_decay=args.ema_decay)


SITTING_OVER = 3  # exit status of a sitting that ended before the stage did (run the same command again)


class Curve:
    """The on_epoch_end callback: PSNR on one set (Set5; the held-out faces) at the evaluation points, and the
    step or time budget. Its points and the training time are kept in the run folder (curve.json), so a run
    continued in a later sitting has its whole curve; `sitting_over` says a sitting ended early."""

    def __init__(self, args, folder: Path, run_dir: Path):
        self.args, self.folder, self.path = args, folder, run_dir / "curve.json"
        kept = json.loads(self.path.read_text()) if self.path.is_file() else {}
        self.points, self.train_seconds = kept.get("points", []), kept.get("train_seconds", 0.0)
        self.earlier_wall = kept.get("wall_seconds", 0.0)  # the wall time of earlier sittings
        self.started = time.perf_counter()
        self.sitting_seconds, self.sitting_over = 0.0, False
        self.baseline = None  # the last point's evaluation

    def __call__(self, event) -> bool:
        step = event.row["step"]
        self.train_seconds += event.row["seconds"]
        self.sitting_seconds += event.row["seconds"]
        done = (step >= self.args.eval_steps[-1] if not self.args.minutes
                else self.train_seconds >= 60 * self.args.minutes)
        if done or step in self.args.eval_steps or step % self.args.eval_every == 0:
            self.add_point(event, step)
        self._keep(event.run_dir)
        self.sitting_over = not done and bool(self.args.sitting_minutes) and \
            self.sitting_seconds >= 60 * self.args.sitting_minutes
        return done or self.sitting_over

    def _keep(self, run_dir: Path) -> None:
        from srgan_helpers.fileio import write_text_atomic

        wall = self.earlier_wall + time.perf_counter() - self.started
        write_text_atomic(self.path, json.dumps({"points": self.points, "train_seconds": self.train_seconds,
                                                 "wall_seconds": wall}))

    @staticmethod
    def _keep_generator(event, step: int) -> None:
        """The generator of each evaluation point, kept (run/points/stepN.keras): a GAN's scores swing from point
        to point, so a stage may ship the point its held-out set prefers."""
        from srgan_helpers.fileio import atomic_path

        path = Path(event.run_dir) / "points" / f"step{step}.keras"
        path.parent.mkdir(exist_ok=True)
        with atomic_path(path, suffix=".keras") as partial:
            event.generator.save(partial)

    def add_point(self, event, step: int) -> None:
        from srgan_helpers.evaluate import evaluate

        result = evaluate(event.generator, self.folder, progress=False, with_niqe=bool(self.args.gan),
                          baseline=self.baseline)  # bicubic's and HR's scores: measured at the first point only
        self.baseline, mean = result, result["mean"]
        self.points = [p for p in self.points if p["step"] < step]  # a resumed run redoes steps after its checkpoint
        self.points.append({"step": step, "train_seconds": round(self.train_seconds, 1),
                            "psnr": mean["sr_psnr"], "ssim": mean["sr_ssim"], "niqe": mean.get("sr_niqe"),
                            "g_loss": event.row["g_loss"]})
        niqe = f", NIQE {mean['sr_niqe']:.2f}" if self.args.gan else ""
        self._keep_generator(event, step)
        print(f"  step {step:>6} ({self.train_seconds:6.0f} s): {self.folder.name} {mean['sr_psnr']:.2f} dB{niqe} "
              f"({event.row['images_per_s']:.0f} img/s)", flush=True)


def train_ours(args, data_dir: Path, curve_folder: Path) -> dict:
    from speed import matmul_peak_gflops, run_speed

    from srgan_helpers.evaluate import score_sets
    from srgan_helpers.inference import load_generator
    from srgan_helpers.training import train

    cfg = make_config(args, data_dir)
    run_dir = Path(args.run_dir or Path(args.work) / f"{args.backend}_{args.train_set}_{args.blocks}b_"
                                                      f"{time.strftime('%Y%m%dT%H%M%S')}")
    curve = Curve(args, curve_folder, run_dir)
    peak = matmul_peak_gflops()  # before training, in the same run: what this machine does today
    start = time.perf_counter()
    result = train(cfg, run_dir, progress=False, on_epoch_end=curve)
    wall = curve.earlier_wall + time.perf_counter() - start  # every sitting's
    peak = max(peak, matmul_peak_gflops())  # at both ends: a peak taken while other work ran reads low
    if curve.sitting_over:
        print(f"sitting over at step {curve.points[-1]['step'] if curve.points else '?'} ({wall / 60:.1f} min); the "
              f"newest checkpoint is in {run_dir}: run the same command again to continue", flush=True)
        raise SystemExit(SITTING_OVER)
    generator = load_generator(result.generator_path)
    if args.generator_out:
        import shutil

        from srgan_helpers.fileio import atomic_path

        with atomic_path(args.generator_out, suffix=".keras") as partial:
            shutil.copyfile(result.generator_path, partial)
    return {"run_dir": str(run_dir), "train_set": args.train_set, "config": cfg.to_dict(),
            "curve_set": str(curve_folder), "curve": curve.points, "wall_seconds": round(wall, 1),
            "train_seconds": round(curve.train_seconds, 1), "steps": curve.points[-1]["step"],
            "params": generator.count_params(), "speed": run_speed(run_dir, peak),
            "final": score_sets(generator, eval_folders(args, curve_folder), with_niqe=True),
            "generator": str(result.generator_path)}


def table(ours: dict, reference: dict | None) -> str:
    sets = list(ours["final"])
    lines = ["| model | " + " | ".join(f"{s} PSNR / SSIM" for s in sets) + " |", "|---|" + "---|" * len(sets)]
    first = ours["final"]
    lines.append("| bicubic (Pillow) | " + " | ".join(f"{first[s]['bicubic_psnr']:.2f} / {first[s]['bicubic_ssim']:.4f}"
                                                       for s in sets) + " |")
    for label, run in (("ours", ours), ("plain PyTorch", reference)):
        if run:
            lines.append(f"| {label}, {run['steps']} steps | " + " | ".join(
                f"{run['final'][s]['psnr']:.2f} / {run['final'][s]['ssim']:.4f}" for s in sets) + " |")
    for label, numbers in PUBLISHED.items():
        lines.append(f"| {label} | " + " | ".join(f"{numbers[s]:.2f}" if s in numbers else "-" for s in sets) + " |")
    return "\n".join(lines)


def main(argv=None) -> dict:
    args = parse_args(argv)
    os.environ["KERAS_BACKEND"] = args.backend
    sys.path.insert(0, str(REPO / "benchmarks"))
    from record import write_result

    data_dir, curve_folder = prepare_train_set(args)
    size = f"pairs {args.hr_size}" if args.train_set == "faces" else f"patches {args.patch}"
    print(f"training {args.blocks}-block SRResNet on {args.train_set} with {args.backend}: {size}, batch {args.batch}, "
          f"learning rate {args.learning_rate}, init {args.init}, budget {args.minutes or args.eval_steps[-1]} "
          f"{'min' if args.minutes else 'steps'}", flush=True)
    ours = train_ours(args, data_dir, curve_folder)
    reference = None
    if args.reference == "torch":
        from torch_srresnet import train_reference

        reference = train_reference(args, data_dir, ours["steps"], eval_folders(args, Path(args.data) / "Set5"))
    print(table(ours, reference))
    result = {"args": {k: v for k, v in vars(args).items()}, "ours": ours, "reference": reference,
              "published": PUBLISHED, "table": table(ours, reference)}
    if reference:
        result["parity"] = [{"step": a["step"], "ours": a["psnr"], "torch": b["psnr"],
                             "difference_db": a["psnr"] - b["psnr"]}
                            for a, b in zip(ours["curve"], reference["curve"])]
    tag = "smoke" if args.smoke else f"{args.train_set}_{args.blocks}b_{ours['steps']}steps_{args.init}"
    out = args.out or REPO / "benchmarks" / "results" / f"quality_{args.backend}_{tag}.json"
    record = write_result(out, "quality", result)
    if args.export:
        from ship_model import ship

        ship(args.export, ours, record)
    return record


if __name__ == "__main__":
    main()
