"""Scan builders for the three families victwin simulates: DM, DBT and chest PA.

World frame for breast imaging (mm):

* ``z`` points up, from the detector surface (``z = 0``) towards the X-ray source;
* ``x`` runs from the chest wall (``x = 0``) towards the nipple;
* ``y`` runs along the chest wall, ``y = 0`` at the middle of the detector.

The breast support's top surface is ``breast_support_mm`` above the detector (VICTRE puts the
phantom base 20 mm above the detector, ``det_z_loc = -20`` in its ROI scripts). Detector columns
(``u = +x``) run from the chest-wall edge towards the nipple and rows (``v = +y``) along the chest
wall, so a detector image ``[row, column]`` shows the breast as a mammogram is read, chest wall
at column 0. Detector size and pitch default to VICTRE's Mammomat model: 3000 x 1500 pixels of
85 um (MC-GPU VICTRE input files).

For chest radiography the detector is again at ``z = 0`` with the source above it at the
source-to-image distance; the patient's chest lies on the detector side (PA: X-rays enter the
back), ``x`` runs from the patient's right to left and ``y`` from head to feet, so the image is
displayed as radiographs are read.
"""

from __future__ import annotations

import math

import numpy as np

from victwin._checks import check_positive

from ._core import FlatPanel, View

__all__ = ["mammography_view", "tomosynthesis_arc", "radiography_view"]


def _panel_for_breast(detector_shape, pitch_mm, detector_binning) -> FlatPanel:
    nv, nu = detector_shape
    panel = FlatPanel(shape=(nv, nu), pitch=(pitch_mm, pitch_mm),
                      center=(nu * pitch_mm / 2.0, 0.0, 0.0), u=(1.0, 0.0, 0.0), v=(0.0, 1.0, 0.0))
    # Binning keeps the chest-wall edge at x = 0 because the panel centre is unchanged.
    return panel.binned(detector_binning) if detector_binning != 1 else panel


def mammography_view(*, sid_mm: float = 650.0, detector_shape=(3000, 1500),
                     pitch_mm: float = 0.085, detector_binning: int = 1,
                     source_x_mm: float = 0.0) -> View:
    """One cone-beam mammography (DM) view: source above the breast support, detector under it.

    Parameters
    ----------
    sid_mm : float, mm
        Source-to-image distance (Mammomat Inspiration: 650 mm).
    detector_shape : (rows, columns)
        Detector pixels along the chest wall (``y``) and towards the nipple (``x``).
    pitch_mm : float, mm
        Native pixel pitch (85 um a-Se in VICTRE).
    detector_binning : int
        Read the panel out in ``k x k`` bins (pitch ``k * pitch_mm``).
    source_x_mm : float, mm
        Source position along ``x``; 0 puts the central ray on the chest-wall edge, as in
        clinical systems (half-cone beam).

    Returns
    -------
    View
    """
    sid_mm = check_positive("sid_mm", sid_mm)
    pitch_mm = check_positive("pitch_mm", pitch_mm)
    panel = _panel_for_breast(detector_shape, pitch_mm, detector_binning)
    return View(source=(float(source_x_mm), 0.0, sid_mm), panel=panel)


def tomosynthesis_arc(n_views: int = 25, arc_deg: float = 50.0,
                      rotation_center_height_mm: float = 50.0, *,
                      source_to_rotation_center_mm: float = 600.0,
                      detector_shape=(3000, 1500), pitch_mm: float = 0.085,
                      detector_binning: int = 1, first_angle_deg: float | None = None,
                      rotation_axis: str = "x") -> tuple[View, ...]:
    """A DBT scan: the source moves on an arc while the detector stays still.

    The defaults are VICTRE's Siemens Mammomat Inspiration model (MC-GPU v1.5b VICTRE input):
    25 views over 50 degrees (first at -25, step 50/24 = 2.0833 degrees), source 600 mm from
    the rotation axis, which is 50 mm above the detector (so SID = 650 mm at 0 degrees).

    Parameters
    ----------
    n_views : int
        Number of projections (>= 1).
    arc_deg : float, degrees
        Angle between the first and the last source position (>= 0).
    rotation_center_height_mm : float, mm
        Height of the rotation axis above the detector surface.
    source_to_rotation_center_mm : float, mm
        Radius of the source arc.
    detector_shape, pitch_mm, detector_binning
        As :func:`mammography_view`.
    first_angle_deg : float, degrees, optional
        Angle of the first view; default ``-arc_deg / 2`` (a symmetric sweep).
    rotation_axis : {"x", "y"}
        World axis the arc turns about. ``"x"`` (default, as MC-GPU's VICTRE input, rotation
        axis (1, 0, 0)) is perpendicular to the chest wall, so the tube sweeps side to side,
        parallel to the chest wall, as on clinical DBT systems. ``"y"`` turns about an axis
        along the chest wall (the source then moves towards and away from the nipple).

    Returns
    -------
    tuple of View
        One view per source position, in acquisition order.
    """
    n_views = int(n_views)
    if n_views < 1:
        raise ValueError(f"n_views must be >= 1, got {n_views}")
    arc_deg = float(arc_deg)
    if not math.isfinite(arc_deg) or arc_deg < 0 or arc_deg >= 180:
        raise ValueError(f"arc_deg must be in [0, 180), got {arc_deg!r}")
    radius = check_positive("source_to_rotation_center_mm", source_to_rotation_center_mm)
    height = float(rotation_center_height_mm)
    if not math.isfinite(height):
        raise ValueError(f"rotation_center_height_mm must be finite, got {height!r}")
    if rotation_axis not in ("x", "y"):
        raise ValueError(f"rotation_axis must be 'x' or 'y', got {rotation_axis!r}")
    pitch_mm = check_positive("pitch_mm", pitch_mm)
    start = -arc_deg / 2.0 if first_angle_deg is None else float(first_angle_deg)
    step = arc_deg / (n_views - 1) if n_views > 1 else 0.0
    angles = np.deg2rad(start + step * np.arange(n_views))
    panel = _panel_for_breast(detector_shape, pitch_mm, detector_binning)
    views = []
    for theta in angles:
        z = height + radius * math.cos(theta)
        if z <= 0:
            raise ValueError(f"source at {math.degrees(theta):.3g} deg is at or below the detector "
                             f"(z = {z:.3g} mm); reduce arc_deg or raise rotation_center_height_mm")
        lateral = radius * math.sin(theta)
        source = (0.0, lateral, z) if rotation_axis == "x" else (lateral, 0.0, z)
        views.append(View(source=source, panel=panel))
    return tuple(views)


def radiography_view(*, sid_mm: float = 1800.0, detector_shape=(3072, 3072),
                     pitch_mm: float = 0.14, detector_binning: int = 1) -> View:
    """A chest PA radiograph: point source at a long SID, centred over a flat panel at ``z = 0``.

    Parameters
    ----------
    sid_mm : float, mm
        Source-to-image distance (1800 mm is the usual chest PA distance).
    detector_shape : (rows, columns)
        Pixels head-to-feet (``y``) and right-to-left (``x``); 3072 x 3072 at 0.14 mm is a
        43 cm CsI panel.
    pitch_mm : float, mm
    detector_binning : int

    Returns
    -------
    View
    """
    sid_mm = check_positive("sid_mm", sid_mm)
    pitch_mm = check_positive("pitch_mm", pitch_mm)
    panel = FlatPanel(shape=detector_shape, pitch=(pitch_mm, pitch_mm), center=(0.0, 0.0, 0.0),
                      u=(1.0, 0.0, 0.0), v=(0.0, 1.0, 0.0))
    if detector_binning != 1:
        panel = panel.binned(detector_binning)
    return View(source=(0.0, 0.0, sid_mm), panel=panel)
