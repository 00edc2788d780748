"""The rib endpoint of a reader that searches the whole PA film (pre-registered).

The plan is docs/phantoms/chest.md, "Pre-registered plan: a reader that
searches the film" (NOTES.md, session of 2026-12-05 (third)). This file holds its
**analysis** (:func:`search_rib_endpoint`), written and tested before any data exist, so that
nothing in it can be chosen after a result is seen, and its **generation stage** (written
after, to the plan: NOTES.md, session of 2026-12-05 (fourth)), which rebuilds the stored
run's test twins with the trial's own functions, images them full field and reads them::

    python benchmarks/chest_search_reader.py RUN_DIR [--workers N] [--cache DIR]
        [--twins N] [--out JSON]

1. :func:`read_stored_run`: the trial's own train / test split (checked against the stored
   analysis's test cases), each test nodule's stored size, centre, rib overlap fraction,
   classes, PA-full ROI centre index and shift, the run's lung zones and per-class AUC CIs;
2. :func:`fit_readers`: per size class, the CHO (``make_observer``: 5 Laguerre-Gauss
   channels, width 2/3 of the middle radius), NPWE (500 mm) and NPWE at 986 mm, each fitted
   once on all training ROIs of the class (present and absent) cropped as the trial crops
   them (``class_roi_px`` about the lesion's position);
3. per test twin (:func:`twin_task`, ``--workers`` processes, one file per twin in
   ``--cache``): :func:`regenerate_twin` (``case_sites``, the nodule check against the stored
   rows, stop on any difference; full-field ``acquire_version`` of both versions; one
   ``project_labels`` of the lesion-absent twin: the lung field and bone), then
   :func:`read_twin` (response maps, marks, LL per nodule, highest NL per film; the CHO
   scores of ROIs cut from the new films at the stored positions);
4. :func:`analyse_results`: the plan's AUC consistency check, then (only when every test
   twin is read, or with ``--partial-endpoint`` on a run that is not the plan's) D_search per
   reader and what the plan reports beside it. A partial run (``--twins N``) writes
   ``<out>_partial.json`` with the checks and costs only.

What a later stage hands to :func:`search_rib_endpoint`, per size class ``k`` (one reader
per class, its template applied at every pixel of the lung field):

* ``ll[k]``: each test nodule of class ``k``: its LL rating on its twin's lesion-present
  film (``-inf`` unmarked), its rib class and its twin;
* ``max_nl[k]``: each test twin's lesion-absent film read with class ``k``'s reader: the
  highest NL rating (``-inf`` without marks).

Endpoint: theta_k,c = AFROC figure of merit of class ``k``'s nodules of rib class ``c``
against all lesion-absent films (Chakraborty & Berbaum, Med Phys 2004;31:2313), and
D_search = sum_k w_k (theta_k,between - theta_k,over) / sum_k w_k, w_k the class's test
nodules: the estimator of ``ribs_by_size`` (:func:`chest_nodules_trial._ribs_stratified`)
with nodules and films as its units, both clustered by twin; 95 % percentile CI from 2000
cluster-bootstrap resamples of the test twins (seed 19, as ``sites_endpoints``); "falls with
overlapping ribs" shown when the CI lies above 0.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

#: Cluster-bootstrap resamples and seed (as benchmarks/chest_nodules_trial.py).
N_BOOT = 2000
SEED = 19


def afroc_table(ll: dict, max_nl: dict, n_twins: int):
    """Lay per-class LL and highest-NL ratings out as the units of the stratified estimator.

    Parameters
    ----------
    ll : dict
        size class -> ``(ratings [n], rib classes [n], twin index [n])`` of its test nodules
        (ratings ``-inf`` when unmarked; twin index in ``0 .. n_twins - 1``).
    max_nl : dict
        size class -> ratings ``[n_twins]``: twin ``t``'s lesion-absent film's highest NL
        rating with that class's reader (``-inf`` without marks).
    n_twins : int

    Returns
    -------
    scores : ndarray ``[1, n_units]`` (one reader), finite; unmarked below every mark
    truth : ndarray ``[n_units]``, 1 nodule, 0 film
    twin_of : ndarray ``[n_units]``
    strata : dict
        ``(size class, rib class)`` -> boolean mask: that cell's nodules and the class's
        films (every film enters both rib cells of its class).
    """
    import numpy as np

    from victwin.readers import afroc_units
    from victwin.trial._nodule_classes import NODULE_SIZE_CLASSES, RIB_OVERLAP_CLASSES

    unknown = set(ll) - set(NODULE_SIZE_CLASSES) | set(max_nl) - set(NODULE_SIZE_CLASSES)
    if unknown:
        raise ValueError(f"unknown size classes {sorted(unknown)} (valid: "
                         f"{', '.join(NODULE_SIZE_CLASSES)})")
    scores, truth, twin_of, size, rib = [], [], [], [], []
    for k in NODULE_SIZE_CLASSES:
        if k not in ll:
            continue
        r, c, t = (np.asarray(v) for v in ll[k])
        films = np.asarray(max_nl[k], dtype=float)
        if films.shape != (n_twins,):
            raise ValueError(f"max_nl[{k!r}] must hold one rating per test twin "
                             f"({n_twins}), got shape {films.shape}")
        bad = set(c.tolist()) - set(RIB_OVERLAP_CLASSES)
        if bad:
            raise ValueError(f"unknown rib classes {sorted(bad)} in ll[{k!r}]")
        s, y = afroc_units(r, films)
        scores.append(s)
        truth.append(y)
        twin_of.append(np.r_[t.astype(int), np.arange(n_twins)])
        size.append(np.full(len(s), k, dtype=object))
        rib.append(np.r_[c.astype(object), np.full(n_twins, None, dtype=object)])
    scores, truth, twin_of = (np.concatenate(v) for v in (scores, truth, twin_of))
    size, rib = np.concatenate(size), np.concatenate(rib)
    # each class's unmarked units sit below that class's marks (afroc_units); strata never
    # mix classes, so no unit meets another class's
    strata = {(k, c): (size == k) & ((rib == c) | (truth == 0))
              for k in NODULE_SIZE_CLASSES for c in RIB_OVERLAP_CLASSES}
    return scores[None, :], truth, twin_of, strata


def search_rib_endpoint(ll: dict, max_nl: dict, n_twins: int, *, seed: int = SEED,
                        n_boot: int = N_BOOT) -> dict:
    """D_search with its cluster-bootstrap CI and verdict (module docstring).

    Returns the ``_ribs_stratified`` dictionary (``difference``, ``ci``, per-class
    ``classes``, ``left_out``, ``dprime``) plus ``verdict`` and ``n_twins``.
    """
    import numpy as np

    from victwin.trial._nodule_classes import NODULE_SIZE_CLASSES

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from chest_nodules_trial import _ribs_stratified

    scores, truth, twin_of, strata = afroc_table(ll, max_nl, n_twins)
    rng = np.random.default_rng(seed)
    boots = rng.multinomial(n_twins, np.full(n_twins, 1.0 / n_twins), size=n_boot)
    res = _ribs_stratified(scores, truth, twin_of, n_twins, NODULE_SIZE_CLASSES, strata, boots,
                           weights="the class's number of test nodules")
    lo = res["ci"][0] if res.get("ci") else None
    hi = res["ci"][1] if res.get("ci") else None
    res["verdict"] = ("not readable" if lo is None else
                      "shown (CI above 0)" if lo > 0 else
                      "reversed (CI below 0)" if hi < 0 else "not shown")
    res["n_twins"] = int(n_twins)
    res["figure_of_merit"] = ("AFROC: P(LL rating of a nodule > highest NL rating of a "
                              "lesion-absent film), ties 1/2, per size class")
    return res



# ------------------------------------------------------------------------ generation stage
#
# Written after the plan and the analysis above, to the plan (docs/phantoms/chest.md,
# "Pre-registered plan"); nothing in it reads an endpoint.

#: The plan's readers: the trial's CHO per size class (primary), its NPWE, and NPWE at the
#: display geometry reported for chest reading (1536 px / 25 deg: 986 mm at 0.28 mm pixels).
READERS = ("CHO", "NPWE", "NPWE-25deg")
PRIMARY = "CHO"
#: Viewing distance (mm) of the 25-degree NPWE: 1536 x 0.28 mm over 2 tan(12.5 deg).
VIEWING_25DEG_MM = 986.0
#: The modality read (the plan reads PA-full only).
MODALITY = "PA-full"
#: What a cached twin's file is (bumped when its content changes).
CACHE_FORMAT = 2
#: The plan's run: its name, seed and cohort (the endpoint is the plan's result only there).
PLAN_RUN = {"name": "chest-ribs", "seed": 2612, "n_cases": 360}
#: The main commit the plan rebuilds the twins at.
PLAN_COMMIT = "99ec237"
#: Code whose state makes the twins and films (compared with PLAN_COMMIT, recorded).
TWIN_CODE = ("victwin/phantom", "victwin/trial", "victwin/acquisition", "victwin/physics",
             "victwin/raytrace", "victwin/systems", "victwin/geometry", "victwin/data")


class NoduleMismatch(RuntimeError):
    """A regenerated nodule differs from the stored case row (the plan: stop and report)."""


def acceptance_px(label: str, pixel_mm: float) -> float:
    """The plan's acceptance (and suppression) radius of a size class, pixels: half the
    class's upper diameter in detector mm (3, 4, 7.5, 15 mm) over the pixel pitch ``pixel_mm``
    (Haygood et al. 2013: base it on the larger nodules)."""
    from victwin.trial._nodule_classes import size_class_range_mm

    return 0.5 * size_class_range_mm(label)[1] / float(pixel_mm)


def trial_split(n_records: int, spec) -> tuple:
    """The trial's own train / test split of its ``n_records`` finished twins (record
    positions, sorted): the lines of ``victwin.trial._analysis.analyse``, repeated here and
    checked against the stored analysis's test cases by :func:`read_stored_run` (repeated,
    not imported: the plan runs this file on 99ec237's code, whose analysis has no split
    function to call)."""
    import numpy as np

    from victwin.trial._cohort import step_key

    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, step_key("split")]))
    perm = rng.permutation(n_records)
    n_train = int(round(spec.readers.training_fraction * n_records))
    n_train = min(max(n_train, 2), n_records - 2)
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])


def _nodule_rows(record) -> list:
    """A stored twin's nodules: site, size (mm), centre (mm), rib overlap fraction, type, size
    and rib classes, the lesion-absent pair's site, and the PA-full ROI's centre index, shift
    and size (the nodule's projected centre is ``center_index - shift_px``)."""
    from victwin.trial._nodule_classes import nodule_size_class, rib_overlap_class

    rois = record.result.modalities[MODALITY].rois
    pairs = {s.pair: s.name for s in record.result.sites if s.truth == 0}
    rows = []
    for s in record.result.sites:
        if s.truth != 1:
            continue
        r, a = rois[s.name], rois[pairs[s.name]]
        rows.append({"site": s.name, "pair": pairs[s.name], "size_mm": s.lesion_size_mm,
                     "center_mm": [float(v) for v in s.center_mm],
                     "rib_overlap_fraction": s.rib_overlap_fraction,
                     "nodule_type": s.nodule_type,
                     "size_class": nodule_size_class(s.lesion_size_mm),
                     "rib_class": rib_overlap_class(s.rib_overlap_fraction),
                     "center_index": list(r.center_index), "shift_px": list(r.shift_px or (0, 0)),
                     "roi_px": list(r.size_px), "pair_center_index": list(a.center_index),
                     "pair_shift_px": list(a.shift_px or (0, 0)),
                     "center_px": [int(c) - int(d) for c, d in
                                   zip(r.center_index, r.shift_px or (0, 0))]})
    return rows


def read_stored_run(run_dir) -> dict:
    """The stored run as the plan reads it: its spec, records, the trial's split (checked
    against the stored analysis's test cases), each test twin's nodules, the run's lung zones
    (every nodule of the run, training ones too) and the stored per-class AUC CIs.

    Raises ``SystemExit`` with one line when ``run_dir`` is not a finished chest run with
    nodule sites and a PA-full modality, or the split does not reproduce the stored one.
    """
    from types import SimpleNamespace

    import numpy as np

    from victwin.stats import read_imrmc
    from victwin.trial import TrialStore, spec_from_dict

    run = Path(run_dir)
    if not (run / "trial.sqlite").is_file():
        raise SystemExit(f"chest_search_reader: {str(run)!r} is not a victwin run directory "
                         f"(no trial.sqlite)")
    res_path = run / "analysis" / "results.json"
    if not res_path.is_file():
        raise SystemExit(f"chest_search_reader: {str(run)!r} has no analysis/results.json "
                         f"(the trial's own analysis must have run)")
    with TrialStore(run) as store:
        prov = store.provenance()
        spec = spec_from_dict(prov["spec_toml"])
        records = store.case_records()
        failed = store.failed_cases()
    names = spec.modality_names
    if (spec.cohort.family != "chest" or not spec.cohort.sites
            or "nodule" not in spec.cohort.sites or MODALITY not in names
            or not spec.readers.per_size_class):
        raise SystemExit(f"chest_search_reader: {str(run)!r} is not a chest run with nodule "
                         f"sites, a {MODALITY!r} modality and per-size-class readers (spec "
                         f"{spec.name!r})")
    results = json.loads(res_path.read_text())
    train, test = trial_split(len(records), spec)
    ids = np.array([r.case_id for r in records])
    stored_test = {c.rsplit("-", 1)[0] for c in read_imrmc(run / "analysis" /
                                                          "scores.imrmc").cases}
    if stored_test != {str(c) for c in ids[test]}:
        raise SystemExit(f"chest_search_reader: the trial's split does not reproduce: "
                         f"{len(stored_test)} stored test twins, {len(test)} here, "
                         f"{len(stored_test ^ {str(c) for c in ids[test]})} differ")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from chest_nodules_trial import lung_zones

    twins = []
    for k in test:
        rec = records[int(k)]
        twins.append({"case_id": int(rec.case_id), "attributes": rec.attributes,
                      "nodules": _nodule_rows(rec)})
    # the run's zones: tertiles of every nodule's height, median |x| (all twins, as planned)
    all_xyz = [s.center_mm for r in records for s in r.result.sites if s.truth == 1]
    roi_ids = [f"{t['case_id']}-{n['site']}" for t in twins for n in t["nodules"]]
    centres = {f"{t['case_id']}-{n['site']}": n["center_mm"] for t in twins
               for n in t["nodules"]}
    zone_of, zone_labels, cuts = lung_zones(SimpleNamespace(cases=roi_ids), centres, all_xyz)
    for t in twins:
        for n in t["nodules"]:
            n["zone"] = zone_of[f"{t['case_id']}-{n['site']}"]
    stored_ci = {}
    for row in results["subgroups"]["nodule_size"]["subgroups"]:
        if not row.get("too_small") and row.get("auc_ci"):
            stored_ci[row["subgroup"]] = {"auc": row["auc"][MODALITY],
                                          "ci": list(row["auc_ci"][MODALITY]),
                                          "n_nodules": row["n_abnormal"]}
    pixel_mm = records[int(test[0])].result.modalities[MODALITY].roi.pitch_mm
    plan_run = (spec.name == PLAN_RUN["name"] and int(spec.seed) == PLAN_RUN["seed"]
                and int(spec.cohort.size) == PLAN_RUN["n_cases"])
    return {"run": run, "spec": spec, "spec_hash": prov.get("spec_hash"), "records": records,
            "train": train, "test": test, "twins": twins, "failed_cases": failed,
            "zones": dict(cuts, labels=zone_labels), "stored_auc_ci": stored_ci,
            "stored_size_class_readers": results.get("size_class_readers"),
            "pixel_mm": float(pixel_mm), "plan_run": plan_run}


def training_rois(run_dir, records, train, label: str, pixel_mm: float) -> tuple:
    """All training twins' PA-full ROIs of size class ``label`` (nodules and their
    lesion-absent pairs), cropped as the trial crops them (``class_roi_px``, about the
    lesion's recorded position): ``(X [n, s, s] float64, y [n], ROI ids)``, in the order
    the trial's analysis gathers them (training twins in order, each twin's sites in order),
    ids ``"<case>-<site>"``."""
    import numpy as np

    from victwin.trial import TrialStore
    from victwin.trial._nodule_classes import class_roi_px, crop_rois, nodule_size_class

    X, y, shifts, ids = [], [], [], []
    with TrialStore(run_dir) as store:
        for k in train:
            rec = records[int(k)]
            sites = [s for s in rec.result.sites if s.lesion_size_mm is not None
                     and nodule_size_class(s.lesion_size_mm) == label]
            if not sites:
                continue
            arrays = store.read_arrays(rec.case_id, [f"{MODALITY}/{s.name}" for s in sites])
            rois = rec.result.modalities[MODALITY].rois
            for s in sites:
                X.append(arrays[f"{MODALITY}/{s.name}"])
                y.append(int(s.truth))
                shifts.append(rois[s.name].shift_px)
                ids.append(f"{rec.case_id}-{s.name}")
    if not X:
        return np.zeros((0, 1, 1)), np.zeros(0, dtype=int), []
    n_px = class_roi_px(label, pixel_mm)
    return (crop_rois(np.stack(X).astype(np.float64), n_px, shifts), np.asarray(y, dtype=int),
            ids)


def fit_readers(run_dir, spec, records, train, pixel_mm: float, progress=print) -> tuple:
    """The plan's readers, fitted once per size class on all its training ROIs (no resampled
    readers): ``templates[reader][class]`` (image-space, the class crop's shape) and a
    description per class. A class with fewer than 2 training ROIs of either truth gets no
    reader (listed; the plan's run holds every class: 24-179 training twins each)."""
    import numpy as np

    from victwin.readers import NPWEObserver
    from victwin.trial._analysis import make_observer
    from victwin.trial._cohort import step_key
    from victwin.trial._nodule_classes import NODULE_SIZE_CLASSES, size_class_reader

    templates = {r: {} for r in READERS}
    info = {}
    for label in NODULE_SIZE_CLASSES:
        progress(f"readers: reading the {label} training ROIs")
        X, y, ids = training_rois(run_dir, records, train, label, pixel_mm)
        counts = np.bincount(y, minlength=2).tolist() if len(y) else [0, 0]
        if min(counts) < 2:
            info[label] = {"n_train_rois": counts, "fitted": False,
                           "why": "fewer than 2 training ROIs of a truth"}
            continue
        width_mm = size_class_reader(label)[0]
        seed = int(step_key(f"observer-{MODALITY}-nodule"))
        observers = {
            "CHO": make_observer(spec, X.shape[1:], pixel_mm, seed=seed, width_mm=width_mm),
            "NPWE": NPWEObserver(pixel_mm=pixel_mm, decision_noise=0.0),
            "NPWE-25deg": NPWEObserver(pixel_mm=pixel_mm,
                                       viewing_distance_mm=VIEWING_25DEG_MM,
                                       decision_noise=0.0)}
        for name, obs in observers.items():
            obs.fit(X, y)
            templates[name][label] = np.asarray(obs.template_, dtype=np.float64)
        info[label] = {"n_train_rois": counts, "fitted": True, "roi_px": int(X.shape[1]),
                       "n_train_twins": len({i.rsplit("-", 1)[0] for i in ids}),
                       "cho_channel_width_mm": round(width_mm, 4),
                       "acceptance_px": acceptance_px(label, pixel_mm)}
    return templates, info


def _templates_digest(templates) -> str:
    import hashlib

    h = hashlib.sha256()
    for r in sorted(templates):
        for k in sorted(templates[r]):
            h.update(f"{r}/{k}".encode())
            h.update(templates[r][k].tobytes())
    return h.hexdigest()[:16]


def _twin_code_state() -> dict:
    """The checkout's commit and whether its twin, nodule and imaging code equals the plan's
    commit (recorded; the nodule check is what the plan asks)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()
        diff = subprocess.run(["git", "-C", str(root), "diff", "--stat", PLAN_COMMIT, "--",
                               *TWIN_CODE], check=True, capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--",
                                *TWIN_CODE], check=True, capture_output=True,
                               text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        return {"head": None, "why": f"git: {exc}"}
    return {"head": head, "plan_commit": PLAN_COMMIT,
            "twin_code_equals_plan_commit": not diff and not dirty,
            "diff_stat": diff.splitlines()[-1] if diff else "", "uncommitted": bool(dirty)}


# ---------------------------------------------------------------------- one twin (a worker)

def _say(case_id, stage, t0):
    import time

    print(f"  twin {case_id}: {stage} ({time.perf_counter() - t0:.1f} s)", flush=True)


def _atomic_json(path, payload) -> None:

    path = Path(path)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(payload, indent=1) + "\n")
    os.replace(tmp, path)


def _rating(x):
    """A rating for JSON (None: unmarked)."""
    import math

    return None if x is None or not math.isfinite(x) else float(x)


def regenerate_twin(spec, twin: dict, *, backend: str = "cpu", progress: bool = True) -> dict:
    """Rebuild a test twin and its nodules with the trial's own functions, check every
    nodule against the stored row, image both versions full field with PA-full, and
    project the lesion-absent twin's labels once.

    Returns ``{"present": image, "absent": image, "lung": mask, "bone": mask, "view":
    view, "check": rows, "timings_s": {...}}`` (images: line integrals ``[nv, nu]``).
    Raises :class:`NoduleMismatch` (one line) when a nodule's size, centre or rib overlap
    fraction is not the stored value exactly.
    """
    import time

    import numpy as np

    from victwin.phantom.chest.nodules import LUNG_MATERIALS
    from victwin.phantom.chest.overlap import MIN_BONE_MM
    from victwin.raytrace import project_labels
    from victwin.trial._nodule_classes import nodule_rib_overlap
    from victwin.trial._runner import acquire_version
    from victwin.trial._sites import case_sites

    cid, attributes = int(twin["case_id"]), twin["attributes"]
    timings = {}
    t0 = time.perf_counter()
    # the case stage's own twins: lesion-free twin, its nodules (place_nodule_sites), the
    # preset applied to both (victwin.trial._sites.case_sites -> chest_sites)
    phantom, present, sites, names, lesions = case_sites(spec, cid, attributes)
    timings["twins"] = time.perf_counter() - t0
    if progress:
        _say(cid, "twins rebuilt (twin + nodules)", t0)
    t1 = time.perf_counter()
    rows, bad = [], []
    stored = {n["site"]: n for n in twin["nodules"]}
    for k, lesion in enumerate(lesions):
        s = stored.get(names[k])
        new = {"site": names[k], "size_mm": float(lesion.size_mm),
               "center_mm": [float(v) for v in lesion.center_mm],
               "rib_overlap_fraction": nodule_rib_overlap(spec, phantom, lesion)}
        equal = s is not None and all(new[key] == s[key] for key in
                                      ("size_mm", "center_mm", "rib_overlap_fraction"))
        rows.append(dict(new, equal=bool(equal)))
        if not equal:
            bad.append(f"{names[k]}: regenerated {new} vs stored "
                       f"{ {key: s[key] for key in new} if s else None}")
    if len(lesions) != len(stored):
        bad.append(f"{len(lesions)} nodules regenerated, {len(stored)} stored")
    timings["nodule_check"] = time.perf_counter() - t1
    if bad:
        raise NoduleMismatch(f"twin {cid}: regenerated nodules differ from the stored rows "
                             f"({len(bad)}): {bad[0]}")
    if progress:
        _say(cid, f"nodule check: {len(rows)} nodules equal the stored rows", t0)
    modality = spec.modalities[spec.modality_names.index(MODALITY)]
    images = {}
    view = None
    for version, twin_v in (("present", present), ("absent", phantom)):
        t1 = time.perf_counter()
        acq = acquire_version(spec, modality, twin_v, cid, attributes,
                              present=version == "present", backend=backend,
                              presentation=False)
        images[version] = np.asarray(acq.line_integrals()[0], dtype=np.float64)
        view = acq.views[0]
        timings[f"acquisition_{version}"] = time.perf_counter() - t1
        if progress:
            _say(cid, f"{MODALITY} full-field acquisition, lesion-{version} twin "
                      f"{images[version].shape}", t0)
        del acq
    del present
    t1 = time.perf_counter()
    lung_labels = [int(k) for k, m in phantom.materials.items() if m in LUNG_MATERIALS]
    bone_labels = [int(k) for k, m in phantom.materials.items() if "bone" in str(m)]
    paths = project_labels(phantom.labels, phantom.grid, [view],
                           int(phantom.labels.max()) + 1, backend=backend)[0]
    lung = np.asarray(paths[lung_labels]).sum(axis=0) > 0
    bone = np.asarray(paths[bone_labels]).sum(axis=0) >= MIN_BONE_MM
    del paths
    timings["lung_field"] = time.perf_counter() - t1
    if progress:
        _say(cid, f"lung field (one project_labels): {int(lung.sum())} px", t0)
    if lung.shape != images["absent"].shape:
        raise RuntimeError(f"twin {cid}: lung field {lung.shape} and film "
                           f"{images['absent'].shape} differ in shape")
    return {"present": images["present"], "absent": images["absent"], "lung": lung,
            "bone": bone, "check": rows, "timings_s": timings}


def read_twin(films: dict, twin: dict, templates: dict, pixel_mm: float, *,
              stored_rois=None, progress: bool = True) -> dict:
    """Read one twin's two films with every reader and class (the plan's marks and
    scoring) and score the ROIs cut at the stored positions with the CHO per class.

    Per reader and size class: the response map (``scan_template``) of the lesion-absent
    film, its marks in the lung field (``search_marks``, suppression radius = the class's
    acceptance radius), the highest NL (its rating, pixel, and whether bone lies under it);
    and for the twin's nodules of the class, the lesion-present film's map, marks and each
    nodule's LL rating (``localise``; None: unmarked).
    """
    import time

    import numpy as np

    from victwin.readers import extract_rois, localise, scan_template, search_marks
    from victwin.trial._nodule_classes import crop_rois

    cid = int(twin["case_id"])
    t0 = time.perf_counter()
    lung, bone = films["lung"], films["bone"]
    from scipy.ndimage import distance_transform_edt

    # how far (px) each lung-field pixel lies from the field's edge: where the highest NLs
    # lie (a listing, not in the plan's endpoint)
    edge_px = distance_transform_edt(lung)
    out = {}
    for reader, by_class in templates.items():
        out[reader] = {}
        for label, tpl in by_class.items():
            radius = acceptance_px(label, pixel_mm)
            mine = [n for n in twin["nodules"] if n["size_class"] == label]
            rmap = scan_template(films["absent"], tpl)
            pos, rat = search_marks(rmap, lung, radius_px=radius)
            entry = {"n_marks_absent": int(len(rat)), "max_nl": None, "max_nl_px": None,
                     "max_nl_over_bone": None}
            if len(rat):
                j, i = (int(v) for v in pos[0])
                entry.update(max_nl=float(rat[0]), max_nl_px=[j, i],
                             max_nl_over_bone=bool(bone[j, i]),
                             max_nl_edge_px=float(edge_px[j, i]),
                             max_nl_roi_in_field=bool(edge_px[j, i] > tpl.shape[0] / 2))
            if mine:
                rmap = scan_template(films["present"], tpl)
                pos, rat = search_marks(rmap, lung, radius_px=radius)
                centres = np.array([n["center_px"] for n in mine], dtype=float)
                ll, _ = localise(pos, rat, centres, acceptance_px=radius)
                entry.update(n_marks_present=int(len(rat)),
                             ll={n["site"]: _rating(v) for n, v in zip(mine, ll)},
                             ll_response_at_centre={
                                 n["site"]: _rating(rmap[int(n["center_px"][0]),
                                                         int(n["center_px"][1])])
                                 for n in mine})
            out[reader][label] = entry
    timings = {"reading": time.perf_counter() - t0}
    if progress:
        _say(cid, f"read: {len(templates)} readers x {len(templates[PRIMARY])} classes, "
                  f"two films", t0)
    # the plan's consistency check: the CHO per class on ROIs cut from the new films at the
    # stored positions (as cut_roi cut them: centre index, size; crop about the lesion)
    t1 = time.perf_counter()
    rois, crops = {}, {}
    for n in twin["nodules"]:
        label = n["size_class"]
        if label not in templates[PRIMARY]:
            continue
        tpl = templates[PRIMARY][label]
        e = {}
        for version, centre, shift, name in (("present", n["center_index"], n["shift_px"],
                                              n["site"]),
                                             ("absent", n["pair_center_index"],
                                              n["pair_shift_px"], n["pair"])):
            roi = extract_rois(films[version], [centre], size_px=tuple(n["roi_px"]))
            crop = crop_rois(roi, tpl.shape[0], [shift])[0]
            crops[name] = crop.astype(np.float32)
            e[f"cho_new_{version}"] = float(np.sum(crop * tpl))
            if stored_rois is not None and name in stored_rois:
                old = crop_rois(np.asarray(stored_rois[name], dtype=np.float64)[None],
                                tpl.shape[0], [shift])[0]
                e[f"cho_stored_{version}"] = float(np.sum(old * tpl))
                d = crop - old
                e[f"pixels_{version}"] = {"mean_new_minus_stored": float(d.mean()),
                                          "sd_new_minus_stored": float(d.std()),
                                          "corr_new_stored": float(np.corrcoef(
                                              crop.ravel(), old.ravel())[0, 1])}
        rois[n["site"]] = e
    timings["rois_at_stored_positions"] = time.perf_counter() - t1
    lung_px = int(lung.sum())
    return {"readers": out, "rois": rois, "crops": crops, "timings_s": timings,
            "lung_field": {"pixels": lung_px,
                           "bone_share": float(bone[lung].mean()) if lung_px else None}}


def twin_task(args) -> dict:
    """One test twin, end to end, for a worker process; writes the twin's cache file."""
    import resource
    import time

    spec_toml, twin, templates, pixel_mm, key, cache, stored_rois = args
    from victwin.trial import spec_from_dict

    spec = spec_from_dict(spec_toml)
    w0, c0 = time.perf_counter(), time.process_time()
    print(f"twin {twin['case_id']}: start", flush=True)
    films = regenerate_twin(spec, twin)
    read = read_twin(films, twin, templates, pixel_mm, stored_rois=stored_rois)
    crops = read.pop("crops")
    payload = {"format": CACHE_FORMAT, "key": key, "case_id": int(twin["case_id"]),
               "check": films["check"], **read,
               "timings_s": dict(films["timings_s"], **read["timings_s"]),
               "wall_s": time.perf_counter() - w0, "cpu_s": time.process_time() - c0,
               "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "load_1min_end": os.getloadavg()[0]}
    if cache is not None:
        # the crops first, then the JSON: the JSON's presence says the twin is done
        import numpy as np

        npz = cache / f"twin-{int(twin['case_id']):06d}.npz"
        tmp = npz.with_name(npz.stem + f".tmp{os.getpid()}.npz")
        np.savez(tmp, **crops)
        os.replace(tmp, npz)
        _atomic_json(cache / f"twin-{int(twin['case_id']):06d}.json", payload)
    payload = dict(payload, crops=crops)
    print(f"twin {twin['case_id']}: done ({payload['wall_s']:.0f} s wall, "
          f"{payload['cpu_s']:.0f} s CPU)", flush=True)
    return payload


# ----------------------------------------------------------------------- driver and analysis

def _load_cached(cache, case_id: int, key: str):
    """A twin's cached result (None: not there). A file of another key stops the run."""

    if cache is None:
        return None
    path = cache / f"twin-{case_id:06d}.json"
    if not path.is_file():
        return None
    try:
        payload = json.loads(path.read_text())
    except ValueError:
        return None                      # a torn file: the twin is read again
    if payload.get("format") != CACHE_FORMAT or payload.get("key") != key:
        raise SystemExit(f"chest_search_reader: {str(path)!r} was written for another run or "
                         f"readers (key {payload.get('key')!r}, this run {key!r}); use "
                         f"another --cache directory")
    import numpy as np

    try:
        with np.load(path.with_suffix(".npz")) as z:
            payload["crops"] = {k: z[k] for k in z.files}
    except (OSError, ValueError):
        return None                      # the twin's crops are lost: read it again
    return payload


def _readers(stored, cache, progress=print) -> tuple:
    """The fitted templates (from ``cache/readers.npz`` when it holds this run's)."""
    import numpy as np

    path = None if cache is None else cache / "readers.npz"
    if path is not None and path.is_file():
        z = np.load(path, allow_pickle=False)
        if str(z["spec_hash"]) == str(stored["spec_hash"]):
            templates = {r: {} for r in READERS}
            for name in z.files:
                if "|" in name:
                    r, label = name.split("|")
                    templates[r][label] = z[name]
            info = json.loads(str(z["info"]))
            progress(f"readers: loaded from {path}")
            return templates, info
    templates, info = fit_readers(stored["run"], stored["spec"], stored["records"],
                                  stored["train"], stored["pixel_mm"], progress=progress)
    if path is not None:
        np.savez(path, spec_hash=str(stored["spec_hash"]),
                 info=json.dumps(info),
                 **{f"{r}|{k}": v for r, by in templates.items() for k, v in by.items()})
    return templates, info


def run_generation(stored, templates, *, workers: int = 1, cache=None, n_twins=None,
                   progress=print) -> list:
    """Every (or the first ``n_twins``) test twin's result, from the cache or computed
    (``workers`` processes; each twin's file is written as it finishes, so a killed run
    resumes). Stops at the first :class:`NoduleMismatch` (SystemExit, one line)."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from victwin.trial import TrialStore

    twins = stored["twins"] if n_twins is None else stored["twins"][:n_twins]
    key = f"{stored['spec_hash']}-{_templates_digest(templates)}"
    done, todo = {}, []
    for t in twins:
        c = _load_cached(cache, t["case_id"], key)
        if c is None:
            todo.append(t)
        else:
            done[t["case_id"]] = c
    progress(f"generation: {len(done)} of {len(twins)} test twins cached, {len(todo)} to do "
             f"({workers} workers)")
    spec_toml = stored["spec"].to_toml_dict()

    def task(t):
        with TrialStore(stored["run"]) as store:
            names = [n for x in t["nodules"] for n in (x["site"], x["pair"])]
            arrays = store.read_arrays(t["case_id"], [f"{MODALITY}/{n}" for n in names])
        rois = {n: arrays[f"{MODALITY}/{n}"] for n in names}
        return (spec_toml, t, templates, stored["pixel_mm"], key, cache, rois)

    try:
        if workers <= 1:
            for t in todo:
                done[t["case_id"]] = twin_task(task(t))
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {}
                pending = list(todo)
                # at most 2 x workers twins in flight (their stored ROIs are in the queue)
                while pending or futures:
                    while pending and len(futures) < 2 * workers:
                        t = pending.pop(0)
                        futures[pool.submit(twin_task, task(t))] = t
                    fut = next(as_completed(futures))
                    t = futures.pop(fut)
                    done[t["case_id"]] = fut.result()
                    progress(f"generation: {len(done)} of {len(twins)} twins done")
    except NoduleMismatch as exc:
        raise SystemExit(f"chest_search_reader: STOP (the plan's nodule check failed): {exc}")
    return [done[t["case_id"]] for t in twins]


def endpoint_inputs(stored, results, reader: str, zone=None) -> tuple:
    """``(ll, max_nl, n_twins)`` of :func:`search_rib_endpoint` for ``reader`` (nodules of
    ``zone`` only, when given). Twins are indexed in the order of ``results``."""
    import numpy as np

    n = len(results)
    ll, max_nl = {}, {}
    labels = sorted({k for r in results for k in r["readers"][reader]},
                    key=lambda k: list(_classes()).index(k))
    by_case = {t["case_id"]: t for t in stored["twins"]}
    for label in labels:
        films = [r["readers"][reader][label]["max_nl"] for r in results]
        max_nl[label] = np.array([-np.inf if v is None else v for v in films])
        rat, rib, tw = [], [], []
        for t_index, r in enumerate(results):
            e = r["readers"][reader][label]
            for nod in by_case[r["case_id"]]["nodules"]:
                if nod["size_class"] != label or (zone is not None and nod["zone"] != zone):
                    continue
                v = e["ll"][nod["site"]]
                rat.append(-np.inf if v is None else v)
                rib.append(nod["rib_class"])
                tw.append(t_index)
        if rat:
            ll[label] = (np.array(rat), np.array(rib, dtype=object), np.array(tw))
    return ll, {k: v for k, v in max_nl.items() if k in ll}, n


def _classes():
    from victwin.trial._nodule_classes import NODULE_SIZE_CLASSES

    return NODULE_SIZE_CLASSES


def size_thetas(ll, max_nl, n_twins, *, seed=SEED, n_boot=N_BOOT) -> dict:
    """theta per size class (all its nodules against the class's films) and the size
    difference theta(>= 8 mm) - theta(< 6 mm), theta(>= 8 mm) the nodule-weighted mean of
    the 8-15 and >= 15 mm classes' (each nodule against its own class's films); 95 %
    percentile CI from the endpoint's twin resamples (reported, not judged)."""
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from chest_nodules_trial import _auc, _cluster_sums, _percentile_ci

    from victwin.readers import afroc_units

    rng = np.random.default_rng(seed)
    boots = rng.multinomial(n_twins, np.full(n_twins, 1.0 / n_twins), size=n_boot)
    ones = np.ones(n_twins)
    theta, boot, n1 = {}, {}, {}
    for label, (r, _, t) in ll.items():
        s, y = afroc_units(r, max_nl[label])
        tw = np.r_[np.asarray(t, int), np.arange(n_twins)]
        sums = _cluster_sums(s[None, :], y, tw, n_twins, np.ones(len(s), bool))
        theta[label] = _auc(*sums, ones)
        boot[label] = np.array([_auc(*sums, c) for c in boots])
        n1[label] = sums[1]
    out = {"theta": theta, "n_nodules": {k: int(v.sum()) for k, v in n1.items()}}
    small, large = "<6 mm", [k for k in ("8-15 mm", ">=15 mm") if k in theta]
    if small in theta and large:
        w = np.array([n1[k].sum() for k in large])
        t_large = float(np.dot(w, [theta[k] for k in large]) / w.sum())
        wb = np.stack([boots @ n1[k] for k in large], axis=-1)
        tb = np.stack([boot[k] for k in large], axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            b_large = (wb * np.nan_to_num(tb)).sum(-1) / (wb * np.isfinite(tb)).sum(-1)
        ci, n_ok = _percentile_ci(b_large - boot[small])
        out["size_difference"] = {"of": [">=8 mm", small], "theta_large": t_large,
                                  "difference": t_large - theta[small], "ci": ci,
                                  "n_boot": n_ok}
    return out


def listings(stored, results, reader: str) -> dict:
    """Reported, not judged: the share of unmarked nodules by rib class, where each film's
    highest NL lies (share over bone, bone path >= ``overlap.MIN_BONE_MM``) against the lung
    field's bone cover."""
    import numpy as np

    from victwin.trial._nodule_classes import RIB_OVERLAP_CLASSES

    by_case = {t["case_id"]: t for t in stored["twins"]}
    unmarked = {c: [0, 0] for c in RIB_OVERLAP_CLASSES}
    over_bone = {}
    for r in results:
        for label, e in r["readers"][reader].items():
            if e["max_nl_over_bone"] is not None:
                over_bone.setdefault(label, []).append(e["max_nl_over_bone"])
            for nod in by_case[r["case_id"]]["nodules"]:
                if nod["size_class"] == label:
                    unmarked[nod["rib_class"]][0] += e["ll"][nod["site"]] is None
                    unmarked[nod["rib_class"]][1] += 1
    cover = [r["lung_field"]["bone_share"] for r in results
             if r["lung_field"]["bone_share"] is not None]
    return {"unmarked_share": {c: (u / n if n else None) for c, (u, n) in unmarked.items()},
            "unmarked_counts": {c: list(v) for c, v in unmarked.items()},
            "highest_nl_over_bone_share": {k: float(np.mean(v)) for k, v in over_bone.items()},
            "lung_field_bone_cover_mean": float(np.mean(cover)) if cover else None}


def consistency_check(stored, results) -> dict:
    """The plan's check: per size class, the trial's CHO scores of ROIs cut from the new
    films at the stored positions give a test AUC inside the stored run's 95 % CI (its
    PA-full ``nodule_size`` row).

    "The trial's CHO" are its own readers, made again here exactly as its analysis made them
    (``victwin.trial._analysis``: ``make_observer`` per class, ``resampled_readers`` on
    bootstraps of the training twins with its seeds, likelihood-ratio calibration): the
    stored test ROIs of the twins read score as the stored ``scores.imrmc`` says
    (``max_abs_diff_vs_imrmc``: that the readers are the trial's), and the new ROIs' AUC
    is the reader-averaged Mann-Whitney AUC of each class's nodule ROIs against their
    lesion-absent pairs, as the stored row's. Beside it, the fixed plan reader's (one CHO
    fitted on all training ROIs) scores of new and stored ROIs and their correlation."""

    import numpy as np

    from victwin.readers import covariance_size, resampled_readers
    from victwin.stats import auc, read_imrmc
    from victwin.trial import TrialStore
    from victwin.trial._analysis import make_observer
    from victwin.trial._cohort import step_key
    from victwin.trial._nodule_classes import class_roi_px, crop_rois, size_class_reader

    spec, pixel_mm = stored["spec"], stored["pixel_mm"]
    imrmc = read_imrmc(Path(stored["run"]) / "analysis" / "scores.imrmc")
    m_index = imrmc.modalities.index(MODALITY)
    col = {c: k for k, c in enumerate(imrmc.cases)}
    by_case = {t["case_id"]: t for t in stored["twins"]}
    out = {}
    with TrialStore(stored["run"]) as store:
        old = {r["case_id"]: store.read_arrays(
            r["case_id"], [f"{MODALITY}/{n}" for x in by_case[r["case_id"]]["nodules"]
                           for n in (x["site"], x["pair"])]) for r in results}
    for label in _classes():
        pairs = [(r, n) for r in results for n in by_case[r["case_id"]]["nodules"]
                 if n["size_class"] == label]
        if not pairs:
            continue
        trial = (stored["stored_size_class_readers"] or {}).get(label, {})
        if trial.get("trained_on") != "this class" or not trial.get("full_rank_draws", True):
            # the trial pooled classes (too few ROIs) or inverted a rank-deficient covariance:
            # its readers are not the class's own, and are not made again here
            out[label] = {"n_nodules": len(pairs), "inside_stored_ci": None,
                          "not_checked": f"the trial's {label} readers were trained on "
                                         f"{trial.get('training_classes')} (full-rank draws "
                                         f"{trial.get('full_rank_draws')})"}
            continue
        X_tr, y_tr, ids_tr = training_rois(stored["run"], stored["records"], stored["train"],
                                           label, pixel_mm)
        n_px = class_roi_px(label, pixel_mm)
        stored_x, new_x, y, ids = [], [], [], []
        for r, n in pairs:
            for name, truth, shift in ((n["site"], 1, n["shift_px"]),
                                       (n["pair"], 0, n["pair_shift_px"])):
                roi = np.asarray(old[r["case_id"]][f"{MODALITY}/{name}"], dtype=np.float64)
                stored_x.append(crop_rois(roi[None], n_px, [shift])[0])
                new_x.append(np.asarray(r["crops"][name], dtype=np.float64))
                y.append(truth)
                ids.append(f"{r['case_id']}-{name}")
        X_te = np.stack(stored_x + new_x)
        y_te = np.r_[y, y].astype(int)
        observer = make_observer(spec, X_tr.shape[1:], pixel_mm,
                                 seed=int(step_key(f"observer-{MODALITY}-nodule")),
                                 width_mm=size_class_reader(label)[0])
        rng = np.random.default_rng(np.random.SeedSequence(
            [spec.seed, step_key(f"readers-{MODALITY}-nodule")]))
        rs = resampled_readers(observer, X_tr, y_tr, X_te, y_te,
                               n_readers=spec.readers.n_readers, rng=rng,
                               case_ids=ids + [f"{i}-new" for i in ids], calibrate=True,
                               groups=[i.rsplit("-", 1)[0] for i in ids_tr],
                               n_features=covariance_size(observer, X_tr.shape[1:]))
        n = len(ids)
        want = np.array([imrmc.scores[m_index, :, col[i]] for i in ids]).T   # [R, n]
        yy = np.asarray(y, dtype=int)
        a_new = float(np.mean([auc(s[n:], yy) for s in rs.scores]))
        a_old = float(np.mean([auc(s[:n], yy) for s in rs.scores]))
        fixed_new = np.array([[r["rois"][nd["site"]][f"cho_new_{v}"] for v in ("present",
                                                                               "absent")]
                              for r, nd in pairs])
        fixed_old = np.array([[r["rois"][nd["site"]].get(f"cho_stored_{v}", np.nan)
                               for v in ("present", "absent")] for r, nd in pairs])
        row = {"n_nodules": len(pairs), "auc_new_films": a_new,
               "auc_stored_rois": a_old,
               "max_abs_diff_vs_imrmc": float(np.max(np.abs(rs.scores[:, :n] - want))),
               "stored": stored["stored_auc_ci"].get(label),
               "plan_reader_score_corr_new_vs_stored": float(np.corrcoef(
                   fixed_new.ravel(), fixed_old.ravel())[0, 1]) if len(pairs) > 1 else None}
        ci = (row["stored"] or {}).get("ci")
        row["inside_stored_ci"] = None if ci is None else bool(ci[0] <= a_new <= ci[1])
        out[label] = row
    return out


def _cost(results) -> dict:
    import numpy as np

    wall = np.array([r["wall_s"] for r in results])
    cpu = np.array([r["cpu_s"] for r in results])
    stages = sorted({k for r in results for k in r["timings_s"]})
    return {"n_twins": len(results), "wall_s_per_twin": {"mean": float(wall.mean()),
                                                         "max": float(wall.max())},
            "cpu_s_per_twin": {"mean": float(cpu.mean()), "max": float(cpu.max())},
            "stage_wall_s_mean": {k: float(np.mean([r["timings_s"].get(k, 0.0)
                                                    for r in results])) for k in stages},
            "maxrss_mb_max": float(max(r["maxrss_mb"] for r in results))}


def analyse_results(stored, results, *, endpoint: bool) -> dict:
    """Everything the plan reports, from the generated results. With ``endpoint`` false
    (a partial run) only the checks and costs: no endpoint is computed."""
    out = result_checks(stored, results)
    if endpoint:
        out["readers"] = endpoint_readers(stored, results)
    return out


def result_checks(stored, results) -> dict:
    """The plan's checks (nodule equality, the AUC consistency check) and the run's cost."""
    return {"nodule_check": {"n_nodules": sum(len(r["check"]) for r in results),
                             "all_equal": all(x["equal"] for r in results
                                              for x in r["check"])},
            "auc_consistency": consistency_check(stored, results), "cost": _cost(results)}


def endpoint_readers(stored, results) -> dict:
    """Per reader: D_search, the size thetas, the listings and the zones (the endpoint)."""
    from victwin.trial._nodule_classes import RIB_OVERLAP_CLASSES

    out = {}
    for reader in READERS:
        ll, max_nl, n = endpoint_inputs(stored, results, reader)
        e = {"d_search": search_rib_endpoint(ll, max_nl, n), "size": size_thetas(ll, max_nl, n),
             **listings(stored, results, reader), "zones": {}}
        for zone in stored["zones"]["labels"]:
            zl, zm, _ = endpoint_inputs(stored, results, reader, zone=zone)
            counts = {}
            for _, rib, _ in zl.values():
                for c in rib:
                    counts[c] = counts.get(c, 0) + 1
            if min(counts.get(c, 0) for c in RIB_OVERLAP_CLASSES) < 20:
                e["zones"][zone] = {"left_out": f"fewer than 20 test nodules in a rib class "
                                                f"({counts})"}
                continue
            z = search_rib_endpoint(zl, zm, n)
            e["zones"][zone] = {"difference": z["difference"], "ci": z["ci"],
                                "n_nodules": counts}
        out[reader] = e
    return out


def _print_summary(out: dict) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import print_table

    chk = out["checks"]
    print(f"\nnodule check: {chk['nodule_check']['n_nodules']} regenerated nodules, all equal "
          f"to the stored rows: {chk['nodule_check']['all_equal']}")
    rows = []
    for label, r in chk["auc_consistency"].items():
        if "not_checked" in r:
            print(f"  {label}: not checked ({r['not_checked']})")
            continue
        st = r["stored"] or {}
        corr = r["plan_reader_score_corr_new_vs_stored"]
        rows.append({"class": label, "nodules": r["n_nodules"],
                     "AUC new films": f"{r['auc_new_films']:.3f}",
                     "AUC stored ROIs": f"{r['auc_stored_rois']:.3f}",
                     "|stored - imrmc|": f"{r['max_abs_diff_vs_imrmc']:.1e}",
                     "score corr": "n/a" if corr is None else f"{corr:.3f}",
                     "stored 95% CI": (f"{st['ci'][0]:.3f}-{st['ci'][1]:.3f}" if st else "n/a"),
                     "inside": r["inside_stored_ci"]})
    if rows:
        print(f"the trial's CHO readers per class on ROIs cut from the new films at the "
              f"stored positions, reader-averaged AUC (the plan's check"
              f"{'' if out['complete'] else '; too few twins to judge'}); the same readers "
              f"on the stored ROIs, their largest difference from scores.imrmc, and the "
              f"plan reader's score correlation new vs stored:")
        print_table(rows, list(rows[0]))
    c = chk["cost"]
    print(f"cost: {c['n_twins']} twins, {c['wall_s_per_twin']['mean']:.0f} s wall and "
          f"{c['cpu_s_per_twin']['mean']:.0f} s CPU per twin (mean), peak "
          f"{c['maxrss_mb_max']:.0f} MB per worker")
    def f3(x):
        return "n/a" if x is None else f"{x:+.3f}"

    rows = []
    for reader, e in out.get("readers", {}).items():
        d, sz = e["d_search"], e["size"]
        ci = d.get("ci") or [None, None]
        sd = sz.get("size_difference") or {}
        um = list(e["unmarked_share"].values())
        rows.append({"reader": reader + (" (primary)" if reader == PRIMARY else ""),
                     "D_search (95% CI)": f"{f3(d['difference'])} ({f3(ci[0])} to "
                                          f"{f3(ci[1])})",
                     "verdict": d["verdict"],
                     "theta by class": " ".join(f"{v:.3f}" for v in sz["theta"].values()),
                     "theta >=8 - <6 mm": f"{f3(sd.get('difference'))}",
                     "unmarked btw/over": "/".join("n/a" if v is None else f"{v:.2f}"
                                                   for v in um),
                     "top NL over bone": " ".join(
                         f"{v:.2f}" for v in e["highest_nl_over_bone_share"].values()),
                     "field bone cover": f"{e['lung_field_bone_cover_mean']:.2f}"})
    if rows:
        print("\nD_search = sum_k w_k (theta_k,between - theta_k,over), AFROC theta per size "
              "class (secondary readers reported, not judged):")
        print_table(rows, list(rows[0]))


def main(argv=None) -> int:
    """Generation (rebuild, image and read the test twins), then the fixed analysis."""
    import argparse
    import time

    ap = argparse.ArgumentParser(
        description="The pre-registered search reader (docs/phantoms/chest.md): rebuild the "
                    "stored run's test twins, read their full PA-full films, compute D_search.")
    ap.add_argument("run_dir", help="the stored run (the plan's: /work/scratch/ribs19)")
    ap.add_argument("--workers", type=int, default=1, help="twins in parallel (processes)")
    ap.add_argument("--cache", default=None,
                    help="directory of one file per finished twin (a killed run resumes)")
    ap.add_argument("--twins", type=int, default=None,
                    help="only the first N test twins (a check; writes <out>_partial)")
    ap.add_argument("--partial-endpoint", action="store_true",
                    help="compute the endpoint on a partial run too (plumbing checks on "
                         "runs that are not the plan's; never on the plan's run)")
    ap.add_argument("--out", default=None, help="the JSON written (default benchmarks/"
                    "results/chest_ribs_search.json)")
    args = ap.parse_args(argv)
    if args.workers < 1:
        raise SystemExit(f"chest_search_reader: --workers must be >= 1, got {args.workers}")
    if args.twins is not None and args.twins < 1:
        raise SystemExit(f"chest_search_reader: --twins must be >= 1, got {args.twins}")
    t_start = time.time()

    def say(msg):
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    say(f"reading the stored run {args.run_dir}")
    stored = read_stored_run(args.run_dir)
    n_test = len(stored["twins"])
    if args.partial_endpoint and stored["plan_run"]:
        raise SystemExit("chest_search_reader: --partial-endpoint is refused on the plan's "
                         "run (the endpoint is read once, on all its test twins)")
    cache = None
    if args.cache:
        cache = Path(args.cache)
        cache.mkdir(parents=True, exist_ok=True)
    say(f"{n_test} test twins (the trial's split, checked against the stored analysis); "
        f"{'the plan run' if stored['plan_run'] else 'not the plan run'}")
    templates, reader_info = _readers(stored, cache, progress=say)
    held = {n["size_class"] for t in stored["twins"] for n in t["nodules"]}
    missing = [k for k, v in reader_info.items() if not v["fitted"] and k in held]
    if missing:
        say(f"no reader for {missing} (too few training ROIs): their test nodules are not "
            f"read, and the run is not complete")
    results = run_generation(stored, templates, workers=args.workers, cache=cache,
                             n_twins=args.twins, progress=say)
    complete = len(results) == n_test and not missing
    endpoint = complete or args.partial_endpoint
    say("analysis" + ("" if endpoint else " (checks and cost only: a partial run computes "
                                           "no endpoint)"))
    checks = result_checks(stored, results)
    ok_auc = all(r["inside_stored_ci"] is not False for r in checks["auc_consistency"].values())
    if complete and not ok_auc:
        say("STOP: the plan's AUC consistency check failed; the endpoint is not read")
        endpoint = False
    # the checks are computed once (the consistency check re-fits the trial's readers)
    analysed = dict(checks, readers=endpoint_readers(stored, results)) if endpoint else checks
    out = {"plan": "docs/phantoms/chest.md, 'Pre-registered plan: a reader "
                   "that searches the film'",
           "status": ("the plan's result" if complete and stored["plan_run"] and endpoint else
                      "complete run, not the plan's run" if complete and endpoint else
                      "stopped: the AUC consistency check failed" if complete else
                      "partial: " + "; ".join(
                          ([f"{len(results)} of {n_test} test twins"]
                           if len(results) < n_test else [])
                          + ([f"no reader for {missing}"] if missing else []))
                      + "; not the plan's result"),
           "complete": complete, "run_dir": str(stored["run"]),
           "spec_hash": stored["spec_hash"], "plan_run": stored["plan_run"],
           "n_test_twins": n_test, "n_twins_read": len(results),
           "test_case_ids": [r["case_id"] for r in results],
           "code": _twin_code_state(), "pixel_mm": stored["pixel_mm"],
           "readers_fitted": reader_info,
           "readers_defined": {"CHO": "make_observer(spec) per class (5 LG channels, width 2/3 "
                                      "of the middle radius), fitted once on all training ROIs",
                               "NPWE": "NPWEObserver(pixel_mm, viewing_distance_mm=500)",
                               "NPWE-25deg": f"NPWEObserver(pixel_mm, viewing_distance_mm="
                                             f"{VIEWING_25DEG_MM})"},
           "acceptance_px": {k: acceptance_px(k, stored["pixel_mm"]) for k in _classes()},
           "zones": stored["zones"], "stored_auc_ci": stored["stored_auc_ci"],
           "checks": checks, "endpoint_computed": endpoint,
           "wall_s_total": time.time() - t_start,
           "load_1min_end": round(os.getloadavg()[0], 1)}
    if endpoint:
        out["readers"] = analysed["readers"]
        out["primary"] = {"reader": PRIMARY, "modality": MODALITY,
                          **{k: analysed["readers"][PRIMARY]["d_search"][k]
                             for k in ("difference", "ci", "verdict")}}
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _common import environment

        out["environment"] = environment()
    except Exception as exc:                                  # pragma: no cover
        out["environment"] = {"error": str(exc)}
    path = Path(args.out) if args.out else (Path(__file__).resolve().parent / "results" /
                                            "chest_ribs_search.json")
    if not complete:
        path = path.with_name(path.stem + "_partial" + path.suffix)
        say(f"partial run ({len(results)} of {n_test} test twins"
            f"{f', no reader for {missing}' if missing else ''}): written as {path.name}, "
            f"not the plan's result")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, default=float) + "\n")
    _print_summary(out)
    say(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
