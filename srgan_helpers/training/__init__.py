"""The training loop: a backend-neutral driver over one step module per backend (tf, jax).

Public way in: `train(cfg, run_dir)`; for custom loops and benchmarks, `build_models`, `make_optimizer`
and `build_steps` give the same models and compiled steps the driver uses.
"""

from .bundle import GanModels, build_models, build_steps, ensure_content_network, make_optimizer
from .checkpoints import UnusableCheckpoints
from .driver import TrainResult, preflight, train
from .errors import CheckpointWriteError, RunFolderError, TrainingDiverged
from .runlock import RunLocked
from .session import EpochEnd, export_generator

__all__ = ["train", "TrainResult", "TrainingDiverged", "CheckpointWriteError", "RunFolderError", "RunLocked",
           "UnusableCheckpoints", "EpochEnd", "GanModels", "build_models", "build_steps", "ensure_content_network",
           "make_optimizer", "export_generator", "preflight"]
