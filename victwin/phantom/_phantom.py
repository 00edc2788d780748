"""The ``Phantom`` value: uint8 labels on a grid, a material table, lesion records, metadata.

A phantom is a frozen value validated when built: ``labels`` is a C-contiguous uint8 array
indexed ``[z, y, x]`` whose shape equals ``grid.shape``; ``materials`` maps every label present
in ``labels`` to a canonical material name (those ``victwin.physics`` knows); ``lesions`` is a
tuple of :class:`Lesion` records with centres in world ``(x, y, z)`` mm; ``meta`` is a JSON-able
dict (recipe, seed, voxel size, glandular fractions, compressed thickness, ...).

It is saved as one ``.npz`` file (an uncompressed-header zip written with fixed timestamps, so
the same phantom always gives the same bytes) and loaded back exactly with :func:`load`.
"""

from __future__ import annotations

import dataclasses
import io
import json
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from victwin._formats import check_format
from victwin._json import jsonable

from ..geometry import Grid

__all__ = ["Phantom", "Lesion", "load", "MATERIAL_NAMES", "LUNG_MATERIALS", "labels_present"]

#: Canonical material names (the shared table every part of victwin uses).
MATERIAL_NAMES = (
    "air", "water", "adipose", "glandular", "skin", "muscle", "blood", "lung", "bone",
    "soft_tissue", "mass", "hydroxyapatite", "calcium_oxalate", "pmma", "polystyrene",
    "aluminum", "selenium", "csi", "calcium_oxalate_victre",
    # VICTRE's tissues at MC-GPU's densities (victwin.physics materials; the "victre" preset)
    "adipose_victre", "glandular_victre", "skin_victre", "connective_victre", "muscle_victre",
    "blood_victre", "mass_victre",
    # the chest twins' lung parenchyma (ICRU 46 lung between the painted vessels and airways)
    "lung_parenchyma",
    # ground-glass nodules: that parenchyma with 25 % soft tissue by volume (chest.nodules)
    "ground_glass",
)

#: Materials that are lung: code that looks for the lung by the name "lung" takes these
#: (ICRU 46 whole lung, and the chest twins' parenchyma).
LUNG_MATERIALS = ("lung", "lung_parenchyma")

_FORMAT = "victwin.phantom"
_FORMAT_VERSION = 1

@dataclass(frozen=True)
class Lesion:
    """One lesion inserted into a phantom.

    Parameters
    ----------
    kind : str
        Lesion type, e.g. ``"spiculated_mass"``, ``"calcification_cluster"``, ``"nodule"``.
    center_mm : (x, y, z) floats, mm
        World position of the lesion centre.
    size_mm : float, mm
        Characteristic size (diameter of the mass / extent of the cluster); > 0.
    label : int
        Label value of the lesion voxels in ``Phantom.labels`` (1..255).
    extra : dict
        Optional JSON-able details (material, number of calcifications, ...).
    """

    kind: str
    center_mm: tuple[float, float, float]
    size_mm: float
    label: int
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.kind, str) or not self.kind:
            raise ValueError(f"Lesion.kind must be a non-empty string, got {self.kind!r}")
        c = np.asarray(self.center_mm, dtype=float)
        if c.shape != (3,) or not np.all(np.isfinite(c)):
            raise ValueError(f"Lesion.center_mm must be 3 finite numbers (x, y, z), "
                             f"got {self.center_mm!r}")
        object.__setattr__(self, "center_mm", tuple(float(v) for v in c))
        s = float(self.size_mm)
        if not np.isfinite(s) or s <= 0:
            raise ValueError(f"Lesion.size_mm must be > 0, got {self.size_mm!r}")
        object.__setattr__(self, "size_mm", s)
        lab = int(self.label)
        if lab != self.label or not 1 <= lab <= 255:
            raise ValueError(f"Lesion.label must be an integer in 1..255, got {self.label!r}")
        object.__setattr__(self, "label", lab)
        object.__setattr__(self, "extra", dict(self.extra))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "center_mm": list(self.center_mm), "size_mm": self.size_mm,
                "label": self.label, "extra": self.extra}

    @classmethod
    def from_dict(cls, d: dict) -> Lesion:
        return cls(kind=d["kind"], center_mm=tuple(d["center_mm"]), size_mm=d["size_mm"],
                   label=d["label"], extra=d.get("extra", {}))


def labels_present(labels: np.ndarray) -> np.ndarray:
    """Sorted label values that occur in ``labels`` (uint8), counted chunk by chunk."""
    return np.flatnonzero(label_counts(labels))


def label_counts(labels: np.ndarray, chunk: int = 1 << 22) -> np.ndarray:
    """Number of voxels of each label value 0..255 (int64 ``[256]``).

    Works on chunks of ``chunk`` voxels so that no full-size integer copy of a large volume is
    made (``bincount`` converts its input to intp: 8 bytes per element).
    """
    flat = np.ascontiguousarray(labels).reshape(-1)
    counts = np.zeros(256, dtype=np.int64)
    for i in range(0, flat.size, chunk):
        counts += np.bincount(flat[i:i + chunk], minlength=256)
    return counts


def _check_materials(materials) -> dict[int, str]:
    if not isinstance(materials, dict):
        raise TypeError(f"Phantom.materials must be a dict label -> material name, "
                        f"got {type(materials).__name__}")
    out = {}
    for k, v in materials.items():
        try:
            lab = int(k)
        except (TypeError, ValueError):
            raise ValueError(f"Phantom.materials key must be an integer label, got {k!r}") from None
        if not 0 <= lab <= 255:
            raise ValueError(f"Phantom.materials label must be in 0..255, got {lab}")
        if v not in MATERIAL_NAMES:
            raise ValueError(f"Phantom.materials[{lab}] must be one of {', '.join(MATERIAL_NAMES)}; "
                             f"got {v!r}")
        out[lab] = str(v)
    return dict(sorted(out.items()))


def _checked_meta(meta: dict) -> dict:
    """``meta`` made JSON-ready by the one :func:`victwin._json.jsonable`, as it will read back."""
    try:
        return json.loads(json.dumps(jsonable(meta), sort_keys=True))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Phantom.meta must be JSON-serialisable: {exc}") from None


#: ``replace`` without new labels hands its labels' present values to the new phantom's check
#: here (``(labels, present)``), so a change of materials, lesions or meta does not count every
#: voxel again (0.2 CPU-s per 40 M voxels: a DBT site's window, several times per window).
_PRESENT = threading.local()


@dataclass(frozen=True, eq=False)
class Phantom:
    """A voxel phantom: labels, the grid they sit on, their materials, lesions and metadata.

    Parameters
    ----------
    labels : uint8 ndarray ``[z, y, x]``
        Tissue label of each voxel; made C-contiguous and read-only.
    grid : victwin.geometry.Grid
        Where the voxels are in the world (mm); ``grid.shape == labels.shape``.
    materials : dict int -> str
        Canonical material name of each label; every label present in ``labels`` must appear.
    lesions : sequence of Lesion
        Inserted lesions (centre ``(x, y, z)`` mm, size mm, kind, label).
    meta : dict
        JSON-able metadata: ``recipe``, ``seed``, ``voxel_mm``, ``glandular_fraction_volume``,
        ``glandular_fraction_mass``, ``thickness_mm``, ``density_class``, ...
    """

    labels: np.ndarray
    grid: Grid
    materials: dict
    lesions: tuple = ()
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        labels = self.labels
        known = getattr(_PRESENT, "value", None)
        known = known[1] if known is not None and known[0] is labels else None
        if not isinstance(labels, np.ndarray):
            raise TypeError(f"Phantom.labels must be a numpy array, got {type(labels).__name__}")
        if labels.dtype != np.uint8:
            raise ValueError(f"Phantom.labels must have dtype uint8, got {labels.dtype}")
        if labels.ndim != 3:
            raise ValueError(f"Phantom.labels must be 3-D [z, y, x], got shape {labels.shape}")
        if not isinstance(self.grid, Grid):
            raise TypeError(f"Phantom.grid must be a victwin.geometry.Grid, "
                            f"got {type(self.grid).__name__}")
        if tuple(labels.shape) != tuple(self.grid.shape):
            raise ValueError(f"Phantom.labels shape {labels.shape} must equal grid.shape "
                             f"{self.grid.shape}")
        labels = np.ascontiguousarray(labels)
        if labels.flags.writeable:
            labels = labels.view()
            labels.flags.writeable = False
        object.__setattr__(self, "labels", labels)
        materials = _check_materials(self.materials)
        object.__setattr__(self, "materials", materials)
        present = labels_present(labels) if known is None else known
        object.__setattr__(self, "_present", present)
        missing = [int(v) for v in present if int(v) not in materials]
        if missing:
            raise ValueError(f"Phantom.materials has no entry for labels {missing} present in "
                             f"Phantom.labels")
        lesions = tuple(self.lesions)
        for les in lesions:
            if not isinstance(les, Lesion):
                raise TypeError(f"Phantom.lesions must hold Lesion records, "
                                f"got {type(les).__name__}")
            if les.label not in materials:
                raise ValueError(f"Phantom.materials has no entry for lesion label {les.label}")
        object.__setattr__(self, "lesions", lesions)
        object.__setattr__(self, "meta", _checked_meta(dict(self.meta)))

    # -- convenience ------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.labels.shape)

    @property
    def voxel_mm(self) -> tuple[float, float, float]:
        """Voxel size ``(dz, dy, dx)`` in mm."""
        return self.grid.spacing

    def __repr__(self):
        return (f"Phantom(shape={self.shape}, voxel_mm={self.grid.spacing}, "
                f"materials={self.materials}, lesions={len(self.lesions)}, "
                f"recipe={self.meta.get('recipe')!r}, seed={self.meta.get('seed')!r})")

    def __eq__(self, other):
        if not isinstance(other, Phantom):
            return NotImplemented
        return (self.grid == other.grid and self.materials == other.materials
                and self.lesions == other.lesions and self.meta == other.meta
                and self.labels.shape == other.labels.shape
                and bool(np.array_equal(self.labels, other.labels)))

    __hash__ = None

    def replace(self, **changes) -> Phantom:
        """A copy with some fields changed (``labels``, ``materials``, ``lesions``, ``meta``...).

        Checked as a new phantom; without new ``labels`` the label values present are not
        counted again (they are this phantom's).
        """
        present = getattr(self, "_present", None)
        if "labels" in changes or present is None:
            return dataclasses.replace(self, **changes)
        _PRESENT.value = (self.labels, present)
        try:
            return dataclasses.replace(self, **changes)
        finally:
            _PRESENT.value = None

    def with_labels(self, labels: np.ndarray, *, materials: dict | None = None,
                    lesions=None, meta: dict | None = None) -> Phantom:
        """A copy with new ``labels`` (and optionally merged materials, new lesions/meta).

        ``materials`` entries are *added to* (and override) the current table, so lesion
        insertion can pass only its new labels.
        """
        mats = dict(self.materials)
        if materials:
            mats.update({int(k): v for k, v in materials.items()})
        return Phantom(labels=labels, grid=self.grid, materials=mats,
                       lesions=self.lesions if lesions is None else tuple(lesions),
                       meta=self.meta if meta is None else meta)

    def label_of(self, material: str) -> list[int]:
        """Labels whose material is ``material``."""
        return [k for k, v in self.materials.items() if v == material]

    def material_fractions(self) -> dict[str, float]:
        """Fraction of the non-air voxels made of each material (by volume)."""
        counts = label_counts(self.labels)
        per = {}
        for lab, name in self.materials.items():
            per[name] = per.get(name, 0) + int(counts[lab])
        total = sum(n for name, n in per.items() if name != "air")
        return {name: (n / total if total else 0.0) for name, n in per.items() if name != "air"}

    def preview(self, path_png, *, title: str | None = None) -> Path:
        """Write a PNG preview (:func:`victwin.phantom.plotting.save_preview`: slices and a
        projection; the chest view for chest twins)."""
        from .plotting import save_preview

        return save_preview(self, path_png, title=title)

    # -- io ---------------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the phantom to one ``.npz`` file (same phantom -> same bytes).

        The labels are stored deflate-compressed; the grid, materials, lesions and metadata as
        JSON. The file is written to a temporary name and renamed, so a partial file never
        looks complete.
        """
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"Phantom.save path must end in .npz, got {str(path)!r}")
        header = {
            "format": _FORMAT, "version": _FORMAT_VERSION,
            "grid": {"shape": list(self.grid.shape), "spacing": list(self.grid.spacing),
                     "origin": list(self.grid.origin)},
            "materials": {str(k): v for k, v in self.materials.items()},
            "lesions": [les.to_dict() for les in self.lesions],
            "meta": self.meta,
        }
        tmp = path.with_name(path.name + ".part")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1,
                             allowZip64=True) as zf:
            _write_member(zf, "header.npy", np.frombuffer(
                json.dumps(header, sort_keys=True).encode(), dtype=np.uint8))
            _write_member(zf, "labels.npy", self.labels)
        tmp.replace(path)
        return path


def _write_member(zf: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    # A fixed timestamp keeps the file bytes a function of the content alone.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    with zf.open(info, "w", force_zip64=True) as fh:
        np.lib.format.write_array(fh, np.ascontiguousarray(array), allow_pickle=False)


def _read_labels(zf: zipfile.ZipFile, grid_shape: tuple) -> np.ndarray:
    """The labels member, its header checked before anything is decompressed.

    A small file that would inflate to gigabytes is refused from its ``.npy`` header (shape
    and dtype must match the phantom's grid, and fit in memory) and its recorded size.
    """
    from victwin._memory import check_memory

    info = zf.getinfo("labels.npy")
    with zf.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"labels.npy has unsupported .npy version {version}")
        if dtype != np.uint8:
            raise ValueError(f"labels.npy has dtype {dtype}, not uint8")
        if tuple(shape) != tuple(int(n) for n in grid_shape):
            raise ValueError(f"labels.npy has shape {tuple(shape)}, the header's grid "
                             f"{tuple(grid_shape)}")
        nbytes = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
        if info.file_size > nbytes + 65536:
            raise ValueError(f"labels.npy inflates to {info.file_size} bytes, more than its "
                             f"{nbytes}-byte array")
        check_memory(nbytes, f"a phantom of {tuple(shape)} voxels", "load it on a larger "
                                                                    "machine")
        data = bytearray(nbytes)
        got = fh.readinto(data)
    if got != nbytes:
        raise ValueError(f"labels.npy is truncated ({got} of {nbytes} bytes)")
    labels = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return np.ascontiguousarray(labels)


def load(path) -> Phantom:
    """Read a phantom written by :meth:`Phantom.save`.

    Raises
    ------
    ValueError
        One line, when the file is missing parts, is not a victwin phantom, or is corrupt.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"phantom file {str(path)!r} does not exist")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if not {"header.npy", "labels.npy"} <= names:
                raise ValueError("missing header.npy/labels.npy")
            with zf.open("header.npy") as fh:
                header = json.loads(np.lib.format.read_array(
                    io.BytesIO(fh.read()), allow_pickle=False).tobytes().decode())
            check_format("header", header, name=_FORMAT, version=_FORMAT_VERSION, key="version")
            labels = _read_labels(zf, tuple(header["grid"]["shape"]))
        g = header["grid"]
        grid = Grid(shape=tuple(g["shape"]), spacing=tuple(g["spacing"]),
                    origin=tuple(g["origin"]))
        return Phantom(labels=labels, grid=grid,
                       materials={int(k): v for k, v in header["materials"].items()},
                       lesions=tuple(Lesion.from_dict(d) for d in header["lesions"]),
                       meta=header["meta"])
    except KeyError as exc:
        raise ValueError(f"{str(path)!r} is not a readable victwin phantom file: header: "
                         f"missing key {exc.args[0]}") from None
    except (zipfile.BadZipFile, OSError, EOFError, TypeError, ValueError,
            UnicodeDecodeError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{str(path)!r} is not a readable victwin phantom file: {msg}") from None
