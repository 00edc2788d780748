"""Frozen geometry values: the voxel grid, the flat-panel detector and the view.

The contract (DESIGN.md): lengths in mm; arrays index ``[z, y, x]``; points and directions are
``(x, y, z)``. Each value is validated when built, compares equal within a tolerance, and has a
``repr`` that rebuilds it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Grid", "FlatPanel", "View", "views_to_arrays"]

#: Relative tolerance for equality of geometry values and for the unit/orthogonality checks.
_RTOL = 1e-9
_UNIT_TOL = 1e-6


def _vector(name: str, value, n: int = 3) -> tuple[float, ...]:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {n} numbers, got {value!r}") from None
    if arr.shape != (n,):
        raise ValueError(f"{name} must be {n} numbers, got {value!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {tuple(arr.tolist())}")
    return tuple(float(v) for v in arr)


def _positive_ints(name: str, value, n: int) -> tuple[int, ...]:
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # pragma: no cover - asarray rarely fails
        raise ValueError(f"{name} must be {n} positive integers, got {value!r}") from None
    if arr.shape != (n,) or not all(float(v).is_integer() for v in arr.astype(float)):
        raise ValueError(f"{name} must be {n} positive integers, got {value!r}")
    out = tuple(int(v) for v in arr)
    if min(out) <= 0:
        raise ValueError(f"{name} must be positive, got {out}")
    return out


def _positive_floats(name: str, value, n: int) -> tuple[float, ...]:
    out = _vector(name, value, n)
    if min(out) <= 0:
        raise ValueError(f"{name} must be > 0, got {out}")
    return out


def _close(a, b) -> bool:
    return bool(np.allclose(a, b, rtol=_RTOL, atol=1e-9))


@dataclass(frozen=True, eq=False)
class Grid:
    """A regular voxel grid in world coordinates.

    .. warning:: **Two orders in one object.** ``shape`` and ``spacing`` are in *array index
       order* ``(z, y, x)``, like the ``[z, y, x]`` arrays they describe; ``origin`` is a
       *point*, in ``(x, y, z)`` order, like every point and direction in victwin (DESIGN.md,
       "The contract"). So ``spacing[0]`` is ``dz`` but ``origin[0]`` is ``x0``. Use
       :attr:`spacing_xyz` and :attr:`shape_xyz` to do arithmetic with points, e.g. the centre
       of voxel ``[iz, iy, ix]`` is ``origin + (ix, iy, iz) * spacing_xyz``.

    Parameters
    ----------
    shape : (nz, ny, nx) ints
        Number of voxels along z, y, x (array index order).
    spacing : (dz, dy, dx) floats, mm
        Voxel size along z, y, x (array index order, **not** the order of ``origin``); each > 0.
    origin : (x0, y0, z0) floats, mm
        World position of the *centre* of voxel ``[0, 0, 0]`` (as DICOM's
        ImagePositionPatient), in point order ``(x, y, z)`` (**not** the order of ``spacing``).

    Examples
    --------
    >>> g = Grid(shape=(10, 20, 30), spacing=(2.0, 0.5, 0.5), origin=(0.25, -4.75, 1.0))
    >>> g.spacing[0], g.origin[0]      # dz, x0
    (2.0, 0.25)
    >>> g.spacing_xyz.tolist()         # (dx, dy, dz)
    [0.5, 0.5, 2.0]
    """

    shape: tuple[int, int, int]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self):
        object.__setattr__(self, "shape", _positive_ints("Grid.shape", self.shape, 3))
        object.__setattr__(self, "spacing", _positive_floats("Grid.spacing", self.spacing, 3))
        object.__setattr__(self, "origin", _vector("Grid.origin", self.origin))

    def __eq__(self, other):
        if not isinstance(other, Grid):
            return NotImplemented
        return (self.shape == other.shape and _close(self.spacing, other.spacing)
                and _close(self.origin, other.origin))

    __hash__ = None  # equality is within a tolerance, so no consistent hash exists

    @property
    def spacing_xyz(self) -> np.ndarray:
        """Voxel size ``(dx, dy, dz)`` in mm, in point order."""
        return np.array(self.spacing[::-1])

    @property
    def shape_xyz(self) -> np.ndarray:
        """Voxel counts ``(nx, ny, nz)``, in point order."""
        return np.array(self.shape[::-1])

    @property
    def lower_mm(self) -> np.ndarray:
        """World ``(x, y, z)`` of the outer corner of voxel ``[0, 0, 0]`` (mm)."""
        return np.asarray(self.origin) - 0.5 * self.spacing_xyz

    @property
    def upper_mm(self) -> np.ndarray:
        """World ``(x, y, z)`` of the far corner of voxel ``[-1, -1, -1]`` (mm)."""
        return self.lower_mm + self.shape_xyz * self.spacing_xyz

    @property
    def size_mm(self) -> np.ndarray:
        """Edge lengths of the grid's bounding box ``(x, y, z)`` in mm."""
        return self.shape_xyz * self.spacing_xyz

    @property
    def center_mm(self) -> np.ndarray:
        """World ``(x, y, z)`` of the centre of the bounding box (mm)."""
        return 0.5 * (self.lower_mm + self.upper_mm)

    @property
    def n_voxels(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def axis_mm(self, axis: str) -> np.ndarray:
        """World coordinates (mm) of the voxel centres along ``axis`` in {"x", "y", "z"}."""
        k = {"x": 0, "y": 1, "z": 2}.get(axis)
        if k is None:
            raise ValueError(f"axis must be one of 'x', 'y', 'z', got {axis!r}")
        n = self.shape_xyz[k]
        return self.origin[k] + np.arange(n) * self.spacing_xyz[k]

    def index_to_world(self, index_zyx) -> np.ndarray:
        """Voxel index ``[..., (z, y, x)]`` (may be fractional) to world ``(x, y, z)`` mm."""
        idx = np.asarray(index_zyx, dtype=float)[..., ::-1]
        return np.asarray(self.origin) + idx * self.spacing_xyz

    def world_to_index(self, point_xyz) -> np.ndarray:
        """World ``(x, y, z)`` mm to fractional voxel index ``(z, y, x)``."""
        p = np.asarray(point_xyz, dtype=float)
        return ((p - np.asarray(self.origin)) / self.spacing_xyz)[..., ::-1]

    def slab(self, z_start: int, z_stop: int) -> Grid:
        """The sub-grid of slices ``z_start:z_stop`` (same x/y extent)."""
        if not 0 <= z_start < z_stop <= self.shape[0]:
            raise ValueError(f"slab must satisfy 0 <= z_start < z_stop <= {self.shape[0]}, "
                             f"got {z_start}:{z_stop}")
        x0, y0, z0 = self.origin
        return Grid(shape=(z_stop - z_start, self.shape[1], self.shape[2]), spacing=self.spacing,
                    origin=(x0, y0, z0 + z_start * self.spacing[0]))

    def __repr__(self):
        return f"Grid(shape={self.shape!r}, spacing={self.spacing!r}, origin={self.origin!r})"


@dataclass(frozen=True, eq=False)
class FlatPanel:
    """A flat-panel detector.

    Pixel ``[j, i]`` is centred at
    ``center + (i - (nu - 1) / 2) * pu * u + (j - (nv - 1) / 2) * pv * v``.

    Parameters
    ----------
    shape : (nv, nu) ints
        Pixel rows (along ``v``) and columns (along ``u``).
    pitch : (pv, pu) floats, mm
        Pixel pitch along ``v`` and ``u``; each > 0.
    center : (x, y, z) mm
        World position of the panel centre.
    u, v : (x, y, z)
        Unit, mutually orthogonal directions of increasing column and row index.
    """

    shape: tuple[int, int]
    pitch: tuple[float, float]
    center: tuple[float, float, float]
    u: tuple[float, float, float] = (1.0, 0.0, 0.0)
    v: tuple[float, float, float] = (0.0, 1.0, 0.0)

    def __post_init__(self):
        object.__setattr__(self, "shape", _positive_ints("FlatPanel.shape", self.shape, 2))
        object.__setattr__(self, "pitch", _positive_floats("FlatPanel.pitch", self.pitch, 2))
        object.__setattr__(self, "center", _vector("FlatPanel.center", self.center))
        for name in ("u", "v"):
            vec = _vector(f"FlatPanel.{name}", getattr(self, name))
            norm = math.sqrt(sum(c * c for c in vec))
            if abs(norm - 1.0) > _UNIT_TOL:
                raise ValueError(f"FlatPanel.{name} must be a unit vector, got {vec} "
                                 f"(length {norm:.6g})")
            object.__setattr__(self, name, vec)
        dot = float(np.dot(self.u, self.v))
        if abs(dot) > _UNIT_TOL:
            raise ValueError(f"FlatPanel.u and FlatPanel.v must be orthogonal, got u.v = {dot:.6g}")

    def __eq__(self, other):
        if not isinstance(other, FlatPanel):
            return NotImplemented
        return (self.shape == other.shape and _close(self.pitch, other.pitch)
                and _close(self.center, other.center) and _close(self.u, other.u)
                and _close(self.v, other.v))

    __hash__ = None

    @property
    def normal(self) -> np.ndarray:
        """Unit normal ``u x v``."""
        return np.cross(self.u, self.v)

    @property
    def size_mm(self) -> tuple[float, float]:
        """Active area ``(height along v, width along u)`` in mm."""
        return (self.shape[0] * self.pitch[0], self.shape[1] * self.pitch[1])

    def pixel_centers(self) -> np.ndarray:
        """World ``(x, y, z)`` of every pixel centre, shape ``(nv, nu, 3)``, mm."""
        nv, nu = self.shape
        pv, pu = self.pitch
        i = (np.arange(nu) - (nu - 1) / 2.0) * pu
        j = (np.arange(nv) - (nv - 1) / 2.0) * pv
        return (np.asarray(self.center)[None, None, :] + i[None, :, None] * np.asarray(self.u)
                + j[:, None, None] * np.asarray(self.v))

    def binned(self, factor: int) -> FlatPanel:
        """The same panel read out in ``factor x factor`` bins (shape divided, pitch multiplied).

        Trailing rows/columns that do not fill a bin are dropped symmetrically, so bin centres
        stay on the original pixel lattice's centre.
        """
        factor = int(factor)
        if factor < 1:
            raise ValueError(f"binning factor must be >= 1, got {factor}")
        nv, nu = self.shape[0] // factor, self.shape[1] // factor
        if nv == 0 or nu == 0:
            raise ValueError(f"binning factor {factor} is larger than the panel {self.shape}")
        return FlatPanel(shape=(nv, nu), pitch=(self.pitch[0] * factor, self.pitch[1] * factor),
                         center=self.center, u=self.u, v=self.v)

    def __repr__(self):
        return (f"FlatPanel(shape={self.shape!r}, pitch={self.pitch!r}, center={self.center!r}, "
                f"u={self.u!r}, v={self.v!r})")


@dataclass(frozen=True, eq=False)
class View:
    """One exposure: a point source and a flat panel.

    Parameters
    ----------
    source : (x, y, z) mm
        Focal-spot position; must not lie on the panel's plane.
    panel : FlatPanel
    """

    source: tuple[float, float, float]
    panel: FlatPanel

    def __post_init__(self):
        object.__setattr__(self, "source", _vector("View.source", self.source))
        if not isinstance(self.panel, FlatPanel):
            raise TypeError(f"View.panel must be a FlatPanel, got {type(self.panel).__name__}")
        dist = self.source_to_panel_mm
        scale = max(1.0, max(self.panel.size_mm))
        if abs(dist) <= 1e-9 * scale:
            raise ValueError(f"View.source {self.source} lies on the panel plane "
                             f"(distance {dist:.3g} mm)")

    def __eq__(self, other):
        if not isinstance(other, View):
            return NotImplemented
        return _close(self.source, other.source) and self.panel == other.panel

    __hash__ = None

    @property
    def source_to_panel_mm(self) -> float:
        """Signed perpendicular distance from the panel plane to the source (mm), along ``u x v``."""
        return float(np.dot(np.subtract(self.source, self.panel.center), self.panel.normal))

    @property
    def sid_mm(self) -> float:
        """Source-to-image distance: perpendicular distance from source to panel plane (mm)."""
        return abs(self.source_to_panel_mm)

    def project(self, point_xyz) -> np.ndarray:
        """Fractional detector index ``(j, i)`` where the ray from the source through a point
        meets the panel (pixel ``[j, i]`` centre at integer values).

        Parameters
        ----------
        point_xyz : (..., 3) array, mm

        Returns
        -------
        (..., 2) float array ``(row, column)``
        """
        p = np.asarray(point_xyz, dtype=float)
        s = np.asarray(self.source)
        n = self.panel.normal
        c = np.asarray(self.panel.center)
        d = p - s
        denom = d @ n
        with np.errstate(divide="ignore", invalid="ignore"):
            t = ((c - s) @ n) / denom
        q = s + t[..., None] * d
        nv, nu = self.panel.shape
        pv, pu = self.panel.pitch
        i = (q - c) @ np.asarray(self.panel.u) / pu + (nu - 1) / 2.0
        j = (q - c) @ np.asarray(self.panel.v) / pv + (nv - 1) / 2.0
        return np.stack([j, i], axis=-1)

    def to_dict(self) -> dict:
        """JSON-ready record: ``{"source": [x, y, z], "panel": {"shape", "pitch", "center",
        "u", "v"}}`` (mm); :meth:`from_dict` rebuilds the view."""
        p = self.panel
        return {"source": list(self.source),
                "panel": {"shape": list(p.shape), "pitch": list(p.pitch),
                          "center": list(p.center), "u": list(p.u), "v": list(p.v)}}

    @classmethod
    def from_dict(cls, record: dict, *, name: str = "view") -> View:
        """The view of a :meth:`to_dict` record; a malformed one is a one-line ValueError
        naming ``name``."""
        try:
            p = record["panel"]
            panel = FlatPanel(shape=tuple(p["shape"]), pitch=tuple(p["pitch"]),
                              center=tuple(p["center"]), u=tuple(p["u"]), v=tuple(p["v"]))
            return cls(source=tuple(record["source"]), panel=panel)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{name} is malformed (missing or bad {exc})") from None

    def __repr__(self):
        return f"View(source={self.source!r}, panel={self.panel!r})"


def views_to_arrays(views) -> dict[str, np.ndarray]:
    """Flatten a scan into the float64 arrays the ray-tracing kernels read.

    Parameters
    ----------
    views : View or sequence of View
        All panels must have the same ``shape``.

    Returns
    -------
    dict
        ``source`` ``(n, 3)``, ``corner`` ``(n, 3)`` (centre of pixel ``[0, 0]``),
        ``du`` ``(n, 3)`` and ``dv`` ``(n, 3)`` (one pixel step along u and v), all mm, and
        ``shape`` ``(nv, nu)``.
    """
    if isinstance(views, View):
        views = [views]
    views = list(views)
    if not views:
        raise ValueError("views must contain at least one View, got an empty sequence")
    for k, view in enumerate(views):
        if not isinstance(view, View):
            raise TypeError(f"views[{k}] must be a View, got {type(view).__name__}")
    shape = views[0].panel.shape
    for k, view in enumerate(views):
        if view.panel.shape != shape:
            raise ValueError(f"all panels must have the same shape; views[0] has {shape}, "
                             f"views[{k}] has {view.panel.shape}")
    n = len(views)
    src = np.empty((n, 3))
    corner = np.empty((n, 3))
    du = np.empty((n, 3))
    dv = np.empty((n, 3))
    nv, nu = shape
    for k, view in enumerate(views):
        p = view.panel
        du[k] = np.asarray(p.u) * p.pitch[1]
        dv[k] = np.asarray(p.v) * p.pitch[0]
        corner[k] = np.asarray(p.center) - (nu - 1) / 2.0 * du[k] - (nv - 1) / 2.0 * dv[k]
        src[k] = view.source
    return {"source": src, "corner": corner, "du": du, "dv": dv, "shape": shape}
