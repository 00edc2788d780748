"""The acquisition run-directory layout that ``victwin dicom export`` reads (interim format).

Until the trial engine's run directory exists, a run directory is::

    RUNDIR/
      study.json    subject, view/laterality, exposures, BTO grid, DBT views, lesions
      arrays.npz    any of dm_raw, dm_processed, projections, volume, lesion_labels,
                    chest_raw, chest_processed, synthesized_2d, dm_breast_mask,
                    projection_breast_mask (NumPy arrays, [z, y, x] / [rows, columns])

``study.json`` keys: ``format`` ("victwin-dicom-run/1"), ``subject`` (SyntheticSubject
fields), ``view``, ``laterality``, ``dm_exposure`` / ``dbt_exposure`` / ``chest_exposure``
(Exposure fields, units in the names), ``grid`` (``shape``, ``spacing``, ``origin``),
``dbt_views`` (list of ``{"source": [x, y, z], "panel": {"shape", "pitch", "center", "u",
"v"}}``), ``lesions`` (list of ``{"center_mm", "kind", "diameter_mm", "label"}``),
``reconstruction_algorithm``.
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

__all__ = ["save_run", "load_run", "RUN_FORMAT"]

RUN_FORMAT = "victwin-dicom-run/1"
_ARRAYS = ("dm_raw", "dm_processed", "projections", "volume", "lesion_labels", "chest_raw",
           "chest_processed", "synthesized_2d", "dm_breast_mask", "projection_breast_mask")
_EXPOSURES = ("dm_exposure", "dbt_exposure", "chest_exposure")


def save_run(run_dir, **study) -> Path:
    """Write the keyword arguments of :func:`export_study` as a run directory."""
    root = Path(run_dir)
    root.mkdir(parents=True, exist_ok=True)
    meta = {"format": RUN_FORMAT}
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


def load_run(run_dir) -> dict:
    """Read a run directory into the keyword arguments of :func:`export_study`."""
    from victwin.geometry import FlatPanel, Grid, View

    root = Path(run_dir)
    meta_path = root / "study.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{str(root)!r} is not a victwin run directory "
                                f"(no study.json)")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"study.json is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{str(meta_path)!r} is not a victwin run (a JSON object is expected)")
    # the version is the format's suffix: "victwin-dicom-run/1"
    fmt = meta.get("format")
    name, _, version = fmt.partition("/") if isinstance(fmt, str) else (fmt, "", "")
    found = {"format": name}
    if version:
        found["version"] = int(version) if version.isdigit() else version
    check_format(repr(str(meta_path)), found, name=RUN_FORMAT.split("/")[0],
                 version=int(RUN_FORMAT.split("/")[1]), key="version")
    if "subject" not in meta:
        raise ValueError(f"{str(meta_path)!r}: missing key subject")
    out = {"subject": SyntheticSubject(**meta["subject"])}
    for key in _EXPOSURES:
        if key in meta:
            out[key] = Exposure(**meta[key])
    if "grid" in meta:
        out["grid"] = Grid(**meta["grid"])
    if "dbt_views" in meta:
        out["dbt_views"] = [View(source=v["source"], panel=FlatPanel(**v["panel"]))
                            for v in meta["dbt_views"]]
    if "lesions" in meta:
        out["lesions"] = [Lesion(**les) for les in meta["lesions"]]
    for key in ("view", "laterality", "reconstruction_algorithm"):
        if key in meta:
            out[key] = meta[key]
    npz = root / "arrays.npz"
    if npz.is_file():
        with np.load(npz, allow_pickle=False) as data:
            for key in data.files:
                if key not in _ARRAYS:
                    raise ValueError(f"arrays.npz holds unknown array {key!r}")
                out[key] = data[key]
    return out
