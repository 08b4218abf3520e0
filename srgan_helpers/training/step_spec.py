"""What a training step computes apart from the values it is given: the networks' structure and the losses.

Two runs whose specs are equal compute the same step, so a step traced for the first serves the second
(JAX: a static argument of the jitted steps). The spec is the config without the fields the step never reads
(`NOT_IN_STEP`: data, schedule, epochs, checkpoints and samples; learning rates and labels reach the step as
values), plus the network-table entries the config names, the backend and the dtype policy. A field not
listed here is part of the spec, so a new config field can cost a trace but never reuse a wrong one;
tests/test_step_spec.py checks that building the networks and tracing both steps read none of the listed
fields.
"""

from __future__ import annotations

import dataclasses
import json

NOT_IN_STEP = frozenset({
    "data_dir", "augment", "tone_patches", "degradation", "degradation_ranges", "loader_workers",
    "real_label_mean", "fake_label_mean", "gen_label_mean", "label_std",  # labels are step inputs
    "epochs", "pretrain_epochs", "steps_per_epoch",
    "learning_rate", "learning_rate_schedule", "warmup_epochs", "learning_rate_decay_epoch",
    "learning_rate_decay_factor",  # the learning rate is an optimizer variable, set before each epoch
    "nan_policy", "nan_learning_rate_factor", "nan_max_rollbacks",
    "save_every", "keep_last", "keep_every", "sample_every", "n_samples",
})


class StepSpec:
    """The networks (for their structure) and config of a step, equal to another's when both compute the
    same step; `with_content_network`: whether the step runs the content loss's feature network."""

    def __init__(self, models, cfg, with_content_network: bool):
        from .. import networks

        self.models, self.cfg = models, cfg
        # The entries are held, so that no other object can take their ids while this spec lives.
        self.entries = {kind: networks.entry(kind, cfg) for kind in networks.TABLES}
        self.key = step_key(cfg, self.entries, with_content_network and models.content_network is not None,
                            models.generator_average is not None)

    def __eq__(self, other) -> bool:
        return isinstance(other, StepSpec) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


def step_key(cfg, entries: dict, with_content_network: bool, with_average: bool) -> str:
    """The spec's identity: the config's step fields, the entries it names and their build functions (by
    identity: a network registered anew under an old name is another step), backend and dtype policy."""
    import keras

    fields = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg) if f.name not in NOT_IN_STEP}
    entries = {kind: [id(entry), id(getattr(entry.build, "__func__", entry.build))]  # a method: its function
               for kind, entry in entries.items()}
    return json.dumps({"config": fields, "entries": entries, "backend": keras.backend.backend(),
                       "dtype_policy": keras.config.dtype_policy().name, "floatx": keras.config.floatx(),
                       "content_network": with_content_network, "average": with_average},
                      sort_keys=True, default=repr)
