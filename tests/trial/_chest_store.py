"""Synthetic finished chest trials for the analysis tests: a store whose cases carry the
chest attributes the cohort stage writes (``test_nodule_classes``, ``test_chest_sites``)."""

from __future__ import annotations

from victwin.trial import TrialStore, provenance_record


def chest_store(path, spec, n_cases: int):
    """A new store for ``spec`` with ``n_cases`` chest cases (ids 0..n-1, men of 60 years,
    175 cm, BMI 26) registered and none finished; returns ``(store, cases)``."""
    store = TrialStore(path, create=True)
    store.set_provenance(provenance_record(spec, backend="cpu", executor="test"))
    cases = [(cid, {"density": "n/a", "lesion": "nodule", "age_years": 60.0,
                    "recipe": "chest/adult", "phantom_seed": cid, "noise_seed": cid,
                    "sex": "male", "height_cm": 175.0, "bmi": 26.0})
             for cid in range(n_cases)]
    store.add_cases(cases)
    return store, cases


def two_site_store(path, spec, sizes, overlaps, *, n_px, pixel_mm, amps, spacing_mm,
                   roi_mm, mark=None):
    """A finished chest store: each case holds 2 nodule sites (``sizes[k]``,
    ``overlaps[k]``: the twin's two nodules' diameters, mm, and rib-overlap fractions,
    centres ``spacing_mm`` apart) and their lesion-absent pairs. Each ROI (``n_px`` square
    at ``pixel_mm``) is white noise (one seeded stream, modality by modality, site by site);
    a nodule ROI adds a disc of the nodule's diameter at amplitude ``amps[modality]``, then
    ``mark(img, site)`` when given (e.g. a neighbour's stand-in)."""
    import numpy as np

    store, cases = chest_store(path, spec, len(sizes))
    rng = np.random.default_rng(4)
    yy, xx = (np.mgrid[:n_px, :n_px] - n_px // 2) * pixel_mm
    for (cid, _), ds, fs in zip(cases, sizes, overlaps):
        sites = []
        for k in range(2):
            info = {"lesion_size_mm": float(ds[k]), "rib_overlap_fraction": float(fs[k]),
                    "nodule_type": "solid"}
            where = {"center_mm": [spacing_mm * k, 0.0, 150.0], "size_mm": [roi_mm, roi_mm, 9.0]}
            sites.append(dict(info, **where, name=f"s{k}", kind="nodule", roi_kind="nodule",
                              truth=1))
            sites.append(dict(info, **where, name=f"s{k + 2}", kind="absent",
                              roi_kind="nodule", truth=0, pair=f"s{k}"))
        arrays, mods = {}, {}
        for m, amp in amps.items():
            rois = {}
            for s in sites:
                img = rng.normal(size=(n_px, n_px))
                if s["truth"]:
                    img += amp * (yy ** 2 + xx ** 2 <= (0.5 * s["lesion_size_mm"]) ** 2)
                    if mark is not None:
                        mark(img, s)
                arrays[f"{m}/{s['name']}"] = img.astype(np.float32)
                rois[s["name"]] = {"center_index": [500, 500], "size_px": [n_px, n_px],
                                   "pixel_mm": pixel_mm, "shift_px": [0, 0]}
            mods[m] = {"roi": rois["s0"], "rois": rois,
                       "dose": {"entrance_air_kerma_mgy": 0.1}, "order": 0}
        store.commit_case(cid, arrays, {"modalities": mods, "phantom": {}, "sites": sites,
                                        "lesion": {"kind": "nodule", "size_mm": float(ds[0]),
                                                   "center_mm": [0.0, 0.0, 150.0],
                                                   "rib_overlap_fraction": float(fs[0])}},
                          {"roi": 0.0})
    return store
