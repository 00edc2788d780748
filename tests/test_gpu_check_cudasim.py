"""``benchmarks/gpu_check.py --tiny`` runs end to end under numba's CUDA simulator, with the
modules a GPU node lacks (xraylib, spekpy, pydicom, highdicom, pynetdicom, zarr, dask, astra)
blocked, so the one command prepared for a GPU node cannot rot.

Collected only in the simulator process (tests/conftest.py, .ci/run).
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [pytest.mark.cudasim, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]

_RUN = textwrap.dedent("""
    import importlib.abc, runpy, sys
    BLOCK = {"xraylib", "spekpy", "pydicom", "highdicom", "pynetdicom", "zarr", "dask",
             "distributed", "astra"}

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in BLOCK:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")

    sys.meta_path.insert(0, Blocker())
    sys.argv = [sys.argv[1]] + sys.argv[2:]
    runpy.run_path(sys.argv[0], run_name="__main__")
""")


def test_gpu_check_tiny_runs_under_the_simulator(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(_RUN)
    out = tmp_path / "gpu.json"
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", PYTHONPATH=str(ROOT))
    # no time budget here: the check's budget (--budget-s, 450 s by default) is for a real
    # device; under the simulator on a loaded 2-core machine it skipped the last timings
    # (2026-12-05 CI, beside other jobs: 3 of 5), so the test asserted the machine's load
    proc = subprocess.run([sys.executable, str(script), str(ROOT / "benchmarks" / "gpu_check.py"),
                           "--tiny", "--out", str(out), "--seed", "5", "--budget-s", "1e9"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    checks = {c["check"]: c for c in result["checks"]}
    assert set(checks) == {"project_labels", "project_labels tiled", "project_volume",
                           "backproject",
                           "backproject_interpolated", "fbp", "primary_signal",
                           "scatter_image", "noise draws (cuda vs cpu build)",
                           "noise statistics (GPU)", "case line integrals", "case fbp",
                           "local case line integrals", "local case voi fbp",
                           "thickness from labels", "label projection variants"}
    assert all(c["ok"] for c in checks.values()), checks
    assert len(result["timings"]) == 5 and not result["skipped"] and not result["errors"]
    assert result["note"].startswith("tiny/simulated run")
    # every launch variant of the label projection was timed and gave the plain kernel's numbers
    variants = result["label_variants"]
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from gpu_check import LABEL_VARIANTS
    finally:
        sys.path.pop(0)
    assert len(variants) == len(LABEL_VARIANTS)
    assert {v["form"] for v in variants} == {"plain", "prefetch", "zrun"}
    assert all(v["max_abs_diff_mm"] == 0.0 for v in variants)
    assert "coarse_scatter" in result["timings"][1]["stages_s"]["dbt"]
    assert result["timings"][1]["seconds_coarse_pass_on_cpu"] > 0
    assert result["timings"][1]["seconds_dbt_presented"] > 0
    twin = next(t for t in result["timings"] if t["timing"].startswith("one twin at"))
    assert twin["regions"] == 2 and twin["seconds_per_region"] > 0

    assert all(t["met"] == "n/a (not a GPU run)" for t in result["targets"])
    for stage in ("raytrace", "primary", "scatter", "detector", "readout"):
        assert result["stages_exam"][stage] == "cuda (NumPy stand-in)", stage
    assert result["stages_exam"]["presentation"].startswith("cuda (NumPy stand-in)")
    local = next(t for t in result["timings"] if t["timing"].startswith("VICTRE-fidelity"))
    assert local["devices"]["detector"] == "cuda (NumPy stand-in)"
    assert proc.stdout.rstrip().splitlines()[-1].startswith("device: simulator")
