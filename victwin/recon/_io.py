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

from victwin._formats import check_format
from victwin.geometry import View

from ._ops import INPUTS
from ._scan import as_views

__all__ = ["save_scan", "load_scan", "view_to_dict", "view_from_dict"]

_FORMAT = "victwin-scan"
_VERSION = 1  # views.json layout; load_scan reads versions 1.._VERSION


def view_to_dict(view: View) -> dict:
    return view.to_dict()


def view_from_dict(d: dict, k: int = 0) -> View:
    return View.from_dict(d, name=f"views[{k}] in views.json")


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
    record = {"format": _FORMAT, "version": _VERSION, "input": input,
              "thickness_mm": None if thickness_mm is None else float(thickness_mm),
              "support_mm": float(support_mm), "views": [view_to_dict(v) for v in views]}
    tmp = d / "views.json.tmp"
    tmp.write_text(json.dumps(record, indent=1))
    os.replace(tmp, meta)
    return d


def load_scan(directory) -> dict:
    """Read a scan directory written by :func:`save_scan` or by ``victwin acquire``.

    A ``victwin acquire --out DIR`` directory (``acquisition.json`` with the simulated views,
    ``raw.npy`` and ``flat_adu.npy``; a DBT system) is read through
    :func:`victwin.acquisition.load`: its views come from the record, its projections are the
    acquisition's :meth:`~victwin.acquisition.Acquisition.line_integrals`.

    Returns
    -------
    dict
        ``projections`` (array), ``views`` (tuple of View), ``input`` (str), ``flat`` (array or
        None), ``thickness_mm`` (float or None), ``support_mm`` (float).
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
    if not isinstance(record, dict):
        raise ValueError(f"{str(meta)!r} is not a victwin scan (a JSON object is expected)")
    check_format(repr(str(meta)), record, name=_FORMAT, version=_VERSION, key="version")
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
            "support_mm": float(record.get("support_mm", 20.0))}


def _load_acquisition(d: Path) -> dict:
    """A ``victwin acquire`` directory, read whole by :func:`victwin.acquisition.load`."""
    from victwin.acquisition import load

    acq = load(d)
    if acq.scan != "dbt":
        raise ValueError(f"{str(d)!r} holds a {acq.scan!r} acquisition; recon needs 'dbt'")
    # a lesion-local acquisition: its crops laid out on one panel for FBP / SBP, and the box
    # (mm) whose voxels they determine
    projections, views = acq.reconstruction_input()
    return {"projections": projections, "views": views,
            "input": "line_integrals", "flat": None,
            "thickness_mm": acq.technique.compressed_thickness_mm,
            "support_mm": acq.technique.sid_mm - acq.technique.source_to_breast_mm,
            "region": None if acq.region is None else acq.region.region}
