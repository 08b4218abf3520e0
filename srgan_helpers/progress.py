"""Progress bars that fit where they run: widgets in a notebook that has ipywidgets (Colab, Jupyter),
plain text elsewhere (papermill without ipywidgets, terminals, CI logs): never the "IProgress not found"
warning, at most one update a second in logs."""

from __future__ import annotations

import importlib.util


def _tqdm_class():
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm


def progress_bar(iterable=None, **kwargs):
    """tqdm(iterable, **kwargs) of the right kind; `mininterval` defaults to 1 s."""
    kwargs.setdefault("mininterval", 1.0)
    return _tqdm_class()(iterable, **kwargs)


def write_line(text: str) -> None:
    """Print a line without breaking a progress bar that is being drawn."""
    _tqdm_class().write(text)
