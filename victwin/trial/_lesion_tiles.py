"""Lesion-present windows with the lesions in finer tiles (``resolution.lesion_voxel_mm``).

VICTRE rasterises its lesions at 50 um; a lesion-local trial at 0.1 mm keeps them at 50 um
this way: the lesion-present version of a site's window is the lesion-free window (numbering
its materials as the lesion-present twin) with every lesion that reaches into it set in a
tile of ``lesion_voxel_mm`` voxels (:func:`victwin.phantom.lesion_tiles`); the acquisition
traces the window with the tiles' boxes dropped plus the tiles
(:func:`victwin.acquisition.acquire_regions` ``tiles=``), which equals a trace of the window
split into ``lesion_voxel_mm`` voxels everywhere with the lesions inserted there. The
lesion-absent version and the coarse full-field pass (its lesions at the coarse voxels) are
unchanged.
"""

from __future__ import annotations

import numpy as np

__all__ = ["tiled_windows", "lesion_boxes_mm"]


def tiled_windows(twins, boxes, tile_mm: float):
    """The lesion-present windows of ``boxes`` with their lesion tiles.

    Parameters
    ----------
    twins : victwin.trial._local.LocalTwins
        The case's lesion-local twins (``lesion_models``: every lesion in insertion order).
    boxes : sequence of world boxes (mm), one per region
    tile_mm : float
        The tiles' voxel size (a whole divisor of the windows').

    Returns
    -------
    (windows, tiles, summary)
        The windows (preset applied, the lesion-present twin's material table and lesion
        records, the lesion-free labels); per window a list of tiles (preset applied) or None
        when no lesion reaches it; and ``{"tiles": n, "tile_voxels": n}``.
    """
    from victwin.phantom import lesion_tiles
    from victwin.systems import get_preset

    preset = get_preset(twins.spec.preset)
    raw_table = dict(twins.prepared.materials)       # victwin's names, before the preset
    windows, tiles = [], []
    summary = {"tiles": 0, "tile_voxels": 0}
    for w in twins.windows("absent", boxes):
        raw = w.replace(materials=raw_table)
        ts = lesion_tiles(raw, twins.lesion_models, tile_mm=tile_mm)
        if ts and ts[0].materials != twins.materials:   # both number the labels in one order
            raise RuntimeError(f"lesion tiles number their materials {ts[0].materials}, the "
                               f"lesion-present twin {twins.materials}")
        windows.append(preset.apply(raw.replace(materials=dict(twins.materials),
                                                lesions=twins.lesion_records)))
        tiles.append([preset.apply(t) for t in ts] or None)
        summary["tiles"] += len(ts)
        summary["tile_voxels"] += sum(int(t.labels.size) for t in ts)
    return windows, tiles, summary


def lesion_boxes_mm(lesion_models, pad_mm: float) -> list:
    """World boxes ``((x0, y0, z0), (x1, y1, z1))`` (mm) holding each lesion's whole patch,
    padded by ``pad_mm`` (one window voxel covers the tile's rounding out to window voxels).

    A tile splits the window's labels in its box and inserts the lesion there with the
    forbidden-overlap check of :func:`victwin.phantom.insert_lesion`; a window labelled only
    where its region's rays reach (``plan_windows(reach=)``) holds air elsewhere, which that
    check would refuse (a spiculated mass whose spicules leave the ROI's ray cone, or a
    neighbouring site's lesion reaching into the window). Adding these boxes to every
    window's reach labels the tissue under every lesion; voxels no ray reads change no byte.
    """
    boxes = []
    for model, center in lesion_models:
        half = (np.asarray(model.patch.shape[::-1], float) + 1) / 2 * model.voxel_mm + pad_mm
        c = np.asarray(center, float)
        boxes.append((tuple(float(v) for v in c - half), tuple(float(v) for v in c + half)))
    return boxes
