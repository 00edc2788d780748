"""Subgroup analysis of an MRMC study: per-subgroup AUC differences, a test of whether the
difference changes between subgroups, multiplicity correction, a table and a forest plot.

Within a subgroup (breast density, lesion type, breast size, any case attribute) the MRMC
analysis is rerun on that subgroup's cases. Between subgroups the readers are shared but the
cases are disjoint: cases are nested within subgroup. The between-subgroup test treats the
per-reader AUC difference (first modality minus second) in each subgroup as the figure of
merit of an OR analysis whose "treatment" is the subgroup; its covariance matrix comes from
the same case-level estimator (jackknife, DeLong or unbiased) over all cases, so
covariances between subgroups are zero by construction (Obuchowski-Rockette with cases
nested in treatment; MRMCaov's ``case3`` coding).

References
----------
Obuchowski NA (1995). Multireader receiver operating characteristic studies: a comparison of
study designs. Acad Radiol 2:709-716 (nested designs).
Holm S (1979). A simple sequentially rejective multiple test procedure. Scand J Stat 6:65-70.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._moments import cell_placements
from ._mrmc import _cov_from_cells, _cov_method, _jsonable, mrmc, or_analysis
from ._table import ScoreTable

__all__ = ["subgroup_analysis", "SubgroupResult", "adjust_pvalues"]


def adjust_pvalues(p, method="holm"):
    """Multiplicity-adjusted p-values.

    Parameters
    ----------
    p : float array, shape (n,)
    method : {"holm", "bonferroni", "none"}

    Returns
    -------
    float array, shape (n,)
        Adjusted p-values, capped at 1 (Holm's are made monotone in the sorted order).
    """
    p = np.asarray(p, dtype=float)
    n = p.size
    if method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(p * n, 1.0)
    if method == "holm":
        order = np.argsort(p, kind="stable")
        adj = np.maximum.accumulate((n - np.arange(n)) * p[order])
        out = np.empty(n)
        out[order] = np.minimum(adj, 1.0)
        return out
    raise ValueError(f"correction must be 'holm', 'bonferroni' or 'none'; got {method!r}")


@dataclass
class SubgroupResult:
    """Result of :func:`subgroup_analysis`.

    ``rows``: one dict per subgroup (``subgroup``, ``n_normal``, ``n_abnormal``, ``auc``
    per modality, ``difference``, ``se``, ``df``, ``p``, ``p_adjusted``, ``ci``,
    ``ci_simultaneous`` (Bonferroni, alpha / number of subgroups)); ``overall`` the same for
    all cases; ``interaction`` the between-subgroup test (``statistic`` F, ``df1``, ``ddf``,
    ``p``) of equal differences across subgroups.
    """

    modalities: tuple
    rows: list
    overall: dict
    interaction: dict
    correction: str
    alpha: float
    cov_method: str

    def to_dict(self) -> dict:
        return _jsonable({"modalities": list(self.modalities), "correction": self.correction,
                          "alpha": self.alpha, "cov_method": self.cov_method, "subgroups": self.rows,
                          "overall": self.overall, "interaction": self.interaction})

    def table(self) -> str:
        """Plain-text table of the subgroup differences."""
        a, b = self.modalities[:2]
        head = (f"{'subgroup':<16}{'N0':>6}{'N1':>6}{'AUC ' + a:>12}{'AUC ' + b:>12}{'diff':>11}{'SE':>10}"
                f"{'CI':>24}{'p':>10}{'p adj':>10}")
        lines = [f"AUC difference {a} - {b} by subgroup (RRRC, {self.cov_method} covariances, "
                 f"{self.correction} correction)", head]
        for r in self.rows + [dict(self.overall, subgroup="all", p_adjusted=float("nan"))]:
            ci = f"({r['ci'][0]:.4f}, {r['ci'][1]:.4f})"
            lines.append(f"{str(r['subgroup']):<16}{r['n_normal']:>6}{r['n_abnormal']:>6}"
                         f"{r['auc'][a]:>12.4f}{r['auc'][b]:>12.4f}{r['difference']:>11.4f}{r['se']:>10.4f}"
                         f"{ci:>24}{r['p']:>10.4g}{r['p_adjusted']:>10.4g}")
        it = self.interaction
        lines.append(f"between subgroups (cases nested in subgroup): F = {it['statistic']:.4f} "
                     f"on ({it['df1']}, {it['ddf']:.2f}) df, p = {it['p']:.4g}")
        return "\n".join(lines)

    def forest_plot(self, path, *, title=None, simultaneous=False) -> None:
        """Write a forest plot of the AUC differences with CIs to a PNG file.

        Parameters
        ----------
        path : str or os.PathLike
            Output ``.png``.
        title : str, optional
        simultaneous : bool
            Draw the Bonferroni simultaneous intervals instead of the per-subgroup ones.
        """
        from matplotlib.figure import Figure  # no pyplot: no global backend state

        rows = self.rows + [dict(self.overall, subgroup="all cases")]
        key = "ci_simultaneous" if simultaneous else "ci"
        fig = Figure(figsize=(6.5, 0.45 * len(rows) + 1.4))
        ax = fig.add_subplot(1, 1, 1)
        y = np.arange(len(rows))[::-1]
        for yi, r in zip(y, rows):
            ci = r.get(key, r["ci"])
            overall = r is rows[-1]
            ax.plot(ci, [yi, yi], color="k", lw=1.5)
            ax.plot([r["difference"]], [yi], marker="D" if overall else "s", color="k",
                    ms=7 if overall else 6)
        ax.axvline(0.0, color="0.5", ls="--", lw=1)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{r['subgroup']} (n={r['n_normal'] + r['n_abnormal']})" for r in rows])
        a, b = self.modalities[:2]
        ax.set_xlabel(f"AUC difference, {a} - {b} ({int(round(100 * (1 - self.alpha)))}% CI"
                      f"{', simultaneous' if simultaneous else ''})")
        it = self.interaction
        ax.set_title(title or f"Subgroups: between-subgroup p = {it['p']:.3g}", fontsize=10)
        fig.tight_layout()
        fig.savefig(path, dpi=120, format="png")


def _row(res, data, label, alpha, n_groups):
    d = next(iter(res.rrrc["differences"].values()))
    from scipy import stats as _st

    q = _st.t.ppf(1 - alpha / (2 * n_groups), d["df"]) if np.isfinite(d["df"]) else _st.norm.ppf(
        1 - alpha / (2 * n_groups))
    return {"subgroup": label, "n_normal": data.n_normal, "n_abnormal": data.n_abnormal,
            "auc": {m: float(v) for m, v in zip(res.modalities, res.mean_auc)},
            "difference": d["estimate"], "se": d["se"], "df": d["df"], "p": d["p"], "ci": d["ci"],
            "ci_simultaneous": (d["estimate"] - q * d["se"], d["estimate"] + q * d["se"])}


def subgroup_analysis(data: ScoreTable, groups, *, modalities=None, cov="jackknife", alpha=0.05,
                      correction="holm") -> SubgroupResult:
    """MRMC analysis within subgroups of cases and a test of equal differences between them.

    Parameters
    ----------
    data : ScoreTable
    groups : mapping case id -> label, or array of labels aligned with ``data.cases``
        The case attribute defining the subgroups (e.g. density class, lesion type).
    modalities : pair of str, optional
        The two modalities to compare (default: the first two); difference = first - second.
    cov : {"jackknife", "delong", "unbiased"}
    alpha : float
    correction : {"holm", "bonferroni", "none"}
        Multiplicity correction of the per-subgroup p-values.

    Returns
    -------
    SubgroupResult
    """
    if not isinstance(data, ScoreTable):
        raise TypeError(f"data must be a ScoreTable; got {type(data).__name__}")
    method = _cov_method(cov)
    if correction not in ("holm", "bonferroni", "none"):
        raise ValueError(f"correction must be 'holm', 'bonferroni' or 'none'; got {correction!r}")
    if isinstance(groups, dict):
        missing = [c for c in data.cases if c not in groups]
        if missing:
            raise ValueError(f"groups has no label for case {missing[0]!r} ({len(missing)} cases missing)")
        labels = np.array([str(groups[c]) for c in data.cases])
    else:
        labels = np.asarray(groups).astype(str)
        if labels.shape != (data.n_cases,):
            raise ValueError(f"groups must have one label per case, shape ({data.n_cases},); got {labels.shape}")
    mods = list(data.modalities[:2] if modalities is None else [str(m) for m in modalities])
    if len(mods) != 2:
        raise ValueError(f"modalities must name two modalities; got {mods}")
    data = data.subset(modalities=mods)
    glabels = list(dict.fromkeys(labels.tolist()))
    if len(glabels) < 2:
        raise ValueError(f"groups must define at least 2 subgroups; got {glabels}")
    rows = []
    for g in glabels:
        sub = data.subset(cases=[c for c, lab in zip(data.cases, labels) if lab == g])
        if sub.n_normal < 2 or sub.n_abnormal < 2:
            raise ValueError(f"subgroup {g!r} has {sub.n_normal} normal and {sub.n_abnormal} abnormal cases; "
                             f"each subgroup needs at least 2 of each")
        rows.append(_row(mrmc(sub, method.value, alpha=alpha), sub, g, alpha, len(glabels)))
    padj = adjust_pvalues([r["p"] for r in rows], correction)
    for r, pa in zip(rows, padj):
        r["p_adjusted"] = float(pa)
    overall = _row(mrmc(data, method.value, alpha=alpha), data, "all", alpha, 1)

    # between subgroups: cells (group, modality, reader) over all cases, then reader differences
    G, J = len(glabels), len(data.readers)
    scores = np.full((G * 2, J, data.n_cases), np.nan)
    for gi, g in enumerate(glabels):
        mask = labels == g
        scores[2 * gi:2 * gi + 2][:, :, mask] = data.scores[:, :, mask]
    big = ScoreTable(data.cases, data.truth, tuple(f"{g}|{m}" for g in glabels for m in mods), data.readers,
                     scores)
    cells = cell_placements(big)
    S = _cov_from_cells(big, cells, method)          # (2G*J, 2G*J)
    L = np.zeros((G * J, 2 * G * J))
    for gi in range(G):
        for j in range(J):
            L[gi * J + j, (2 * gi) * J + j] = 1.0
            L[gi * J + j, (2 * gi + 1) * J + j] = -1.0
    theta = (L @ cells.auc).reshape(G, J)
    Sd = (L @ S @ L.T).reshape(G, J, G, J)
    inter = or_analysis(theta, Sd, modalities=glabels, readers=data.readers, n_cases=data.n_cases,
                        alpha=alpha, cov_method=method.value)
    interaction = {"statistic": inter.rrrc["statistic"], "df1": inter.rrrc["df1"], "ddf": inter.rrrc["ddf"],
                   "p": inter.rrrc["p"], "cov": {"var": inter.var, "cov1": inter.cov1, "cov2": inter.cov2,
                                                 "cov3": inter.cov3}}
    return SubgroupResult(tuple(mods), rows, overall, interaction, correction, float(alpha), method.value)
