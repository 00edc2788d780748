"""The trial specification: one TOML file, checked into typed, frozen values.

Every key is one entry of :data:`TRIAL_SCHEMA` (:mod:`victwin.schema`); every mistake gives
one ``ValueError`` line that names the key (``cohort.size``, ``modality[1].system``), the rule
and the value received. The spec's hash (of its canonical JSON form)
is recorded with every result, so a changed spec never silently mixes with an old run.

A complete spec (``examples/demo.toml``)::

    [trial]
    name = "demo"
    seed = 2018
    # preset = "victre"             # VICTRE's lesions, materials, detector, blur, spectra

    [cohort]
    size = 24                       # patient twins; each gives a lesion-present and -absent version
    density_mix = "victre"          # or a table {fatty = 0.1, scattered = 0.4, ...}
    lesions = {mass = 1.0}          # lesion kinds and the fraction of cases with each
    age_years = [40, 75]            # uniform range, or one age for every twin
    laterality = "random"           # "L", "R" or "random" (each case's breast, 50/50)
    # sites = {mass = 4, calcification = 4, absent = 12}  # several sites per twin (VICTRE's);
    #                                 # instead of `lesions`: every twin gets all of them
    #                                 # (chest: sites = {nodule = 4}, each read in matched pairs)
    # [cohort.body]                   # chest twins: each a value, [low, high] (NHANES within
    # sex = "female"                  # it) or "population" (drawn); trial/_bodies.py
    # height_cm = [150, 170]
    # bmi = 30.0

    [resolution]
    voxel_mm = 0.5
    detector_binning = 4
    mode = "lesion-local"           # simulate only the ROI/VOI pixels of each site ("full":
                                    # whole images, as keep_images and previews need)
    # lesion_voxel_mm = 0.05        # lesions in finer tiles of the windows (VICTRE's 50 um);
                                    # lesion-local with cohort.sites, divides voxel_mm

    [[modality]]
    name = "DM"
    system = "mammomat-dm"

    [[modality]]
    name = "DBT"
    system = "mammomat-dbt"
    reconstruction = {method = "fbp"}

    [readers]
    observer = "cho"
    channels = {kind = "laguerre-gauss", count = 5, width_mm = 2.5}
    training_fraction = 0.5
    n_readers = 5
    # per_size_class = true         # lung nodules: one CHO per Lung-RADS size class, its
    #                                 # channels and ROI scaled to the class (docs/trial);
    #                                 # with npw / npwe the class sets the ROI only

    [analysis]
    covariance = "jackknife"
    subgroups = ["density", "lesion"]

    [storage]
    keep_images = false
    # rois = "channels"             # keep each ROI's channel outputs, not its pixels (~1000x
    #                                 # smaller; channelized readers only: trial/_features.py)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from victwin.schema import (Boolean, Choice, Either, Fractions, List, Number, Pair, String, Table,
                            check, invalid)

from ._bodies import BODY_FIELD, check_cohort_body

__all__ = ["TrialSpec", "CohortSpec", "ModalitySpec", "ReadersSpec", "AnalysisSpec",
           "ResolutionSpec", "StorageSpec", "load_spec", "spec_from_dict", "VICTRE_DENSITY_MIX",
           "DENSITY_CLASSES", "LESION_KINDS", "TRIAL_SCHEMA"]

#: BI-RADS density classes, named as the breast recipes in ``phantoms/breast/``.
DENSITY_CLASSES = ("fatty", "scattered", "heterogeneous", "dense")

#: VICTRE's cohort by density (Badano et al. 2018): 300 fatty, 1200 scattered, 1200
#: heterogeneously dense, 286 extremely dense of 2986 subjects.
VICTRE_DENSITY_MIX = {"fatty": 300 / 2986, "scattered": 1200 / 2986,
                      "heterogeneous": 1200 / 2986, "dense": 286 / 2986}

#: Lesion kinds a trial can insert, and the phantom family each needs.
LESION_KINDS = {"mass": "breast", "calcification": "breast", "nodule": "chest"}

OBSERVERS = ("cho", "hotelling", "npw", "npwe", "msCHO", "vCHO")
CHANNELS = ("laguerre-gauss", "gabor", "dog", "sparse-dog")
COVARIANCES = ("jackknife", "delong", "unbiased")
RECON_METHODS = ("fbp", "sart", "sirt", "sbp")
SUBGROUPS = ("density", "lesion", "breast_size", "age", "sex", "bmi", "nodule_size",
             "rib_overlap")
#: Subgroups of lung nodules (chest cohorts only; trial/_nodule_classes.py).
NODULE_SUBGROUPS = ("nodule_size", "rib_overlap")
RESOLUTION_MODES = ("lesion-local", "full")
ROI_STORAGE = ("full", "channels")   # [storage] rois: the pixels, or the readers' channel outputs
#: Keys of ``cohort.sites``: breast lesion kinds and the lesion-absent sites; lung nodules
#: (a chest twin reads each nodule's lesion-absent ROI at its place in the twin without them).
SITE_KINDS = ("mass", "calcification", "absent", "nodule")
#: Most sites of one kind per twin (VICTRE had 4 + 4 + 12).
MAX_SITES = 64


@dataclass(frozen=True)
class CohortSpec:
    """Who is in the trial. Each case is one patient twin imaged with and without a lesion."""

    size: int
    density_mix: dict[str, float]
    lesions: dict[str, float]
    age_years: tuple[float, float] = (40.0, 75.0)
    family: str = "breast"
    #: Which breast is imaged: "L", "R", or "random" (drawn per case). The phantom stays in
    #: victwin's breast frame; laterality changes only how the images are placed in DICOM.
    laterality: str = "random"
    #: Several sites per twin (VICTRE: ``{"mass": 4, "calcification": 4, "absent": 12}``),
    #: placed by :func:`victwin.phantom.placement.place_sites`; ``None``: one lesion of the
    #: kind ``lesions`` draws, read lesion-absent at the same place in the lesion-free twin.
    sites: dict | None = None
    #: Chest twins' sex, height and BMI fixed or restricted (``[cohort.body]``,
    #: :mod:`._bodies`); ``None``: all drawn from the NHANES 2015-2018 table.
    body: dict | None = None


@dataclass(frozen=True)
class ResolutionSpec:
    """Phantom voxel size, detector binning, sub-pixel rays (``None``: the system's) and mode.

    ``mode = "lesion-local"`` simulates only the detector pixels each site's ROI/VOI needs
    (:func:`victwin.acquisition.acquire_regions`); ``"full"`` simulates whole images.
    ``lesion_voxel_mm`` (lesion-local with ``cohort.sites``; ``None``: the lesions on the
    phantom's voxels) rasterises the lesion-present twin's lesions in tiles of that voxel size
    set into the windows (:func:`victwin.phantom.lesion_tiles`; VICTRE's lesions are 50 um).
    """

    voxel_mm: float = 0.5
    detector_binning: int = 4
    rays_per_pixel: int | None = None
    mode: str = "lesion-local"
    lesion_voxel_mm: float | None = None


@dataclass(frozen=True)
class ModalitySpec:
    """One imaging arm: a system by name, and for DBT its reconstruction."""

    name: str
    system: str
    reconstruction: dict = field(default_factory=dict)
    dose_scale: float = 1.0


@dataclass(frozen=True)
class ReadersSpec:
    observer: str = "cho"
    channels: dict = field(default_factory=lambda: {"kind": "laguerre-gauss", "count": 5,
                                                    "width_mm": 2.5})
    training_fraction: float = 0.5
    n_readers: int = 5
    roi_mm: float | None = None
    internal_noise: float = 0.0
    #: One observer per Lung-RADS nodule size class, its channel width and ROI scaled to the
    #: class (trial/_nodule_classes.py); False: one observer per lesion kind.
    per_size_class: bool = False


@dataclass(frozen=True)
class AnalysisSpec:
    covariance: str = "jackknife"
    subgroups: tuple[str, ...] = ("density", "lesion")
    non_inferiority_margin: float | None = None
    alpha: float = 0.05


@dataclass(frozen=True)
class StorageSpec:
    keep_images: bool = False
    previews: bool = True
    max_attempts: int = 3
    rois: str = "full"          # or "channels": the readers' channel outputs (_features.py)


@dataclass(frozen=True)
class TrialSpec:
    """A validated trial specification (see the module docstring for the TOML layout)."""

    name: str
    seed: int
    cohort: CohortSpec
    modalities: tuple[ModalitySpec, ...]
    readers: ReadersSpec = ReadersSpec()
    analysis: AnalysisSpec = AnalysisSpec()
    resolution: ResolutionSpec = ResolutionSpec()
    storage: StorageSpec = StorageSpec()
    description: str = ""
    backend: str = "auto"
    preset: str = "victwin"

    def to_dict(self) -> dict:
        d = json.loads(json.dumps(asdict(self)))
        if d["preset"] == "victwin":    # the default: left out so older specs keep their hash
            del d["preset"]
        if d["resolution"]["lesion_voxel_mm"] is None:   # likewise
            del d["resolution"]["lesion_voxel_mm"]
        if not d["readers"]["per_size_class"]:           # likewise
            del d["readers"]["per_size_class"]
        if d["cohort"]["body"] is None:                  # likewise
            del d["cohort"]["body"]
        if d["storage"]["rois"] == "full":               # likewise
            del d["storage"]["rois"]
        return d

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON form (first 16 hex digits)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_toml_dict(self) -> dict:
        """The spec in its TOML layout: ``spec_from_dict(spec.to_toml_dict()) == spec``."""
        d = self.to_dict()
        readers = {k: v for k, v in d["readers"].items() if v is not None}
        analysis = {k: v for k, v in d["analysis"].items() if v is not None}
        cohort = {k: v for k, v in d["cohort"].items() if k != "family" and v is not None}
        if self.cohort.sites is not None:
            cohort.pop("lesions", None)
        resolution = {k: v for k, v in d["resolution"].items() if v is not None}
        modalities = [{k: v for k, v in m.items()
                       if not (k == "reconstruction" and not v)
                       and not (k == "dose_scale" and v == 1.0)} for m in d["modalities"]]
        trial = {"name": self.name, "seed": self.seed, "description": self.description,
                 "backend": self.backend}
        if self.preset != "victwin":
            trial["preset"] = self.preset
        return {"trial": trial,
                "cohort": cohort, "resolution": resolution, "modality": modalities,
                "readers": readers, "analysis": analysis, "storage": d["storage"]}

    @property
    def modality_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.modalities)


def _preset_names() -> tuple[str, ...]:
    from victwin.systems import preset_names

    return preset_names()


def _valid_name(name: str) -> bool:
    return bool(name.strip()) and not any(c in name for c in "/\\\0")


# ---- the schema: one entry per key (victwin.schema); adding a key is adding a line here, a
# field to its dataclass above, and its use in spec_from_dict ------------------------------
_MODALITY = Table({
    "name": String(),
    "system": String(),                        # a shipped system's name or a .toml path
    "dose_scale": Number(0.01, 100.0, default=1.0),
    "reconstruction": Table({                  # DBT only
        "method": Choice(RECON_METHODS, default="fbp"),
        "iterations": Number(1, 1000, integer=True, default=5),
        "slice_mm": Number(0.1, 10.0, default=1.0),
    }, default=None),
})

#: Every key of a trial spec with its rule and its default.
TRIAL_SCHEMA = Table({
    "trial": Table({
        "name": String(rule=_valid_name, rule_text="a non-empty name without slashes"),
        "seed": Number(0, 2**63 - 1, integer=True),
        "description": String(default=""),
        "backend": Choice(("auto", "cpu", "cuda"), default="auto"),
        "preset": Choice(_preset_names, default="victwin"),
    }),
    "cohort": Table({
        "size": Number(2, 1_000_000, integer=True),
        "density_mix": Either(Choice(("victre",)), Fractions(DENSITY_CLASSES), default="victre"),
        "lesions": Fractions(LESION_KINDS, default={"mass": 1.0}),
        "age_years": Either(Number(18, 100), Pair(18, 100), default=[40, 75]),
        "laterality": Choice(("L", "R", "random"), default="random"),
        # several sites per twin, instead of `lesions` (each twin gets every kind listed)
        "sites": Table({k: Number(0, MAX_SITES, integer=True, default=None)
                        for k in SITE_KINDS}, default=None),
        "body": BODY_FIELD,            # chest twins' sex, height, BMI (trial/_bodies.py)
    }),
    "resolution": Table({
        "voxel_mm": Number(0.02, 5.0, default=0.5),
        "detector_binning": Number(1, 32, integer=True, default=4),
        "rays_per_pixel": Number(1, 8, integer=True, default=None),
        "mode": Choice(RESOLUTION_MODES, default="lesion-local"),
        # lesions in tiles this fine (mm); checked against voxel_mm, mode and sites below
        "lesion_voxel_mm": Number(0.0, 5.0, lo_open=True, default=None),
    }, default={}),
    "modality": List(_MODALITY, min_len=2,
                     rule_text="a list of at least two imaging arms to compare"),
    "readers": Table({
        "observer": Choice(OBSERVERS, default="cho"),
        "channels": Table({
            "kind": Choice(CHANNELS, default="laguerre-gauss"),
            "count": Number(1, 64, integer=True, default=5),
            "width_mm": Number(0.01, 100.0, lo_open=True, default=2.5),
        }, default={}),
        "training_fraction": Number(0.1, 0.9, default=0.5),
        "n_readers": Number(1, 100, integer=True, default=5),
        "roi_mm": Number(1.0, 100.0, default=None),
        "internal_noise": Number(0.0, 10.0, default=0.0),
        # one CHO per nodule size class (chest); checked with the rest in _check_readers
        "per_size_class": Boolean(default=False),
    }, default={}),
    "analysis": Table({
        "covariance": Choice(COVARIANCES, default="jackknife"),
        "subgroups": List(Choice(SUBGROUPS), default=["density", "lesion"]),
        "non_inferiority_margin": Number(0.0, 0.5, lo_open=True, default=None),
        "alpha": Number(1e-6, 0.5, lo_open=True, default=0.05),
    }, default={}),
    "storage": Table({
        "keep_images": Boolean(default=False),
        "previews": Boolean(default=None),     # default: true in resolution.mode "full"
        "max_attempts": Number(1, 100, integer=True, default=3),
        "rois": Choice(ROI_STORAGE, default="full"),
    }, default={}),
})

_WHAT = "trial spec"


def _check_system(name: str, path: str) -> None:
    from victwin import systems

    if Path(name).suffix == ".toml":
        if not Path(name).is_file():
            raise invalid(_WHAT, path, "an existing system file", name)
        return
    known = tuple(systems.available())
    if name not in known:
        valid = ", ".join(repr(s) for s in known)
        raise ValueError(f"{_WHAT}: {path} names an unknown system {name!r} (valid: {valid}, "
                         f"or a .toml path)")


def _sites(c: dict, raw: dict) -> dict | None:
    """``cohort.sites``: the counts given (integers), at least one lesion site."""
    if c["sites"] is None:
        return None
    sites = {k: n for k, n in c["sites"].items() if n is not None}
    if "lesions" in raw:
        raise invalid(_WHAT, "cohort.lesions", "absent when cohort.sites is given (every twin "
                      "then gets every lesion kind listed)", raw["lesions"])
    if not any(n > 0 for k, n in sites.items() if k != "absent"):
        raise invalid(_WHAT, "cohort.sites", "a table with at least one lesion site "
                      "(mass, calcification or nodule > 0)", sites)
    if "nodule" in sites:
        others = sorted(k for k in sites if k != "nodule")
        if others:
            raise invalid(_WHAT, "cohort.sites", "nodule alone in a chest trial (each "
                          "nodule's lesion-absent ROI is read at its place in the twin without "
                          f"nodules; breast kinds and absent sites are for breast twins), not "
                          f"with {', '.join(others)}", sites)
        if sites["nodule"] < 1:
            raise invalid(_WHAT, "cohort.sites.nodule", "an integer >= 1", sites["nodule"])
    return sites


def _cohort(c: dict, raw: dict) -> CohortSpec:
    """The cohort, with the rules that tie its keys together."""
    sites = _sites(c, raw)
    if sites is not None:   # every twin gets every lesion kind listed
        kinds = [k for k, n in sites.items() if k != "absent" and n > 0]
        c = dict(c, lesions={k: 1.0 / len(kinds) for k in kinds})
    density_mix = (dict(VICTRE_DENSITY_MIX) if c["density_mix"] == "victre"
                   else c["density_mix"])
    total = sum(density_mix.values())
    if abs(total - 1.0) > 1e-6:
        raise invalid(_WHAT, "cohort.density_mix", "fractions that add up to 1 (their sum)",
                      round(total, 6))
    lesions = c["lesions"]
    total = sum(lesions.values())
    if abs(total - 1.0) > 1e-6:
        raise invalid(_WHAT, "cohort.lesions", "fractions that add up to 1, each case getting "
                      "one lesion kind (their sum)", round(total, 6))
    families = {LESION_KINDS[k] for k, f in lesions.items() if f > 0}
    if len(families) != 1:
        raise invalid(_WHAT, "cohort.lesions", "lesions of one family (breast or chest)",
                      sorted(lesions))
    family = families.pop()
    age = c["age_years"]                      # one age: every twin that age
    age = (age, age) if isinstance(age, float) else tuple(age)
    body = check_cohort_body(c["body"], age, family, _WHAT)
    return CohortSpec(size=c["size"], density_mix=density_mix, lesions=lesions,
                      age_years=age, family=family, laterality=c["laterality"], sites=sites,
                      body=body)


def _storage(s: dict, resolution: ResolutionSpec) -> StorageSpec:
    # lesion-local runs have no full image to preview unless asked
    previews = resolution.mode == "full" if s["previews"] is None else s["previews"]
    return StorageSpec(keep_images=s["keep_images"], previews=previews,
                       max_attempts=s["max_attempts"], rois=s["rois"])


def _check_storage(storage: StorageSpec, readers: ReadersSpec) -> None:
    """``storage.rois = "channels"`` keeps only what a channelized observer reads of a ROI
    (trial/_features.py): refused where the analysis needs the pixels."""
    if storage.rois != "channels":
        return
    from ._features import FEATURE_OBSERVERS

    if readers.observer not in FEATURE_OBSERVERS:
        raise invalid(_WHAT, "readers.observer", f"one of {', '.join(FEATURE_OBSERVERS)} with "
                      "storage.rois = \"channels\" (the other observers read the pixels)",
                      readers.observer)
    if readers.per_size_class:
        raise invalid(_WHAT, "storage.rois", "\"full\" with readers.per_size_class (each size "
                      "class crops the ROI and sets its own channels)", storage.rois)


def _check_lesion_voxel(resolution: ResolutionSpec, cohort) -> None:
    """``resolution.lesion_voxel_mm``: a whole divisor of ``voxel_mm``, in a lesion-local
    spec with ``cohort.sites`` (the windows the tiles are set into)."""
    fine = resolution.lesion_voxel_mm
    if fine is None:
        return
    key = "resolution.lesion_voxel_mm"
    ratio = resolution.voxel_mm / fine
    if abs(ratio - round(ratio)) > 1e-6 * ratio or round(ratio) < 1:
        raise invalid(_WHAT, key, f"a whole divisor of resolution.voxel_mm "
                      f"({resolution.voxel_mm:g})", fine)
    if resolution.mode != "lesion-local":
        raise invalid(_WHAT, key, 'used only with resolution.mode = "lesion-local" (remove it '
                      'or set the mode)', fine)
    if cohort.sites is None:
        raise invalid(_WHAT, key, "used only with cohort.sites (lesion-local windows)", fine)


def _check_readers(readers: ReadersSpec, raw: dict, cohort: CohortSpec) -> None:
    """``readers.per_size_class``: lung nodules only, a Laguerre-Gauss CHO whose width is
    the class's (no ``channels.width_mm``), ROIs (``roi_mm``) that hold the largest class's.
    Several nodules per twin need it: placement keeps the other nodules out of each
    nodule's class ROI only, not out of a ``roi_mm`` ROI."""
    if not readers.per_size_class:
        if cohort.sites is not None and "nodule" in cohort.sites:
            raise invalid(_WHAT, "readers.per_size_class", "true with cohort.sites = {nodule "
                          "= N} (the nodules are spaced for their size classes' ROIs)", False)
        return
    from ._nodule_classes import largest_class_roi_mm

    key = "readers.per_size_class"
    if cohort.family != "chest":
        raise invalid(_WHAT, key, "used only with lung nodules (cohort.lesions = {nodule = "
                      "1.0}): the size classes are Lung-RADS nodule sizes", True)
    if readers.observer not in ("cho", "npw", "npwe"):
        raise invalid(_WHAT, "readers.observer", 'cho, npw or npwe with readers.per_size_class '
                      '(the class sets a CHO\'s channels and ROI, an NPW(E)\'s ROI)',
                      readers.observer)
    need = largest_class_roi_mm()
    if readers.roi_mm is None or readers.roi_mm < need:
        raise invalid(_WHAT, "readers.roi_mm", f"at least {need:.1f} mm with "
                      f"readers.per_size_class (the >=15 mm class's ROI)", readers.roi_mm)
    if readers.observer != "cho":       # no channels: the class sets only the ROI crop
        return
    if readers.channels["kind"] != "laguerre-gauss":
        raise invalid(_WHAT, "readers.channels.kind", "laguerre-gauss with "
                      "readers.per_size_class (its width follows the nodule size)",
                      readers.channels["kind"])
    if "width_mm" in (raw.get("channels") or {}):
        raise invalid(_WHAT, "readers.channels.width_mm", "absent with readers.per_size_class "
                      "(each size class sets its own width)", raw["channels"]["width_mm"])


def _check_subgroups(subgroups, cohort: CohortSpec) -> None:
    """Nodule subgroups need a chest cohort (its nodules carry size and rib overlap)."""
    for name in subgroups:
        if name in NODULE_SUBGROUPS and cohort.family != "chest":
            raise invalid(_WHAT, "analysis.subgroups", f"{name} used only with lung nodules "
                          f"(cohort.lesions = {{nodule = 1.0}})", name)


def spec_from_dict(data: dict, *, base_dir: Path | None = None) -> TrialSpec:
    """Validate a parsed spec (a dict as TOML gives it) into a :class:`TrialSpec`.

    Raises
    ------
    ValueError
        One line naming the key, the rule and the value (:data:`TRIAL_SCHEMA`).
    """
    v = check(TRIAL_SCHEMA, data, _WHAT)
    t = v["trial"]
    cohort = _cohort(v["cohort"], data.get("cohort", {}))
    resolution = ResolutionSpec(**v["resolution"])
    _check_lesion_voxel(resolution, cohort)
    modalities = []
    for k, (raw, m) in enumerate(zip(data["modality"], v["modality"])):
        system = m["system"]
        if system.endswith(".toml") and base_dir is not None and not Path(system).is_absolute():
            system = str((Path(base_dir) / system).resolve())
        _check_system(system, f"modality[{k}].system")
        # an absent or empty [reconstruction] stays empty (the spec hash depends on it)
        recon = m["reconstruction"] if raw.get("reconstruction") else {}
        if recon.get("method") in ("sart", "sirt") and resolution.mode == "lesion-local":
            raise invalid(_WHAT, f"modality[{k}].reconstruction.method", "fbp or sbp in "
                          "resolution.mode \"lesion-local\" (sart and sirt reconstruct the whole "
                          "field: set resolution.mode = \"full\")", recon["method"])
        modalities.append(ModalitySpec(name=m["name"], system=system, reconstruction=recon,
                                       dose_scale=m["dose_scale"]))
    names = [m.name for m in modalities]
    if len(set(names)) != len(names):
        raise invalid(_WHAT, "modality[*].name", "unique", names)
    rd, a = v["readers"], v["analysis"]
    readers = ReadersSpec(observer=rd["observer"], channels=rd["channels"],
                          training_fraction=rd["training_fraction"], n_readers=rd["n_readers"],
                          roi_mm=rd["roi_mm"], internal_noise=rd["internal_noise"],
                          per_size_class=rd["per_size_class"])
    _check_readers(readers, data.get("readers", {}), cohort)
    if readers.per_size_class:      # each size class sets its width (no width_mm given: checked)
        readers = replace(readers, channels={
            k: x for k, x in readers.channels.items() if k != "width_mm"})
    _check_subgroups(a["subgroups"], cohort)
    analysis = AnalysisSpec(covariance=a["covariance"], subgroups=tuple(a["subgroups"]),
                            non_inferiority_margin=a["non_inferiority_margin"], alpha=a["alpha"])
    storage = _storage(v["storage"], resolution)
    _check_storage(storage, readers)
    return TrialSpec(name=t["name"].strip(), seed=t["seed"], cohort=cohort,
                     modalities=tuple(modalities), readers=readers, analysis=analysis,
                     resolution=resolution, storage=storage, description=t["description"],
                     backend=t["backend"], preset=t["preset"])


def load_spec(path) -> TrialSpec:
    """Read and validate a trial spec TOML file.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        One line naming the key for any mistake, or the TOML syntax error with its line; a
        file over 1 MB, not UTF-8, or nested more than 32 deep. A UTF-8 BOM is accepted.
    """
    from victwin._textfile import read_toml_file

    path = Path(path)
    data = read_toml_file(path, "trial spec")  # size, UTF-8 (BOM ok), TOML, nesting
    return spec_from_dict(data, base_dir=path.parent)
