"""Subgroup levels: the label each twin gets for a subgroup variable, and the natural order of
those labels.

This is the one place that orders subgroup levels: ``results.json``'s rows and ``too_small``
counts, the forest plots (``analysis/forest-*.png``) and the report's tables all list the
levels of a subgroup in :data:`SUBGROUP_LEVELS` order (:func:`ordered_rows`,
:func:`ordered_levels`), never by string sort or by which test twin came first. Ordering is
presentation only: :func:`victwin.stats.subgroup_analysis` runs on the same groups as before,
so every AUC, CI and p-value is unchanged.

Declared orders:

* ``density``: BI-RADS a-d, fatty, scattered, heterogeneous, dense
  (:data:`victwin.trial.DENSITY_CLASSES`);
* ``lesion``: the lesion kinds as the spec schema declares them, mass, calcification, nodule
  (``_spec.LESION_KINDS``). A run stores its spec with sorted keys (provenance), so the key
  order of a spec file's ``cohort.lesions`` does not survive to the report; the schema's does;
* ``breast_size``: small, medium, large (compressed thickness < 45, 45-60, >= 60 mm);
* ``age``: bands ascending, < 50, 50-64, >= 65 years;
* ``sex``: female, male (fixed; the order of
  :data:`victwin.phantom.chest.population.SEXES`);
* ``bmi``: WHO classes ascending, < 25 (under- and normal weight), 25-30 (overweight),
  >= 30 kg/m^2 (obese) (WHO Technical Report Series 894, 2000, Table 2.1);
* ``nodule_size``: Lung-RADS v1.1 size bands, smallest first
  (:data:`._nodule_classes.NODULE_SIZE_CLASSES`);
* ``rib_overlap``: between ribs, over ribs (:data:`._nodule_classes.RIB_OVERLAP_CLASSES`).

A level no list declares (a label written by an older version, a new kind) follows the
declared ones, in string order; :data:`NOT_APPLICABLE` ("n/a": the variable does not apply to
the twin, e.g. BMI of a breast twin) comes last.
"""

from __future__ import annotations

from ._nodule_classes import NODULE_SIZE_CLASSES, RIB_OVERLAP_CLASSES
from ._spec import DENSITY_CLASSES, LESION_KINDS

__all__ = ["NOT_APPLICABLE", "AGE_BANDS", "BMI_CLASSES", "SEX_LEVELS", "BREAST_SIZE_CLASSES",
           "SUBGROUP_LEVELS", "SUBGROUP_TITLES", "age_band", "bmi_class", "breast_size_class",
           "level_rank", "ordered_levels", "ordered_rows", "subgroup_title", "forest_title", "COUNT_WORDS"]

#: The label of a twin the variable does not apply to; listed last.
NOT_APPLICABLE = "n/a"
#: Age bands (years): < 50, 50 to < 65, >= 65.
AGE_BANDS = ("<50", "50-64", ">=65")
#: WHO BMI classes (kg/m^2): < 25, 25 to < 30 (overweight), >= 30 (obese); WHO TRS 894 (2000).
BMI_CLASSES = ("<25", "25-30", ">=30")
#: Sexes in a fixed order (victwin.phantom.chest.population.SEXES); breast twins are female.
SEX_LEVELS = ("female", "male")
#: Compressed-thickness classes of the breast (mm): < 45, 45 to < 60, >= 60.
BREAST_SIZE_CLASSES = ("small (<45 mm)", "medium (45-60 mm)", "large (>=60 mm)")

#: Subgroup variable -> its levels in natural order.
SUBGROUP_LEVELS: dict[str, tuple[str, ...]] = {
    "density": tuple(DENSITY_CLASSES),
    "lesion": tuple(LESION_KINDS),
    "breast_size": BREAST_SIZE_CLASSES,
    "age": AGE_BANDS,
    "sex": SEX_LEVELS,
    "bmi": BMI_CLASSES,
    "nodule_size": tuple(NODULE_SIZE_CLASSES),
    "rib_overlap": tuple(RIB_OVERLAP_CLASSES),
}

#: Subgroup variable -> what the report's headings and forest plots call it.
SUBGROUP_TITLES: dict[str, str] = {
    "density": "density (BI-RADS)",
    "lesion": "lesion kind",
    "breast_size": "breast size (compressed thickness)",
    "age": "age (years)",
    "sex": "sex",
    "bmi": "BMI (kg/m^2)",
    "nodule_size": "nodule size (Lung-RADS v1.1)",
    "rib_overlap": "rib overlap",
}


#: What a trial's subgroup row counts, in the words of the forest plots and the report's
#: table (``victwin.stats`` count_label): a row's cases are ROIs (lesion-present and
#: lesion-absent), several per twin, and its clusters are twins. With several sites per
#: twin, ROIs are not patients.
COUNT_WORDS = {"abnormal": "lesion", "normal": "lesion-absent", "unit": "ROIs",
               "cluster_unit": "twins"}


def subgroup_title(name: str) -> str:
    """The words for subgroup variable ``name`` (the name itself when none are declared)."""
    return SUBGROUP_TITLES.get(name, name)


def forest_title(name: str, modalities) -> str:
    """The title of the forest plot by subgroup variable ``name`` (analysis PNG and report)."""
    a, b = list(modalities)[:2]
    return f"AUC difference ({a} - {b}) by {subgroup_title(name)}"


def age_band(age_years: float) -> str:
    """The age band of :data:`AGE_BANDS` (lower edges inclusive)."""
    a = float(age_years)
    return AGE_BANDS[0] if a < 50 else (AGE_BANDS[1] if a < 65 else AGE_BANDS[2])


def bmi_class(bmi_kg_m2: float) -> str:
    """The WHO class of :data:`BMI_CLASSES` of a BMI in kg/m^2 (lower edges inclusive)."""
    b = float(bmi_kg_m2)
    return BMI_CLASSES[0] if b < 25 else (BMI_CLASSES[1] if b < 30 else BMI_CLASSES[2])


def breast_size_class(thickness_mm: float) -> str:
    """Compressed-thickness class (:data:`BREAST_SIZE_CLASSES`) of the ``breast_size``
    subgroup."""
    t = float(thickness_mm)
    return (BREAST_SIZE_CLASSES[0] if t < 45.0 else
            BREAST_SIZE_CLASSES[1] if t < 60.0 else BREAST_SIZE_CLASSES[2])


def level_rank(name: str, level) -> tuple:
    """Sort key of one level of subgroup ``name``: declared levels in their order, then
    undeclared ones by string, then :data:`NOT_APPLICABLE`."""
    label = str(level)
    declared = SUBGROUP_LEVELS.get(name, ())
    if label in declared:
        return (0, declared.index(label), "")
    if label == NOT_APPLICABLE:
        return (2, 0, "")
    return (1, 0, label)


def ordered_levels(name: str, levels) -> list[str]:
    """The distinct ``levels`` of subgroup ``name`` in natural order."""
    return sorted(dict.fromkeys(str(v) for v in levels), key=lambda v: level_rank(name, v))


def ordered_rows(name: str, rows) -> list:
    """Subgroup rows (dicts with a ``"subgroup"`` label) in the natural order of ``name``'s
    levels; a new list, the rows themselves untouched."""
    return sorted(rows, key=lambda r: level_rank(name, r["subgroup"]))
