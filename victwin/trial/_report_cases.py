"""The report's sections about the cases themselves: example images, dose, time per stage and
failed cases (assembled by :mod:`._report`).

The example images and the dose speak the cohort's language: a breast trial's columns are
its density classes and its dose the mean glandular dose; a chest trial's columns are its
twins' sex and BMI class (trial/_levels.py) and its dose the incident air kerma (a radiograph
has no mean glandular dose, acquisition/_dose.py).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ._html import _COLORS, _e, _f, _figure, _png, _Raw, _table
from ._levels import NOT_APPLICABLE, bmi_class, level_rank
from ._records import CaseRecord, ExposureRecord

__all__: list[str] = []


def _or(value, missing="?"):
    return missing if value is None else value


def _lesion_mark(roi, preview_shape) -> tuple | None:
    """Preview (row, col, radius) of the lesion (``roi``: a :class:`RoiRecord` or None), or
    None when the full image shape is unknown."""
    if roi is None or not roi.image_shape or not roi.center_index:
        return None
    scale = np.asarray(preview_shape[-2:], float) / np.asarray(roi.image_shape[-2:], float)
    row, col = np.asarray(roi.center_index[-2:], float) * scale
    size = np.asarray(roi.size_px[-2:], float) * scale
    return float(row), float(col), float(max(size.max() / 2.0, 2.0))


def _example_classes(rows: list[CaseRecord], family: str) -> tuple[str, list]:
    """What the example columns are (``"density class"``; a chest cohort's ``"sex and BMI
    class"``) and ``(label, first finished twin)`` of each class, in natural order
    (trial/_levels.py)."""
    if family == "chest":
        def key(row):
            a = row.attributes
            return (a.get("sex", NOT_APPLICABLE),
                    bmi_class(a["bmi"]) if "bmi" in a else NOT_APPLICABLE)

        def rank(k):
            return level_rank("sex", k[0]), level_rank("bmi", k[1])

        def label(k):
            return f"{k[0]}, BMI {k[1]}"
        what = "sex and BMI class"
    else:
        def key(row):
            return row.attributes.get("density", NOT_APPLICABLE)

        def rank(k):
            return level_rank("density", k)

        def label(k):
            return k
        what = "density class"
    first: dict = {}
    for row in rows:
        first.setdefault(key(row), row)
    return what, [(label(k), first[k]) for k in sorted(first, key=rank)]


def _examples_section(store, rows: list[CaseRecord], spec, names, what: str,
                      classes: list) -> str:
    from matplotlib.patches import Circle

    panels = []
    for cls, row in classes:
        wanted = [f"previews/{m}" for m in names]
        try:
            arrays = store.read_arrays(row.case_id, wanted)
        except (OSError, KeyError):
            continue
        if all(w in arrays for w in wanted):
            panels.append((cls, row, [arrays[w] for w in wanted]))
    if not panels:
        return ("<p>No previews were stored (storage.previews = false; lesion-local runs "
                "simulate only the readers' ROIs and keep previews only when asked).</p>")
    # one column per class, one row per modality; rows as tall as the previews (mammograms
    # are tall, chest radiographs about square)
    shape = np.shape(panels[0][2][0])
    aspect = shape[-2] / shape[-1] if len(shape) >= 2 and shape[-1] else 1.3
    col_in = 2.3 if len(panels) <= 4 else max(1.7, 10.0 / len(panels))  # chest: 6 columns
    row_in = float(np.clip(col_in * aspect, 1.6, 3.4)) + 0.45
    fig = _figure(max(col_in * len(panels), 4.0) + 0.3, row_in * len(names) + 0.3)
    unmarked = 0
    for i, (cls, row, images) in enumerate(panels):
        for j, (m, img) in enumerate(zip(names, images)):
            ax = fig.add_subplot(len(names), len(panels), j * len(panels) + i + 1)
            img = np.asarray(img, float)
            lo, hi = np.percentile(img, [1, 99]) if img.size else (0, 1)
            ax.imshow(img, cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1,
                      interpolation="nearest")
            mod = row.result.modalities.get(m)
            mark = _lesion_mark(mod.roi if mod is not None else None, img.shape)
            if mark is None:
                unmarked += 1
            else:
                r, c, rad = mark
                ax.add_patch(Circle((c, r), rad, fill=False, ec="#ff3b30", lw=1.6))
            ax.set_xticks([])
            ax.set_yticks([])
            label = "all cases" if cls == NOT_APPLICABLE else cls
            ax.set_title(f"{label}\ncase {row.case_id}, {m}", fontsize=8.5)
    fig.tight_layout()
    recon = [m.name for m in spec.modalities if m.reconstruction and m.name in names]
    note = (f"Each column is the first finished twin of a {what}, lesion-present version"
            + (f" ({', '.join(recon)}: the reconstructed slice through the lesion)"
               if recon else "")
            + "; the red circle marks the lesion's ROI."
            + (" BMI classes (kg/m^2) are WHO's: < 25, 25-30 (overweight), >= 30 (obese)."
               if what.endswith("BMI class") else ""))
    if unmarked:
        note += (f" {unmarked} panel(s) carry no mark: the run did not record the full image "
                 f"shape needed to place the ROI on the downsampled preview.")
    return _png(fig) + f"<p class='note'>{_e(note)}</p>"


#: Dose quantities the report shows, first found first: (record field, axis label, short name).
_DOSE_QUANTITIES = (
    ("mgd_mgy", "mean glandular dose (mGy)", "MGD"),
    # a radiograph outside mammography has no MGD (acquisition/_dose.py): its dose record is
    # the incident air kerma at the entrance plane, free in air (no backscatter)
    ("entrance_air_kerma_mgy", "incident air kerma at the entrance (mGy)", "air kerma"),
)


def _dose_section(rows: list[CaseRecord], names) -> str:
    mods = {m: [r.result.modalities[m] for r in rows if m in r.result.modalities]
            for m in names}
    for field, axis, short in _DOSE_QUANTITIES:
        mgd = {m: np.array([getattr(x.dose, field) for x in mods[m]
                            if x.dose is not None and getattr(x.dose, field) is not None],
                           float) for m in names}
        mgd = {m: v for m, v in mgd.items() if v.size}
        if mgd:
            break
    if not mgd:
        return "<p>No dose records.</p>"
    fig = _figure(9.0, 3.6)
    ax1 = fig.add_subplot(1, 2, 1)
    ax1.boxplot(list(mgd.values()), tick_labels=list(mgd.keys()))
    ax1.set_ylabel(axis)
    ax1.set_title(f"{short[0].upper()}{short[1:]} per case", fontsize=10)
    ax2 = fig.add_subplot(1, 2, 2)
    hi = max(v.max() for v in mgd.values())
    bins = np.linspace(0, hi * 1.05 if hi > 0 else 1, 16)
    for k, (m, v) in enumerate(mgd.items()):
        ax2.hist(v, bins=bins, alpha=0.55, color=_COLORS[k % len(_COLORS)], label=m)
    ax2.set_xlabel(axis)
    ax2.set_ylabel("cases")
    ax2.legend(fontsize=9)
    fig.tight_layout()
    table = []
    for m, v in mgd.items():
        exp = [x.exposure or ExposureRecord() for x in mods[m]]
        kvps = sorted({f"{_or(e.anode)} {_or(e.kvp)} kV" for e in exp})
        views = sorted({str(_or(e.n_views)) for e in exp})
        table.append([m, v.size, _f(v.mean()), _f(np.median(v)), _f(v.min()), _f(v.max()),
                      ", ".join(kvps[:4]) + (" ..." if len(kvps) > 4 else ""), ", ".join(views)])
    note = ("" if field == "mgd_mgy" else
             "<p class='note'>Dose: each case's incident air kerma at the entrance plane, free "
             "in air (no backscatter), of the lesion-present acquisition.</p>")
    return _png(fig) + _table(["modality", "cases", f"mean {short} (mGy)", "median", "min",
                               "max", "beams (AEC)", "views"], table,
                              num_cols=(1, 2, 3, 4, 5)) + note


def _timing_section(rows: list[CaseRecord]) -> str:
    stages: dict[str, list] = {}
    for r in rows:
        for k, v in r.timings.items():
            stages.setdefault(k, []).append(float(v))
    if not stages:
        return "<p>No timings recorded.</p>"
    top = {k: v for k, v in stages.items() if "." not in k}
    totals = [sum(v for k, v in r.timings.items() if "." not in k) for r in rows]
    fig = _figure(7.5, 0.42 * len(top) + 1.3)
    ax = fig.add_subplot(1, 1, 1)
    keys = sorted(top, key=lambda k: np.mean(top[k]))
    ax.barh(keys, [np.mean(top[k]) for k in keys], color=_COLORS[0])
    ax.set_xlabel("mean seconds per case")
    ax.set_title(f"Time per stage (mean case total {np.mean(totals):.2f} s)", fontsize=10)
    fig.tight_layout()
    table = [[k if "." not in k else _Raw("&nbsp;&nbsp;&nbsp;" + _e(k)), len(v),
              _f(np.mean(v), 3), _f(np.median(v), 3), _f(np.sum(v), 1)]
             for k, v in sorted(stages.items())]
    workers = Counter(r.worker or "?" for r in rows)
    backends = Counter(r.backend or "?" for r in rows)
    per_hour = 3600.0 / np.mean(totals) if np.mean(totals) > 0 else float("nan")
    return (_png(fig) + _table(["stage", "cases", "mean s", "median s", "total s"], table,
                               num_cols=(1, 2, 3, 4))
            + f"<p class='note'>{len(rows)} cases on {len(workers)} worker process(es); "
              f"backends: {_e(', '.join(f'{k} ({v})' for k, v in backends.items()))}; "
              f"about {per_hour:.0f} cases per hour per worker at these settings.</p>")


def _failed_section(res: dict, failed: list) -> str:
    if not failed:
        return "<p>No case failed.</p>"
    return (f"<p>{len(failed)} case(s) failed after their retries and are left out of the "
            f"analysis.</p>"
            + _table(["case", "attempts", "error"],
                     [[f["case_id"], f["attempts"], (f.get("error") or "")[:400]]
                      for f in failed], num_cols=(0, 1)))
