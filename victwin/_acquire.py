"""Simulate an imaging system's acquisition of a phantom: rays -> photons -> scatter -> detector.

``acquire(phantom, system, seed=...)`` traces every view of the system's scan through the
phantom's label volume (exact path lengths per label, ``rays_per_pixel x rays_per_pixel``
sub-pixel rays for the pixel aperture), turns path lengths into the polyenergetic detected
primary (absorbed energy and its second moment per pixel), adds convolution scatter, passes the
anti-scatter grid, and runs the detector (quantum noise with Swank, electronic noise, gain and
offset to 14 bits). Views are processed one small batch at a time so memory stays bounded.
Every view draws its noise from its own stream, seeded by (seed, case, system name, view
index), so any view can be re-run alone and gives the same bytes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from victwin.physics._detector import (detect, digitize, for_presentation, noise_generator,
                                       quantum_efficiency)
from victwin.physics._scatter import scatter_image

__all__ = ["acquire", "Acquisition", "Exposure", "Dose"]


@dataclass(frozen=True)
class Exposure:
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
        Tube current-time product of each view.
    mas_total : float, mAs
        Sum over views.
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
        SID over the source distance of the body's mid-plane (DICOM
        EstimatedRadiographicMagnificationFactor).
    compressed_thickness_mm : float, mm
        Body thickness along the central ray (compressed breast thickness).
    angles_deg : tuple of float, degrees
        Tube angle of each view (0 for DM and radiography).
    exposure_control : str
        "AUTOMATIC" (AEC chose mAs / kVp) or "MANUAL".
    focal_spot_mm : float, mm
        Nominal focal spot (recorded; not simulated as blur).
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


@dataclass(frozen=True)
class Dose:
    """Radiation dose of one acquisition.

    Attributes
    ----------
    mgd_mgy_per_view : tuple of float or None, mGy
        Mean glandular dose per view (None where the dose model is not available, e.g. chest).
    mgd_mgy : float or None, mGy
        Mean glandular dose of the whole acquisition (sum over views).
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
    exposure : Exposure
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
        Detector record (kind, material, thickness_mm, bits, offset_adu, gain_adu_per_e).
    timings_s : dict
        Seconds spent in "raytrace", "physics", "scatter", "detector".
    flat_adu : float32 array ``[n_views, nv, nu]``
        Expected raw signal above the offset with nothing in the beam (same mAs, grid and
        detector), so ``-ln((raw - offset_adu) / flat_adu)`` is the log-normalised
        projection that reconstruction and model observers use.
    """

    raw: np.ndarray
    processed: np.ndarray
    windows: tuple
    views: tuple
    exposure: Exposure
    dose: Dose
    system: str
    modality: str
    scan: str
    seed: int
    case: int
    detector: dict
    timings_s: dict = field(default_factory=dict)
    flat_adu: np.ndarray | None = None

    def to_dict(self) -> dict:
        """JSON-ready record of everything except the pixel data."""
        return {"system": self.system, "modality": self.modality, "scan": self.scan,
                "seed": self.seed, "case": self.case, "n_views": len(self.views),
                "image_shape": list(self.raw.shape[1:]),
                "exposure": _jsonable(asdict(self.exposure)), "dose": _jsonable(asdict(self.dose)),
                "detector": _jsonable(self.detector),
                "windows": [list(w) for w in self.windows],
                "timings_s": _jsonable(self.timings_s)}


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


# -- beam and materials (through victwin.physics where present) ---------------------------------

_REF_DISTANCE_MM = 1000.0


def _thaw(value):
    """Plain dicts and lists from the system's read-only AEC table."""
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


# -- exposure -----------------------------------------------------------------------------------

def _thickness_mm(phantom) -> float:
    meta = getattr(phantom, "meta", {}) or {}
    for key in ("thickness_mm", "compressed_thickness_mm"):
        if key in meta and meta[key] is not None:
            return float(meta[key])
    # else the z extent of non-air voxels
    labels, grid = phantom.labels, phantom.grid
    air = {lab for lab, m in phantom.materials.items() if m == "air"}
    rows = np.nonzero([np.any(~np.isin(labels[k], list(air))) for k in range(labels.shape[0])])[0]
    if rows.size == 0:
        return 0.0
    return float((rows[-1] - rows[0] + 1) * grid.spacing[0])


def _glandularity(phantom) -> float:
    meta = getattr(phantom, "meta", {}) or {}
    g = meta.get("glandular_fraction_mass", 0.5)
    return 0.5 if g is None else float(g)


def _beam(system, phantom, thickness_mm, mas, kvp):
    """(spectrum on the body, kVp, anode, filters, mAs per view, control) from the arguments
    or the system's AEC table (``victwin.physics.auto_exposure``)."""
    from victwin.physics._spectra import spectrum

    n = system.n_views
    t = system.tube
    aec = _thaw(system.aec)
    if mas is None and aec and system.modality == "MG" and kvp is None:
        from victwin.physics._aec import auto_exposure

        exp = auto_exposure(thickness_mm, _glandularity(phantom), table=aec)
        return (exp.breast_spectrum(), exp.kvp, exp.anode, tuple(exp.filters), exp.mas,
                "AUTOMATIC")
    kvp = t.kvp if kvp is None else float(kvp)
    if not (math.isfinite(kvp) and kvp > 0):
        raise ValueError(f"kvp must be > 0, got {kvp!r}")
    if mas is None:
        mas = t.mas
    mas = float(mas)
    if not (math.isfinite(mas) and mas > 0):
        raise ValueError(f"mas must be > 0, got {mas!r}")
    kw = {} if t.anode_angle_deg is None else {"anode_angle_deg": t.anode_angle_deg}
    spec = spectrum(t.anode, kvp, list(t.filters), **kw)
    if aec.get("paddle_material") is not None:
        spec = spec.filtered(aec["paddle_material"], float(aec.get("paddle_mm", 0.0)))
    return spec, kvp, t.anode, tuple(t.filters), mas / n, "MANUAL"


def _geometry_factor(view, pixel_area_mm2: float) -> np.ndarray:
    """Pixel area x inverse square to 1 m x obliquity: photons per pixel = f x fluence(1 m)."""
    c = view.panel.pixel_centers()
    d = c - np.asarray(view.source)[None, None, :]
    r2 = np.sum(d * d, axis=-1)
    cos = np.abs(d @ view.panel.normal) / np.sqrt(r2)
    return pixel_area_mm2 * (_REF_DISTANCE_MM ** 2 / r2) * cos


# -- the pipeline -------------------------------------------------------------------------------

def acquire(phantom, system, *, seed: int, case: int = 0, backend: str = "auto",
            mas: float | None = None, kvp: float | None = None, binning: int | None = None,
            rays_per_pixel: int | None = None, scatter: bool = True, noise: bool = True,
            views=None, progress: bool = True) -> Acquisition:
    """Simulate one acquisition of ``phantom`` on ``system``.

    Parameters
    ----------
    phantom : Phantom-like
        Has ``labels`` (uint8 ``[z, y, x]``), ``grid`` (Grid), ``materials`` (label -> material
        name) and ``meta`` (``thickness_mm``, ``glandular_fraction_mass``, ...).
    system : str, path or System
        A system name (``victwin.systems.available()``), a TOML path, or a loaded System.
    seed : int
        Seed of the noise streams (>= 0).
    case : int
        Case index mixed into the noise streams.
    backend : {"auto", "cpu", "cuda"}
        Ray-tracing backend.
    mas : float, mAs, optional
        Total mAs (split evenly over the views); default from the system's AEC table.
    kvp : float, kV, optional
        Override the tube voltage (default: AEC or the system's).
    binning : int, optional
        Detector binning (default the system's).
    rays_per_pixel : int, optional
        Sub-pixel rays per axis for the aperture (default the system's).
    scatter : bool
        Add scatter (if the system has a scatter model).
    noise : bool
        Add quantum and electronic noise (False: expected values, for tests and MTF).
    views : sequence of int, optional
        Simulate only these view indices (noise streams are the same as in a full run).
    progress : bool
        Show a progress bar over views.

    Returns
    -------
    Acquisition
    """
    from victwin.raytrace import iter_project_labels
    from victwin.systems import load

    system = load(system)
    for attr in ("labels", "grid", "materials"):
        if not hasattr(phantom, attr):
            raise TypeError(f"phantom must have .labels, .grid and .materials; missing {attr!r}")
    labels = phantom.labels
    if not hasattr(labels, "dtype") or labels.dtype != np.uint8 or labels.ndim != 3:
        raise ValueError("phantom.labels must be a uint8 array [z, y, x]")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    materials = {int(k): str(v) for k, v in dict(phantom.materials).items()}
    n_labels = int(labels.max()) + 1 if labels.size else 1
    missing = [lab for lab in range(n_labels) if lab not in materials
               and np.any(labels == lab)]
    if missing:
        raise ValueError(f"phantom.materials has no material for label(s) {missing}")
    k_bin = system.geometry.binning if binning is None else int(binning)
    if k_bin < 1:
        raise ValueError(f"binning must be >= 1, got {binning!r}")
    rpp = system.rays_per_pixel if rays_per_pixel is None else int(rays_per_pixel)
    if rpp < 1:
        raise ValueError(f"rays_per_pixel must be >= 1, got {rays_per_pixel!r}")

    all_views = system.views(k_bin)
    n_all = len(all_views)
    indices = list(range(n_all)) if views is None else [int(i) for i in views]
    for i in indices:
        if not 0 <= i < n_all:
            raise ValueError(f"views contains {i}, outside 0..{n_all - 1}")
    sel_views = tuple(all_views[i] for i in indices)
    thickness = _thickness_mm(phantom)
    spec, kvp_used, anode, filters, mas_view, control = _beam(system, phantom, thickness, mas,
                                                              kvp)
    mas_total = mas_view * n_all

    t0 = time.perf_counter()
    from victwin.physics._attenuation import linear_attenuation
    from victwin.physics._signal import primary_signal

    energy = spec.energy_kev
    photons_1m = spec.total_photons_per_mas_mm2(_REF_DISTANCE_MM)
    hvl = spec.hvl_mm_al()
    cover = system.detector_cover

    def eta(e):
        """Absorbed fraction: sensor absorption behind the detector cover."""
        out = quantum_efficiency(system.detector, e)
        if cover is not None:
            out = out * np.exp(-np.asarray(linear_attenuation(cover[0], e)) * cover[1])
        return out

    label_materials = [materials.get(lab, "air") for lab in range(n_labels)]
    air_labels = [lab for lab in range(n_labels) if label_materials[lab] == "air"]
    tissue_labels = [lab for lab in range(n_labels) if lab not in air_labels]
    eta_e = eta(energy)
    flat_per_photon = float(np.sum(spec.weights * eta_e * energy))  # keV per incident photon
    if system.grid is not None:
        tp, ts = system.grid.transmission(energy, spec.weights * eta_e * energy)
    else:
        tp, ts = 1.0, 1.0
    panel = sel_views[0].panel
    pitch = panel.pitch[1]
    area = panel.pitch[0] * panel.pitch[1]
    timings = {"raytrace": 0.0, "physics": time.perf_counter() - t0, "scatter": 0.0,
               "detector": 0.0}

    nv, nu = panel.shape
    raw = np.empty((len(sel_views), nv, nu), np.uint16)
    processed = np.empty_like(raw)
    flats = np.empty(raw.shape, np.float32)
    windows = []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(sel_views), desc=f"acquire {system.name}", unit="view")
    t_ray = time.perf_counter()
    batches = iter_project_labels(labels, phantom.grid, sel_views, n_labels, backend=backend,
                                  rays_per_pixel=rpp, view_batch=1)
    for sl, paths in batches:
        if hasattr(paths, "get"):
            paths = paths.get()
        timings["raytrace"] += time.perf_counter() - t_ray
        for b, vi in enumerate(range(sl.start, sl.stop)):
            view = sel_views[vi]
            t1 = time.perf_counter()
            n_pix = photons_1m * mas_view * _geometry_factor(view, area)
            sig = primary_signal(paths[b], label_materials, spec, n_pix, detector_efficiency=eta)
            e1 = np.asarray(sig.energy_kev, dtype=np.float64)
            e2 = np.asarray(sig.energy2_kev2, dtype=np.float64)
            flat_e1 = n_pix * flat_per_photon
            tissue = paths[b][tissue_labels].sum(axis=0, dtype=np.float64) if tissue_labels \
                else np.zeros((nv, nu))
            t2 = time.perf_counter()
            timings["physics"] += t2 - t1
            if scatter and system.scatter is not None:
                s = scatter_image(e1, tissue, pitch, model=system.scatter)
            else:
                s = np.zeros_like(e1)
            t3 = time.perf_counter()
            timings["scatter"] += t3 - t2
            mean_e = np.divide(e2, e1, out=np.zeros_like(e1), where=e1 > 0)
            tot1 = tp * e1 + ts * s
            tot2 = tp * e2 + ts * s * mean_e
            rng = noise_generator(int(seed), case=int(case), modality=system.name,
                                  view=indices[vi]) if noise else None
            electrons = detect(tot1, tot2, system.detector, rng, binning=k_bin)
            raw[vi] = digitize(electrons, system.detector, binning=k_bin)
            flat_adu = tp * flat_e1 * (1000.0 / system.detector.energy_per_electron_ev) \
                * system.detector.gain_adu_per_e / k_bin ** 2
            flats[vi] = flat_adu
            processed[vi], win = for_presentation(raw[vi], system.detector, flat_adu)
            windows.append(win)
            timings["detector"] += time.perf_counter() - t3
            if bar is not None:
                bar.update(1)
        t_ray = time.perf_counter()
    if bar is not None:
        bar.close()

    exposure = _exposure_record(system, sel_views, indices, kvp_used, anode, filters, mas_view,
                                mas_total, hvl, thickness, control, tp, ts, k_bin, rpp)
    dose = _dose(system, phantom, exposure, sel_views, spec, thickness, mas_view)
    det = system.detector
    return Acquisition(raw=raw, processed=processed, windows=tuple(windows), views=sel_views,
                       exposure=exposure, dose=dose, system=system.name,
                       modality=system.modality, scan=system.scan, seed=int(seed),
                       case=int(case),
                       detector={"kind": det.kind, "material": det.material,
                                 "thickness_mm": det.thickness_mm, "bits": det.bits,
                                 "offset_adu": det.offset_adu,
                                 "gain_adu_per_e": det.gain_adu_per_e,
                                 "pitch_mm": det.pitch_mm * k_bin},
                       timings_s=timings, flat_adu=flats)


def _exposure_record(system, views, indices, kvp, anode, filters, mas_view, mas_total, hvl,
                     thickness, control, tp, ts, k_bin, rpp) -> Exposure:
    g = system.geometry
    if system.scan == "radiography":
        support = 0.0
    else:
        support = g.breast_support_mm
    sid = g.sid_mm
    to_support = sid - support
    to_entrance = to_support - thickness
    mid = to_support - thickness / 2.0
    angles = system.angles_deg()
    return Exposure(kvp=float(kvp), anode=anode, filters=tuple(filters),
                    mas_per_view=tuple(float(mas_view) for _ in indices),
                    mas_total=float(mas_total), hvl_mm_al=float(hvl), sid_mm=float(sid),
                    source_to_breast_mm=float(to_support),
                    source_to_entrance_mm=float(to_entrance),
                    magnification=float(sid / mid) if mid > 0 else float("nan"),
                    compressed_thickness_mm=float(thickness),
                    angles_deg=tuple(float(angles[i]) for i in indices),
                    exposure_control=control, focal_spot_mm=float(g.focal_spot_mm),
                    grid=system.grid is not None, grid_primary_transmission=float(tp),
                    grid_scatter_transmission=float(ts),
                    pixel_spacing_mm=float(views[0].panel.pitch[1]), binning=int(k_bin),
                    rays_per_pixel=int(rpp))


def _dose(system, phantom, exposure, views, spec, thickness, mas_view):
    """Incident air kerma per view and, for mammography, Dance's MGD (K g c s t)."""
    from victwin.physics._dose import entrance_air_kerma_mgy, mean_glandular_dose, t_factor

    # Incident air kerma (no backscatter) at the entrance surface: inverse square to the point
    # of the entrance plane above the chest-wall centre of the detector, (0, 0, z), from each
    # view's source (DBT sources are a little farther from it at larger angles).
    z_entrance = exposure.sid_mm - exposure.source_to_entrance_mm
    kerma = [float(entrance_air_kerma_mgy(spec, mas_view, float(np.linalg.norm(
        np.subtract(view.source, (0.0, 0.0, z_entrance)))))) for view in views]
    if system.modality != "MG" or thickness <= 0:
        return Dose(mgd_mgy_per_view=None, mgd_mgy=None,
                    entrance_air_kerma_mgy_per_view=tuple(kerma),
                    entrance_air_kerma_mgy=float(sum(kerma)),
                    method="none (MGD is defined for mammography only)")
    g = _glandularity(phantom)
    angles = np.asarray(exposure.angles_deg, dtype=float)
    tf = t_factor(spec, thickness, g, angles) if system.scan == "dbt" else 1.0
    mgd = np.atleast_1d(mean_glandular_dose(np.asarray(kerma), thickness, g, spec,
                                            t_factor=tf))
    method = "Dance K g c s" + (" t (slab t-factor)" if system.scan == "dbt" else "")
    return Dose(mgd_mgy_per_view=tuple(float(m) for m in mgd), mgd_mgy=float(mgd.sum()),
                entrance_air_kerma_mgy_per_view=tuple(kerma),
                entrance_air_kerma_mgy=float(sum(kerma)), method=method)
