"""The trial driver: plan, run (resumable), and status.

``run_trial`` registers the cohort in the store, runs every case not yet done through an
executor, commits each finished case atomically as it arrives, then runs the analysis stage
and writes the report. Re-running the same command on the same directory resumes: finished
cases are never repeated. Ctrl-C stops between cases; nothing committed is lost.
"""

from __future__ import annotations

import json
import platform
import re
import sqlite3
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from ._cohort import sample_cohort
from ._executors import CaseFailure, connect_dask, run_cases_dask, run_cases_local
from ._spec import TrialSpec, load_spec
from ._store import RUN_FORMAT, RUN_MARKER, TrialStore, lock_run, store_error

__all__ = ["run_trial", "trial_status", "provenance_record"]


def provenance_record(spec: TrialSpec, *, backend: str, executor: str) -> dict:
    """Package versions, spec and its hash, seeds, backend and executor of a run, and the
    run directory's format version."""
    import importlib.metadata as md

    versions = {}
    for pkg in ("victwin", "numpy", "scipy", "numba", "xraylib", "spekpy", "scikit-image",
                "pydicom", "highdicom", "zarr", "dask", "distributed"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return {"format_version": RUN_FORMAT, "spec": spec.to_dict(), "spec_toml": spec.to_toml_dict(), "spec_hash": spec.hash, "seed": spec.seed,
            "versions": versions, "python": platform.python_version(),
            "platform": platform.platform(), "backend_requested": backend,
            "executor": executor, "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                               time.gmtime())}


_SCHEDULER = re.compile(r"^(tcp|tls|ucx|inproc|ws|wss)://[^\s/]+(:\d{1,5})?/?$")


def _open_run(spec: TrialSpec, out_dir: Path):
    """Lock and open the run directory, refusing one made by a different spec.

    Returns ``(store, lock)``; the lock file stays open (locked) until closed.
    """
    marker = out_dir / RUN_MARKER
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"output {str(out_dir)!r} exists and is not a directory")
    if out_dir.exists() and not marker.exists() and any(
            p.name != ".lock" for p in out_dir.iterdir()):
        raise ValueError(f"output directory {str(out_dir)!r} exists and is not a victwin run; "
                         f"choose an empty or new directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    lock = lock_run(out_dir, "run")
    try:
        store = TrialStore(out_dir, create=True)
    except BaseException:
        lock.close()
        raise
    try:
        prov = store.provenance()
    except sqlite3.DatabaseError as exc:
        store.close()
        lock.close()
        raise store_error(marker, exc) from None
    if prov and prov.get("spec_hash") != spec.hash:
        store.close()
        lock.close()
        raise ValueError(f"{str(out_dir)!r} holds a run of a different spec (hash "
                         f"{prov.get('spec_hash')}, this spec {spec.hash}); use a new --out")
    return store, lock


def run_trial(spec, out_dir, *, workers: int = 1, scheduler: str | None = None,
              backend: str | None = None, analyse: bool = True, report: bool = True,
              progress: bool = True, max_cases: int | None = None,
              retry_failed: bool = True, on_stage=None) -> dict:
    """Run (or resume) a trial into ``out_dir``.

    Parameters
    ----------
    spec : TrialSpec or path
    out_dir : path
        The run directory; created if missing; a previous run of the same spec resumes.
        Finished cases whose arrays are missing or damaged are recomputed (every case is a
        deterministic function of the spec and its seeds, so the answer is the same).
    workers : int
        Local worker processes (ignored with ``scheduler``).
    scheduler : str, optional
        ``tcp://HOST:PORT`` of an existing Dask scheduler to run the cases on.
    backend : {"auto", "cpu", "cuda"}, optional
        Ray-tracing backend, resolved on each worker (default: the spec's).
    analyse, report : bool
        Run the analysis stage and write the HTML report after the cases.
    max_cases : int, optional
        Stop after this many newly finished cases (for tests and partial runs).
    retry_failed : bool
        Give cases that failed in an earlier invocation a fresh retry budget (default); with
        ``False`` they stay failed.
    on_stage : callable, optional
        ``on_stage(case_id, name)`` as a case enters a stage ("phantom", "DBT acquisition",
        "DBT FBP", "DBT ROIs"; local workers only), and ``on_stage(None, name)`` for the
        stages after the cases ("analysis: readers DM", "report: live V&V checks", ...). With
        ``progress`` the progress bar shows them too.

    Returns
    -------
    dict
        ``counts`` (pending / done / failed), ``run_dir``, ``recomputed`` (damaged cases put
        back to pending, with the reason), ``retried`` (failed cases retried), ``report`` path.

    Raises
    ------
    RunLocked
        Another process is running on ``out_dir``.
    MemoryError
        The cases at once would need more memory than the limit (one line; nothing started).
    """
    if not isinstance(spec, TrialSpec):
        spec = load_spec(spec)
    out_dir = Path(out_dir)
    backend = backend or spec.backend
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    if scheduler is not None and not (isinstance(scheduler, str) and _SCHEDULER.match(scheduler)):
        raise ValueError(f"--scheduler must be a Dask scheduler address such as "
                         f"tcp://HOST:8786, got {scheduler!r}")
    executor = f"dask {scheduler}" if scheduler else f"local x{workers}"
    from ._plan import check_case_memory, estimate_line, plan_trial
    from ._sites import check_site_layout

    at_once = 1 if scheduler else workers
    plan = None
    if not (out_dir / RUN_MARKER).exists():  # refuse before the directory is made
        plan = plan_trial(spec)
        check_case_memory(plan, spec.resolution.voxel_mm, at_once)
        check_site_layout(spec)      # sites no twin can hold: one line, nothing made
    client = connect_dask(scheduler) if scheduler else None  # likewise
    try:
        store, lock = _open_run(spec, out_dir)
    except BaseException:
        if client is not None:
            client.close()
        raise
    try:
        prov = store.provenance()
        if "case_memory_bytes" not in prov:  # estimated once per run directory
            plan = plan or plan_trial(spec)
            prov_new = {} if prov else provenance_record(spec, backend=backend,
                                                          executor=executor)
            prov_new["case_memory_bytes"] = plan["case_memory_bytes"]
            prov_new["phantom_voxels"] = plan["phantom_voxels"]
            store.set_provenance(prov_new)
            prov = {**prov, **prov_new}
        check_case_memory(prov, spec.resolution.voxel_mm, at_once)
        store.clean_temporaries()
        cohort = sample_cohort(spec)
        store.add_cases(cohort)
        out = {"run_dir": str(out_dir), "recomputed": [], "retried": []}
        damaged = store.verify()
        if damaged:
            store.reset_cases([d["case_id"] for d in damaged], "damaged: " + "; ".join(
                f"{d['case_id']}: {d['reason']}" for d in damaged))
            out["recomputed"] = damaged
        if retry_failed:
            failed = [f["case_id"] for f in store.failed_cases()]
            store.reset_cases(failed, "retried by a new invocation")
            out["retried"] = failed
        attrs = dict(cohort)
        todo = [(cid, attrs[cid]) for cid in store.todo(spec.storage.max_attempts)]
        store.log("run", json.dumps({"executor": executor, "todo": len(todo),
                                     "recomputed": [d["case_id"] for d in damaged]}))
        if todo and progress:        # a long command says what it will cost before it starts
            plan = plan or plan_trial(spec)
            print(f"{spec.name}: {estimate_line(plan, len(todo), at_once)}", file=sys.stderr,
                  flush=True)
        if todo:
            _run_cases(store, spec, todo, workers=workers, scheduler=scheduler, backend=backend,
                       progress=progress, max_cases=max_cases, client=client,
                       on_stage=on_stage)
        counts = store.counts()
        out["counts"] = counts
        finished = counts["pending"] == 0  # failures were retried in _run_cases
        if finished and analyse and counts["done"] < 4:
            out["analysis_skipped"] = (f"only {counts['done']} case(s) finished; the analysis "
                                       f"needs at least 4")
        elif finished and analyse:
            from ._analysis import analyse_run

            say = _after_cases_stage(spec, progress, on_stage)
            out["analysis"] = analyse_run(store, spec, progress=lambda s: say(f"analysis: {s}"))
            if report:
                from victwin.validation import run_checks

                from ._report import write_report

                say("report: live V&V checks")
                checks = run_checks(family=spec.cohort.family)
                say("report: writing report.html")
                out["report"] = str(write_report(store, spec, checks=checks))
        return out
    finally:
        if client is not None:
            client.close()
        store.close()
        lock.close()


def _after_cases_stage(spec, progress: bool, on_stage):
    """``say(name)``: report a stage after the cases (a line on stderr with ``progress``)."""
    def say(name):
        if on_stage is not None:
            on_stage(None, name)
        if progress:
            print(f"{spec.name}: {name}", file=sys.stderr, flush=True)
    return say


def _run_cases(store, spec, todo, *, workers, scheduler, backend, progress, max_cases,
               client=None, on_stage=None):
    bar = tqdm(total=len(todo), desc=f"{spec.name}: cases", unit="case", disable=not progress,
               file=sys.stderr)
    running: dict = {}        # case id -> the stage it is in (local workers report them)

    def staged(case_id, name):
        running[case_id] = name
        bar.set_postfix_str("; ".join(f"case {c}: {n}" for c, n in sorted(running.items())))
        if on_stage is not None:
            on_stage(case_id, name)

    if scheduler:
        results = run_cases_dask(spec, todo, scheduler=scheduler, backend=backend, client=client)
    else:
        results = run_cases_local(spec, todo, workers=workers, backend=backend,
                                  on_stage=staged)
    finished = 0
    try:
        for res in results:
            running.pop(res.case_id, None)
            if isinstance(res, CaseFailure):
                state = store.fail_case(res.case_id, res.error,
                                        spec.storage.max_attempts
                                        if getattr(res, "retry", True) else 1)
                store.log("case-error", f"{res.case_id}: {res.error}\n{res.detail}")
                bar.write(f"case {res.case_id} failed ({state}): {res.error}")
                if state == "pending":  # retry later in this run
                    todo.append((res.case_id, store.attributes(res.case_id)))
                    bar.total += 1
            else:
                store.commit_case(res.case_id, res.arrays, res.result, res.timings,
                                  worker=res.worker, backend=res.backend)
                finished += 1
            bar.update(1)
            if max_cases is not None and finished >= max_cases:
                break
    finally:
        bar.close()
        close = getattr(results, "close", None)
        if close:
            close()


def trial_status(run_dir, *, verify: bool = True) -> dict:
    """Counts, failures, damaged cases, spec name and timing of a run directory (read-only).

    ``damaged`` lists finished cases whose arrays are missing or differ from their checksums
    (reading every case's arrays; ``verify=False`` skips that), and ``missing`` the cases of
    the spec's cohort that have no row (a deleted row); ``victwin run`` recomputes both.
    """
    with TrialStore(run_dir) as store:
        try:
            prov = store.provenance()
            counts = store.counts()
            done = store.done_cases()
            failed = store.failed_cases()
            damaged = store.verify() if verify else []
            present = set(store.expected_case_ids())
            unverified = store.db.execute("SELECT COUNT(*) FROM cases WHERE state='done' AND "
                                          "checksums IS NULL").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise store_error(Path(run_dir) / RUN_MARKER, exc) from None
        size = prov.get("spec", {}).get("cohort", {}).get("size")
        missing = sorted(set(range(int(size))) - present) if isinstance(size, int) else []
        # a case's time is its top-level stages' ("phantom", "acquisition", ...); the dotted
        # keys ("acquisition.raytrace", "modality.DM") split or regroup them (counted twice
        # before 2026-12-05 sixth: the replica's status read ~3x its wall time)
        seconds = [sum(v for k, v in r["timings"].items() if "." not in k) for r in done]
        return {"trial": prov.get("spec", {}).get("name"), "spec_hash": prov.get("spec_hash"),
                "counts": counts, "failed": failed, "damaged": damaged, "missing": missing,
                "unverifiable": unverified,
                "mean_case_s": (sum(seconds) / len(seconds)) if seconds else None,
                "analysed": (Path(run_dir) / "analysis" / "results.json").is_file(),
                "report": str(Path(run_dir) / "report.html")
                if (Path(run_dir) / "report.html").is_file() else None}
