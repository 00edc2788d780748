"""Multi-reader multi-case (MRMC) analysis: Obuchowski-Rockette with Hillis df, and DBM.

The figure of merit is the empirical AUC of each (modality, reader) cell. The OR model's
error covariances (Var, Cov1 same reader / different modality, Cov2 different reader /
same modality, Cov3 different both) are averages of the fixed-reader covariance matrix of
the cell AUCs, estimated by the case jackknife, DeLong's method, or the unbiased
U-statistic (Gallas) estimator. Three analyses are reported: random readers and random cases
(RRRC, Hillis 2007 df), fixed readers (FRRC, chi-square) and fixed cases (RRFC).

Conventions (those of the Iowa OR-DBM MRMC program): differences are modality 1 minus
modality 2 (table order); the jackknife deletes one case of either class, K cases, factor
(K - 1)/K; the denominator uses max(Cov2 - Cov3, 0); Var(T*R) = MS(T*R) - Var + Cov1 +
Cov2 - Cov3 without truncation; alpha = 0.05.

References
----------
Obuchowski NA, Rockette HE (1995). Commun Stat Simul Comput 24:285-308.
Hillis SL (2007). A comparison of denominator degrees of freedom methods for multiple
observer ROC analysis. Stat Med 26:596-619.
Hillis SL, Obuchowski NA, Schartz KM, Berbaum KS (2005). A comparison of the Dorfman-
Berbaum-Metz and Obuchowski-Rockette methods. Stat Med 24:1579-1607.
Dorfman DD, Berbaum KS, Metz CE (1992). Invest Radiol 27:723-731 (DBM).
Gallas BD (2006). One-shot estimate of MRMC variance: AUC. Acad Radiol 13:353-362.
Chen W, Petrick NA, Sahiner B (2012). Hypothesis testing in noninferiority and equivalence
MRMC ROC studies. Acad Radiol 19:1158-1165.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from itertools import combinations

import numpy as np
from scipy import stats as _st

from victwin._json import jsonable

from ._moments import Cells, cell_placements, jackknife_aucs, shared_counts, unbiased_pair_sums
from ._table import ScoreTable

__all__ = ["CovMethod", "MRMCResult", "DBMResult", "mrmc", "dbm", "or_analysis", "cell_covariance",
           "non_inferiority"]


class CovMethod(str, Enum):
    """Estimator of the covariance matrix of the cell AUCs."""

    JACKKNIFE = "jackknife"
    DELONG = "delong"
    UNBIASED = "unbiased"


def _cov_method(cov) -> CovMethod:
    try:
        return CovMethod(cov)
    except ValueError:
        raise ValueError(f"cov must be one of {[m.value for m in CovMethod]}; got {cov!r}") from None


def _check_table(data) -> ScoreTable:
    if not isinstance(data, ScoreTable):
        raise TypeError(f"data must be a ScoreTable (see read_imrmc, ScoreTable.from_arrays); "
                        f"got {type(data).__name__}")
    return data


def cell_covariance(data: ScoreTable, cov="jackknife"):
    """Cell AUCs and their covariance matrix (cases random, readers fixed).

    Parameters
    ----------
    data : ScoreTable
    cov : {"jackknife", "delong", "unbiased"}

    Returns
    -------
    auc : float array, shape (M, R)
    covariance : float array, shape (M, R, M, R)
    """
    data = _check_table(data)
    method = _cov_method(cov)
    M, R, N = data.scores.shape
    cells = cell_placements(data)
    S = _cov_from_cells(data, cells, method)
    return cells.auc.reshape(M, R), S.reshape(M, R, M, R)


def _cov_from_cells(data: ScoreTable, cells: Cells, method: CovMethod) -> np.ndarray:
    if method is CovMethod.JACKKNIFE:
        jk = jackknife_aucs(cells)
        K = jk.shape[1]
        dev = jk - jk.mean(axis=1, keepdims=True)
        return (K - 1) / K * (dev @ dev.T)
    if method is CovMethod.DELONG:
        n0ab, n1ab = shared_counts(cells)
        d10 = (cells.v10 - cells.auc[:, None]) * cells.read1
        d01 = (cells.v01 - cells.auc[:, None]) * cells.read0
        with np.errstate(divide="ignore", invalid="ignore"):
            s10 = np.where(n1ab > 1, (d10 @ d10.T) / (n1ab - 1) * n1ab / np.outer(cells.n1, cells.n1), 0.0)
            s01 = np.where(n0ab > 1, (d01 @ d01.T) / (n0ab - 1) * n0ab / np.outer(cells.n0, cells.n0), 0.0)
        return s10 + s01
    S, cnt = unbiased_pair_sums(data, cells)
    if (cnt[3] <= 0).any():
        raise ValueError("the unbiased covariance needs at least 2 normal and 2 abnormal ratings per cell")
    return np.outer(cells.auc, cells.auc) - S[3] / cnt[3]


def _or_covariances(S4: np.ndarray, present: np.ndarray):
    """Average the (T, J, T, J) covariance into Var, Cov1, Cov2, Cov3 over present cells."""
    T, J = present.shape
    same_t = np.eye(T, dtype=bool)[:, None, :, None]
    same_r = np.eye(J, dtype=bool)[None, :, None, :]
    both = present[:, :, None, None] & present[None, None, :, :]

    def avg(mask):
        m = mask & both
        return float(S4[m].mean()) if m.any() else 0.0

    var = avg(same_t & same_r)
    cov1 = avg(~same_t & same_r)
    cov2 = avg(same_t & ~same_r)
    cov3 = avg(~same_t & ~same_r)
    return var, cov1, cov2, cov3


def _tci(est, se, df, alpha):
    q = _st.t.ppf(1 - alpha / 2, df) if np.isfinite(df) else _st.norm.ppf(1 - alpha / 2)
    return (float(est - q * se), float(est + q * se))


def _two_sided(stat, df):
    if not np.isfinite(df):
        return float(2 * _st.norm.sf(abs(stat)))
    return float(2 * _st.t.sf(abs(stat), df))


@dataclass
class MRMCResult:
    """Result of :func:`mrmc` (also built by :func:`or_analysis` from AUCs and covariances).

    Attributes
    ----------
    modalities, readers : tuple of str
    reader_auc : float array (T, J)
        Figure of merit per modality and reader.
    cov_method : str
    covariance : float array (T, J, T, J)
        Covariance matrix of the cell figures of merit (cases random).
    var, cov1, cov2, cov3 : float
        OR error covariances.
    ms_t, ms_r, ms_tr : float
        Mean squares of the T x J table of figures of merit.
    var_r, var_tr : float
        OR variance components (Iowa definitions, not truncated).
    rrrc, frrc, rrfc : dict
        Each with ``statistic``, ``df`` (RRRC: ``df1`` and ``ddf``), ``p``, ``se`` and ``ci``
        of the first difference, ``differences`` (pair "a-b" -> estimate, se, df, t or z,
        p, ci) and ``single_modality`` (modality -> auc, se, df, ci).
    n_cases, alpha : int, float
    """

    modalities: tuple
    readers: tuple
    reader_auc: np.ndarray
    cov_method: str
    covariance: np.ndarray
    var: float
    cov1: float
    cov2: float
    cov3: float
    ms_t: float
    ms_r: float
    ms_tr: float
    var_r: float
    var_tr: float
    rrrc: dict
    frrc: dict
    rrfc: dict
    n_cases: int
    alpha: float
    extra: dict = field(default_factory=dict)

    @property
    def mean_auc(self) -> np.ndarray:
        """Reader-averaged figure of merit per modality, shape (T,)."""
        return self.reader_auc.mean(axis=1)

    @property
    def difference(self) -> float:
        """First modality minus second."""
        return float(self.mean_auc[0] - self.mean_auc[1]) if len(self.modalities) > 1 else float("nan")

    def to_dict(self) -> dict:
        """Plain JSON-able dict (the ``victwin stats mrmc --json`` layout)."""
        T = len(self.modalities)
        corr = {}
        if self.var > 0:
            corr = {"corr1": self.cov1 / self.var, "corr2": self.cov2 / self.var, "corr3": self.cov3 / self.var}
        return _record({
            "modalities": list(self.modalities),
            "readers": list(self.readers),
            "n_cases": self.n_cases,
            "alpha": self.alpha,
            "cov_method": self.cov_method,
            "reader_auc": {m: {r: float(self.reader_auc[i, j]) for j, r in enumerate(self.readers)}
                           for i, m in enumerate(self.modalities)},
            "mean_auc": {m: float(a) for m, a in zip(self.modalities, self.mean_auc)},
            "difference": self.difference if T > 1 else None,
            "cov": {"var": self.var, "cov1": self.cov1, "cov2": self.cov2, "cov3": self.cov3, **corr},
            "anova": {"ms_t": self.ms_t, "ms_r": self.ms_r, "ms_tr": self.ms_tr},
            "variance_components": {"var_r": self.var_r, "var_tr": self.var_tr},
            "rrrc": self.rrrc,
            "frrc": self.frrc,
            "rrfc": self.rrfc,
            **self.extra,
        })

    def summary(self) -> str:
        """A plain-text report (what the CLI prints)."""
        out = []
        T = len(self.modalities)
        w = max(8, *(len(r) for r in self.readers))
        out.append(f"MRMC analysis: {T} modalities x {len(self.readers)} readers x {self.n_cases} cases; "
                   f"Obuchowski-Rockette, {self.cov_method} covariances, alpha = {self.alpha}")
        out.append("")
        out.append("reader".ljust(w) + "".join(f"{'AUC ' + m:>14}" for m in self.modalities))
        for j, r in enumerate(self.readers):
            out.append(r.ljust(w) + "".join(f"{self.reader_auc[i, j]:>14.8f}" for i in range(T)))
        out.append("mean".ljust(w) + "".join(f"{a:>14.8f}" for a in self.mean_auc))
        out.append("")
        out.append(f"Var = {self.var:.8g}  Cov1 = {self.cov1:.8g}  Cov2 = {self.cov2:.8g}  Cov3 = {self.cov3:.8g}")
        out.append(f"MS(T) = {self.ms_t:.8g}  MS(R) = {self.ms_r:.8g}  MS(T*R) = {self.ms_tr:.8g}  "
                   f"Var(R) = {self.var_r:.8g}  Var(T*R) = {self.var_tr:.8g}")
        out.append("")
        if T > 1:
            head = f"{'analysis':<8}{'statistic':>12}{'df':>16}{'p':>12}   {'difference':>22}{'SE':>12}{'CI':>26}"
            out.append(head)
            for name, res, stat_name in (("RRRC", self.rrrc, "F"), ("FRRC", self.frrc, "chi2"),
                                         ("RRFC", self.rrfc, "F")):
                df = f"({res['df1']}, {res['ddf']:.4f})" if name == "RRRC" else (
                    f"{res['df']}" if name == "FRRC" else f"({res['df1']}, {res['df']})")
                for k, (pair, d) in enumerate(res["differences"].items()):
                    left = (f"{name:<8}{stat_name + ' ' + format(res['statistic'], '.6f'):>12}{df:>16}"
                            f"{res['p']:>12.6g}") if k == 0 else " " * 48
                    out.append(f"{left}   {pair + ' ' + format(d['estimate'], '.8f'):>22}{d['se']:>12.8f}"
                               f"{'(' + format(d['ci'][0], '.6f') + ', ' + format(d['ci'][1], '.6f') + ')':>26}")
            out.append("")
        out.append(f"{'single modality':<16}{'analysis':>10}{'AUC':>12}{'SE':>12}{'df':>12}{'CI':>26}")
        for name, res in (("RRRC", self.rrrc), ("FRRC", self.frrc), ("RRFC", self.rrfc)):
            for m, d in res["single_modality"].items():
                df = "inf" if not np.isfinite(d["df"]) else f"{d['df']:.4f}"
                out.append(f"{m:<16}{name:>10}{d['auc']:>12.8f}{d['se']:>12.8f}{df:>12}"
                           f"{'(' + format(d['ci'][0], '.6f') + ', ' + format(d['ci'][1], '.6f') + ')':>26}")
        return "\n".join(out)


def _record(x):
    """A statistics record as JSON types; NaN and inf become null (JSON has no NaN)."""
    return jsonable(x, nonfinite_as_none=True)


def or_analysis(theta, covariance, *, modalities=None, readers=None, n_cases=0, alpha=0.05,
                cov_method="given", present=None) -> MRMCResult:
    """Obuchowski-Rockette analysis from figures of merit and their covariance matrix.

    Parameters
    ----------
    theta : float array, shape (T, J)
        Figure of merit per modality (treatment) and reader.
    covariance : float array, shape (T, J, T, J)
        Covariance of the figures of merit over cases (readers fixed).
    modalities, readers : sequence of str, optional
    n_cases : int
        Recorded in the result only.
    alpha : float
        Significance level; CIs are (1 - alpha).
    cov_method : str
        Recorded in the result only.
    present : bool array (T, J), optional
        Cells that exist (default all); absent cells are left out of the covariance averages.

    Returns
    -------
    MRMCResult
    """
    theta = np.asarray(theta, dtype=float)
    if theta.ndim != 2 or theta.shape[1] < 2:
        raise ValueError(f"theta must have shape (modalities, readers) with >= 2 readers; got {theta.shape}")
    T, J = theta.shape
    S4 = np.asarray(covariance, dtype=float)
    if S4.shape != (T, J, T, J):
        raise ValueError(f"covariance must have shape {(T, J, T, J)}; got {S4.shape}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    modalities = tuple(str(m) for m in (modalities if modalities is not None else range(1, T + 1)))
    readers = tuple(str(r) for r in (readers if readers is not None else range(1, J + 1)))
    present = np.ones((T, J), dtype=bool) if present is None else np.asarray(present, dtype=bool)
    var, cov1, cov2, cov3 = _or_covariances(S4, present)

    th_t = theta.mean(axis=1)
    th_r = theta.mean(axis=0)
    th = theta.mean()
    ms_t = J * ((th_t - th) ** 2).sum() / (T - 1) if T > 1 else float("nan")
    ms_r = T * ((th_r - th) ** 2).sum() / (J - 1)
    ms_tr = ((theta - th_t[:, None] - th_r[None, :] + th) ** 2).sum() / ((T - 1) * (J - 1)) if T > 1 else float("nan")
    var_tr = ms_tr - var + cov1 + cov2 - cov3 if T > 1 else float("nan")
    if T > 1:
        var_r = (ms_r - var_tr - var - (T - 1) * cov1 + cov2 + (T - 1) * cov3) / T
    else:
        var_r = ms_r - var + cov2

    # single-modality quantities: MS(R), Var and Cov2 within modality i
    single_ms_r = ((theta - th_t[:, None]) ** 2).sum(axis=1) / (J - 1)
    single_var = np.empty(T)
    single_cov2 = np.empty(T)
    for i in range(T):
        sub = S4[i, :, i, :]
        pres = present[i]
        d = np.diag(sub)[pres]
        single_var[i] = d.mean()
        off = sub[np.ix_(pres, pres)][~np.eye(pres.sum(), dtype=bool)]
        single_cov2[i] = off.mean() if off.size else 0.0
    pairs = list(combinations(range(T), 2))

    # ---- RRRC (Hillis 2007)
    rrrc = {"single_modality": {}}
    for i, m in enumerate(modalities):
        den_i = single_ms_r[i] + J * max(single_cov2[i], 0.0)
        se = np.sqrt(den_i / J)
        df = den_i ** 2 / (single_ms_r[i] ** 2 / (J - 1)) if single_ms_r[i] > 0 else np.inf
        rrrc["single_modality"][m] = {"auc": th_t[i], "se": se, "df": df, "ci": _tci(th_t[i], se, df, alpha),
                                      "ms_r": single_ms_r[i], "var": single_var[i], "cov2": single_cov2[i]}
    frrc = {"single_modality": {}}
    for i, m in enumerate(modalities):
        se = np.sqrt((single_var[i] + (J - 1) * max(single_cov2[i], 0.0)) / J)
        frrc["single_modality"][m] = {"auc": th_t[i], "se": se, "df": np.inf, "ci": _tci(th_t[i], se, np.inf, alpha),
                                      "var": single_var[i], "cov2": single_cov2[i]}
    rrfc = {"single_modality": {}}
    for i, m in enumerate(modalities):
        se = np.sqrt(single_ms_r[i] / J)
        rrfc["single_modality"][m] = {"auc": th_t[i], "se": se, "df": J - 1, "ci": _tci(th_t[i], se, J - 1, alpha),
                                      "ms_r": single_ms_r[i]}

    if T > 1:
        den = ms_tr + J * max(cov2 - cov3, 0.0)
        F = ms_t / den
        ddf = den ** 2 / (ms_tr ** 2 / ((T - 1) * (J - 1))) if ms_tr > 0 else np.inf
        p = float(_st.f.sf(F, T - 1, ddf)) if np.isfinite(ddf) else float(_st.chi2.sf(F * (T - 1), T - 1))
        rrrc.update(statistic=F, df1=T - 1, ddf=ddf, df=ddf, p=p, den=den, differences={})
        se = np.sqrt(2 * den / J)
        for a, b in pairs:
            est = th_t[a] - th_t[b]
            t = est / se
            rrrc["differences"][f"{modalities[a]}-{modalities[b]}"] = {
                "estimate": est, "se": se, "df": ddf, "t": t, "p": _two_sided(t, ddf),
                "ci": _tci(est, se, ddf, alpha)}

        den_f = var - cov1 + (J - 1) * max(cov2 - cov3, 0.0)
        chi2 = (T - 1) * ms_t / den_f
        frrc.update(statistic=chi2, df=T - 1, p=float(_st.chi2.sf(chi2, T - 1)), den=den_f, differences={},
                    by_reader={})
        se = np.sqrt(2 * den_f / J)
        for a, b in pairs:
            est = th_t[a] - th_t[b]
            z = est / se
            frrc["differences"][f"{modalities[a]}-{modalities[b]}"] = {
                "estimate": est, "se": se, "df": np.inf, "z": z, "p": _two_sided(z, np.inf),
                "ci": _tci(est, se, np.inf, alpha)}
        for j, r in enumerate(readers):
            frrc["by_reader"][r] = {}
            for a, b in pairs:
                est = theta[a, j] - theta[b, j]
                v = S4[a, j, a, j] + S4[b, j, b, j] - 2 * S4[a, j, b, j]
                se_j = np.sqrt(max(v, 0.0))
                z = est / se_j if se_j > 0 else np.nan
                frrc["by_reader"][r][f"{modalities[a]}-{modalities[b]}"] = {
                    "estimate": est, "se": se_j, "z": z, "p": _two_sided(z, np.inf),
                    "ci": _tci(est, se_j, np.inf, alpha),
                    "var": (S4[a, j, a, j] + S4[b, j, b, j]) / 2, "cov1": S4[a, j, b, j]}

        df_fc = (T - 1) * (J - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            # no modality x reader variation (e.g. every reader perfect in a tiny test set):
            # F is inf (or nan), and the p-value follows, as the formula gives
            F_fc = np.float64(ms_t) / np.float64(ms_tr)
        rrfc.update(statistic=F_fc, df1=T - 1, df=df_fc, p=float(_st.f.sf(F_fc, T - 1, df_fc)), den=ms_tr,
                    differences={})
        se = np.sqrt(2 * ms_tr / J)
        for a, b in pairs:
            est = th_t[a] - th_t[b]
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.float64(est) / np.float64(se)
            rrfc["differences"][f"{modalities[a]}-{modalities[b]}"] = {
                "estimate": est, "se": se, "df": df_fc, "t": t, "p": _two_sided(t, df_fc),
                "ci": _tci(est, se, df_fc, alpha)}
        for res in (rrrc, frrc, rrfc):
            first = next(iter(res["differences"].values()))
            res["se"] = first["se"]
            res["ci"] = first["ci"]
            res["estimate"] = first["estimate"]

    return MRMCResult(modalities, readers, theta, str(cov_method), S4, var, cov1, cov2, cov3,
                      float(ms_t), float(ms_r), float(ms_tr), float(var_r), float(var_tr),
                      _floats(rrrc), _floats(frrc), _floats(rrfc), int(n_cases), float(alpha))


def _floats(x):
    if isinstance(x, dict):
        return {k: _floats(v) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(_floats(v) for v in x)
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return x


def mrmc(data: ScoreTable, cov="jackknife", *, alpha=0.05) -> MRMCResult:
    """Obuchowski-Rockette MRMC analysis of empirical AUCs (RRRC, FRRC and RRFC).

    Parameters
    ----------
    data : ScoreTable
        Ratings (from :func:`read_imrmc` or :meth:`ScoreTable.from_arrays`). Not-fully-
        crossed designs are allowed: each cell uses the cases its reader read; the
        covariances are averaged over the cells that exist.
    cov : {"jackknife", "delong", "unbiased"}
        Estimator of the covariance matrix of the cell AUCs.
    alpha : float
        Significance level (CIs are 1 - alpha).

    Returns
    -------
    MRMCResult

    Notes
    -----
    Needs at least 2 readers. With one modality only the single-modality results exist.
    """
    data = _check_table(data)
    method = _cov_method(cov)
    M, R, N = data.scores.shape
    if R < 2:
        raise ValueError(f"MRMC analysis needs at least 2 readers; got {R} ({list(data.readers)})")
    cells = cell_placements(data)
    S = _cov_from_cells(data, cells, method)
    return or_analysis(cells.auc.reshape(M, R), S.reshape(M, R, M, R), modalities=data.modalities,
                       readers=data.readers, n_cases=N, alpha=alpha, cov_method=method.value)


@dataclass
class DBMResult:
    """Dorfman-Berbaum-Metz analysis (jackknife pseudovalues, Hillis 2008 df).

    ``mean_squares`` and ``df`` keyed by T, R, C, TR, TC, RC, TRC; ``variance_components``
    var_r, var_c, var_tr, var_tc, var_rc, var_err; RRRC ``statistic`` (F), ``df1``, ``ddf``,
    ``p``, ``den`` = MS(TR) + max(MS(TC) - MS(TRC), 0).
    """

    mean_squares: dict
    df: dict
    variance_components: dict
    statistic: float
    df1: int
    ddf: float
    p: float
    den: float
    pseudovalues: np.ndarray

    def to_dict(self) -> dict:
        return _record({"mean_squares": self.mean_squares, "df": self.df,
                          "variance_components": self.variance_components,
                          "rrrc": {"statistic": self.statistic, "df1": self.df1, "ddf": self.ddf,
                                   "p": self.p, "den": self.den}})


def dbm(data: ScoreTable) -> DBMResult:
    """DBM analysis: three-way ANOVA of jackknife pseudovalues of the AUC.

    Parameters
    ----------
    data : ScoreTable
        Fully crossed ratings, at least 2 modalities and 2 readers.

    Returns
    -------
    DBMResult
        With jackknife covariances the F, ddf and p equal those of :func:`mrmc`
        (Hillis et al. 2005).
    """
    data = _check_table(data)
    if not data.fully_crossed:
        raise ValueError("dbm needs a fully crossed design (every reader rates every case in every modality)")
    T, J, K = data.scores.shape
    if T < 2 or J < 2:
        raise ValueError(f"dbm needs >= 2 modalities and >= 2 readers; got {T} and {J}")
    cells = cell_placements(data)
    jk = jackknife_aucs(cells).reshape(T, J, K)
    Y = K * cells.auc.reshape(T, J)[:, :, None] - (K - 1) * jk
    m = Y.mean()
    mt = Y.mean(axis=(1, 2))
    mr = Y.mean(axis=(0, 2))
    mc = Y.mean(axis=(0, 1))
    mtr = Y.mean(axis=2)
    mtc = Y.mean(axis=1)
    mrc = Y.mean(axis=0)
    ss = {
        "T": J * K * ((mt - m) ** 2).sum(),
        "R": T * K * ((mr - m) ** 2).sum(),
        "C": T * J * ((mc - m) ** 2).sum(),
        "TR": K * ((mtr - mt[:, None] - mr[None, :] + m) ** 2).sum(),
        "TC": J * ((mtc - mt[:, None] - mc[None, :] + m) ** 2).sum(),
        "RC": T * ((mrc - mr[:, None] - mc[None, :] + m) ** 2).sum(),
    }
    resid = (Y - mtr[:, :, None] - mtc[:, None, :] - mrc[None, :, :] + mt[:, None, None]
             + mr[None, :, None] + mc[None, None, :] - m)
    ss["TRC"] = (resid ** 2).sum()
    df = {"T": T - 1, "R": J - 1, "C": K - 1, "TR": (T - 1) * (J - 1), "TC": (T - 1) * (K - 1),
          "RC": (J - 1) * (K - 1), "TRC": (T - 1) * (J - 1) * (K - 1)}
    ms = {k: float(ss[k] / df[k]) for k in ss}
    vc = {
        "var_r": (ms["R"] - ms["TR"] - ms["RC"] + ms["TRC"]) / (T * K),
        "var_c": (ms["C"] - ms["TC"] - ms["RC"] + ms["TRC"]) / (T * J),
        "var_tr": (ms["TR"] - ms["TRC"]) / K,
        "var_tc": (ms["TC"] - ms["TRC"]) / J,
        "var_rc": (ms["RC"] - ms["TRC"]) / T,
        "var_err": ms["TRC"],
    }
    den = ms["TR"] + max(ms["TC"] - ms["TRC"], 0.0)
    if not den > 0 or not ms["TR"] > 0:
        raise ValueError("dbm: the F test is undefined because the modality x reader mean "
                         "square is zero (the readers' AUCs do not vary, e.g. all scores are "
                         "equal)")
    F = ms["T"] / den
    ddf = den ** 2 / (ms["TR"] ** 2 / df["TR"])
    p = float(_st.f.sf(F, df["T"], ddf))
    return DBMResult(ms, df, vc, float(F), df["T"], float(ddf), p, float(den), Y)


def non_inferiority(result: MRMCResult, margin: float, *, new=None, reference=None, analysis="rrrc",
                    alpha=None) -> dict:
    """Non-inferiority test of a new modality against a reference with an AUC margin.

    H0: AUC_new - AUC_ref <= -margin, against H1: AUC_new - AUC_ref > -margin
    (Chen, Petrick & Sahiner 2012), using the standard error and df of the chosen analysis.

    Parameters
    ----------
    result : MRMCResult
    margin : float
        Non-inferiority margin delta >= 0 (AUC units).
    new, reference : str, optional
        Modality labels (default: the second modality is new, the first the reference).
    analysis : {"rrrc", "frrc", "rrfc"}
    alpha : float, optional
        One-sided level (default: the result's alpha).

    Returns
    -------
    dict
        ``difference`` (new - reference), ``margin``, ``se``, ``df``, ``statistic``
        ((difference + margin) / se), one-sided ``p``, ``lower_bound`` (one-sided 1 - alpha),
        and ``non_inferior`` (p < alpha).
    """
    if not isinstance(result, MRMCResult):
        raise TypeError(f"result must be an MRMCResult; got {type(result).__name__}")
    if not np.isfinite(margin) or margin < 0:
        raise ValueError(f"margin must be a finite AUC difference >= 0; got {margin}")
    mods = list(result.modalities)
    if len(mods) < 2:
        raise ValueError("non-inferiority needs two modalities")
    new = mods[1] if new is None else str(new)
    reference = mods[0] if reference is None else str(reference)
    for name, v in (("new", new), ("reference", reference)):
        if v not in mods:
            raise ValueError(f"{name} must be one of the modalities {mods}; got {v!r}")
    analysis = str(analysis).lower()
    res = {"rrrc": result.rrrc, "frrc": result.frrc, "rrfc": result.rrfc}.get(analysis)
    if res is None:
        raise ValueError(f"analysis must be 'rrrc', 'frrc' or 'rrfc'; got {analysis!r}")
    alpha = result.alpha if alpha is None else float(alpha)
    pair = f"{new}-{reference}"
    if pair in res["differences"]:
        d = res["differences"][pair]
        est = d["estimate"]
    else:
        d = res["differences"][f"{reference}-{new}"]
        est = -d["estimate"]
    se, df = d["se"], d["df"]
    stat = (est + margin) / se
    dist = _st.norm if not np.isfinite(df) else _st.t(df)
    p = float(dist.sf(stat))
    lower = est - dist.ppf(1 - alpha) * se
    return {"new": new, "reference": reference, "analysis": analysis, "difference": float(est),
            "margin": float(margin), "se": float(se), "df": float(df), "statistic": float(stat), "p": p,
            "alpha": alpha, "lower_bound": float(lower), "non_inferior": bool(p < alpha)}
