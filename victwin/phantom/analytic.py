"""Analytic phantoms for verification: ellipsoids and boxes, exact voxelisation and chords.

A shape is an :class:`Ellipsoid` or a :class:`Box` with a centre, a size, a rotation (ZXZ Euler
angles in degrees: ``R = Rz(phi) @ Rx(theta) @ Rz(psi)``, the shape's local axes are the
columns of ``R``), a material name and a value. Exact rules:

* voxelisation: a voxel belongs to a shape when its *centre* is inside (``<=`` on the surface);
* :func:`chord_lengths`: the exact length of a segment (source to detector pixel) inside each
  shape, from the closed-form intersection of a line with a quadric or with three slabs;
  ``line_integrals`` sums ``value * chord`` (the additive Shepp-Logan convention), so
  projectors can be checked against it.

The 3-D Shepp-Logan head phantom uses the ellipsoid table of Kak & Slaney (Principles of
Computerized Tomographic Imaging, IEEE Press 1988, ch. 3) extended to 3-D as in P. Toft, "The
Radon Transform: Theory and Implementation", PhD thesis, DTU 1996, pp. 199-200 (the "modified"
intensities 1, -0.8, -0.2, -0.2, 0.1... for higher contrast; the original ones are 1, -0.98,
-0.02, -0.02, 0.01...). Coordinates in that table are normalised to a field of view of 2; we
scale them by ``fov_mm / 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..geometry import Grid
from ..schema import Boolean, Choice, List, Number, String, Table, check
from ._phantom import MATERIAL_NAMES

__all__ = ["Ellipsoid", "Box", "rotation_matrix", "inside", "voxelize", "label_phantom",
           "chord_lengths", "line_integrals", "shepp_logan_shapes", "shepp_logan",
           "make_analytic", "validate_recipe"]


def rotation_matrix(angles_deg) -> np.ndarray:
    """``Rz(phi) @ Rx(theta) @ Rz(psi)`` for ZXZ Euler angles ``(phi, theta, psi)`` in degrees."""
    phi, theta, psi = np.deg2rad(np.asarray(angles_deg, dtype=float))

    def rz(a):
        c, s = math.cos(a), math.sin(a)
        return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])

    c, s = math.cos(theta), math.sin(theta)
    rx = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    return rz(phi) @ rx @ rz(psi)


def _vec3(name, value, positive=False):
    arr = np.asarray(value, dtype=float)
    if arr.shape != (3,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be 3 finite numbers (x, y, z), got {value!r}")
    if positive and np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got {tuple(arr.tolist())}")
    return tuple(float(v) for v in arr)


@dataclass(frozen=True)
class _Shape:
    center_mm: tuple
    size: tuple
    angles_deg: tuple = (0.0, 0.0, 0.0)
    value: float = 1.0
    material: str = "water"

    _size_name = "size"

    def __post_init__(self):
        object.__setattr__(self, "center_mm", _vec3(f"{type(self).__name__}.center_mm",
                                                    self.center_mm))
        object.__setattr__(self, "size", _vec3(f"{type(self).__name__}.{self._size_name}",
                                               self.size, positive=True))
        object.__setattr__(self, "angles_deg", _vec3(f"{type(self).__name__}.angles_deg",
                                                     self.angles_deg))
        v = float(self.value)
        if not math.isfinite(v):
            raise ValueError(f"{type(self).__name__}.value must be finite, got {self.value!r}")
        object.__setattr__(self, "value", v)
        if self.material not in MATERIAL_NAMES:
            raise ValueError(f"{type(self).__name__}.material must be one of "
                             f"{', '.join(MATERIAL_NAMES)}; got {self.material!r}")

    @property
    def rotation(self) -> np.ndarray:
        return rotation_matrix(self.angles_deg)

    def _local(self, points):
        """World points ``[..., (x, y, z)]`` -> shape frame scaled by the size."""
        p = np.asarray(points, dtype=float) - np.asarray(self.center_mm)
        return (p @ self.rotation) / np.asarray(self.size)

    def bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned world bounds ``(lower, upper)`` (mm) of the shape."""
        half = np.abs(self.rotation) @ np.asarray(self.size)
        if isinstance(self, Ellipsoid):  # tight bound of a rotated ellipsoid
            m = self.rotation * np.asarray(self.size)
            half = np.sqrt(np.sum(m ** 2, axis=1))
        c = np.asarray(self.center_mm)
        return c - half, c + half

    def to_dict(self) -> dict:
        return {"type": type(self).__name__.lower(), "center_mm": list(self.center_mm),
                self._size_name: list(self.size), "angles_deg": list(self.angles_deg),
                "value": self.value, "material": self.material}


class Ellipsoid(_Shape):
    """Ellipsoid: ``center_mm`` (x, y, z), ``semi_axes_mm`` along its local axes (``size``)."""

    _size_name = "semi_axes_mm"

    def __init__(self, center_mm, semi_axes_mm, angles_deg=(0.0, 0.0, 0.0), value=1.0,
                 material="water"):
        super().__init__(center_mm, semi_axes_mm, angles_deg, value, material)

    @property
    def semi_axes_mm(self):
        return self.size


class Box(_Shape):
    """Rectangular box: ``center_mm`` (x, y, z), ``half_size_mm`` along its local axes."""

    _size_name = "half_size_mm"

    def __init__(self, center_mm, half_size_mm, angles_deg=(0.0, 0.0, 0.0), value=1.0,
                 material="water"):
        super().__init__(center_mm, half_size_mm, angles_deg, value, material)

    @property
    def half_size_mm(self):
        return self.size


def inside(shape, points_xyz) -> np.ndarray:
    """Boolean: which world points ``[..., (x, y, z)]`` (mm) are inside ``shape`` (surface incl.)."""
    q = shape._local(points_xyz)
    if isinstance(shape, Ellipsoid):
        return np.sum(q * q, axis=-1) <= 1.0
    return np.all(np.abs(q) <= 1.0, axis=-1)


def _shape_slabs(shape, grid: Grid):
    """Index ranges (z, y, x slices) of the voxels whose centres may be inside the shape."""
    lo, hi = shape.bounding_box()
    ilo = np.floor(grid.world_to_index(lo)).astype(int)
    ihi = np.ceil(grid.world_to_index(hi)).astype(int) + 1
    ilo = np.clip(ilo, 0, grid.shape)
    ihi = np.clip(ihi, 0, grid.shape)
    if np.any(ihi <= ilo):
        return None
    return tuple(slice(a, b) for a, b in zip(ilo, ihi))


def _centres(grid: Grid, sl):
    x = grid.axis_mm("x")[sl[2]]
    y = grid.axis_mm("y")[sl[1]]
    z = grid.axis_mm("z")[sl[0]]
    zz, yy, xx = np.meshgrid(z, y, x, indexing="ij")
    return np.stack([xx, yy, zz], axis=-1)


def voxelize(shapes, grid: Grid, *, mode: str = "sum", dtype=np.float32) -> np.ndarray:
    """Sample shapes at the voxel centres of ``grid``.

    Parameters
    ----------
    shapes : sequence of Ellipsoid / Box
    grid : Grid
    mode : {"sum", "paint"}
        ``"sum"``: each voxel holds the sum of the values of the shapes containing its centre
        (Shepp-Logan convention); ``"paint"``: later shapes overwrite earlier ones.

    Returns
    -------
    ndarray ``[z, y, x]`` of ``dtype``
    """
    if mode not in ("sum", "paint"):
        raise ValueError(f"mode must be 'sum' or 'paint', got {mode!r}")
    # Accumulate in float64 so that sums such as 1 - 0.8 - 0.2 come out as exact as possible.
    out = np.zeros(grid.shape, dtype=np.float64 if mode == "sum" else dtype)
    for shape in shapes:
        sl = _shape_slabs(shape, grid)
        if sl is None:
            continue
        m = inside(shape, _centres(grid, sl))
        if mode == "sum":
            out[sl][m] += shape.value
        else:
            out[sl][m] = shape.value
    return out.astype(dtype, copy=False)


def label_phantom(shapes, grid: Grid, *, background: str = "air", meta: dict | None = None):
    """A :class:`~victwin.phantom.Phantom` with one label per shape, painted in order.

    Label ``i + 1`` holds the centres inside shape ``i`` and outside every later shape; its
    material is ``shapes[i].material``. Label 0 is ``background``.
    """
    from ._phantom import Phantom

    if len(shapes) > 254:
        raise ValueError(f"label_phantom takes at most 254 shapes, got {len(shapes)}")
    labels = np.zeros(grid.shape, dtype=np.uint8)
    materials = {0: background}
    for i, shape in enumerate(shapes):
        materials[i + 1] = shape.material
        sl = _shape_slabs(shape, grid)
        if sl is None:
            continue
        m = inside(shape, _centres(grid, sl))
        labels[sl][m] = i + 1
    meta = dict(meta or {})
    meta.setdefault("kind", "analytic")
    meta["shapes"] = [s.to_dict() for s in shapes]
    return Phantom(labels=labels, grid=grid, materials=materials, meta=meta)


def chord_lengths(shapes, start_xyz, end_xyz) -> np.ndarray:
    """Exact length (mm) of each segment ``start -> end`` inside each shape.

    Parameters
    ----------
    shapes : sequence of Ellipsoid / Box
    start_xyz, end_xyz : array ``[n, 3]`` (or ``[3]``), mm
        Segment end points (e.g. source and detector pixel centre).

    Returns
    -------
    float64 ``[n, n_shapes]``
    """
    a = np.atleast_2d(np.asarray(start_xyz, dtype=float))
    b = np.atleast_2d(np.asarray(end_xyz, dtype=float))
    a, b = np.broadcast_arrays(a, b)
    seg_len = np.linalg.norm(b - a, axis=1)
    out = np.zeros((a.shape[0], len(shapes)))
    for j, shape in enumerate(shapes):
        p = shape._local(a)
        d = shape._local(b) - p  # affine map: segment stays a segment, t in [0, 1]
        if isinstance(shape, Ellipsoid):
            qa = np.sum(d * d, axis=1)
            qb = 2.0 * np.sum(p * d, axis=1)
            qc = np.sum(p * p, axis=1) - 1.0
            disc = qb * qb - 4.0 * qa * qc
            ok = (disc > 0) & (qa > 0)
            sq = np.sqrt(np.where(ok, disc, 0.0))
            with np.errstate(divide="ignore", invalid="ignore"):
                t0 = np.where(ok, (-qb - sq) / (2.0 * qa), 0.0)
                t1 = np.where(ok, (-qb + sq) / (2.0 * qa), 0.0)
        else:
            t0 = np.full(a.shape[0], -np.inf)
            t1 = np.full(a.shape[0], np.inf)
            ok = np.ones(a.shape[0], dtype=bool)
            for k in range(3):
                dk = d[:, k]
                pk = p[:, k]
                par = np.abs(dk) < 1e-15
                ok &= ~(par & (np.abs(pk) > 1.0))
                with np.errstate(divide="ignore", invalid="ignore"):
                    ta = np.where(par, -np.inf, (-1.0 - pk) / dk)
                    tb = np.where(par, np.inf, (1.0 - pk) / dk)
                t0 = np.maximum(t0, np.minimum(ta, tb))
                t1 = np.minimum(t1, np.maximum(ta, tb))
        lo = np.clip(t0, 0.0, 1.0)
        hi = np.clip(t1, 0.0, 1.0)
        out[:, j] = np.where(ok, np.maximum(hi - lo, 0.0), 0.0) * seg_len
    return out


def line_integrals(shapes, start_xyz, end_xyz) -> np.ndarray:
    """``sum_j value_j * chord_j`` for each segment (additive convention), ``[n]``."""
    values = np.array([s.value for s in shapes], dtype=float)
    return chord_lengths(shapes, start_xyz, end_xyz) @ values


# Kak & Slaney / Toft 3-D Shepp-Logan: value, semi-axes (a, b, c), centre (x0, y0, z0),
# Euler angles (phi, theta, psi) in degrees; lengths normalised to a field of view of 2.
_SHEPP_LOGAN = np.array([
    [1.0, .6900, .920, .810, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [-.8, .6624, .874, .780, 0.0, -.0184, 0.0, 0.0, 0.0, 0.0],
    [-.2, .1100, .310, .220, .22, 0.0, 0.0, -18.0, 0.0, 10.0],
    [-.2, .1600, .410, .280, -.22, 0.0, 0.0, 18.0, 0.0, 10.0],
    [.1, .2100, .250, .410, 0.0, .35, -.15, 0.0, 0.0, 0.0],
    [.1, .0460, .046, .050, 0.0, .1, .25, 0.0, 0.0, 0.0],
    [.1, .0460, .046, .050, 0.0, -.1, .25, 0.0, 0.0, 0.0],
    [.1, .0460, .023, .050, -.08, -.605, 0.0, 0.0, 0.0, 0.0],
    [.1, .0230, .023, .020, 0.0, -.606, 0.0, 0.0, 0.0, 0.0],
    [.1, .0230, .046, .020, .06, -.605, 0.0, 0.0, 0.0, 0.0],
])
_SHEPP_LOGAN_ORIGINAL_VALUES = (1.0, -.98, -.02, -.02, .01, .01, .01, .01, .01, .01)
# Materials for the painted (label) version: skull, brain, two ventricles, tumours/vessels.
_SHEPP_LOGAN_MATERIALS = ("bone", "soft_tissue", "water", "water", "blood", "blood", "blood",
                          "blood", "blood", "blood")


def shepp_logan_shapes(fov_mm: float = 200.0, *, center_mm=(0.0, 0.0, 0.0),
                       modified: bool = True) -> list[Ellipsoid]:
    """The ten ellipsoids of the 3-D Shepp-Logan phantom, scaled to ``fov_mm``.

    Parameters
    ----------
    fov_mm : float, mm
        Field of view that the normalised coordinates ``[-1, 1]`` span.
    center_mm : (x, y, z)
        World position of the phantom centre.
    modified : bool
        Toft's higher-contrast values (default) or the original Shepp-Logan values.
    """
    if not fov_mm > 0:
        raise ValueError(f"fov_mm must be > 0, got {fov_mm!r}")
    s = 0.5 * float(fov_mm)
    c = np.asarray(_vec3("center_mm", center_mm))
    shapes = []
    for i, row in enumerate(_SHEPP_LOGAN):
        value = row[0] if modified else _SHEPP_LOGAN_ORIGINAL_VALUES[i]
        shapes.append(Ellipsoid(center_mm=c + s * row[4:7], semi_axes_mm=s * row[1:4],
                                angles_deg=row[7:10], value=value,
                                material=_SHEPP_LOGAN_MATERIALS[i]))
    return shapes


def shepp_logan(grid: Grid, *, fov_mm: float | None = None, modified: bool = True) -> np.ndarray:
    """The 3-D Shepp-Logan phantom sampled at the voxel centres of ``grid`` (float32, summed).

    ``fov_mm`` defaults to the smallest edge of the grid, centred on the grid.
    """
    if fov_mm is None:
        fov_mm = float(np.min(grid.size_mm))
    return voxelize(shepp_logan_shapes(fov_mm, center_mm=grid.center_mm, modified=modified),
                    grid, mode="sum")


# ---- recipes -------------------------------------------------------------------------------
_VEC3 = List(Number(), length=3)
_POS3 = List(Number(0, lo_open=True), length=3)

#: One shape of an analytic recipe (``[[shapes]]``).
SHAPE_SCHEMA = Table({
    "type": Choice(("ellipsoid", "box")),
    "center_mm": _VEC3,
    "semi_axes_mm": List(Number(0, lo_open=True), length=3, default=None),   # ellipsoids
    "half_size_mm": List(Number(0, lo_open=True), length=3, default=None),   # boxes
    "angles_deg": List(Number(), length=3, default=[0.0, 0.0, 0.0]),
    "value": Number(default=1.0),
    "material": Choice(lambda: MATERIAL_NAMES, default="water"),
})

#: Every key of an analytic recipe with its rule and its default (:mod:`victwin.schema`).
ANALYTIC_SCHEMA = Table({
    "kind": Choice(("analytic",)),
    "name": String(default="custom"),
    "description": String(default=""),
    "voxel_mm": Number(0, lo_open=True, default=1.0),
    "size_mm": List(Number(0, lo_open=True), length=3, default=None),   # x, y, z extent
    "center_mm": List(Number(), length=3, default=[0.0, 0.0, 0.0]),
    "background": Choice(lambda: MATERIAL_NAMES, default="air"),
    "preset": Choice(("shepp_logan",), default=None),
    "fov_mm": Number(0, lo_open=True, default=200.0),                   # preset only
    "modified": Boolean(default=True),                                  # preset only
    "shapes": List(SHAPE_SCHEMA, min_len=1, default=None),
})


def _shape(d: dict, where: str):
    size_key = "semi_axes_mm" if d["type"] == "ellipsoid" else "half_size_mm"
    if d[size_key] is None:
        raise ValueError(f"recipe: missing key {where}.{size_key} ({_POS3.describe()})")
    cls = Ellipsoid if d["type"] == "ellipsoid" else Box
    return cls(d["center_mm"], d[size_key], d["angles_deg"], d["value"], d["material"])


def validate_recipe(raw: dict) -> dict:
    """Check an analytic recipe; returns it with defaults filled in and ``shapes`` as shape
    objects.

    Raises
    ------
    ValueError
        One line naming the key, the rule and the value (:mod:`victwin.schema`).
    """
    spec = check(ANALYTIC_SCHEMA, raw, "recipe")
    if spec["preset"] is not None:
        shapes = shepp_logan_shapes(spec["fov_mm"], center_mm=tuple(spec["center_mm"]),
                                    modified=spec["modified"])
        if spec["size_mm"] is None:
            spec["size_mm"] = [spec["fov_mm"]] * 3
    elif spec["shapes"] is None:
        rule = ANALYTIC_SCHEMA.fields["shapes"].describe()
        raise ValueError(f"recipe: missing key shapes ({rule}, or a preset)")
    else:
        shapes = [_shape(d, f"shapes[{i}]") for i, d in enumerate(spec["shapes"])]
    if spec["size_mm"] is None:
        raise ValueError("recipe: missing key size_mm (x, y, z extent in mm: "
                         f"{_POS3.describe()})")
    spec["shapes"] = shapes
    return spec


def make_analytic(spec: dict, *, voxel_mm: float | None = None, seed: int = 0):
    """Build the label phantom of a checked analytic recipe (the seed is recorded, not used)."""
    vox = float(voxel_mm if voxel_mm is not None else spec["voxel_mm"])
    size = np.asarray(spec["size_mm"])
    # The grid starts at the lower corner of the requested box and covers it (whole voxels).
    n = np.maximum(1, np.ceil(size / vox - 1e-9).astype(int))
    center = np.asarray(spec["center_mm"])
    origin = center - 0.5 * size + 0.5 * vox
    grid = Grid(shape=tuple(n[::-1]), spacing=(vox, vox, vox), origin=tuple(origin))
    meta = {"kind": "analytic", "recipe": spec.get("name", "custom"), "seed": int(seed),
            "voxel_mm": vox}
    return label_phantom(spec["shapes"], grid, background=spec["background"], meta=meta)
