"""The trial engine: spec, cohort, resumable runs on one machine or a Dask cluster, report.

``load_spec(path)`` validates a TOML trial spec into a :class:`TrialSpec`; ``plan_trial``
estimates its size and time; ``run_trial(spec, out_dir, workers=..., scheduler=...)`` runs (or
resumes) it into a run directory (SQLite + Zarr, see :class:`TrialStore`), then analyses it
(:func:`analyse`, pure, and :func:`write_analysis`; :func:`analyse_run` does both) and writes ``report.html`` (:func:`write_report`); ``trial_status``
reads a run directory. ``run_case`` is the pure per-case function the executors call.
"""

from ._analysis import TrialAnalysis, analyse, analyse_run, write_analysis
from ._cohort import case_rng, sample_cohort
from ._engine import provenance_record, run_trial, trial_status
from ._export import export_case_dicom
from ._plan import calibrate_case, plan_trial
from ._records import (CaseRecord, CaseResult, Dose, ExposureRecord, LesionSummary,
                       ModalityResult, PhantomSummary, RoiRecord, SiteRecord)
from ._report import write_report
from ._runner import CaseOutput, run_case
from ._sites import SiteLayoutError, check_site_layout
from ._spec import (DENSITY_CLASSES, VICTRE_DENSITY_MIX, TrialSpec, load_spec, spec_from_dict)
from ._store import CaseDamaged, RunLocked, TrialStore, atomic_write, lock_run

__all__ = ["TrialSpec", "load_spec", "spec_from_dict", "DENSITY_CLASSES", "VICTRE_DENSITY_MIX",
           "sample_cohort", "case_rng", "run_case", "CaseOutput", "run_trial", "trial_status",
           "plan_trial", "calibrate_case", "analyse_run", "write_report", "TrialStore",
           "provenance_record", "CaseDamaged", "RunLocked", "atomic_write", "lock_run",
           "export_case_dicom", "analyse", "write_analysis", "TrialAnalysis", "CaseResult",
           "CaseRecord", "RoiRecord", "SiteRecord", "ModalityResult", "PhantomSummary",
           "LesionSummary", "Dose", "ExposureRecord", "SiteLayoutError", "check_site_layout"]
