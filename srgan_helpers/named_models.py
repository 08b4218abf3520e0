"""Named models: pretrained generators shipped inside the package (weights + a card), resolved by name
wherever a model path is accepted (srgan-upscale --model, evaluate --model, notebooks 06 and 07).

    python -m srgan_helpers.named_models list          # shipped models and your own run folders
    python -m srgan_helpers.named_models card srresnet-x4
    python -m srgan_helpers.named_models check [NAME] [--full]   # the release check (inference/release_check.py)

An MSE-trained model is an "SRResNet"; a model trained with the adversarial loss is an "SRGAN", and its
card names the content loss it was trained with (pixel MSE: the paper's SRGAN-MSE; random-weight VGG19;
ImageNet VGG54). A known name whose weights are not shipped yet says how to train them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

from .runs import GENERATOR_NAME, list_runs

WEIGHTS_DIR = Path(__file__).parent / "weights"
KNOWN = {
    "srresnet-x4": ("general photos, x4, pixel-MSE (SRResNet)",
                    "bash benchmarks/gpu_check.sh on a GPU, then benchmarks/ship_model.py (its card says how)"),
    "srresnet-x4-faces": ("faces (Essex and CelebA; checked on LFW), x4, pixel-MSE (SRResNet)",
                          "python benchmarks/recipes.py run srresnet-x4-faces on a CPU (two stages from "
                          "srresnet-x4), then python -m srgan_helpers.named_models check"),
    "srgan-x4": ("general photos, x4, SRGAN (adversarial; the card names its content loss): photo-realistic "
                 "textures, lower PSNR",
                 "benchmarks/quality.py --gan pixel --from srresnet-x4 (CPU or GPU), or notebook 02 with "
                 "generator_from='srresnet-x4'"),
    "srgan-x4-faces": ("faces (Essex and CelebA; checked on LFW), x4, SRGAN (adversarial)",
                       "python benchmarks/recipes.py run srgan-x4-faces on a CPU (from srresnet-x4-faces). Not "
                       "shipped: its two CPU stages lowered NIQE on LFW by 0.91 and 0.75 against "
                       "srresnet-x4-faces, short of the 1.0 a face GAN must reach (benchmarks/RESULTS.md)"),
    "srresnet-x4-real": ("photos from phones and the web (blur, noise, JPEG), x4, pixel-MSE SRResNet trained on "
                         "the realistic degradation",
                         "benchmarks/quality.py --from srresnet-x4 --degradation realistic"),
}


class ModelNotShipped(FileNotFoundError):
    """A known model name whose weights this package does not ship (yet); the message says how to train it."""


def weights_path(name: str) -> Path:
    return WEIGHTS_DIR / f"{name}.keras"


def card(name: str) -> dict:
    """The card of a shipped model (architecture, data and its licence, training, scores, date)."""
    path = WEIGHTS_DIR / f"{name}.json"
    if not path.is_file():
        raise ModelNotShipped(_not_shipped(name))
    return json.loads(path.read_text())


def shipped() -> list[str]:
    return sorted(name for name in KNOWN if weights_path(name).is_file())


def _not_shipped(name: str) -> str:
    what, how = KNOWN[name]
    return (f"model {name!r} ({what}) has no weights shipped with this version of srgan_helpers. Train it: "
            f"{how}. Shipped: {shipped() or 'none'}")


def resolve_model(spec: str | Path) -> Path:
    """A .keras file for `spec`: a model name (always the shipped model: a local folder of the same name is
    reached by its path form, ./srresnet-x4), an existing file, or a run folder (its generator.keras)."""
    name, path = str(spec), Path(spec)
    if name in KNOWN:
        if not weights_path(name).is_file():
            raise ModelNotShipped(_not_shipped(name))
        if path.exists():
            warnings.warn(f"{name!r} is a shipped model's name: the shipped model is used, not the local {name}; "
                          f"pass ./{name} for that", stacklevel=2)
        return weights_path(name)
    if path.is_file():
        return path
    if path.is_dir():
        return path / GENERATOR_NAME
    raise FileNotFoundError(f"{spec}: no such .keras file, run folder or model name. Model names: "
                            f"{sorted(KNOWN)} (shipped: {shipped() or 'none'}); "
                            f"`python -m srgan_helpers.named_models list` shows them and your runs")


def headline_score(name: str) -> str:
    """A shipped model's PSNR beside bicubic's, from its card: Set5, else its first set (held-out faces);
    "" when the card has none."""
    metrics = card(name).get("metrics", {})
    label = "Set5" if "Set5" in metrics else next(iter(metrics), None)
    if label is None:
        return ""
    m = metrics[label]
    return f"{label.replace('_', ' ')} {m['psnr']:.2f} dB (bicubic {m['bicubic_psnr']:.2f})"


def list_models(*run_roots: str | Path) -> list[dict]:
    """Every known name (shipped or not, with its Set5 PSNR when shipped) and the user's own run folders."""
    rows = []
    for name, (what, _) in KNOWN.items():
        if weights_path(name).is_file():
            rows.append({"name": name, "kind": "shipped", "what": what, "path": str(weights_path(name)),
                         "score": headline_score(name)})
        else:
            rows.append({"name": name, "kind": "not shipped", "what": what, "path": "", "score": ""})
    for run in list_runs(*run_roots):
        rows.append({"name": str(run), "kind": "your run", "what": "", "path": str(run / GENERATOR_NAME), "score": ""})
    return rows


def card_markdown(name: str) -> str:
    c = card(name)
    lines = [f"# {name}", "", c.get("summary", ""), ""]
    for key in ("architecture", "data", "data_licence", "training", "device", "date", "made_by"):
        if key in c:
            lines.append(f"- **{key.replace('_', ' ')}**: {c[key]}")
    if c.get("metrics"):
        lines += ["", "| set | bicubic PSNR / SSIM | model PSNR / SSIM |", "|---|---|---|"]
        for name_, m in c["metrics"].items():
            lines.append(f"| {name_} | {m['bicubic_psnr']:.2f} / {m['bicubic_ssim']:.4f} | {m['psnr']:.2f} / "
                         f"{m['ssim']:.4f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from . import interrupts

    args = _parser().parse_args(argv)
    if args.command == "check":
        return interrupts.run_command(lambda: check_command(args.names or shipped(), args.data, args.full, args.jobs,
                                                            args.record),
                                      lambda: "the release check did not finish; no card was changed")
    if args.command == "card":
        try:
            print(card_markdown(args.name), end="")
        except (ModelNotShipped, KeyError):
            print(f"error: {_unknown(args.name)}", file=sys.stderr)
            return 2
        return 0
    for row in list_models(*args.runs):
        print(f"{row['name']:<22} {row['kind']:<12} {row['what'] or row['path']}  {row['score']}".rstrip())
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m srgan_helpers.named_models", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="shipped models and your run folders")
    listing.add_argument("--runs", nargs="*", default=["outputs"], help="folders holding your runs (default outputs)")
    show = sub.add_parser("card", help="a shipped model's card")
    show.add_argument("name")
    check = sub.add_parser("check", help="the release check: tones, no image below bicubic, the card re-measured")
    check.add_argument("names", nargs="*", help="shipped models (default: all of them)")
    check.add_argument("--full", action="store_true", help="also BSD100")
    check.add_argument("--record", action="store_true", help="with --full, on the package's own data: keep the "
                       "result (passed, date, each part's margin to its limit) in the shipped card")
    check.add_argument("--jobs", type=int, default=1, help="models checked at once, each in its own process")
    check.add_argument("--data", default=str(DEFAULT_DATA),
                       help="folder holding Set5/, Set14/, BSD100/ (benchmark layout) and faces/ (default: "
                            "../shared/data beside the repository)")
    return parser


def _unknown(name: str) -> str:
    return _not_shipped(name) if name in KNOWN else f"no model named {name!r}; names: {sorted(KNOWN)}"


DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def record_problem(data_root: str, full: bool) -> str | None:
    """Why `--record` cannot keep the result in the shipped cards (None: it can): only a full check on the
    data the cards were measured on, into a writable package."""
    if not full:
        return "--record keeps a full check's result: add --full"
    if Path(data_root).resolve() != DEFAULT_DATA.resolve():
        return (f"--record keeps only a check on the package's own data ({DEFAULT_DATA}); {data_root} is another "
                f"folder, so its result is printed, never written into the cards")
    if not os.access(WEIGHTS_DIR, os.W_OK):
        return f"--record: {WEIGHTS_DIR} is read-only (an installed package); check a writable copy of the package"
    return None


def check_command(names: list[str], data_root: str, full: bool, jobs: int = 1, record: bool = False) -> int:
    """Run the release check on each model (`jobs` models at a time, each in its own process when more than
    one); 0 when all pass, 1 when one fails, 2 on a usage error. `record`: keep the result in the cards."""
    from .inference.release_check import record_in_card

    unknown = [name for name in names if name not in shipped()]
    problem = _unknown(unknown[0]) if unknown else record_problem(data_root, full) if record else None
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    failed = []
    for name, findings in zip(names, _checked(names, data_root, full, jobs)):
        if isinstance(findings, str):
            print(f"error: {findings}", file=sys.stderr)
            return 2
        for f in findings:
            print(f"{name}: {'PASS' if f.passed else 'FAIL'} {f.line}")
        if record:
            record_in_card(name, findings, full)
        failed += [name] if not all(f.passed for f in findings) else []
    print(f"release check{' (full)' if full else ''}: {len(names) - len(failed)} of {len(names)} models passed"
          + (f"; failed: {', '.join(failed)} (do not ship them)" if failed else ""))
    return 1 if failed else 0


def _check_one(name: str, data_root: str, full: bool):
    """One model's findings, or the one-line reason its data is missing."""
    from .backend import load_keras
    from .inference.release_check import run_check

    load_keras()
    try:
        return run_check(name, data_root, full)
    except FileNotFoundError as exc:
        return str(exc)


def _checked(names: list[str], data_root: str, full: bool, jobs: int):
    """Each model's _check_one, in order: here, or in `jobs` spawned processes sharing the cores."""
    import concurrent.futures
    import multiprocessing
    import os

    jobs = max(1, min(jobs, len(names)))
    if jobs == 1:
        return [_check_one(name, data_root, full) for name in names]
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_share_cores, initargs=(threads,)) as pool:
        return list(pool.map(_check_one, names, [data_root] * len(names), [full] * len(names)))


def _share_cores(threads: str) -> None:
    """In a checking process, before TensorFlow starts: its share of the cores (unless the caller set one).
    Ctrl-C reaches the whole process group: the parent handles it, the checking processes ignore it."""
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", threads)


if __name__ == "__main__":
    raise SystemExit(main())
