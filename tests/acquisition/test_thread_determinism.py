"""An acquisition's bytes do not depend on the number of BLAS / OpenMP / numba threads.

Issue 14 (the VICTRE replica runs on machines whose core counts differ): the same spec must
give the same images everywhere. Two checks:

- the fixed-order product that replaced BLAS in ``primary_signal`` equals, byte for byte, a
  plain NumPy loop doing the same float32 multiply-then-add in the same order (a reference
  sharing no code with the numba kernel), and ``numpy.matmul`` to float32 rounding;
- a small full-field DM (with noise), a DBT scan with its FBP and a lesion-local region,
  each acquired in a fresh process with 1 and with 3 threads
  (``OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = NUMBA_NUM_THREADS = 3``): equal SHA-256.
  Before the fix (BLAS GEMM in ``primary_signal``) the full-field arrays differed
  (NOTES.md, thread-count determinism: 15 of 21 arrays of ``benchmarks/thread_determinism.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from victwin.physics import primary_signal
from victwin.physics._ordered_sum import mix

ROOT = Path(__file__).resolve().parents[2]
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "MKL_NUM_THREADS")


def _plain_mix(c, x):
    """``out[b, k] = sum_j c[k, j] x[b, j]``, j ascending, float32 multiply then add."""
    out = np.empty((x.shape[0], c.shape[0], x.shape[2]), np.float32)
    for k in range(c.shape[0]):
        acc = c[k, 0] * x[:, 0]
        for j in range(1, c.shape[1]):
            acc = acc + c[k, j] * x[:, j]
        out[:, k] = acc
    return out


def test_mix_equals_a_plain_ordered_loop_and_matmul_to_rounding():
    rng = np.random.default_rng(5)
    c = rng.random((6, 9)).astype(np.float32)
    x = (rng.random((2, 9, 3001)) * 5).astype(np.float32)  # 3001: a partial block
    ref = _plain_mix(c, x)
    out = mix(c, x, np.empty_like(ref))
    assert out.tobytes() == ref.tobytes()
    np.testing.assert_allclose(out, np.matmul(c, x), rtol=2e-6)
    # offsets: pixels 100..1099 of x into 50..1049 of out
    part = mix(c, x, np.zeros((2, 6, 1100), np.float32), x_start=100, out_start=50, count=1000)
    assert part[:, :, 50:1050].tobytes() == np.ascontiguousarray(ref[:, :, 100:1100]).tobytes()
    assert not part[:, :, :50].any() and not part[:, :, 1050:].any()


def test_mix_rejects_wrong_dtype_and_shapes():
    c = np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match="x must be float32, got float64"):
        mix(c, np.ones((1, 3, 4)), np.empty((1, 2, 4), np.float32))
    with pytest.raises(ValueError, match="do not fit"):
        mix(c, np.ones((1, 4, 4), np.float32), np.empty((1, 2, 4), np.float32))


def test_primary_signal_is_the_plain_ordered_sum():
    """Beer-Lambert per pixel, sums in label then energy order, against plain NumPy."""
    rng = np.random.default_rng(6)
    path = (rng.random((3, 7, 13)) * 20).astype(np.float32)  # [labels, nv, nu], mm
    e = np.array([15.0, 20.0, 25.0, 30.0])
    w = np.array([0.125, 0.5, 0.25, 0.125])  # sums to 1 exactly: no renormalisation rounding
    names = ["adipose", "glandular", "skin"]
    sig = primary_signal(path, names, (e, w), 1000.0)
    from victwin.physics import linear_attenuation

    mu = np.stack([linear_attenuation(m, e) for m in names], axis=1).astype(np.float32)
    a = _plain_mix(mu, path.reshape(1, 3, -1))
    t = np.exp(-a)
    wts = np.stack([w, w * e, w * e ** 2, w]).astype(np.float32)  # ideal detector (eta = 1)
    ref = _plain_mix(wts, t)[0].reshape(4, 7, 13) * np.float32(1000.0)
    for k, name in enumerate(("quanta", "energy_kev", "energy2_kev2", "incident_quanta")):
        assert getattr(sig, name).tobytes() == ref[k].tobytes(), name


_CHILD = r"""
import hashlib, json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from tests.acquisition._phantom import hetero_slab
from victwin.acquisition import Region, acquire, acquire_regions
from victwin.recon import reconstruct

def sha(a):
    a = np.ascontiguousarray(a)
    return hashlib.sha256(f"{a.dtype.str}{a.shape}".encode() + a.tobytes()).hexdigest()

ph = hetero_slab(thickness_mm=30.0, radius_mm=40.0)
out = {}
dm = acquire(ph, "mammomat-dm", seed=3, binning=4, progress=False)
out["dm/raw"], out["dm/line_integrals"] = sha(dm.raw), sha(dm.line_integrals())
dbt = acquire(ph, "mammomat-dbt", seed=3, binning=16, progress=False)
vol = reconstruct(dbt.line_integrals(), dbt.views, method="fbp", thickness_mm=30.0,
                  support_mm=20.0, backend="cpu", progress=False)
out["dbt/raw"], out["dbt/fbp"] = sha(dbt.raw), sha(vol)
reg, = acquire_regions(ph, "mammomat-dm", [Region.around((25.0, 5.0, 35.0), (8.0, 8.0, 6.0))],
                       seed=3, binning=2, progress=False)
out["region/line_integrals"] = sha(reg.line_integrals())
print(json.dumps(out))
"""


def _start(threads: int) -> subprocess.Popen:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path)
    env.update({v: str(threads) for v in THREAD_VARS})
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(ROOT)], env=env, cwd=str(ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _hashes(p: subprocess.Popen) -> dict:
    out, err = p.communicate(timeout=600)
    assert p.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1])


def test_acquisition_bytes_do_not_depend_on_the_thread_count():
    # both processes at once (~6 s each alone): the partition of the work follows the
    # thread count, not the cores there are, so sharing the cores changes nothing
    runs = [_start(1), _start(3)]
    one, three = (_hashes(p) for p in runs)
    assert one.keys() == three.keys()
    differ = sorted(k for k in one if one[k] != three[k])
    assert not differ, f"differ between 1 and 3 threads: {differ}"
