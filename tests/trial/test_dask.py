"""The Dask executor against a real scheduler and workers on 127.0.0.1.

Starts ``dask scheduler`` and two ``dask worker`` processes (no nanny, so a killed worker
stays dead), runs the tiny trial through ``--scheduler``, kills one worker mid-run, and checks
the results equal the local executor's byte for byte. Everything is stopped by the fixture.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from victwin.trial import run_trial

from tests._ports import free_port

from .test_engine import TINY, assert_same, snapshot

pytest.importorskip("distributed")


@pytest.fixture
def cluster(tmp_path):
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    procs = []
    log = open(tmp_path / "dask.log", "w")
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", str(port), "--dashboard-address", "127.0.0.1:0", "--no-show"],
            stdout=log, stderr=subprocess.STDOUT, env=env))
        workers = []
        for k in range(2):
            w = subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                 "--no-nanny", "--host", "127.0.0.1", "--name", f"w{k}",
                 "--dashboard-address", "127.0.0.1:0", "--local-directory",
                 str(tmp_path / f"w{k}")],
                stdout=log, stderr=subprocess.STDOUT, env=env)
            procs.append(w)
            workers.append(w)
        from distributed import Client

        deadline = time.time() + 120
        with Client(address, timeout="60s") as client:
            while len(client.scheduler_info()["workers"]) < 2:
                if time.time() > deadline:
                    raise RuntimeError("Dask workers did not start: "
                                       + (tmp_path / "dask.log").read_text()[-2000:])
                time.sleep(0.2)
        yield address, workers
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


def test_dask_run_with_a_killed_worker_equals_local(cluster, tmp_path, tiny_reference):
    """The local reference is the session's undisturbed run of the same spec
    (``conftest.tiny_reference``: ``run_trial(TINY, workers=1, backend="cpu")``, the call this
    test made itself before), shared with the engine and fault tests instead of run again."""
    address, workers = cluster
    local = tiny_reference[0]

    out = tmp_path / "dask"
    killed = {}

    def killer():
        db = out / "trial.sqlite"
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                with sqlite3.connect(db, timeout=5) as con:
                    n = con.execute("SELECT COUNT(*) FROM cases WHERE state='done'").fetchone()[0]
            except sqlite3.Error:
                n = 0
            if n >= 1:
                os.kill(workers[0].pid, signal.SIGKILL)
                killed["at_done"] = n
                return
            time.sleep(0.1)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    result = run_trial(TINY, out, scheduler=address, backend="cpu", progress=False)
    t.join(timeout=5)
    assert killed, "the worker was never killed (the run ended first?)"
    assert workers[0].poll() is not None  # it really died
    assert result["counts"] == {"pending": 0, "done": 6, "failed": 0}
    assert_same(snapshot(out), snapshot(local))


def test_unreachable_scheduler_is_one_line_error(tmp_path, capsys):
    from victwin.cli import main

    port = free_port()
    rc = main(["run", str(TINY), "--out", str(tmp_path / "x"), "--scheduler",
               f"tcp://127.0.0.1:{port}", "--quiet"])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot reach the Dask scheduler" in err[0]
