"""Every refusal of the command line is one line with a non-zero status, decided up front.

Requests beyond the machine (131 GB of phantom labels, a 240 TiB phantom, a small ``.npz``
that would inflate to gigabytes), damaged inputs (oversized, deeply nested or non-UTF-8 spec
files) and environment mistakes (a missing file, a scheduler address that is not one) are
refused before anything is allocated or created.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from victwin.cli import main

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "trial" / "tiny.toml"


def _spec(tmp_path, text: str, name="spec.toml") -> Path:
    """A copy of the tiny spec (its systems resolved next to it) with ``text`` as content."""
    import shutil

    data = tmp_path / "data"
    if not data.exists():
        shutil.copytree(TINY.parent / "data", data)
    path = tmp_path / name
    path.write_text(text)
    return path


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_run_beyond_memory_is_refused_before_the_directory_exists(tmp_path, capsys):
    spec = _spec(tmp_path, TINY.read_text().replace("voxel_mm = 1.0", "voxel_mm = 0.02"))
    out = tmp_path / "never"
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 2
    line = _one_line(capsys)
    assert "voxel_mm = 0.02" in line and "VICTWIN_MEMORY_LIMIT_GB" in line, line
    assert not out.exists()


def test_memory_limit_can_be_changed(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VICTWIN_MEMORY_LIMIT_GB", "0.001")  # 1 MiB: even the tiny spec
    out = tmp_path / "never"
    assert main(["run", str(TINY), "--out", str(out), "--quiet"]) == 2
    line = _one_line(capsys)
    assert "VICTWIN_MEMORY_LIMIT_GB=0.001" in line, line
    assert not out.exists()


def test_plan_of_a_million_cases_is_fast(tmp_path, capsys):
    spec = _spec(tmp_path, TINY.read_text().replace("size = 6", "size = 1000000")
                 .replace("voxel_mm = 1.0", "voxel_mm = 0.02"))
    t0 = time.perf_counter()
    assert main(["plan", str(spec)]) == 0
    elapsed = time.perf_counter() - t0
    text = capsys.readouterr().out
    assert "1000000 cases" in text and "memory: about" in text
    assert elapsed < 60, f"plan took {elapsed:.0f} s"  # was > 120 s before (issue 16)


def test_phantom_make_beyond_memory_is_one_line(tmp_path, capsys):
    out = tmp_path / "p.npz"
    assert main(["phantom", "make", "breast/dense", "--voxel-mm", "0.001",
                 "--out", str(out)]) == 2
    line = _one_line(capsys)
    assert "VICTWIN_MEMORY_LIMIT_GB" in line and "--voxel-mm" in line, line
    assert not out.exists()


def _bomb(path: Path, grid_shape, shape=(2048, 1024, 1024)) -> Path:
    """A phantom file whose labels header declares ``shape`` (2 GiB by default) and holds
    64 MiB of zeros (deflated to about 64 kB): enough to see whether the loader inflates it
    (the check is on tracemalloc's peak) without spending minutes compressing 2 GiB."""
    header = {"format": "victwin.phantom", "version": 1,
              "grid": {"shape": list(grid_shape), "spacing": [1.0, 1.0, 1.0],
                       "origin": [0.0, 0.0, 0.0]},
              "materials": {"0": "air"}, "lesions": [], "meta": {}}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.frombuffer(json.dumps(header).encode(), np.uint8))
        zf.writestr("header.npy", buf.getvalue())
        with zf.open("labels.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array_header_1_0(fh, {"descr": "|u1", "fortran_order": False,
                                                      "shape": shape})
            block = bytes(2**24)
            for _ in range(4):
                fh.write(block)
    assert path.stat().st_size < 5_000_000
    return path


def test_npz_bomb_is_refused_from_its_header(tmp_path, monkeypatch):
    """A small file that declares 2 GiB of labels: refused without decompressing it."""
    from victwin.phantom import load

    path = _bomb(tmp_path / "bomb.npz", (10, 10, 10))
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"bomb.npz.*labels.npy has shape \(2048, 1024, 1024\), "
                                         r"the header's grid \(10, 10, 10\)"):
        load(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50e6 and time.perf_counter() - t0 < 5
    # an honest header (grid = array) beyond the memory limit: refused from the header too
    path = _bomb(tmp_path / "big.npz", (2048, 1024, 1024))
    monkeypatch.setenv("VICTWIN_MEMORY_LIMIT_GB", "1")
    tracemalloc.start()
    with pytest.raises(MemoryError, match=r"2.0 GiB .*VICTWIN_MEMORY_LIMIT_GB"):
        load(path)
    assert tracemalloc.get_traced_memory()[1] < 50e6
    tracemalloc.stop()
    # a member that inflates to more than its header's array: refused before reading it
    path = _bomb(tmp_path / "long.npz", (10, 10, 10), shape=(10, 10, 10))
    with pytest.raises(ValueError, match=r"labels.npy inflates to \d+ bytes, more than its "
                                         r"1000-byte array"):
        load(path)


def test_spec_size_nesting_and_bom(tmp_path, capsys):
    big = _spec(tmp_path, TINY.read_text() + "# " + "x" * 1_100_000 + "\n", "big.toml")
    assert main(["plan", str(big)]) == 2
    assert "1000000-byte limit" in _one_line(capsys)
    deep = _spec(tmp_path, "x = " + "[" * 5000 + "]" * 5000 + "\n", "deep.toml")
    assert main(["plan", str(deep)]) == 2
    assert "deep.toml" in _one_line(capsys)
    latin = _spec(tmp_path, "", "latin.toml")
    latin.write_bytes(TINY.read_text().replace("tiny", "t\xefny").encode("latin-1"))
    assert main(["plan", str(latin)]) == 2
    assert "latin.toml" in _one_line(capsys)
    bom = _spec(tmp_path, "", "bom.toml")
    bom.write_bytes(b"\xef\xbb\xbf" + TINY.read_bytes())
    assert main(["plan", str(bom)]) == 0
    assert "trial tiny" in capsys.readouterr().out


def test_environment_mistakes_are_one_line(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["run", str(TINY), "--out", str(out), "--scheduler", "garbage"]) == 2
    assert "--scheduler must be a Dask scheduler address" in _one_line(capsys)
    assert not out.exists()
    assert main(["stats", "mrmc", str(tmp_path / "nothere.imrmc")]) == 2
    line = _one_line(capsys)
    assert "nothere.imrmc" in line and "[Errno" not in line, line
    assert main(["demo", "--workers", "0", "--out", str(out)]) == 2
    assert "--workers must be an integer >= 1" in _one_line(capsys)
    assert not out.exists()


def test_scheduler_garbage_prints_nothing_else(tmp_path):
    """In a fresh process (where a Dask client's ``__del__`` would print at exit)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-m", "victwin", "run", str(TINY), "--out",
                          str(tmp_path / "never"), "--scheduler", "garbage"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "victwin: error: --scheduler must be a Dask scheduler address such as "
        "tcp://HOST:8786, got 'garbage'"]
    assert not (tmp_path / "never").exists()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # OR MRMC of equal scores: 0/0
def test_dbm_of_equal_scores_is_reported_not_raised(tmp_path, capsys):
    """All scores equal: OR MRMC is reported, DBM's F test (0/0) says why it is undefined."""
    from victwin import stats

    cases = tuple(f"c{i}" for i in range(8))
    table = stats.ScoreTable(cases=cases, truth=np.array([0, 1] * 4),
                             modalities=("A", "B"), readers=("r1", "r2", "r3"),
                             scores=np.ones((2, 3, 8)))
    with pytest.raises(ValueError, match="dbm: the F test is undefined"):
        stats.dbm(table)
    path = tmp_path / "equal.imrmc"
    stats.write_imrmc(path, table)
    status = main(["stats", "mrmc", str(path)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    if status == 0:
        assert "DBM: not computed: dbm: the F test is undefined" in captured.out
    else:  # OR MRMC refuses the table itself: then in one line
        assert status == 2 and len(captured.err.strip().splitlines()) == 1


def test_more_sites_than_a_twin_holds_is_refused_before_any_case(tmp_path, capsys):
    """Issue 14: impossible site counts are one line naming the key, from `plan` and from
    `run` before the run directory is made (the check lays out case 0's sites on its
    prepared breast at 1 mm; the same counts at the trial's voxels fail the same way)."""
    text = TINY.read_text().replace(
        "lesions = {mass = 1.0}", "sites = {mass = 64, calcification = 64, absent = 64}")
    spec = _spec(tmp_path, text)
    assert main(["plan", str(spec)]) == 2
    line = _one_line(capsys)
    assert "case 0: sites." in line and "ask for fewer sites" in line, line
    out = tmp_path / "never"
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 2
    assert "ask for fewer sites" in _one_line(capsys)
    assert not out.exists()


def test_a_layout_error_is_not_retried(monkeypatch):
    """A case whose sites do not fit fails once (its layout is a function of its seeds); any
    other error keeps its retry budget."""
    from victwin.trial import SiteLayoutError, _executors, load_spec

    spec = load_spec(TINY)

    def layout(*a, **k):
        raise SiteLayoutError("case 3: sites.mass: could not place site 2 of 2")

    def crash(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(_executors, "run_case", layout)
    res = _executors._guarded(spec, 3, {}, "cpu")
    assert res.retry is False and "sites.mass" in res.error
    monkeypatch.setattr(_executors, "run_case", crash)
    assert _executors._guarded(spec, 3, {}, "cpu").retry is True
