"""The training notebooks 02 and 03 are generated from one template, so their shared part never drifts:

    python scripts/notebooks.py          # write notebooks/02_*.py, 03_*.py and their paired .ipynb
    python scripts/notebooks.py --check  # exit 1 if any of them differs from what the template gives

The template is notebooks/templates/training.py.in; each notebook's own text (title, data cells, defaults)
is in notebooks/templates/training_notebooks.json. Edit those, never the generated notebooks.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TEMPLATES = NOTEBOOKS / "templates"


def render(name: str) -> str:
    """The percent-format text of notebook `name`."""
    values = {**json.loads((TEMPLATES / "training_notebooks.json").read_text())[name], "file": name}
    text = (TEMPLATES / "training.py.in").read_text()
    missing = set(re.findall(r"<<(\w+)>>", text)) - set(values)
    if missing:
        raise KeyError(f"{name}: no value for {sorted(missing)} in training_notebooks.json")
    return with_every_config_field(re.sub(r"<<(\w+)>>", lambda m: values[m.group(1)], text))


def config_field_lines() -> dict[str, str]:
    """{field: 'name = default  # comment'} for every TrainConfig field, the comment taken from config.py."""
    import dataclasses

    sys.path.insert(0, str(NOTEBOOKS.parent))
    from srgan_helpers.config import TrainConfig

    source = (NOTEBOOKS.parent / "srgan_helpers" / "config.py").read_text()
    comments = dict(re.findall(r"^    (\w+): [^=\n]+=[^#\n]*#\s*(.*)$", source, re.M))
    lines = {}
    for field in dataclasses.fields(TrainConfig):
        comment = comments.get(field.name, "")
        value = f'"{field.default}"' if isinstance(field.default, str) else repr(field.default)
        lines[field.name] = f"{field.name} = {value}" + (f"  # {comment}" if comment else "")
        if lines[field.name].count("=") != 1 or "#" in value:  # what papermill's parameter parser reads
            raise ValueError(f"config.py: the line of {field.name} would not parse as a papermill parameter "
                             f"(one '=' a line, no '#' in the value): {lines[field.name]}")
    return lines


def with_every_config_field(text: str) -> str:
    """The training notebook's parameters cell with every TrainConfig field the cell does not set yet
    appended (its default and config.py's comment), so that papermill's `-p field value` and
    `--help-notebook` know every field."""
    start = text.index('# %% tags=["parameters"]\n')
    end = text.index("\n# %%", start + 1)
    cell = text[start:end]
    present = set(re.findall(r"^(\w+) = ", cell, re.M))
    extra = [line for name, line in config_field_lines().items() if name not in present]
    block = "# every other TrainConfig setting (config.py), at its default:\n" + "\n".join(extra) + "\n"
    return text[:end].rstrip("\n") + "\n" + block + text[end:]


def ipynb_text(py_text: str) -> str:
    """The paired .ipynb (no outputs) of a percent-format text, as jupytext writes it."""
    import hashlib

    import jupytext

    notebook = jupytext.reads(py_text, fmt="py:percent")
    for i, cell in enumerate(notebook.cells):  # stable ids: the same text gives the same file
        cell.id = hashlib.sha1(f"{i}:{cell.source}".encode()).hexdigest()[:8]
    return jupytext.writes(notebook, fmt="ipynb")


def names() -> list[str]:
    return sorted(json.loads((TEMPLATES / "training_notebooks.json").read_text()))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report notebooks that differ")
    args = parser.parse_args(argv)
    stale = []
    for name in names():
        text = render(name)
        for path, wanted in ((NOTEBOOKS / f"{name}.py", text), (NOTEBOOKS / f"{name}.ipynb", ipynb_text(text))):
            if not path.is_file() or path.read_text() != wanted:
                stale.append(path.name)
                if not args.check:
                    path.write_text(wanted)
    if args.check and stale:
        print(f"stale (run python scripts/notebooks.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    print(("wrote " if stale else "up to date: ") + ", ".join(stale or names()),
          file=sys.stderr if stale else sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
