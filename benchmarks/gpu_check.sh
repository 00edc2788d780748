#!/usr/bin/env bash
# The one command on a GPU node (no package registry needed):
#
#   bash benchmarks/gpu_check.sh            # from the repository root or anywhere
#
# Installs the wheels prepared in .whl/ (benchmarks/gpu_wheels.sh) if there are any, checks
# that what benchmarks/gpu_check.py imports is there, and runs it within ~8 minutes (the
# script stops starting new timings after --budget-s; `timeout` is the hard stop, 480 s or
# $GPU_CHECK_TIMEOUT_S). Writes
# benchmarks/results/gpu.json and benchmarks/results/gpu_check.log, and copies both to $OUT
# where that is set. Extra arguments go to gpu_check.py.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/victwin-site .whl/*.whl || { echo "gpu_check: wheel install failed"; exit 3; }
  export PYTHONPATH="$PYTHONPATH:/tmp/victwin-site"
fi
"$PY" - <<'PYEOF' || exit 3
import os
missing = []
names = ["numpy", "scipy", "numba", "skimage", "matplotlib", "tqdm"]
if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":  # the simulator runs without CuPy
    names.append("cupy")
for name in names:
    try:
        __import__(name)
    except Exception as exc:
        missing.append(f"{name} ({type(exc).__name__}: {exc})")
if missing:
    raise SystemExit("gpu_check: missing " + "; ".join(missing)
                     + ": put their wheels in .whl/ (bash benchmarks/gpu_wheels.sh NAME==VER)")
if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
    # numba's CUDA compiler loads its typing registries at the first compile; a numba-cuda
    # older than the NumPy beside it fails there (numba-cuda 0.30.4 under NumPy 2.5: no
    # np.row_stack), so one trivial kernel is compiled before the check starts
    import numpy
    from numba import cuda

    def _kernel(a):
        a[0] = 1.0

    try:
        cuda.compile_ptx(_kernel, "void(float32[::1])", cc=(7, 5))
    except Exception as exc:
        raise SystemExit(f"gpu_check: numba's CUDA compiler fails here ({type(exc).__name__}: "
                         f"{exc}); the numba-cuda installed may not support NumPy "
                         f"{numpy.__version__}: carry a NumPy it supports in .whl/ "
                         "(bash benchmarks/gpu_wheels.sh)")
PYEOF
mkdir -p benchmarks/results
timeout --signal=INT --kill-after=15 "${GPU_CHECK_TIMEOUT_S:-480}" "$PY" benchmarks/gpu_check.py --budget-s 390 "$@" \
  2>&1 | tee benchmarks/results/gpu_check.log
rc=${PIPESTATUS[0]}
if [ -n "${OUT:-}" ]; then
  cp benchmarks/results/gpu.json benchmarks/results/gpu_check.log "$OUT"/ 2>/dev/null || true
fi
exit "$rc"
