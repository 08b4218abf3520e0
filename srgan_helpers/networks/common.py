"""What the network entries share, free of Keras at import: the weight initialisations, the check of a
setting against its allowed values, and the float32 mean squared error the content losses build on."""

from __future__ import annotations

INITS = ("torch", "keras")  # weight initialisation (blocks.py): PyTorch's default, or Keras' own


def choice_problem(cfg, name: str, allowed) -> list[str]:
    """[] when `cfg.<name>` is one of `allowed`, else the one line that says what to use."""
    value = getattr(cfg, name)
    return [] if value in allowed else [f"{name}={value!r}: use one of {tuple(allowed)}"]


def whole_number_options(cfg, field: str, entry: str, defaults: dict) -> tuple[dict, list[str]]:
    """An entry's own settings (`cfg.<field>`, e.g. generator_options) over its `defaults`, and what is wrong
    with them, one line each: names it does not know, values that are not whole numbers >= 1."""
    given = getattr(cfg, field) or {}
    unknown = sorted(set(given) - set(defaults))
    problems = [f"{field} {unknown}: {entry} knows {sorted(defaults)}"] if unknown else []
    problems += [f"{field}[{k!r}]={v!r} must be a whole number >= 1" for k, v in given.items()
                 if k in defaults and (not isinstance(v, int) or isinstance(v, bool) or v < 1)]
    return {**defaults, **given}, problems


def mse(a, b):
    """Mean squared error in float32 (mixed-precision features included)."""
    from keras import ops

    return ops.mean(ops.square(ops.cast(a, "float32") - ops.cast(b, "float32")))
