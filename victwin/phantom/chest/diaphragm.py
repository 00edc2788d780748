"""The diaphragm's upper surface under the lungs: two domes over a base that is higher in
front than behind, with lateral costophrenic recesses.

:func:`diaphragm_y` gives the level (y, mm, anatomy coordinates of :mod:`.raster`) of the
diaphragm over each (x, zd) of a :class:`.lungs.Cavity` (its :meth:`~.lungs.Cavity.diaphragm_y`);
the lung is above it. Moved out of :mod:`.lungs` unchanged on 2026-12-03 (tenth session,
helper 19cage10) to give that module room; the same bytes.

Shape (model choices unless cited):

* the base falls from the anterior attachment (``ant_rise`` above the posterior recess, at the
  xiphoid ~T9) to the posterior recess at T12 (Gray's Anatomy, 41st ed., ch. 53);
* each dome is a spherical cap over an ellipse centred :data:`DOME_CENTRE_X` of the base
  half-width from the midline, :data:`DOME_R_X` of it wide (radius) and :data:`DOME_R_Z` of the
  half-depth deep, ``dome_right`` / ``dome_left`` high; between the cap's rim and the lateral
  wall the diaphragm lies at the recess level.

Dome heights (:func:`.lungs.nominal_cavity`: Felson 1973's 1.5-3 cm plus a 15 mm lateral fall,
the right 8-25 mm higher) against PA radiographs of 45 adults (Alghamdi S et al. Normal
diaphragm measurements in the Saudi population using posteroanterior chest radiograph. Int J
Biomed 2021;11(2):206-211, abstract: dome heights right 51.3 +- 10.6 mm, left 38.4 +- 9.2 mm;
men 55.4 / 43.3, women 47.0 / 33.3; diaphragm width between the costophrenic angles 278 +- 25
mm, men 292 +- 20, women 264 +- 21): ``tests/phantom/test_chest_cage.py``.

The lateral costophrenic angle measures 38-63 deg on the PA lung field
(:func:`.measure_body.costophrenic_angles_deg`, 25 mm arms) against "approximately 30°"
(Indiran V, Muller J Med Sci Res 2018;9:39-40). Tried on 2026-12-03 and not kept (NOTES,
19cage10): domes reaching the walls at every depth with steeper rims (profiles
``sqrt(1 - r^p)``, p = 2-16, radial or per axis) measured 61-89 deg, worse, because the thin
front and back slivers of lung under a steep-rimmed dome still add up to the 20 mm of lung the
field needs, so the field's lower edge sits 15-25 mm below the dome's silhouette and rises
only 15-20 mm over the arm; and with a vertical wall a 30 deg angle over 25 mm arms needs a
43 mm rise, more than the left dome's published height (33-43 mm).
"""

from __future__ import annotations

import numpy as np

__all__ = ["diaphragm_y", "DOME_CENTRE_X", "DOME_R_X", "DOME_R_Z"]

#: Dome top's distance from the midline, fraction of the base half-width ``a0``.
DOME_CENTRE_X = 0.45
#: The cap's radius across, fraction of ``a0`` (its rim 0.92 ``a0`` from the midline).
DOME_R_X = 0.47
#: The cap's radius front to back, fraction of the half-depth ``b0``, about a centre 0.05
#: ``b0`` in front of the cavity's centre.
DOME_R_Z = 1.15


def diaphragm_y(cav, x, zd):
    """Level (y, mm) of the diaphragm's upper surface over each (x, zd) (numpy broadcasting);
    ``cav`` a :class:`.lungs.Cavity`."""
    u = np.clip((np.asarray(zd, np.float32) + cav.b0) / (2.0 * cav.b0), 0.0, 1.0)
    base = cav.y_low - cav.ant_rise * (1.0 - u) ** 1.5
    out = base
    for side, h in ((-1.0, cav.dome_right), (1.0, cav.dome_left)):
        dx = (np.asarray(x, np.float32) - side * DOME_CENTRE_X * cav.a0) / (DOME_R_X * cav.a0)
        dz = (np.asarray(zd, np.float32) + 0.05 * cav.b0) / (DOME_R_Z * cav.b0)
        bump = np.sqrt(np.clip(1.0 - dx * dx - dz * dz, 0.0, 1.0))
        out = out - h * bump * ((np.asarray(x) * side) > -0.1 * cav.a0)
    return out
