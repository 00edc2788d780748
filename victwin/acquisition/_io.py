"""An acquisition on disk: ``save`` writes a directory, ``load`` reads it back whole.

A directory holds ``raw.npy`` (uint16 ``[n_views, nv, nu]``), ``processed.npy`` (uint16),
``flat_adu.npy`` (float32), optionally ``preview.png``, and ``acquisition.json``: the format
and version, system, scan, seeds, the technique and dose (units in the key names), the
detector record, the display windows and the simulated views themselves (source and panel of
each, mm), so a reader needs no system file and guesses nothing; a lesion-local run adds its
``region`` (box, full panel, each view's offset into it). Every file is written under
a temporary name and renamed once all are complete; ``acquisition.json`` comes last, so a
directory without it is incomplete.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from victwin._formats import check_format
from victwin.geometry import View

from ._records import Acquisition, Dose, Technique
from ._region import RegionRecord

__all__ = ["save", "load", "FORMAT", "VERSION"]

FORMAT = "victwin-acquisition"
VERSION = 1
_ARRAYS = ("raw", "processed", "flat_adu")


def _preview_png(image, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h, w = image.shape
    fig = plt.figure(figsize=(6, 6 * h / w), dpi=100)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.imshow(image, cmap="gray", vmin=0, vmax=4095, interpolation="nearest")
    ax.set_axis_off()
    fig.savefig(path, format="png")
    plt.close(fig)


def save(acquisition: Acquisition, directory, *, preview: bool = True,
         provenance: dict | None = None) -> Path:
    """Write ``acquisition`` to ``directory`` (created if missing; its files are replaced).

    ``provenance`` (JSON-ready, e.g. the phantom's path) is stored under that key.

    Returns
    -------
    Path of ``acquisition.json``.
    """
    if not isinstance(acquisition, Acquisition):
        raise TypeError(f"acquisition must be an Acquisition, got {type(acquisition).__name__}")
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{str(out)!r} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    (out / "acquisition.json").unlink(missing_ok=True)  # incomplete until it is back
    record = {"format": FORMAT, "version": VERSION, **acquisition.to_dict(),
              "files": {name: f"{name}.npy" for name in _ARRAYS},
              "provenance": dict(provenance or {})}
    parts = {f"{name}.npy": getattr(acquisition, name) for name in _ARRAYS}
    if acquisition.strip_fill is not None:  # lesion-local DBT
        record["files"]["strip_fill"] = "strip_fill.npy"
        parts["strip_fill.npy"] = acquisition.strip_fill
    tmp = {}
    try:
        for name, array in parts.items():
            t = out / f".{name}.part"
            tmp[name] = t
            with open(t, "wb") as fh:
                np.save(fh, np.asarray(array))
        if preview:
            t = out / ".preview.png.part"
            tmp["preview.png"] = t
            _preview_png(acquisition.processed[len(acquisition.views) // 2], t)
            record["files"]["preview"] = "preview.png"
        t = out / ".acquisition.json.part"
        tmp["acquisition.json"] = t
        t.write_text(json.dumps(record, indent=2, sort_keys=True))
    except BaseException:
        for t in tmp.values():
            t.unlink(missing_ok=True)
        raise
    for name, t in tmp.items():  # the JSON last: it marks the directory complete
        os.replace(t, out / name)
    return out / "acquisition.json"


def _array(d: Path, name: str, shape: tuple, dtype) -> np.ndarray:
    path = d / f"{name}.npy"
    if not path.is_file():
        raise FileNotFoundError(f"{str(path)!r} is missing")
    try:
        array = np.load(path, allow_pickle=False, mmap_mode=None)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{str(path)!r} is not a readable .npy array ({exc})") from None
    if array.shape != shape or array.dtype != np.dtype(dtype):
        raise ValueError(f"{str(path)!r} holds {array.dtype}{list(array.shape)}, expected "
                         f"{np.dtype(dtype)}{list(shape)}")
    return array


def load(directory) -> Acquisition:
    """Read an acquisition directory written by :func:`save` (``victwin acquire --out``).

    Raises a one-line error naming the file and what is wrong for an incomplete, older or
    damaged directory.
    """
    d = Path(directory)
    if not d.is_dir():
        raise NotADirectoryError(f"acquisition directory {str(d)!r} does not exist or is not a "
                                 f"directory")
    meta = d / "acquisition.json"
    if not meta.is_file():
        raise FileNotFoundError(f"{str(meta)!r} is missing: not a complete acquisition directory")
    try:
        record = json.loads(meta.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{str(meta)!r} is not valid JSON ({exc})") from None
    if not isinstance(record, dict):
        raise ValueError(f"{str(meta)!r} is not an acquisition record")
    check_format(repr(str(meta)), record, name=FORMAT, version=VERSION, key="version")
    try:
        views = tuple(View.from_dict(v, name=f"views[{k}] in {meta}")
                      for k, v in enumerate(record["views"]))
        technique = Technique(**{k: tuple(tuple(x) if isinstance(x, list) else x for x in v)
                                 if isinstance(v, list) else v
                                 for k, v in record["technique"].items()})
        dose_fields = record["dose"]
        dose = Dose(**{k: tuple(v) if isinstance(v, list) else v for k, v in dose_fields.items()})
        shape = (len(views),) + tuple(views[0].panel.shape)
        windows = tuple(tuple(float(x) for x in w) for w in record["windows"])
        fields = dict(system=str(record["system"]), modality=str(record["modality"]),
                      scan=str(record["scan"]), seed=int(record["seed"]),
                      case=int(record["case"]), detector=dict(record["detector"]),
                      timings_s=dict(record.get("timings_s", {})),
                      devices=dict(record.get("devices", {})),
                      view_indices=tuple(int(i) for i in record.get("view_indices", ())),
                      region=(None if record.get("region") is None
                              else RegionRecord.from_dict(record["region"])))
    except KeyError as exc:
        raise ValueError(f"{str(meta)!r}: missing key {exc.args[0]}") from None
    except (TypeError, IndexError) as exc:
        raise ValueError(f"{str(meta)!r} is malformed ({' '.join(str(exc).split())})") from None
    if len(windows) != len(views):
        raise ValueError(f"{str(meta)!r} has {len(windows)} windows for {len(views)} views")
    raw = _array(d, "raw", shape, np.uint16)
    processed = _array(d, "processed", shape, np.uint16)
    flat = _array(d, "flat_adu", shape, np.float32)
    fill = None
    block = None if fields["region"] is None else fields["region"].fill_block
    if block is not None:
        fill = _array(d, "strip_fill", (len(views), block[3], block[4]), np.float32)
    return Acquisition(raw=raw, processed=processed, windows=windows, views=views,
                       technique=technique, dose=dose, flat_adu=flat, strip_fill=fill,
                       **fields)
