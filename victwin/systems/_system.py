"""Imaging systems as data: a TOML file checked into a frozen :class:`System`.

A system file has top-level ``name``, ``description``, ``modality`` ("MG" or "DX"), ``scan``
("dm", "dbt" or "radiography") and the tables ``[geometry]``, ``[tube]``, ``[detector]``,
optional ``[grid]``, ``[scatter]``, ``[aec]`` and ``[blur]``. Every key is listed in
:data:`SYSTEM_SCHEMA` below with its unit in its name; an unknown key or a bad value raises one
``ValueError`` line naming the key, the rule and the value.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from victwin.physics import (INTERSPACE_MATERIALS, MAMMOGRAPHY_SCATTER, SCATTER_PATHS,
                             SPECTRUM_MODELS, AntiScatterGrid, Detector, ScatterModel,
                             SourceBlur, check_aec_table, tube_spectrum)
from victwin.schema import (Anything, Boolean, Choice, List, Number, String, Table, Tuple, check,
                            invalid)

__all__ = ["System", "ScanGeometry", "Tube", "GridSpec", "load", "available", "from_dict",
           "SYSTEM_SCHEMA"]

_HERE = Path(__file__).resolve().parent
_SCANS = ("dm", "dbt", "radiography")
_MODALITIES = ("MG", "DX")

_POS = {"lo": 0, "lo_open": True}
_S = MAMMOGRAPHY_SCATTER

#: Every key of a system file with its rule and its default (:mod:`victwin.schema`).
SYSTEM_SCHEMA = Table({
    "name": String(),
    "description": String(default=""),
    "modality": Choice(_MODALITIES),
    "scan": Choice(_SCANS),
    "manufacturer": String(default="victwin"),
    "model_name": String(default=""),
    "geometry": Table({
        "sid_mm": Number(**_POS),
        "detector_shape": List(Number(1, integer=True), length=2,
                               rule_text="[rows, columns] of positive integers"),
        "pitch_mm": Number(**_POS),
        "binning": Number(1, integer=True, default=1),
        "n_views": Number(1, integer=True, default=1),
        "arc_deg": Number(0, 180, hi_open=True, default=0.0),
        "first_angle_deg": Number(default=None),
        "source_to_rotation_center_mm": Number(**_POS, default=None),      # DBT
        "rotation_axis": Choice(("x", "y"), default="x"),
        "focal_spot_mm": Number(0, default=0.0),
        "breast_support_mm": Number(default=20.0),
        "source_x_mm": Number(default=0.0),
    }),
    "tube": Table({
        "anode": String(),
        "kvp": Number(**_POS),
        "filters": List(Tuple(String(), Number(0), rule_text="[material, thickness_mm >= 0]")),
        "anode_angle_deg": Number(default=None),
        "mas": Number(**_POS),
        "spectrum": Choice(SPECTRUM_MODELS, default="spekpy"),
    }),
    "detector": Table({
        "kind": String(), "material": String(), "thickness_mm": Number(),
        "energy_per_electron_ev": Number(), "swank": Number(), "electronic_noise_e": Number(),
        "gain_adu_per_e": Number(), "offset_adu": Number(default=0.0),
        "bits": Number(integer=True, default=14), "light_spread_mm": Number(default=0.0),
        "cover_material": String(default=None), "cover_mm": Number(0, default=0.0),
        "rays_per_pixel": Number(1, integer=True, default=1),
        "noise_model": String(default="victwin"),
    }),
    "grid": Table({
        "enabled": Boolean(default=True), "ratio": Number(), "line_density_per_cm": Number(),
        "strip_width_um": Number(), "interspace": Choice(lambda: sorted(INTERSPACE_MATERIALS),
                                                         default="polystyrene"),
        "cover_mm": Number(default=0.0),
        "primary_transmission": Number(0, 1, lo_open=True, default=None),
        "scatter_transmission": Number(0, 1, lo_open=True, default=None),
    }, default=None),
    "scatter": Table({
        "enabled": Boolean(default=True), "kind": String(default="boone2000"),
        "amplitude": Number(default=_S.amplitude), "exponent": Number(default=_S.exponent),
        "range_mm": Number(default=_S.range_mm),
        "range_per_thickness": Number(default=_S.range_per_thickness),
        "max_spr": Number(default=_S.max_spr),
        "path": Choice(SCATTER_PATHS, default=_S.path),
    }, default=None),
    "aec": Anything(default=None),      # checked by victwin.physics.check_aec_table
    "blur": Table({
        "enabled": Boolean(default=True), "focal_spot_fwhm_mm": Number(default=0.0),
        "focal_spot_model": String(default="mcgpu"), "motion_arc_deg": Number(default=0.0),
        "n_focal": Number(integer=True, default=2), "n_motion": Number(integer=True, default=3),
    }, default=None),
})


def _freeze(value):
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _named(exc: ValueError, table: str) -> ValueError:
    """A physics constructor's error ("detector swank must be ...", "blur key n_motion must
    ...") in the system's format ("system: detector.swank must be ...")."""
    msg = str(exc)
    for prefix in (f"{table} key ", f"{table} "):
        if msg.startswith(prefix):
            return ValueError(f"system: {table}.{msg[len(prefix):]}")
    return ValueError(f"system: {table}: {msg}")


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


def from_dict(data: dict, *, source: str = "") -> System:
    """Check a parsed system table (:data:`SYSTEM_SCHEMA` and the rules that tie keys
    together) and build the :class:`System` (see module docstring).

    Raises
    ------
    ValueError
        One line naming the key, the rule and the value.
    """
    v = check(SYSTEM_SCHEMA, data, "system")
    g, t, d = v["geometry"], v["tube"], v["detector"]
    if v["scan"] == "dbt":
        r = g["source_to_rotation_center_mm"]
        if r is None:
            raise ValueError("system: missing key geometry.source_to_rotation_center_mm (a "
                             "number > 0, needed for a dbt system)")
        if r >= g["sid_mm"]:
            raise invalid("system", "geometry.source_to_rotation_center_mm",
                          f"< sid_mm ({g['sid_mm']:g})", r)
    elif g["n_views"] != 1:
        raise invalid("system", "geometry.n_views", f"1 for a {v['scan']} system", g["n_views"])
    shape = g["detector_shape"]
    geometry = ScanGeometry(sid_mm=g["sid_mm"], detector_shape=(shape[0], shape[1]),
                            pitch_mm=g["pitch_mm"], binning=g["binning"], n_views=g["n_views"],
                            arc_deg=g["arc_deg"], first_angle_deg=g["first_angle_deg"],
                            source_to_rotation_center_mm=g["source_to_rotation_center_mm"],
                            rotation_axis=g["rotation_axis"], focal_spot_mm=g["focal_spot_mm"],
                            breast_support_mm=g["breast_support_mm"],
                            source_x_mm=g["source_x_mm"])

    tube = Tube(anode=t["anode"], kvp=t["kvp"], filters=tuple(tuple(f) for f in t["filters"]),
                mas=t["mas"], anode_angle_deg=t["anode_angle_deg"], spectrum=t["spectrum"])
    if tube.spectrum != "spekpy":
        try:
            tube.make_spectrum()
        except ValueError as exc:
            raise ValueError(f"system: tube.spectrum {tube.spectrum!r} has no spectrum at "
                             f"tube.kvp {tube.kvp:g}: {exc}") from None

    try:
        detector = Detector(kind=d["kind"], material=d["material"],
                            thickness_mm=d["thickness_mm"], pitch_mm=g["pitch_mm"],
                            energy_per_electron_ev=d["energy_per_electron_ev"],
                            swank=d["swank"], electronic_noise_e=d["electronic_noise_e"],
                            gain_adu_per_e=d["gain_adu_per_e"], offset_adu=d["offset_adu"],
                            bits=d["bits"], light_spread_mm=d["light_spread_mm"],
                            noise_model=d["noise_model"])
    except ValueError as exc:
        raise _named(exc, "detector") from None
    cover = None
    if d["cover_material"] is not None and d["cover_mm"] > 0:
        cover = (d["cover_material"], d["cover_mm"])

    grid = None
    gr = v["grid"]
    if gr is not None and gr["enabled"]:
        try:
            asg = AntiScatterGrid(ratio=gr["ratio"], line_density_per_cm=gr["line_density_per_cm"],
                                  strip_width_um=gr["strip_width_um"],
                                  interspace=gr["interspace"], cover_mm=gr["cover_mm"])
        except ValueError as exc:
            raise _named(exc, "grid") from None
        grid = GridSpec(asg, gr["primary_transmission"], gr["scatter_transmission"])

    scatter = MAMMOGRAPHY_SCATTER
    sc = v["scatter"]
    if sc is not None:
        if not sc["enabled"]:
            scatter = None
        else:
            try:
                scatter = ScatterModel(kind=sc["kind"], amplitude=sc["amplitude"],
                                       exponent=sc["exponent"], range_mm=sc["range_mm"],
                                       range_per_thickness=sc["range_per_thickness"],
                                       max_spr=sc["max_spr"], path=sc["path"])
            except ValueError as exc:
                raise _named(exc, "scatter") from None
    blur = None
    bl = v["blur"]
    if bl is not None and bl["enabled"]:
        try:
            blur = SourceBlur(focal_spot_fwhm_mm=bl["focal_spot_fwhm_mm"],
                              focal_spot_model=bl["focal_spot_model"],
                              motion_arc_deg=bl["motion_arc_deg"], n_focal=bl["n_focal"],
                              n_motion=bl["n_motion"])
        except ValueError as exc:
            raise _named(exc, "blur") from None
    if v["aec"] is not None:
        check_aec_table(v["aec"], "system", "aec")
    aec = _freeze(data.get("aec", {}))     # kept as written (read by physics.auto_exposure)
    return System(name=v["name"], description=v["description"],
                  modality=v["modality"], scan=v["scan"], geometry=geometry, tube=tube,
                  detector=detector, detector_cover=cover, rays_per_pixel=d["rays_per_pixel"],
                  grid=grid, scatter=scatter, blur=blur, aec=aec,
                  manufacturer=v["manufacturer"], model_name=v["model_name"], source=source)


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
