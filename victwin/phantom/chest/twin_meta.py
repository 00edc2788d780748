"""A chest twin's ``meta`` record (:func:`.builder.make_chest`): recipe, body, thorax, cavity,
spine, ribs, outline and landmarks in world mm, which :mod:`.measure` reads. Moved out of
:mod:`.builder` on 2026-12-06 (issue-19tlc25) to keep it under 600 lines."""

from __future__ import annotations

from .aortic_root import ascending_aorta
from .mediastinum import aortic_knob
from .pulmonary_trunk import pulmonary_arteries
from .raster import Frame

__all__ = ["chest_meta"]


def _aorta_meta(f: Frame, cav, sp, hila, th) -> list:
    """The ascending aorta's valve, curve control point and top (world mm) and radius (mm)."""
    aa = ascending_aorta(cav, sp, hila, aortic_knob(cav, sp, th.body.sex, th.trachea_mm),
                         th.body.sex, th.body.age_years, th.trachea_mm, bsa_m2=cav.bsa_m2,
                         height_cm=th.body.height_cm)
    return [f.world(*p).tolist() for p in (aa.valve, aa.bow, aa.top)] + [aa.r]


def chest_meta(rec: dict, seed: int, voxel_mm: float, body, th, t, f: Frame, hila,
               paths: list, n_airways: int, n_vessels: int, label_names: dict) -> dict:
    """The phantom's ``meta``: recipe, seed, voxel (mm), body, thorax, cavity, spine, ribs and
    outline records, ``zc_mm`` and landmarks in world mm (:mod:`~.measure` reads them)."""
    cav, sp = t.cav, t.sp
    return {
        "recipe": rec["name"], "kind": "chest", "seed": int(seed), "voxel_mm": voxel_mm,
        "view": "chest PA", "label_names": {str(k): v for k, v in label_names.items()},
        "body": body.to_dict(), "thorax": th.to_dict(),
        "detector_gap_mm": rec["detector_gap_mm"],
        "cavity": {k: (list(v) if isinstance(v, tuple) else v)
                   for k, v in cav.__dict__.items()},
        "spine": {"tops": list(sp.tops), "pitches": list(sp.pitches), "widths": list(sp.widths),
                  "depths": list(sp.depths), "front_zd": sp.front_zd, "bodies": list(sp.bodies)},
        "ribs": [{"rib": p["rib"], "side": p["side"], "head_y": p["head_y"],
                  "end_y": p["end_y"]} for p in paths],
        "costal_cartilage_calcified": bool(paths[0].get("cartilage_calcified", False)),
        "outline": {k: (list(v) if isinstance(v, tuple) else v)
                    for k, v in t.ol.__dict__.items()},
        "zc_mm": f.zc,
        "scapulae": t.placement.meta(f.world),
        "n_branches": {"airways": int(n_airways), "vessels": int(n_vessels)},
        "anatomy_mm": {
            "lung_apex_y": cav.y_apex, "costophrenic_y": cav.y_low,
            "heart_center": f.world(*cav.heart_c).tolist(),
            "spine_center_x": 0.0,
            "vertebral_body_center_z": sp.centre_zd(sp.level("T6")) + f.zc,
            "carina": f.world(*hila.carina).tolist(),
            "hila": [f.world(*hila.artery[0]).tolist(), f.world(*hila.artery[1]).tolist()],
            "aortic_knob": f.world(*aortic_knob(cav, sp, th.body.sex,
                                                th.trachea_mm)[:3]).tolist(),
            "pulmonary_trunk": [f.world(*p).tolist() for p in
                                pulmonary_arteries(cav, sp, hila, th.body.sex).points()],
            "ascending_aorta": _aorta_meta(f, cav, sp, hila, th),
        },
    }
