"""Virtual readers: ROI extraction, channels, model observers and their detectability.

Location-known-exactly ROIs/VOIs are cut with :func:`extract_rois` (sizes by lesion kind from
:func:`roi_shape`, lesion-absent centres from :func:`sample_absent_centers`); observers follow
the scikit-learn interface (``fit(X, y)``, ``decision_function(X)``); :func:`assess` trains
and measures one (hold-out unless resubstitution is asked for, and then labelled);
:func:`resampled_readers` makes MRMC "readers" whose variance is training-set variance.
"""

from ._channels import (
    convolutional_channels,
    difference_of_gaussians,
    gabor,
    laguerre_gauss,
)
from ._detectability import (
    Detectability,
    SNRInterval,
    assess,
    dprime,
    exact_ci_hold_out,
    exact_ci_same_set,
)
from ._observers import (
    ChannelizedHotelling,
    HotellingObserver,
    MultiSliceCHO,
    NPWEObserver,
    NPWObserver,
    VolumetricCHO,
    eye_filter,
)
from ._resampled import ReaderScores, resampled_readers, to_score_table
from ._roi import VICTRE_PIXEL_MM, extract_rois, roi_shape, sample_absent_centers

__all__ = [
    "VICTRE_PIXEL_MM",
    "ChannelizedHotelling",
    "Detectability",
    "HotellingObserver",
    "MultiSliceCHO",
    "NPWEObserver",
    "NPWObserver",
    "ReaderScores",
    "SNRInterval",
    "VolumetricCHO",
    "assess",
    "convolutional_channels",
    "difference_of_gaussians",
    "dprime",
    "exact_ci_hold_out",
    "exact_ci_same_set",
    "extract_rois",
    "eye_filter",
    "gabor",
    "laguerre_gauss",
    "resampled_readers",
    "roi_shape",
    "sample_absent_centers",
    "to_score_table",
]
