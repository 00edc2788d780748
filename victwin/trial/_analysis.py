"""The analysis stage: readers trained and scored, MRMC, subgroups, an iMRMC file.

It reads only the store (ROIs and case rows), never phantoms or images. Cases are split once
into a training and a test set (seeded from the trial seed); each modality's observer is
retrained on ``n_readers`` bootstrap resamples of the training twins (all ROIs of a drawn
twin enter, so matched pairs stay together; reader variance is training variance, see
:func:`victwin.readers.resampled_readers`) and scores the same test
ROIs. Each ROI kind (mass- and calcification-sized; nodule size classes) has its own
observer; when several are pooled, each reader's scores are likelihood ratios fitted on its
own training scores (:func:`victwin.readers.calibrated_llr`), so they share one rating scale.
The test ROIs of a case are its lesion-present ROI (``"<case>-p"``, truth 1) and its
lesion-absent ROI (``"<case>-a"``, truth 0); with ``cohort.sites`` they are its sites'
ROIs (``"<case>-s<k>"``: lesion sites read in the lesion-present twin, lesion-absent sites in
the twin without lesions; a chest twin's nodules and, at the same places in the twin without
them, their lesion-absent pairs, each classed by its own nodule's size and rib overlap). The
twin (case) is the cluster of its ROIs.

``results.json`` holds the ROI-level MRMC (``mrmc``, the spec's covariance estimator), the
clustered MRMC with twins as the resampling unit (``mrmc_clustered``, Obuchowski 1997), and
``headline``, which names the one the answer uses (the clustered one whenever it exists).
Subgroup tables use the headline analysis; every subgroup has a row.

:func:`analyse` computes all of it and writes nothing (it returns a :class:`TrialAnalysis`);
:func:`write_analysis` writes ``analysis/``; :func:`analyse_run` does both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from victwin._json import json_default

from ._cohort import step_key
from ._features import as_observer_input, feature_observer
from ._observer import make_observer
from ._levels import (COUNT_WORDS, NOT_APPLICABLE, age_band, bmi_class, breast_size_class,
                      forest_title, ordered_levels, ordered_rows)
from ._nodule_classes import (NODULE_SIZE_CLASSES, RIB_OVERLAP_CLASSES, class_roi_px,
                              crop_rois, nodule_size_class, rib_overlap_class,
                              size_class_reader)
from ._records import CaseRecord
from ._spec import NODULE_SUBGROUPS, TrialSpec
from ._store import atomic_write

__all__ = ["analyse", "write_analysis", "analyse_run", "TrialAnalysis", "make_observer",
           "breast_size_class"]

#: Test cases a subgroup needs (each gives a lesion-present and a lesion-absent ROI).
_MIN_SUBGROUP_CASES = 3
#: Subgroups with declared classes: every class gets a row, and every row the AUC of each
#: modality with its CI (how detectability varies with the nodule, trial/_nodule_classes.py).
_CLASSES = {"nodule_size": NODULE_SIZE_CLASSES, "rib_overlap": RIB_OVERLAP_CLASSES}


def _site_named(record: CaseRecord, name):
    """The case's site record called ``name`` (``None``: no such site)."""
    return next((x for x in record.result.sites if x.name == name), None)


def _subgroup_value(name: str, record: CaseRecord, site_name: str | None = None) -> str:
    """The subgroup ``name`` of a case's ROI (array ``site_name``; the nodule subgroups of a
    chest twin with sites are per site, the others per twin)."""
    a = record.attributes
    if name == "density":
        return a["density"]
    if name == "lesion":
        return a["lesion"]
    if name == "age":
        return age_band(a["age_years"])
    if name == "sex":             # chest twins carry one; breast twins are women
        return a.get("sex", "female")
    if name == "bmi":             # WHO classes: normal/under < 25, overweight, obese >= 30
        return bmi_class(a["bmi"]) if "bmi" in a else NOT_APPLICABLE
    if name == "breast_size":
        return breast_size_class(float(record.result.phantom.thickness_mm or 0.0))
    lesion = record.result.lesion
    # a chest twin with several nodules: each nodule site and its lesion-absent pair carry
    # the nodule's size and rib overlap
    if name in NODULE_SUBGROUPS and site_name is not None:
        site = _site_named(record, site_name)
        if site is not None and site.lesion_size_mm is not None:  # chest sites: its nodule's
            if name == "nodule_size":
                return nodule_size_class(site.lesion_size_mm)
            if site.rib_overlap_fraction is None:
                return NOT_APPLICABLE
            return rib_overlap_class(site.rib_overlap_fraction)
    if name == "nodule_size":     # Lung-RADS v1.1 bands of the volume-equivalent diameter
        if lesion is None or lesion.kind != "nodule" or lesion.size_mm is None:
            return NOT_APPLICABLE
        return nodule_size_class(lesion.size_mm)
    if name == "rib_overlap":     # half the projected disc over bone, or less
        if lesion is None or lesion.rib_overlap_fraction is None:
            return NOT_APPLICABLE
        return rib_overlap_class(lesion.rib_overlap_fraction)
    raise ValueError(f"unknown subgroup {name!r}")


@dataclass(frozen=True)
class TrialAnalysis:
    """What :func:`analyse` finds; :func:`write_analysis` writes it.

    Attributes
    ----------
    results : dict
        The JSON form written to ``analysis/results.json``: the ROI-level MRMC (``mrmc``),
        the clustered MRMC (``mrmc_clustered``), ``headline`` (which of the two the answer
        uses), counts, ``non_inferiority`` and ``subgroups``.
    table : victwin.readers.ScoreTable
        Every reader's score of every test ROI (``analysis/scores.imrmc``).
    subgroups : dict
        Subgroup name -> :class:`victwin.stats.SubgroupResult` (the forest plots): its rows
        in the subgroup's natural order (trial/_levels.py), with a row for each declared
        class no test twin holds, as in ``results``.
    description : str
        The iMRMC file's description line.
    """

    results: dict
    table: object
    subgroups: dict = field(default_factory=dict)
    description: str = ""

    @property
    def headline(self) -> str:
        """The key of the analysis the answer uses (``"mrmc_clustered"`` or ``"mrmc"``)."""
        return self.results["headline"]["analysis"]


def analyse(store, spec: TrialSpec, *, progress=None) -> TrialAnalysis:
    """Train and score readers, run MRMC and subgroup analyses; write nothing.

    Parameters
    ----------
    store : TrialStore
        Read only: the finished cases' records and ROIs, the failed cases.
    spec : TrialSpec
    progress : callable, optional
        Called with the name of each stage as it starts ("readers DM", "MRMC", ...).

    Returns
    -------
    TrialAnalysis
    """
    from victwin import stats
    from victwin.readers import (GroupDrawError, ReaderScores, covariance_size,
                                 resampled_readers, to_score_table)

    def stage(name):
        if progress is not None:
            progress(name)

    records = store.case_records()
    if len(records) < 4:
        raise ValueError(f"the analysis needs at least 4 finished cases, got {len(records)}")
    names = spec.modality_names
    case_ids = np.array([r.case_id for r in records])
    # each record's ROIs: (id suffix, truth, ROI kind, array name)
    roi_lists = [_case_rois(r) for r in records]
    rois: dict = {m: [] for m in names}      # per modality, per record: {array name: ROI}
    stage("reading ROIs")
    for rec, listed in zip(records, roi_lists):
        wanted = [f"{m}/{name}" for m in names for _, _, _, name in listed]
        arrays = store.read_arrays(rec.case_id, wanted)
        for m in names:
            rois[m].append({name: arrays[f"{m}/{name}"] for _, _, _, name in listed})
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, step_key("split")]))
    perm = rng.permutation(len(records))
    n_train = int(round(spec.readers.training_fraction * len(records)))
    n_train = min(max(n_train, 2), len(records) - 2)
    train, test = np.sort(perm[:n_train]), np.sort(perm[n_train:])
    kinds = sorted({kind for listed in roi_lists for _, _, kind, _ in listed})

    def gather(m, twins, kind, only=None):
        """The ROIs of ``kind`` of ``twins`` (``only(k, name)``: those it accepts)."""
        X, y, ids = [], [], []
        for k in twins:
            for suffix, truth, roi_kind, name in roi_lists[k]:
                if roi_kind == kind and (only is None or only(k, name)):
                    X.append(rois[m][k][name])
                    y.append(truth)
                    ids.append(f"{case_ids[k]}-{suffix}")
        return X, np.asarray(y, dtype=int), ids

    # ROI sizes follow the lesion kind (VICTRE), so each kind has its own observer, trained
    # on that kind's ROIs of the training twins; reader r's scores of every kind form reader
    # r's ratings, as likelihood ratios when there are several kinds (each observer's raw
    # scores carry its own offset and scale). The twins are split once: all ROIs of a twin
    # are on the same side.
    def shifts(m, twins, kind, only=None):
        """Each gathered ROI's recorded shift (the lesion sits at centre - shift)."""
        return [records[k].result.modalities[m].rois[name].shift_px
                if name in records[k].result.modalities[m].rois else None
                for k in twins for _, _, roi_kind, name in roi_lists[k]
                if roi_kind == kind and (only is None or only(k, name))]

    # several observers pooled (ROI kinds, or nodule size classes): each reader's scores are
    # likelihood ratios (readers.calibrated_llr), so its ratings share one scale
    pooled = len(kinds) > 1 or spec.readers.per_size_class
    channels_stored = spec.storage.rois == "channels"

    def read(m, kind, tr, te, *, width_mm=None, crop_px=None, only_tr=None, only_te=None,
             full_rank=True):
        """Readers of ``kind`` trained on twins ``tr``, scoring twins ``te`` (None: too few
        cases); with ``crop_px`` the ROIs are cropped around the lesion first; ``only_tr`` /
        ``only_te`` (``(k, name) -> bool``) keep some of the twins' ROIs; ``full_rank``:
        each reader's draw of twins must span the covariance its observer inverts
        (``readers.covariance_size``, ``resampled_readers``' ``n_features``; a one-line
        ``GroupDrawError`` when 100 draws in a row do not)."""
        X_tr, y_tr, ids_tr = gather(m, tr, kind, only_tr)
        X_te, y_te, ids = gather(m, te, kind, only_te)
        if (len(y_tr) == 0 or len(y_te) == 0 or min(np.bincount(y_tr, minlength=2)) < 2
                or min(np.bincount(y_te, minlength=2)) < 1):
            return None
        X_train = np.stack(X_tr).astype(np.float64)
        X_test = np.stack(X_te).astype(np.float64)
        seed = int(step_key(f"observer-{m}-{kind}"))
        if channels_stored:     # channel outputs, not pixels (trial/_features.py)
            if crop_px is not None or width_mm is not None:
                raise ValueError("a run that stored channel outputs (storage.rois = "
                                 "\"channels\") cannot be read with other channels or crops")
            observer = feature_observer(spec, X_train.shape[1:], seed)
            X_train, X_test = as_observer_input(X_train), as_observer_input(X_test)
        else:
            if crop_px is not None:
                X_train = crop_rois(X_train, crop_px, shifts(m, tr, kind, only_tr))
                X_test = crop_rois(X_test, crop_px, shifts(m, te, kind, only_te))
            pixel_mm = records[int(test[0])].result.modalities[m].roi.pitch_mm
            observer = make_observer(spec, X_train.shape[1:], pixel_mm, seed=seed,
                                     width_mm=width_mm)
        reader_rng = np.random.default_rng(np.random.SeedSequence(
            [spec.seed, step_key(f"readers-{m}-{kind}")]))
        # the resampling unit is the training twin (all its ROIs together), as the twin is
        # the test analysis's cluster: drawing ROIs class by class would split each matched
        # pair (a lesion ROI and the lesion-absent ROI at its place in the same anatomy), and
        # a template built from a class-mean difference would keep the unpaired anatomy
        # (NOTES.md, sixth session, "the trial's NPWE on chest ROIs - diagnosis")
        n_features = covariance_size(observer, X_train.shape[1:]) if full_rank else None
        try:
            return resampled_readers(observer, X_train, y_tr, X_test, y_te,
                                     n_readers=spec.readers.n_readers, rng=reader_rng,
                                     case_ids=ids, calibrate=pooled,
                                     groups=[twin_of(i) for i in ids_tr],
                                     n_features=n_features)
        except GroupDrawError as exc:
            size = "" if n_features is None else f", a {n_features}-feature covariance"
            raise GroupDrawError(
                f"the {m} readers of the {kind} ROIs cannot be trained ({len(tr)} training "
                f"twins, {len(y_tr)} ROIs{size}): {exc}; run more cases"
                f"{'' if n_features is None else ' or use fewer channels'}") from None

    size_readers: dict = {}         # readers.per_size_class: what each class's readers were
    per_modality = {}
    draws: dict = {}                # kind -> modality -> draws of twins refused (not full rank)
    for m in names:
        stage(f"readers {m}")
        parts = []
        for kind in kinds:
            if spec.readers.per_size_class and kind == "nodule":
                parts += _size_class_parts(m, kind, train, test, records, roi_lists, read,
                                           gather, spec, size_readers)
                continue
            part = read(m, kind, train, test)
            if part is not None:
                parts.append(part)
                draws.setdefault(kind, {})[m] = int(part.rejected_draws)
        if not parts:
            raise ValueError(f"no lesion kind has enough finished cases to train and test "
                             f"the {m} readers")
        per_modality[m] = ReaderScores(
            scores=np.concatenate([p.scores for p in parts], axis=1),
            truth=np.concatenate([p.truth for p in parts]), reader_ids=parts[0].reader_ids,
            case_ids=tuple(c for p in parts for c in p.case_ids), method=parts[0].method)
    scored = set(per_modality[names[0]].case_ids)  # a kind too rare to train is left out
    test = np.array([k for k in test
                     if any(f"{case_ids[k]}-{r[0]}" in scored for r in roi_lists[k])], dtype=int)
    table = to_score_table(per_modality)
    description = (f"victwin trial {spec.name} (spec {spec.hash}); readers are "
                   f"{spec.readers.observer} observers retrained on resampled training sets")
    stage("MRMC")
    result = stats.mrmc(table, cov=spec.analysis.covariance, alpha=spec.analysis.alpha)
    # the cluster of a test ROI is the twin (case) it comes from: the ROIs of one twin share
    # its anatomy, so the twins, not the ROIs, are the independent units
    clusters = twin_clusters(table.cases)
    results = {"trial": spec.name, "spec_hash": spec.hash, "modalities": list(names),
               "n_cases": len(records), "n_train_cases": int(len(train)),
               "n_test_cases": int(len(test)), "n_test_rois": len(scored),
               "n_readers": spec.readers.n_readers,
               "observer": spec.readers.observer,
               # each reader trains on a bootstrap of the training twins (all ROIs of a drawn
               # twin), not of single ROIs (results of analyses before 2026-12-02 did)
               "reader_resampling": "bootstrap of training twins", **size_readers,
               # draws refused as unable to span the observer's covariance (readers of the
               # kinds not read per size class; those are in size_class_readers)
               **({"rejected_draws": draws} if draws else {}), "mrmc": result.to_dict(),
               "failed_cases": [f["case_id"] for f in store.failed_cases()]}
    results.update(_clustered(table, clusters, spec.analysis.alpha))
    headline = results["headline"]["analysis"]
    if spec.analysis.non_inferiority_margin is not None:
        head = result if headline == "mrmc" else stats.clustered_mrmc(
            table, clusters, alpha=spec.analysis.alpha)
        ni = stats.non_inferiority(head, spec.analysis.non_inferiority_margin,
                                   new=names[1], reference=names[0])
        results["non_inferiority"] = ni.to_dict() if hasattr(ni, "to_dict") else ni
    by_id = {r.case_id: r for r in records}
    results["subgroups"] = {}
    analysed = {}
    for name in spec.analysis.subgroups:
        stage(f"subgroups by {name}")
        groups = {}
        twins: dict = {}          # value -> truth -> test twins holding such an ROI
        for k in test:
            cid = case_ids[k]
            for suffix, truth, roi_kind, array in roi_lists[k]:
                if f"{cid}-{suffix}" not in scored:
                    continue
                value = roi_kind if name == "lesion" else _subgroup_value(name, by_id[int(cid)],
                                                                          array)
                groups[f"{cid}-{suffix}"] = value
                twins.setdefault(value, ({}, {}))[truth][int(cid)] = True
        # every subgroup gets a row; one with fewer than _MIN_SUBGROUP_CASES test twins of
        # each truth is marked too small instead of being analysed; the "all" row is the
        # headline analysis of every test ROI. Rows list the levels in their natural order
        # (trial/_levels.py), set after the statistics, which do not depend on it.
        sizes = {v: min(len(t[0]), len(t[1])) for v, t in twins.items()}
        entry = {"too_small": {v: sizes[v] for v in ordered_levels(name, sizes)
                               if sizes[v] < _MIN_SUBGROUP_CASES},
                 "analysis": headline}
        try:
            sub = stats.subgroup_analysis(
                table, groups, cov=spec.analysis.covariance, alpha=spec.analysis.alpha,
                clusters=clusters if headline == "mrmc_clustered" else None,
                min_cases=_MIN_SUBGROUP_CASES, auc_cis=name in _CLASSES)
        except ValueError as exc:  # e.g. a degenerate subgroup; say so, go on
            entry.update(error=str(exc), groups=ordered_levels(name, sizes))
            results["subgroups"][name] = entry
            continue
        entry.update(sub.to_dict())
        empty = [_empty_row(value, sub.modalities)       # a declared class no test twin holds
                 for value in _CLASSES.get(name, ()) if value not in sizes]
        for row in empty:
            entry["too_small"][row["subgroup"]] = 0
        entry["too_small"] = {v: entry["too_small"][v]
                              for v in ordered_levels(name, entry["too_small"])}
        entry["subgroups"] = ordered_rows(name, entry["subgroups"] + empty)
        if sub.interaction is None:
            entry["note"] = (f"fewer than two subgroups with at least {_MIN_SUBGROUP_CASES} test "
                             f"cases each: no between-subgroup test")
        results["subgroups"][name] = entry
        # the forest plot lists the table's rows, in the same order
        analysed[name] = replace(sub, rows=ordered_rows(name, sub.rows + empty))
    return TrialAnalysis(results=results, table=table, subgroups=analysed,
                         description=description)


def write_analysis(run_dir, analysis: TrialAnalysis) -> Path:
    """Write ``analysis/``: ``scores.imrmc``, ``forest-<subgroup>.png``, ``results.json``.

    ``results.json`` is written last (atomically): its presence says the analysis is complete.
    Returns the path of ``results.json``.
    """
    from victwin import stats

    out_dir = Path(run_dir) / "analysis"
    out_dir.mkdir(parents=True, exist_ok=True)
    stats.write_imrmc(out_dir / "scores.imrmc", analysis.table,
                      description=analysis.description)
    for name, sub in analysis.subgroups.items():
        sub.forest_plot(out_dir / f"forest-{name}.png",
                        title=forest_title(name, analysis.results["modalities"]), **COUNT_WORDS)
    return atomic_write(out_dir / "results.json",
                        json.dumps(analysis.results, indent=2, default=json_default) + "\n")


def analyse_run(store, spec: TrialSpec, *, progress=None) -> dict:
    """:func:`analyse` the run, then :func:`write_analysis` it; returns ``results``."""
    analysis = analyse(store, spec, progress=progress)
    write_analysis(store.dir, analysis)
    return analysis.results


def twin_clusters(roi_ids) -> dict:
    """The cluster of each test ROI id (``"<case>-<suffix>"``): its twin, ``"<case>"``. Every
    site of a twin (VICTRE's 20 breast sites, a chest twin's nodules and their lesion-absent
    pairs) falls in its twin's cluster, so the clustered analysis resamples twins."""
    return {roi: twin_of(roi) for roi in roi_ids}


def twin_of(roi_id) -> str:
    """The twin (case id, a string) of ROI id ``"<case>-<suffix>"``."""
    return str(roi_id).rsplit("-", 1)[0]


def _empty_row(label: str, modalities) -> dict:
    """The row of a declared subgroup class that no test twin holds."""
    return {"subgroup": label, "n_normal": 0, "n_abnormal": 0,
            "auc": {m: None for m in modalities}, "difference": None, "se": None, "df": None,
            "p": None, "p_adjusted": None, "ci": None, "ci_simultaneous": None,
            "too_small": True, "note": "no test cases in this class"}


def _size_class_parts(m, kind, train, test, records, roi_lists, read, gather, spec,
                      out) -> list:
    """``readers.per_size_class``: one set of readers per Lung-RADS size class of the
    nodules (trial/_nodule_classes.py), its channel width and ROI the class's; the ROIs are
    cropped from the stored ones around the lesion. Each class's readers give likelihood
    ratios (``readers.calibrated_llr`` of their training scores), so the classes' scores pool
    into one rating scale per reader: raw CHO scores carry each observer's own offset
    (measured on an 80-twin run: every class's AUC 0.73-0.82, the pooled raw scores' 0.65).

    **Too few training ROIs**: a class whose training twins hold fewer than
    ``channels.count + 1`` ROIs of either truth (a sample covariance of N channels needs
    N + 1 samples to be full rank; NPW(E), no channels: 2, a mean of each) borrows the
    training ROIs of the nearest classes: the larger ones first, smallest first, then the
    smaller ones, largest first, until the pool holds enough. A CHO class is also pooled
    further when its own ROIs hold enough but 100 bootstrap draws of its training twins in
    a row cannot span its channels' covariance (``resampled_readers``' ``n_features``:
    ``d_0 + d_1 - 2 >= count`` distinct ROIs; before, such a draw was inverted by
    pseudo-inverse, silently). The class keeps its channels; its crop, at train and at
    test, is **the smallest own-class ROI of the pooled classes**. Placement keeps every
    other nodule of a twin out of a site's own-class ROI only (projected centres >=
    s_i / sqrt(2) + r_j, ``place_nodule_sites``); a crop no larger than that, about the
    same lesion position, lies inside it, so no crop a reader sees holds a neighbour. Before,
    a borrowing class cropped every borrowed ROI at its own size: on the first 139 twins of
    8 nodules of the powered rib run, a >= 15 mm crop (199 px) about a < 6 mm nodule held
    part of another nodule in 43 % of them, its centre in 36 %
    (``benchmarks/chest_crop_neighbours.py``; NOTES.md, seventh session, issue 19 fallback
    crops). Pooling the larger classes first keeps the class's crop whenever
    they suffice. The other way to keep placement's guarantee, spacing every nodule for the
    largest crop any fallback can use (55.6 mm), would change the placement of every chest
    twin and make 8 nodules per twin hard to fit, so it was not taken.

    ``out["size_class_readers"]`` says per class what was read: ``trained_on`` ("this
    class" or "nearest size classes"), ``training_classes``, the crop (``roi_px``, and
    ``roi_mm``, the nominal ROI of the class whose crop it is), ``rejected_draws`` (draws of
    twins refused for every reader together, CHO) and the twins counts.

    The class is per ROI: a chest twin with several nodule sites (``cohort.sites``) has ROIs
    in several classes (each nodule's and its lesion-absent pair's the nodule's size); a
    one-nodule twin's two ROIs are in its nodule's class. ``n_train_twins`` /
    ``n_test_twins`` count the twins holding an ROI of the (pooled) training classes / of
    the class."""
    from victwin.readers import GroupDrawError

    def size_class(k, name):
        site = _site_named(records[k], name)
        if site is not None and site.lesion_size_mm is not None:
            return nodule_size_class(site.lesion_size_mm)
        return nodule_size_class(records[k].result.lesion.size_mm)

    pixel_mm = records[int(test[0])].result.modalities[m].roi.pitch_mm
    cho = spec.readers.observer == "cho"
    need = int(spec.readers.channels["count"]) + 1 if cho else 2
    table = out.setdefault("size_class_readers", {})
    parts = []

    def twins_of(twins, labels):
        return np.array([k for k in twins
                         if any(size_class(k, r[3]) in labels for r in roi_lists[k])], dtype=int)

    def enough(labels):
        _, y, _ = gather(m, train, kind, lambda k, name: size_class(k, name) in labels)
        return len(y) > 0 and min(np.bincount(y, minlength=2)) >= need

    for c, label in enumerate(NODULE_SIZE_CLASSES):
        te = twins_of(test, (label,))
        if te.size == 0:
            continue
        # the pool grows by the nearest classes: larger ones (their ROIs are at least this
        # class's) first, then smaller ones (the crop shrinks to theirs)
        order = (NODULE_SIZE_CLASSES[c:] + NODULE_SIZE_CLASSES[:c][::-1])
        held = [lab for lab in order if lab == label or twins_of(train, (lab,)).size]
        width_mm = size_class_reader(label)[0]
        part, full_rank = None, True
        for n_pool in range(1, len(held) + 1):
            pool = tuple(held[:n_pool])
            last = n_pool == len(held)
            if not last and not enough(pool):
                continue
            crop_label = min(pool, key=lambda lab: class_roi_px(lab, pixel_mm))
            n_px = class_roi_px(crop_label, pixel_mm)
            args = dict(width_mm=width_mm, crop_px=n_px,
                        only_tr=lambda k, name, pool=pool: size_class(k, name) in pool,
                        only_te=lambda k, name, label=label: size_class(k, name) == label)
            tr = twins_of(train, pool)
            try:
                part = read(m, kind, tr, te, **args)
            except GroupDrawError:   # no draw of twins spans the channels: pool further
                if not last:
                    continue
                # every class pooled and still no such draw: the draws of before (2 ROIs of
                # each truth), a covariance of less than full rank inverted by
                # pseudo-inverse, said in results.json
                full_rank = False
                part = read(m, kind, tr, te, **args, full_rank=False)
            break
        entry = {"channel_width_mm": round(width_mm, 4),
                 "roi_mm": round(size_class_reader(crop_label)[1], 4), "roi_px": n_px,
                 "trained_on": "this class" if pool == (label,) else "nearest size classes",
                 "training_classes": [lab for lab in NODULE_SIZE_CLASSES if lab in pool],
                 "n_train_twins": int(tr.size),
                 "n_test_twins": int(te.size)}
        if cho:     # the draws are the modality's own (its readers' seed)
            entry["rejected_draws"] = {m: int(part.rejected_draws) if part is not None else 0}
            entry["full_rank_draws"] = full_rank
        else:                                   # NPW(E): the class sets only the ROI
            del entry["channel_width_mm"]
        if label not in table:
            table[label] = entry
        else:       # a later modality: its draws, and its pool where it differs (CHO)
            first = table[label]
            if cho:
                first["rejected_draws"][m] = entry["rejected_draws"][m]
            if {k: v for k, v in entry.items() if k != "rejected_draws"} != \
                    {k: v for k, v in first.items() if k not in ("rejected_draws", "by_modality")}:
                first.setdefault("by_modality", {})[m] = {k: v for k, v in entry.items()
                                                         if k != "rejected_draws"}
        if part is not None:
            parts.append(part)
    return parts


def _case_rois(record: CaseRecord) -> list[tuple]:
    """A finished case's ROIs: ``(id suffix, truth, ROI kind, array name)`` each.

    Cases with several sites list them in ``result.sites``; a one-lesion case (and runs
    written before sites existed) has a lesion-present ROI ``present`` (suffix ``p``) and a
    lesion-absent one ``absent`` (suffix ``a``) of its lesion kind.
    """
    sites = record.result.sites
    if sites and sites[0].name != "present":
        return [(s.name, s.truth, s.roi_kind, s.name) for s in sites]
    kind = record.attributes["lesion"]
    return [("a", 0, kind, "absent"), ("p", 1, kind, "present")]


def _clustered(table, clusters: dict, alpha: float) -> dict:
    """The clustered MRMC analysis (twins as the resampling unit) and the headline choice.

    Returns the ``mrmc_clustered`` and ``headline`` entries of ``results.json``. The headline
    is the clustered analysis: the ROIs of a twin are not independent, so only resampling
    twins gives a variance that holds for a new set of twins. When it cannot be computed
    (fewer than 2 twins of a truth) the headline falls back to the ROI-level analysis and says
    why.
    """
    from victwin import stats

    try:
        res = stats.clustered_mrmc(table, clusters, alpha=alpha)
    except ValueError as exc:
        return {"mrmc_clustered": {"error": str(exc)},
                "headline": {"analysis": "mrmc", "unit": "ROI",
                             "why": f"the clustered analysis is not possible: {exc}"}}
    out = res.to_dict()
    out["cluster_unit"] = "twin"
    if len(res.modalities) > 1:
        # the same ROIs analysed as independent units with DeLong covariances, the estimator
        # the clustered one reduces to with one ROI per twin: their SE ratio is the effect of
        # the clustering alone
        naive = stats.mrmc(table, cov="delong", alpha=alpha)
        se_c, se_n = res.rrrc["se"], naive.rrrc["se"]
        out["design_effect"] = {"se_clustered": se_c, "se_roi_delong": se_n,
                                "se_ratio": se_c / se_n if se_n > 0 else None}
    return {"mrmc_clustered": out,
            "headline": {"analysis": "mrmc_clustered", "unit": "twin",
                         "why": "the ROIs of one twin share its anatomy, so they are not "
                                "independent cases"}}
