"""The lesion model value (:class:`LesionModel`), the lesion kinds and materials, and the
argument checks the generators share."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from victwin._checks import check_positive

__all__ = ["LesionModel", "KINDS", "CALCIFICATION_MATERIALS", "FORBIDDEN_MATERIALS",
           "LESION_MATERIALS", "check_rng", "in_range", "range_pair"]

#: Lesion kinds and the record ``kind`` they produce.
KINDS = ("mass", "calcification", "nodule")

#: Materials a calcification may be made of (canonical names).
CALCIFICATION_MATERIALS = ("hydroxyapatite", "calcium_oxalate", "calcium_oxalate_victre")

#: Host materials a lesion may never cover (besides other lesions).
FORBIDDEN_MATERIALS = frozenset({"air", "skin", "muscle", "bone"})

#: Materials that only lesions carry; a voxel of these belongs to an earlier lesion.
LESION_MATERIALS = frozenset({"mass", "hydroxyapatite", "calcium_oxalate",
                              "calcium_oxalate_victre"})


@dataclass(frozen=True, eq=False)
class LesionModel:
    """A lesion as a small voxel patch, ready to be inserted into a phantom.

    Parameters
    ----------
    kind : {"mass", "calcification", "nodule"}
    patch : uint8 ndarray ``[z, y, x]``
        0 where the lesion leaves the host untouched, ``k >= 1`` where it writes
        ``materials[k - 1]``. The patch centre (index ``(n - 1) / 2`` on each axis) is the
        lesion centre.
    materials : tuple of str
        Canonical material name for each patch value ``1, 2, ...``.
    voxel_mm : float, mm
        Isotropic voxel size of the patch.
    size_mm : float, mm
        Equivalent-sphere diameter of the lesion (mass, nodule) or the cluster extent (largest
        edge of the calcifications' bounding box).
    info : dict
        Generation details (drawn parameters, per-calcification diameters, ...).
    """

    kind: str
    patch: np.ndarray
    materials: tuple
    voxel_mm: float
    size_mm: float
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"LesionModel.kind must be one of {KINDS}, got {self.kind!r}")
        patch = np.ascontiguousarray(self.patch, dtype=np.uint8)
        if patch.ndim != 3 or patch.size == 0:
            raise ValueError(f"LesionModel.patch must be a non-empty 3-D array, got shape "
                             f"{patch.shape}")
        if int(patch.max()) > len(self.materials) or not patch.any():
            raise ValueError(f"LesionModel.patch values must be 1..{len(self.materials)} on at "
                             f"least one voxel, got max {int(patch.max())}")
        if not (self.voxel_mm > 0):
            raise ValueError(f"LesionModel.voxel_mm must be > 0, got {self.voxel_mm!r}")
        patch.setflags(write=False)
        object.__setattr__(self, "patch", patch)
        object.__setattr__(self, "materials", tuple(str(m) for m in self.materials))

    @property
    def mask(self) -> np.ndarray:
        """Boolean ``[z, y, x]`` mask of the voxels the lesion writes."""
        return self.patch > 0

    @property
    def volume_mm3(self) -> float:
        """Volume of the voxels the lesion writes (mm^3)."""
        return float(np.count_nonzero(self.patch)) * self.voxel_mm ** 3

    @property
    def equivalent_diameter_mm(self) -> float:
        """Diameter of the sphere with the lesion's voxel volume (mm)."""
        return (6.0 * self.volume_mm3 / math.pi) ** (1.0 / 3.0)

    def __repr__(self):
        return (f"LesionModel(kind={self.kind!r}, shape={self.patch.shape}, "
                f"materials={self.materials}, voxel_mm={self.voxel_mm}, "
                f"size_mm={self.size_mm:.3f})")


def check_rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator or an int seed, got "
                    f"{type(rng).__name__}")


def in_range(name: str, value, lo: float, hi: float) -> float:
    """``value`` as a float, checked finite, > 0 (:func:`victwin._checks.check_positive`) and
    within ``[lo, hi]``."""
    v = check_positive(name, value)
    if not (lo <= v <= hi):
        raise ValueError(f"{name} must be within [{lo}, {hi}], got {value!r}")
    return v


def range_pair(name: str, value, lo: float, hi: float) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (min, max) pair, got {value!r}") from None
    if not (lo <= a <= b <= hi):
        raise ValueError(f"{name} must satisfy {lo} <= min <= max <= {hi}, got {value!r}")
    return a, b

