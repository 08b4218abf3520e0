"""One frozen dataclass of hyperparameters; written as JSON beside every run's checkpoints."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

from .fileio import write_text_atomic

SCHEDULES = ("constant", "step", "cosine")  # learning-rate schedules (training/schedules.py)
DEGRADATIONS = ("bicubic", "realistic")  # how training LR is made (data/degrade.py)
MAX_BATCH = 4096  # a global batch beyond this is a typo (the loader would try to allocate it)
MAX_LOADER_WORKERS = 256
LEGACY_UPSAMPLE = {"seed": "upsampling_lrelu"}  # the name runs made before 0.2 wrote into config.json
# Keys runs made before 0.3 wrote, when "lr" meant the learning rate too (it now means low resolution only).
LEGACY_KEYS = {"lr_decay_epoch": "learning_rate_decay_epoch", "lr_decay_factor": "learning_rate_decay_factor",
               "nan_lr_factor": "nan_learning_rate_factor"}
# Settings a resumed run must share with its checkpoints: they shape the weights, the data order or the
# meaning of an epoch. (`mixed_precision` is checked apart: only loss scaling changes the optimizer.)
LOCKED_ON_RESUME = ("generator", "discriminator", "content_loss", "generator_options", "discriminator_options",
                    "hr_size", "scale", "crop_size", "n_res_blocks", "upsample", "d_head", "vgg_layer", "data_dir",
                    "batch_size", "seed", "pretrain_epochs", "augment", "steps_per_epoch", "tone_patches",
                    "freeze_batchnorm", "degradation", "degradation_ranges", "ema_decay")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run. Defaults reproduce the original project + the paper."""

    # data
    data_dir: str = "data/celeba"  # a prepared set (notebook 01): fixed pairs or whole images
    hr_size: int = 176  # HR side of the stored pairs of a fixed-crop set (whole-image sets: not used)
    scale: int = 4
    crop_size: int | None = None  # HR patch side for training (None: whole stored pair; whole-image sets need one)
    augment: bool = True  # random flips and 90-degree rotations
    tone_patches: float = 0.0  # fraction of every batch replaced by flat fields and ramps of random colours (tones.py)
    degradation: str = "bicubic"  # LR of training pairs: bicubic (stored) or realistic (blur, noise, JPEG: degrade.py)
    degradation_ranges: dict | None = None  # realistic: ranges replaced, e.g. {"first": {"noise_range": [1, 10]}}
    loader_workers: int | None = None  # processes making batches (same batches for any number); None: by the LR kind
    # models: each names an entry of its table in networks/, which checks the settings it reads
    generator: str = "srresnet"  # or "rrdb" (ESRGAN's RRDBNet)
    discriminator: str = "srgan"  # or "unet" (Real-ESRGAN's U-Net with spectral norm: one logit per pixel)
    content_loss: str = "vgg19"  # or "random_vgg19" (offline, Liu et al. 2021) or "pixel" (SRGAN-MSE)
    generator_options: dict | None = None  # the generator's own settings, e.g. rrdb: {"blocks": 23, "filters": 64}
    discriminator_options: dict | None = None  # the discriminator's own settings, e.g. unet: {"features": 32}
    n_res_blocks: int = 16  # srresnet: residual blocks
    upsample: str = "pixel_shuffle"  # srresnet: or "upsampling_lrelu", the original project's UpSampling2D + LeakyReLU
    d_head: str = "flatten"  # or "pool" (global average pooling; any input size)
    init: str = "torch"  # weight initialisation: "torch" (PyTorch's default; see networks/blocks.py) or "keras"
    vgg_layer: str = "block5_conv4"
    vgg_weights: str | None = "imagenet"  # "imagenet", a path to a weights file, or None (random: tests only)
    generator_from: str | None = None  # start the generator from a shipped model's name, a run folder or a .keras
    freeze_batchnorm: bool = False  # BatchNorm keeps its statistics and scales (fine-tuning: train as inference)
    ema_decay: float = 0.0  # average of the generator's weights over steps, exported instead (0: off; BasicSR: 0.999)
    # losses
    vgg_rescale: float = 12.75  # content loss vgg19: features divided by this before the MSE (the paper's 1/12.75)
    adv_weight: float = 1e-3
    pixel_weight: float = 0.0  # optional pixel-MSE term in the GAN generator loss (keeps colours when VGG is random)
    artifact_weight: float = 0.0  # LDL: GAN detail where the residual says it is fake is penalised (needs ema_decay)
    real_label_mean: float = 0.9
    fake_label_mean: float = 0.1
    gen_label_mean: float = 0.9
    label_std: float = 0.05
    # optimisation
    batch_size: int = 16
    epochs: int = 2500  # GAN epochs (phase 2)
    pretrain_epochs: int = 0  # SRResNet MSE epochs before the GAN (phase 1)
    learning_rate: float = 1e-4
    beta_1: float = 0.9
    learning_rate_schedule: str = "constant"  # constant, step (decay at a GAN epoch) or cosine (training/schedules.py)
    warmup_epochs: int = 0  # linear warm-up at the start of each phase
    learning_rate_decay_epoch: int | None = None  # schedule "step": multiply by the factor from this GAN epoch on
    learning_rate_decay_factor: float = 0.1
    steps_per_epoch: int | None = None  # None: one pass over the training set
    mixed_precision: str | None = None  # None, "mixed_float16" (T4) or "mixed_bfloat16" (A100/H100)
    devices: int | str = "auto"  # "auto" (all GPUs / TPU cores; one CPU) or a count; batch_size is the global batch
    jit_compile: bool | None = None  # TensorFlow: XLA-compile the steps (None: only when TF sees a GPU)
    deterministic: bool = True  # seeded runs bit-identical on CPU (TF op determinism); False: faster GPU runs
    nan_policy: str = "stop"  # on a NaN/Inf loss: "stop", or "rollback" to an earlier checkpoint with a lower lr
    nan_learning_rate_factor: float = 0.5  # learning-rate multiplier applied at each rollback
    nan_max_rollbacks: int = 3  # give up (stop) after this many rollbacks
    seed: int = 0
    # run bookkeeping
    save_every: int = 1  # checkpoint every N epochs (and always at the end)
    keep_last: int = 3  # newest verified checkpoints kept
    keep_every: int = 100  # every M-th epoch's checkpoint is kept for good (0: never)
    sample_every: int = 10  # write an LR | SR | HR strip every N epochs
    n_samples: int = 4  # images in each sample strip

    def __post_init__(self):
        problems = _problems(self)
        if problems:
            raise ValueError("Invalid training config: " + "; ".join(problems))

    @property
    def lr_size(self) -> int:
        return self.hr_size // self.scale

    @property
    def train_hr_size(self) -> int:
        """Side of the HR patches the networks see in training."""
        return self.crop_size or self.hr_size

    @property
    def total_epochs(self) -> int:
        return self.pretrain_epochs + self.epochs

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self, path: str | Path) -> None:
        write_text_atomic(Path(path), json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """A config from plain data: unknown keys and values of the wrong type are refused by name."""
        if not isinstance(values, dict):
            raise ValueError(f"expected a JSON object of config values, got {type(values).__name__}")
        values = {LEGACY_KEYS.get(k, k): v for k, v in values.items()}
        if values.get("learning_rate_decay_epoch") is not None and "learning_rate_schedule" not in values:
            values["learning_rate_schedule"] = "step"  # before 0.3 a decay epoch alone meant the step schedule
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"Unknown config keys {unknown}; valid keys: {sorted(known)}")
        if values.get("upsample") in LEGACY_UPSAMPLE:
            values["upsample"] = LEGACY_UPSAMPLE[values["upsample"]]
        wrong = [f"{f.name}={values[f.name]!r} (expected {f.type})" for f in dataclasses.fields(cls)
                 if f.name in values and not _type_ok(values[f.name], str(f.type))]
        if wrong:
            raise ValueError("Config values of the wrong type: " + "; ".join(wrong))
        return cls(**values)

    @classmethod
    def from_json(cls, path: str | Path) -> TrainConfig:
        """Read a config written by `to_json` (plain JSON data: nothing in it is executed)."""
        path = Path(path)
        if path.is_dir():
            raise ValueError(f"{path} is a folder; give the path of a config .json file")
        try:
            values = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc}); delete it or restore it from a checkpoint") from exc
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not a text file ({exc})") from exc
        if not isinstance(values, dict):
            raise ValueError(f"{path}: expected a JSON object of config values")
        return cls.from_dict(values)


def _type_ok(value, annotation: str) -> bool:
    allowed = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,), "dict": (dict,)}
    names = [t.strip() for t in annotation.split("|")]
    if value is None:
        return "None" in names
    types = tuple(t for n in names for t in allowed.get(n, ()))
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


# Who else checks a config: `srgan_helpers/__init__` registers the network tables' check here (networks/
# checks the settings of the networks a config names; this module imports nothing from it).
PROBLEM_FINDERS: list = []


def register_problem_finder(find) -> None:
    """Also refuse a config for what `find(cfg) -> list[str]` finds wrong with it."""
    if find not in PROBLEM_FINDERS:
        PROBLEM_FINDERS.append(find)


def _problems(cfg: TrainConfig) -> list[str]:
    """Every invalid value of `cfg`, each named with what is allowed."""
    found = _shape_problems(cfg) + _choice_problems(cfg) + _number_problems(cfg)
    return found + [problem for find in PROBLEM_FINDERS for problem in find(cfg)]


def _shape_problems(cfg: TrainConfig) -> list[str]:
    problems = []
    if not isinstance(cfg.scale, int) or cfg.scale < 2 or cfg.scale & (cfg.scale - 1):
        problems.append(f"scale={cfg.scale}: must be a power of two (2, 4, 8)")
    elif cfg.hr_size % cfg.scale:
        problems.append(f"hr_size={cfg.hr_size} is not a multiple of scale={cfg.scale}")
    elif cfg.crop_size is not None and (cfg.crop_size < cfg.scale or cfg.crop_size % cfg.scale):
        problems.append(f"crop_size={cfg.crop_size}: must be a positive multiple of scale={cfg.scale}")
    return problems


def _choice_problems(cfg: TrainConfig) -> list[str]:
    problems = []
    if cfg.nan_policy not in ("stop", "rollback"):
        problems.append(f"nan_policy={cfg.nan_policy!r}: use 'stop' or 'rollback'")
    if cfg.learning_rate_schedule not in SCHEDULES:
        problems.append(f"learning_rate_schedule={cfg.learning_rate_schedule!r}: use one of {SCHEDULES}")
    problems += _degradation_problems(cfg) + _average_problems(cfg)
    if cfg.loader_workers is not None and (not isinstance(cfg.loader_workers, int)
                                           or not 0 <= cfg.loader_workers <= MAX_LOADER_WORKERS):
        problems.append(f"loader_workers={cfg.loader_workers!r}: use a whole number from 0 (no worker processes) to "
                        f"{MAX_LOADER_WORKERS}, or None (workers for the realistic LR only, as many as the machine "
                        f"allows)")
    if cfg.mixed_precision not in (None, "mixed_float16", "mixed_bfloat16"):
        problems.append(f"mixed_precision={cfg.mixed_precision!r}: use None, 'mixed_float16' or 'mixed_bfloat16'")
    if not (cfg.devices == "auto" or (isinstance(cfg.devices, int) and not isinstance(cfg.devices, bool)
                                      and cfg.devices >= 1)):
        problems.append(f"devices={cfg.devices!r}: use 'auto' or a device count >= 1")
    return problems


def _average_problems(cfg: TrainConfig) -> list[str]:
    """The weight average (ema_decay) and LDL's artefact term, which needs it."""
    problems = []
    if not 0.0 <= cfg.ema_decay < 1.0:
        problems.append(f"ema_decay={cfg.ema_decay} must be in [0, 1): 0 turns the weight average off, 0.999 is usual")
    if cfg.artifact_weight and not cfg.ema_decay:
        problems.append(f"artifact_weight={cfg.artifact_weight} compares with the averaged generator: set ema_decay "
                        f"too (0.999, as LDL)")
    return problems


def loader_workers(cfg: TrainConfig) -> int:
    """The worker processes the loader uses: the config's; by default none for the stored bicubic LR (one
    thread makes ~15,000 96-px pairs/s, more than workers pass back) and what the machine allows for the
    realistic degradation (~120 pairs/s per core: benchmarks/loader_speed.py)."""
    from .data.workers import default_workers

    if cfg.loader_workers is not None:
        return cfg.loader_workers
    return default_workers() if cfg.degradation == "realistic" else 0


def _degradation_problems(cfg: TrainConfig) -> list[str]:
    if cfg.degradation not in DEGRADATIONS:
        return [f"degradation={cfg.degradation!r}: use one of {DEGRADATIONS}"]
    if cfg.degradation_ranges is None:
        return []
    if cfg.degradation != "realistic":
        return ["degradation_ranges apply to degradation='realistic' only"]
    try:
        ranges = degradation_ranges(cfg)
    except (TypeError, AttributeError, ValueError) as exc:
        return [f"degradation_ranges={cfg.degradation_ranges!r}: {exc} (the names are those of degrade.DegradeRanges "
                f"and degrade.StageRanges)"]
    return ranges.problems()


def degradation_ranges(cfg: TrainConfig):
    """The DegradeRanges of a realistic config (None for bicubic)."""
    if cfg.degradation != "realistic":
        return None
    from .data.degrade import DegradeRanges

    return DegradeRanges.with_overrides(cfg.degradation_ranges)


def _number_problems(cfg: TrainConfig) -> list[str]:
    problems = []
    if cfg.batch_size > MAX_BATCH:
        problems.append(f"batch_size={cfg.batch_size}: at most {MAX_BATCH} (the global batch; 16 to 128 is usual)")
    for name in ("batch_size", "save_every", "keep_last", "sample_every", "n_samples", "hr_size"):
        if getattr(cfg, name) < 1:
            problems.append(f"{name}={getattr(cfg, name)} must be >= 1")
    for name in ("epochs", "pretrain_epochs", "warmup_epochs", "keep_every", "nan_max_rollbacks", "adv_weight",
                 "pixel_weight", "artifact_weight", "label_std"):
        if not getattr(cfg, name) >= 0:
            problems.append(f"{name}={getattr(cfg, name)} must be >= 0")
    for name in ("learning_rate", "vgg_rescale", "learning_rate_decay_factor"):
        if not (getattr(cfg, name) > 0 and math.isfinite(getattr(cfg, name))):
            problems.append(f"{name}={getattr(cfg, name)} must be a positive number")
    for name in ("adv_weight", "pixel_weight", "artifact_weight"):
        if not math.isfinite(getattr(cfg, name)):
            problems.append(f"{name}={getattr(cfg, name)} must be a finite number")
    if cfg.vgg_rescale > 0 and (cfg.vgg_rescale ** 2 == 0 or not math.isfinite(1.0 / cfg.vgg_rescale ** 2)):
        problems.append(f"vgg_rescale={cfg.vgg_rescale}: the content loss divides by its square, which overflows; "
                        f"use a value like the paper's 12.75")
    if not 0 <= cfg.seed < 2 ** 32:
        problems.append(f"seed={cfg.seed} must be from 0 to 2**32 - 1 (what every backend's seeding accepts)")
    for name in ("real_label_mean", "fake_label_mean", "gen_label_mean"):
        if not 0.0 <= getattr(cfg, name) <= 1.0:
            problems.append(f"{name}={getattr(cfg, name)} must be in [0, 1]")
    if not 0.0 < cfg.nan_learning_rate_factor < 1.0:
        problems.append(f"nan_learning_rate_factor={cfg.nan_learning_rate_factor} must be in (0, 1): it lowers the "
                        f"learning rate")
    if not 0.0 <= cfg.beta_1 < 1.0:
        problems.append(f"beta_1={cfg.beta_1} must be in [0, 1)")
    if not 0.0 <= cfg.tone_patches < 1.0:
        problems.append(f"tone_patches={cfg.tone_patches} must be in [0, 1): the fraction of each batch")
    if cfg.steps_per_epoch is not None and cfg.steps_per_epoch < 1:
        problems.append(f"steps_per_epoch={cfg.steps_per_epoch} must be >= 1 (or None: one pass over the data)")
    if cfg.learning_rate_decay_epoch is not None and cfg.learning_rate_decay_epoch < 0:
        problems.append(f"learning_rate_decay_epoch={cfg.learning_rate_decay_epoch} must be >= 0 (or None)")
    if (cfg.learning_rate_schedule == "step") != (cfg.learning_rate_decay_epoch is not None):
        problems.append(f"learning_rate_schedule={cfg.learning_rate_schedule!r} with learning_rate_decay_epoch="
                        f"{cfg.learning_rate_decay_epoch}: the step schedule needs the epoch, and only it uses one")
    return problems


def resume_clashes(saved: TrainConfig, wanted: TrainConfig) -> dict[str, tuple]:
    """Locked settings that differ between a run's saved config and the one asked for: {name: (saved, asked)}."""
    clashes = {k: (getattr(saved, k), getattr(wanted, k)) for k in LOCKED_ON_RESUME
               if getattr(saved, k) != getattr(wanted, k)}
    if (saved.mixed_precision == "mixed_float16") != (wanted.mixed_precision == "mixed_float16"):
        clashes["mixed_precision"] = (saved.mixed_precision, wanted.mixed_precision)  # loss scaling in or out
    return clashes
