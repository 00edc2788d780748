"""Channel outputs instead of ROIs: ``[storage] rois = "channels"``.

A channelized observer sees a ROI only through its channel outputs ``v = U^T g`` (one vector
per ROI; per slice of a VOI for the multi-slice observers), and everything after that is
linear algebra on ``v`` (:class:`victwin.readers.ChannelizedHotelling`,
:class:`victwin.readers.MultiSliceCHO`). So a trial whose readers are channelized can store
``v`` in place of the ROI: the same readers, trained and scored on the stored outputs through
identity channels, give the same scores up to floating-point rounding (the product ``U^T g``
is taken once, in the worker, instead of in the analysis). A VICTRE-replica case at 85 um
keeps ~5.7 MB of ROIs and VOIs (20 sites, two modalities) but ~6 kB of channel outputs, so
the store of a 2,986-twin replica drops from ~17 GB to ~25 MB and a partial run can be kept
in the repository between sessions (NOTES, 2026-12-05 sixth).

What it costs: the ROIs themselves are gone, so the run can be analysed again only with the
same channels (kind, count, width) and no per-class crop; the spec refuses the combinations
that would need the pixels (``_spec._check_storage``). The report's example images come from
the previews, which this setting does not touch.

Layout of a stored entry (float64): a 2-D ROI ``[ny, nx]`` becomes ``[n_channels]``; a VOI
``[nz, ny, nx]`` becomes ``[nz, n_channels]`` (every slice, so any multi-slice variant can be
trained from it).
"""

from __future__ import annotations

import numpy as np

from ._observer import MULTISLICE_VARIANT, make_observer

__all__ = ["channel_outputs", "feature_observer", "as_observer_input", "FEATURE_OBSERVERS"]

#: Observers whose every use of a ROI goes through channel outputs (``_analysis.make_observer``
#: builds a :class:`~victwin.readers.ChannelizedHotelling` for 2-D ROIs and a
#: :class:`~victwin.readers.MultiSliceCHO` for VOIs from each of them).
FEATURE_OBSERVERS = ("cho", "msCHO", "vCHO")


def _channels(spec, roi_shape, pixel_mm: float) -> np.ndarray:
    """The 2-D channels ``[c, ny, nx]`` the analysis would build for ROIs of ``roi_shape``."""
    observer = make_observer(spec, tuple(roi_shape), float(pixel_mm), seed=0)
    return np.asarray(observer.channels, dtype=np.float64)


def channel_outputs(spec, roi, pixel_mm: float) -> np.ndarray:
    """Channel outputs of one ROI ``[ny, nx]`` (-> ``[c]``) or VOI ``[nz, ny, nx]``
    (-> ``[nz, c]``), float64, with the channels of the spec's readers at ``pixel_mm``
    (the ROI's in-plane pitch, as the analysis reads it from the case record)."""
    roi = np.asarray(roi.get() if hasattr(roi, "get") else roi)   # a CuPy ROI
    if roi.ndim not in (2, 3):
        raise ValueError(f"a ROI is 2-D or a VOI 3-D, got shape {roi.shape}")
    U = _channels(spec, roi.shape, pixel_mm)
    flat = U.reshape(U.shape[0], -1)
    slices = roi.reshape(-1, flat.shape[1]).astype(np.float64)
    v = slices @ flat.T
    return v[0] if roi.ndim == 2 else v


def feature_observer(spec, features_shape: tuple, seed: int):
    """The spec's observer for stored channel outputs of shape ``features_shape`` (one
    entry's: ``[c]`` or ``[nz, c]``): the same observer class and variant as
    ``_analysis.make_observer`` builds for the ROIs, with identity channels. Its inputs are
    the stored outputs with a trailing axis of 1 (:func:`as_observer_input`)."""
    from victwin import readers

    r = spec.readers
    c = int(features_shape[-1])
    eye = np.eye(c)[:, :, None]          # [c, c, 1]: channel k reads feature k
    if len(features_shape) == 1:
        return readers.ChannelizedHotelling(eye, decision_noise=r.internal_noise,
                                            random_state=seed)
    variant = MULTISLICE_VARIANT[r.observer]
    return readers.MultiSliceCHO(eye, variant=variant, decision_noise=r.internal_noise,
                                 random_state=seed)


def as_observer_input(X: np.ndarray) -> np.ndarray:
    """Stacked outputs ``[n, c]`` / ``[n, nz, c]`` as the identity observer's "ROIs"
    ``[n, c, 1]`` / ``[n, nz, c, 1]``."""
    return np.asarray(X, dtype=np.float64)[..., None]
