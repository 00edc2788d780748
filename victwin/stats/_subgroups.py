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
Pepe MS (2003). The Statistical Evaluation of Medical Tests, sec. 5.2, p. 107 (logit CI of
an AUC, used for the per-subgroup AUC CIs).
Qin G, Hotilovac L (2008). Stat Methods Med Res 17:207-221 (the logit interval of an AUC).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._auc import logit_auc_ci
from ._cluster import cluster_codes, clustered_covariance_partial, clustered_mrmc
from ._moments import cell_placements
from ._mrmc import _cov_from_cells, _cov_method, _record, mrmc, or_analysis
from ._table import ScoreTable

__all__ = ["subgroup_analysis", "SubgroupResult", "adjust_pvalues", "count_label"]


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
    ``ci_simultaneous`` (Bonferroni, alpha / number of analysed subgroups); with clusters also
    ``n_clusters``); a subgroup too small to analyse has ``too_small`` True, a ``note`` and
    None in place of the numbers; ``overall`` the same for all cases; ``interaction`` the
    between-subgroup test (``statistic`` F, ``df1``, ``ddf``, ``p``) of equal differences
    across the analysed subgroups, or None when fewer than two were analysed.
    """

    modalities: tuple
    rows: list
    overall: dict
    interaction: dict
    correction: str
    alpha: float
    cov_method: str

    def to_dict(self) -> dict:
        return _record({"modalities": list(self.modalities), "correction": self.correction,
                          "alpha": self.alpha, "cov_method": self.cov_method, "subgroups": self.rows,
                          "overall": self.overall, "interaction": self.interaction})

    def table(self) -> str:
        """Plain-text table of the subgroup differences (columns ``normal`` and ``abnormal``:
        the subgroup's counts of normal and abnormal cases, ROIs in a trial)."""
        a, b = self.modalities[:2]
        head = (f"{'subgroup':<16}{'normal':>8}{'abnormal':>9}{'AUC ' + a:>12}{'AUC ' + b:>12}{'diff':>11}{'SE':>10}"
                f"{'CI':>24}{'p':>10}{'p adj':>10}")
        lines = [f"AUC difference {a} - {b} by subgroup (RRRC, {self.cov_method} covariances, "
                 f"{self.correction} correction)", head]
        for r in self.rows + [dict(self.overall, subgroup="all", p_adjusted=float("nan"))]:
            if r.get("too_small"):
                lines.append(f"{str(r['subgroup']):<16}{r['n_normal']:>8}{r['n_abnormal']:>9}  {r['note']}")
                continue
            ci = f"({r['ci'][0]:.4f}, {r['ci'][1]:.4f})"
            lines.append(f"{str(r['subgroup']):<16}{r['n_normal']:>8}{r['n_abnormal']:>9}"
                         f"{r['auc'][a]:>12.4f}{r['auc'][b]:>12.4f}{r['difference']:>11.4f}{r['se']:>10.4f}"
                         f"{ci:>24}{r['p']:>10.4g}{r['p_adjusted']:>10.4g}")
        it = self.interaction
        if it is None:
            lines.append("between subgroups: not tested (fewer than two subgroups analysed)")
        else:
            lines.append(f"between subgroups (cases nested in subgroup): F = {it['statistic']:.4f} "
                         f"on ({it['df1']}, {it['ddf']:.2f}) df, p = {it['p']:.4g}")
        return "\n".join(lines)

    def forest_plot(self, path, *, title=None, simultaneous=False, abnormal="abnormal",
                    normal="normal", unit="cases", cluster_unit="clusters") -> None:
        """Write a forest plot of the AUC differences with CIs to a PNG file.

        Each row is labelled with what it counts: ``n = N1 <abnormal> / N0 <normal> <unit>``
        and, with clusters, ``, K <cluster_unit>`` (e.g. "n = 120 lesion / 120 lesion-absent
        ROIs, 30 twins": with several ROIs per twin, ROIs are not patients).

        Parameters
        ----------
        path : str or os.PathLike
            Output ``.png``.
        title : str, optional
        simultaneous : bool
            Draw the Bonferroni simultaneous intervals instead of the per-subgroup ones.
        abnormal, normal, unit, cluster_unit : str
            Words of the count labels (defaults: "abnormal", "normal", "cases", "clusters").
        """
        it = self.interaction
        default = "Subgroups" if it is None else f"Subgroups: between-subgroup p = {it['p']:.3g}"
        fig = forest_figure(self.rows, self.overall, self.modalities, alpha=self.alpha,
                            simultaneous=simultaneous, title=title or default,
                            abnormal=abnormal, normal=normal, unit=unit,
                            cluster_unit=cluster_unit)
        fig.savefig(path, dpi=120, format="png")


def forest_figure(rows, overall, modalities, *, alpha=0.05, simultaneous=False, title=None,
                  abnormal="abnormal", normal="normal", unit="cases", cluster_unit="clusters"):
    """The forest plot of subgroup AUC differences with CIs, as a matplotlib ``Figure``: one
    row per subgroup (``rows``, in the order given), then ``overall`` as "all cases" (a
    diamond). The one drawer of :meth:`SubgroupResult.forest_plot` and of a report drawing
    from a ``results.json`` (rows as :meth:`SubgroupResult.to_dict` writes them).

    Parameters
    ----------
    rows : list of dict
        Subgroup rows (``subgroup``, ``n_abnormal``, ``n_normal``, optional ``n_clusters``,
        ``difference``, ``ci``, ``ci_simultaneous``); a row with ``too_small`` is drawn as
        the words "too few cases to analyse".
    overall : dict
        The all-cases row.
    modalities : sequence of str
        The difference is the first minus the second.
    alpha : float
        Level of the CIs drawn (for the axis label).
    simultaneous : bool
        Draw the Bonferroni simultaneous intervals (``ci_simultaneous``).
    title : str, optional
    abnormal, normal, unit, cluster_unit : str
        Words of the count labels (:func:`count_label`).
    """
    from matplotlib.figure import Figure  # no pyplot: no global backend state

    rows = list(rows) + [dict(overall, subgroup="all cases")]
    key = "ci_simultaneous" if simultaneous else "ci"
    fig = Figure(figsize=(7.5, 0.6 * len(rows) + 1.4))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows):
        if r.get("too_small"):   # a row without an interval: say why
            ax.text(0.02, yi, "too few cases to analyse", va="center", ha="left",
                    fontsize=8, color="0.35", style="italic", transform=ax.get_yaxis_transform())
            continue
        ci = r.get(key, r["ci"])
        last = r is rows[-1]
        ax.plot(ci, [yi, yi], color="k", lw=1.5)
        ax.plot([r["difference"]], [yi], marker="D" if last else "s", color="k",
                ms=7 if last else 6)
    ax.axvline(0.0, color="0.5", ls="--", lw=1)
    ax.locator_params(axis="x", nbins=6)   # the count labels narrow the axes
    ax.set_ylim(-0.6, len(rows) - 0.4)    # every row inside the axes, text-only ones too
    ax.set_yticks(y)
    ax.set_yticklabels([f"{r['subgroup']}\n" + count_label(
        r, abnormal=abnormal, normal=normal, unit=unit, cluster_unit=cluster_unit)
        for r in rows], fontsize=8)
    a, b = list(modalities)[:2]
    ax.set_xlabel(f"AUC difference, {a} - {b} ({int(round(100 * (1 - alpha)))}% CI"
                  f"{', simultaneous' if simultaneous else ''})")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def count_label(row, *, abnormal="abnormal", normal="normal", unit="cases",
                cluster_unit="clusters") -> str:
    """What a subgroup row counts, in words: "n = 120 lesion / 120 lesion-absent ROIs, 30
    twins" (``n_abnormal``, ``n_normal`` and, when the row has it, ``n_clusters``)."""
    text = f"n = {row['n_abnormal']} {abnormal} / {row['n_normal']} {normal} {unit}"
    if row.get("n_clusters") is not None:
        text += f", {row['n_clusters']} {cluster_unit}"
    return text


def _row(res, data, label, alpha, n_groups, auc_cis=False):
    d = next(iter(res.rrrc["differences"].values()))
    from scipy import stats as _st

    q = _st.t.ppf(1 - alpha / (2 * n_groups), d["df"]) if np.isfinite(d["df"]) else _st.norm.ppf(
        1 - alpha / (2 * n_groups))
    row = {"subgroup": label, "n_normal": data.n_normal, "n_abnormal": data.n_abnormal,
           "auc": {m: float(v) for m, v in zip(res.modalities, res.mean_auc)},
           "difference": d["estimate"], "se": d["se"], "df": d["df"], "p": d["p"], "ci": d["ci"],
           "ci_simultaneous": (d["estimate"] - q * d["se"], d["estimate"] + q * d["se"])}
    if auc_cis:
        # each arm's AUC: the RRRC single-modality SE and df, the interval on the logit scale
        # (logit_auc_ci) so that it stays inside (0, 1) for an AUC near 1 in a small subgroup
        single = res.rrrc["single_modality"]
        row["auc_se"] = {m: float(single[m]["se"]) for m in res.modalities}
        row["auc_df"] = {m: float(single[m]["df"]) for m in res.modalities}
        row["auc_ci"] = {m: logit_auc_ci(float(single[m]["auc"]), float(single[m]["se"]),
                                         df=float(single[m]["df"]), alpha=alpha)
                         for m in res.modalities}
    return row


def _too_small_row(label, sub, mods, n_clusters, min_cases, unit):
    row = {"subgroup": label, "n_normal": sub.n_normal, "n_abnormal": sub.n_abnormal,
           "auc": {m: None for m in mods}, "difference": None, "se": None, "df": None, "p": None,
           "p_adjusted": None, "ci": None, "ci_simultaneous": None, "too_small": True,
           "note": f"too few cases to analyse: fewer than {min_cases} {unit} of each truth"}
    if n_clusters is not None:
        row["n_clusters"] = n_clusters
    return row


def subgroup_analysis(data: ScoreTable, groups, *, modalities=None, cov="jackknife", alpha=0.05,
                      correction="holm", clusters=None, min_cases=None,
                      auc_cis=False) -> SubgroupResult:
    """MRMC analysis within subgroups of cases and a test of equal differences between them.

    Parameters
    ----------
    data : ScoreTable
    groups : mapping case id -> label, or array of labels aligned with ``data.cases``
        The case attribute defining the subgroups (e.g. density class, lesion type).
    modalities : pair of str, optional
        The two modalities to compare (default: the first two); difference = first - second.
    cov : {"jackknife", "delong", "unbiased"}
        Covariance estimator of the ROI-level analysis (ignored with ``clusters``).
    alpha : float
    correction : {"holm", "bonferroni", "none"}
        Multiplicity correction of the per-subgroup p-values.
    clusters : mapping case id -> cluster label, or labels aligned with ``data.cases``, optional
        Analyse with clusters (twins) as the resampling unit: every row, the overall row and
        the between-subgroup test use the clustered covariances of Obuchowski (1997)
        (:func:`victwin.stats.clustered_mrmc`).
    min_cases : int, optional
        When given, a subgroup with fewer than ``min_cases`` normal or abnormal cases
        (clusters holding them, with ``clusters``) is not analysed but still gets a row,
        marked ``too_small``; it is left out of the multiplicity correction and of the
        between-subgroup test, which needs two analysed subgroups (``interaction`` is None
        otherwise). The overall row always uses every case. Without ``min_cases`` such a
        subgroup is an error.
    auc_cis : bool
        Also give each analysed row (and the overall row) every modality's AUC with its
        RRRC standard error, df and CI (``auc_se``, ``auc_df``, ``auc_ci``: the
        single-modality analysis of the same covariances), for subgroups read for how
        detectability varies (nodule size, rib overlap) rather than for the difference
        between modalities. ``auc_ci`` is the logit-transformed interval of that SE
        (:func:`victwin.stats.logit_auc_ci`: ``expit(logit(A) -+ t SE / (A (1 - A)))``,
        the t quantile at the same df; Pepe 2003 sec. 5.2; Qin & Hotilovac 2008), which
        stays inside (0, 1); the Wald interval ``A -+ t SE`` passes 1 for an AUC near 1 in
        a small subgroup. The differences' CIs (``ci``) stay Wald: a difference may be
        negative.

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
    if min_cases is not None and int(min_cases) < 2:
        raise ValueError(f"min_cases must be >= 2; got {min_cases}")
    data = data.subset(modalities=mods)
    codes = None
    if clusters is not None:
        codes, _ = cluster_codes(clusters, data.cases)
    glabels = list(dict.fromkeys(labels.tolist()))
    if len(glabels) < 2 and min_cases is None:
        raise ValueError(f"groups must define at least 2 subgroups; got {glabels}")

    def analyse(table, idx):
        if codes is None:
            return mrmc(table, method.value, alpha=alpha)
        return clustered_mrmc(table, codes[idx], alpha=alpha)

    plan = []
    for g in glabels:
        idx = np.flatnonzero(labels == g)
        t = data.truth[idx] == 1
        if codes is None:
            n_units, unit, n_cl = (int((~t).sum()), int(t.sum())), "cases", None
        else:
            n_units = (np.unique(codes[idx][~t]).size, np.unique(codes[idx][t]).size)
            unit, n_cl = "clusters", int(np.unique(codes[idx]).size)
        small = min_cases is not None and min(n_units) < int(min_cases)
        plan.append((g, idx, unit, n_cl, small))
    n_analysed = sum(not p[-1] for p in plan)
    rows, analysed = [], []
    for g, idx, unit, n_cl, small in plan:
        sub = data.subset(cases=[data.cases[i] for i in idx])
        if small:
            rows.append(_too_small_row(g, sub, mods, n_cl, int(min_cases), unit))
            continue
        if sub.n_normal < 2 or sub.n_abnormal < 2:
            raise ValueError(f"subgroup {g!r} has {sub.n_normal} normal and {sub.n_abnormal} abnormal cases; "
                             f"each subgroup needs at least 2 of each")
        row = _row(analyse(sub, idx), sub, g, alpha, n_analysed, auc_cis)
        if n_cl is not None:
            row["n_clusters"] = n_cl
        rows.append(row)
        analysed.append(g)
    done = [r for r in rows if not r.get("too_small")]
    padj = adjust_pvalues([r["p"] for r in done], correction)
    for r, pa in zip(done, padj):
        r["p_adjusted"] = float(pa)
    overall = _row(analyse(data, np.arange(data.n_cases)), data, "all", alpha, 1, auc_cis)
    if codes is not None:
        overall["n_clusters"] = int(np.unique(codes).size)
    if len(analysed) < 2:
        return SubgroupResult(tuple(mods), rows, overall, None, correction, float(alpha),
                              "clustered" if codes is not None else method.value)

    # between subgroups: cells (group, modality, reader) over the analysed subgroups' cases,
    # then reader differences
    keep = np.isin(labels, analysed)
    data_b = data.subset(cases=[c for c, k in zip(data.cases, keep) if k])
    labels_b = labels[keep]
    G, J = len(analysed), len(data.readers)
    scores = np.full((G * 2, J, data_b.n_cases), np.nan)
    for gi, g in enumerate(analysed):
        mask = labels_b == g
        scores[2 * gi:2 * gi + 2][:, :, mask] = data_b.scores[:, :, mask]
    big = ScoreTable(data_b.cases, data_b.truth, tuple(f"{g}|{m}" for g in analysed for m in mods),
                     data.readers, scores)
    if codes is None:
        cells = cell_placements(big)
        S = _cov_from_cells(big, cells, method)          # (2G*J, 2G*J)
        cell_auc = cells.auc
    else:
        cell_auc, S = clustered_covariance_partial(big, codes[keep])
    L = np.zeros((G * J, 2 * G * J))
    for gi in range(G):
        for j in range(J):
            L[gi * J + j, (2 * gi) * J + j] = 1.0
            L[gi * J + j, (2 * gi + 1) * J + j] = -1.0
    theta = (L @ cell_auc).reshape(G, J)
    Sd = (L @ S @ L.T).reshape(G, J, G, J)
    cov_name = "clustered" if codes is not None else method.value
    inter = or_analysis(theta, Sd, modalities=analysed, readers=data.readers, n_cases=data_b.n_cases,
                        alpha=alpha, cov_method=cov_name)
    interaction = {"statistic": inter.rrrc["statistic"], "df1": inter.rrrc["df1"], "ddf": inter.rrrc["ddf"],
                   "p": inter.rrrc["p"], "cov": {"var": inter.var, "cov1": inter.cov1, "cov2": inter.cov2,
                                                 "cov3": inter.cov3}}
    return SubgroupResult(tuple(mods), rows, overall, interaction, correction, float(alpha), cov_name)
