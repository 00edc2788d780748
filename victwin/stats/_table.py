"""The score table: one rating per (modality, reader, case), with the truth of each case.

This is the object every analysis in :mod:`victwin.stats` reads. It is built from plain
arrays (what the trial engine has), or read from an iMRMC list file (:func:`read_imrmc`).
Missing ratings are ``NaN``; they define split-plot or other not-fully-crossed designs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ScoreTable"]


def _labels(values, field: str) -> tuple[str, ...]:
    out = tuple(str(v) for v in values)
    if len(set(out)) != len(out):
        seen = set()
        dup = next(v for v in out if v in seen or seen.add(v))
        raise ValueError(f"{field} must be unique; {dup!r} appears more than once")
    return out


@dataclass(frozen=True, eq=False)
class ScoreTable:
    """Ratings of a reader study.

    Parameters
    ----------
    cases : sequence of str, length N
        Case identifiers (strings: ``"1"`` and ``"01"`` are different cases).
    truth : array of int, shape (N,)
        0 for a signal-absent (normal) case, 1 for a signal-present (abnormal) case.
    modalities : sequence of str, length M
        Modality (treatment) labels, in analysis order; differences are first minus second.
    readers : sequence of str, length R
        Reader labels.
    scores : float array, shape (M, R, N)
        ``scores[m, r, k]`` is reader r's rating of case k in modality m (higher = more
        suspicious), ``NaN`` where the reader did not read the case in that modality.

    Notes
    -----
    The table is validated when built: the truth is 0/1, the shapes agree, the labels are
    unique, and the ratings are finite where present.
    """

    cases: tuple[str, ...]
    truth: np.ndarray
    modalities: tuple[str, ...]
    readers: tuple[str, ...]
    scores: np.ndarray

    def __post_init__(self):
        cases = _labels(self.cases, "cases")
        modalities = _labels(self.modalities, "modalities")
        readers = _labels(self.readers, "readers")
        truth = np.asarray(self.truth)
        if truth.shape != (len(cases),):
            raise ValueError(f"truth must have shape ({len(cases)},) (one per case); got {truth.shape}")
        bad = ~np.isin(truth, (0, 1))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(f"truth must be 0 or 1; case {cases[k]!r} has {truth[k]!r}")
        scores = np.asarray(self.scores, dtype=float)
        shape = (len(modalities), len(readers), len(cases))
        if scores.shape != shape:
            raise ValueError(f"scores must have shape (modalities, readers, cases) = {shape}; got {scores.shape}")
        if np.isinf(scores).any():
            raise ValueError("scores must be finite (NaN marks a missing rating); got an infinite value")
        truth = truth.astype(np.int8)
        truth.setflags(write=False)
        scores = scores.copy()
        scores.setflags(write=False)
        object.__setattr__(self, "cases", cases)
        object.__setattr__(self, "modalities", modalities)
        object.__setattr__(self, "readers", readers)
        object.__setattr__(self, "truth", truth)
        object.__setattr__(self, "scores", scores)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(cls, case_id, truth, modality, reader, score, *, modality_order=None) -> "ScoreTable":
        """Build a table from one record per rating (long format).

        Parameters
        ----------
        case_id, modality, reader : array-like, shape (n_records,)
            Labels of each rating (converted to ``str``).
        truth : array-like of 0/1, shape (n_records,)
            Truth of the record's case; must be the same on every record of a case.
        score : array-like of float, shape (n_records,)
            The rating.
        modality_order : sequence of str, optional
            Order of the modalities (default: order of first appearance).

        Returns
        -------
        ScoreTable
        """
        case_id = np.asarray(case_id).astype(str)
        modality = np.asarray(modality).astype(str)
        reader = np.asarray(reader).astype(str)
        truth = np.asarray(truth)
        score = np.asarray(score, dtype=float)
        n = case_id.shape[0]
        for name, arr in (("truth", truth), ("modality", modality), ("reader", reader), ("score", score)):
            if arr.shape != (n,):
                raise ValueError(f"{name} must have shape ({n},) like case_id; got {arr.shape}")
        if n == 0:
            raise ValueError("from_arrays needs at least one record; got 0")
        if not np.isfinite(score).all():
            k = int(np.flatnonzero(~np.isfinite(score))[0])
            raise ValueError(f"score must be finite; record {k} (case {str(case_id[k])!r}) has {float(score[k])!r}")

        def first_order(a):
            u, idx, inv = np.unique(a, return_index=True, return_inverse=True)
            order = np.argsort(idx, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(order.size)
            return u[order], rank[inv]

        cases, ci = first_order(case_id)
        if modality_order is None:
            mods, mi = first_order(modality)
        else:
            mods = np.asarray([str(m) for m in modality_order])
            lookup = {m: i for i, m in enumerate(mods)}
            unknown = set(modality) - set(lookup)
            if unknown:
                raise ValueError(f"modality_order lacks modalities {sorted(unknown)}; got {list(mods)}")
            mi = np.array([lookup[m] for m in modality])
        rdrs, ri = first_order(reader)
        case_truth = np.full(cases.size, -1, dtype=np.int64)
        case_truth[ci] = truth
        if not (case_truth[ci] == truth).all():
            k = int(np.flatnonzero(case_truth[ci] != truth)[0])
            raise ValueError(f"truth must be the same on every record of a case; case {str(case_id[k])!r} has both 0 and 1")
        flat = (mi * rdrs.size + ri) * cases.size + ci
        if np.unique(flat).size != n:
            _, first, counts = np.unique(flat, return_index=True, return_counts=True)
            k = int(first[np.flatnonzero(counts > 1)[0]])
            raise ValueError(f"each (modality, reader, case) may be rated once; "
                             f"({str(modality[k])!r}, {str(reader[k])!r}, {str(case_id[k])!r}) is rated more than once")
        scores = np.full((mods.size, rdrs.size, cases.size), np.nan)
        scores.reshape(-1)[flat] = score
        return cls(tuple(cases), case_truth, tuple(mods), tuple(rdrs), scores)

    # ------------------------------------------------------------------ views
    @property
    def n_cases(self) -> int:
        """Number of cases N."""
        return len(self.cases)

    @property
    def n_normal(self) -> int:
        """Number of signal-absent cases."""
        return int((self.truth == 0).sum())

    @property
    def n_abnormal(self) -> int:
        """Number of signal-present cases."""
        return int((self.truth == 1).sum())

    @property
    def read(self) -> np.ndarray:
        """Boolean array (M, R, N): True where a rating exists."""
        return ~np.isnan(self.scores)

    @property
    def fully_crossed(self) -> bool:
        """True when every reader rated every case in every modality."""
        return bool(self.read.all())

    def to_records(self):
        """Long format: arrays ``(case_id, truth, modality, reader, score)`` of the present ratings."""
        m, r, k = np.nonzero(self.read)
        return (np.asarray(self.cases)[k], self.truth[k], np.asarray(self.modalities)[m],
                np.asarray(self.readers)[r], self.scores[m, r, k])

    def subset(self, *, cases=None, modalities=None, readers=None) -> "ScoreTable":
        """A table restricted to some cases, modalities and/or readers (labels, in the order given)."""
        def pick(labels, want, field):
            if want is None:
                return np.arange(len(labels))
            lookup = {v: i for i, v in enumerate(labels)}
            want = [str(w) for w in want]
            missing = [w for w in want if w not in lookup]
            if missing:
                raise ValueError(f"{field} {missing[:3]} not in the table; it has {list(labels)[:10]}")
            return np.array([lookup[w] for w in want], dtype=int)

        ki = pick(self.cases, cases, "cases")
        mi = pick(self.modalities, modalities, "modalities")
        ri = pick(self.readers, readers, "readers")
        return ScoreTable(tuple(self.cases[i] for i in ki), self.truth[ki],
                          tuple(self.modalities[i] for i in mi), tuple(self.readers[i] for i in ri),
                          self.scores[np.ix_(mi, ri, ki)])

    def __repr__(self) -> str:
        return (f"ScoreTable(cases={self.n_cases} ({self.n_normal} normal, {self.n_abnormal} abnormal), "
                f"modalities={list(self.modalities)}, readers={list(self.readers)}, "
                f"fully_crossed={self.fully_crossed})")
