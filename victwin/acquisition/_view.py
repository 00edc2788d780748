"""One view of an acquisition: path lengths -> primary -> scatter -> detector -> raw image.

:func:`simulate_view` is pure: the same path lengths, view, beam and noise stream give the
same bytes, whichever other views are simulated and in whichever order.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np

from victwin.physics import (detect, digitize, for_presentation, noise_generator,
                             primary_signal, scatter_image, scatter_path_mm)

from ._beam import REF_DISTANCE_MM, Beam

__all__ = ["ViewImage", "simulate_view", "geometry_factor", "primary_sums", "view_noise"]


@dataclass(frozen=True, eq=False)
class ViewImage:
    """The images of one view.

    Attributes
    ----------
    raw : uint16 ``[nv, nu]``, ADU
    processed : uint16 ``[nv, nu]``
    window : (float, float)
        Log-signal window of ``processed``.
    flat_adu : float32 ``[nv, nu]``, ADU above offset
    timings_s : dict
        Seconds in "physics", "scatter" and "detector".
    """

    raw: np.ndarray
    processed: np.ndarray
    window: tuple
    flat_adu: np.ndarray
    timings_s: dict


def _array_module(a):
    return sys.modules["cupy"] if type(a).__module__.split(".")[0] == "cupy" else np


def geometry_factor(view, pixel_area_mm2: float) -> np.ndarray:
    """Pixel area x inverse square to 1 m x obliquity: photons per pixel = f x fluence(1 m).

    The obliquity's dot product is written out (no BLAS ``gemv``), so the result does not
    depend on the number of BLAS threads.
    """
    c = view.panel.pixel_centers()
    d = c - np.asarray(view.source)[None, None, :]
    r2 = np.sum(d * d, axis=-1)
    n = np.asarray(view.panel.normal, dtype=np.float64)
    cos = np.abs(d[..., 0] * n[0] + d[..., 1] * n[1] + d[..., 2] * n[2]) / np.sqrt(r2)
    return pixel_area_mm2 * (REF_DISTANCE_MM ** 2 / r2) * cos


def view_noise(seed: int, case: int, system_name: str, view_index: int):
    """The noise stream of one view: seeded by (seed, case, system, index in the scan)."""
    return noise_generator(int(seed), case=int(case), modality=system_name,
                           view=int(view_index))


def primary_sums(blur_paths, beam: Beam, label_materials, tissue_labels, geometry, *, xp,
                 tissue_weights=None):
    """The primary's energy moments summed over a view's blur sub-sources.

    Parameters
    ----------
    blur_paths : list of (paths, view, weight)
        Path lengths ``[n_labels, nv, nu]`` (mm) per sub-source, its view and its weight.
    beam : Beam
    label_materials, tissue_labels : as :func:`simulate_view`
    geometry : callable ``view -> [nv, nu]``
        The photons-per-pixel geometry factor of a view (:func:`geometry_factor` or its
        device counterpart); its array module is that of the returned ``n_pix``.
    xp : module
        NumPy or CuPy: where the path lengths and the sums live.
    tissue_weights : list of float, optional
        Weights of ``tissue_labels`` in the scatter path (``victwin.physics.scatter_path_labels``;
        None: the geometric path).

    Returns
    -------
    e1_kev, e2_kev2, tissue_mm, n_pix : float64 ``[nv, nu]``
        Weighted sums of the primary's energy and squared energy per pixel, of the tissue path
        length, and of the photons per pixel without attenuation.
    """
    nv, nu = blur_paths[0][0].shape[-2:]
    e1 = xp.zeros((nv, nu))
    e2 = xp.zeros((nv, nu))
    tissue = xp.zeros((nv, nu))
    n_pix = 0.0
    # Python floats: a CuPy array does not multiply with NumPy scalars / 0-d arrays
    photons = float(beam.photons_per_mas_mm2_1m) * float(beam.mas_per_view)
    for p, v, w in blur_paths:
        w = float(w)
        n_sub = photons * geometry(v)
        sig = primary_signal(p, label_materials, beam.spectrum, n_sub,
                             detector_efficiency=beam.efficiency, xp=xp)
        e1 += w * xp.asarray(sig.energy_kev, dtype=np.float64)
        e2 += w * xp.asarray(sig.energy2_kev2, dtype=np.float64)
        n_pix = n_pix + w * n_sub
        if tissue_labels:
            tissue += w * scatter_path_mm(p, tissue_labels, tissue_weights, xp=xp)
    return e1, e2, tissue, n_pix


def simulate_view(paths, view, beam: Beam, system, *, label_materials, tissue_labels,
                  binning: int, rng=None, scatter: bool = True,
                  scatter_kev=None, blur_paths=None, presentation: bool = True,
                  tissue_weights=None) -> ViewImage:
    """Images of one view from its path lengths.

    Parameters
    ----------
    paths : float32 array ``[n_labels, nv, nu]``, mm
        Path length of each pixel's ray in each label (``victwin.raytrace.project_labels``).
    view : View
    beam : Beam
    system : System
    label_materials : list of str
        Material of each label.
    tissue_labels : list of int
        Labels that are not air (their summed path is the body thickness the scatter model
        reads).
    tissue_weights : list of float, optional
        Their weights in that path (``victwin.physics.scatter_path_labels``: None for the
        system's geometric path, densities for a water-equivalent one).
    binning : int
        Detector binning the view's panel is read out with.
    rng : numpy.random.Generator or None
        The view's noise stream (:func:`view_noise`); None gives expected values.
    scatter : bool
        Add the system's scatter model.
    scatter_kev : float array ``[nv, nu]``, keV, optional
        Scatter computed elsewhere (before the grid), used instead of the model when
        ``scatter`` is on: a lesion-local crop takes it from a coarse full-field pass
        (:mod:`victwin.acquisition._coarse`), since the model convolves the whole field.
    blur_paths : list of (paths, View, weight), optional
        Path lengths from the view's source sub-positions (focal spot and motion,
        ``victwin.physics.SourceBlur.sub_views``); the primary signal (and its second moment)
        is their weighted mean, i.e. intensities are averaged as the photons of MC-GPU's
        blurred source are; the tissue thickness read by the scatter model and the flat field
        are averaged the same way. ``paths`` and ``view`` are then not used.
    presentation : bool
        Compute the for-presentation image (False: ``processed`` is all zeros and its window
        ``(nan, nan)``; e.g. DBT projections in a trial, which FBP and the readers never
        read: they use ``raw`` and ``flat_adu``).
    """
    det = system.detector
    panel = view.panel
    nv, nu = panel.shape
    t1 = time.perf_counter()
    if blur_paths is None:
        blur_paths = [(paths, view, 1.0)]
    area = panel.pitch[0] * panel.pitch[1]
    # path lengths on the GPU (CuPy) give the primary there; only e1, e2, tissue come back
    xp = _array_module(blur_paths[0][0])
    e1, e2, tissue, n_pix = primary_sums(blur_paths, beam, label_materials, tissue_labels,
                                         lambda v: geometry_factor(v, area), xp=xp,
                                         tissue_weights=tissue_weights)
    if xp is not np:
        e1, e2, tissue = e1.get(), e2.get(), tissue.get()
    t2 = time.perf_counter()
    if scatter and scatter_kev is not None:
        s = np.asarray(scatter_kev, dtype=np.float64)
    elif scatter and system.scatter is not None:
        s = scatter_image(e1, tissue, panel.pitch[1], model=system.scatter)
    else:
        s = np.zeros_like(e1)
    t3 = time.perf_counter()
    mean_e = np.divide(e2, e1, out=np.zeros_like(e1), where=e1 > 0)
    tot1 = beam.grid_primary * e1 + beam.grid_scatter * s
    tot2 = beam.grid_primary * e2 + beam.grid_scatter * s * mean_e
    electrons = detect(tot1, tot2, det, rng, binning=binning,
                       primary_kev=beam.grid_primary * e1)
    raw = digitize(electrons, det, binning=binning)
    flat = beam.grid_primary * (n_pix * beam.flat_kev_per_photon) \
        * (1000.0 / det.energy_per_electron_ev) * det.gain_adu_per_e / binning ** 2
    if presentation:
        # Peripheral equalisation models the fall-off at a compressed breast's edge (Byng 1997,
        # Snoeren & Karssemeijer 2004); radiography (DX) gets the plain log + sigmoid LUT.
        processed, window = for_presentation(raw, det, flat, pixel_mm=panel.pitch[1],
                                             equalise=system.modality == "MG")
    else:
        processed, window = np.zeros_like(raw), (float("nan"), float("nan"))
    t4 = time.perf_counter()
    return ViewImage(raw=raw, processed=processed, window=window,
                     flat_adu=flat.astype(np.float32),
                     timings_s={"physics": t2 - t1, "scatter": t3 - t2, "detector": t4 - t3})


def _check_views(n_all: int, views) -> list[int]:
    indices = list(range(n_all)) if views is None else [int(i) for i in views]
    for i in indices:
        if not 0 <= i < n_all:
            raise ValueError(f"views contains {i}, outside 0..{n_all - 1}")
    return indices


def _blur_sub_views(system, views):
    """Per view, the source sub-positions of the system's blur (None: no blur)."""
    blur = system.blur.for_scan(system.scan) if system.blur is not None else None
    if blur is None or not blur.enabled:
        return None
    g = system.geometry
    center, axis = None, (1.0, 0.0, 0.0)
    if system.scan == "dbt":
        # the arc's axis (geometry.tomosynthesis_arc): through (0, 0, sid - radius)
        center = (0.0, 0.0, g.sid_mm - g.source_to_rotation_center_mm)
        axis = (1.0, 0.0, 0.0) if g.rotation_axis == "x" else (0.0, 1.0, 0.0)
    return [blur.sub_views(v, rotation_center_mm=center, rotation_axis=axis) for v in views]
