"""The durable store of a trial run: SQLite for rows, one Zarr store per case for arrays.

Layout of a run directory::

    RUN/
      trial.sqlite          cases (state, attempts, error, attributes, dose, timings, ...),
                            provenance (spec, spec hash, versions, seeds, backend)
      cases/case-000012.zarr   ROIs of one case (and full images when asked)
      analysis/             readers' scores, iMRMC file, results.json (written after the cases)
      report.html

A case commits in two steps, each atomic: its arrays are written to a temporary directory
that is renamed into place, then its row turns ``done`` in one SQLite transaction. A run killed
between the two leaves the row not done, so the case runs again and, being deterministic,
writes the same bytes; a run killed anywhere else loses nothing that was committed. Only the
driver process writes (workers return results), so SQLite never sees concurrent writers.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import numpy as np

__all__ = ["TrialStore", "RUN_MARKER"]

#: File that marks a directory as a victwin run (its absence means "not a run directory").
RUN_MARKER = "trial.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS provenance (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cases (
    case_id INTEGER PRIMARY KEY,
    state TEXT NOT NULL DEFAULT 'pending',  -- pending | done | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    attributes TEXT NOT NULL,               -- JSON: density, age, lesion kind, sizes, seeds
    result TEXT,                            -- JSON: dose, lesion records, geometry of ROIs
    timings TEXT,                           -- JSON: seconds per stage
    worker TEXT,
    backend TEXT,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS events (t REAL, kind TEXT, detail TEXT);
"""


class TrialStore:
    """Open (or create) the store of one run directory."""

    def __init__(self, run_dir, *, create: bool = False):
        self.dir = Path(run_dir)
        path = self.dir / RUN_MARKER
        if not create and not path.is_file():
            raise FileNotFoundError(f"{str(self.dir)!r} is not a victwin run directory "
                                    f"(no {RUN_MARKER})")
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "cases").mkdir(exist_ok=True)
        self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # provenance -----------------------------------------------------------------------
    def set_provenance(self, items: dict) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for key, value in items.items():
                self.db.execute("INSERT OR REPLACE INTO provenance VALUES (?, ?)",
                                (key, json.dumps(value, sort_keys=True)))

    def provenance(self) -> dict:
        return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM provenance")}

    def log(self, kind: str, detail: str = "") -> None:
        self.db.execute("INSERT INTO events VALUES (?, ?, ?)", (time.time(), kind, detail))

    # cases ----------------------------------------------------------------------------
    def add_cases(self, cases: Iterable[tuple[int, dict]]) -> None:
        """Register cases (id, attributes); existing rows are kept as they are."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "INSERT OR IGNORE INTO cases (case_id, attributes) VALUES (?, ?)",
                [(int(cid), json.dumps(attrs, sort_keys=True)) for cid, attrs in cases])

    def counts(self) -> dict[str, int]:
        out = {"pending": 0, "done": 0, "failed": 0}
        for state, n in self.db.execute("SELECT state, COUNT(*) FROM cases GROUP BY state"):
            out[state] = n
        return out

    def todo(self, max_attempts: int) -> list[int]:
        """Cases not done whose attempts are below the limit, in id order."""
        rows = self.db.execute("SELECT case_id FROM cases WHERE state != 'done' AND attempts < ? "
                               "ORDER BY case_id", (max_attempts,))
        return [r[0] for r in rows]

    def attributes(self, case_id: int) -> dict:
        row = self.db.execute("SELECT attributes FROM cases WHERE case_id = ?",
                              (case_id,)).fetchone()
        return json.loads(row[0])

    def case_path(self, case_id: int) -> Path:
        return self.dir / "cases" / f"case-{case_id:06d}.zarr"

    def commit_case(self, case_id: int, arrays: dict[str, np.ndarray], result: dict,
                    timings: dict, *, worker: str = "", backend: str = "") -> None:
        """Write a finished case's arrays, then mark it done, each step atomic."""
        final = self.case_path(case_id)
        tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
        _write_zarr(tmp, arrays)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "UPDATE cases SET state='done', attempts=attempts+1, error=NULL, result=?, "
                "timings=?, worker=?, backend=?, finished_at=? WHERE case_id=?",
                (json.dumps(result, sort_keys=True), json.dumps(timings, sort_keys=True),
                 worker, backend, time.time(), case_id))

    def fail_case(self, case_id: int, error: str, max_attempts: int) -> str:
        """Record a failed attempt; returns the new state ('pending' to retry, or 'failed')."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            attempts = self.db.execute("SELECT attempts FROM cases WHERE case_id=?",
                                       (case_id,)).fetchone()[0] + 1
            state = "failed" if attempts >= max_attempts else "pending"
            self.db.execute("UPDATE cases SET state=?, attempts=?, error=? WHERE case_id=?",
                            (state, attempts, error[:2000], case_id))
        return state

    def done_cases(self) -> list[dict]:
        """Rows of finished cases (id order) with parsed JSON columns."""
        rows = self.db.execute(
            "SELECT case_id, attributes, result, timings, worker, backend FROM cases "
            "WHERE state='done' ORDER BY case_id")
        return [{"case_id": r[0], "attributes": json.loads(r[1]), "result": json.loads(r[2]),
                 "timings": json.loads(r[3]), "worker": r[4], "backend": r[5]} for r in rows]

    def failed_cases(self) -> list[dict]:
        rows = self.db.execute("SELECT case_id, attempts, error FROM cases WHERE state='failed' "
                               "ORDER BY case_id")
        return [{"case_id": r[0], "attempts": r[1], "error": r[2]} for r in rows]

    def read_arrays(self, case_id: int, names: Iterable[str] | None = None) -> dict:
        return _read_zarr(self.case_path(case_id), names)

    def clean_temporaries(self) -> int:
        """Remove half-written case stores left by a killed run; returns how many."""
        n = 0
        for tmp in (self.dir / "cases").glob(".case-*.tmp"):
            shutil.rmtree(tmp, ignore_errors=True)
            n += 1
        return n


def _write_zarr(path: Path, arrays: dict[str, np.ndarray]) -> None:
    import zarr

    root = zarr.open_group(str(path), mode="w")
    for name, arr in sorted(arrays.items()):
        arr = np.ascontiguousarray(arr)
        root.create_array(name, shape=arr.shape, dtype=arr.dtype,
                          chunks=arr.shape if arr.ndim else None)
        root[name][...] = arr


def _read_zarr(path: Path, names=None) -> dict:
    import zarr

    if not path.exists():
        raise FileNotFoundError(f"case store {str(path)!r} is missing")
    root = zarr.open_group(str(path), mode="r")
    out = {}

    def walk(group, prefix):
        for key, member in group.members():
            full = f"{prefix}{key}"
            if isinstance(member, zarr.Group):
                walk(member, full + "/")
            elif names is None or full in names:
                out[full] = member[...]

    walk(root, "")
    return out
