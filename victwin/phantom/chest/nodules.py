"""Lung nodules as seen in lung-cancer screening, and their placement away from the pleura.

Types and sizes are drawn from published screening series:

* type (solid / part-solid / ground-glass): the Early Lung Cancer Action Project's baseline
  CT screening, 233 positive results: 19 % subsolid, 7 % part-solid and 12 % nonsolid, the
  rest (81 %) solid (Henschke CI et al. AJR 2002;178:1053-1057, abstract);
* diameter (4-30 mm): NLST, in 64 % of positive screens (11,598 of 18,141) the largest nodule
  was 7 mm or less (positive = at least 4 mm) (Gierada DS et al. J Natl Cancer Inst
  2014;106:dju284, abstract). The diameter is drawn from an exponential distribution truncated
  to [4, 30] mm (30 mm: the upper size of a nodule; larger is a mass, Fleischner glossary,
  Hansell DM et al. Radiology 2008;246:697-722) whose scale is solved so that
  P(d <= 7 mm) = 0.64, the one NLST figure this model matches;
* margin (smooth / lobulated / spiculated): NLST nodules as read by NLST radiologists, whose
  margin categories are smooth, poorly defined, spiculated and unable to determine; of 89
  NLST test-set nodules, 73 smooth, 10 poorly defined, 4 spiculated, 3 undetermined (Table 2
  of "High precision localization of pulmonary nodules on chest CT utilizing axial slice
  number labels", BMC Med Imaging 2021, doi:10.1186/s12880-021-00594-4). The undetermined are
  left out; NLST has no "lobulated" class, so its "poorly defined" share is given to this
  model's only non-smooth, non-spiculated margin (lobulated): a mapping choice, not a
  measurement. 87 nodules: a small series (95 % CI of the spiculated share about 1-11 %);
  ``margin_fractions`` overrides it;
* ground-glass attenuation: pure ground-glass nodules measure about -600 to -700 HU against
  about -850 HU for lung (e.g. Lee JH et al. PLoS One 2018;13:e0205490 use -600 HU-type
  thresholds); painted with the material ``"ground_glass"``, 25 % soft tissue by volume in
  the twins' parenchyma (:data:`GGO_FILL`; ``victwin.physics``). In the twins the lung is
  the parenchyma between the painted vessels (material ``"lung_parenchyma"``, 0.141 g/cm3,
  -861 HU at 70 keV; soft tissue +18 HU), so a ground-glass nodule reads
  -861 + 0.25 * (18 + 861) = -641 HU (``tests/phantom/test_chest_lung_density.py``). Before
  2026-12-03 the twins' lung was ICRU 46's whole lung (0.26 g/cm3, -742 HU) and the same fill
  gave -552 HU, denser than the cited range. Until 2026-12-03 (fourth session) the fill was a
  dither (25 % of the voxels soft tissue, the rest left lung), which on 2-4 mm grids left a
  small ground-glass nodule with few or no voxels; the mixed material fills every voxel.

Nodules are voxelised here (a star-shaped body with lobes; spicules as thin capsules) into a
:class:`victwin.phantom.lesions.LesionModel` and placed by :func:`place_nodule` at a lung point
at least ``pleura_margin_mm`` plus the nodule's radius from any non-lung tissue (a distance
transform of the lung mask), then inserted with :func:`victwin.phantom.lesions.insert_lesion`.

What a nodule replaces (since 2026-12-03): only the aerated lung (the parenchyma label,
:data:`NODULE_REPLACES`); the vessels (blood) and airway walls it engulfs keep their labels,
and its centre lies in parenchyma, not in a vessel (a candidate centre on any other voxel is
redrawn). Ground-glass opacity is hazy increased attenuation "that does not obscure bronchial
and vascular margins" (Fleischner glossary, Hansell DM et al. Radiology 2008;246:697-722), so
vessels run on through the ground-glass part of a nodule. A solid nodule does obscure them,
because blood and the nodule's tissue attenuate alike: both are 1.06 g/cm3 here (ICRU 46
blood; ``"mass"``, VICTRE's mass density), so keeping the blood under a solid nodule changes
no density; it avoids the composition swap that made a nodule painted over a vessel 1.2 % less
attenuating than the vessel at 70 keV (Hammerstein glandular vs ICRU 46 blood), which on a
4 mm grid, where a 6 mm nodule is one voxel, gave a nodule centred on a vessel a negative
signal. So a nodule never lowers the attenuation of any voxel, and a solid or part-solid one
raises it at its centre.
"""

from __future__ import annotations

import math

import numpy as np

from .._phantom import LUNG_MATERIALS
from .raster import paint_capsules

__all__ = ["NODULE_TYPES", "NODULE_MARGINS", "TYPE_FRACTIONS", "MARGIN_FRACTIONS",
           "P_AT_MOST_7MM",
           "SIZE_RANGE_MM", "size_scale_mm", "draw_nodule_parameters", "lung_nodule",
           "place_nodule", "place_nodule_sites", "projected_radius_mm", "SITE_TRIES",
           "NODULE_REPLACES"]

NODULE_TYPES = ("solid", "part-solid", "ground-glass")
NODULE_MARGINS = ("smooth", "lobulated", "spiculated")
#: Henschke et al. 2002 (ELCAP baseline): 81 % solid, 7 % part-solid, 12 % nonsolid.
TYPE_FRACTIONS = {"solid": 0.81, "part-solid": 0.07, "ground-glass": 0.12}
#: Gierada et al. 2014 (NLST): largest nodule <= 7 mm in 11,598 / 18,141 positive screens.
P_AT_MOST_7MM = 11598 / 18141
SIZE_RANGE_MM = (4.0, 30.0)
#: NLST margins (BMC Med Imaging 2021, Table 2): smooth 73, poorly defined 10 (-> lobulated),
#: spiculated 4 of 87 nodules with a determined margin.
MARGIN_COUNTS = {"smooth": 73, "lobulated": 10, "spiculated": 4}
MARGIN_FRACTIONS = {k: v / sum(MARGIN_COUNTS.values()) for k, v in MARGIN_COUNTS.items()}
#: Soft tissue's volume fraction in a ground-glass voxel (material ``"ground_glass"``; the
#: physics' ``GROUND_GLASS_SOFT_TISSUE_FRACTION``, which a test holds equal to this).
GGO_FILL = 0.25
#: The host materials a nodule's voxels replace (the aerated lung); vessels and airway walls
#: under it stay (Hansell et al. 2008, see the module docstring).
NODULE_REPLACES = LUNG_MATERIALS


def _truncexp_cdf(d, scale, lo=SIZE_RANGE_MM[0], hi=SIZE_RANGE_MM[1]):
    return (1.0 - math.exp(-(d - lo) / scale)) / (1.0 - math.exp(-(hi - lo) / scale))


def size_scale_mm() -> float:
    """Scale (mm) of the truncated exponential with P(d <= 7 mm) = 0.639 (bisection)."""
    a, b = 0.1, 50.0
    for _ in range(100):
        m = 0.5 * (a + b)
        if _truncexp_cdf(7.0, m) > P_AT_MOST_7MM:
            a = m
        else:
            b = m
    return 0.5 * (a + b)


_SCALE = size_scale_mm()


def draw_nodule_parameters(rng, *, diameter_mm=None, nodule_type=None, margin=None,
                           margin_fractions=None) -> dict:
    """Diameter (mm), type, margin and (part-solid) solid-core fraction of one nodule."""
    lo, hi = SIZE_RANGE_MM
    if diameter_mm is None:
        u = rng.random()
        diameter_mm = lo - _SCALE * math.log(1.0 - u * (1.0 - math.exp(-(hi - lo) / _SCALE)))
    d = float(diameter_mm)
    if not math.isfinite(d) or not lo <= d <= hi:
        raise ValueError(f"nodule diameter_mm must be in [{lo:g}, {hi:g}], got {diameter_mm!r}")
    if nodule_type is None:
        names = list(TYPE_FRACTIONS)
        nodule_type = names[int(rng.choice(len(names), p=list(TYPE_FRACTIONS.values())))]
    if nodule_type not in NODULE_TYPES:
        raise ValueError(f"nodule_type must be one of {NODULE_TYPES}, got {nodule_type!r}")
    if margin is None:
        p = np.asarray(margin_fractions or [MARGIN_FRACTIONS[m] for m in NODULE_MARGINS],
                       float)
        margin = NODULE_MARGINS[int(rng.choice(3, p=p / p.sum()))]
    if margin not in NODULE_MARGINS:
        raise ValueError(f"nodule margin must be one of {NODULE_MARGINS}, got {margin!r}")
    # part-solid: solid component 30-70 % of the diameter (model choice)
    solid = float(rng.uniform(0.3, 0.7)) if nodule_type == "part-solid" else (
        1.0 if nodule_type == "solid" else 0.0)
    return {"diameter_mm": d, "nodule_type": nodule_type, "margin": margin,
            "solid_fraction": solid}


def _star(shape_n, voxel, radius_fn):
    """Boolean patch ``[z, y, x]`` of ``|p| <= radius_fn(unit direction)``."""
    c = (shape_n - 1) / 2.0
    ax = (np.arange(shape_n) - c) * voxel
    z, y, x = np.meshgrid(ax, ax, ax, indexing="ij")
    r = np.sqrt(x * x + y * y + z * z)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.stack([x, y, z], axis=-1) / np.maximum(r, 1e-9)[..., None]
    return r <= radius_fn(u)


def lung_nodule(rng=None, *, diameter_mm=None, nodule_type=None, margin=None,
                voxel_mm: float = 0.5, margin_fractions=None):
    """A screening-type lung nodule as a :class:`~victwin.phantom.lesions.LesionModel`.

    Parameters not given are drawn (:func:`draw_nodule_parameters`). Materials: solid core
    ``"mass"``; every other envelope voxel ``"ground_glass"`` (soft tissue at a volume
    fraction :data:`GGO_FILL` in parenchyma). ``size_mm`` is the envelope's equivalent
    diameter.
    """
    from ..lesions import LesionModel

    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if not (isinstance(voxel_mm, (int, float)) and 0.02 <= voxel_mm <= 2.0):
        raise ValueError(f"voxel_mm must be in [0.02, 2] mm, got {voxel_mm!r}")
    prm = draw_nodule_parameters(rng, diameter_mm=diameter_mm, nodule_type=nodule_type,
                                 margin=margin, margin_fractions=margin_fractions)
    R = 0.5 * prm["diameter_mm"]
    # lobes: a few bumps on the sphere (lobulated: deep, smooth: shallow)
    depth = {"smooth": 0.04, "lobulated": 0.18, "spiculated": 0.08}[prm["margin"]]
    n_lobes = int(rng.integers(3, 7))
    dirs = rng.normal(size=(n_lobes, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    amp = rng.uniform(0.5, 1.0, n_lobes) * depth

    def radius(u, s=1.0):
        bump = np.zeros(u.shape[:-1])
        for dvec, a in zip(dirs, amp):
            bump += a * np.clip(u @ dvec, 0.0, None) ** 4
        return s * R * (1.0 - 0.5 * depth + bump)

    spic_len = 0.9 * R if prm["margin"] == "spiculated" else 0.0
    half = int(math.ceil((R * (1.0 + depth) + spic_len) / voxel_mm)) + 2
    n = 2 * half + 1
    envelope = _star(n, voxel_mm, radius)
    if spic_len > 0:
        # 8-16 spicules radiating from the surface, tapering (Fleischner: spiculation = strands
        # radiating from the margin)
        k = int(rng.integers(8, 17))
        u = rng.normal(size=(k, 3))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        segs = []
        c = half * voxel_mm
        for v in u:
            L = spic_len * rng.uniform(0.5, 1.0)
            a = c + v * 0.8 * R
            b = c + v * (R + L)
            segs.append((*a, *b, max(0.35 * R * 0.25, 0.6 * voxel_mm), 0.5 * voxel_mm))
        spic = np.zeros((n, n, n), np.uint8)
        from ...geometry import Grid

        g = Grid(shape=(n, n, n), spacing=(voxel_mm,) * 3, origin=(0.0, 0.0, 0.0))
        paint_capsules(spic, g, np.asarray(segs), 1)
        envelope |= spic.astype(bool)
    patch = np.zeros(envelope.shape, np.uint8)
    if prm["nodule_type"] == "solid":
        patch[envelope] = 1
        materials = ("mass",)
    else:
        patch[envelope] = 2
        if prm["nodule_type"] == "part-solid":
            core = _star(n, voxel_mm, lambda uu: radius(uu, prm["solid_fraction"]))
            patch[core] = 1
        materials = ("mass", "ground_glass")
        if not (patch == 1).any():
            patch[patch == 2] = 1
            materials = ("ground_glass",)
    env_d = (6.0 * np.count_nonzero(envelope) * voxel_mm ** 3 / math.pi) ** (1.0 / 3.0)
    info = {**prm, "target_diameter_mm": prm["diameter_mm"], "ggo_fill": GGO_FILL}
    if not patch.any():
        patch[half, half, half] = 1
    return LesionModel("nodule", patch, materials, float(voxel_mm), env_d, info)


#: Spacing (mm) of the sub-lattice on which a nodule's distance to the pleura is computed.
LATTICE_MM = 2.0


def lattice_step(voxel_mm: float) -> int:
    """Voxels per step of the ~:data:`LATTICE_MM` sub-lattice of a twin of ``voxel_mm`` (mm)
    voxels on which :func:`place_nodule` measures the distance to the pleura."""
    return max(1, int(round(LATTICE_MM / float(voxel_mm))))


#: Voxels of the largest slab :func:`edt_mm` turns from feature indices into distances at once.
_EDT_SLAB_VOXELS = 1 << 21


def edt_mm(mask, sampling_mm) -> np.ndarray:
    """Euclidean distance (mm, float64) of each voxel of ``mask`` to the nearest ``False``
    voxel, with voxel sides ``sampling_mm``: ``scipy.ndimage.distance_transform_edt``'s
    values, bit for bit, at ~20 instead of ~50 bytes per voxel. SciPy turns its int32 feature
    transform into distances with three whole-volume copies (the index grid, its difference
    and a float64 copy of all three axes: 0.55 GB for a 1 mm adult chest's 2 mm lattice,
    NOTES.md "the chest plan's memory"); here the same float64 operations, in the same order
    (per axis: difference, times the sampling, squared; the axes summed in order; the square
    root), run slab by slab."""
    from scipy import ndimage

    mask = np.asarray(mask)
    sampling = np.asarray(sampling_mm, dtype=np.float64)
    if mask.ndim == 0 or sampling.shape != (mask.ndim,):
        raise ValueError(f"sampling_mm needs one value per axis of a {mask.ndim}-d mask")
    ft = ndimage.distance_transform_edt(mask, sampling=sampling, return_distances=False,
                                        return_indices=True)
    out = np.empty(mask.shape, np.float64)
    rest = int(np.prod(mask.shape[1:], dtype=np.int64))
    slab = max(1, _EDT_SLAB_VOXELS // max(1, rest))
    for z0 in range(0, mask.shape[0], slab):
        z1 = min(z0 + slab, mask.shape[0])
        acc = None
        for ax in range(mask.ndim):
            shape = [1] * mask.ndim
            shape[ax] = -1
            at = np.arange(z0, z1) if ax == 0 else np.arange(mask.shape[ax])
            d = (ft[ax, z0:z1] - at.astype(np.int32).reshape(shape)).astype(np.float64)
            d *= sampling[ax]
            np.multiply(d, d, d)
            acc = d if acc is None else np.add(acc, d, out=acc)
        np.sqrt(acc, out=out[z0:z1])
    return out


def _lung_distance(phantom):
    """Distance (mm) of each point of a ~2 mm sub-lattice of the twin from non-lung tissue
    (blood in the lung counts as lung, the heart does not), and the sub-lattice step."""
    from scipy import ndimage

    lung_labels = [k for k, m in phantom.materials.items() if m in (*LUNG_MATERIALS, "blood")]
    g = phantom.grid
    step = lattice_step(g.spacing[0])                      # distances on a ~2 mm grid
    lab = phantom.labels[::step, ::step, ::step]
    lung = np.isin(lab, lung_labels)
    # blood inside the lung counts as lung (vessels may run through a nodule); the heart does
    # not: keep the components touching parenchyma only
    lung &= ndimage.binary_dilation(np.isin(lab, [k for k, m in phantom.materials.items()
                                                   if m in LUNG_MATERIALS]), iterations=2)
    return edt_mm(lung, [s * step for s in g.spacing]), step


def _insert_nodule(phantom, model, centre):
    """``insert_lesion`` of a nodule centred on a parenchyma voxel, replacing parenchyma only
    (:data:`NODULE_REPLACES`); a ``ValueError`` when the centre voxel is not parenchyma."""
    from ..lesions import insert_lesion

    idx = tuple(np.rint(phantom.grid.world_to_index(np.asarray(centre, float))).astype(int))
    inside = all(0 <= i < n for i, n in zip(idx, phantom.labels.shape))
    under = phantom.materials.get(int(phantom.labels[idx])) if inside else None
    if under not in NODULE_REPLACES:
        raise ValueError(f"center_mm={tuple(centre)!r} is on {under!r}, not lung parenchyma")
    return insert_lesion(phantom, model, center_mm=centre, only_over=NODULE_REPLACES)


def place_nodule(phantom, model, rng, *, pleura_margin_mm: float = 10.0):
    """Insert ``model`` at a random lung point at least its radius + ``pleura_margin_mm``
    from any non-lung tissue, centred on parenchyma (not in a vessel), replacing only
    parenchyma; returns ``(phantom, lesion)`` as ``insert_lesion`` does."""
    g = phantom.grid
    dist, step = _lung_distance(phantom)
    need = 0.5 * model.size_mm + pleura_margin_mm
    cand = np.flatnonzero(dist.ravel() >= need)
    if cand.size == 0:
        raise ValueError(f"no lung point lies {need:.1f} mm from the pleura for a "
                         f"{model.size_mm:.1f} mm nodule")
    for _ in range(50):
        k = int(cand[int(rng.integers(cand.size))])
        idx = np.array(np.unravel_index(k, dist.shape)) * step
        centre = g.index_to_world(idx[None, :].astype(float))[0]
        try:
            return _insert_nodule(phantom, model, tuple(float(v) for v in centre))
        except ValueError:
            continue
    raise ValueError("could not place the nodule in 50 tries (every candidate was in a vessel "
                     "or overlapped an airway or bone)")


#: Candidate centres tried per nodule of :func:`place_nodule_sites` (as the breast sites:
#: VICTRE's 2000 tries per lesion, ``victwin.phantom.placement.MAX_TRIES``).
SITE_TRIES = 2000


def projected_radius_mm(model, center_mm, view, voxel_mm: float) -> float:
    """Radius (detector mm) of the smallest disc about the projection of ``center_mm`` that
    holds the projection of every voxel of ``model``'s patch placed there (each voxel grown
    by half the diagonal of the larger of its and the phantom's ``voxel_mm`` voxels: the
    patch is resampled onto the phantom's grid). Magnified: the points are projected from
    ``view``'s focal spot onto its panel."""
    patch = np.asarray(model.patch)
    n = np.asarray(patch.shape, float)
    zyx = (np.argwhere(patch > 0) - (n - 1) / 2.0) * model.voxel_mm
    pts = np.asarray(center_mm, float) + zyx[:, ::-1]
    pitch = np.asarray(view.panel.pitch, float)
    c = view.project(np.asarray(center_mm, float)) * pitch
    p = view.project(pts) * pitch
    grow = 0.5 * math.sqrt(3.0) * max(float(model.voxel_mm), float(voxel_mm))
    # the magnification at the nodule: a point grow mm off the centre across the ray
    s = np.asarray(view.source, float)
    ray = np.asarray(center_mm, float) - s
    e = np.cross(ray, [0.0, 0.0, 1.0] if abs(ray[2]) < 0.9 * np.linalg.norm(ray)
                 else [1.0, 0.0, 0.0])
    e /= np.linalg.norm(e)
    mag = float(np.linalg.norm(view.project(np.asarray(center_mm, float) + e) * pitch - c))
    return float(np.sqrt(((p - c) ** 2).sum(axis=1)).max()) + grow * mag


def place_nodule_sites(phantom, models, rng, *, view, roi_side_mm, pleura_margin_mm: float = 10.0,
                       max_tries: int = SITE_TRIES):
    """Insert several nodules into a chest twin, none in another's ROI (``cohort.sites``).

    Each nodule goes to a lung point at least its radius + ``pleura_margin_mm`` from any
    non-lung tissue (as :func:`place_nodule`), centred on parenchyma and where it fits
    (``insert_lesion`` refuses an airway, bone or an earlier nodule under it; a centre in a
    vessel is refused here: the candidate is redrawn, as the breast sites' lesion-fit rule),
    replacing parenchyma only (:data:`NODULE_REPLACES`), and so that in ``view`` (the first
    modality's PA view) no ROI holds another nodule: for every ordered pair (i, j) the
    projected centres lie at least ``roi_side_mm[i] / sqrt(2) + r_j`` apart (detector mm;
    the ROI's half diagonal, and nodule j's :func:`projected_radius_mm`). Nodules with the
    largest ROI are placed first (the hardest to fit); each is redrawn up to ``max_tries``
    times.

    Parameters
    ----------
    phantom : Phantom
        The lesion-free chest twin.
    models : sequence of LesionModel
    rng : numpy.random.Generator
        Draws the candidate centres.
    view : victwin.geometry.View
    roi_side_mm : sequence of float, detector mm
        The ROI side each nodule is read with.

    Returns
    -------
    (phantom, lesions)
        The twin with every nodule, and their records in the order of ``models``.

    Raises
    ------
    ValueError
        One line naming ``sites.nodule``: a nodule that no lung point can hold, or one not
        placed in ``max_tries`` tries.
    """
    models = list(models)
    sides = [float(s) for s in roi_side_mm]
    if len(sides) != len(models):
        raise ValueError(f"roi_side_mm has {len(sides)} values for {len(models)} nodules")
    g = phantom.grid
    vox = float(max(g.spacing))      # each voxel grown by the larger voxel side
    dist, step = _lung_distance(phantom)
    pitch = np.asarray(view.panel.pitch, float)
    order = sorted(range(len(models)), key=lambda k: -sides[k])
    present, records = phantom, [None] * len(models)
    placed = []                                           # (index, projected centre, radius)
    for n_done, k in enumerate(order):
        model = models[k]
        need = 0.5 * model.size_mm + pleura_margin_mm
        cand = np.flatnonzero(dist.ravel() >= need)
        if cand.size == 0:
            raise ValueError(f"sites.nodule: no lung point lies {need:.1f} mm from the pleura "
                             f"for nodule {k + 1} ({model.size_mm:.1f} mm)")
        for _ in range(int(max_tries)):
            at = int(cand[int(rng.integers(cand.size))])
            idx = np.array(np.unravel_index(at, dist.shape)) * step
            centre = tuple(float(v) for v in g.index_to_world(idx[None, :].astype(float))[0])
            p = view.project(np.asarray(centre)) * pitch
            r = None
            clear = True
            for j, q, r_j in placed:
                d = float(np.hypot(*(p - q)))
                if d < sides[k] / math.sqrt(2.0) + r_j:
                    clear = False
                    break
                if r is None:
                    r = projected_radius_mm(model, centre, view, vox)
                if d < sides[j] / math.sqrt(2.0) + r:
                    clear = False
                    break
            if not clear:
                continue
            try:
                new, record = _insert_nodule(present, model, centre)
            except ValueError:
                continue
            present, records[k] = new, record
            placed.append((k, p, projected_radius_mm(model, centre, view, vox) if r is None
                           else r))
            break
        else:
            raise ValueError(f"sites.nodule: could not place nodule {n_done + 1} of "
                             f"{len(models)} ({model.size_mm:.1f} mm; in lung {pleura_margin_mm:g}"
                             f" mm inside the pleura, clear of airways, bone and the other "
                             f"nodules' ROIs) in {int(max_tries)} tries: ask for fewer sites")
    return present, records
