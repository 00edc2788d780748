"""The study folder ``victwin dicom export`` reads: :func:`export_study`'s arguments on disk.

A study folder is::

    DIR/
      study.json    subject, view/laterality, exposures, BTO grid, DBT views, lesions
      arrays.npz    any of dm_raw, dm_processed, projections, volume, lesion_labels,
                    chest_raw, chest_processed, synthesized_2d, dm_breast_mask,
                    projection_breast_mask (NumPy arrays, [z, y, x] / [rows, columns])

:func:`save_run` writes one from the keyword arguments of :func:`export_study`;
:func:`load_run` reads them back. ``study.json`` keys: ``format`` ("victwin-dicom-run"),
``version`` (1), ``subject`` (SyntheticSubject fields), ``view``, ``laterality``,
``dm_exposure`` / ``dbt_exposure`` / ``chest_exposure`` (Exposure fields, units in the
names), ``grid`` (``shape``, ``spacing``, ``origin``), ``dbt_views`` (list of
``{"source": [x, y, z], "panel": {"shape", "pitch", "center", "u", "v"}}``), ``lesions``
(list of ``{"center_mm", "kind", "diameter_mm", "label"}``), ``reconstruction_algorithm``.
Folders written before the version key existed say ``"format": "victwin-dicom-run/1"``
(the version after the slash); they are read as version 1.

Why a format of its own (docs/trial/records.md, "On-disk formats"): it is the one folder that
holds a whole study as DICOM needs it -- the synthetic subject, the lesion truth for SEG and
SR, the exposures in DICOM terms, a BTO volume with its grid, a synthesised 2D and chest
images -- made by any code (another simulator, a notebook) rather than re-simulated. The
acquisition folder holds one acquisition of one system (no subject, no lesion truth, no
volume), ``views.json`` bare projections, the trial folder a spec and seeds from which each
case is re-simulated.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from victwin._formats import check_format

from ._identity import SyntheticSubject
from ._params import Exposure
from ._truth import Lesion

__all__ = ["save_run", "load_run", "RUN_FORMAT", "RUN_VERSION"]

#: ``study.json``'s format name and the newest version this code writes and reads.
RUN_FORMAT = "victwin-dicom-run"
RUN_VERSION = 1
_ARRAYS = ("dm_raw", "dm_processed", "projections", "volume", "lesion_labels", "chest_raw",
           "chest_processed", "synthesized_2d", "dm_breast_mask", "projection_breast_mask")
_EXPOSURES = ("dm_exposure", "dbt_exposure", "chest_exposure")
_KEYS = ("format", "version", "subject", *_EXPOSURES, "grid", "dbt_views", "lesions", "view",
         "laterality", "reconstruction_algorithm")


def save_run(run_dir, **study) -> Path:
    """Write the keyword arguments of :func:`export_study` as a study folder.

    Parameters
    ----------
    run_dir : path
        The folder (created if missing); ``study.json`` and ``arrays.npz`` are written in it.
    **study
        :func:`victwin.dicom.export_study`'s keyword arguments (``None`` values are left out).

    Returns
    -------
    pathlib.Path
        The folder, for ``victwin dicom export DIR`` or :func:`load_run`.
    """
    root = Path(run_dir)
    root.mkdir(parents=True, exist_ok=True)
    meta = {"format": RUN_FORMAT, "version": RUN_VERSION}
    arrays = {}
    for key, value in study.items():
        if value is None:
            continue
        if key in _ARRAYS:
            arrays[key] = np.asarray(value)
        elif key == "subject":
            meta[key] = dataclasses.asdict(value)
        elif key in _EXPOSURES:
            meta[key] = dataclasses.asdict(value)
        elif key == "grid":
            meta[key] = {"shape": list(value.shape), "spacing": list(value.spacing),
                         "origin": list(value.origin)}
        elif key == "dbt_views":
            meta[key] = [{"source": list(v.source),
                          "panel": {"shape": list(v.panel.shape), "pitch": list(v.panel.pitch),
                                    "center": list(v.panel.center), "u": list(v.panel.u),
                                    "v": list(v.panel.v)}} for v in value]
        elif key == "lesions":
            meta[key] = [dataclasses.asdict(les) for les in value]
        elif key in ("view", "laterality", "reconstruction_algorithm"):
            meta[key] = value
        else:
            raise ValueError(f"save_run: unknown study key {key!r}")
    (root / "study.json").write_text(json.dumps(meta, indent=1))
    np.savez(root / "arrays.npz", **arrays)
    return root


def _build(where: str, key: str, cls, value):
    """``cls(**value)``, or one line naming the key and what is wrong."""
    if not isinstance(value, dict):
        raise ValueError(f"{where}: {key} must be a JSON object (mapping), got "
                         f"{type(value).__name__}")
    try:
        return cls(**value)
    except TypeError as exc:                     # a missing or unknown field
        text = str(exc).split(") ", 1)[-1] if ") " in str(exc) else str(exc)
        raise ValueError(f"{where}: {key}: {text}") from None
    except ValueError as exc:                    # the value's own check
        raise ValueError(f"{where}: {key}: {exc}") from None


def _list(where: str, key: str, value) -> list:
    if not isinstance(value, list):
        raise ValueError(f"{where}: {key} must be a JSON list, got {type(value).__name__}")
    return value


def load_run(run_dir) -> dict:
    """Read a study folder into the keyword arguments of :func:`export_study`.

    Raises
    ------
    FileNotFoundError
        No ``study.json`` in the folder.
    ValueError
        One line naming ``study.json`` (or ``arrays.npz``) and what is wrong: not JSON, a
        foreign format, a missing or too-new version, an unknown or missing key, a field a
        record does not take or whose value its check refuses.
    """
    import difflib

    from victwin.geometry import FlatPanel, Grid, View

    root = Path(run_dir)
    meta_path = root / "study.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{str(root)!r} is not a victwin study folder "
                                f"(no study.json)")
    where = repr(str(meta_path))
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{where} is not a victwin study folder's record (a JSON object is "
                         f"expected)")
    fmt = meta.get("format")
    if isinstance(fmt, str) and "/" in fmt and "version" not in meta:
        # written before the version key: the version is the name's suffix (".../1")
        name, _, version = fmt.partition("/")
        found = {"format": name, "version": int(version) if version.isdigit() else version}
    else:
        found = {k: meta[k] for k in ("format", "version") if k in meta}
    check_format(where, found, name=RUN_FORMAT, version=RUN_VERSION, key="version")
    for key in sorted(set(meta) - set(_KEYS)):
        near = difflib.get_close_matches(key, _KEYS, n=1, cutoff=0.7)
        raise ValueError(f"{where}: unknown key {key}" +
                         (f"; did you mean {near[0]}?" if near else ""))
    if "subject" not in meta:
        raise ValueError(f"{where}: missing key subject")
    out = {"subject": _build(where, "subject", SyntheticSubject, meta["subject"])}
    for key in _EXPOSURES:
        if key in meta:
            out[key] = _build(where, key, Exposure, meta[key])
    if "grid" in meta:
        out["grid"] = _build(where, "grid", Grid, meta["grid"])
    if "dbt_views" in meta:
        views = []
        for k, v in enumerate(_list(where, "dbt_views", meta["dbt_views"])):
            if not isinstance(v, dict) or set(v) != {"source", "panel"}:
                raise ValueError(f"{where}: dbt_views[{k}] must be an object with keys source "
                                 f"and panel, got {v!r:.80}")
            panel = _build(where, f"dbt_views[{k}].panel", FlatPanel, v["panel"])
            try:
                views.append(View(source=v["source"], panel=panel))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{where}: dbt_views[{k}]: {exc}") from None
        out["dbt_views"] = views
    if "lesions" in meta:
        out["lesions"] = [_build(where, f"lesions[{k}]", Lesion, les)
                          for k, les in enumerate(_list(where, "lesions", meta["lesions"]))]
    for key in ("view", "laterality", "reconstruction_algorithm"):
        if key in meta:
            out[key] = meta[key]
    npz = root / "arrays.npz"
    if npz.is_file():
        with np.load(npz, allow_pickle=False) as data:
            for key in data.files:
                if key not in _ARRAYS:
                    raise ValueError(f"{str(npz)!r} holds unknown array {key!r} (known: "
                                     f"{', '.join(_ARRAYS)})")
                out[key] = data[key]
    return out
