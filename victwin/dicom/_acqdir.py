"""Read a ``victwin acquire`` output directory (and a ``victwin recon`` volume) for export.

:func:`load_acquisition_dir` reads the directory through :func:`victwin.acquisition.load`
(the record holds the simulated views, technique and dose), so the DICOM export and
``victwin recon`` read one format with one reader.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from victwin._formats import check_format

__all__ = ["load_acquisition_dir", "load_volume_file"]


def load_acquisition_dir(directory):
    """The :class:`victwin.acquisition.Acquisition` a ``victwin acquire --out DIR`` holds.

    Raises
    ------
    FileNotFoundError, ValueError
        One line naming the directory and what is missing or malformed.
    """
    from victwin.acquisition import load

    d = Path(directory)
    if not (d / "acquisition.json").is_file():
        raise FileNotFoundError(f"{str(d)!r} is not a 'victwin acquire' directory "
                                f"(no acquisition.json)")
    return load(d)


def load_volume_file(path):
    """A ``victwin recon --out FILE`` volume and its Grid: ``FILE.npy`` with ``FILE.npy.json``,
    or a ``.zarr`` array with the grid in its attributes (format ``victwin-volume``, key
    ``version``; files written before either key existed are read as version 1, a file with
    the format but no version is refused). Returns ``(volume, grid)``; a file that cannot be
    read is a one-line error naming it."""
    from victwin.geometry import Grid

    p = Path(path)
    if p.suffix.lower() == ".npy":
        side = p.with_name(p.name + ".json")
        if not p.is_file() or not side.is_file():
            raise FileNotFoundError(f"{str(p)!r} and its grid {side.name!r} must both exist "
                                    f"(written by victwin recon)")
        try:
            volume = np.load(p, allow_pickle=False)
        except (ValueError, EOFError) as exc:
            raise ValueError(f"{str(p)!r} is not a readable .npy array ({exc})") from None
        try:
            attrs = json.loads(side.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{str(side)!r} is not valid JSON ({exc.msg} at line "
                             f"{exc.lineno})") from None
    elif p.suffix.lower() == ".zarr":
        import zarr
        arr = zarr.open_array(str(p), mode="r")
        volume, attrs = np.asarray(arr[...]), dict(arr.attrs)
    else:
        raise ValueError(f"volume must be a victwin recon .npy or .zarr, got {str(p)!r}")
    if not isinstance(attrs, dict):
        raise ValueError(f"{str(p)!r}: the volume's record must be a JSON object, got "
                         f"{type(attrs).__name__}")
    # files written before the format and version keys (2026-12-02) have neither: version 1
    check_format(repr(str(p)), attrs, name="victwin-volume", version=1, legacy=1,
                 key="version")
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
