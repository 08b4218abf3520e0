"""The training loop: a backend-neutral driver over one step module per backend (tf, jax)."""

from .driver import TrainResult, TrainingDiverged, train

__all__ = ["train", "TrainResult", "TrainingDiverged"]
