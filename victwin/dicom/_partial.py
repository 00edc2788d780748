"""PartialView: does the breast run off the detector? Decided from the image.

A breast image is a partial view when breast tissue reaches an edge of the detector other
than the chest-wall edge (victwin's detector column 0): then part of the breast is not in the
image. PS3.3 C.8.11.7 (Mammography Image) and C.8.26.1 (Breast View) record it as PartialView
YES, with PartialViewDescription and PartialViewCodeSequence naming the part (CID 4005
Partial View Option: SCT qualifier values for anterior, posterior, medial, lateral, superior,
inferior).
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from ._common import code_item
from ._frame import BreastFrame

__all__ = ["breast_mask_from_image", "set_partial_view"]

_SIDES = {  # SCT qualifier values (CID 4005)
    "anterior": "255549009", "posterior": "255551008", "medial": "255561001",
    "lateral": "49370004", "superior": "264217000", "inferior": "261089000",
}

#: Fraction of the open-field signal below which a pixel counts as breast (a classification
#: threshold, not a model parameter). 5 % attenuation is 0.7-1 mm of breast tissue at 20 keV
#: (``victwin.physics.linear_attenuation``: adipose 0.051/mm, glandular 0.078/mm), far less
#: than the centimetres of tissue at a detector edge the breast runs off.
BREAST_THRESHOLD = 0.95


def _smooth(image: np.ndarray, k: int = 3) -> np.ndarray:
    """k x k box mean (edges replicated), so single noisy pixels do not decide an edge."""
    pad = k // 2
    a = np.pad(np.asarray(image, dtype=np.float64), pad, mode="edge")
    c = a.cumsum(0).cumsum(1)
    c = np.pad(c, ((1, 0), (1, 0)))
    h, w = image.shape
    return (c[k:k + h, k:k + w] - c[:h, k:k + w] - c[k:k + h, :w] + c[:h, :w]) / (k * k)


def breast_mask_from_image(image, *, for_presentation: bool, flat=None) -> np.ndarray:
    """Boolean breast mask ``[y, x]`` (victwin detector orientation) of a projection image.

    With ``flat`` (the open-field signal of each pixel, same shape, e.g. ``raw - offset`` and
    the acquisition's ``flat_adu``), breast is where the transmission ``image / flat`` is
    below :data:`BREAST_THRESHOLD`. Without it the open field is estimated from the image:
    its 99.9th percentile (For Processing: linear signal, air brightest) or its 0.1th
    percentile (For Presentation: dense is bright, air darkest), so an image without any air
    in it is not recognised as a partial view.
    """
    img = _smooth(np.asarray(image, dtype=np.float64))
    if flat is not None:
        f = _smooth(np.asarray(flat, dtype=np.float64))
        return img < BREAST_THRESHOLD * np.maximum(f, 1e-12)
    if for_presentation:
        lo, hi = np.percentile(img, [0.1, 100.0])
        return img > lo + (1.0 - BREAST_THRESHOLD) * max(hi - lo, 1e-12)
    top = float(np.percentile(img, 99.9))
    return img < BREAST_THRESHOLD * top


def _side_word(frame: BreastFrame, breast_direction) -> str:
    """Anatomical name of a breast-frame direction for this laterality and view."""
    d = frame.direction(breast_direction)
    medial = np.array([-1.0, 0.0, 0.0]) if frame.laterality == "L" else np.array([1.0, 0, 0])
    scores = {"medial": d @ medial, "lateral": -(d @ medial), "superior": d[2],
              "inferior": -d[2], "anterior": -d[1], "posterior": d[1]}
    return max(scores, key=scores.get)


def set_partial_view(ds: Dataset, mask, frame: BreastFrame, *,
                     description: bool = True) -> list[str]:
    """Write PartialView (+ Code Sequence, and Description when the IOD has it) from a mask.

    ``mask`` is ``[y, x]`` in victwin's detector orientation (chest wall at column 0).
    The Code Sequence holds at most 2 items (Breast View module), the nipple side first.
    Returns the sides (anatomical words) where the breast runs off the detector.
    """
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 2:
        raise ValueError(f"breast mask must be 2-D [rows, columns], got shape {m.shape}")
    sides = []
    for touched, direction in ((m[:, -1].any(), (1.0, 0.0, 0.0)),
                               (m[-1, :].any(), (0.0, 1.0, 0.0)),
                               (m[0, :].any(), (0.0, -1.0, 0.0))):
        if touched:
            word = _side_word(frame, direction)
            if word not in sides:
                sides.append(word)
    ds.PartialView = "YES" if sides else "NO"
    for kw in ("PartialViewDescription", "PartialViewCodeSequence"):
        if kw in ds:
            delattr(ds, kw)
    if sides and description:
        ds.PartialViewDescription = ("breast runs off the detector at the "
                                     + ", ".join(sides) + " edge" + ("s" if len(sides) > 1
                                                                      else ""))[:64]
    if sides:
        ds.PartialViewCodeSequence = Sequence([code_item(_SIDES[s], "SCT", s.capitalize())
                                               for s in sides[:2]])
    return sides
