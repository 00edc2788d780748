"""The cached spectra and xraylib answers (package data) equal spekpy and xraylib, and a whole
case runs with neither of them (nor pydicom, highdicom, pynetdicom, zarr, dask) importable."""

import gzip
import json
import os
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from victwin.physics import _spectra, _xraylib

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "trial" / "tiny.toml"
HEAVY = ("xraylib", "spekpy", "pydicom", "highdicom", "pynetdicom", "zarr", "dask",
         "distributed")


def test_cached_spectra_equal_spekpy():
    cached = _spectra.cached_spectra()
    assert len(cached) >= 3  # W 28/30 kV (mammography), W 120 kV (chest)
    for key, (energy, photons) in cached.items():
        anode, kvp, angle, dk = key.split("|")
        e, p = _spectra.spekpy_unfiltered(anode, float(kvp), float(angle), float(dk))
        np.testing.assert_array_equal(energy, e, err_msg=key)
        np.testing.assert_allclose(photons, p, rtol=1e-12, atol=0, err_msg=key)


def _parse(key):
    out = []
    for part in key.split("|") if key else []:
        tag, text = part[0], part[1:]
        out.append(int(text) if tag == "i" else float(text) if tag == "f" else text)
    return out


def test_cached_xraylib_calls_equal_xraylib():
    import xraylib

    path = resources.files("victwin").joinpath(_xraylib.CACHE_RESOURCE[1])
    with path.open("rb") as raw, gzip.open(raw, "rt") as fh:
        table = json.load(fh)
    for name, value in table["constants"].items():
        assert getattr(xraylib, name) == value, name
    n = 0
    for name, calls in table["calls"].items():
        fn = getattr(xraylib, name)
        for key, want in calls.items():
            args = _parse(key)
            if isinstance(want, dict) and "__error__" in want:
                with pytest.raises(ValueError):
                    fn(*args)
                continue
            got = fn(*args)
            if isinstance(want, float):
                assert got == pytest.approx(want, rel=1e-12, abs=0), (name, args)
            else:  # tuples are stored as JSON lists
                assert json.loads(json.dumps(got)) == want, (name, args)
            n += 1
    assert n > 1000


_BLOCKED_CASE = textwrap.dedent("""
    import importlib.abc, sys
    BLOCK = set(sys.argv[1].split(","))

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in BLOCK:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")

    sys.meta_path.insert(0, Blocker())
    import numpy as np
    import victwin, victwin.raytrace, victwin.recon, victwin.physics
    from victwin.physics import _xraylib
    assert not _xraylib.available()
    from victwin.trial import load_spec, run_case, sample_cohort

    spec = load_spec(sys.argv[2])
    cid, attrs = sample_cohort(spec)[int(sys.argv[3])]
    out = run_case(spec, cid, attrs, backend="cpu")
    np.savez(sys.argv[4], **{k.replace("/", "~"): v for k, v in out.arrays.items()})
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCK)
    assert not loaded, loaded
    print("ok", len(out.arrays))
""")


@pytest.mark.slow
def test_a_case_runs_without_the_heavy_dependencies(tmp_path):
    """A DM + DBT (FBP) case with xraylib, spekpy, pydicom, highdicom, pynetdicom, zarr and
    dask blocked gives the same bytes as with them."""
    from victwin.trial import load_spec, run_case, sample_cohort

    script = tmp_path / "blocked.py"
    script.write_text(_BLOCKED_CASE)
    out = tmp_path / "case.npz"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    proc = subprocess.run([sys.executable, str(script), ",".join(HEAVY), str(TINY), "1",
                           str(out)], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    spec = load_spec(TINY)
    cid, attrs = sample_cohort(spec)[1]
    ref = run_case(spec, cid, attrs, backend="cpu").arrays
    with np.load(out) as got:
        assert sorted(k.replace("~", "/") for k in got.files) == sorted(ref)
        for k, v in ref.items():
            np.testing.assert_array_equal(got[k.replace("/", "~")], v, err_msg=k)


_CACHE_ONLY = textwrap.dedent("""
    import importlib.abc, sys
    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in ("xraylib", "spekpy"):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
    sys.meta_path.insert(0, Blocker())
    import numpy as np
    from victwin.physics import _xraylib, linear_attenuation, spectrum
    assert not _xraylib.available()
    s = spectrum("W", 28.0, [("Be", 1.0), ("Rh", 0.05)], anode_angle_deg=16.0)
    np.save(sys.argv[1], linear_attenuation("glandular", s.energy_kev))
    for call in (lambda: linear_attenuation("water", 17.123),
                 lambda: spectrum("W", 27.3, [("Be", 1.0)])):
        try:
            call()
        except ImportError as exc:
            print(type(exc).__name__, "|", exc)
        else:
            print("no error")
""")


def test_without_xraylib_and_spekpy_known_calls_agree_and_others_fail_in_one_line(tmp_path):
    from victwin.physics import linear_attenuation, spectrum

    script = tmp_path / "cache_only.py"
    script.write_text(_CACHE_ONLY)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "mu.npy")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    s = spectrum("W", 28.0, [("Be", 1.0), ("Rh", 0.05)], anode_angle_deg=16.0)
    np.testing.assert_array_equal(np.load(tmp_path / "mu.npy"),
                                  linear_attenuation("glandular", s.energy_kev))
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("XraylibMissing | xraylib is not installed") and "17.123" in lines[0]
    assert lines[1].startswith("ImportError | spectrum W 27.3 kV") and "spekpy" in lines[1]
