"""Per-cell AUC building blocks shared by the MRMC covariance estimators.

A *cell* is one (modality, reader) pair. For every cell this module computes the empirical
AUC, its placement values, leave-one-case-out AUCs and, on request, the product sums of the
Mann-Whitney kernels between cells that the unbiased (U-statistic) estimators need.
Not-fully-crossed designs are handled: a cell uses only the cases its reader read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._table import ScoreTable


@dataclass
class Cells:
    """Per-cell quantities; cells are ordered modality-major: c = m * R + r."""

    auc: np.ndarray        # (C,)
    n0: np.ndarray         # (C,) normals read
    n1: np.ndarray         # (C,) abnormals read
    v10: np.ndarray        # (C, N1) placement of each abnormal case (0 where not read)
    v01: np.ndarray        # (C, N0) placement of each normal case (0 where not read)
    read0: np.ndarray      # (C, N0) bool
    read1: np.ndarray      # (C, N1) bool
    normal_idx: np.ndarray     # (N0,) case indices of normals
    abnormal_idx: np.ndarray   # (N1,) case indices of abnormals
    n_cases: int


def cell_placements(table: ScoreTable) -> Cells:
    """AUC and placement values of every (modality, reader) cell, O(N log N) per cell."""
    M, R, N = table.scores.shape
    s = table.scores.reshape(M * R, N)
    normal_idx = np.flatnonzero(table.truth == 0)
    abnormal_idx = np.flatnonzero(table.truth == 1)
    x0 = s[:, normal_idx]
    x1 = s[:, abnormal_idx]
    read0 = ~np.isnan(x0)
    read1 = ~np.isnan(x1)
    n0 = read0.sum(axis=1)
    n1 = read1.sum(axis=1)
    C = M * R
    empty = np.flatnonzero((n0 == 0) | (n1 == 0))
    if empty.size:
        c = int(empty[0])
        raise ValueError(f"reader {table.readers[c % R]!r} in modality {table.modalities[c // R]!r} has "
                         f"{n0[c]} normal and {n1[c]} abnormal ratings; each reader needs both classes in "
                         f"each modality")
    v10 = np.zeros(x1.shape)
    v01 = np.zeros(x0.shape)
    if read0.all() and read1.all():
        # fully crossed: sort every row at once, then one searchsorted per cell
        s0 = np.sort(x0, axis=1)
        s1 = np.sort(x1, axis=1)
        for c in range(C):
            a0, a1 = s0[c], s1[c]
            v10[c] = np.searchsorted(a0, x1[c], "left") + np.searchsorted(a0, x1[c], "right")
            v01[c] = 2 * n1[c] - (np.searchsorted(a1, x0[c], "left") + np.searchsorted(a1, x0[c], "right"))
        v10 /= 2.0 * n0[:, None]
        v01 /= 2.0 * n1[:, None]
    else:
        for c in range(C):
            a0 = np.sort(x0[c, read0[c]])
            a1 = np.sort(x1[c, read1[c]])
            y1 = x1[c, read1[c]]
            y0 = x0[c, read0[c]]
            v10[c, read1[c]] = (np.searchsorted(a0, y1, "left") + np.searchsorted(a0, y1, "right")) / (2.0 * n0[c])
            v01[c, read0[c]] = 1.0 - (np.searchsorted(a1, y0, "left")
                                      + np.searchsorted(a1, y0, "right")) / (2.0 * n1[c])
    auc = v10.sum(axis=1) / n1
    return Cells(auc, n0, n1, v10, v01, read0, read1, normal_idx, abnormal_idx, N)


def jackknife_aucs(cells: Cells) -> np.ndarray:
    """Leave-one-case-out AUCs, shape (C, N) in the table's case order.

    Deleting abnormal j gives (n1 A - v10_j) / (n1 - 1); deleting normal i gives
    (n0 A - v01_i) / (n0 - 1); deleting a case the cell's reader did not read leaves A.
    """
    A = cells.auc[:, None]
    n0 = cells.n0[:, None].astype(float)
    n1 = cells.n1[:, None].astype(float)
    out = np.empty((A.shape[0], cells.n_cases))
    with np.errstate(divide="ignore", invalid="ignore"):
        j1 = np.where(cells.read1, (n1 * A - cells.v10) / (n1 - 1), A)
        j0 = np.where(cells.read0, (n0 * A - cells.v01) / (n0 - 1), A)
    if ((cells.n0 < 2) | (cells.n1 < 2)).any():
        raise ValueError("the jackknife needs at least 2 normal and 2 abnormal ratings per reader and modality")
    out[:, cells.abnormal_idx] = j1
    out[:, cells.normal_idx] = j0
    return out


def kernel_products(table: ScoreTable, cells: Cells, *, max_elements: int = 4_000_000) -> np.ndarray:
    """G[a, b] = sum over (normal i, abnormal j) of psi_a(i, j) psi_b(i, j) (0 where unread).

    psi is the Mann-Whitney kernel (1 if the abnormal is rated higher, 1/2 on a tie). The
    sum is built in blocks of normals so memory stays near ``max_elements`` floats.
    """
    M, R, N = table.scores.shape
    s = table.scores.reshape(M * R, N)
    x0 = s[:, cells.normal_idx]
    x1 = s[:, cells.abnormal_idx]
    C, N0 = x0.shape
    N1 = x1.shape[1]
    block = max(1, int(max_elements // max(1, C * N1)))
    G = np.zeros((C, C))
    for start in range(0, N0, block):
        xb = x0[:, start:start + block, None]
        # psi = 1 if abnormal > normal, 1/2 on a tie, 0 otherwise or where unread (NaN compares False)
        k = (x1[:, None, :] > xb).astype(np.float64)
        k += 0.5 * (x1[:, None, :] == xb)
        k = k.reshape(C, -1)
        G += k @ k.T
    return G


def shared_counts(cells: Cells):
    """Numbers of normals and abnormals read in both cells a and b, shapes (C, C)."""
    r0 = cells.read0.astype(float)
    r1 = cells.read1.astype(float)
    return r0 @ r0.T, r1 @ r1.T


def unbiased_pair_sums(table: ScoreTable, cells: Cells):
    """Sums and counts of kernel products by case pattern, for every pair of cells.

    Returns ``S`` and ``cnt``, each a list of four (C, C) arrays for the patterns
    (same normal, same abnormal), (same normal, different abnormal),
    (different normal, same abnormal), (different normal, different abnormal).
    """
    Gij = kernel_products(table, cells)
    rows = cells.v01 * cells.n1[:, None]   # row sums of the kernel (per normal)
    cols = cells.v10 * cells.n0[:, None]   # column sums (per abnormal)
    Gi = rows @ rows.T
    Gj = cols @ cols.T
    T = cells.auc * cells.n0 * cells.n1
    S = [Gij, Gi - Gij, Gj - Gij, np.outer(T, T) - Gi - Gj + Gij]
    n0ab, n1ab = shared_counts(cells)
    n0, n1 = cells.n0.astype(float), cells.n1.astype(float)
    p0 = np.outer(n0, n0) - n0ab   # pairs of different normals
    p1 = np.outer(n1, n1) - n1ab
    cnt = [n0ab * n1ab, n0ab * p1, p0 * n1ab, p0 * p1]
    return S, cnt
