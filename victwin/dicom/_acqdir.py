"""Read a ``victwin acquire`` output directory (and a ``victwin recon`` volume) for export.

:func:`load_acquisition_dir` is the one place that knows today's ``victwin acquire --out DIR``
layout (``acquisition.json`` + ``raw.npy`` / ``processed.npy`` / ``flat_adu.npy``); it returns
an object with the attributes :func:`victwin.dicom.from_acquisition` reads (``scan``, ``raw``,
``processed``, ``views``, ``exposure``, ``dose``, ``detector``, ``flat_adu``). When the
acquisition package gains ``Acquisition.load``, this function becomes a call to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np

__all__ = ["load_acquisition_dir", "load_volume_file"]


def load_acquisition_dir(directory) -> SimpleNamespace:
    """The acquisition a ``victwin acquire --out DIR`` directory holds.

    The views are rebuilt from the named system at the recorded binning (the record keeps the
    system, not the views); the exposure and dose records are read as written.

    Raises
    ------
    FileNotFoundError, ValueError
        One line naming the directory and what is missing or malformed.
    """
    from victwin.systems import load as load_system

    d = Path(directory)
    meta = d / "acquisition.json"
    if not meta.is_file():
        raise FileNotFoundError(f"{str(d)!r} is not a 'victwin acquire' directory "
                                f"(no acquisition.json)")
    try:
        record = json.loads(meta.read_text())
        scan, system_name = record["scan"], record["system"]
        e, dose, detector = record["exposure"], record["dose"], record.get("detector", {})
        binning = int(e.get("binning", 1))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{str(meta)!r} is not valid JSON ({exc.msg} at line {exc.lineno})") \
            from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{str(meta)!r} lacks scan/system/exposure/dose ({exc})") from None
    arrays = {}
    for name in ("raw", "processed", "flat_adu"):
        path = d / f"{name}.npy"
        if path.is_file():
            arrays[name] = np.load(path, allow_pickle=False)
        elif name != "flat_adu":
            raise FileNotFoundError(f"{str(path)!r} is missing")
    views = load_system(system_name).views(binning)
    if tuple(views[0].panel.shape) != tuple(arrays["raw"].shape[1:]) \
            or len(views) != arrays["raw"].shape[0]:
        raise ValueError(f"{str(d)!r}: raw.npy {arrays['raw'].shape} does not match system "
                         f"{system_name!r} at binning {binning} ({len(views)} views of "
                         f"{views[0].panel.shape})")
    exposure = SimpleNamespace(**{**e, "filters": [tuple(f) for f in e.get("filters", [])]})
    return SimpleNamespace(scan=scan, system=system_name, raw=arrays["raw"],
                           processed=arrays["processed"], flat_adu=arrays.get("flat_adu"),
                           views=tuple(views), exposure=exposure,
                           dose=SimpleNamespace(**dose), detector=dict(detector))


def load_volume_file(path):
    """A ``victwin recon --out FILE`` volume and its Grid: ``FILE.npy`` with ``FILE.npy.json``,
    or a ``.zarr`` array with the grid in its attributes. Returns ``(volume, grid)``."""
    from victwin.geometry import Grid

    p = Path(path)
    if p.suffix.lower() == ".npy":
        side = p.with_name(p.name + ".json")
        if not p.is_file() or not side.is_file():
            raise FileNotFoundError(f"{str(p)!r} and its grid {side.name!r} must both exist "
                                    f"(written by victwin recon)")
        volume = np.load(p, allow_pickle=False)
        attrs = json.loads(side.read_text())
    elif p.suffix.lower() == ".zarr":
        import zarr
        arr = zarr.open_array(str(p), mode="r")
        volume, attrs = np.asarray(arr[...]), dict(arr.attrs)
    else:
        raise ValueError(f"volume must be a victwin recon .npy or .zarr, got {str(p)!r}")
    try:
        g = attrs["grid"]
        grid = Grid(shape=tuple(g["shape"]), spacing=tuple(g["spacing_mm"]),
                    origin=tuple(g["origin_mm"]))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{str(p)!r}: grid record lacks shape/spacing_mm/origin_mm ({exc})") \
            from None
    if tuple(volume.shape) != tuple(grid.shape):
        raise ValueError(f"{str(p)!r}: volume shape {volume.shape} differs from its grid "
                         f"{grid.shape}")
    return volume, grid
