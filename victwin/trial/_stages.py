"""Stage names of a running case, for the trial's progress bar.

The case runner calls :func:`stage` as it enters a stage ("phantom", "DBT acquisition",
"DBT FBP", ...). Whoever runs the case installs a reporter with :func:`reporting`: the driver
itself (one worker: the bar is updated directly) or a worker process, which sends the name
to the driver over its pipe. Without a reporter :func:`stage` does nothing, so a case run
alone (``run_case`` in a script, on Dask) is unaffected. A reporter that fails is ignored:
progress never breaks a case.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

__all__ = ["stage", "reporting", "CaseStage"]

_local = threading.local()


class CaseStage:
    """A message from a worker: case ``case_id`` entered stage ``name``."""

    __slots__ = ("case_id", "name")

    def __init__(self, case_id: int, name: str):
        self.case_id = case_id
        self.name = name

    def __reduce__(self):
        return CaseStage, (self.case_id, self.name)


def stage(name: str) -> None:
    """Say that the current case enters stage ``name`` (no-op without a reporter)."""
    report = getattr(_local, "report", None)
    if report is not None:
        try:
            report(name)
        except Exception:  # noqa: BLE001 - progress must never fail a case
            pass


@contextmanager
def reporting(report):
    """Install ``report(name)`` as this thread's stage reporter for the ``with`` block."""
    previous = getattr(_local, "report", None)
    _local.report = report
    try:
        yield
    finally:
        _local.report = previous
