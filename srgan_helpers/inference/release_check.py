"""The release check every shipped model passes (`python -m srgan_helpers.named_models check [NAME] [--full]`):

1. tones: flat fields of every gray level and of pure and mixed colours come back unchanged in the interior,
   and ramps come back as bicubic draws them (within 4 levels per pixel for a PSNR model, 8 for a GAN);
2. no image below bicubic (PSNR models): on every image of Set5 and Set14 (and BSD100 with `full`); a GAN
   model trades PSNR for realism, so it is held instead to the SRGAN paper's own PSNR on each set;
3. the card: every score it states, re-measured now from the shipped file, is what it says (without `full`:
   BSD100 and the held-out Essex and CelebA faces are left out, and a PSNR model's NIQE).

CI runs it without `full` on every shipped model; `full` runs before a model ships, and its result (passed,
date, worst tone, worst image) is kept in the card.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import numpy as np

from ..data.tones import colour_fields, gray_fields, ramps
from ..metrics import bicubic_upscale

TONE_TOLERANCE = {"psnr": 4, "gan": 8}  # levels, per pixel, in the interior
CARD_TOLERANCE = {"psnr": 0.01, "ssim": 5e-4, "niqe": 0.01}  # re-measured minus stated (CPU, either backend)
CARD_KEYS = (("psnr", "sr_psnr"), ("ssim", "sr_ssim"), ("bicubic_psnr", "bicubic_psnr"), ("niqe", "sr_niqe"),
             ("bicubic_niqe", "bicubic_niqe"))  # (the card's name, evaluate's)
QUICK_SETS, FULL_SETS = ("Set5", "Set14"), ("Set5", "Set14", "BSD100")
GAN_PSNR_FLOOR = {"Set5": 29.40, "Set14": 26.02, "BSD100": 25.16}  # SRGAN's PSNR in its paper (Ledig et al. 2017)


@dataclasses.dataclass
class Finding:
    """One part of the check: what was measured, whether it passed, and one line saying so."""

    part: str
    passed: bool
    line: str
    numbers: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class CommonWork:
    """What every model of one check measures alike, done once for all of them: each set's bicubic and HR
    scores (evaluate's `baseline`) and the face sets prepared from the shared data (in `workdir`)."""

    workdir: Path | None = None
    baselines: dict = dataclasses.field(default_factory=dict)  # (folder, scale) -> an evaluate() result
    prepared: dict = dataclasses.field(default_factory=dict)  # (label, what it is made of) -> folder

    def evaluate(self, generator, folder: Path, scale: int, with_niqe: bool) -> dict:
        """evaluate() of `generator` on `folder`, bicubic's and HR's scores measured at most once per folder."""
        from ..evaluate import evaluate

        key = (str(Path(folder).resolve()), scale)
        result = evaluate(generator, folder, scale, progress=False, with_niqe=with_niqe,
                          baseline=self.baselines.get(key))
        if with_niqe or key not in self.baselines:  # (a result with NIQE serves both kinds of call)
            self.baselines[key] = result
        return result

    def prepare(self, label: str, made_of, make) -> Path:
        """The folder `make(workdir)` prepares for `label` from `made_of`, made once per check."""
        key = (label, repr(made_of))
        if key not in self.prepared:
            self.prepared[key] = make(Path(self.workdir) / f"{label}_{len(self.prepared)}")
        return self.prepared[key]


def _interior(images: np.ndarray) -> np.ndarray:
    """The middle half of each image (rows and columns): away from the zero padding at the borders."""
    h, w = images.shape[1:3]
    return images[:, h // 4:h - h // 4, w // 4:w - w // 4]


def tone_deviation(generator, inputs: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Per input, the largest |output - expected| in levels over the interior pixels and channels."""
    from ..inference import super_resolve

    out = np.stack(super_resolve(generator, list(inputs), batch_size=32)).astype(np.int16)
    return np.abs(_interior(out) - _interior(expected.astype(np.int16))).max(axis=(1, 2, 3))


def check_tones(generator, scale: int, tolerance: int) -> Finding:
    """Flat gray and colour fields, and ramps (against bicubic of the same LR), within `tolerance` levels."""
    worst = {}
    for label, fields in (("gray", gray_fields()), ("colour", colour_fields())):
        expected = np.repeat(np.repeat(fields, scale, axis=1), scale, axis=2)
        dev = tone_deviation(generator, fields, expected)
        i = int(dev.argmax())
        worst[label] = (int(dev[i]), tuple(int(v) for v in fields[i, 0, 0]))
    for label, ramp in ramps().items():
        dev = tone_deviation(generator, ramp[None], bicubic_upscale(ramp, scale)[None])
        worst[f"ramp {label}"] = (int(dev[0]), None)
    name, (level, colour) = max(worst.items(), key=lambda item: item[1][0])
    where = f"{name} {colour}" if colour else name
    passed = level <= tolerance
    line = (f"tones: worst {level} levels off ({where}); limit {tolerance}, margin {tolerance - level} levels"
            + ("" if passed else ": the model clips or tints these tones"))
    return Finding("tones", passed, line, {k: v[0] for k, v in worst.items()} | {"margin": tolerance - level,
                                                                                "limit": tolerance})


def check_above_bicubic(generator, sets: dict[str, Path], scale: int, niqe_sets=(),
                        common: CommonWork | None = None) -> tuple[Finding, dict]:
    """Every image of every set at or above bicubic's PSNR; also returns each set's evaluation (with NIQE
    for the sets in `niqe_sets`)."""
    common = common or CommonWork()
    results = {label: common.evaluate(generator, folder, scale, label in niqe_sets) for label, folder in sets.items()}
    margins = [(row["sr_psnr"] - row["bicubic_psnr"], label, row["image"])
               for label, result in results.items() for row in result["images"]]
    margin, label, image = min(margins)
    below = sum(m < 0 for m, _, _ in margins)
    passed = below == 0
    line = (f"above bicubic: {len(margins) - below} of {len(margins)} images ({', '.join(sets)}); worst {label}/"
            f"{image} {margin:+.2f} dB (the margin to the limit)")
    return Finding("above_bicubic", passed, line, {"worst_image": f"{label}/{image}", "worst_margin_db": margin,
                                                  "below": below, "margin": round(margin, 4)}), results


def check_psnr_floor(measured: dict[str, dict]) -> Finding:
    """A GAN model's mean PSNR on each benchmark set measured at or above the SRGAN paper's."""
    scores = {label: result["mean"]["sr_psnr"] for label, result in measured.items() if label in GAN_PSNR_FLOOR}
    low = [f"{label} {psnr:.2f} dB < {GAN_PSNR_FLOOR[label]:.2f}" for label, psnr in scores.items()
           if not psnr >= GAN_PSNR_FLOOR[label]]
    shown = ", ".join(f"{label} {psnr:.2f}" for label, psnr in scores.items())
    margin = min((psnr - GAN_PSNR_FLOOR[label] for label, psnr in scores.items()), default=float("nan"))
    line = (f"PSNR floor (SRGAN paper): {shown} dB, margin {margin:+.2f} dB" if not low
            else "below the SRGAN paper's PSNR: " + "; ".join(low))
    return Finding("psnr_floor", bool(scores) and not low, line, {"psnr": scores, "floor": GAN_PSNR_FLOOR,
                                                                 "margin": round(margin, 4)})


def check_card(card: dict, measured: dict[str, dict], niqe_checked: set | None = None) -> Finding:
    """The card's PSNR/SSIM/NIQE (and bicubic's) for every set measured now, within CARD_TOLERANCE; with
    `niqe_checked`, NIQE only for those sets (the quick check of a PSNR model leaves NIQE to `full`)."""
    off, used = [], 0.0  # used: the largest difference as a share of its tolerance
    for label, result in measured.items():
        stated, mean = card.get("metrics", {}).get(label), result["mean"]
        if stated is None:
            off.append(f"{label}: not in the card")
            continue
        skip = () if niqe_checked is None or label in niqe_checked else ("niqe", "bicubic_niqe")
        for key, now_key in ((k, n) for k, n in CARD_KEYS if k in stated and k not in skip):
            limit = CARD_TOLERANCE[key.split("_")[-1]]
            difference = abs(mean.get(now_key, float("nan")) - stated[key])
            used = max(used, difference / limit) if difference == difference else used
            if not difference <= limit:
                off.append(f"{label} {key}: card {stated[key]:.4f}, measured {mean.get(now_key, float('nan')):.4f}")
    line = (f"card: {', '.join(measured)} as stated (largest difference {used:.0%} of its tolerance)" if not off
            else "card differs: " + "; ".join(off))
    return Finding("card", not off, line, {"sets": list(measured), "margin": round(1 - used, 4)})


def benchmark_sets(data_root: Path, labels) -> dict[str, Path]:
    """{label: folder} of the benchmark sets under `data_root`; one clear error when one is missing."""
    sets = {label: Path(data_root) / label for label in labels}
    missing = [label for label, folder in sets.items() if not (folder / "HR").is_dir()]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)} not found under {data_root}: pass --data, a folder holding "
                                f"{', '.join(labels)} in the benchmark layout (HR/ + LR_bicubic_x4/)")
    return sets


def held_out_faces(card: dict, data_root: Path, workdir: Path) -> Path:
    """The held-out faces ("faces_test": the 400 CelebA faces the card lists), prepared as when the card was
    measured (88-px centre crops, bicubic LR)."""
    import shutil

    from ..data.preprocess import preprocess

    names = card["held_out_faces"]
    source = workdir / "held_out_faces"
    source.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(Path(data_root) / "faces" / name, source / name)
    out = workdir / "faces_test"
    preprocess(source, out, n_images=None, hr_size=card.get("faces_hr_size", 88), test_fraction=0, mode="fixed",
               progress=False)
    return out / "train"


def held_out_people(card: dict, data_root: Path, workdir: Path) -> Path:
    """The Essex people a face model never saw ("faces_essex_test": the folders the card lists), their whole
    images with bicubic LR, as when the card was measured."""
    from ..data.preprocess import preprocess

    source = workdir / "held_out_people"
    for person in card["held_out_people"]:
        (source / person).mkdir(parents=True, exist_ok=True)
        for image in sorted((Path(data_root) / "faces_essex" / person).iterdir()):  # linked one by one: the
            (source / person / image.name).symlink_to(image.resolve())  # image search does not enter linked folders
    out = workdir / "faces_essex_test"
    preprocess(source, out, n_images=None, test_fraction=0, mode="whole", min_size=96, progress=False)
    return out / "train"


def lfw_faces(data_root: Path, workdir: Path) -> Path:
    """The LFW faces ("faces_lfw": another source than any training set), 248-px centre crops + bicubic LR."""
    from ..data.preprocess import preprocess

    out = workdir / "faces_lfw"
    preprocess(Path(data_root) / "faces_lfw", out, n_images=None, hr_size=248, test_fraction=0, progress=False)
    return out / "train"


def card_sets(card: dict, data_root: Path, common: CommonWork, full: bool) -> dict[str, Path]:
    """The sets the card states scores for that this check re-measures: Set5, Set14 and LFW always; BSD100
    and the held-out Essex and CelebA faces only when `full` (each face set prepared once per check)."""
    sets = {}
    for label in card.get("metrics", {}):
        if label == "faces_test" and full:
            made_of = (card["held_out_faces"], card.get("faces_hr_size", 88))
            sets[label] = common.prepare(label, made_of, lambda d: held_out_faces(card, data_root, d))
        elif label == "faces_essex_test" and full:
            made_of = card["held_out_people"]
            sets[label] = common.prepare(label, made_of, lambda d: held_out_people(card, data_root, d))
        elif label == "faces_lfw":
            sets[label] = common.prepare(label, (), lambda d: lfw_faces(data_root, d))
        elif label in FULL_SETS and (full or label in QUICK_SETS):
            sets[label] = Path(data_root) / label
    return sets


def checked_sets(data_root: Path, full: bool) -> dict[str, Path]:
    """The benchmark sets a (quick or `full`) check reads, by benchmark_sets."""
    return benchmark_sets(data_root, FULL_SETS if full else QUICK_SETS)


def run_check(name: str, data_root: str | Path, full: bool = False, common: CommonWork | None = None) -> list[Finding]:
    """Every part of the release check on the shipped model `name`; `common`: the work shared with the other
    models of the same check (by default, this model's own)."""
    if common is None:
        with common_work() as common:
            return run_check(name, data_root, full, common)
    from ..inference import load_generator, model_scale
    from ..named_models import card as read_card

    card = read_card(name)
    kind = card.get("kind", "psnr")
    benchmarks = checked_sets(data_root, full)  # missing data: before any work
    generator = load_generator(name)
    scale = model_scale(generator)
    findings = [check_tones(generator, scale, TONE_TOLERANCE[kind])]
    # NIQE re-measured where the card states it: always for a GAN model (its realism is its claim), with
    # `full` for a PSNR model too
    measured, niqe_sets = {}, {label for label, m in card.get("metrics", {}).items()
                               if "niqe" in m and (full or kind == "gan")}
    if kind == "psnr":
        finding, measured = check_above_bicubic(generator, benchmarks, scale, niqe_sets, common)
        findings.append(finding)
    for label, folder in card_sets(card, Path(data_root), common, full).items():
        if label not in measured:
            measured[label] = common.evaluate(generator, folder, scale, label in niqe_sets)
    if kind == "gan":
        findings.append(check_psnr_floor(measured))
    findings.append(check_card(card, {k: v for k, v in measured.items() if k in card.get("metrics", {})}, niqe_sets))
    findings[-1].numbers["measured"] = {label: {k: r["mean"][k] for k in ("sr_psnr", "bicubic_psnr")}
                                        for label, r in measured.items()}
    return findings


@contextlib.contextmanager
def common_work():
    """A CommonWork for the models of one check, its prepared sets in a temporary folder removed after."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="srgan-release-") as work:
        yield CommonWork(Path(work))


def record_in_card(name: str, findings: list[Finding], full: bool) -> None:
    """Keep the check's result in the card: passed, date, each part's line and numbers."""
    import datetime
    import json

    from ..fileio import remove_stale_temps, write_text_atomic
    from ..named_models import WEIGHTS_DIR, card

    remove_stale_temps(WEIGHTS_DIR)  # a card write a killed check left half-done
    values = card(name)
    values["release_check"] = {"passed": all(f.passed for f in findings), "full": full,
                               "date": datetime.date.today().isoformat(),
                               "parts": {f.part: {"passed": f.passed, "line": f.line, **f.numbers} for f in findings}}
    write_text_atomic(WEIGHTS_DIR / f"{name}.json", json.dumps(values, indent=1) + "\n")
