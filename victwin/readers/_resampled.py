"""Model-observer "readers" for MRMC: one observer retrained on resampled training sets.

Reader-to-reader variability here is **training-set variability** of the observer, not the
variability between human readers (Chen W., Gallas B.D., Yousef W.A., "Classifier
variability: accounting for training and testing", Pattern Recognition 45(7):2661-2671
(2012)); VICTRE_PIPELINE ``ModelObserver.run_readers`` builds its readers the same way but
re-splits the test set too. Here the test set is fixed and shared by all readers, so the
score table is fully crossed (readers x cases) as MRMC analyses expect. With a fixed
observer, analyse it with cases random only (FRRC) unless training variance is wanted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

_METHODS = ("bootstrap", "subsample")
#: Draws of groups tried for one reader before giving up (``resampled_readers``).
_GROUP_DRAWS = 100


class GroupDrawError(ValueError):
    """No draw of groups in :data:`_GROUP_DRAWS` held what a reader needs to train
    (``resampled_readers``' ``groups`` / ``n_features``)."""


@dataclass(frozen=True, eq=False)
class ReaderScores:
    """Score table of resampled-training "readers" on a fixed test set.

    Attributes
    ----------
    scores : ndarray, shape ``[n_readers, n_cases]``
        ``scores[r, k]`` is reader ``r``'s decision variable for test case ``k``.
    truth : ndarray of int, shape ``[n_cases]``
        0 (lesion absent) or 1 (present) per test case.
    reader_ids : tuple of str
        ``"reader-01"``, ...
    case_ids : tuple
        Test case identifiers (given, or ``0 .. n_cases-1``).
    method : str
        Resampling method (``"bootstrap"`` or ``"subsample"``).
    variance_source : str
        Always ``"training"``: reader variance is the observer's training-set variance.
    rejected_draws : int
        Resamples of groups drawn and refused before the readers' own (all readers
        together; ``resampled_readers``'s ``groups`` and ``n_features``).
    """

    scores: np.ndarray
    truth: np.ndarray
    reader_ids: tuple
    case_ids: tuple
    method: str
    variance_source: str = "training"
    rejected_draws: int = 0


def calibrated_llr(train_scores, y_train, scores):
    """``scores`` as the log-likelihood ratio of an equal-variance Gaussian model fitted to
    the observer's ``train_scores`` (truth ``y_train``): ``(m1 - m0) / s^2 (t - (m0 + m1) / 2)``
    with ``m_c`` the class means and ``s^2`` the pooled within-class variance.

    A linear observer's score ``t = w^T g`` carries an offset (``w^T`` of the mean background)
    and a scale that differ from one observer to the next, so scores of observers trained
    for different ROIs (e.g. one per nodule size class) cannot be pooled into one rating
    scale as they are; their likelihood ratios can (the ideal observer of the mixed
    population rates by likelihood ratio: Barrett & Myers, Foundations of Image Science,
    2004, ch. 13). For a Hotelling template fitted on the same training ROIs ``m1 - m0``
    equals ``s^2`` (both are ``dg^T K^-1 dg``), so the map is the shift by the midpoint.
    """
    t = np.asarray(train_scores, float)
    y = np.asarray(y_train)
    t0, t1 = t[y == 0], t[y == 1]
    if t0.size < 2 or t1.size < 2:
        raise ValueError("calibration needs at least 2 training scores of each truth")
    m0, m1 = t0.mean(), t1.mean()
    var = (((t0 - m0) ** 2).sum() + ((t1 - m1) ** 2).sum()) / (t0.size + t1.size - 2)
    if not var > 0:
        raise ValueError("calibration needs training scores that vary within a class")
    return (m1 - m0) / var * (np.asarray(scores, float) - 0.5 * (m0 + m1))


def covariance_size(observer, roi_shape):
    """The size of the covariance ``observer`` inverts when fitted on ROIs of ``roi_shape``
    (the ``n_features`` of :func:`resampled_readers`), or ``None`` when none is to be full rank.

    - :class:`ChannelizedHotelling` (and :class:`VolumetricCHO`): its channel count (a
      convolutional CHO keeps the count).
    - :class:`MultiSliceCHO`: ``"ss"`` its channel count; ``"c"`` slices x channels (one
      covariance of the concatenated slices' outputs); ``"a"`` / ``"b"`` the larger of the
      channel count and the slice count (per-slice templates, then a slice combiner).
    - :class:`NPWObserver`, :class:`NPWEObserver`: ``None`` (class means only, no covariance).
    - :class:`HotellingObserver`: ``None``: it works on pixels, many more than training ROIs,
      so its covariance is rank deficient by design (the template lies in the span of the
      training data, ``HotellingObserver``'s docstring).
    - any other observer: ``None``.
    """
    from ._observers import ChannelizedHotelling, MultiSliceCHO

    if isinstance(observer, ChannelizedHotelling):
        return int(np.shape(observer.channels)[0])
    if isinstance(observer, MultiSliceCHO):
        n_ch, nz = int(np.shape(observer.channels)[0]), int(tuple(roi_shape)[0])
        return {"ss": n_ch, "c": nz * n_ch}.get(observer.variant, max(n_ch, nz))
    return None


def _group_draw(members, y, method, fraction, rng, n_features=None):
    """Training ROI indices of one resample of whole groups and the number of draws rejected
    before it (see ``resampled_readers``)."""
    n = len(members)
    k = n if method == "bootstrap" else max(int(round(fraction * n)), 1)
    for tries in range(_GROUP_DRAWS):
        drawn = rng.choice(n, size=k, replace=(method == "bootstrap"))
        sel = np.concatenate([members[g] for g in drawn])
        if min(np.count_nonzero(y[sel] == 0), np.count_nonzero(y[sel] == 1)) < 2:
            continue
        if n_features is not None:
            # duplicates add no direction: the pooled covariance of the two classes' centred
            # ROIs has rank at most d_0 + d_1 - 2 (d_c distinct ROIs of truth c)
            distinct = np.unique(sel)
            if distinct.size - 2 < n_features:
                continue
        return sel, tries
    need = "2 training ROIs of each truth" + (
        "" if n_features is None else f" and {n_features + 2} distinct ones in all "
                                      f"(a {n_features}-feature covariance of full rank)")
    raise GroupDrawError(f"groups: none of {_GROUP_DRAWS} draws in a row held {need}")


def resampled_readers(observer, X_train, y_train, X_test, y_test, *, n_readers=10,
                      method="bootstrap", fraction=0.7, rng, case_ids=None, progress=False,
                      calibrate=False, groups=None, n_features=None):
    """Build ``n_readers`` readers by retraining a copy of ``observer`` on resampled
    training sets, and score one fixed test set with each.

    Resampling is stratified by class so each reader sees the same numbers of absent and
    present training ROIs: ``"bootstrap"`` draws ``n_c`` of the ``n_c`` class-``c`` training
    ROIs with replacement; ``"subsample"`` draws ``round(fraction * n_c)`` without
    replacement. Test ROIs never enter training.

    Parameters
    ----------
    observer : observer object
        Unfitted template; it is copied for each reader with ``type(o)(**o.get_params())``
        and is itself left untouched.
    X_train, y_train : arrays ``[n, ...]`` and ``[n]``
        Training pool and its truth (0/1).
    X_test, y_test : arrays ``[k, ...]`` and ``[k]``
        Fixed test set and its truth.
    n_readers : int
        Number of readers R.
    method : {"bootstrap", "subsample"}
    fraction : float
        Fraction of each class kept by ``"subsample"`` (0 < f <= 1).
    rng : numpy.random.Generator
        Source of every draw.
    case_ids : sequence, optional
        Identifiers of the test cases.
    progress : bool
        Show a tqdm progress bar.
    calibrate : bool
        Give each reader's test scores as :func:`calibrated_llr` of its own training scores
        (the ROIs it was fitted on), so readers of different observers share one scale.
    groups : sequence, optional
        A label per training ROI (e.g. its twin, or its matched pair). When given, the
        resampling unit is the group, not the ROI: ``"bootstrap"`` draws as many groups as
        there are, with replacement, ``"subsample"`` ``round(fraction * n_groups)`` without,
        and every ROI of a drawn group enters (not stratified by class; a draw with fewer
        than 2 ROIs of a class is drawn again, up to 100 draws in all per reader, else
        ``ValueError``). For matched pairs (a
        lesion ROI and the lesion-absent ROI at the same place in the same anatomy) this
        keeps each pair together, so the shared anatomy cancels in a class-mean difference
        as it does in the full training set; resampling ROIs class by class draws a pair's
        two ROIs independently and leaves ``(k_1 - k_0) / n`` of its anatomy in the
        difference (k_c the times each was drawn). Default ``None``: ROIs, by class.
    n_features : int, optional
        With ``groups``: the dimension of the covariance the observer estimates (a CHO's
        channel count). A draw is then also redrawn (same bound) unless its distinct
        training ROIs can give a full-rank pooled covariance, ``d_0 + d_1 - 2 >=
        n_features`` (``d_c`` the distinct ROIs of truth ``c``; each class's centred ROIs
        span at most ``d_c - 1`` directions, and a bootstrap repeats ROIs). Without it a
        CHO trained on such a draw inverts a singular covariance by pseudo-inverse,
        silently. ``ReaderScores.rejected_draws`` counts the draws refused.

    Returns
    -------
    ReaderScores
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if int(n_readers) != n_readers or n_readers < 1:
        raise ValueError(f"n_readers must be a positive integer, got {n_readers!r}")
    if not 0.0 < float(fraction) <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    ytr = np.asarray(y_train)
    yte = np.asarray(y_test)
    if not (np.all(np.isin(ytr, (0, 1))) and np.all(np.isin(yte, (0, 1)))):
        raise ValueError("y_train and y_test must hold only 0 (absent) and 1 (present)")
    Xtr = np.asarray(X_train)
    Xte = np.asarray(X_test)
    if Xtr.shape[0] != ytr.shape[0] or Xte.shape[0] != yte.shape[0]:
        raise ValueError(f"X and y lengths differ: train {Xtr.shape[0]} vs {ytr.shape[0]}, "
                         f"test {Xte.shape[0]} vs {yte.shape[0]}")
    if case_ids is None:
        case_ids = tuple(range(Xte.shape[0]))
    else:
        case_ids = tuple(case_ids)
        if len(case_ids) != Xte.shape[0]:
            raise ValueError(f"case_ids must have {Xte.shape[0]} entries, got {len(case_ids)}")
    idx_by_class = [np.flatnonzero(ytr == c) for c in (0, 1)]
    if groups is not None:
        glab = np.asarray(groups)
        if glab.shape != (Xtr.shape[0],):
            raise ValueError(f"groups must have one label per training ROI ({Xtr.shape[0]}), "
                             f"got shape {glab.shape}")
        _, ginv = np.unique(glab, return_inverse=True)
        members = [np.flatnonzero(ginv == g) for g in range(ginv.max() + 1)]
    elif n_features is not None:
        raise ValueError("n_features applies only with groups")
    params = observer.get_params()
    rejected = 0
    scores = np.empty((int(n_readers), Xte.shape[0]))
    for r in tqdm(range(int(n_readers)), desc="readers", disable=not progress):
        picks = []
        if groups is not None:
            sel, tries = _group_draw(members, ytr, method, fraction, rng, n_features)
            rejected += tries
        for idx in (idx_by_class if groups is None else ()):
            if method == "bootstrap":
                picks.append(rng.choice(idx, size=idx.size, replace=True))
            else:
                k = max(int(round(fraction * idx.size)), 2)
                picks.append(rng.choice(idx, size=k, replace=False))
        if groups is None:
            sel = np.concatenate(picks)
        reader = type(observer)(**params)
        reader.fit(Xtr[sel], ytr[sel])
        scores[r] = reader.decision_function(Xte)
        if calibrate:
            scores[r] = calibrated_llr(reader.decision_function(Xtr[sel]), ytr[sel], scores[r])
    ids = tuple(f"reader-{r + 1:02d}" for r in range(int(n_readers)))
    return ReaderScores(scores, yte.astype(np.int64), ids, case_ids, method,
                        rejected_draws=rejected)


def to_score_table(readers_by_modality):
    """Stack reader score tables of several modalities into a :class:`victwin.stats.ScoreTable`.

    Parameters
    ----------
    readers_by_modality : mapping of str to ReaderScores
        Modality label -> readers of that modality, in analysis order (differences are
        first minus second). All must share the test cases (same ``case_ids`` and
        ``truth``) and the reader labels.

    Returns
    -------
    victwin.stats.ScoreTable
        Fully crossed table, ``scores[modality, reader, case]``.
    """
    from victwin.stats import ScoreTable

    items = list(dict(readers_by_modality).items())
    if not items:
        raise ValueError("readers_by_modality must name at least one modality, got none")
    name0, first = items[0]
    for name, rs in items:
        if not isinstance(rs, ReaderScores):
            raise TypeError(f"readers_by_modality[{name!r}] must be ReaderScores, "
                            f"got {type(rs).__name__}")
        if rs.case_ids != first.case_ids or not np.array_equal(rs.truth, first.truth):
            raise ValueError(f"modality {name!r} has other test cases than {name0!r}")
        if rs.reader_ids != first.reader_ids:
            raise ValueError(f"modality {name!r} has readers {rs.reader_ids}, "
                             f"{name0!r} has {first.reader_ids}")
    return ScoreTable(cases=tuple(str(c) for c in first.case_ids), truth=first.truth,
                      modalities=tuple(str(n) for n, _ in items), readers=first.reader_ids,
                      scores=np.stack([rs.scores for _, rs in items]))
