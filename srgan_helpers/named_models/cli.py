"""The command line of the shipped models: list, card, and the release check (inference/release_check.py).

    python -m srgan_helpers.named_models list | card NAME | check [NAME ...] [--full] [--record] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .. import named_models
from . import KNOWN, ModelNotShipped, card_markdown, list_models, not_shipped_message, shipped


def main(argv=None) -> int:
    from .. import interrupts

    args = _parser().parse_args(argv)
    if args.command == "check":
        return interrupts.run_command(lambda: check_command(args.names or shipped(), args.data, args.full, args.jobs,
                                                            args.record),
                                      lambda: "the release check did not finish; no card was changed")
    if args.command == "card":
        try:
            print(card_markdown(args.name), end="")
        except (ModelNotShipped, KeyError):
            print(f"error: {_unknown(args.name)}", file=sys.stderr)
            return 2
        return 0
    for row in list_models(*args.runs):
        print(f"{row['name']:<22} {row['kind']:<12} {row['what'] or row['path']}  {row['score']}".rstrip())
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m srgan_helpers.named_models", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="shipped models and your run folders")
    listing.add_argument("--runs", nargs="*", default=["outputs"], help="folders holding your runs (default outputs)")
    show = sub.add_parser("card", help="a shipped model's card")
    show.add_argument("name")
    check = sub.add_parser("check", help="the release check: tones, no image below bicubic, the card re-measured")
    check.add_argument("names", nargs="*", help="shipped models (default: all of them)")
    check.add_argument("--full", action="store_true", help="also BSD100")
    check.add_argument("--record", action="store_true", help="with --full, on the package's own data: keep the "
                       "result (passed, date, each part's margin to its limit) in the shipped card")
    check.add_argument("--jobs", type=int, default=1, help="models checked at once, each in its own process")
    check.add_argument("--data", default=str(DEFAULT_DATA),
                       help="folder holding Set5/, Set14/, BSD100/ (benchmark layout) and faces/ (default: "
                            "../shared/data beside the repository)")
    return parser


def _unknown(name: str) -> str:
    return not_shipped_message(name) if name in KNOWN else f"no model named {name!r}; names: {sorted(KNOWN)}"


DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def record_problem(data_root: str, full: bool) -> str | None:
    """Why `--record` cannot keep the result in the shipped cards (None: it can): only a full check on the
    data the cards were measured on, into a writable package."""
    if not full:
        return "--record keeps a full check's result: add --full"
    if Path(data_root).resolve() != DEFAULT_DATA.resolve():
        return (f"--record keeps only a check on the package's own data ({DEFAULT_DATA}); {data_root} is another "
                f"folder, so its result is printed, never written into the cards")
    if not os.access(named_models.WEIGHTS_DIR, os.W_OK):
        return f"--record: {named_models.WEIGHTS_DIR} is " \
               f"read-only (an installed package); check a writable copy of the package"
    return None


def check_command(names: list[str], data_root: str, full: bool, jobs: int = 1, record: bool = False) -> int:
    """Run the release check on each model (`jobs` models at a time, each in its own process when more than
    one); 0 when all pass, 1 when one fails, 2 on a usage error. `record`: keep the result in the cards."""
    from ..inference.release_check import record_in_card

    unknown = [name for name in names if name not in shipped()]
    problem = _unknown(unknown[0]) if unknown else record_problem(data_root, full) if record else None
    problem = problem or _missing_sets(data_root, full)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    failed = []
    for name, findings in zip(names, _checked(names, data_root, full, jobs)):
        if isinstance(findings, str):
            print(f"error: {findings}", file=sys.stderr)
            return 2
        for f in findings:
            print(f"{name}: {'PASS' if f.passed else 'FAIL'} {f.line}")
        if record:
            record_in_card(name, findings, full)
        failed += [name] if not all(f.passed for f in findings) else []
    print(f"release check{' (full)' if full else ''}: {len(names) - len(failed)} of {len(names)} models passed"
          + (f"; failed: {', '.join(failed)} (do not ship them)" if failed else ""))
    return 1 if failed else 0


def _missing_sets(data_root: str, full: bool) -> str | None:
    """Why the benchmark sets cannot be read under `data_root` (None: they can), said before any checking
    process starts or Keras loads."""
    from ..inference.release_check import checked_sets

    try:
        checked_sets(Path(data_root), full)
    except FileNotFoundError as exc:
        return str(exc)
    return None


def _check_one(name: str, data_root: str, full: bool, common=None):
    """One model's findings, or the one-line reason its data is missing; `common`: the release check's
    CommonWork shared with the models checked before it in this process."""
    from ..backend import load_keras
    from ..inference.release_check import run_check

    problem = _missing_sets(data_root, full)  # (a folder gone since the command looked: before Keras loads)
    if problem:
        return problem
    load_keras()
    try:
        return run_check(name, data_root, full, common)
    except FileNotFoundError as exc:
        return str(exc)


def _checked(names: list[str], data_root: str, full: bool, jobs: int):
    """Each model's _check_one, in order: here (bicubic's scores and the prepared face sets measured once for
    all models), or in `jobs` spawned processes sharing the cores (a process that died: one line for every
    model, as for missing data)."""
    from ..inference.release_check import common_work
    from .jobs import JobDied, run_in_processes

    jobs = max(1, min(jobs, len(names)))
    if jobs == 1:
        with common_work() as common:
            return [_check_one(name, data_root, full, common) for name in names]
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    try:
        return run_in_processes(_check_one, [(name, data_root, full) for name in names], jobs, threads)
    except JobDied as exc:
        return [f"{exc} (killed: out of memory?); no card was changed; check again with fewer processes "
                f"(--jobs 1 checks in this process)"] * len(names)
