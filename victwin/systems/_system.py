"""Imaging systems as data: a TOML file checked into a frozen :class:`System`.

A system file has top-level ``name``, ``description``, ``modality`` ("MG" or "DX"), ``scan``
("dm", "dbt" or "radiography") and the tables ``[geometry]``, ``[tube]``, ``[detector]``,
optional ``[grid]``, ``[scatter]``, ``[aec]`` and ``[blur]``. Every key is listed in ``_SCHEMA`` below with
its unit in its name; an unknown key or a bad value raises one ``ValueError`` naming the key.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from victwin.physics import (INTERSPACE_MATERIALS, MAMMOGRAPHY_SCATTER, SPECTRUM_MODELS,
                             AntiScatterGrid, Detector, ScatterModel, SourceBlur, tube_spectrum)

__all__ = ["System", "ScanGeometry", "Tube", "GridSpec", "load", "available", "from_dict"]

_HERE = Path(__file__).resolve().parent
_SCANS = ("dm", "dbt", "radiography")
_MODALITIES = ("MG", "DX")

_NUM, _INT, _STR, _BOOL, _LIST = "number", "integer", "string", "boolean", "list"

#: key -> (type, required, default)
_SCHEMA = {
    "": {"name": (_STR, True, None), "description": (_STR, False, ""),
         "modality": (_STR, True, None), "scan": (_STR, True, None),
         "manufacturer": (_STR, False, "victwin"), "model_name": (_STR, False, "")},
    "geometry": {"sid_mm": (_NUM, True, None), "detector_shape": (_LIST, True, None),
                 "pitch_mm": (_NUM, True, None), "binning": (_INT, False, 1),
                 "n_views": (_INT, False, 1), "arc_deg": (_NUM, False, 0.0),
                 "first_angle_deg": (_NUM, False, None),
                 "source_to_rotation_center_mm": (_NUM, False, None),
                 "rotation_axis": (_STR, False, "x"),
                 "focal_spot_mm": (_NUM, False, 0.0),
                 "breast_support_mm": (_NUM, False, 20.0),
                 "source_x_mm": (_NUM, False, 0.0)},
    "tube": {"anode": (_STR, True, None), "kvp": (_NUM, True, None),
             "filters": (_LIST, True, None), "anode_angle_deg": (_NUM, False, None),
             "mas": (_NUM, True, None), "spectrum": (_STR, False, "spekpy")},
    "detector": {"kind": (_STR, True, None), "material": (_STR, True, None),
                 "thickness_mm": (_NUM, True, None), "energy_per_electron_ev": (_NUM, True, None),
                 "swank": (_NUM, True, None), "electronic_noise_e": (_NUM, True, None),
                 "gain_adu_per_e": (_NUM, True, None), "offset_adu": (_NUM, False, 0.0),
                 "bits": (_INT, False, 14), "light_spread_mm": (_NUM, False, 0.0),
                 "cover_material": (_STR, False, None), "cover_mm": (_NUM, False, 0.0),
                 "rays_per_pixel": (_INT, False, 1), "noise_model": (_STR, False, "victwin")},
    "grid": {"enabled": (_BOOL, False, True), "ratio": (_NUM, True, None),
             "line_density_per_cm": (_NUM, True, None), "strip_width_um": (_NUM, True, None),
             "interspace": (_STR, False, "polystyrene"), "cover_mm": (_NUM, False, 0.0),
             "primary_transmission": (_NUM, False, None),
             "scatter_transmission": (_NUM, False, None)},
    "scatter": {"enabled": (_BOOL, False, True), "kind": (_STR, False, "boone2000"),
                "amplitude": (_NUM, False, MAMMOGRAPHY_SCATTER.amplitude),
                "exponent": (_NUM, False, MAMMOGRAPHY_SCATTER.exponent),
                "range_mm": (_NUM, False, MAMMOGRAPHY_SCATTER.range_mm),
                "range_per_thickness": (_NUM, False, MAMMOGRAPHY_SCATTER.range_per_thickness),
                "max_spr": (_NUM, False, MAMMOGRAPHY_SCATTER.max_spr)},
    "blur": {"enabled": (_BOOL, False, True), "focal_spot_fwhm_mm": (_NUM, False, 0.0),
             "focal_spot_model": (_STR, False, "mcgpu"), "motion_arc_deg": (_NUM, False, 0.0),
             "n_focal": (_INT, False, 2), "n_motion": (_INT, False, 3)},
}
_TABLES = ("geometry", "tube", "detector", "grid", "scatter", "aec", "blur")


def _freeze(value):
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _check_type(key: str, kind: str, value):
    if kind == _NUM:
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise ValueError(f"system key {key} must be a finite number, got {value!r}")
        return float(value)
    if kind == _INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"system key {key} must be an integer, got {value!r}")
        return value
    if kind == _STR:
        if not isinstance(value, str):
            raise ValueError(f"system key {key} must be a string, got {value!r}")
        return value
    if kind == _BOOL:
        if not isinstance(value, bool):
            raise ValueError(f"system key {key} must be true or false, got {value!r}")
        return value
    if not isinstance(value, list):
        raise ValueError(f"system key {key} must be a list, got {value!r}")
    return value


def _section(data: dict, table: str) -> dict:
    schema = _SCHEMA[table]
    prefix = f"{table}." if table else ""
    out = {}
    for key in data:
        if key not in schema:
            raise ValueError(f"unknown system key {prefix}{key!s} (allowed in "
                             f"[{table or 'top level'}]: {', '.join(sorted(schema))})")
    for key, (kind, required, default) in schema.items():
        if key in data:
            out[key] = _check_type(prefix + key, kind, data[key])
        elif required:
            raise ValueError(f"system key {prefix}{key} is required")
        else:
            out[key] = default
    return out


def _positive(key: str, value: float, *, allow_zero: bool = False) -> float:
    if value is None or (value < 0 if allow_zero else value <= 0):
        raise ValueError(f"system key {key} must be {'>= 0' if allow_zero else '> 0'}, "
                         f"got {value!r}")
    return value


@dataclass(frozen=True)
class ScanGeometry:
    """Where source and detector are, per view (mm, degrees).

    Attributes
    ----------
    sid_mm : source-to-image distance at 0 degrees (mm).
    detector_shape : (rows, columns) native pixels.
    pitch_mm : native pixel pitch (mm).
    binning : default read-out binning.
    n_views, arc_deg, first_angle_deg : DBT sweep (degrees).
    source_to_rotation_center_mm : DBT arc radius (mm); the axis is ``sid_mm - radius`` above
        the detector.
    rotation_axis : "x" (tube moves along the chest wall) or "y".
    focal_spot_mm : nominal focal spot size (mm), recorded (no blur is simulated).
    breast_support_mm : breast support top above the detector (mm); recorded.
    source_x_mm : DM/DBT source position along x (0 = over the chest-wall edge).
    """

    sid_mm: float
    detector_shape: tuple[int, int]
    pitch_mm: float
    binning: int = 1
    n_views: int = 1
    arc_deg: float = 0.0
    first_angle_deg: float | None = None
    source_to_rotation_center_mm: float | None = None
    rotation_axis: str = "x"
    focal_spot_mm: float = 0.0
    breast_support_mm: float = 20.0
    source_x_mm: float = 0.0


@dataclass(frozen=True)
class Tube:
    """X-ray tube: anode element, kVp, added filtration ``((material, mm), ...)``, default mAs.

    ``mas`` is the default exposure when AEC is not used: per view for DM and radiography, for
    the whole scan (split equally over views) for DBT. ``spectrum`` names the spectrum model:
    ``"spekpy"`` or ``"victre"`` (VICTRE's MC-GPU files, :func:`victwin.physics.victre_spectrum`).
    """

    anode: str
    kvp: float
    filters: tuple
    mas: float
    anode_angle_deg: float | None = None
    spectrum: str = "spekpy"

    def make_spectrum(self, kvp: float | None = None):
        """The tube's spectrum (window and filters, no paddle) at ``kvp`` (default the tube's)."""
        kw = {} if self.anode_angle_deg is None else {"anode_angle_deg": self.anode_angle_deg}
        return tube_spectrum(self.anode, self.kvp if kvp is None else kvp, list(self.filters),
                             model=self.spectrum, **kw)


@dataclass(frozen=True)
class GridSpec:
    """An anti-scatter grid plus optional measured transmissions that override the model."""

    grid: AntiScatterGrid
    primary_transmission: float | None = None
    scatter_transmission: float | None = None

    def transmission(self, energy_kev, weights=None) -> tuple[float, float]:
        """(primary, scatter) transmission; measured values where given, else the model's."""
        if self.primary_transmission is not None and self.scatter_transmission is not None:
            return self.primary_transmission, self.scatter_transmission
        tp, ts = self.grid.transmission(energy_kev, weights)
        return (self.primary_transmission if self.primary_transmission is not None else tp,
                self.scatter_transmission if self.scatter_transmission is not None else ts)


@dataclass(frozen=True)
class System:
    """A validated, immutable imaging system (see :func:`load`).

    Attributes
    ----------
    name, description, modality ("MG" | "DX"), scan ("dm" | "dbt" | "radiography"),
    manufacturer, model_name : str
    geometry : ScanGeometry
    tube : Tube
    detector : victwin.physics Detector (pitch = native pitch)
    detector_cover : (material, mm) or None
        Material in front of the sensor (VICTRE: 1 mm polystyrene).
    rays_per_pixel : int
        Sub-pixel rays per axis for the aperture (``k x k``).
    grid : GridSpec or None
    scatter : ScatterModel or None (None: scatter off)
    blur : SourceBlur or None
        Focal-spot and source-motion blur (``[blur]`` table; None: point source, no motion).
        Motion applies to DBT only (:meth:`SourceBlur.for_scan`).
    aec : read-only mapping
        The ``[aec]`` table as written (read by ``victwin.physics.auto_exposure``).
    source : str
        File the system was read from.
    """

    name: str
    description: str
    modality: str
    scan: str
    geometry: ScanGeometry
    tube: Tube
    detector: Detector
    detector_cover: tuple | None = None
    rays_per_pixel: int = 1
    grid: GridSpec | None = None
    scatter: ScatterModel | None = None
    blur: SourceBlur | None = None
    aec: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    manufacturer: str = "victwin"
    model_name: str = ""
    source: str = ""

    @property
    def n_views(self) -> int:
        """Views per acquisition."""
        return self.geometry.n_views if self.scan == "dbt" else 1

    def views(self, binning: int | None = None) -> tuple:
        """The scan's views (``victwin.geometry.View``), read out with ``binning`` (default
        the system's)."""
        from victwin import geometry

        g = self.geometry
        k = g.binning if binning is None else int(binning)
        if k < 1:
            raise ValueError(f"binning must be >= 1, got {binning!r}")
        if self.scan == "dm":
            return (geometry.mammography_view(sid_mm=g.sid_mm, detector_shape=g.detector_shape,
                                              pitch_mm=g.pitch_mm, detector_binning=k,
                                              source_x_mm=g.source_x_mm),)
        if self.scan == "dbt":
            radius = g.source_to_rotation_center_mm
            return geometry.tomosynthesis_arc(
                g.n_views, g.arc_deg, g.sid_mm - radius, source_to_rotation_center_mm=radius,
                detector_shape=g.detector_shape, pitch_mm=g.pitch_mm, detector_binning=k,
                first_angle_deg=g.first_angle_deg, rotation_axis=g.rotation_axis)
        return (geometry.radiography_view(sid_mm=g.sid_mm, detector_shape=g.detector_shape,
                                          pitch_mm=g.pitch_mm, detector_binning=k),)

    def angles_deg(self) -> np.ndarray:
        """Tube angle of each view (degrees; 0 for DM and radiography)."""
        g = self.geometry
        if self.scan != "dbt":
            return np.zeros(1)
        start = -g.arc_deg / 2 if g.first_angle_deg is None else g.first_angle_deg
        step = g.arc_deg / (g.n_views - 1) if g.n_views > 1 else 0.0
        return start + step * np.arange(g.n_views)


def _filters(value) -> tuple:
    out = []
    for i, item in enumerate(value):
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], (int, float)) and not isinstance(item[1], bool)
                and math.isfinite(item[1]) and item[1] >= 0):
            raise ValueError(f"system key tube.filters[{i}] must be [material, thickness_mm >= 0],"
                             f" got {item!r}")
        out.append((item[0], float(item[1])))
    return tuple(out)


def from_dict(data: dict, *, source: str = "") -> System:
    """Check a parsed system table and build the :class:`System` (see module docstring)."""
    if not isinstance(data, dict):
        raise ValueError(f"a system must be a table, got {type(data).__name__}")
    top = {k: v for k, v in data.items() if k not in _TABLES}
    head = _section(top, "")
    for t in ("geometry", "tube", "detector"):
        if not isinstance(data.get(t), dict):
            raise ValueError(f"system key [{t}] is required and must be a table")
    for t in ("grid", "scatter", "aec", "blur"):
        if t in data and not isinstance(data[t], dict):
            raise ValueError(f"system key [{t}] must be a table, got {data[t]!r}")
    if head["scan"] not in _SCANS:
        raise ValueError(f"system key scan must be one of {_SCANS}, got {head['scan']!r}")
    if head["modality"] not in _MODALITIES:
        raise ValueError(f"system key modality must be one of {_MODALITIES}, "
                         f"got {head['modality']!r}")

    g = _section(data["geometry"], "geometry")
    shape = g["detector_shape"]
    if not (len(shape) == 2 and all(isinstance(s, int) and not isinstance(s, bool) and s > 0
                                    for s in shape)):
        raise ValueError(f"system key geometry.detector_shape must be [rows, columns] of "
                         f"positive integers, got {shape!r}")
    _positive("geometry.sid_mm", g["sid_mm"])
    _positive("geometry.pitch_mm", g["pitch_mm"])
    _positive("geometry.binning", g["binning"])
    _positive("geometry.focal_spot_mm", g["focal_spot_mm"], allow_zero=True)
    if g["rotation_axis"] not in ("x", "y"):
        raise ValueError(f"system key geometry.rotation_axis must be 'x' or 'y', "
                         f"got {g['rotation_axis']!r}")
    if head["scan"] == "dbt":
        _positive("geometry.n_views", g["n_views"])
        if not 0 <= g["arc_deg"] < 180:
            raise ValueError(f"system key geometry.arc_deg must be in [0, 180), "
                             f"got {g['arc_deg']!r}")
        r = _positive("geometry.source_to_rotation_center_mm", g["source_to_rotation_center_mm"])
        if r >= g["sid_mm"]:
            raise ValueError(f"system key geometry.source_to_rotation_center_mm must be < sid_mm "
                             f"({g['sid_mm']}), got {r!r}")
    elif g["n_views"] != 1:
        raise ValueError(f"system key geometry.n_views must be 1 for a {head['scan']} system, "
                         f"got {g['n_views']!r}")
    geometry = ScanGeometry(sid_mm=g["sid_mm"], detector_shape=(shape[0], shape[1]),
                            pitch_mm=g["pitch_mm"], binning=g["binning"], n_views=g["n_views"],
                            arc_deg=g["arc_deg"], first_angle_deg=g["first_angle_deg"],
                            source_to_rotation_center_mm=g["source_to_rotation_center_mm"],
                            rotation_axis=g["rotation_axis"], focal_spot_mm=g["focal_spot_mm"],
                            breast_support_mm=g["breast_support_mm"],
                            source_x_mm=g["source_x_mm"])

    t = _section(data["tube"], "tube")
    _positive("tube.kvp", t["kvp"])
    _positive("tube.mas", t["mas"])
    if t["spectrum"] not in SPECTRUM_MODELS:
        raise ValueError(f"system key tube.spectrum must be one of {SPECTRUM_MODELS}, "
                         f"got {t['spectrum']!r}")
    tube = Tube(anode=t["anode"], kvp=t["kvp"], filters=_filters(t["filters"]), mas=t["mas"],
                anode_angle_deg=t["anode_angle_deg"], spectrum=t["spectrum"])
    if tube.spectrum != "spekpy":
        try:
            tube.make_spectrum()
        except ValueError as exc:
            raise ValueError(f"system key tube.spectrum: {exc}") from None

    d = _section(data["detector"], "detector")
    try:
        detector = Detector(kind=d["kind"], material=d["material"],
                            thickness_mm=d["thickness_mm"], pitch_mm=g["pitch_mm"],
                            energy_per_electron_ev=d["energy_per_electron_ev"],
                            swank=d["swank"], electronic_noise_e=d["electronic_noise_e"],
                            gain_adu_per_e=d["gain_adu_per_e"], offset_adu=d["offset_adu"],
                            bits=d["bits"], light_spread_mm=d["light_spread_mm"],
                            noise_model=d["noise_model"])
    except ValueError as exc:  # "detector swank must be ..." -> name the key
        raise ValueError(f"system key {str(exc).replace('detector ', 'detector.', 1)}") from None
    _positive("detector.rays_per_pixel", d["rays_per_pixel"])
    cover = None
    if d["cover_material"] is not None and _positive("detector.cover_mm", d["cover_mm"],
                                                     allow_zero=True) > 0:
        cover = (d["cover_material"], d["cover_mm"])

    grid = None
    if "grid" in data:
        gr = _section(data["grid"], "grid")
        if gr["enabled"]:
            if gr["interspace"] not in INTERSPACE_MATERIALS:
                raise ValueError(f"system key grid.interspace must be one of "
                                 f"{sorted(INTERSPACE_MATERIALS)}, got {gr['interspace']!r}")
            for k in ("primary_transmission", "scatter_transmission"):
                if gr[k] is not None and not 0 < gr[k] <= 1:
                    raise ValueError(f"system key grid.{k} must be in (0, 1], got {gr[k]!r}")
            try:
                asg = AntiScatterGrid(ratio=gr["ratio"],
                                      line_density_per_cm=gr["line_density_per_cm"],
                                      strip_width_um=gr["strip_width_um"],
                                      interspace=gr["interspace"], cover_mm=gr["cover_mm"])
            except ValueError as exc:
                raise ValueError(f"system key {str(exc).replace('grid ', 'grid.', 1)}") from None
            grid = GridSpec(asg, gr["primary_transmission"], gr["scatter_transmission"])

    scatter = MAMMOGRAPHY_SCATTER
    if "scatter" in data:
        sc = _section(data["scatter"], "scatter")
        if not sc["enabled"]:
            scatter = None
        else:
            try:
                scatter = ScatterModel(kind=sc["kind"], amplitude=sc["amplitude"],
                                       exponent=sc["exponent"], range_mm=sc["range_mm"],
                                       range_per_thickness=sc["range_per_thickness"],
                                       max_spr=sc["max_spr"])
            except ValueError as exc:
                raise ValueError(f"system key {str(exc).replace('scatter ', 'scatter.', 1)}") \
                    from None
    blur = None
    if "blur" in data:
        bl = _section(data["blur"], "blur")
        if bl["enabled"]:
            try:
                blur = SourceBlur(focal_spot_fwhm_mm=bl["focal_spot_fwhm_mm"],
                                  focal_spot_model=bl["focal_spot_model"],
                                  motion_arc_deg=bl["motion_arc_deg"], n_focal=bl["n_focal"],
                                  n_motion=bl["n_motion"])
            except ValueError as exc:   # "blur key x must ..." -> "system key blur.x must ..."
                raise ValueError(str(exc).replace("blur key ", "system key blur.", 1)) from None
    aec = _freeze(data.get("aec", {}))
    return System(name=head["name"], description=head["description"],
                  modality=head["modality"], scan=head["scan"], geometry=geometry, tube=tube,
                  detector=detector, detector_cover=cover, rays_per_pixel=d["rays_per_pixel"],
                  grid=grid, scatter=scatter, blur=blur, aec=aec, manufacturer=head["manufacturer"],
                  model_name=head["model_name"], source=source)


def available() -> list[str]:
    """Names of the systems shipped with victwin (``victwin/systems/*.toml``)."""
    return sorted(p.stem for p in _HERE.glob("*.toml"))


def load(name_or_path) -> System:
    """Load a system by name (a shipped TOML file) or from a path to a TOML file.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        ``"mammomat-dm"``, ``"mammomat-dbt"``, ``"chest-pa"``, ... (see :func:`available`), or a
        path to a user's ``.toml`` file.

    Returns
    -------
    System

    Raises
    ------
    ValueError
        Unknown name, unreadable TOML, unknown key or bad value (one line naming the key).
    """
    if isinstance(name_or_path, System):
        return name_or_path
    text = str(name_or_path)
    path = Path(text)
    if not (text.endswith(".toml") or path.is_file()):
        if text not in available():
            raise ValueError(f"unknown system {text!r}; available: {', '.join(available())} "
                             f"(or give a path to a .toml file)")
        path = _HERE / f"{text}.toml"
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ValueError(f"system file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"system file {str(path)!r} is not valid TOML: {exc}") from None
    return from_dict(data, source=str(path))
