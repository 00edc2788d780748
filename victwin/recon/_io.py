"""The on-disk layout of a scan that ``victwin recon DIR`` reads.

A scan directory holds:

* ``projections.npy``: float32 (or any real dtype) ``[n_views, nv, nu]``;
* ``views.json``: ``{"format": "victwin-scan", "version": 1, "input": <kind>, "views": [...],
  "thickness_mm": ..., "support_mm": ...}`` where each view is ``{"source": [x, y, z],
  "panel": {"shape": [nv, nu], "pitch": [pv, pu], "center": [x, y, z], "u": [...],
  "v": [...]}}`` (mm) and ``input`` is "line_integrals", "transmission" or "intensity";
* ``flat.npy`` (only with ``input = "intensity"``): the flat field, ``[nv, nu]`` or
  ``[n_views, nv, nu]``.

``views.json`` is written last, so a directory without it is incomplete.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from victwin.geometry import FlatPanel, View

from ._ops import INPUTS
from ._scan import as_views

__all__ = ["save_scan", "load_scan", "view_to_dict", "view_from_dict"]

_FORMAT = "victwin-scan"


def view_to_dict(view: View) -> dict:
    p = view.panel
    return {"source": list(view.source),
            "panel": {"shape": list(p.shape), "pitch": list(p.pitch), "center": list(p.center),
                      "u": list(p.u), "v": list(p.v)}}


def view_from_dict(d: dict, k: int = 0) -> View:
    try:
        p = d["panel"]
        panel = FlatPanel(shape=tuple(p["shape"]), pitch=tuple(p["pitch"]),
                          center=tuple(p["center"]), u=tuple(p["u"]), v=tuple(p["v"]))
        return View(source=tuple(d["source"]), panel=panel)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"views[{k}] in views.json is malformed (missing or bad {exc})") from None


def save_scan(directory, projections, views, *, input: str = "line_integrals", flat=None,
              thickness_mm: float | None = None, support_mm: float = 20.0) -> Path:
    """Write a scan directory that :func:`load_scan` and ``victwin recon`` read.

    Parameters
    ----------
    directory : path
        Created if missing; existing scan files in it are replaced.
    projections : array ``[n_views, nv, nu]``
    views : sequence of View
    input : {"line_integrals", "transmission", "intensity"}
    flat : array, optional
        Flat field, required for (and only for) ``input="intensity"``.
    thickness_mm, support_mm : float, mm
        Compressed thickness and support height, for the default grid.

    Returns
    -------
    Path of the directory.
    """
    views = as_views(views)
    if input not in INPUTS:
        raise ValueError(f"input must be one of {', '.join(map(repr, INPUTS))}, got {input!r}")
    if (input == "intensity") != (flat is not None):
        raise ValueError("flat is required for input='intensity' and not allowed otherwise")
    proj = np.asarray(projections.get() if hasattr(projections, "get") else projections)
    nv, nu = views[0].panel.shape
    if proj.shape != (len(views), nv, nu):
        raise ValueError(f"projections shape {proj.shape} does not match the views "
                         f"({len(views)}, {nv}, {nu})")
    if thickness_mm is not None and not (math.isfinite(thickness_mm) and thickness_mm > 0):
        raise ValueError(f"thickness_mm must be a finite number > 0, got {thickness_mm!r}")
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    meta = d / "views.json"
    meta.unlink(missing_ok=True)  # incomplete until the metadata is back
    np.save(d / "projections.npy", proj)
    if flat is not None:
        np.save(d / "flat.npy", np.asarray(flat, dtype=np.float32))
    else:
        (d / "flat.npy").unlink(missing_ok=True)
    record = {"format": _FORMAT, "version": 1, "input": input,
              "thickness_mm": None if thickness_mm is None else float(thickness_mm),
              "support_mm": float(support_mm), "views": [view_to_dict(v) for v in views]}
    tmp = d / "views.json.tmp"
    tmp.write_text(json.dumps(record, indent=1))
    os.replace(tmp, meta)
    return d


def load_scan(directory) -> dict:
    """Read a scan directory written by :func:`save_scan` or by ``victwin acquire``.

    A ``victwin acquire --out DIR`` directory (``acquisition.json`` + ``raw.npy`` /
    ``processed.npy``, a DBT system) is read too: the views are rebuilt from the named system
    at the binning that gives the stored image shape, the thickness and support come from the
    record and the system. With ``flat_adu.npy`` (expected unattenuated signal above offset)
    the raw images are log-normalised exactly (``input="intensity"``, signal ``raw - offset``
    floored at 0.5 ADU as the acquisition's own display does); without it, the line integrals
    are read back from the 12-bit processed images and their windows (``lossy`` is then
    True: quantised, and clipped to each view's display window).

    Returns
    -------
    dict
        ``projections`` (array), ``views`` (tuple of View), ``input`` (str), ``flat`` (array or
        None), ``thickness_mm`` (float or None), ``support_mm`` (float), ``lossy`` (bool).
    """
    d = Path(directory)
    if not d.is_dir():
        raise NotADirectoryError(f"scan directory {str(d)!r} does not exist or is not a directory")
    meta = d / "views.json"
    if not meta.is_file() and (d / "acquisition.json").is_file():
        return _load_acquisition(d)
    if not meta.is_file():
        raise FileNotFoundError(f"{str(meta)!r} is missing: not a complete scan directory "
                                f"(expected projections.npy and views.json)")
    try:
        record = json.loads(meta.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{str(meta)!r} is not valid JSON ({exc.msg} at line {exc.lineno})") \
            from None
    if not isinstance(record, dict) or record.get("format") != _FORMAT:
        raise ValueError(f"{str(meta)!r} is not a victwin scan (format must be {_FORMAT!r})")
    views = record.get("views")
    if not isinstance(views, list) or not views:
        raise ValueError(f"{str(meta)!r}: views must be a non-empty list")
    views = tuple(view_from_dict(v, k) for k, v in enumerate(views))
    input_kind = record.get("input", "line_integrals")
    if input_kind not in INPUTS:
        raise ValueError(f"{str(meta)!r}: input must be one of {', '.join(map(repr, INPUTS))}, "
                         f"got {input_kind!r}")
    proj_path = d / "projections.npy"
    if not proj_path.is_file():
        raise FileNotFoundError(f"{str(proj_path)!r} is missing")
    try:
        proj = np.load(proj_path, allow_pickle=False)
    except ValueError as exc:
        raise ValueError(f"{str(proj_path)!r} is not a readable .npy array ({exc})") from None
    flat = None
    if input_kind == "intensity":
        flat_path = d / "flat.npy"
        if not flat_path.is_file():
            raise FileNotFoundError(f"{str(flat_path)!r} is missing (input is 'intensity')")
        flat = np.load(flat_path, allow_pickle=False)
    return {"projections": proj, "views": views, "input": input_kind, "flat": flat,
            "thickness_mm": record.get("thickness_mm"),
            "support_mm": float(record.get("support_mm", 20.0)), "lossy": False}


def _load_acquisition(d: Path) -> dict:
    """The ``victwin acquire`` layout (see :func:`load_scan`)."""
    meta = d / "acquisition.json"
    try:
        record = json.loads(meta.read_text())
        system_name = record["system"]
        shape = tuple(int(n) for n in record["image_shape"])
        n_views = int(record["n_views"])
        scan_kind = record.get("scan")
    except json.JSONDecodeError as exc:
        raise ValueError(f"{str(meta)!r} is not valid JSON ({exc.msg} at line {exc.lineno})") \
            from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{str(meta)!r} lacks system/image_shape/n_views ({exc})") from None
    if scan_kind != "dbt":
        raise ValueError(f"{str(d)!r} holds a {scan_kind!r} acquisition; recon needs 'dbt'")
    from victwin.systems import load as load_system

    system = load_system(system_name)
    views = None
    for k in range(1, 33):
        candidate = system.views(k)
        if candidate[0].panel.shape == shape and len(candidate) == n_views:
            views = candidate
            break
        if candidate[0].panel.shape[0] < shape[0]:
            break
    if views is None:
        raise ValueError(f"no binning of system {system_name!r} gives the stored image shape "
                         f"{shape} with {n_views} views")
    exposure = record.get("exposure", {})
    thickness = exposure.get("compressed_thickness_mm")
    support = float(system.geometry.breast_support_mm)
    flat_path, raw_path = d / "flat_adu.npy", d / "raw.npy"
    if flat_path.is_file() and raw_path.is_file():
        offset = float(record.get("detector", {}).get("offset_adu", 0.0))
        raw = np.load(raw_path, allow_pickle=False).astype(np.float32)
        signal = np.maximum(raw - np.float32(offset), np.float32(0.5))
        flat = np.load(flat_path, allow_pickle=False).astype(np.float32)
        return {"projections": signal, "views": views, "input": "intensity", "flat": flat,
                "thickness_mm": thickness, "support_mm": support, "lossy": False}
    proc_path = d / "processed.npy"
    if not proc_path.is_file():
        raise FileNotFoundError(f"{str(d)!r} has neither raw.npy + flat_adu.npy nor "
                                f"processed.npy")
    processed = np.load(proc_path, allow_pickle=False).astype(np.float32)
    windows = np.asarray(record.get("windows", []), dtype=np.float64)
    if windows.shape != (n_views, 2):
        raise ValueError(f"{str(meta)!r}: windows must hold (low, high) per view, got shape "
                         f"{windows.shape}")
    top = np.float32(4095.0)  # 12-bit "for presentation" images
    lo = windows[:, 0].astype(np.float32)[:, None, None]
    hi = windows[:, 1].astype(np.float32)[:, None, None]
    p = lo + processed / top * (hi - lo)
    return {"projections": p.astype(np.float32), "views": views, "input": "line_integrals",
            "flat": None, "thickness_mm": thickness, "support_mm": support, "lossy": True}
