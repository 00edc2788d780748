"""``victwin recon DIR --method fbp --out FILE``: reconstruct a saved tomosynthesis scan.

``DIR`` is a scan directory written by :func:`victwin.recon.save_scan` (``projections.npy``
``[n_views, nv, nu]`` + ``views.json``, and ``flat.npy`` for raw intensities) or by
``victwin acquire --system <a DBT system> --out DIR`` (see :func:`victwin.recon.load_scan`).
The volume is written to ``FILE`` (``.npy``: float32 ``[z, y, x]``; ``.zarr``: a Zarr array
with the grid in its attributes), with the grid in ``FILE`` + ``.json`` for ``.npy`` and a PNG
preview of the central slices beside it (``--preview``, default ``FILE`` with ``.png``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

__all__ = ["register"]


def register(sub) -> None:
    p = sub.add_parser("recon", help="reconstruct a tomosynthesis scan directory",
                       description="Reconstruct a DBT scan directory (projections.npy + "
                                   "views.json, see victwin.recon.save_scan; or a "
                                   "'victwin acquire' output of a DBT system).")
    p.add_argument("directory", metavar="DIR", help="scan directory")
    p.add_argument("--method", default="fbp", choices=["fbp", "sbp", "sart", "sirt"])
    p.add_argument("--out", required=True, metavar="FILE",
                   help="output volume, .npy (float32 [z, y, x]) or .zarr")
    p.add_argument("--thickness-mm", type=float, default=None,
                   help="compressed thickness for the default grid (default: from views.json)")
    p.add_argument("--support-mm", type=float, default=None,
                   help="breast-support height above the detector (default: from views.json)")
    p.add_argument("--voxel-mm", type=float, default=None,
                   help="in-plane voxel (default: detector pitch demagnified to the support)")
    p.add_argument("--slice-mm", type=float, default=1.0, help="slice spacing (default 1)")
    p.add_argument("--backend", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--n-iter", type=int, default=None, help="iterations (sart, sirt)")
    p.add_argument("--window", default=None, choices=["hann", "butterworth", "none"],
                   help="FBP apodisation (default hann)")
    p.add_argument("--cutoff", type=float, default=None,
                   help="FBP apodisation cut-off, fraction of Nyquist (default 1)")
    p.add_argument("--preview", default=None, metavar="PNG",
                   help="preview image (default: FILE with .png)")
    p.add_argument("--json", default=None, metavar="PATH", help="write a JSON run record")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_run)


def _options(args) -> dict:
    opts = {}
    if args.n_iter is not None:
        if args.method not in ("sart", "sirt"):
            raise ValueError(f"--n-iter applies to sart and sirt, not {args.method!r}")
        opts["n_iter"] = args.n_iter
    for name in ("window", "cutoff"):
        value = getattr(args, name)
        if value is not None:
            if args.method != "fbp":
                raise ValueError(f"--{name} applies to fbp, not {args.method!r}")
            opts[name] = value
    return opts


def _run(args: argparse.Namespace) -> int:
    from victwin.recon import dbt_grid, load_scan, reconstruct
    from victwin.recon import save_preview

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".npy", ".zarr"):
        raise ValueError(f"--out must end in .npy or .zarr, got {str(out)!r}")
    if not out.parent.exists():
        raise FileNotFoundError(f"--out directory {str(out.parent)!r} does not exist")
    scan = load_scan(args.directory)
    thickness = args.thickness_mm if args.thickness_mm is not None else scan["thickness_mm"]
    if thickness is None:
        raise ValueError("the compressed thickness is unknown: views.json has no thickness_mm; "
                         "pass --thickness-mm")
    support = args.support_mm if args.support_mm is not None else scan["support_mm"]
    region = scan.get("region")
    if region is not None and args.method not in ("fbp", "sbp"):
        raise ValueError(f"{args.directory} holds a lesion-local (region) acquisition: "
                         f"--method {args.method} needs the whole field; use fbp or sbp, or "
                         f"acquire without a region")
    extent = {} if region is None else {"extent_x_mm": (region.lower_mm[0], region.upper_mm[0]),
                                        "extent_y_mm": (region.lower_mm[1], region.upper_mm[1])}
    grid = dbt_grid(scan["views"], thickness, support_mm=support, voxel_xy_mm=args.voxel_mm,
                    slice_mm=args.slice_mm, **extent)
    if region is not None:      # the slices whose centres lie in the region's box
        grid = _slices_within(grid, region.lower_mm[2], region.upper_mm[2])
    opts = _options(args)
    t0 = time.perf_counter()
    volume = reconstruct(scan["projections"], scan["views"], grid, args.method,
                         input=scan["input"], flat=scan["flat"], thickness_mm=thickness,
                         support_mm=support, backend=args.backend,
                         progress=not args.quiet, **opts)
    seconds = time.perf_counter() - t0
    if hasattr(volume, "get"):
        volume = volume.get()
    grid_record = {"shape": list(grid.shape), "spacing_mm": list(grid.spacing),
                   "origin_mm": list(grid.origin), "axes": "z, y, x",
                   "origin_note": "world (x, y, z) of the centre of voxel [0, 0, 0]"}
    _write_volume(out, volume, grid_record, args.method)
    preview = Path(args.preview) if args.preview else out.with_suffix(".png")
    save_preview(preview, volume, grid, title=f"victwin recon {args.method}: {args.directory}")
    record = {"method": args.method, "directory": str(args.directory), "out": str(out),
              "preview": str(preview), "grid": grid_record, "seconds": round(seconds, 3),
              "options": opts, "input": scan["input"], "n_views": len(scan["views"])}
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=1))
    print(f"reconstructed {len(scan['views'])} views -> {out} {tuple(grid.shape)} "
          f"[z, y, x] in {seconds:.1f} s; preview {preview}", file=sys.stdout)
    return 0


def _slices_within(grid, z_lo: float, z_hi: float):
    """The sub-grid of ``grid``'s slices whose centres lie in ``[z_lo, z_hi]`` (mm)."""
    import numpy as np

    from victwin.geometry import Grid

    z = grid.origin[2] + grid.spacing[0] * np.arange(grid.shape[0])
    keep = np.flatnonzero((z >= z_lo - 1e-9) & (z <= z_hi + 1e-9))
    if keep.size == 0:
        raise ValueError(f"no slice of --slice-mm {grid.spacing[0]:g} has its centre in the "
                         f"region's z {z_lo:g}..{z_hi:g} mm; use a smaller --slice-mm")
    return Grid(shape=(int(keep.size),) + tuple(grid.shape[1:]), spacing=grid.spacing,
                origin=(grid.origin[0], grid.origin[1], float(z[keep[0]])))


#: The volume file's format name and version (read by ``victwin.dicom.load_volume_file``).
VOLUME_FORMAT, VOLUME_VERSION = "victwin-volume", 1


def _write_volume(out: Path, volume, grid_record: dict, method: str) -> None:
    if out.suffix.lower() == ".npy":
        tmp = out.with_name(out.name + ".tmp.npy")
        import numpy as np

        np.save(tmp, volume.astype("float32"))
        os.replace(tmp, out)
        out.with_name(out.name + ".json").write_text(
            json.dumps({"format": VOLUME_FORMAT, "version": VOLUME_VERSION, "grid": grid_record,
                        "method": method, "units": "1/mm"}, indent=1))
        return
    import zarr

    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    arr = zarr.open_array(str(tmp), mode="w", shape=volume.shape, dtype="float32",
                          chunks=(1,) + tuple(volume.shape[1:]))
    arr[...] = volume
    arr.attrs.update({"format": VOLUME_FORMAT, "version": VOLUME_VERSION, "grid": grid_record,
                      "method": method, "units": "1/mm"})
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
