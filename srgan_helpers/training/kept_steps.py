"""TensorFlow: the models and traced steps of the last finished run, kept for the next run in this process
whose step is the same.

A tf.function's trace belongs to the variables it captured, so a run that builds new models traces its
steps again (the test suite's tiny run, 2026-12-06: 8.6-9.5 CPU-s traced anew, 4.5-6.1 on kept steps, and
2.6-2.8 since seeding no longer empties TensorFlow's kernel cache, where the optimized graphs live:
determinism.seed_keras; a 2-device resume 20.1 against 11.0). When a new run's step is the
same (StepSpec: networks, losses, devices, dtype policy), the new run copies the state it has built or
restored into the kept models and trains those with the kept steps: the same values through the same graph,
so the same results bit for bit (tests/test_kept_steps.py); what the run builds is still built, so it draws
the same random numbers. A run that fails keeps nothing, and only one run is kept (its networks and
optimizers stay in memory until another run replaces them, or `forget()`). Runs whose step reads the weight
average (LDL) are not kept. JAX needs none of this: its steps are pure functions jitted once per process.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

from .bundle import GanModels, build_steps
from .checkpoints import pack_arrays, restore_arrays
from .step_spec import StepSpec

_lock = threading.Lock()
_kept: dict[StepSpec, _Kept] = {}


class _Kept(NamedTuple):
    models: GanModels
    steps: object
    strategy: object  # the tf.distribute strategy the models live in (one per device set and process)


def steps_for_run(models: GanModels, cfg, placement=None) -> tuple[GanModels, object]:
    """(models, steps) to train with: the kept run's, holding `models`' state, when its step is this run's;
    otherwise `models` and newly built steps. A kept run is taken: no two runs share one."""
    spec, strategy = _spec(models, cfg), placement.strategy if placement is not None else None
    with _lock:
        kept = _kept.pop(spec, None) if spec is not None else None
    if kept is None or kept.strategy is not strategy:
        return models, build_steps(models, cfg, placement)
    restore_arrays(kept.models, pack_arrays(models))
    kept.models.content_network_stale = kept.models.content_network is not None  # rebuilt when next needed
    kept.steps.cfg = cfg
    return kept.models, kept.steps


def keep(models: GanModels, steps, cfg, placement=None) -> None:
    """Keep a finished run's models and steps for the next run with the same step (replacing any other)."""
    spec = _spec(models, cfg)
    if spec is None:
        return
    with _lock:
        _kept.clear()
        _kept[spec] = _Kept(models, steps, placement.strategy if placement is not None else None)


def forget() -> None:
    """Drop the kept run (its memory goes with the last reference)."""
    with _lock:
        _kept.clear()


def _spec(models: GanModels, cfg) -> StepSpec | None:
    """The step's identity, or None where nothing is kept: JAX, and steps that read the weight average. The
    content network is left out of it (None when a run starts, built later): the config names it."""
    import keras

    if keras.backend.backend() != "tensorflow" or models.generator_average is not None or cfg.artifact_weight:
        return None
    return StepSpec(models, cfg, with_content_network=False)
