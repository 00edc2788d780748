"""``victwin acquire``: simulate an imaging system's acquisition of a phantom file.

::

    victwin acquire PHANTOM.npz --system mammomat-dm --out DIR [--seed N] [--case N]
                    [--mas MAS] [--kvp KV] [--binning K] [--no-scatter] [--json PATH]

Writes into ``DIR``: ``raw.npy`` (uint16 ``[n_views, rows, columns]``, 14-bit "for
processing"), ``processed.npy`` (uint16, 12-bit "for presentation"), ``flat_adu.npy``
(float32, the expected unattenuated signal above offset per pixel, so ``-ln((raw - offset) /
flat_adu)`` is the log-normalised projection), ``preview.png`` (the
processed central view) and ``acquisition.json`` (system, technique, dose and the simulated
views, with units in the key names): :func:`victwin.acquisition.save`, read back whole by
:func:`victwin.acquisition.load` and ``victwin recon``. Files are written under temporary names
and renamed once all are complete.
"""

from __future__ import annotations

import os
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("acquire", help="simulate an imaging system's acquisition of a phantom",
                       description="Trace the phantom with a system's views, add scatter and "
                                   "detector noise, and write raw and processed images plus "
                                   "a JSON of exposure and dose.")
    p.add_argument("phantom", metavar="PHANTOM", help="phantom file (.npz, from victwin phantom "
                                                     "make)")
    p.add_argument("--system", required=True, metavar="NAME",
                   help="system name (mammomat-dm, mammomat-dbt, chest-pa, ...) or a .toml path")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    p.add_argument("--case", type=int, default=0, help="case index mixed into the noise streams")
    p.add_argument("--mas", type=float, default=None,
                   help="total mAs of the acquisition (default: the system's AEC)")
    p.add_argument("--kvp", type=float, default=None, help="tube voltage override (kV)")
    p.add_argument("--binning", type=int, default=None, help="detector binning (default the "
                                                              "system's)")
    p.add_argument("--backend", default="auto", choices=("auto", "cpu", "cuda"),
                   help="ray-tracing backend")
    p.add_argument("--no-scatter", action="store_true", help="leave scatter out")
    p.add_argument("--json", metavar="PATH", default=None,
                   help="also write the exposure/dose JSON here")
    p.set_defaults(func=_run)


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _load_phantom(path: str):
    from victwin.phantom import load

    return load(path)


def _run(args) -> int:
    from victwin.acquisition import acquire, save
    from victwin.systems import load

    system = load(args.system)  # fail fast on a bad name, before reading the phantom
    phantom = _load_phantom(args.phantom)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a directory")
    from victwin._memory import fmt_bytes
    from victwin.acquisition import estimate_acquisition

    est = estimate_acquisition(phantom, system, binning=args.binning)
    where = "" if args.backend == "cpu" else " (CPU figure; a GPU is far faster)"
    print(f"victwin acquire: {system.name}, {est['views']} view(s) of {est['detector'][0]}x"
          f"{est['detector'][1]} px, ~{est['ray_voxel_steps']:.1g} ray-voxel steps: about "
          f"{_fmt_s(est['seconds'])}{where} and {fmt_bytes(est['memory_bytes'])}", flush=True)
    acq = acquire(phantom, system, seed=args.seed, case=args.case, backend=args.backend,
                  mas=args.mas, kvp=args.kvp, binning=args.binning,
                  scatter=not args.no_scatter, progress=True)
    acquisition_json = save(acq, out, provenance={"phantom": os.path.abspath(args.phantom)})
    text = acquisition_json.read_text()
    if args.json:
        Path(args.json).write_text(text)
    d = acq.dose
    mgd = "n/a" if d.mgd_mgy is None else f"{d.mgd_mgy:.3f} mGy"
    print(f"{acq.system}: {len(acq.views)} view(s) {acq.raw.shape[1]}x{acq.raw.shape[2]}, "
          f"{acq.technique.kvp:g} kVp {acq.technique.mas_total:.1f} mAs, MGD {mgd}, "
          f"entrance air kerma {d.entrance_air_kerma_mgy:.3f} mGy -> {out}")
    return 0
