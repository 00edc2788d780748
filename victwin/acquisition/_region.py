"""Lesion-local acquisition: the box the readers need, and the detector pixels each view needs.

A :class:`Region` is a box in the phantom's world frame (mm, ``(x, y, z)``): a DM ROI's or a
DBT VOI's support around a lesion site. :func:`plan_region` turns it into one sub-panel per
view -- the pixels of the full (binned) panel that the box projects onto, plus margins for
what spreads signal across pixels -- all of one shape, each a :class:`FlatPanel` with the
full panel's pitch and axes and a shifted centre, so the ray tracer and
:func:`victwin.acquisition.simulate_view` run unchanged on the crop.

Margins (pixels of the read-out panel, on each side):

* the aperture: every pixel whose area touches the box's projection (its 8 corners), plus one
  pixel so that bilinear sampling (ROI centring, voxel-driven backprojection) stays inside;
* the detector's light spread (indirect detectors): ``ceil(8 s / pitch) + 1``, the support
  over which the exponential light spread is applied (``victwin.physics`` pads by as much);
  a-Se (direct) has none. Binning needs none: crops lie on the binned lattice;
* DBT only, along the scan axis: the reconstruction filter's reach,
  :data:`DBT_FILTER_MARGIN_MM` (measured error budget in ``tests/acquisition/test_region.py``).
  Pixels beyond it are filled with the coarse full-field pass's line integrals when the
  crops are laid out for reconstruction (:meth:`Acquisition.reconstruction_input`).

Margins are clipped at the panel's edges; the full-field run meets the same edges (the
light spread reflects there and the FBP filter zero-pads there), so clipping costs nothing.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from victwin.geometry import FlatPanel, View

__all__ = ["Region", "RegionRecord", "plan_region", "region_noise", "DBT_FILTER_MARGIN_MM",
           "strip_panel", "strip_layout"]

#: Margin (mm, each side, along the DBT scan axis) kept for the FBP filter: the ramp's
#: kernel decays as 1/n^2, so what lies farther from the VOI's shadow changes its FBP values
#: by less than the budget (0.5 % of the VOI's standard deviation), given that the strip beyond
#: the crop holds the coarse pass's line integrals (``Acquisition.strip_fill``). Measured on the
#: tests' 40 mm heterogeneous slab, 0.51 mm pixels, 9 mm VOI, full-field pixels cropped with
#: margin M (NOTES.md): rms error / VOI std with the coarse fill 1.21 % at 0 mm, 0.79 % at 1,
#: 0.46 % at 2, 0.29 % at 3, 0.17 % at 6, 0.03 % at 12; with edge repetition instead 5.9 %,
#: 2.3 %, 3.1 %, 3.1 %, 0.47 %, 0.32 % (the old default was 12 mm with edge repetition).
#: tests/acquisition/test_region.py::test_filter_margin_budget re-checks it.
#: At VICTRE fidelity (case 0 of examples/demo-victre.toml: 0.1 mm windows, 85 um, victre-dbt,
#: 4 sites, noise-free, one ray per pixel; ``benchmarks/dbt_filter_margin.py``) against a
#: 12 mm margin, the worst VOI's relative RMS difference (issue 14's measure, limit 1 %) is
#: 3.7e-4 at 6 mm, 1.02e-3 at 3 mm, 1.38e-3 at 2 mm, 2.8e-3 at 0.5 mm (a calcification-sized
#: VOI; 2.5-3.4 % of its standard deviation at 3 mm); against the full strip (every row traced
#: fine) 8.8e-4 at 4 mm, 1.15e-3 at 3 mm, 1.51e-3 at 2 mm. Rule: the smallest margin whose
#: worst relative RMS stays at least 10x under the 1 % limit (<= 1e-3). No smaller margin
#: qualifies; 3 mm is 8.7x under the limit and is kept; 4 mm would clear the rule (+9-14 %
#: DBT rays; the lead's call: NOTES.md, "crop margins and lesion-local cost").
DBT_FILTER_MARGIN_MM = 3.0

#: Extra pixels around the aperture's footprint (bilinear sampling at the box's edge).
_SAMPLING_PX = 1


@dataclass(frozen=True)
class Region:
    """A box in world coordinates (mm) whose images a reader needs.

    Parameters
    ----------
    lower_mm, upper_mm : (x, y, z), mm
        Opposite corners; ``upper_mm > lower_mm`` on every axis.
    filter_margin_mm : float, mm, optional
        DBT: margin along the scan axis for the reconstruction filter (default
        :data:`DBT_FILTER_MARGIN_MM`); ignored for single-view scans.
    """

    lower_mm: tuple
    upper_mm: tuple
    filter_margin_mm: float | None = None

    def __post_init__(self):
        for name in ("lower_mm", "upper_mm"):
            try:
                v = tuple(float(c) for c in getattr(self, name))
            except (TypeError, ValueError):
                raise ValueError(f"region {name} must be 3 numbers (x, y, z) in mm, got "
                                 f"{getattr(self, name)!r}") from None
            if len(v) != 3 or not all(math.isfinite(c) for c in v):
                raise ValueError(f"region {name} must be 3 finite numbers (x, y, z) in mm, got "
                                 f"{getattr(self, name)!r}")
            object.__setattr__(self, name, v)
        if not all(h > lo for lo, h in zip(self.lower_mm, self.upper_mm)):
            raise ValueError(f"region is empty: upper_mm must exceed lower_mm on every axis, got "
                             f"lower_mm={self.lower_mm}, upper_mm={self.upper_mm}")
        if self.filter_margin_mm is not None:
            m = float(self.filter_margin_mm)
            if not (math.isfinite(m) and m >= 0):
                raise ValueError(f"region filter_margin_mm must be a number >= 0, got "
                                 f"{self.filter_margin_mm!r}")
            object.__setattr__(self, "filter_margin_mm", m)

    @classmethod
    def around(cls, center_mm, size_mm, **kw) -> Region:
        """The box of ``size_mm`` (one number or (x, y, z)) centred on ``center_mm``."""
        c = np.asarray(center_mm, dtype=float)
        s = np.broadcast_to(np.asarray(size_mm, dtype=float), (3,))
        return cls(tuple(c - s / 2), tuple(c + s / 2), **kw)

    @property
    def corners_mm(self) -> np.ndarray:
        """The 8 corners, ``(8, 3)`` mm."""
        (x0, y0, z0), (x1, y1, z1) = self.lower_mm, self.upper_mm
        return np.array([[x, y, z] for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)])

    def key(self) -> int:
        """A stable 32-bit key of the box (micrometre-rounded corners), for noise streams."""
        um = [int(round(c * 1000)) for c in self.lower_mm + self.upper_mm]
        return zlib.crc32(",".join(map(str, um)).encode())

    def to_dict(self) -> dict:
        return {"lower_mm": list(self.lower_mm), "upper_mm": list(self.upper_mm),
                "filter_margin_mm": self.filter_margin_mm}


@dataclass(frozen=True)
class RegionRecord:
    """Where a lesion-local acquisition's images lie in the full panel.

    Attributes
    ----------
    region : Region
    full_panel : FlatPanel
        The (binned) panel a full-field run reads out.
    offsets : tuple of (row, column)
        Index in ``full_panel`` of each view's pixel ``[0, 0]``.
    shape : (nv, nu)
        Shape of every view's crop.
    scan_axis : int
        -2 (rows) or -1 (columns): the axis along which the DBT sources move (-2 for DM).
    margins_px : dict
        Margins used ("aperture", "spread", "filter"), pixels on each side.
    fill_block : (m, row0, col0, hc, wc) or None
        DBT: where ``Acquisition.strip_fill`` lies, in coarse pixels (``m x m`` panel pixels)
        of the full panel; None: the strip is filled by repeating each crop's edge.
    """

    region: Region
    full_panel: FlatPanel
    offsets: tuple
    shape: tuple
    scan_axis: int
    margins_px: dict
    fill_block: tuple | None = None

    def to_dict(self) -> dict:
        p = self.full_panel
        return {"region": self.region.to_dict(), "offsets": [list(o) for o in self.offsets],
                "shape": list(self.shape), "scan_axis": self.scan_axis,
                "margins_px": dict(self.margins_px),
                "fill_block": None if self.fill_block is None else list(self.fill_block),
                "full_panel": {"shape": list(p.shape), "pitch": list(p.pitch),
                               "center": list(p.center), "u": list(p.u), "v": list(p.v)}}

    @classmethod
    def from_dict(cls, d: dict) -> RegionRecord:
        r, p = d["region"], d["full_panel"]
        return cls(region=Region(tuple(r["lower_mm"]), tuple(r["upper_mm"]),
                                 r.get("filter_margin_mm")),
                   full_panel=FlatPanel(shape=tuple(p["shape"]), pitch=tuple(p["pitch"]),
                                        center=tuple(p["center"]), u=tuple(p["u"]),
                                        v=tuple(p["v"])),
                   offsets=tuple(tuple(int(x) for x in o) for o in d["offsets"]),
                   shape=tuple(int(x) for x in d["shape"]), scan_axis=int(d["scan_axis"]),
                   margins_px={k: int(v) for k, v in d["margins_px"].items()},
                   fill_block=(None if d.get("fill_block") is None
                               else tuple(int(x) for x in d["fill_block"])))


def sub_panel(panel: FlatPanel, row0: int, col0: int, shape) -> FlatPanel:
    """The pixels ``[row0:row0 + nv, col0:col0 + nu]`` of ``panel`` as a panel of their own."""
    nv, nu = panel.shape
    h, w = int(shape[0]), int(shape[1])
    dj = row0 + (h - 1) / 2.0 - (nv - 1) / 2.0
    di = col0 + (w - 1) / 2.0 - (nu - 1) / 2.0
    center = (np.asarray(panel.center) + di * panel.pitch[1] * np.asarray(panel.u)
              + dj * panel.pitch[0] * np.asarray(panel.v))
    return FlatPanel(shape=(h, w), pitch=panel.pitch, center=tuple(center), u=panel.u,
                     v=panel.v)


def scan_axis_of(views) -> int:
    """-1 if the sources spread most along the panel's ``u`` (columns), else -2 (rows)."""
    panel = views[0].panel
    src = np.array([v.source for v in views]) - np.asarray(panel.center)
    return -1 if np.ptp(src @ np.asarray(panel.u)) > np.ptp(src @ np.asarray(panel.v)) else -2


def _check_slab(region: Region, lo_z: float, thickness_mm: float) -> None:
    hi_z = lo_z + thickness_mm
    z0, z1 = region.lower_mm[2], region.upper_mm[2]
    tol = 1e-6
    if z1 - z0 > thickness_mm + tol:
        raise ValueError(f"region is taller than the breast: z {z0:g}..{z1:g} mm "
                         f"({z1 - z0:g} mm) but the compressed breast is {thickness_mm:g} mm "
                         f"(z {lo_z:g}..{hi_z:g} mm)")
    if z0 < lo_z - tol or z1 > hi_z + tol:
        raise ValueError(f"region must lie inside the breast slab z {lo_z:g}..{hi_z:g} mm, got "
                         f"z {z0:g}..{z1:g} mm")


def plan_region(region: Region, views, system, *, thickness_mm: float,
                support_mm: float | None) -> tuple[tuple[View, ...], RegionRecord]:
    """Per-view sub-panels for ``region``: ``(sub_views, record)``.

    Raises a one-line ValueError naming the rule for a region outside the detector in some
    view, or (``support_mm`` given: breast imaging) outside or taller than the compressed
    breast, ``support_mm`` to ``support_mm + thickness_mm`` above the detector.
    """
    if not isinstance(region, Region):
        raise TypeError(f"region must be a victwin.acquisition.Region, got "
                        f"{type(region).__name__}")
    panel = views[0].panel
    if support_mm is not None:  # breast imaging: the box must lie in the compressed breast
        _check_slab(region, float(panel.center[2]) + support_mm, thickness_mm)
    nv, nu = panel.shape
    multi = len(views) > 1
    axis = scan_axis_of(views) if multi else -2
    det = system.detector
    spread = 0
    if det.kind == "indirect" and det.light_spread_mm > 0:
        spread = int(math.ceil(8 * det.light_spread_mm / panel.pitch[1])) + 1
    margin = region.filter_margin_mm if region.filter_margin_mm is not None \
        else DBT_FILTER_MARGIN_MM
    pitch_axis = panel.pitch[0] if axis == -2 else panel.pitch[1]
    filt = int(math.ceil(margin / pitch_axis)) if multi else 0
    pad = [_SAMPLING_PX + spread, _SAMPLING_PX + spread]
    pad[axis + 2] += filt
    spans = []
    for k, view in enumerate(views):
        if view.panel != panel:
            raise ValueError("lesion-local acquisition needs one fixed detector for all views")
        ji = view.project(region.corners_mm)
        if not np.all(np.isfinite(ji)):
            raise ValueError(f"region projects outside the detector in view {k} (a corner does "
                             f"not reach the panel)")
        jmin, imin = ji.min(axis=0)
        jmax, imax = ji.max(axis=0)
        if jmin < -0.5 or imin < -0.5 or jmax > nv - 0.5 or imax > nu - 0.5:
            raise ValueError(f"region projects outside the detector in view {k}: rows "
                             f"{jmin:.1f}..{jmax:.1f}, columns {imin:.1f}..{imax:.1f} of a "
                             f"{nv} x {nu} panel")
        j0, j1 = int(math.floor(jmin + 0.5)), int(math.floor(jmax + 0.5))
        i0, i1 = int(math.floor(imin + 0.5)), int(math.floor(imax + 0.5))
        spans.append((j0, min(j1, nv - 1), i0, min(i1, nu - 1)))
    h = min(nv, max(s[1] - s[0] for s in spans) + 1 + 2 * pad[0])
    w = min(nu, max(s[3] - s[2] for s in spans) + 1 + 2 * pad[1])
    offsets, sub_views = [], []
    for view, (j0, j1, i0, i1) in zip(views, spans):
        r0 = int(np.clip((j0 + j1) // 2 - (h - 1) // 2, 0, nv - h))
        c0 = int(np.clip((i0 + i1) // 2 - (w - 1) // 2, 0, nu - w))
        offsets.append((r0, c0))
        sub_views.append(View(source=view.source, panel=sub_panel(panel, r0, c0, (h, w))))
    record = RegionRecord(region=region, full_panel=panel, offsets=tuple(offsets),
                          shape=(h, w), scan_axis=axis,
                          margins_px={"aperture": _SAMPLING_PX, "spread": spread,
                                      "filter": filt})
    return tuple(sub_views), record


def region_noise(seed: int, case: int, system_name: str, view_index: int, region: Region):
    """The noise stream of one view of a lesion-local run.

    ``PCG64(SeedSequence([seed, case, crc32(system), view, 1, region.key()]))``: independent
    of the full-field stream of the same view (which has 4 words) and of other regions', the
    same whenever the same region is re-run. Per-pixel statistics equal the full field's
    (same expected signal, same detector model); the values are not the full-field bytes.
    """
    entropy = [int(seed), int(case), zlib.crc32(str(system_name).encode("utf-8")),
               int(view_index), 1, int(region.key())]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def strip_panel(record: RegionRecord) -> tuple[FlatPanel, int, int]:
    """The panel reconstruction lays a region's views out on: the full length along the scan
    axis, the union of the crops across it. Returns ``(panel, first, last)``: the cross-axis
    index range ``first:last`` of the full panel it spans."""
    full = record.full_panel
    across = 1 if record.scan_axis == -2 else 0
    starts = [o[across] for o in record.offsets]
    first, last = min(starts), max(starts) + record.shape[across]
    if across == 1:
        return sub_panel(full, 0, first, (full.shape[0], last - first)), first, last
    return sub_panel(full, first, 0, (last - first, full.shape[1])), first, last


def strip_layout(line_integrals, views, record: RegionRecord, fill=None, *, xp=np) -> tuple:
    """Each view's crop laid out on the :func:`strip_panel`: ``(float32 [n_views,
    *strip.shape], views on the strip)``. Outside its crop a view's strip holds ``fill``
    (``Acquisition.strip_fill``: coarse line integrals on ``record.fill_block``, read
    bilinearly at the strip's pixel centres) or, without it, the crop's edge values. ``xp``:
    the result's array module (CuPy: laid out on the GPU from the uploaded crops and fill)."""
    panel, first, _ = strip_panel(record)
    h, w = record.shape
    crops = xp.asarray(line_integrals)
    out = xp.empty((len(views),) + panel.shape, xp.float32)
    if fill is not None:
        m, fr0, fc0, _, _ = record.fill_block
        rows = np.arange(panel.shape[0]) + (first if record.scan_axis == -1 else 0)
        cols = np.arange(panel.shape[1]) + (first if record.scan_axis == -2 else 0)
        jj = (rows + 0.5) / m - 0.5 - fr0
        ii = (cols + 0.5) / m - 0.5 - fc0
        out[...] = _bilinear_grid(xp.asarray(np.asarray(fill, np.float64)), jj, ii, xp=xp)
    for k, (r0, c0) in enumerate(record.offsets):
        if record.scan_axis == -2:
            top, left = r0, c0 - first
        else:
            top, left = r0 - first, c0
        if fill is None:
            pad = ((top, panel.shape[0] - top - h), (left, panel.shape[1] - left - w))
            out[k] = xp.pad(crops[k], pad, mode="edge")
        else:
            out[k, top:top + h, left:left + w] = crops[k]
    return out, tuple(View(source=v.source, panel=panel) for v in views)


def _bilinear_grid(image, jj, ii, *, xp=np):
    """``scipy.ndimage.map_coordinates(image, meshgrid(jj, ii), order=1, mode="nearest")``
    for the rectilinear points ``jj x ii`` (pixel coordinates) of the last two axes of
    ``image`` (leading axes: a stack, e.g. views), as two 1-D linear interpolations (the same
    weights, coordinates clamped to the image): first along rows on the small coarse image,
    then along columns. The strip fill of a 25-view DBT region cost 0.44 s in
    map_coordinates on the GPU node's host, 0.13 s in four full-size gathers (NOTES.md).
    The weights are computed on the host; ``image`` and the result are arrays of ``xp``."""
    def axis(c, n):
        c = np.clip(c, 0.0, n - 1)
        i0 = np.minimum(np.floor(c).astype(np.int64), max(n - 2, 0))
        return i0, np.minimum(i0 + 1, n - 1), (c - i0)

    j0, j1, ty = (xp.asarray(a) for a in axis(np.asarray(jj, np.float64), image.shape[-2]))
    i0, i1, tx = (xp.asarray(a) for a in axis(np.asarray(ii, np.float64), image.shape[-1]))
    rows = image[..., j0, :] * (1.0 - ty[:, None]) + image[..., j1, :] * ty[:, None]
    return rows[..., i0] * (1.0 - tx) + rows[..., i1] * tx
