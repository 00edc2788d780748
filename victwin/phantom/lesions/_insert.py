"""Insertion of a lesion model into a phantom: :func:`insert_lesion`.

It pastes a :class:`LesionModel` into a :class:`~victwin.phantom.Phantom` at a given centre or
at a random one inside a host tissue, and returns the new phantom and the lesion record. Only
voxels under the lesion's own mask change, so the phantoms with and without the lesion differ
only inside the lesion's bounding box.

A window phantom (``make(..., window_mm=)``, ``meta["window"]``) takes the part of the lesion
it holds: inserting at a given centre into a window gives the crop of inserting it into the
whole phantom, at a cost in proportion to the window.
"""

from __future__ import annotations

import numpy as np

from victwin._json import jsonable

from .._phantom import LUNG_MATERIALS
from ._model import FORBIDDEN_MATERIALS, LESION_MATERIALS, LesionModel, check_rng

__all__ = ["insert_lesion"]


def _resample_patch(model: LesionModel, spacing_zyx) -> np.ndarray:
    """The model's patch on a grid of voxel size ``spacing_zyx`` (nearest neighbour), with an
    odd size on every axis so that its centre falls on a voxel."""
    sp = np.asarray(spacing_zyx, float)
    if np.allclose(sp, model.voxel_mm, rtol=1e-6, atol=0.0):
        return np.asarray(model.patch)
    n_in = np.asarray(model.patch.shape)
    half_mm = 0.5 * (n_in - 1) * model.voxel_mm
    half_out = np.maximum(np.ceil(half_mm / sp - 1e-9).astype(int), 0)
    out_axes = [(np.arange(2 * h + 1) - h) * s for h, s in zip(half_out, sp)]
    if model.kind == "calcification" and np.all(sp > model.voxel_mm):
        # every calcification voxel marks the coarse voxel it falls in, so that no
        # calcification disappears when a fine cluster goes into a coarse phantom
        out = np.zeros([len(a) for a in out_axes], np.uint8)
        nz = np.argwhere(model.patch)
        pos = (nz - (n_in - 1) / 2) * model.voxel_mm
        k = np.clip(np.rint(pos / sp).astype(int) + half_out, 0, 2 * half_out)
        out[k[:, 0], k[:, 1], k[:, 2]] = model.patch[nz[:, 0], nz[:, 1], nz[:, 2]]
        return out
    idx = [np.clip(np.rint(a / model.voxel_mm + (n - 1) / 2).astype(int), 0, n - 1)
           for a, n in zip(out_axes, n_in)]
    return np.ascontiguousarray(model.patch[np.ix_(*idx)])


def _lesion_labels(phantom, model: LesionModel) -> list[int]:
    """Label for each of the model's materials: the label earlier lesions of the same material
    already use, else the next free label."""
    used = {les.label for les in phantom.lesions}
    extra = [les.extra.get("labels", []) for les in phantom.lesions]
    for e in extra:
        used.update(int(v) for v in e)
    out = []
    taken = set(phantom.materials)
    for name in model.materials:
        same = [lab for lab in sorted(used) if phantom.materials.get(lab) == name]
        if same:
            out.append(same[0])
            continue
        free = [lab for lab in range(1, 256) if lab not in taken]
        if not free:
            raise ValueError("phantom has no free label value (1..255) for a lesion")
        out.append(free[0])
        taken.add(free[0])
    return out


def _default_tissue(kind: str) -> str:
    return "lung" if kind == "nodule" else "glandular"



def _material_lut(phantom, names):
    """Bool lookup ``[256]`` over labels: True where the label's material is in ``names``;
    None when no label's is."""
    labels = [lab for lab, name in phantom.materials.items() if name in names]
    if not labels:
        return None
    lut = np.zeros(256, dtype=bool)
    lut[labels] = True
    return lut


def insert_lesion(phantom, lesion_model: LesionModel, *, center_mm=None, rng=None,
                  tissue: str | None = None, max_tries: int = 2000, only_over=None):
    """Insert a lesion into a phantom.

    Parameters
    ----------
    phantom : victwin.phantom.Phantom
    lesion_model : LesionModel
        From :func:`spiculated_mass`, :func:`calcification_cluster` or :func:`lung_nodule`;
        resampled (nearest neighbour) to the phantom's voxel size when they differ.
    center_mm : (x, y, z) floats, mm, optional
        World position of the lesion centre (snapped to the nearest voxel). When omitted, a
        centre is drawn at random on a voxel of the host ``tissue``.
    rng : numpy.random.Generator or int, optional
        Source of randomness for the placement.
    tissue : str, optional
        Host material for random placement; ``"glandular"`` for masses and calcifications,
        ``"lung"`` for nodules when omitted (``"lung"`` takes every material of
        ``victwin.phantom.LUNG_MATERIALS``).
    max_tries : int
        Number of candidate centres tried before giving up.
    only_over : sequence of str, optional
        Material names the lesion replaces; a voxel of any other material under its mask
        keeps its label (a lung nodule fills the aerated lung and leaves the vessels it
        engulfs: :mod:`victwin.phantom.chest.nodules`). Default: every voxel under the mask.

    Returns
    -------
    (Phantom, Lesion)
        The new phantom, whose labels differ from ``phantom.labels`` only under the lesion's
        mask, with the lesion's labels added to its material table and the record appended to
        its ``lesions``; and the lesion record (``kind``, ``center_mm``, ``size_mm``,
        ``label``; ``extra`` holds the bounding box, all labels used and generation details).

    Raises
    ------
    ValueError
        One line, when the lesion would cover air, skin, nipple, muscle, bone or another
        lesion, leave the grid, or when no such place is found in ``max_tries`` tries.

    Notes
    -----
    Window phantoms (``meta["window"]``, see :func:`victwin.phantom.make`): the lesion is
    placed on the whole grid (a centre is snapped as on the whole phantom, the lesion must fit
    the whole grid, ``extra["bbox_index_zyx"]`` is in whole-grid indices), but only the voxels
    the window holds are checked and painted; a lesion that misses the window leaves its labels
    as they are. The labels then equal the crop of the whole phantom's with the lesion, when
    the lesion fits the whole phantom (check that on the whole breast, e.g. with
    :func:`victwin.phantom.placement.place_sites` on a prepared breast). A random centre is
    drawn inside the window.

    As in the VICTRE pipeline (``Constants.FORBIDDEN_OVERLAP``) a lesion may not overlap air,
    skin (the nipple is skin), muscle or other lesions; bone is added for chest phantoms.
    """
    from .._phantom import Lesion, Phantom

    if not isinstance(phantom, Phantom):
        raise TypeError(f"phantom must be a victwin.phantom.Phantom, got {type(phantom).__name__}")
    if not isinstance(lesion_model, LesionModel):
        raise TypeError(f"lesion_model must be a LesionModel, got "
                        f"{type(lesion_model).__name__}")
    if int(max_tries) != max_tries or max_tries < 1:
        raise ValueError(f"max_tries must be a positive integer, got {max_tries!r}")
    rng = check_rng(rng)
    tissue = _default_tissue(lesion_model.kind) if tissue is None else str(tissue)

    patch = _resample_patch(lesion_model, phantom.grid.spacing)
    mask = patch > 0
    if not mask.any():
        raise ValueError(f"the {lesion_model.kind} ({lesion_model.size_mm:.2f} mm) covers no "
                         f"voxel of the phantom's {tuple(phantom.grid.spacing)} mm grid")
    half = (np.asarray(patch.shape) - 1) // 2
    shape = np.asarray(phantom.labels.shape)
    labels = phantom.labels
    # a window phantom: its voxel [0, 0, 0] is voxel `w_off` of the whole grid
    window = (phantom.meta or {}).get("window")
    w_off = np.asarray(window["index"] if window else (0, 0, 0), int)
    full_shape = np.asarray(window["full_shape"] if window else shape, int)

    lesion_labels = {les.label for les in phantom.lesions}
    for les in phantom.lesions:
        lesion_labels.update(int(v) for v in les.extra.get("labels", []))
    ok = np.ones(256, dtype=bool)
    for lab, name in phantom.materials.items():
        if name in FORBIDDEN_MATERIALS or name in LESION_MATERIALS or lab in lesion_labels:
            ok[lab] = False
    for lab in range(256):
        if lab not in phantom.materials:
            ok[lab] = False

    # a few mask voxels checked first reject most bad candidates cheaply
    offsets = np.argwhere(mask) - half
    probe = offsets[rng.permutation(len(offsets))[:64]]

    def held(c):
        """The slices of the window and of the mask where the lesion at ``c`` meets it."""
        lo, hi = c - half, c + half + 1
        wlo, whi = np.maximum(lo, 0), np.minimum(hi, shape)
        if np.any(whi <= wlo):
            return None, None
        return (tuple(slice(a, b) for a, b in zip(wlo, whi)),
                tuple(slice(a, b) for a, b in zip(wlo - lo, whi - lo)))

    def fits(c) -> str | None:
        lo, hi = c - half, c + half + 1
        if np.any(lo + w_off < 0) or np.any(hi + w_off > full_shape):
            return "the lesion would leave the phantom grid"
        p = probe + c
        p = p[np.all((p >= 0) & (p < shape), axis=1)]
        under = labels[p[:, 0], p[:, 1], p[:, 2]]
        if ok[under].all():
            win, part = held(c)
            under = labels[win][mask[part]] if win else under[:0]
        bad = ~ok[under]
        if bad.any():
            lab = int(under[bad][0])
            return (f"the lesion would cover label {lab} "
                    f"({phantom.materials.get(lab, 'unknown')})")
        return None

    if center_mm is not None:
        c_idx = np.rint(phantom.grid.world_to_index(np.asarray(center_mm, float))).astype(int)
        why = fits(c_idx)
        if why:
            raise ValueError(f"center_mm={tuple(center_mm)!r} cannot hold the "
                             f"{lesion_model.kind}: {why}")
    else:
        # "lung" takes every lung material (ICRU 46 lung, the chest twins' parenchyma)
        is_host = _material_lut(phantom, LUNG_MATERIALS if tissue == "lung" else (tissue,))
        if is_host is None:
            raise ValueError(f"tissue {tissue!r} is not a material of this phantom "
                             f"(materials: {sorted(set(phantom.materials.values()))})")
        # candidate centres: host voxels far enough from the grid edges, drawn at random
        lo_b, hi_b = half, shape - half - 1
        if np.any(hi_b < lo_b):
            raise ValueError(f"the {lesion_model.kind} ({patch.shape} voxels) is larger than "
                             f"the phantom grid {tuple(shape)}")
        c_idx = None
        n_draw = 0
        tries = 0
        while tries < int(max_tries) and n_draw < 200 * int(max_tries):
            cand = rng.integers(lo_b, hi_b + 1, size=(256, 3))
            n_draw += len(cand)
            cand = cand[is_host[labels[cand[:, 0], cand[:, 1], cand[:, 2]]]]
            for c in cand:
                tries += 1
                if fits(c) is None:
                    c_idx = c
                    break
                if tries >= int(max_tries):
                    break
            if c_idx is not None:
                break
        if c_idx is None:
            raise ValueError(f"could not place the {lesion_model.kind} inside {tissue!r} "
                             f"tissue in {int(max_tries)} tries (it must avoid air, skin, "
                             f"nipple, muscle, bone and other lesions)")

    new_labels = _lesion_labels(phantom, lesion_model)
    lo, hi = c_idx - half, c_idx + half + 1
    out = np.array(labels, copy=True)
    win, part = held(c_idx)
    if win is not None:
        region = out[win]
        sub, submask = patch[part], mask[part]
        if only_over is not None:
            names = {only_over} if isinstance(only_over, str) else set(only_over)
            host = _material_lut(phantom, names)
            if host is None:
                raise ValueError(f"only_over={sorted(names)} names no material of the phantom "
                                 f"({', '.join(sorted(set(phantom.materials.values())))})")
            submask = submask & host[region]
        lut = np.zeros(len(lesion_model.materials) + 1, np.uint8)
        lut[1:] = new_labels
        region[submask] = lut[sub[submask]]

    center = tuple(float(v) for v in phantom.grid.index_to_world(c_idx))
    bbox_lo = phantom.grid.index_to_world(lo) - 0.5 * phantom.grid.spacing_xyz
    bbox_hi = phantom.grid.index_to_world(hi - 1) + 0.5 * phantom.grid.spacing_xyz
    extra = {"material": lesion_model.materials[0], "labels": new_labels,
             "materials": list(lesion_model.materials),
             "bbox_index_zyx": [(lo + w_off).tolist(), (hi + w_off).tolist()],
             "bbox_mm": [bbox_lo.tolist(), bbox_hi.tolist()],
             "host_tissue": tissue if center_mm is None else None,
             **jsonable(lesion_model.info)}
    record = Lesion(kind=lesion_model.kind, center_mm=center,
                    size_mm=float(lesion_model.size_mm), label=new_labels[0], extra=extra)
    materials = {lab: name for lab, name in zip(new_labels, lesion_model.materials)}
    new = phantom.with_labels(out, materials=materials, lesions=(*phantom.lesions, record))
    return new, record
