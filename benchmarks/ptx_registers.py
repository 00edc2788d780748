"""Registers and spills of the CUDA label kernel's launch variants, without a GPU.

Compiles the label projection kernel (plain, prefetching and z-run forms) to PTX for sm_90 with numba's
CUDA compiler and runs ``ptxas -v`` on it with each register cap, printing what ptxas
reports (registers per thread, spill stores/loads). Needs NVVM (the test extra's
``nvidia-cuda-nvcc-cu12``), the real numba-cuda package (``pip install numba-cuda``; numba's
own ``numba.cuda`` may do) and a ``ptxas`` (CUDA toolkit, or the one in
``nvidia-cuda-nvcc-cu12``)::

    python benchmarks/ptx_registers.py --ptxas /usr/local/cuda/bin/ptxas --caps 0 64 56 48 40

A cap's occupancy on an H100/H200: 65536 registers per multiprocessor / (cap x threads per
block), whole blocks, at most 64 warps; spills inside the traversal loop cost more than the
occupancy gains (cap 32 measured 1.25e11 steps/s against 2.25e11 at 48, NOTES.md).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import types


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ptxas", default=shutil.which("ptxas") or "ptxas")
    ap.add_argument("--caps", type=int, nargs="+", default=[0, 64, 56, 48, 40, 32],
                    help="register caps (0: none)")
    args = ap.parse_args(argv)
    from numba import cuda
    from numba import types as nt
    import numba.cuda.dispatcher as dispatcher

    # compile for sm_90 without a device
    dispatcher.get_current_device = lambda: types.SimpleNamespace(compute_capability=(9, 0))
    from victwin.raytrace import _cuda

    i64, f2, f1 = nt.int64, nt.float64[:, ::1], nt.float64[::1]
    sig = (nt.uint8[::1], i64, i64, i64, f2, f2, f2, f2, f1, f1, i64,
           nt.float32[:, :, :, ::1])
    for prefetch in (False, True, "zrun"):
        fn = _cuda.labels_variant(None, prefetch).py_func
        ptx, _ = cuda.compile_ptx(fn, sig, device=False, cc=(9, 0))
        with tempfile.NamedTemporaryFile("w", suffix=".ptx", delete=False) as fh:
            fh.write(ptx)
        for cap in args.caps:
            extra = [f"-maxrregcount={cap}"] if cap else []
            out = subprocess.run([args.ptxas, "-arch=sm_90", "-v", *extra, fh.name, "-o",
                                  "/dev/null"], capture_output=True, text=True)
            if out.returncode:
                print(out.stderr.strip(), file=sys.stderr)
                return 1
            info = [ln.split("info    :")[-1].strip() for ln in out.stderr.splitlines()
                    if "spill" in ln or "Used" in ln]
            print(f"form={_cuda._FORMS[prefetch]:8} cap={cap or 'none':>4}: " + " | ".join(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
