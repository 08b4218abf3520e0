"""The training loop: a backend-neutral driver over one step module per backend (tf, jax).

Public way in: `train(cfg, run_dir)`; for custom loops and benchmarks, `build_models`, `make_optimizer`
and `build_steps` give the same models and compiled steps the driver uses. The names load on first use
(lazy_loader): `python -m srgan_helpers.training` answers --help or a bad config before Keras starts.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "bundle": ["GanModels", "build_models", "build_steps", "ensure_content_network", "make_optimizer"],
    "checkpoints": ["UnusableCheckpoints"],
    "driver": ["TrainResult", "preflight", "train"],
    "errors": ["CheckpointWriteError", "RunFolderError", "TrainingDiverged"],
    "runlock": ["RunLocked"],
    "session": ["EpochEnd", "export_generator"],
})
