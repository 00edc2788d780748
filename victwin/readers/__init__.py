"""Virtual readers: ROI extraction, channels, model observers and their detectability.

Location-known-exactly ROIs/VOIs are cut with :func:`extract_rois` (sizes by lesion kind from
:func:`roi_shape`, lesion-absent centres from :func:`sample_absent_centers`); observers follow
the scikit-learn interface (``fit(X, y)``, ``decision_function(X)``); :func:`assess` trains
and measures one (hold-out unless resubstitution is asked for, and then labelled);
:func:`resampled_readers` makes MRMC "readers" whose variance is training-set variance, and
:func:`to_score_table` stacks them per modality into a :class:`victwin.stats.ScoreTable`.
Search (location unknown): :func:`scan_template` applies a fitted observer's ``template_`` at
every pixel of a whole image, :func:`search_marks` takes the response map's local maxima as
rated marks and :func:`localise` scores them against lesion centres (free-response scoring).

Example (VICTRE DM settings: 65 x 65 px ROIs, 5 LG channels of width 30 px)::

    import numpy as np
    from victwin import readers

    size = readers.roi_shape("calcification", modality="dm")          # (65, 65)
    rng = np.random.default_rng(1)
    absent = readers.sample_absent_centers(breast_mask, len(lesions), size_px=size,
                                           lesion_centers_index=lesions, rng=rng)
    X = np.concatenate([readers.extract_rois(image, absent, size_px=size),
                        readers.extract_rois(image, lesions, size_px=size)])
    y = np.repeat([0, 1], len(lesions))
    cho = readers.ChannelizedHotelling(
        readers.laguerre_gauss(size, n_channels=5, width_px=30.0))
    result = readers.assess(cho, X[train], y[train], X[test], y[test])
    result.dprime, result.auc, result.interval.snr_ci
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
from ._resampled import (GroupDrawError, ReaderScores, calibrated_llr, covariance_size,
                         resampled_readers, to_score_table)
from ._roi import VICTRE_PIXEL_MM, extract_rois, roi_shape, sample_absent_centers
from ._search import afroc_units, localise, scan_template, search_marks

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
    "GroupDrawError",
    "calibrated_llr",
    "covariance_size",
    "roi_shape",
    "sample_absent_centers",
    "to_score_table",
    "scan_template",
    "search_marks",
    "localise",
    "afroc_units",
]
