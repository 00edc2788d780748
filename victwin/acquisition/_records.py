"""The records an acquisition returns: technique, dose and the images with their views."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from victwin._json import jsonable
from victwin.physics import log_normalise

__all__ = ["Technique", "Dose", "Acquisition", "jsonable"]


@dataclass(frozen=True)
class Technique:
    """Technique and geometry of one acquisition (all recorded for DICOM).

    Attributes
    ----------
    kvp : float, kV
        Tube peak voltage.
    anode : str
        Anode element ("W", "Mo", "Rh").
    filters : tuple of (material, thickness_mm)
        Added filtration (and window), as given to the spectrum model.
    mas_per_view : tuple of float, mAs
        Tube current-time product of each simulated view.
    mas_total : float, mAs
        Sum over all the scan's views.
    hvl_mm_al : float, mm Al
        First half-value layer of the incident beam.
    sid_mm : float, mm
        Source-to-image distance (perpendicular, at 0 degrees).
    source_to_breast_mm : float, mm
        Source to the patient support (DICOM DistanceSourceToPatient: the support surface
        nearest the patient), at 0 degrees. For chest: source to the detector-side body
        surface.
    source_to_entrance_mm : float, mm
        Source to the entrance (upper) surface of the body / compressed breast.
    magnification : float
        SID over the source distance of the body's mid-plane.
    compressed_thickness_mm : float, mm
        Body thickness along the central ray (compressed breast thickness).
    angles_deg : tuple of float, degrees
        Tube angle of each simulated view (0 for DM and radiography).
    exposure_control : str
        "AUTOMATIC" (AEC chose mAs / kVp) or "MANUAL".
    focal_spot_mm : float, mm
        Nominal focal spot.
    grid : bool
        Whether an anti-scatter grid was in the beam.
    grid_primary_transmission, grid_scatter_transmission : float
        Grid transmissions used (1, 1 without grid).
    pixel_spacing_mm : float, mm
        Pixel pitch at the detector after binning (DICOM ImagerPixelSpacing).
    binning : int
        Detector binning used.
    rays_per_pixel : int
        Sub-pixel rays per axis.
    dose_scale : float
        Factor applied to the mAs the system would choose itself (AEC or fixed technique).
    """

    kvp: float
    anode: str
    filters: tuple
    mas_per_view: tuple
    mas_total: float
    hvl_mm_al: float
    sid_mm: float
    source_to_breast_mm: float
    source_to_entrance_mm: float
    magnification: float
    compressed_thickness_mm: float
    angles_deg: tuple
    exposure_control: str
    focal_spot_mm: float
    grid: bool
    grid_primary_transmission: float
    grid_scatter_transmission: float
    pixel_spacing_mm: float
    binning: int
    rays_per_pixel: int
    dose_scale: float = 1.0


@dataclass(frozen=True)
class Dose:
    """Radiation dose of one acquisition.

    Attributes
    ----------
    mgd_mgy_per_view : tuple of float or None, mGy
        Mean glandular dose per view (None where the dose model is not available, e.g. chest).
    mgd_mgy : float or None, mGy
        Mean glandular dose of the simulated views (sum).
    entrance_air_kerma_mgy_per_view : tuple of float, mGy
        Incident air kerma at the entrance surface, without backscatter, per view.
    entrance_air_kerma_mgy : float, mGy
        Sum over views.
    method : str
        Which model gave the MGD.
    """

    mgd_mgy_per_view: tuple | None
    mgd_mgy: float | None
    entrance_air_kerma_mgy_per_view: tuple
    entrance_air_kerma_mgy: float
    method: str


@dataclass(frozen=True, eq=False)
class Acquisition:
    """The images, views, technique and dose of one simulated acquisition.

    Attributes
    ----------
    raw : uint16 array ``[n_views, nv, nu]``, ADU
        "For processing" images: ``offset + gain * electrons``, ``bits`` bits (14).
    processed : uint16 array ``[n_views, nv, nu]``
        "For presentation" images: ``ln(flat / signal)`` windowed to 12 bits, dense = bright
        (MONOCHROME2).
    windows : tuple of (float, float)
        The log-signal window ``(low, high)`` of each processed view.
    views : tuple of View
        The simulated views (their panels are the images' pixel grids).
    technique : Technique
    dose : Dose
    system : str
        System name.
    modality : str
        "MG" or "DX".
    scan : str
        "dm", "dbt" or "radiography".
    seed, case : int
        The noise streams' seed and case index.
    detector : dict
        Detector record (kind, material, thickness_mm, bits, offset_adu, gain_adu_per_e,
        pitch_mm).
    timings_s : dict
        Seconds spent in "raytrace", "physics", "scatter", "detector".
    flat_adu : float32 array ``[n_views, nv, nu]``, ADU above offset
        Expected raw signal above the offset with nothing in the beam (same mAs, grid and
        detector); :meth:`line_integrals` divides by it.
    view_indices : tuple of int
        Index of each simulated view in the system's scan (all of them by default).
    region : RegionRecord or None
        For a lesion-local run (``acquire(..., region=...)``): the box, the full panel and
        each view's offset ``(row, column)`` into it. ``views`` then hold the crops' own
        panels (same pitch and axes, shifted centres), so ``views[k].project(point)`` gives
        an index into the crop. None for a full-field run.
    strip_fill : float32 array ``[n_views, hc, wc]`` or None
        Lesion-local DBT: each view's noise-free line integrals from the coarse full-field
        pass (~2 mm pixels, ``region.fill_block``) over the band of the panel the
        reconstruction strip covers; :meth:`reconstruction_input` fills the strip beyond
        each crop with them.
    devices : dict
        Where each stage ran (stage -> "cpu", "cuda" or "cuda (NumPy stand-in)"; see
        :func:`victwin.acquisition._acquire.stage_devices`).
    """

    raw: np.ndarray
    processed: np.ndarray
    windows: tuple
    views: tuple
    technique: Technique
    dose: Dose
    system: str
    modality: str
    scan: str
    seed: int
    case: int
    detector: dict
    timings_s: dict = field(default_factory=dict)
    flat_adu: np.ndarray | None = None
    view_indices: tuple = ()
    region: object = None
    strip_fill: np.ndarray | None = None
    devices: dict = field(default_factory=dict)

    def line_integrals(self) -> np.ndarray:
        """Log-normalised projections ``-ln((raw - offset) / flat_adu)``, float32
        ``[n_views, nv, nu]`` (dimensionless; see :func:`victwin.physics.log_normalise`)."""
        if self.flat_adu is None:
            raise ValueError("this acquisition has no flat_adu: its line integrals are unknown")
        return log_normalise(self.raw, self.detector["offset_adu"], self.flat_adu)

    def reconstruction_input(self, xp=None) -> tuple:
        """``(line_integrals, views)`` for :func:`victwin.recon.reconstruct`.

        ``xp``: the array module of the result (NumPy by default; CuPy lays the strip out on
        the GPU, uploading only the crops and the coarse fill, so a ``backend="cuda"``
        reconstruction starts there).

        A full-field run gives its own. A lesion-local DBT run lays each view's crop out on
        one shared panel, the *strip*: the full panel's length along the scan axis (so FBP's
        filter and angles are the full field's) and the union of the crops across it; pixels
        outside a view's crop hold the coarse pass's line integrals (``strip_fill``; without
        it, the crop's edge values), and the crop's margin along the scan axis
        (:data:`victwin.acquisition.DBT_FILTER_MARGIN_MM`) keeps what the difference changes
        in the region's voxels under the measured budget. Reconstruct on a grid inside the region
        with ``thickness_mm`` (FBP and SBP; iterative methods need the whole field).
        """
        p = self.line_integrals()
        if self.region is None:
            return (p if xp is None else xp.asarray(p)), self.views
        if len(self.views) < 2:
            raise ValueError("reconstruction_input needs a multi-view (DBT) acquisition; a "
                             "single-view region is read from line_integrals() directly")
        from ._region import strip_layout

        return strip_layout(p, self.views, self.region, fill=self.strip_fill,
                            xp=np if xp is None else xp)

    def to_dict(self) -> dict:
        """JSON-ready record of everything except the pixel data."""
        return {"system": self.system, "modality": self.modality, "scan": self.scan,
                "seed": self.seed, "case": self.case, "n_views": len(self.views),
                "image_shape": list(self.raw.shape[1:]),
                "view_indices": list(self.view_indices),
                "technique": jsonable(asdict(self.technique)),
                "dose": jsonable(asdict(self.dose)),
                "detector": jsonable(self.detector),
                "windows": [list(w) for w in self.windows],
                "timings_s": jsonable(self.timings_s),
                "devices": jsonable(self.devices),
                "views": [v.to_dict() for v in self.views],
                "region": None if self.region is None else self.region.to_dict()}

    def save(self, directory, *, preview: bool = True, provenance: dict | None = None):
        """Write this acquisition to ``directory`` (see :func:`victwin.acquisition.save`)."""
        from ._io import save

        return save(self, directory, preview=preview, provenance=provenance)
