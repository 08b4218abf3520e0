"""What the network entries share, free of Keras at import: the weight initialisations, the check of a
setting against its allowed values, and the float32 mean squared error the content losses build on."""

from __future__ import annotations

INITS = ("torch", "keras")  # weight initialisation (blocks.py): PyTorch's default, or Keras' own


def choice_problem(cfg, name: str, allowed) -> list[str]:
    """[] when `cfg.<name>` is one of `allowed`, else the one line that says what to use."""
    value = getattr(cfg, name)
    return [] if value in allowed else [f"{name}={value!r}: use one of {tuple(allowed)}"]


def mse(a, b):
    """Mean squared error in float32 (mixed-precision features included)."""
    from keras import ops

    return ops.mean(ops.square(ops.cast(a, "float32") - ops.cast(b, "float32")))
