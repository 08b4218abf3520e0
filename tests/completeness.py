"""Every collected test ran, or one line says how many did not (imported by tests/conftest.py as hooks).

pytest-xdist drops the queue of a worker that stops on KeyboardInterrupt: the summary then counts only what ran
(once: 1 failed, 384 passed, and 53 never ran, with nothing saying so). The controller counts the tests that
reported, and when fewer than were collected it says so (the exit status of such a run is already 2).
"""

import os

_reported: set[str] = set()
_collected = [0]  # the session's count, kept at its end for the summary (written after every sessionfinish)


def pytest_runtest_logreport(report):
    if report.when == "call" or not report.passed:  # ran, skipped, errored, or crashed its worker ("???")
        _reported.add(report.nodeid)


def pytest_sessionfinish(session):
    _collected[0] = session.testscollected


def pytest_terminal_summary(terminalreporter):
    missing = _collected[0] - len(_reported)
    if os.environ.get("PYTEST_XDIST_WORKER") or missing <= 0:
        return
    terminalreporter.write_line(f"{missing} of {_collected[0]} collected tests did not run "
                                "(a worker stopped early, or the run was stopped): this run is incomplete", red=True)
