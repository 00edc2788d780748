"""The one map from victwin's breast frame to DICOM patient coordinates (LPS).

victwin simulates a breast in its *breast frame* (mm): ``x`` from the chest wall towards the
nipple, ``y`` along the chest wall, ``z`` up from the detector surface towards the X-ray source
(``victwin.geometry``). DICOM places images in the *patient* coordinate system (PS3.3
C.7.6.2.1.1): ``+X`` towards the patient's left, ``+Y`` posterior, ``+Z`` head (LPS).

:func:`breast_to_patient` is the only place where one becomes the other; every geometric DICOM
attribute victwin writes (plane positions and orientations, SEG frames, SR coordinates,
PatientOrientation letters) goes through it, and the read-back uses its inverse.

The map is a rotation (no mirroring, so the simulated anatomy keeps its handedness) that
depends on laterality and view. The patient stands facing the unit:

* ``x`` -> anterior, for every view (the nipple points away from the chest);
* ``z`` (detector -> source) -> ``cos(a) * head + sin(a) * medial`` with the positioner angle
  ``a`` = 0 for CC, 45 degrees for MLO, 90 for ML (source medial, detector lateral) and -90 for
  LM; medial is the patient's right for a left breast and the left for a right breast;
* ``y = z x x`` (right-handed), so for CC ``y`` points to the patient's left for either breast.

The origin of the breast frame (the detector's chest-wall edge centre, on the detector
surface) is the origin of the patient coordinates; each (case, laterality, view) has its own
Frame of Reference UID, so no position across breasts is implied.

Images are *stored* as mammograms are hung (IHE Mammography; the PatientOrientation values of
PS3.3 C.8.11.7 / PS3.17 examples: LCC ``A\\R``, RCC ``P\\L``, LMLO ``A\\FR``, RMLO ``P\\FL``):
the row direction points to the nipple for a left breast and to the chest wall for a right
breast, and the column direction (down the image) points feet-wards, or medially for CC. The
detector image and the volume slices are therefore flipped before they are written
(:meth:`BreastFrame.to_stored` / :meth:`BreastFrame.from_stored`); the flip is part of the
image orientation the map gives, not a second map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["BreastFrame", "breast_to_patient", "frame_of_dataset", "orientation_letters",
           "POSITIONER_ANGLE_DEG"]

#: Positioner (C-arm) angle of each view, degrees from vertical, towards medial for MLO / ML.
POSITIONER_ANGLE_DEG = {"CC": 0.0, "MLO": 45.0, "ML": 90.0, "LM": -90.0}

_HEAD = np.array([0.0, 0.0, 1.0])
_ANTERIOR = np.array([0.0, -1.0, 0.0])
_MEDIAL = {"L": np.array([-1.0, 0.0, 0.0]), "R": np.array([1.0, 0.0, 0.0])}


def orientation_letters(direction) -> str:
    """DICOM orientation letters (L/R, P/A, H/F) of an LPS direction, largest component first.

    Components under 1e-3 of the vector's length are left out; equal components (an exact 45
    degree MLO) list H/F first, as the mammography convention writes ``FR``.
    """
    d = np.asarray(direction, dtype=float)
    n = float(np.linalg.norm(d))
    if d.shape != (3,) or not np.isfinite(n) or n == 0:
        raise ValueError(f"direction must be 3 finite numbers, not all 0, got {direction!r}")
    d = d / n
    letters = [("L" if d[0] > 0 else "R", abs(d[0]), 1), ("P" if d[1] > 0 else "A", abs(d[1]), 2),
               ("H" if d[2] > 0 else "F", abs(d[2]), 0)]
    kept = [t for t in letters if t[1] > 1e-3]
    kept.sort(key=lambda t: (-round(t[1], 6), t[2]))
    return "".join(t[0] for t in kept)


@dataclass(frozen=True)
class BreastFrame:
    """The breast frame of one (laterality, view) placed in patient coordinates (LPS).

    Attributes
    ----------
    laterality : {"L", "R"}
    view : {"CC", "MLO", "ML", "LM"}
    rotation : 3x3 array
        Columns are the LPS directions of the breast frame's ``x``, ``y`` and ``z``.
    """

    laterality: str
    view: str
    rotation: np.ndarray

    # -- points and directions ---------------------------------------------------------------
    def point(self, xyz_mm) -> np.ndarray:
        """LPS position (mm) of breast-frame point(s) ``(..., 3)``."""
        return np.asarray(xyz_mm, dtype=float) @ self.rotation.T

    def direction(self, v) -> np.ndarray:
        """LPS direction of breast-frame direction(s) ``(..., 3)``."""
        return np.asarray(v, dtype=float) @ self.rotation.T

    def to_breast(self, lps_mm) -> np.ndarray:
        """Breast-frame position (mm) of LPS point(s) (the inverse of :meth:`point`)."""
        return np.asarray(lps_mm, dtype=float) @ self.rotation

    # -- stored image orientation -----------------------------------------------------------
    @property
    def flips(self) -> tuple[bool, bool]:
        """``(flip_rows, flip_columns)`` from victwin's image ``[y, x]`` to the stored image.

        Stored columns run along ``+x`` (left breast) or ``-x`` (right breast); stored rows
        along whichever of ``+-y`` points feet-wards (medially when ``y`` is horizontal).
        """
        y = self.rotation[:, 1]
        if abs(y[2]) > 1e-6:
            down_is_plus_y = y[2] < 0  # towards the feet
        else:
            down_is_plus_y = float(y @ _MEDIAL[self.laterality]) > 0
        return (not down_is_plus_y, self.laterality == "R")

    def stored_axes(self) -> tuple[np.ndarray, np.ndarray]:
        """Breast-frame unit vectors of the stored row direction (along a row, increasing
        column) and column direction (down a column, increasing row)."""
        flip_rows, flip_cols = self.flips
        row = np.array([-1.0 if flip_cols else 1.0, 0.0, 0.0])
        col = np.array([0.0, -1.0 if flip_rows else 1.0, 0.0])
        return row, col

    def image_orientation(self) -> list[float]:
        """ImageOrientationPatient (row direction, then column direction) of stored images
        in planes parallel to the detector."""
        row, col = self.stored_axes()
        out = np.concatenate([self.direction(row), self.direction(col)])
        return [float(round(v, 10)) + 0.0 for v in out]

    def patient_orientation(self) -> str:
        """PatientOrientation (0020,0020) of the stored projection image, e.g. ``A\\R``."""
        row, col = self.stored_axes()
        return f"{orientation_letters(self.direction(row))}\\" \
               f"{orientation_letters(self.direction(col))}"

    def to_stored(self, image) -> np.ndarray:
        """victwin image(s) ``[..., y, x]`` -> stored pixel order (a view, no copy)."""
        flip_rows, flip_cols = self.flips
        a = np.asarray(image)
        if flip_rows:
            a = a[..., ::-1, :]
        if flip_cols:
            a = a[..., :, ::-1]
        return a

    def from_stored(self, image) -> np.ndarray:
        """Stored pixel order -> victwin image(s) ``[..., y, x]`` (flips are their own inverse)."""
        return self.to_stored(image)

    @property
    def slices_reversed(self) -> bool:
        """Whether stored volume frames run from the top slice down: frames are ordered so
        that their positions advance along the stored planes' normal (row x column), as
        MPR and volume readers (GDCM, ITK) expect a positive slice spacing."""
        row, col = self.stored_axes()
        normal = np.cross(self.direction(row), self.direction(col))
        return float(normal @ self.direction((0.0, 0.0, 1.0))) < 0

    def to_stored_volume(self, volume) -> np.ndarray:
        """victwin volume ``[z, y, x]`` -> stored frame order (in-plane flips, slice order)."""
        a = self.to_stored(volume)
        return a[::-1] if self.slices_reversed else a

    def from_stored_volume(self, volume) -> np.ndarray:
        """Stored frames -> victwin volume ``[z, y, x]`` (the inverse of to_stored_volume)."""
        return self.to_stored_volume(volume)


def breast_to_patient(laterality: str, view: str) -> BreastFrame:
    """The rotation that places victwin's breast frame in DICOM patient coordinates (LPS).

    Parameters
    ----------
    laterality : {"L", "R"}
    view : {"CC", "MLO", "ML", "LM"}

    Returns
    -------
    BreastFrame
        With :meth:`~BreastFrame.point` / :meth:`~BreastFrame.direction` (breast frame -> LPS),
        :meth:`~BreastFrame.to_breast` (LPS -> breast frame), and the stored image orientation
        (:meth:`~BreastFrame.image_orientation`, :meth:`~BreastFrame.patient_orientation`,
        :meth:`~BreastFrame.to_stored`).
    """
    if laterality not in _MEDIAL:
        raise ValueError(f"laterality must be 'L' or 'R', got {laterality!r}")
    if view not in POSITIONER_ANGLE_DEG:
        raise ValueError(f"view must be one of {', '.join(map(repr, POSITIONER_ANGLE_DEG))}, "
                         f"got {view!r}")
    a = math.radians(POSITIONER_ANGLE_DEG[view])
    x = _ANTERIOR
    z = math.cos(a) * _HEAD + math.sin(a) * _MEDIAL[laterality]
    z = np.where(np.abs(z) < 1e-12, 0.0, z)
    y = np.cross(z, x)
    rotation = np.column_stack([x, y, z])
    rotation.setflags(write=False)
    return BreastFrame(laterality, view, rotation)


_VIEW_BY_CODE = {"399162004": "CC", "399368009": "MLO", "399260004": "ML", "399352003": "LM"}


def frame_of_dataset(ds) -> BreastFrame:
    """The :class:`BreastFrame` of a victwin breast image, from its laterality and view code.

    Laterality is ImageLaterality (DM) or the shared Frame Anatomy's FrameLaterality
    (enhanced objects); the view is the first ViewCodeSequence item (SCT code).
    """
    lat = ds.get("ImageLaterality")
    if lat is None:
        try:
            lat = ds.SharedFunctionalGroupsSequence[0].FrameAnatomySequence[0].FrameLaterality
        except (AttributeError, IndexError):
            lat = None
    try:
        code = str(ds.ViewCodeSequence[0].CodeValue)
    except (AttributeError, IndexError):
        code = None
    if lat not in _MEDIAL or code not in _VIEW_BY_CODE:
        raise ValueError(f"{getattr(ds, 'SOPClassUID', 'dataset')}: laterality {lat!r} and view "
                         f"code {code!r} do not name a breast view victwin writes")
    return breast_to_patient(str(lat), _VIEW_BY_CODE[code])
