"""Executors: where cases run. Local worker processes by default, or an existing Dask cluster.

Both hand the driver one finished :class:`CaseOutput` (or an error) at a time; only the driver
writes the store. The case function is deterministic, so the executor, the number of workers
and the order in which cases finish change nothing in the results.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection as mp_connection
import os
import signal
import threading
import time
import traceback
from collections.abc import Iterator

from ._runner import CaseOutput, run_case
from ._spec import TrialSpec
from ._stages import CaseStage, reporting

__all__ = ["run_cases_local", "run_cases_dask", "connect_dask", "CaseFailure"]


class CaseFailure:
    """A case that raised: its id and a one-line error (the traceback is kept in the log).
    ``retry`` is False for errors a retry would repeat (the spec's sites do not fit the twin)."""

    def __init__(self, case_id: int, error: str, detail: str = "", retry: bool = True):
        self.case_id = case_id
        self.error = error
        self.detail = detail
        self.retry = retry


def _guarded(spec: TrialSpec, case_id: int, attributes: dict, backend: str, on_stage=None):
    """Run one case; a raise becomes a :class:`CaseFailure`. ``on_stage(case_id, name)`` hears
    the stages the case enters."""
    try:
        if on_stage is None:
            return run_case(spec, case_id, attributes, backend=backend)
        with reporting(lambda name: on_stage(case_id, name)):
            return run_case(spec, case_id, attributes, backend=backend)
    except Exception as exc:  # a failing case is recorded, the trial goes on
        from ._sites import SiteLayoutError

        return CaseFailure(case_id, f"{type(exc).__name__}: {exc}", traceback.format_exc(),
                           retry=not isinstance(exc, SiteLayoutError))


def _worker_init(threads: int) -> None:
    os.environ["VICTWIN_WORKER"] = "1"
    try:
        import numba

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    except Exception:  # pragma: no cover - numba always present
        pass


def _watch_parent(parent_pid: int) -> None:
    """Make this worker exit when its driver is gone (killed with -9 included).

    On Linux the kernel sends SIGKILL when the parent dies (``PR_SET_PDEATHSIG``); everywhere,
    a daemon thread checks once a second that the parent is still the one that started us.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux: the thread below does it
        pass

    def watch():
        while True:
            if os.getppid() != parent_pid:
                os._exit(3)
            time.sleep(1.0)

    if os.getppid() != parent_pid:  # the driver died before we got here
        os._exit(3)
    threading.Thread(target=watch, name="victwin-parent-watch", daemon=True).start()


def _worker_main(conn, parent_pid: int, threads: int, spec: TrialSpec, backend: str) -> None:
    """A worker process: run the cases the driver sends, one at a time, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver stops us; Ctrl-C reaches it
    _watch_parent(parent_pid)
    # tqdm's default lock is a multiprocessing semaphore, reported "leaked" by the resource
    # tracker when a worker is stopped with a signal; a thread lock will do here
    from tqdm.std import tqdm

    tqdm.set_lock(threading.RLock())
    _worker_init(threads)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        case_id, attrs = msg
        res = _guarded(spec, case_id, attrs, backend,
                       on_stage=lambda cid, name: conn.send(CaseStage(cid, name)))
        try:
            conn.send(res)
        except Exception as exc:  # e.g. a result that cannot be pickled
            try:
                conn.send(CaseFailure(case_id, f"{type(exc).__name__}: {exc}"))
            except (EOFError, OSError):
                return


def _death(exitcode) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        why = " (out of memory, or killed)" if name == "SIGKILL" else ""
        return f"killed by {name}{why}"
    return f"exited with status {exitcode}"


class _Slot:
    """One worker process, its pipe, and the case it is running (``None``: idle)."""

    def __init__(self, ctx, spec, backend, threads):
        parent, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, name="victwin-worker", daemon=True,
                                args=(child, os.getpid(), threads, spec, backend))
        self.proc.start()
        child.close()
        self.conn = parent
        self.case: tuple[int, dict] | None = None

    def stop(self, *, now: bool) -> None:
        if self.proc.is_alive():
            if now or self.case is not None:
                self.proc.terminate()
            else:
                try:
                    self.conn.send(None)
                except OSError:
                    self.proc.terminate()
        self.conn.close()


class _Pool:
    """Local worker processes that each run one case at a time.

    The driver knows which case every worker holds, so a worker that dies (SIGKILL, the
    out-of-memory killer, a crash) charges an attempt to that case only, and a new worker takes
    its place; the cases of the other workers and those still queued are not touched.
    """

    def __init__(self, spec, workers, backend, threads, on_stage=None):
        self.ctx = mp.get_context("spawn")  # numba's thread pools are not fork-safe
        self.args = (spec, backend, threads)
        self.on_stage = on_stage
        self.slots = [self._start() for _ in range(workers)]
        self.idle_deaths = 0

    def _start(self):
        spec, backend, threads = self.args
        return _Slot(self.ctx, spec, backend, threads)

    def idle(self):
        return [s for s in self.slots if s.case is None]

    def busy(self) -> bool:
        return any(s.case is not None for s in self.slots)

    def submit(self, slot, case_id, attrs) -> None:
        slot.case = (case_id, attrs)
        try:
            slot.conn.send((case_id, attrs))
        except OSError:
            pass  # the worker is dead; its sentinel reports it below

    def wait(self):
        """Block until some worker finishes or dies; yield what that produced."""
        by_conn = {s.conn: s for s in self.slots if s.case is not None}
        by_sentinel = {s.proc.sentinel: s for s in self.slots}
        ready = mp_connection.wait(list(by_conn) + list(by_sentinel))
        dead = []
        for obj in ready:
            if obj in by_conn:
                slot = by_conn[obj]
                try:
                    res = slot.conn.recv()
                except (EOFError, OSError, Exception):  # died while sending: see below
                    dead.append(slot)
                    continue
                if isinstance(res, CaseStage):  # the case goes on
                    if self.on_stage is not None:
                        self.on_stage(res.case_id, res.name)
                    continue
                slot.case = None
                self.idle_deaths = 0
                yield res
            else:
                dead.append(by_sentinel[obj])
        for slot in dict.fromkeys(dead):
            if slot.proc.is_alive():
                slot.proc.join(5.0)  # the pipe broke: the worker is on its way out
                if slot.proc.is_alive():
                    slot.proc.kill()
            slot.proc.join()
            i = self.slots.index(slot)
            held = slot.case
            slot.case = None
            slot.stop(now=True)
            if held is None:
                self.idle_deaths += 1
                if self.idle_deaths > 3 * len(self.slots):
                    raise RuntimeError(f"worker processes keep dying before they run a case "
                                       f"(last: {_death(slot.proc.exitcode)})")
            self.slots[i] = self._start()
            if held is not None:
                yield CaseFailure(held[0], f"the worker running case {held[0]} "
                                           f"{_death(slot.proc.exitcode)}")

    def close(self, *, now: bool = False) -> None:
        for s in self.slots:
            s.stop(now=now)
        deadline = time.monotonic() + 10.0
        for s in self.slots:
            s.proc.join(max(0.1, deadline - time.monotonic()))
            if s.proc.is_alive():
                s.proc.kill()
                s.proc.join(5.0)


def run_cases_local(spec: TrialSpec, cases: list[tuple[int, dict]], *, workers: int = 1,
                    backend: str = "auto", on_stage=None
                    ) -> Iterator[CaseOutput | CaseFailure]:
    """Run cases in ``workers`` local processes (``1``: in this process, no pool).

    ``on_stage(case_id, name)`` is called in this process as a case enters a stage
    ("phantom", "DBT acquisition", "DBT FBP", "DBT ROIs", ...).

    A worker that dies charges only the case it was running (see :class:`_Pool`). Workers
    exit when the driver is gone, and are stopped when the driver stops (Ctrl-C, SIGTERM, an
    error, or the caller closing this generator).
    """
    if workers <= 1:
        k = 0
        while k < len(cases):  # the driver may append retries while we run
            case_id, attrs = cases[k]
            k += 1
            yield _guarded(spec, case_id, attrs, backend, on_stage)
        return
    threads = max(1, (os.cpu_count() or 1) // workers)
    pool = _Pool(spec, workers, backend, threads, on_stage)
    finished = False
    try:
        k = 0  # next index into ``cases``, a list the driver may append retries to
        while k < len(cases) or pool.busy():
            for slot in pool.idle():
                if k >= len(cases):
                    break
                pool.submit(slot, *cases[k])
                k += 1
            yield from pool.wait()
        finished = True
    finally:
        pool.close(now=not finished)


def connect_dask(scheduler: str):
    """A Dask ``Client`` of the scheduler at ``scheduler``, or a one-line error."""
    try:
        from distributed import Client
    except ImportError:
        raise RuntimeError("--scheduler needs Dask distributed: pip install 'victwin[dask]'") \
            from None
    try:
        return Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, ValueError, TypeError) as exc:
        raise OSError(f"cannot reach the Dask scheduler at {scheduler}: "
                      f"{' '.join(str(exc).split())}") from None


def run_cases_dask(spec: TrialSpec, cases: list[tuple[int, dict]], *, scheduler: str,
                   backend: str = "auto", window: int = 64, client=None
                   ) -> Iterator[CaseOutput | CaseFailure]:
    """Run cases on an existing Dask distributed cluster at ``scheduler`` (``tcp://HOST:PORT``).

    Workers resolve ``backend`` themselves, so GPU workers trace on CUDA with ``"auto"``. A
    worker that dies mid-case has its task re-run elsewhere by the scheduler. ``client``: an
    already connected client to use (closed at the end all the same).
    """
    from distributed import as_completed

    if client is None:
        client = connect_dask(scheduler)
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
