"""keras.applications networks with a clear message when their ImageNet weights cannot be fetched."""

from __future__ import annotations


def load_application(factory, weights, weights_file: str, parameter: str, **kwargs):
    """`factory(weights=weights, **kwargs)`; offline with weights="imagenet" raises one RuntimeError that
    says where to put `weights_file` or which `parameter` takes its path."""
    try:
        return factory(weights=weights, **kwargs)
    except Exception as exc:
        if weights == "imagenet":
            raise RuntimeError(f"Could not load {factory.__name__} ImageNet weights ({exc}). Offline? Put "
                               f"{weights_file} in ~/.keras/models/ or pass {parameter}=<path to it>") from exc
        raise
