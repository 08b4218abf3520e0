"""Make constraints/colab.txt from the pip freeze Colab publishes (googlecolab/backend-info,
pip-freeze.gpu.txt): every `name==version` pin, tensorflow as tensorflow-cpu (the same version: the GPU
build is what Colab has), URL and local-version (+cu128) lines left out (nothing here installs them).

    python scripts/colab_pins.py pip-freeze.gpu.txt --source "backend-info @ a724079, 2026-08-19"
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "constraints" / "colab.txt"


def pins(freeze_text: str) -> list[str]:
    lines = []
    for line in freeze_text.splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^+\s]+)", line.strip())
        if match:
            name = "tensorflow-cpu" if match[1].lower() == "tensorflow" else match[1]
            lines.append(f"{name}=={match[2]}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("freeze", help="pip-freeze.gpu.txt from googlecolab/backend-info")
    parser.add_argument("--source", required=True, help="where and when it was published (kept in the header)")
    args = parser.parse_args(argv)
    header = [f"# Google Colab's GPU runtime: {args.source} (googlecolab/backend-info, pip-freeze.gpu.txt).",
              "# Made by scripts/colab_pins.py; tensorflow is pinned as tensorflow-cpu of the same version.",
              "# Used by scripts/colab_stack.sh to test the suite on Colab's packages."]
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(header + pins(Path(args.freeze).read_text())) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
