"""The trial specification: one TOML file, checked into typed, frozen values.

Every mistake gives one ``ValueError`` line that names the key (``cohort.size``,
``modality[1].system``) and the value received. The spec's hash (of its canonical JSON form)
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
    age_years = [40, 75]            # uniform range
    laterality = "random"           # "L", "R" or "random" (each case's breast, 50/50)
    # sites = {mass = 4, calcification = 4, absent = 12}  # several sites per twin (VICTRE's);
    #                                 # instead of `lesions`: every twin gets all of them

    [resolution]
    voxel_mm = 0.5
    detector_binning = 4
    mode = "lesion-local"           # simulate only the ROI/VOI pixels of each site ("full":
                                    # whole images, as keep_images and previews need)

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

    [analysis]
    covariance = "jackknife"
    subgroups = ["density", "lesion"]

    [storage]
    keep_images = false
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["TrialSpec", "CohortSpec", "ModalitySpec", "ReadersSpec", "AnalysisSpec",
           "ResolutionSpec", "StorageSpec", "load_spec", "spec_from_dict", "VICTRE_DENSITY_MIX",
           "DENSITY_CLASSES", "LESION_KINDS"]

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
RESOLUTION_MODES = ("lesion-local", "full")
#: Keys of ``cohort.sites``: breast lesion kinds and the lesion-absent sites.
SITE_KINDS = ("mass", "calcification", "absent")
#: Most sites of one kind per twin (VICTRE had 4 + 4 + 12).
MAX_SITES = 64
SUBGROUPS = ("density", "lesion", "breast_size", "age", "sex", "bmi")


class _Reader:
    """Reads one table of the spec, recording which keys were used."""

    def __init__(self, table, path: str):
        if not isinstance(table, dict):
            raise ValueError(f"{path or 'spec'} must be a table, got {_show(table)}")
        self.table = table
        self.path = path
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def get(self, name, default=..., *, kind=None):
        self.used.add(name)
        if name not in self.table:
            if default is ...:
                raise ValueError(f"missing key {self.key(name)}")
            return default
        value = self.table[name]
        if kind is not None and not _is_kind(value, kind):
            raise ValueError(f"{self.key(name)} must be {_kind_name(kind)}, got {_show(value)}")
        return value

    def number(self, name, default=..., *, lo=None, hi=None, lo_open=False, integer=False):
        value = self.get(name, default, kind=int if integer else (int, float))
        if value is default and default is not ...:
            return default
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{self.key(name)} must be finite, got {value!r}")
        if lo is not None and (value < lo or (lo_open and value == lo)):
            op = ">" if lo_open else ">="
            raise ValueError(f"{self.key(name)} must be {op} {lo}, got {value!r}")
        if hi is not None and value > hi:
            raise ValueError(f"{self.key(name)} must be <= {hi}, got {value!r}")
        return value

    def choice(self, name, options, default=...):
        value = self.get(name, default, kind=str)
        if value is default and default is not ...:
            return default
        if value not in options:
            valid = ", ".join(repr(o) for o in options)
            raise ValueError(f"{self.key(name)} must be one of {valid}, got {value!r}")
        return value

    def sub(self, name, default=...):
        value = self.get(name, {} if default is ... else default)
        return _Reader(value, self.key(name))

    def finish(self):
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            valid = ", ".join(sorted(self.used))
            raise ValueError(f"unknown key {self.key(unknown[0])} (valid keys here: {valid})")


def _is_kind(value, kind) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def _kind_name(kind) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
             list: "a list", dict: "a table"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if set(kinds) == {int, float}:
        return "a number"
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fractions(table, path: str, allowed) -> dict[str, float]:
    if not isinstance(table, dict) or not table:
        raise ValueError(f"{path} must be a non-empty table of fractions, got {_show(table)}")
    out = {}
    for name, frac in table.items():
        if name not in allowed:
            valid = ", ".join(repr(a) for a in allowed)
            raise ValueError(f"unknown key {path}.{name} (valid: {valid})")
        if not _is_kind(frac, (int, float)) or not 0 <= frac <= 1 or not math.isfinite(frac):
            raise ValueError(f"{path}.{name} must be a fraction in [0, 1], got {_show(frac)}")
        out[name] = float(frac)
    return out


def _sites(table) -> dict[str, int]:
    """``cohort.sites``: integer counts per kind, at least one lesion site."""
    out = {}
    for name, n in table.items():
        if name not in SITE_KINDS:
            valid = ", ".join(repr(a) for a in SITE_KINDS)
            raise ValueError(f"unknown key cohort.sites.{name} (valid: {valid})")
        if not _is_kind(n, int) or not 0 <= n <= MAX_SITES:
            raise ValueError(f"cohort.sites.{name} must be an integer from 0 to {MAX_SITES}, "
                             f"got {_show(n)}")
        out[name] = int(n)
    if not any(n > 0 for k, n in out.items() if k != "absent"):
        raise ValueError(f"cohort.sites must ask for at least one lesion site, got {_show(table)}")
    return out


def _range(value, path: str, lo: float, hi: float) -> tuple[float, float]:
    if (not isinstance(value, list) or len(value) != 2
            or not all(_is_kind(v, (int, float)) for v in value)):
        raise ValueError(f"{path} must be [min, max], got {_show(value)}")
    a, b = float(value[0]), float(value[1])
    if not (lo <= a <= b <= hi):
        raise ValueError(f"{path} must satisfy {lo} <= min <= max <= {hi}, got {_show(value)}")
    return a, b


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


@dataclass(frozen=True)
class ResolutionSpec:
    """Phantom voxel size, detector binning, sub-pixel rays (``None``: the system's) and mode.

    ``mode = "lesion-local"`` simulates only the detector pixels each site's ROI/VOI needs
    (:func:`victwin.acquisition.acquire_regions`); ``"full"`` simulates whole images.
    """

    voxel_mm: float = 0.5
    detector_binning: int = 4
    rays_per_pixel: int | None = None
    mode: str = "lesion-local"


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


def _known_systems() -> tuple[str, ...]:
    from victwin import systems

    return tuple(systems.available())


def _check_system(name: str, path: str) -> None:
    try:
        known = _known_systems()
    except ImportError:  # pragma: no cover - systems package missing
        return
    if Path(name).suffix == ".toml":
        if not Path(name).is_file():
            raise ValueError(f"{path}: system file {name!r} does not exist")
        return
    if name not in known:
        valid = ", ".join(repr(s) for s in known)
        raise ValueError(f"{path} names an unknown system {name!r} (valid: {valid}, or a .toml "
                         f"path)")


def spec_from_dict(data: dict, *, base_dir: Path | None = None) -> TrialSpec:
    """Validate a parsed spec (a dict as TOML gives it) into a :class:`TrialSpec`."""
    top = _Reader(data, "")
    t = top.sub("trial")
    name = t.get("name", kind=str).strip()
    if not name or any(c in name for c in "/\\\0"):
        raise ValueError(f"trial.name must be a non-empty name without slashes, got {name!r}")
    seed = t.number("seed", integer=True, lo=0, hi=2**63 - 1)
    description = t.get("description", "", kind=str)
    backend = t.choice("backend", ("auto", "cpu", "cuda"), "auto")
    preset = t.choice("preset", _preset_names(), "victwin")
    t.finish()

    c = top.sub("cohort")
    size = c.number("size", integer=True, lo=2, hi=1_000_000)
    mix = c.get("density_mix", "victre")
    if mix == "victre":
        density_mix = dict(VICTRE_DENSITY_MIX)
    elif isinstance(mix, str):
        raise ValueError(f"cohort.density_mix must be 'victre' or a table of fractions, got "
                         f"{mix!r}")
    else:
        density_mix = _fractions(mix, "cohort.density_mix", DENSITY_CLASSES)
    total = sum(density_mix.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"cohort.density_mix fractions must add up to 1, got {total:.6g}")
    sites = c.get("sites", None, kind=dict)
    if sites is not None:
        if "lesions" in c.table:
            raise ValueError("cohort.sites and cohort.lesions: give one of them (with sites "
                             "every twin gets every lesion kind listed)")
        sites = _sites(sites)
    lesions = _fractions(c.get("lesions", {"mass": 1.0}) if sites is None else
                         {k: 1.0 / len([n for k2, n in sites.items()
                                        if k2 != "absent" and n > 0])
                          for k, n in sites.items() if k != "absent" and n > 0},
                         "cohort.lesions", tuple(LESION_KINDS))
    if abs(sum(lesions.values()) - 1.0) > 1e-6:
        raise ValueError(f"cohort.lesions fractions must add up to 1 (each case gets one "
                         f"lesion kind), got {sum(lesions.values()):.6g}")
    families = {LESION_KINDS[k] for k, f in lesions.items() if f > 0}
    if len(families) != 1:
        raise ValueError(f"cohort.lesions mixes breast and chest lesions: {sorted(lesions)}")
    family = families.pop()
    age = _range(c.get("age_years", [40, 75]), "cohort.age_years", 18, 100)
    laterality = c.choice("laterality", ("L", "R", "random"), "random")
    c.finish()
    if sites is not None and family != "breast":  # pragma: no cover - sites are breast kinds
        raise ValueError("cohort.sites is for breast twins")

    r = top.sub("resolution")
    resolution = ResolutionSpec(
        voxel_mm=float(r.number("voxel_mm", 0.5, lo=0.02, hi=5.0)),
        detector_binning=r.number("detector_binning", 4, integer=True, lo=1, hi=32),
        rays_per_pixel=r.number("rays_per_pixel", None, integer=True, lo=1, hi=8),
        mode=r.choice("mode", RESOLUTION_MODES, "lesion-local"))
    r.finish()

    raw_modalities = top.get("modality", kind=list)
    if len(raw_modalities) < 2:
        raise ValueError(f"modality must list at least two imaging arms to compare, got "
                         f"{len(raw_modalities)}")
    modalities = []
    for k, raw in enumerate(raw_modalities):
        m = _Reader(raw, f"modality[{k}]")
        mname = m.get("name", kind=str)
        system = m.get("system", kind=str)
        if system.endswith(".toml") and base_dir is not None and not Path(system).is_absolute():
            system = str((Path(base_dir) / system).resolve())
        _check_system(system, m.key("system"))
        dose_scale = float(m.number("dose_scale", 1.0, lo=0.01, hi=100.0))
        recon = m.get("reconstruction", {}, kind=dict)
        if recon:
            rr = _Reader(recon, m.key("reconstruction"))
            method = rr.choice("method", RECON_METHODS, "fbp")
            iterations = rr.number("iterations", 5, integer=True, lo=1, hi=1000)
            slice_mm = rr.number("slice_mm", 1.0, lo=0.1, hi=10.0)
            rr.finish()
            recon = {"method": method, "iterations": iterations, "slice_mm": float(slice_mm)}
            if method in ("sart", "sirt") and resolution.mode == "lesion-local":
                raise ValueError(f"{rr.key('method')} = {method!r} reconstructs the whole "
                                 f"field: set resolution.mode = \"full\" (lesion-local runs "
                                 f"use fbp or sbp)")
        m.finish()
        modalities.append(ModalitySpec(name=mname, system=system, reconstruction=recon,
                                       dose_scale=dose_scale))
    names = [m.name for m in modalities]
    if len(set(names)) != len(names):
        raise ValueError(f"modality names must be unique, got {names}")

    rd = top.sub("readers")
    observer = rd.choice("observer", OBSERVERS, "cho")
    ch = rd.sub("channels", {"kind": "laguerre-gauss", "count": 5, "width_mm": 2.5})
    channels = {"kind": ch.choice("kind", CHANNELS, "laguerre-gauss"),
                "count": ch.number("count", 5, integer=True, lo=1, hi=64),
                "width_mm": float(ch.number("width_mm", 2.5, lo=0.01, lo_open=True, hi=100.0))}
    ch.finish()
    readers = ReadersSpec(
        observer=observer, channels=channels,
        training_fraction=float(rd.number("training_fraction", 0.5, lo=0.1, hi=0.9)),
        n_readers=rd.number("n_readers", 5, integer=True, lo=1, hi=100),
        roi_mm=(None if "roi_mm" not in rd.table
                else float(rd.number("roi_mm", lo=1.0, hi=100.0))),
        internal_noise=float(rd.number("internal_noise", 0.0, lo=0.0, hi=10.0)))
    rd.finish()

    a = top.sub("analysis")
    subgroups = a.get("subgroups", ["density", "lesion"], kind=list)
    for k, s in enumerate(subgroups):
        if s not in SUBGROUPS:
            valid = ", ".join(repr(x) for x in SUBGROUPS)
            raise ValueError(f"analysis.subgroups[{k}] must be one of {valid}, got {_show(s)}")
    margin = a.get("non_inferiority_margin", None)
    if margin is not None:
        margin = float(a.number("non_inferiority_margin", lo=0.0, lo_open=True, hi=0.5))
    analysis = AnalysisSpec(covariance=a.choice("covariance", COVARIANCES, "jackknife"),
                            subgroups=tuple(subgroups), non_inferiority_margin=margin,
                            alpha=float(a.number("alpha", 0.05, lo=1e-6, lo_open=True, hi=0.5)))
    a.finish()

    s = top.sub("storage")
    storage = StorageSpec(keep_images=s.get("keep_images", False, kind=bool),
                          # lesion-local runs have no full image to preview unless asked
                          previews=s.get("previews", resolution.mode == "full", kind=bool),
                          max_attempts=s.number("max_attempts", 3, integer=True, lo=1, hi=100))
    s.finish()
    top.finish()

    cohort = CohortSpec(size=size, density_mix=density_mix, lesions=lesions, age_years=age,
                        family=family, laterality=laterality, sites=sites)
    return TrialSpec(name=name, seed=seed, cohort=cohort, modalities=tuple(modalities),
                     readers=readers, analysis=analysis, resolution=resolution, storage=storage,
                     description=description, backend=backend, preset=preset)


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
