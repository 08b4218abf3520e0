"""One frozen dataclass of hyperparameters; written as JSON beside every run's checkpoints."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

from .fileio import write_text_atomic


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run. Defaults reproduce the original project + the paper."""

    # data
    data_dir: str = "data/celeba"  # a preprocessed set: <data_dir>/{train,test}/{hr,lr}
    hr_size: int = 176  # HR side of the stored pairs
    scale: int = 4
    crop_size: int | None = None  # HR crop for training (None: whole stored pair)
    augment: bool = True  # random flips and 90-degree rotations
    # models
    n_res_blocks: int = 16
    upsample: str = "pixel_shuffle"  # or "seed": the original project's UpSampling2D + LeakyReLU
    d_head: str = "flatten"  # or "pool" (global average pooling; any input size)
    vgg_layer: str = "block5_conv4"
    vgg_weights: str | None = "imagenet"  # "imagenet", a path to a weights file, or None (random: tests only)
    # losses
    vgg_rescale: float = 12.75  # features divided by this before the MSE (the paper's 1/12.75)
    adv_weight: float = 1e-3
    pixel_weight: float = 0.0  # optional pixel-MSE term in the GAN generator loss (keeps colours when VGG is random)
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
    lr_decay_epoch: int | None = None  # multiply the learning rate by lr_decay_factor from this epoch on
    lr_decay_factor: float = 0.1
    steps_per_epoch: int | None = None  # None: one pass over the training set
    mixed_precision: str | None = None  # None, "mixed_float16" (T4) or "mixed_bfloat16" (A100/H100)
    devices: int | str = "auto"  # "auto" (all GPUs / TPU cores; one CPU) or a count; batch_size is the global batch
    jit_compile: bool | None = None  # TensorFlow: XLA-compile the steps (None: only when TF sees a GPU)
    nan_policy: str = "stop"  # on a NaN/Inf loss: "stop", or "rollback" to the last checkpoint with a lower lr
    nan_lr_factor: float = 0.5  # learning-rate multiplier applied at each rollback
    nan_max_rollbacks: int = 3  # give up (stop) after this many rollbacks
    seed: int = 0
    # run bookkeeping
    save_every: int = 1  # checkpoint every N epochs (and always at the end)
    keep_last: int = 3  # newest checkpoints kept
    keep_every: int = 100  # every M-th epoch's checkpoint is kept for good (0: never)
    sample_every: int = 10  # write an LR | SR | HR strip every N epochs
    n_samples: int = 4  # images in each sample strip

    def __post_init__(self):
        problems = []
        if self.scale < 2 or self.scale & (self.scale - 1):
            problems.append(f"scale={self.scale}: must be a power of two (2, 4, 8)")
        if self.hr_size % self.scale:
            problems.append(f"hr_size={self.hr_size} is not a multiple of scale={self.scale}")
        if self.crop_size is not None and (self.crop_size % self.scale or self.crop_size > self.hr_size):
            problems.append(f"crop_size={self.crop_size}: must be a multiple of scale and <= hr_size")
        if self.upsample not in ("pixel_shuffle", "seed"):
            problems.append(f"upsample={self.upsample!r}: use 'pixel_shuffle' or 'seed'")
        if self.d_head not in ("flatten", "pool"):
            problems.append(f"d_head={self.d_head!r}: use 'flatten' or 'pool'")
        if self.nan_policy not in ("stop", "rollback"):
            problems.append(f"nan_policy={self.nan_policy!r}: use 'stop' or 'rollback'")
        if self.mixed_precision not in (None, "mixed_float16", "mixed_bfloat16"):
            problems.append(f"mixed_precision={self.mixed_precision!r}: use None, 'mixed_float16' or 'mixed_bfloat16'")
        for name in ("batch_size", "save_every", "keep_last", "sample_every"):
            if getattr(self, name) < 1:
                problems.append(f"{name}={getattr(self, name)} must be >= 1")
        for name in ("epochs", "pretrain_epochs", "keep_every"):
            if getattr(self, name) < 0:
                problems.append(f"{name}={getattr(self, name)} must be >= 0")
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

    @property
    def n_upsample_stages(self) -> int:
        return int(math.log2(self.scale))

    def replace(self, **changes) -> "TrainConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self, path: str | Path) -> None:
        write_text_atomic(Path(path), json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"Unknown config keys {unknown}; valid keys: {sorted(known)}")
        allowed = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,)}
        wrong = []
        for f in dataclasses.fields(cls):
            if f.name not in values:
                continue
            names = [t.strip() for t in str(f.type).split("|")]
            value = values[f.name]
            types = tuple(t for n in names for t in allowed.get(n, ()))
            ok = (value is None and "None" in names) or (
                isinstance(value, types) and not (isinstance(value, bool) and bool not in types))
            if not ok:
                wrong.append(f"{f.name}={value!r} (expected {f.type})")
        if wrong:
            raise ValueError("Config values of the wrong type: " + "; ".join(wrong))
        return cls(**values)

    @classmethod
    def from_json(cls, path: str | Path) -> "TrainConfig":
        """Read a config written by `to_json` (plain JSON data: nothing in it is executed)."""
        try:
            values = json.loads(Path(path).read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc}); delete it or restore it from a checkpoint") from exc
        if not isinstance(values, dict):
            raise ValueError(f"{path}: expected a JSON object of config values")
        return cls.from_dict(values)
