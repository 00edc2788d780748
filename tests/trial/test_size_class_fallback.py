"""The size-class readers of a chest trial with several nodules per twin (issue 19): what a
class too rare to train alone reads, and the draws of twins each reader trains on.

Checked against: markers put in the stored ROIs where placement lets another nodule lie
(outside the site's own-class ROI, inside a larger class's), which no ROI given to a reader
may hold; the rank of each fitted CHO's channel covariance (numpy's ``matrix_rank``); the
sha256 of the scores of two analyses of one store.
"""

import hashlib

import numpy as np
import pytest

from victwin.trial import analyse_run, spec_from_dict
from victwin.trial._nodule_classes import class_roi_px

from ._chest_store import two_site_store

PIXEL_MM = 0.5
N_PX = 121                  # stored ROI side: holds the >= 15 mm class's crop (111 px at 0.5)
MARK = 1.0e6                # a neighbour's stand-in: no read ROI may hold it
#: offset (px) of the neighbour marker of a site of each size: outside its own-class crop
#: (half sides 11 and 27 px at 0.5 mm), inside the >= 15 mm class's (55 px)
MARK_OFFSET = {5.0: 20, 10.0: 40}


def _spec(n, channels=3, seed=9):
    return spec_from_dict({
        "trial": {"name": "fallback", "seed": seed},
        "cohort": {"size": n, "sites": {"nodule": 2}},
        "modality": [{"name": "A", "system": "chest-pa"},
                     {"name": "B", "system": "chest-pa", "dose_scale": 0.5}],
        "readers": {"observer": "cho", "per_size_class": True, "roi_mm": 60.0,
                    "n_readers": 5, "channels": {"kind": "laguerre-gauss", "count": channels}},
        "analysis": {"subgroups": ["nodule_size"]}})


def _store(path, spec, sizes, marks=True):
    """Chest cases with 2 nodule sites each (``sizes[k]``) and their lesion-absent pairs:
    noise ROIs with the nodule's disc; with ``marks`` each nodule ROI of a 5 or 10 mm nodule
    also holds a marker where a neighbour could lie (``MARK_OFFSET``)."""
    def mark(img, site):
        off = MARK_OFFSET.get(site["lesion_size_mm"])
        if off is not None:
            c = N_PX // 2
            img[c - 1:c + 2, c + off - 1:c + off + 2] = MARK

    return two_site_store(path, spec, sizes, [(0.2, 0.2)] * len(sizes), n_px=N_PX,
                          pixel_mm=PIXEL_MM, amps={"A": 0.3, "B": 0.2}, spacing_mm=30.0,
                          roi_mm=60.0, mark=mark if marks else None)


@pytest.fixture
def seen(monkeypatch):
    """Every ROI stack a CHO is fitted on or scores: its largest value, and each fit's
    channel covariance rank and channel count."""
    from victwin.readers import ChannelizedHotelling

    out = {"peak": [], "rank": []}
    fit, score = ChannelizedHotelling.fit, ChannelizedHotelling.decision_function

    def spy_fit(self, X, y):
        out["peak"].append(float(np.max(np.abs(X))))
        fitted = fit(self, X, y)
        out["rank"].append((np.linalg.matrix_rank(fitted.channel_cov_),
                            fitted.channel_cov_.shape[0]))
        return fitted

    def spy_score(self, X):
        out["peak"].append(float(np.max(np.abs(X))))
        return score(self, X)

    monkeypatch.setattr(ChannelizedHotelling, "fit", spy_fit)
    monkeypatch.setattr(ChannelizedHotelling, "decision_function", spy_score)
    return out


def test_a_borrowing_class_reads_no_neighbour(tmp_path, seen):
    """Each twin: a 5 mm nodule and a 10 mm one, or (twins 0-3) a 20 mm one. The >= 15 mm
    class is too rare to train alone and borrows the 8-15 mm class's ROIs; its crop is then
    the 8-15 mm class's (55 px), inside which placement keeps every ROI free of other
    nodules, so no ROI a reader fits or scores holds a marker. (Cropping the borrowed ROIs
    at its own 111 px, as before, put the markers of both other classes in its training
    set.)"""
    n = 24
    sizes = [(5.0, 20.0 if k < 4 else 10.0) for k in range(n)]
    spec = _spec(n)
    store = _store(tmp_path / "run", spec, sizes)
    res = analyse_run(store, spec)
    store.close()
    assert seen["peak"] and max(seen["peak"]) < 100.0      # noise + disc: |x| < ~10
    info = res["size_class_readers"]
    assert info[">=15 mm"]["trained_on"] == "nearest size classes"
    assert info[">=15 mm"]["training_classes"] == ["8-15 mm", ">=15 mm"]
    assert info[">=15 mm"]["roi_px"] == class_roi_px("8-15 mm", PIXEL_MM) == 55
    assert info["8-15 mm"]["trained_on"] == info["<6 mm"]["trained_on"] == "this class"
    assert info["<6 mm"]["roi_px"] == 23 and info["8-15 mm"]["roi_px"] == 55


def test_a_borrowing_class_pools_smaller_classes_last(tmp_path, seen):
    """Without 8-15 mm nodules the >= 15 mm class borrows the next smaller class with
    training ROIs (< 6 mm) and reads at its 23 px crop; again no marker is read."""
    n = 24
    sizes = [(5.0, 20.0) if k < 4 else (5.0, 5.0) for k in range(n)]
    spec = _spec(n)
    store = _store(tmp_path / "run", spec, sizes)
    res = analyse_run(store, spec)
    store.close()
    assert max(seen["peak"]) < 100.0
    info = res["size_class_readers"]
    assert info[">=15 mm"]["training_classes"] == ["<6 mm", ">=15 mm"]
    assert info[">=15 mm"]["roi_px"] == 23


def test_every_reader_draw_spans_its_channels_and_is_seeded(tmp_path, seen):
    """A class held by few twins (the 20 mm nodules of twins 0-11: 6 training twins;
    5 channels): a bootstrap of its twins often holds too few distinct ROIs for a 5 x 5
    covariance (before, such draws were inverted by pseudo-inverse). Every CHO fitted is
    full rank, the refused draws are counted in results.json, and the same store analysed
    twice gives the same scores (sha256)."""
    n = 40
    sizes = [(5.0, 20.0 if k < 12 else 10.0) for k in range(n)]
    spec = _spec(n, channels=5)
    store = _store(tmp_path / "run", spec, sizes, marks=False)
    digests = []
    for _ in range(2):
        res = analyse_run(store, spec)
        digests.append(hashlib.sha256(
            (tmp_path / "run" / "analysis" / "scores.imrmc").read_bytes()).hexdigest())
    store.close()
    assert digests[0] == digests[1]
    assert seen["rank"] and all(r == c == 5 for r, c in seen["rank"])
    big = res["size_class_readers"][">=15 mm"]
    assert big["trained_on"] == "this class" and big["full_rank_draws"] is True
    assert big["n_train_twins"] == 6
    assert set(big["rejected_draws"]) == {"A", "B"}
    assert sum(big["rejected_draws"].values()) > 0
