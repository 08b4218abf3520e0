"""Where the test suite's CPU goes: each test's CPU-seconds (its own process plus the children it waited for:
the subprocesses, notebook kernels and checking processes it started) and wall seconds, from one pytest pass
run with this file as a plugin. Prints the largest tests, the files and the totals; writes JSON with a matmul
peak measured before and after (this host's speed moves by half from hour to hour: a whole run's wall time
follows it; per-test CPU-seconds beside the peak are what a cut is judged by).

    python benchmarks/suite_cpu.py [--backend tensorflow] [--workers 3] [--top 25] [-- PYTEST ARGS]

Like scripts/test.sh, with workers each pytest process computes on one TensorFlow thread.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROWS_ENV = "SRGAN_SUITE_CPU_ROWS"


def _cpu_seconds() -> tuple[float, float]:
    """(this process's, its waited-for children's) user + system CPU-seconds so far."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Around each test (setup, call, teardown): append its CPU and wall seconds to $SRGAN_SUITE_CPU_ROWS."""
    rows = os.environ.get(ROWS_ENV)
    wall, (own, children) = time.perf_counter(), _cpu_seconds()
    yield
    if rows:
        own_after, children_after = _cpu_seconds()
        row = {"test": item.nodeid, "wall": round(time.perf_counter() - wall, 2), "own": round(own_after - own, 2),
               "children": round(children_after - children, 2)}
        with open(rows, "a") as handle:  # one short line per append: the workers' lines never interleave
            handle.write(json.dumps(row) + "\n")


def summarize(rows: list[dict], top: int) -> dict:
    """Totals, the `top` tests by CPU-seconds, and every test file's CPU-seconds."""
    for row in rows:
        row["cpu"] = round(row["own"] + row["children"], 2)
    by_file = collections.Counter()
    for row in rows:
        by_file[row["test"].split("::")[0]] += row["cpu"]
    return {"tests": len(rows), "cpu_seconds": round(sum(r["cpu"] for r in rows), 1),
            "in_subprocesses": round(sum(r["children"] for r in rows), 1),
            "largest": sorted(rows, key=lambda r: -r["cpu"])[:top],
            "files": {name: round(cpu, 1) for name, cpu in by_file.most_common()}}


def run_pass(backend: str, workers: int, pytest_args: list[str], rows: Path) -> float:
    """One pytest pass with this plugin; its wall seconds (a failing test is measured like the others)."""
    env = {**os.environ, "KERAS_BACKEND": backend, ROWS_ENV: str(rows),
           "PYTHONPATH": os.pathsep.join([str(REPO / "benchmarks"), os.environ.get("PYTHONPATH", "")])}
    if workers:
        env.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "suite_cpu", "-p", "no:cacheprovider"]
    command += ["-n", str(workers), "--dist", "worksteal"] if workers else []
    start = time.perf_counter()
    subprocess.run(command + pytest_args, cwd=REPO, env=env)
    return time.perf_counter() - start


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="tensorflow", choices=("tensorflow", "jax"))
    parser.add_argument("--workers", type=int, default=3, help="pytest-xdist workers (0: one process)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", default="benchmarks/results/suite_cpu.json")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest (e.g. -m backend)")
    args = parser.parse_args(argv)
    os.environ["KERAS_BACKEND"] = args.backend  # the peak of the backend's own matmul (speed.py)
    from speed import matmul_peak_gflops

    peak_before = matmul_peak_gflops()
    with tempfile.TemporaryDirectory() as work:
        rows_path = Path(work) / "rows.jsonl"
        wall = run_pass(args.backend, args.workers, args.pytest_args, rows_path)
        rows = [json.loads(line) for line in rows_path.read_text().splitlines()] if rows_path.exists() else []
    summary = summarize(rows, args.top)
    peak = {"before": round(peak_before), "after": round(matmul_peak_gflops())}
    for row in summary["largest"]:
        print(f"{row['cpu']:7.1f} CPU-s ({row['children']:6.1f} in subprocesses) {row['wall']:6.1f} s  {row['test']}")
    print(f"{summary['tests']} tests: {summary['cpu_seconds']} CPU-s ({summary['in_subprocesses']} in "
          f"subprocesses) in {wall:.0f} s; matmul peak {peak['before']} / {peak['after']} GFLOP/s")
    from record import write_result

    return write_result(args.out, "suite_cpu", {"backend": args.backend, "workers": args.workers,
                                                "pytest_args": args.pytest_args, "wall_seconds": round(wall, 1),
                                                "matmul_peak_gflops": peak, **summary})


if __name__ == "__main__":
    main()
