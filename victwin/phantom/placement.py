"""Lesion sites of a patient twin: where its lesions go and where its lesion-absent ROIs are read.

VICTRE put several sites in each compressed breast phantom: 4 calcification clusters and 4
spiculated masses (``VICTRE/Lesion Insertion/lesionInsertion.py``, "up to 8 lesions per
phantom", order C,C,C,C,M,M,M,M, lines ~360-375) and 12 lesion-absent ROIs read from the
phantom without lesions, half of them calcification-sized and half mass-sized
(``VICTRE/ROI Extraction/roiExtraction_mammo_SA.py``, ``totnumROI`` = 12, ``myhalfnum``,
lines ~187-201 of that file). Its rules, followed here:

* a site's centre is drawn at random from the breast's glandular tissue (VICTRE drew it from
  breastPhantom's list of TDLU positions, ``p_<seed>.loc`` written at ``breastPhantom.cxx``
  line 3266, compressed to ``pc_<seed>.loc``: glandular by construction; victwin's TDLUs are few
  in fatty twins, so any glandular voxel is a candidate);
* the site's box may not hold air, skin (the nipple is skin), muscle or bone
  (``lesionInsertion.py`` lines 260-300 check the lesion cube for air 0, skin 2, nipple 33,
  muscle 40; victwin checks the whole ROI/VOI box, which holds the lesion);
* its centre is at least 5.75 mm from the chest wall (``limit_chestX_vox`` = 115 voxels of
  0.05 mm, ``VICTRE Configuration Files and Parameters/LesionInsertion/Readme.md``);
* sites do not overlap in projection (``lesionInsertion.py`` lines ~330-380: the distance of a
  new centre from the ray through the focal spot and each earlier lesion must exceed the
  lesions' size). victwin asks more: the projected boxes of the readers' ROIs/VOIs (not just
  the lesions) of any two sites, present or absent, are disjoint, so no ROI sees another site;
* the box lies inside the compressed thickness (a DBT VOI is read from slices of the breast);
* the lesion itself clears forbidden tissue, the grid and earlier lesions (``fits``: the
  trial checks the lesion it will insert; ``lesionInsertion.py`` checks the lesion's cube the
  same way before it accepts a location): a spiculated mass reaches beyond its ROI box.

Sites are drawn with a seeded generator: the same phantom, counts and seed give the same sites.
The breast may be given as a built phantom or as a :class:`~victwin.phantom.PreparedBreast`
(``victwin.phantom.prepare``) and a voxel size: then only the voxels the rules read are
labelled (a 1 mm sub-lattice for the area, each candidate's centre voxel and box), and the sites
are the same as on the built phantom.
Units: mm; points ``(x, y, z)`` in the phantom's world frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Site", "place_sites", "CHEST_WALL_MARGIN_MM", "FORBIDDEN_SITE_MATERIALS"]

#: Least distance (mm) of a site's centre from the chest wall (x = 0): VICTRE's
#: ``limit_chestX_vox`` = 115 voxels at 0.05 mm (LesionInsertion/Readme.md, last argument).
CHEST_WALL_MARGIN_MM = 115 * 0.05

#: Materials a site's box may not contain (VICTRE's FORBIDDEN_OVERLAP: air, skin, nipple,
#: muscle; bone for chest twins).
FORBIDDEN_SITE_MATERIALS = frozenset({"air", "skin", "muscle", "bone"})

#: Candidate centres tried per site before giving up (VICTRE: 2000 tries per lesion).
MAX_TRIES = 2000


@dataclass(frozen=True)
class Site:
    """One site of a twin: a lesion (``truth = 1``) or a lesion-absent ROI (``truth = 0``).

    Attributes
    ----------
    kind : str
        The lesion kind ("mass", "calcification") or "absent".
    roi_kind : str
        The lesion kind whose ROI/VOI size the site is read with ("mass", "calcification").
    center_mm : (x, y, z), mm
    size_mm : (x, y, z), mm
        The ROI/VOI box the readers need around the centre.
    """

    kind: str
    roi_kind: str
    center_mm: tuple
    size_mm: tuple

    @property
    def truth(self) -> int:
        return 0 if self.kind == "absent" else 1

    @property
    def lower_mm(self) -> tuple:
        return tuple(c - s / 2 for c, s in zip(self.center_mm, self.size_mm))

    @property
    def upper_mm(self) -> tuple:
        return tuple(c + s / 2 for c, s in zip(self.center_mm, self.size_mm))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "roi_kind": self.roi_kind, "truth": self.truth,
                "center_mm": [float(v) for v in self.center_mm],
                "size_mm": [float(v) for v in self.size_mm]}


def _footprint(lower, upper, source_mm):
    """The (x0, y0, x1, y1) rectangle a box casts on the detector plane z = 0 (mm)."""
    (x0, y0, z0), (x1, y1, z1) = lower, upper
    if source_mm is None:
        return x0, y0, x1, y1
    s = np.asarray(source_mm, float)
    c = np.array([[x, y, z] for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)])
    t = s[2] / (s[2] - c[:, 2])
    p = s[:2] + (c[:, :2] - s[:2]) * t[:, None]
    return p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()


class _BuiltLabels:
    """The labels of a built phantom, read as sub-lattices."""

    def __init__(self, phantom):
        self.grid = phantom.grid
        self.materials = phantom.materials
        meta = getattr(phantom, "meta", {}) or {}
        self.support_mm = meta.get("support_mm")
        self.thickness_mm = meta.get("thickness_mm")
        self._labels = phantom.labels

    def lattice(self, lo, hi, step=1):
        return self._labels[lo[0]:hi[0]:step, lo[1]:hi[1]:step, lo[2]:hi[2]:step]

    def any_of(self, table) -> bool:
        return bool(table[self._labels].any())


class _PreparedLabels:
    """The labels of a prepared breast at one voxel size, generated where they are read."""

    def __init__(self, prepared, voxel_mm):
        self._prepared = prepared
        self._vox = prepared.voxel_mm(voxel_mm)
        self.grid = prepared.grid(self._vox)
        self.materials = prepared.materials
        self.support_mm = prepared.support_mm
        self.thickness_mm = prepared.thickness_mm

    def lattice(self, lo, hi, step=1):
        # numpy's slicing rules: bounds clipped to the grid, an empty box is empty
        shape = np.asarray(self.grid.shape)
        lo = np.clip(np.asarray(lo, np.int64), 0, shape)
        hi = np.clip(np.asarray(hi, np.int64), 0, shape)
        if np.any(hi <= lo):
            return np.zeros(np.maximum(hi - lo, 0), np.uint8)
        return self._prepared.lattice(lo, hi, step=step, voxel_mm=self._vox)

    def any_of(self, table) -> bool:
        nz = self.grid.shape[0]
        for z0 in range(0, nz, 16):
            if table[self.lattice((z0, 0, 0), (min(nz, z0 + 16), *self.grid.shape[1:]))].any():
                return True
        return False


def _label_source(phantom, voxel_mm):
    from ._prepared import PreparedBreast

    if isinstance(phantom, PreparedBreast):
        return _PreparedLabels(phantom, voxel_mm)
    if voxel_mm is not None:
        raise ValueError("place_sites: voxel_mm is for a PreparedBreast; a built phantom has "
                         "its own voxels")
    return _BuiltLabels(phantom)


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _requests(counts: dict, box_mm: dict) -> list[tuple[str, str]]:
    """(kind, roi_kind) of every site, biggest boxes first (they are the hardest to fit)."""
    for key, n in counts.items():
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"sites.{key} must be an integer >= 0, got {n!r}")
        if key != "absent" and key not in box_mm:
            raise ValueError(f"sites.{key}: no ROI box size given for {key!r} "
                             f"(box_mm has {sorted(box_mm)})")
    lesion_kinds = sorted((k for k in counts if k != "absent"),
                          key=lambda k: -float(np.prod(box_mm[k])))
    n_absent = int(counts.get("absent", 0))
    if n_absent and not lesion_kinds:
        raise ValueError("sites.absent needs at least one lesion kind to take its ROI size from")
    # lesion-absent ROIs are shared out over the lesion kinds' ROI sizes as evenly as they go
    # (VICTRE: 12 = 6 calcification-sized + 6 mass-sized); the smaller size gets the odd one
    absent_of = {k: n_absent // len(lesion_kinds) for k in lesion_kinds} if lesion_kinds else {}
    for k in sorted(lesion_kinds, key=lambda k: float(np.prod(box_mm[k])))[
            :n_absent - sum(absent_of.values())]:
        absent_of[k] += 1
    out = []
    for k in lesion_kinds:
        out += [(k, k)] * int(counts[k])
    for k in lesion_kinds:
        out += [("absent", k)] * absent_of[k]
    if not out:
        raise ValueError("sites: ask for at least one site")
    return out


def place_sites(phantom, counts: dict, box_mm: dict, *, rng, source_mm=None,
                host: str = "glandular", chest_wall_mm: float = CHEST_WALL_MARGIN_MM,
                max_tries: int = MAX_TRIES, accept=None, fits=None, voxel_mm=None) -> list[Site]:
    """Draw the sites of a twin: lesion sites and lesion-absent ROI sites, without overlap.

    Parameters
    ----------
    phantom : victwin.phantom.Phantom or victwin.phantom.PreparedBreast
        The lesion-free breast (labels, grid, materials; ``meta['thickness_mm']`` and
        ``meta['support_mm']`` give the compressed slab), or a prepared breast whose voxels at
        ``voxel_mm`` are labelled only where the rules read them: the sites equal those placed
        on ``prepared.make(voxel_mm)`` with the same arguments.
    counts : dict
        Sites per kind, e.g. ``{"mass": 4, "calcification": 4, "absent": 12}`` (VICTRE).
    box_mm : dict
        Lesion kind -> ROI/VOI box ``(x, y, z)`` in mm the readers need around a site of that
        kind (e.g. ``(9.265, 9.265, 9.0)`` for a mass read in 9 slices of 1 mm).
    rng : numpy.random.Generator or int
    source_mm : (x, y, z), mm, optional
        The projection's focal spot (detector at z = 0): sites' boxes may not overlap in its
        projection. Default: their (x, y) columns may not overlap (a parallel projection).
    host : str
        Material the centre must lie in.
    chest_wall_mm : float, mm
        Least x of a centre (the chest wall is x = 0).
    max_tries : int
        Candidate centres tried per site.
    accept : callable, optional
        A further rule, ``accept(lower_mm, upper_mm) -> bool`` on a candidate box (e.g. that
        it projects inside the detector in every view of the trial's systems).
    fits : callable, optional
        The last rule, ``fits(index, kind, center_mm) -> bool`` on a candidate that passed all
        others: ``index`` is the site's position in the returned list. The ROI/VOI box is
        checked here, but a spiculated mass reaches beyond it (VICTRE's masses span 10-15 mm
        against a 9.3 x 9.3 x 9 mm box), so the trial checks that the lesion it will insert
        at the centre clears forbidden tissue and the grid, as VICTRE's
        ``lesionInsertion.py`` does before it accepts a location. Called once per candidate,
        in order; a ``True`` is final (the site is placed).
    voxel_mm : float, mm, optional
        The voxel size of a prepared breast's grid (default: its recipe's); only with a
        ``PreparedBreast``.

    Returns
    -------
    list of Site
        Lesion sites first (biggest box first), then lesion-absent sites.

    Raises
    ------
    ValueError
        One line naming the ``sites.<kind>`` key: a box taller than the breast, a count whose
        boxes cannot fit the breast's projected area, or a site not placed in ``max_tries``.
    """
    rng = np.random.default_rng(rng)
    requests = _requests(dict(counts), {k: tuple(float(v) for v in s) for k, s in box_mm.items()})
    src = _label_source(phantom, voxel_mm)
    grid = src.grid
    spacing = np.asarray(grid.spacing_xyz, float)
    origin = np.asarray(grid.origin, float)
    shape_xyz = np.asarray(grid.shape[::-1])
    lo_world = origin - spacing / 2
    hi_world = lo_world + shape_xyz * spacing
    support = float(lo_world[2] if src.support_mm is None else src.support_mm)
    thickness = float(hi_world[2] - support if src.thickness_mm is None else src.thickness_mm)
    z_lo, z_hi = support, support + thickness

    step = max(1, int(round(1.0 / float(spacing.min()))))      # ~1 mm is enough for an area
    ok = np.ones(256, dtype=bool)
    is_host = np.zeros(256, dtype=bool)
    for lab, name in src.materials.items():
        ok[int(lab)] = name not in FORBIDDEN_SITE_MATERIALS
        is_host[int(lab)] = name == host
    for lab in range(256):
        if lab not in src.materials:
            ok[lab] = False
    sub = src.lattice((0, 0, 0), grid.shape, step)                 # a ~1 mm sub-lattice
    if not is_host[sub].any() and not src.any_of(is_host):
        raise ValueError(f"place_sites: the phantom has no {host!r} tissue to put sites in")

    # up-front: the boxes' projected area against the breast's (the densest packing of
    # squares cannot beat the area the breast covers)
    coarse = ok[sub].any(axis=0)
    breast_area = float(np.count_nonzero(coarse)) * (step * spacing[0]) * (step * spacing[1])
    need = 0.0
    for kind, roi_kind in requests:
        size = box_mm[roi_kind]
        if size[2] > thickness:
            raise ValueError(f"sites.{kind}: the {roi_kind} ROI box is {size[2]:g} mm tall but "
                             f"the compressed breast is {thickness:.1f} mm thick")
        fp = _footprint((0, 0, z_hi - size[2]), (size[0], size[1], z_hi), source_mm)
        need += (fp[2] - fp[0]) * (fp[3] - fp[1])
    if need > breast_area:
        raise ValueError(f"sites.{requests[-1][0]}: {len(requests)} sites need "
                         f"{need:.0f} mm^2 of non-overlapping ROI footprints but the breast "
                         f"covers {breast_area:.0f} mm^2; ask for fewer sites")

    placed: list[Site] = []
    footprints = []
    half_vox = spacing / 2
    for n_done, (kind, roi_kind) in enumerate(requests):
        size = np.asarray(box_mm[roi_kind], float)
        # the box, grown by half a voxel (a lesion snapped to the voxel grid stays inside)
        grow = size / 2 + half_vox
        found = None
        for _ in range(int(max_tries)):
            c_idx = rng.integers(0, shape_xyz)                      # (i, j, k) along x, y, z
            at = c_idx[::-1]
            if not is_host[src.lattice(at, at + 1)[0, 0, 0]]:
                continue
            c = origin + c_idx * spacing
            if c[0] < chest_wall_mm:
                continue
            lower, upper = c - grow, c + grow
            if lower[2] < z_lo or upper[2] > z_hi:
                continue
            if np.any(lower < lo_world) or np.any(upper > hi_world):
                continue
            fp = _footprint(c - size / 2, c + size / 2, source_mm)
            if any(_overlaps(fp, other) for other in footprints):
                continue
            if accept is not None and not accept(tuple(lower), tuple(upper)):
                continue
            i0 = np.floor((lower - lo_world) / spacing).astype(int)[::-1]
            i1 = np.ceil((upper - lo_world) / spacing).astype(int)[::-1]
            # every 4th voxel first: a forbidden voxel there rejects the box cheaply
            if not ok[src.lattice(i0, i1, 4)].all() or not ok[src.lattice(i0, i1)].all():
                continue
            if fits is not None and not fits(n_done, kind, tuple(float(v) for v in c)):
                continue
            found = c
            break
        if found is None:
            made = {}
            for s in placed:
                made[s.kind] = made.get(s.kind, 0) + 1
            done = ", ".join(f"{k} {v}" for k, v in made.items()) or "none"
            raise ValueError(f"sites.{kind}: could not place site {n_done + 1} of "
                             f"{len(requests)} (a {roi_kind}-sized box in {host} tissue, clear "
                             f"of skin, muscle, the chest wall and the other sites"
                             f"{', its lesion too' if fits is not None else ''}) in "
                             f"{int(max_tries)} tries; placed {done}: ask for fewer sites")
        footprints.append(_footprint(found - size / 2, found + size / 2, source_mm))
        placed.append(Site(kind=kind, roi_kind=roi_kind,
                           center_mm=tuple(float(v) for v in found),
                           size_mm=tuple(float(v) for v in size)))
    return placed


def footprint_mm(site: Site, source_mm=None) -> tuple:
    """The rectangle ``(x0, y0, x1, y1)`` (mm, detector plane) a site's box casts."""
    return tuple(float(v) for v in _footprint(site.lower_mm, site.upper_mm, source_mm))
