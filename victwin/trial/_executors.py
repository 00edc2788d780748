"""Executors: where cases run. Local worker processes by default, or an existing Dask cluster.

Both hand the driver one finished :class:`CaseOutput` (or an error) at a time; only the driver
writes the store. The case function is deterministic, so the executor, the number of workers
and the order in which cases finish change nothing in the results.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import traceback
from collections.abc import Iterator

from ._runner import CaseOutput, run_case
from ._spec import TrialSpec

__all__ = ["run_cases_local", "run_cases_dask", "CaseFailure"]


class CaseFailure:
    """A case that raised: its id and a one-line error (the traceback is kept in the log)."""

    def __init__(self, case_id: int, error: str, detail: str = ""):
        self.case_id = case_id
        self.error = error
        self.detail = detail


def _guarded(spec: TrialSpec, case_id: int, attributes: dict, backend: str):
    try:
        return run_case(spec, case_id, attributes, backend=backend)
    except Exception as exc:  # a failing case is recorded, the trial goes on
        return CaseFailure(case_id, f"{type(exc).__name__}: {exc}", traceback.format_exc())


def _worker_init(threads: int) -> None:
    os.environ["VICTWIN_WORKER"] = "1"
    try:
        import numba

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    except Exception:  # pragma: no cover - numba always present
        pass


def run_cases_local(spec: TrialSpec, cases: list[tuple[int, dict]], *, workers: int = 1,
                    backend: str = "auto") -> Iterator[CaseOutput | CaseFailure]:
    """Run cases in ``workers`` local processes (``1``: in this process, no pool)."""
    if workers <= 1:
        k = 0
        while k < len(cases):  # the driver may append retries while we run
            case_id, attrs = cases[k]
            k += 1
            yield _guarded(spec, case_id, attrs, backend)
        return
    threads = max(1, (os.cpu_count() or 1) // workers)
    ctx = mp.get_context("spawn")  # numba's thread pools are not fork-safe
    k = 0  # next index into ``cases``, a list the driver may append retries to
    pool = None
    pending: dict = {}
    try:
        while k < len(cases) or pending:
            if pool is None:
                pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                              initializer=_worker_init, initargs=(threads,))
            while k < len(cases) and len(pending) < 2 * workers:  # a bounded window
                case_id, attrs = cases[k]
                k += 1
                pending[pool.submit(_guarded, spec, case_id, attrs, backend)] = case_id
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            broken = False
            for fut in done:
                case_id = pending.pop(fut)
                try:
                    yield fut.result()
                except cf.process.BrokenProcessPool:
                    broken = True
                    yield CaseFailure(case_id, "a worker process died (out of memory or killed)")
                except Exception as exc:
                    yield CaseFailure(case_id, f"{type(exc).__name__}: {exc}")
            if broken:  # every case in flight is charged an attempt; a new pool carries on
                for fut, case_id in pending.items():
                    yield CaseFailure(case_id, "a worker process died (out of memory or killed)")
                pending = {}
                pool.shutdown(wait=False, cancel_futures=True)
                pool = None
    finally:
        for fut in pending:
            fut.cancel()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def run_cases_dask(spec: TrialSpec, cases: list[tuple[int, dict]], *, scheduler: str,
                   backend: str = "auto", window: int = 64
                   ) -> Iterator[CaseOutput | CaseFailure]:
    """Run cases on an existing Dask distributed cluster at ``scheduler`` (``tcp://HOST:PORT``).

    Workers resolve ``backend`` themselves, so GPU workers trace on CUDA with ``"auto"``. A
    worker that dies mid-case has its task re-run elsewhere by the scheduler.
    """
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise RuntimeError("--scheduler needs Dask distributed: pip install 'victwin[dask]'") \
            from None
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except OSError as exc:
        raise OSError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        futures = {}
        k = 0  # next index into ``cases``, a list the driver may append retries to

        def submit(case_id, attrs):
            # pure=False gives every submission (a retry too) its own key
            fut = client.submit(_guarded, spec, case_id, attrs, backend, pure=False)
            futures[fut.key] = case_id
            return fut

        first = []
        while k < len(cases) and len(first) < window:
            first.append(submit(*cases[k]))
            k += 1
        if not first:
            return
        ac = as_completed(first, loop=client.loop)
        del first
        for fut in ac:
            case_id = futures.pop(fut.key)
            try:
                yield fut.result()
            except Exception as exc:
                yield CaseFailure(case_id, f"{type(exc).__name__}: {exc}")
            fut.release()
            while k < len(cases) and len(futures) < window:
                ac.add(submit(*cases[k]))
                k += 1
    finally:
        client.close()
