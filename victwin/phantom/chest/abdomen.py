"""Under the diaphragm: its thickness and the gastric air bubble of an erect patient.

In an erect patient the stomach's gas rises into the fundus, under the left hemidiaphragm: on a
PA film the bubble's upper border is the dome-shaped fundus wall, a thick line (diaphragm and
gastric wall) between the gas and the lung, and its lower border a horizontal air-fluid level
("Normal stomach bubble - erect chest X-ray": round/ovoid, thick upper wall, fluid level;
Radiology Masterclass, radiologymasterclass.co.uk, tutorials/abdo/abdomen_x-ray_abnormalities/
pathology_bowel_gas_perforation_pitfalls). Until 2026-12-03 the builder painted the lower part
of a flattened ellipsoid instead, a flat top and a curved bottom about 2 cm under the dome.
"""

from __future__ import annotations

import numpy as np

from .lungs import Cavity
from .raster import Frame

__all__ = ["DIAPHRAGM_MM", "GASTRIC_WALL_MM", "GASTRIC_BUBBLE_MM", "paint_gastric_bubble"]

#: Diaphragm thickness painted under the lungs (mm; model choice, since the first session).
DIAPHRAGM_MM = 5.0
#: Gastric wall between the fundal gas and the diaphragm (mm): the wall of the distended
#: gastric body on MDCT, 2.0 +- 0.4 mm (Pickhardt & Asher, AJR 2003;181:973-979, 153 patients;
#: abstract).
GASTRIC_WALL_MM = 2.0
#: The fundal gas pocket, mm (model choices: the bubble's sizes before 2026-12-03, no source for
#: the bubble's size on erect films was found): footprint semi-axes (x, zd) and the height from
#: its top under the dome to the air-fluid level.
GASTRIC_BUBBLE_MM = (35.0, 30.0, 19.2)
#: Over this fraction of the footprint's radius the fundus lies flat against the diaphragm
#: (model choice); outside it the top curves down to the rim.
BUBBLE_CONTACT = 0.5


def paint_gastric_bubble(labels: np.ndarray, f: Frame, cav: Cavity, AIRWAY: int, only) -> None:
    """Paint the fundal gas of an erect patient under the left dome, in place.

    Footprint: an ellipse of semi-axes ``GASTRIC_BUBBLE_MM[:2]`` centred under the left dome
    (x = 0.45 a0, zd = -0.1 b0, as before). Upper border: the lung's lower surface
    (``cav.diaphragm_y``) plus :data:`DIAPHRAGM_MM` and :data:`GASTRIC_WALL_MM`, over the
    central :data:`BUBBLE_CONTACT` of the footprint's radius, then curving down (a quarter
    ellipse, depth the bubble's height) to the rim. Lower border: a horizontal air-fluid level
    ``GASTRIC_BUBBLE_MM[2]`` below the top at the centre. ``AIRWAY`` is painted over the labels
    in ``only`` (soft tissue and muscle) and nowhere else.
    """
    rx, rz, h = GASTRIC_BUBBLE_MM
    gx, gz = 0.45 * cav.a0, -0.1 * cav.b0
    below = DIAPHRAGM_MM + GASTRIC_WALL_MM
    level = float(cav.diaphragm_y(np.float32(gx), np.float32(gz))) + below + h

    def bubble(x, y, z):
        r = np.sqrt(((x - gx) / rx) ** 2 + ((z - gz) / rz) ** 2)
        s = np.clip((r - BUBBLE_CONTACT) / (1.0 - BUBBLE_CONTACT), 0.0, 1.0)
        top = cav.diaphragm_y(x, z) + below + h * (1.0 - np.sqrt(1.0 - s * s))
        return (r <= 1.0) & (y >= top) & (y <= level)
    # the top under the dome can lie above the centre's (the diaphragm rises to the front)
    f.paint_mask(labels, (gx - rx - 1, level - h - 40.0, gz - rz - 1),
                 (gx + rx + 1, level + 1, gz + rz + 1), bubble, AIRWAY, only=only)
