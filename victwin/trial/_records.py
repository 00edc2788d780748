"""Typed trial records: what one finished case holds, with a stable JSON form.

A :class:`CaseResult` is what the case runner returns and the store keeps (JSON in the
``result`` column of ``trial.sqlite``): the phantom's summary, the lead lesion, the case's
sites, and per modality (:class:`ModalityResult`) the ROI records (:class:`RoiRecord`), dose
and exposure. :class:`CaseRecord` is a finished case's row (id, cohort attributes, result,
timings, worker). Every record is a frozen dataclass with ``to_dict`` / ``from_dict``;
``from_dict`` checks the JSON with :mod:`victwin.schema`, so a wrong file fails in one line
naming the key and the rule (``run '/r': case 3 result: modalities.DM.roi.size_px must be a
list of at least 2, each an integer >= 1, got 'x'``).

``CaseResult.to_dict`` writes ``"format_version": RESULT_FORMAT``. Results written before the
field existed (the same layout) are read as version 1; a newer version is refused in one line.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from victwin._formats import check_format
from victwin.schema import Anything, Choice, Field, List, Number, String, Table, check

__all__ = ["RESULT_FORMAT", "RoiRecord", "SiteRecord", "Dose", "ExposureRecord",
           "ModalityResult", "PhantomSummary", "LesionSummary", "CaseResult", "CaseRecord"]

#: Version of the case result's JSON form (``format_version``).
RESULT_FORMAT = 1

_INT = Number(integer=True)
_POS_INT = Number(lo=1, integer=True)
_POS = Number(lo=0, lo_open=True)
_NONNEG = Number(lo=0)


def _opt(field_: Field) -> Field:
    """A copy of ``field_`` that may be absent (-> ``None``)."""
    field_ = copy.copy(field_)
    field_.default = None
    return field_


def _tuple(values):
    return None if values is None else tuple(values)


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def _mapping(what: str, path: str, value) -> dict:
    if not isinstance(value, dict):
        from victwin.schema import invalid

        raise invalid(what, path, "a table", value)
    return value


# ------------------------------------------------------------------------------- ROI record

_ROI = Table({
    "center_index": List(_INT, min_len=2),
    "size_px": List(_POS_INT, min_len=2),
    "shift_px": _opt(List(_INT)),
    "pixel_mm": _opt(Number(lo=0, lo_open=True)),
    "voxel_mm": _opt(List(_POS, length=3)),
    "image_shape": _opt(List(_POS_INT, min_len=2)),
})


@dataclass(frozen=True)
class RoiRecord:
    """Where one ROI (DM, chest) or VOI (DBT) was cut.

    Attributes
    ----------
    center_index : tuple of int
        Centre in the full image ``(row, col)`` or the full reconstruction grid
        ``(z, y, x)``.
    size_px : tuple of int
        ROI ``(ny, nx)`` or VOI ``(nz, ny, nx)``.
    shift_px : tuple of int or None
        How far the centre moved to keep the ROI on the detector.
    pixel_mm : float or None
        Detector pixel pitch of a projection ROI, mm.
    voxel_mm : tuple of float or None
        Voxel size ``(z, y, x)`` of a VOI, mm.
    image_shape : tuple of int or None
        Shape of the full image the preview shows (the lead ROI of a modality with previews).
    """

    center_index: tuple
    size_px: tuple
    shift_px: tuple | None = None
    pixel_mm: float | None = None
    voxel_mm: tuple | None = None
    image_shape: tuple | None = None

    @property
    def pitch_mm(self) -> float:
        """In-plane sampling of the ROI, mm (the pixel pitch, or the VOI's x spacing)."""
        if self.pixel_mm is not None:
            return float(self.pixel_mm)
        if self.voxel_mm is not None:
            return float(self.voxel_mm[-1])
        raise ValueError("ROI record has neither pixel_mm nor voxel_mm")

    def to_dict(self) -> dict:
        return _drop_none({"center_index": list(self.center_index),
                           "size_px": list(self.size_px), "shift_px": _list(self.shift_px),
                           "pixel_mm": self.pixel_mm, "voxel_mm": _list(self.voxel_mm),
                           "image_shape": _list(self.image_shape)})

    @classmethod
    def from_dict(cls, d, what: str = "ROI record", path: str = "") -> RoiRecord:
        v = check(_ROI, d, what, path)
        return cls(center_index=tuple(v["center_index"]), size_px=tuple(v["size_px"]),
                   shift_px=_tuple(v["shift_px"]), pixel_mm=v["pixel_mm"],
                   voxel_mm=_tuple(v["voxel_mm"]), image_shape=_tuple(v["image_shape"]))


def _list(values):
    return None if values is None else list(values)


# ---------------------------------------------------------------------------- site, lesion

_SITE = Table({
    "name": String(), "kind": String(), "roi_kind": String(),
    "truth": Number(lo=0, hi=1, integer=True),
    "center_mm": List(Number(), length=3),
    "size_mm": List(_NONNEG, length=3),
    "lesion_size_mm": _opt(_NONNEG),
    "nodule_type": _opt(String()),
    "rib_overlap_fraction": _opt(Number(lo=0, hi=1)),
    "pair": _opt(String()),
})


@dataclass(frozen=True)
class SiteRecord:
    """One site of a case (:class:`victwin.phantom.placement.Site` and its ROI name).

    A chest twin's nodule sites (``cohort.sites = {nodule = N}``) also carry the nodule's
    volume-equivalent diameter ``lesion_size_mm``, its ``nodule_type`` and the fraction of its
    projected disc over bone ``rib_overlap_fraction``; each lesion-absent site carries the same
    values of the nodule it is paired with (read at the same place in the twin without
    nodules), and ``pair``, that nodule's site name. None elsewhere (left out of the JSON).
    """

    name: str
    kind: str
    roi_kind: str
    truth: int
    center_mm: tuple
    size_mm: tuple
    lesion_size_mm: float | None = None
    nodule_type: str | None = None
    rib_overlap_fraction: float | None = None
    pair: str | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "roi_kind": self.roi_kind, "truth": self.truth,
                "center_mm": [float(v) for v in self.center_mm],
                "size_mm": [float(v) for v in self.size_mm], "name": self.name,
                **_drop_none({"lesion_size_mm": self.lesion_size_mm,
                              "nodule_type": self.nodule_type,
                              "rib_overlap_fraction": self.rib_overlap_fraction,
                              "pair": self.pair})}

    @classmethod
    def from_dict(cls, d, what: str = "site record", path: str = "") -> SiteRecord:
        v = check(_SITE, d, what, path)
        return cls(name=v["name"], kind=v["kind"], roi_kind=v["roi_kind"], truth=v["truth"],
                   center_mm=tuple(v["center_mm"]), size_mm=tuple(v["size_mm"]),
                   lesion_size_mm=v["lesion_size_mm"], nodule_type=v["nodule_type"],
                   rib_overlap_fraction=v["rib_overlap_fraction"], pair=v["pair"])


_LESION = Table({
    "kind": String(),
    "center_mm": _opt(List(Number(), length=3)),
    "size_mm": _opt(_NONNEG),
    "rib_overlap_fraction": _opt(Number(lo=0, hi=1)),
})


@dataclass(frozen=True)
class LesionSummary:
    """The case's lead lesion: kind, centre ``(x, y, z)`` mm, largest size mm, and for a lung
    nodule the fraction of its projected disc over bone in the first modality's view
    (:func:`victwin.phantom.chest.overlap.bone_overlap_fraction`; None: not a nodule, or a
    run made before it was recorded)."""

    kind: str
    center_mm: tuple | None = None
    size_mm: float | None = None
    rib_overlap_fraction: float | None = None

    def to_dict(self) -> dict:
        return _drop_none({"kind": self.kind, "center_mm": _list(self.center_mm),
                           "size_mm": self.size_mm,
                           "rib_overlap_fraction": self.rib_overlap_fraction})

    @classmethod
    def from_dict(cls, d, what: str = "lesion record", path: str = "") -> LesionSummary:
        v = check(_LESION, d, what, path)
        return cls(kind=v["kind"], center_mm=_tuple(v["center_mm"]), size_mm=v["size_mm"],
                   rib_overlap_fraction=v["rib_overlap_fraction"])


_PHANTOM = Table({
    "voxels": _opt(List(_POS_INT, length=3)),
    "thickness_mm": _opt(_POS),
    "glandular_fraction_volume": _opt(Number(lo=0, hi=1)),
    "glandular_fraction_mass": _opt(Number(lo=0, hi=1)),
})


@dataclass(frozen=True)
class PhantomSummary:
    """The case phantom: voxels ``(nz, ny, nx)``, compressed thickness mm (breast), the
    measured glandular fractions (breast)."""

    voxels: tuple | None = None
    thickness_mm: float | None = None
    glandular_fraction_volume: float | None = None
    glandular_fraction_mass: float | None = None

    def to_dict(self) -> dict:
        return _drop_none({"thickness_mm": self.thickness_mm,
                           "glandular_fraction_volume": self.glandular_fraction_volume,
                           "glandular_fraction_mass": self.glandular_fraction_mass,
                           "voxels": _list(self.voxels)})

    @classmethod
    def from_dict(cls, d, what: str = "phantom record", path: str = "") -> PhantomSummary:
        v = check(_PHANTOM, d, what, path)
        return cls(voxels=_tuple(v["voxels"]), thickness_mm=v["thickness_mm"],
                   glandular_fraction_volume=v["glandular_fraction_volume"],
                   glandular_fraction_mass=v["glandular_fraction_mass"])


# ------------------------------------------------------------------------- dose, exposure

# mgd_mgy may be absent: a chest radiograph has no mean glandular dose (acq.dose.mgd_mgy None)
_DOSE = Table({"mgd_mgy": _opt(_NONNEG), "entrance_air_kerma_mgy": _opt(Number(lo=0))})


@dataclass(frozen=True)
class Dose:
    """Mean glandular dose and entrance air kerma of the lesion-present acquisition, mGy
    (``mgd_mgy`` None for chest radiographs)."""

    mgd_mgy: float | None
    entrance_air_kerma_mgy: float | None = None

    def to_dict(self) -> dict:
        return _drop_none({"mgd_mgy": self.mgd_mgy,
                           "entrance_air_kerma_mgy": self.entrance_air_kerma_mgy})

    @classmethod
    def from_dict(cls, d, what: str = "dose record", path: str = "") -> Dose:
        if isinstance(d, dict):      # None written out = absent (a chest case's MGD)
            d = _drop_none(d)
        v = check(_DOSE, d, what, path)
        return cls(mgd_mgy=v["mgd_mgy"], entrance_air_kerma_mgy=v["entrance_air_kerma_mgy"])


_EXPOSURE = Table({
    "kvp": _opt(_POS), "anode": _opt(String()), "mas_total": _opt(_NONNEG),
    "hvl_mm_al": _opt(_NONNEG), "n_views": _opt(_POS_INT),
})


@dataclass(frozen=True)
class ExposureRecord:
    """The beam the AEC chose: kV, anode, total mAs, HVL (mm Al), number of views."""

    kvp: float | None = None
    anode: str | None = None
    mas_total: float | None = None
    hvl_mm_al: float | None = None
    n_views: int | None = None

    def to_dict(self) -> dict:
        return _drop_none({"kvp": self.kvp, "anode": self.anode, "mas_total": self.mas_total,
                           "hvl_mm_al": self.hvl_mm_al, "n_views": self.n_views})

    @classmethod
    def from_dict(cls, d, what: str = "exposure record", path: str = "") -> ExposureRecord:
        return cls(**check(_EXPOSURE, d, what, path))


# ----------------------------------------------------------------------------- modality

_MODALITY = Table({
    "order": _opt(Number(lo=0, integer=True)), "roi": Anything(), "rois": _opt(Anything()),
    "dose": _opt(Anything()), "exposure": _opt(Anything()),
    "full_field": _opt(List(Choice(("present", "absent")))),
    "devices": _opt(Anything()),
})


@dataclass(frozen=True)
class ModalityResult:
    """One modality's records of a case.

    Attributes
    ----------
    roi : RoiRecord
        The lead (first) lesion's ROI, with ``image_shape`` when a preview was kept.
    rois : mapping of str to RoiRecord
        Every site's ROI by array name (``present`` / ``absent``, or the site names).
    order : int
        The modality's index in the spec.
    dose : Dose or None
    exposure : ExposureRecord or None
    full_field : tuple of str
        Versions a lesion-local run imaged as a full field (a lesion near the field's edge).
    devices : mapping of str to str
        Where each stage ran (``{"raytrace": "cuda", "scatter": "cpu", ...}``; DBT adds
        ``"reconstruction"``); empty for runs made before it was recorded.
    """

    roi: RoiRecord
    rois: dict = field(default_factory=dict)
    order: int = 0
    dose: Dose | None = None
    exposure: ExposureRecord | None = None
    full_field: tuple = ()
    devices: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {"rois": {k: r.to_dict() for k, r in self.rois.items()},
               "roi": self.roi.to_dict(), "order": self.order}
        if self.dose is not None:
            out["dose"] = self.dose.to_dict()
        if self.exposure is not None:
            out["exposure"] = self.exposure.to_dict()
        if self.full_field:
            out["full_field"] = list(self.full_field)
        if self.devices:
            out["devices"] = dict(self.devices)
        return out

    @classmethod
    def from_dict(cls, d, what: str = "modality record", path: str = "") -> ModalityResult:
        v = check(_MODALITY, d, what, path)

        def sub(key):
            return f"{path}.{key}" if path else key

        rois = {name: RoiRecord.from_dict(r, what, f"{sub('rois')}.{name}")
                for name, r in _mapping(what, sub("rois"), v["rois"] or {}).items()}
        return cls(roi=RoiRecord.from_dict(v["roi"], what, sub("roi")), rois=rois,
                   order=v["order"] or 0,
                   dose=None if v["dose"] is None else Dose.from_dict(v["dose"], what,
                                                                      sub("dose")),
                   exposure=None if v["exposure"] is None else ExposureRecord.from_dict(
                       v["exposure"], what, sub("exposure")),
                   full_field=tuple(v["full_field"] or ()),
                   devices={str(k): str(x) for k, x in
                            _mapping(what, sub("devices"), v["devices"] or {}).items()})


# --------------------------------------------------------------------------------- case

_CASE = Table({
    "format_version": _opt(Anything()), "modalities": Anything(),
    "phantom": _opt(Anything()), "lesion": _opt(Anything()), "sites": _opt(List()),
    "mode": _opt(Choice(("full", "lesion-local"))),
    "lesion_tiles": _opt(Table({"voxel_mm": Number(0.0, 5.0, lo_open=True),
                                "tiles": Number(0, None, integer=True),
                                "tile_voxels": Number(0, None, integer=True)})),
})


@dataclass(frozen=True)
class CaseResult:
    """What one finished case holds besides its arrays (the store's ``result`` column).

    Attributes
    ----------
    modalities : mapping of str to ModalityResult
        By modality name, in the spec's order.
    phantom : PhantomSummary
    lesion : LesionSummary or None
        The lead lesion.
    sites : tuple of SiteRecord
        Every site read (empty for runs made before sites existed).
    mode : str or None
        ``"full"`` or ``"lesion-local"`` (None: a run made before the mode existed).
    lesion_tiles : dict or None
        With ``resolution.lesion_voxel_mm``: the lesion-present windows' lesions were traced
        in tiles of ``voxel_mm`` (mm): ``tiles`` set into windows and their ``tile_voxels``
        over every modality (None: lesions on the phantom's voxels).
    """

    modalities: dict
    phantom: PhantomSummary = field(default_factory=PhantomSummary)
    lesion: LesionSummary | None = None
    sites: tuple = ()
    mode: str | None = None
    lesion_tiles: dict | None = None

    def __post_init__(self):
        object.__setattr__(self, "sites", tuple(self.sites))

    def to_dict(self) -> dict:
        out = {"format_version": RESULT_FORMAT,
               "modalities": {k: m.to_dict() for k, m in self.modalities.items()},
               "phantom": self.phantom.to_dict()}
        if self.lesion is not None:
            out["lesion"] = self.lesion.to_dict()
        if self.sites:
            out["sites"] = [s.to_dict() for s in self.sites]
        if self.mode is not None:
            out["mode"] = self.mode
        if self.lesion_tiles is not None:
            out["lesion_tiles"] = dict(self.lesion_tiles)
        return out

    @classmethod
    def from_dict(cls, d, what: str = "case result") -> CaseResult:
        """Read the JSON form (current or written before ``format_version`` existed).

        Raises
        ------
        ValueError
            One line naming the key and the rule, or the version.
        """
        if not isinstance(d, dict):
            from victwin.schema import invalid

            raise invalid(what, "the record", "a table", d)
        check_format(what, d, name=None, version=RESULT_FORMAT, legacy=1)
        v = check(_CASE, d, what)
        mods = {name: ModalityResult.from_dict(m, what, f"modalities.{name}")
                for name, m in _mapping(what, "modalities", v["modalities"]).items()}
        return cls(
            modalities=mods,
            phantom=PhantomSummary.from_dict(v["phantom"] or {}, what, "phantom"),
            lesion=None if v["lesion"] is None else LesionSummary.from_dict(v["lesion"], what,
                                                                            "lesion"),
            sites=tuple(SiteRecord.from_dict(s, what, f"sites[{i}]")
                        for i, s in enumerate(v["sites"] or ())),
            mode=v["mode"], lesion_tiles=v["lesion_tiles"])


@dataclass(frozen=True)
class CaseRecord:
    """A finished case's row of the store: id, cohort attributes, result, timings, worker.

    ``attributes`` are the cohort's draw for the case (:func:`victwin.trial.sample_cohort`:
    density, age, lesion kind, recipe, seeds; chest twins add sex and BMI).
    """

    case_id: int
    attributes: dict
    result: CaseResult
    timings: dict = field(default_factory=dict)
    worker: str = ""
    backend: str = ""
