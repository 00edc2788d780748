"""The durable store of a trial run: SQLite for rows, one Zarr store per case for arrays.

Layout of a run directory::

    RUN/
      trial.sqlite          cases (state, attempts, error, attributes, dose, timings, ...),
                            provenance (spec, spec hash, versions, seeds, backend)
      cases/case-000012.zarr   ROIs of one case (and full images when asked)
      analysis/             readers' scores, iMRMC file, results.json (written after the cases)
      report.html

A case commits in two steps, each atomic: its arrays are written to a temporary directory,
fsynced, and renamed into place (the directory fsynced too), then its row turns ``done`` in one
SQLite transaction that also records a SHA-256 of every array (name, dtype, shape, bytes). A
run killed between the two leaves the row not done, so the case runs again and, being
deterministic, writes the same bytes; a run killed anywhere else loses nothing that was
committed. Reads verify the checksums: a deleted or corrupted chunk (Zarr reads a missing
chunk as zeros) raises :class:`CaseDamaged` naming the case instead of giving a wrong answer,
and :meth:`TrialStore.verify` lists damaged and missing cases so that a new ``run`` recomputes
them. Only the driver process writes (workers return results), so SQLite never sees
concurrent writers; :func:`lock_run` keeps a second driver out of the directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from victwin._formats import check_format

from ._records import CaseRecord, CaseResult

__all__ = ["TrialStore", "RUN_MARKER", "CaseDamaged", "RunLocked", "lock_run",
           "array_checksums", "atomic_write", "RUN_FORMAT"]

#: File that marks a directory as a victwin run (its absence means "not a run directory").
RUN_MARKER = "trial.sqlite"

#: Version of the run directory's layout (provenance key ``format_version``; runs made before
#: it was recorded have the layout of version 1). The case rows' ``result`` JSON carries its
#: own version (:data:`victwin.trial._records.RESULT_FORMAT`).
RUN_FORMAT = 1

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
    finished_at REAL,
    checksums TEXT                          -- JSON: array name -> sha256 (dtype, shape, bytes)
);
CREATE TABLE IF NOT EXISTS events (t REAL, kind TEXT, detail TEXT);
"""


class CaseDamaged(ValueError):
    """A finished case whose stored arrays are missing or differ from their checksums."""

    def __init__(self, case_id: int, reason: str):
        self.case_id = case_id
        self.reason = reason
        super().__init__(f"case {case_id} is damaged: {reason}; run the trial again on the same "
                         f"directory to recompute it")


class RunLocked(RuntimeError):
    """Another process holds the run directory's lock."""


def array_checksums(arrays: dict) -> dict[str, str]:
    """SHA-256 of each array's dtype, shape and C-order bytes, by name."""
    out = {}
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        h = hashlib.sha256(f"{arr.dtype.str}|{arr.shape}|".encode())
        h.update(memoryview(arr).cast("B") if arr.size else b"")
        out[name] = h.hexdigest()
    return out


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """fsync every file and directory under ``root`` (bottom-up), then ``root`` itself."""
    for dirpath, _dirs, files in os.walk(root, topdown=False):
        for f in files:
            _fsync_path(Path(dirpath) / f)
        _fsync_path(Path(dirpath), directory=True)


def atomic_write(path, data: bytes | str) -> Path:
    """Write ``path`` so that it holds either its old or its whole new content, durably.

    The bytes go to a temporary file in the same directory, which is fsynced and renamed over
    ``path``; the directory is fsynced after the rename.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_path(path.parent, directory=True)
    return path


def lock_run(run_dir, command: str = "run"):
    """Take the exclusive lock of a run directory; returns the open lock file (keep it open).

    The lock is an ``flock`` on ``RUN/.lock``, released by the kernel when the holder exits
    (even by SIGKILL), so a stale lock never blocks a resume. The file names the holder.

    Raises
    ------
    RunLocked
        Another process holds it (one line naming that process).
    """
    import fcntl

    path = Path(run_dir) / ".lock"
    fh = open(path, "a+")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.seek(0)
        holder = " ".join(fh.read().split()) or "another process"
        fh.close()
        raise RunLocked(f"{str(run_dir)!r} is in use by {holder}; wait for it to finish or "
                        f"stop it, then run again") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"victwin {command} (pid {os.getpid()} on {socket.gethostname()}, since "
             f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())})\n")
    fh.flush()
    return fh


class TrialStore:
    """Open (or create) the store of one run directory.

    Raises
    ------
    FileNotFoundError
        ``run_dir`` holds no run (and ``create`` is false).
    ValueError
        ``trial.sqlite`` is not a readable SQLite database (truncated, overwritten).
    """

    def __init__(self, run_dir, *, create: bool = False):
        self.dir = Path(run_dir)
        path = self.dir / RUN_MARKER
        if not create and not path.is_file():
            raise FileNotFoundError(f"{str(self.dir)!r} is not a victwin run directory "
                                    f"(no {RUN_MARKER})")
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "cases").mkdir(exist_ok=True)
        try:
            self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(_SCHEMA)
            columns = {r[1] for r in self.db.execute("PRAGMA table_info(cases)")}
            if "checksums" not in columns:  # a run made before checksums were stored
                self.db.execute("ALTER TABLE cases ADD COLUMN checksums TEXT")
            prov = self.provenance()
        except sqlite3.DatabaseError as exc:
            raise store_error(path, exc) from None
        try:
            check_format(f"run {str(self.dir)!r}", prov, name=None, version=RUN_FORMAT,
                         legacy=1)
        except ValueError:
            self.db.close()
            raise

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

    def commit_case(self, case_id: int, arrays: dict[str, np.ndarray],
                    result: CaseResult | dict, timings: dict, *, worker: str = "",
                    backend: str = "") -> None:
        """Write a finished case's arrays, then mark it done, each step atomic.

        ``result``: a :class:`CaseResult` (or its JSON form, checked before anything is
        written).
        """
        if not isinstance(result, CaseResult):
            result = CaseResult.from_dict(result, f"case {case_id} result")
        final = self.case_path(case_id)
        tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
        sums = array_checksums(arrays)
        try:
            _write_zarr(tmp, arrays)
            _fsync_tree(tmp)  # the arrays are on disk before the row that says so
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        _fsync_path(final.parent, directory=True)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "UPDATE cases SET state='done', attempts=attempts+1, error=NULL, result=?, "
                "timings=?, worker=?, backend=?, finished_at=?, checksums=? WHERE case_id=?",
                (json.dumps(result.to_dict(), sort_keys=True), json.dumps(timings, sort_keys=True),
                 worker, backend, time.time(), json.dumps(sums, sort_keys=True), case_id))

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

    def case_records(self) -> list[CaseRecord]:
        """Finished cases (id order) as typed :class:`CaseRecord` values.

        Raises
        ------
        ValueError
            A row's result is not a case result this victwin reads (one line naming the
            run, the case, the key and the rule, or the version).
        """
        return [CaseRecord(case_id=r["case_id"], attributes=r["attributes"],
                           result=CaseResult.from_dict(
                               r["result"], f"run {str(self.dir)!r}: case {r['case_id']} result"),
                           timings=r["timings"] or {}, worker=r["worker"] or "",
                           backend=r["backend"] or "")
                for r in self.done_cases()]

    def done_cases(self) -> list[dict]:
        """Rows of finished cases (id order) with parsed JSON columns (the raw JSON form;
        :meth:`case_records` gives them typed)."""
        rows = self.db.execute(
            "SELECT case_id, attributes, result, timings, worker, backend FROM cases "
            "WHERE state='done' ORDER BY case_id")
        return [{"case_id": r[0], "attributes": json.loads(r[1]), "result": json.loads(r[2]),
                 "timings": json.loads(r[3]), "worker": r[4], "backend": r[5]} for r in rows]

    def failed_cases(self) -> list[dict]:
        rows = self.db.execute("SELECT case_id, attempts, error FROM cases WHERE state='failed' "
                               "ORDER BY case_id")
        return [{"case_id": r[0], "attempts": r[1], "error": r[2]} for r in rows]

    def checksums(self, case_id: int) -> dict | None:
        """The stored checksums of a finished case (``None``: a run made before them)."""
        row = self.db.execute("SELECT checksums FROM cases WHERE case_id=?",
                              (case_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def read_arrays(self, case_id: int, names: Iterable[str] | None = None) -> dict:
        """A finished case's arrays (all, or those in ``names``), verified.

        Raises
        ------
        CaseDamaged
            The case store is missing, unreadable, lacks an array, or an array's bytes differ
            from the checksum recorded when the case was committed.
        """
        names = None if names is None else list(names)
        expected = self.checksums(case_id)
        try:
            arrays = _read_zarr(self.case_path(case_id), names)
        except FileNotFoundError:
            raise CaseDamaged(case_id, "its case store is missing") from None
        except Exception as exc:  # zarr/zstd/JSON errors of a corrupted store
            raise CaseDamaged(case_id, f"its case store cannot be read "
                                       f"({type(exc).__name__}: {' '.join(str(exc).split())})"
                              ) from None
        if expected is None:
            return arrays
        wanted = set(expected) if names is None else set(names) & set(expected)
        missing = sorted(wanted - set(arrays))
        if missing:
            raise CaseDamaged(case_id, f"array {missing[0]!r} is missing from its case store")
        if names is None and set(arrays) - set(expected):
            extra = sorted(set(arrays) - set(expected))[0]
            raise CaseDamaged(case_id, f"its case store holds an unexpected array {extra!r}")
        got = array_checksums({k: arrays[k] for k in wanted})
        for name in sorted(wanted):
            if got[name] != expected[name]:
                raise CaseDamaged(case_id, f"array {name!r} differs from its checksum")
        return arrays

    def verify(self) -> list[dict]:
        """Check every finished case's arrays; returns ``[{case_id, reason}]`` of damaged ones."""
        bad = []
        for (cid,) in self.db.execute("SELECT case_id FROM cases WHERE state='done' "
                                      "ORDER BY case_id").fetchall():
            try:
                self.read_arrays(cid)
            except CaseDamaged as exc:
                bad.append({"case_id": cid, "reason": exc.reason})
        return bad

    def expected_case_ids(self) -> list[int]:
        """Case ids registered in the store."""
        return [r[0] for r in self.db.execute("SELECT case_id FROM cases ORDER BY case_id")]

    def reset_cases(self, case_ids: Iterable[int], why: str) -> None:
        """Put cases back to ``pending`` with a fresh retry budget (damaged or given up)."""
        ids = [int(c) for c in case_ids]
        if not ids:
            return
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("UPDATE cases SET state='pending', attempts=0, checksums=NULL "
                                "WHERE case_id=?", [(c,) for c in ids])
            self.db.execute("INSERT INTO events VALUES (?, ?, ?)",
                            (time.time(), "reset", f"{ids}: {why}"))

    def clean_temporaries(self) -> int:
        """Remove half-written case stores left by a killed run; returns how many."""
        n = 0
        for tmp in (self.dir / "cases").glob(".case-*.tmp"):
            shutil.rmtree(tmp, ignore_errors=True)
            n += 1
        return n


def store_error(path, exc: Exception) -> ValueError:
    """A one-line error for an SQLite failure on a run's database, naming the file."""
    text = " ".join(str(exc).split())
    if "readonly" in text or "read-only" in text:
        hint = "the run directory is read-only"
    elif "full" in text:
        hint = "the disk is full; free space and run again"
    elif "not a database" in text or "malformed" in text:
        hint = "the file is damaged; move it away and run the trial again into a new directory"
    else:
        hint = "check the file and the disk"
    return ValueError(f"run database {str(path)!r}: {text} ({hint})")


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
