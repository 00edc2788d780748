"""Fault injection on real runs of the tiny trial: damage, kills, signals, two drivers, full disk.

Every scenario drives the ``victwin`` command line in subprocesses, as a user would, on the
tiny spec (``tiny.toml``: 6 cases, about a second each on an idle core), and checks four
things: the exit status, a one-line message (no traceback), no process left behind (every
process a driver starts inherits a tag in its environment, and ``/proc`` is searched for it),
and results byte-identical to an undisturbed run (or a refusal that names the damaged case).

What is broken is broken for real: chunk files deleted or overwritten, case stores and SQLite
rows deleted, worker processes and the driver killed with SIGKILL, SIGTERM sent to the driver,
a second driver started on the same directory, the run directory put on a tmpfs that is then
filled up and remounted read-only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from victwin.trial import CaseDamaged, TrialStore, run_trial

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TINY = HERE / "tiny.toml"
N_CASES = 6


# -- helpers -------------------------------------------------------------------------------
def _env(tag: str | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]]
                                                       if env.get("PYTHONPATH") else []))
    env.pop("VICTWIN_DEBUG", None)
    if tag:
        env["VICTWIN_FAULT_TAG"] = tag
    return env


def _cmd(*args) -> list[str]:
    return [sys.executable, "-m", "victwin", *map(str, args)]


def victwin(*args, timeout=300, tag=None) -> subprocess.CompletedProcess:
    """Run ``victwin ARGS`` to the end; returns the completed process (text output)."""
    return subprocess.run(_cmd(*args), capture_output=True, text=True, timeout=timeout,
                          env=_env(tag), cwd=str(ROOT))


def start(*args, tag) -> subprocess.Popen:
    return subprocess.Popen(_cmd(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=_env(tag), cwd=str(ROOT))


def tagged(tag: str) -> list[int]:
    """Pids of live processes whose environment carries ``tag`` (the driver's descendants)."""
    needle = f"VICTWIN_FAULT_TAG={tag}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":  # a zombie is already dead (its parent has not reaped it)
                    pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def assert_no_orphans(tag: str, within_s: float = 15.0) -> None:
    deadline = time.monotonic() + within_s
    while tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = tagged(tag)
    info = []
    for pid in left:
        try:
            info.append((pid, Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                         .decode(errors="replace")[:120]))
        except OSError:
            pass
    assert not left, f"processes left behind: {info}"


def children(pid: int) -> list[int]:
    """Worker processes of a driver (its direct children, the resource tracker excluded)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and b"resource_tracker" not in cmdline:
            out.append(int(entry.name))
    return out


def done_count(run_dir: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{run_dir / 'trial.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM cases WHERE state='done'").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def wait_for(predicate, proc: subprocess.Popen, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the driver ended (status {proc.returncode}) before {what}: {err[-800:]}")
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def one_line(stderr: str) -> str:
    """The single line of a refusal; fails on a traceback or several lines."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert "Traceback" not in stderr, stderr[-2000:]
    assert len(lines) == 1, stderr[-2000:]
    return lines[0]


def snapshot(run_dir: Path) -> dict:
    """What must be reproducible: every case's verified arrays and row, the analysis files."""
    with TrialStore(run_dir) as store:
        rows = store.done_cases()
        arrays = {r["case_id"]: {k: (v.dtype.str, v.shape, v.tobytes())
                                 for k, v in store.read_arrays(r["case_id"]).items()}
                  for r in rows}
        results = {r["case_id"]: r["result"] for r in rows}
        counts = store.counts()
    analysis = run_dir / "analysis"
    return {"counts": counts, "arrays": arrays, "results": results,
            "results.json": (analysis / "results.json").read_bytes(),
            "scores.imrmc": (analysis / "scores.imrmc").read_bytes()}


def assert_identical(run_dir: Path, reference: dict) -> None:
    got = snapshot(run_dir)
    assert got["counts"] == {"pending": 0, "done": N_CASES, "failed": 0}
    assert got["counts"] == reference["counts"]
    assert sorted(got["arrays"]) == sorted(reference["arrays"])
    for cid, arrays in reference["arrays"].items():
        assert got["arrays"][cid] == arrays, f"case {cid} differs"
    assert got["results"] == reference["results"]
    assert got["results.json"] == reference["results.json"]
    assert got["scores.imrmc"] == reference["scores.imrmc"]


@pytest.fixture(scope="module")
def reference(tiny_reference):
    """The undisturbed run (``conftest.tiny_reference``) and its snapshot."""
    out = tiny_reference[0]
    return out, snapshot(out)


def _copy_run(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".lock", "*.tmp"))
    return dst


# -- 1. damaged case stores and rows -------------------------------------------------------
def test_damaged_cases_are_reported_refused_and_recomputed(reference, tmp_path):
    """Deleted and corrupted chunks, a deleted store and row, a case out of attempts."""
    ref_dir, ref = reference
    run = _copy_run(ref_dir, tmp_path / "run")
    # case 5: failed for good (out of attempts, as six worker kills used to leave every case);
    # a run asked to leave failed cases alone does so (it has nothing to compute)
    shutil.rmtree(run / "cases" / "case-000005.zarr")
    with sqlite3.connect(run / "trial.sqlite") as con:
        con.execute("UPDATE cases SET state='failed', attempts=3, error='killed' "
                    "WHERE case_id = 5")
    con.close()
    kept = run_trial(TINY, run, retry_failed=False, analyse=False, progress=False)
    assert kept["counts"] == {"pending": 0, "done": 5, "failed": 1} and kept["retried"] == []
    # case 1: one chunk deleted (Zarr would read it as zeros)
    chunk = next((run / "cases" / "case-000001.zarr" / "DM" / "present").rglob("c/*/*"))
    chunk.unlink()
    # case 2: 64 bytes flipped inside a chunk
    chunk = next(p for p in (run / "cases" / "case-000002.zarr" / "DBT" / "absent").rglob("*")
                 if p.is_file() and p.name != "zarr.json")
    data = bytearray(chunk.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 64] = bytes(b ^ 0xFF for b in data[mid:mid + 64])
    chunk.write_bytes(bytes(data))
    # case 3: the whole case store deleted; case 4: its row deleted
    shutil.rmtree(run / "cases" / "case-000003.zarr")
    with sqlite3.connect(run / "trial.sqlite") as con:
        con.execute("DELETE FROM cases WHERE case_id = 4")
    con.close()

    with TrialStore(run) as store:
        for cid in (1, 2, 3):
            with pytest.raises(CaseDamaged, match=f"case {cid} is damaged"):
                store.read_arrays(cid)

    st = victwin("status", run, "--json", tmp_path / "status.json")
    assert st.returncode == 1, st.stderr
    status = json.loads((tmp_path / "status.json").read_text())
    assert [d["case_id"] for d in status["damaged"]] == [1, 2, 3]
    assert status["missing"] == [4]
    assert "case 1 is damaged: array 'DM/present' differs from its checksum" in st.stdout
    assert "case 3 is damaged: its case store is missing" in st.stdout

    # re-analysing the damaged run is refused, naming the case; nothing is overwritten
    before = (run / "analysis" / "results.json").read_bytes()
    rep = victwin("report", run)
    assert rep.returncode == 2
    assert one_line(rep.stderr).startswith("victwin: error: case 1 is damaged")
    assert (run / "analysis" / "results.json").read_bytes() == before

    res = victwin("run", TINY, "--out", run, "--quiet", "--no-report", "--backend", "cpu")
    assert res.returncode == 0, res.stderr[-2000:]
    for cid in (1, 2, 3):
        assert f"recomputed damaged case {cid}" in res.stdout
    assert "retried 1 case(s) that had failed before: 5" in res.stdout
    assert "Traceback" not in res.stderr
    assert_identical(run, ref)
    assert victwin("status", run).returncode == 0


def test_truncated_database_is_one_line(reference, tmp_path):
    run = _copy_run(reference[0], tmp_path / "run")
    db = run / "trial.sqlite"
    db.write_bytes(db.read_bytes()[:1000])
    for wal in run.glob("trial.sqlite-*"):
        wal.unlink()
    st = victwin("status", run)
    assert st.returncode == 2
    line = one_line(st.stderr)
    assert "trial.sqlite" in line and "damaged" in line
    res = victwin("run", TINY, "--out", run, "--quiet", "--no-report", "--backend", "cpu")
    assert res.returncode == 2 and "trial.sqlite" in one_line(res.stderr)


# -- 2. signals, a second driver, killed workers ---------------------------------------------
def test_sigterm_second_driver_kill9_and_killed_workers(reference, tmp_path):
    """One run directory through every driver-side fault, then the identical answer.

    1. a driver with 2 workers finishes a case; a second driver on the same directory is
       refused in one line naming the first; SIGTERM stops the first with 143 and one line;
    2. a new driver is killed with SIGKILL once its workers run: they exit too;
    3. a last driver resumes while its workers are killed with SIGKILL, twice: each kill
       charges one attempt to one case at most, and the run ends complete and identical.
    """
    _, ref = reference
    run = tmp_path / "run"
    args = ("run", TINY, "--out", run, "--quiet", "--no-report", "--backend", "cpu",
            "--workers", "2")

    tag = uuid.uuid4().hex
    first = start(*args, tag=tag)
    wait_for(lambda: done_count(run) >= 1, first, 240, "the first case was committed")
    second = victwin(*args, timeout=120)
    assert second.returncode == 2
    line = one_line(second.stderr)
    assert "is in use by victwin run" in line and f"pid {first.pid} " in line, line
    first.send_signal(signal.SIGTERM)
    out, err = first.communicate(timeout=60)
    assert first.returncode == 143, err
    assert one_line(err).startswith("victwin: terminated by SIGTERM")
    assert_no_orphans(tag)
    kept = done_count(run)
    assert kept >= 1

    tag = uuid.uuid4().hex
    driver = start(*args, tag=tag)
    wait_for(lambda: len(children(driver.pid)) == 2, driver, 120, "two workers started")
    time.sleep(1.0)
    driver.kill()
    driver.wait(timeout=30)
    assert_no_orphans(tag)  # the workers noticed their driver is gone
    assert done_count(run) >= kept  # nothing committed was lost

    tag = uuid.uuid4().hex
    last = start(*args, tag=tag)
    kills = 0
    for _ in range(2):
        deadline = time.monotonic() + 120
        while (time.monotonic() < deadline and last.poll() is None
               and not (len(children(last.pid)) == 2 and done_count(run) < N_CASES)):
            time.sleep(0.1)
        time.sleep(0.5)
        victim = children(last.pid)
        if not victim or last.poll() is not None or done_count(run) >= N_CASES:
            break  # a fast machine may finish before a second kill
        os.kill(victim[0], signal.SIGKILL)
        kills += 1
        deadline = time.monotonic() + 30
        while victim[0] in children(last.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    out, err = last.communicate(timeout=300)
    assert last.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    assert kills >= 1
    charged = [ln for ln in err.splitlines() if "killed by SIGKILL" in ln]
    assert len(charged) <= kills, err  # one kill, at most one case charged
    for ln in charged:  # "case N failed (pending): the worker running case N killed by ..."
        cid = ln.split()[1]
        assert f"the worker running case {cid} killed by SIGKILL" in ln
    assert_no_orphans(tag)
    with sqlite3.connect(run / "trial.sqlite") as con:
        attempts = dict(con.execute("SELECT case_id, attempts FROM cases"))
    con.close()
    assert all(a >= 1 for a in attempts.values())
    assert_identical(run, ref)


# -- 3. a full disk, then a read-only one ----------------------------------------------------
@pytest.fixture
def small_fs(tmp_path):
    """A 16 MiB tmpfs mounted for the test (needs root and CAP_SYS_ADMIN)."""
    mnt = tmp_path / "fs"
    mnt.mkdir()
    if not shutil.which("mount"):
        pytest.skip("no mount command: cannot make a small filesystem to fill")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root with CAP_SYS_ADMIN): "
                    f"{res.stderr.strip() or res.returncode}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(fs: Path) -> Path:
    filler = fs / "filler"
    with open(filler, "wb") as fh:
        block = b"\0" * 65536
        try:
            while True:
                fh.write(block)
                fh.flush()
        except OSError:
            pass
    return filler


def test_full_then_read_only_disk(reference, small_fs):
    ref_dir, ref = reference
    run = _copy_run(ref_dir, small_fs / "run")
    shutil.rmtree(run / "cases" / "case-000002.zarr")  # the run has a case to write
    filler = _fill(small_fs)

    st = victwin("status", run)
    assert st.returncode in (1, 2), st.stderr
    if st.returncode == 2:
        assert "trial.sqlite" in one_line(st.stderr)
    else:
        assert "Traceback" not in st.stderr and "case 2 is damaged" in st.stdout

    res = victwin("run", TINY, "--out", run, "--quiet", "--no-report", "--backend", "cpu")
    assert res.returncode == 2, res.stderr[-2000:]
    line = one_line(res.stderr)
    assert "No space left on device" in line or "disk is full" in line, line
    assert not list((run / "cases").glob(".case-*.tmp"))

    filler.unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    res = victwin("run", TINY, "--out", run, "--quiet", "--no-report", "--backend", "cpu")
    assert res.returncode == 2
    line = one_line(res.stderr)
    assert "Read-only file system" in line or "read-only" in line, line

    subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=True)
    res = victwin("run", TINY, "--out", run, "--quiet", "--no-report", "--backend", "cpu")
    assert res.returncode == 0, res.stderr[-2000:]
    assert_identical(run, ref)


def test_checksums_cover_dtype_shape_and_bytes():
    """The checksum changes with any of an array's dtype, shape or one byte."""
    from victwin.trial._store import array_checksums

    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    base = array_checksums({"a": a})["a"]
    b = a.copy()
    b.reshape(-1).view(np.uint8)[5] ^= 1
    assert array_checksums({"a": b})["a"] != base
    assert array_checksums({"a": a.reshape(4, 3)})["a"] != base
    assert array_checksums({"a": a.view(np.int32)})["a"] != base
    assert array_checksums({"a": a.copy()})["a"] == base
