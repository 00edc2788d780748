"""Power and sample size of an MRMC ROC study from pilot OR variance components.

Hillis, Obuchowski & Berbaum (2011), Acad Radiol 18:129-142 (Eq. 10): the pilot OR
error covariances are scaled by K_pilot / K for a study with K cases, Var(T*R) is kept (set
to 0 if negative), and the power of the two-modality test is that of a non-central F
(RRRC, RRFC) or chi-square (FRRC):

- RRRC: den = Var(T*R) + (K*/K)(Var - Cov1 + (J-1) max(Cov2 - Cov3, 0)),
  lambda = J d^2 / (2 den), df2 = den^2 / [(Var(T*R) + (K*/K)(Var - Cov1 - max(Cov2 - Cov3, 0)))^2 / (J-1)];
- FRRC: den = (K*/K)(Var - Cov1 + (J-1) max(Cov2 - Cov3, 0)), chi-square with 1 df;
- RRFC: den = Var(T*R) + (K*/K)(Var - Cov1 - max(Cov2 - Cov3, 0)), df2 = J - 1.

The formulas are the same as those of RJafroc's ``SsPowerGivenJK``, whose outputs on the
Van Dyke data the tests reproduce.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as _st

from ._mrmc import MRMCResult

__all__ = ["power", "sample_size"]

_KEYS = ("var_tr", "var", "cov1", "cov2", "cov3", "n_cases")


def _pilot(pilot) -> dict:
    if isinstance(pilot, MRMCResult):
        if len(pilot.modalities) < 2:
            raise ValueError("the pilot study needs two modalities to give Var(T*R)")
        return {"var_tr": pilot.var_tr, "var": pilot.var, "cov1": pilot.cov1, "cov2": pilot.cov2,
                "cov3": pilot.cov3, "n_cases": pilot.n_cases, "difference": pilot.difference}
    if isinstance(pilot, dict):
        missing = [k for k in _KEYS if k not in pilot]
        if missing:
            raise ValueError(f"pilot dict lacks {missing}; it needs {list(_KEYS)}")
        out = {k: float(pilot[k]) for k in _KEYS}
        if out["n_cases"] < 2:
            raise ValueError(f"pilot n_cases must be >= 2; got {pilot['n_cases']}")
        out["difference"] = pilot.get("difference")
        return out
    raise TypeError(f"pilot must be an MRMCResult or a dict of OR components; got {type(pilot).__name__}")


def _analysis(analysis) -> str:
    a = str(analysis).lower()
    if a not in ("rrrc", "frrc", "rrfc"):
        raise ValueError(f"analysis must be 'rrrc', 'frrc' or 'rrfc'; got {analysis!r}")
    return a


def _power(effect, J, K, p, analysis, alpha):
    J = np.asarray(J, dtype=float)
    K = np.asarray(K, dtype=float)
    s = p["n_cases"] / K
    vtr = max(p["var_tr"], 0.0)
    c23 = max(p["cov2"] - p["cov3"], 0.0)
    if analysis == "rrrc":
        den = vtr + s * (p["var"] - p["cov1"] + (J - 1) * c23)
        df2 = den ** 2 / ((vtr + s * (p["var"] - p["cov1"] - c23)) ** 2 / (J - 1))
    elif analysis == "frrc":
        den = s * (p["var"] - p["cov1"] + (J - 1) * c23)
        df2 = np.full(np.broadcast(J, K).shape, np.inf)
    else:
        den = vtr + s * (p["var"] - p["cov1"] - c23)
        df2 = np.broadcast_to(J - 1, np.broadcast(J, K).shape).astype(float)
    ncp = J * effect ** 2 / (2 * den)
    if analysis == "frrc":
        crit = np.full(np.shape(ncp), _st.chi2.ppf(1 - alpha, 1))
        pw = _st.ncx2.sf(crit, 1, ncp)
    else:
        crit = _st.f.ppf(1 - alpha, 1, df2)
        pw = _st.ncf.sf(crit, 1, df2, ncp)
    return pw, ncp, df2, crit, den


def power(n_readers, n_cases, *, pilot, effect=None, analysis="rrrc", alpha=0.05) -> dict:
    """Power of a two-modality MRMC ROC study with J readers and K cases.

    Parameters
    ----------
    n_readers : int
        Readers J in the planned study.
    n_cases : int
        Cases K in the planned study (same normal/abnormal mix as the pilot).
    pilot : MRMCResult or dict
        Pilot OR components: an :func:`mrmc` result (jackknife covariances recommended) or
        a dict with ``var_tr``, ``var``, ``cov1``, ``cov2``, ``cov3`` and ``n_cases``.
    effect : float, optional
        AUC difference to detect (default: the pilot's observed difference).
    analysis : {"rrrc", "frrc", "rrfc"}
    alpha : float
        Two-sided significance level.

    Returns
    -------
    dict
        ``power``, ``ncp`` (non-centrality), ``df2`` (inf for FRRC), ``critical_value``,
        ``den``, and the inputs.
    """
    p = _pilot(pilot)
    analysis = _analysis(analysis)
    effect = _effect(effect, p)
    J, K = _jk(n_readers, n_cases)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    pw, ncp, df2, crit, den = _power(effect, J, K, p, analysis, alpha)
    return {"analysis": analysis, "n_readers": J, "n_cases": K, "effect": effect, "alpha": alpha,
            "power": float(pw), "ncp": float(ncp), "df2": float(df2), "critical_value": float(crit),
            "den": float(den), "pilot_n_cases": int(p["n_cases"])}


def _effect(effect, p):
    if effect is None:
        effect = p.get("difference")
        if effect is None:
            raise ValueError("effect is required when the pilot dict has no 'difference'")
    effect = float(effect)
    if not np.isfinite(effect) or effect == 0:
        raise ValueError(f"effect must be a finite non-zero AUC difference; got {effect}")
    return effect


def _jk(J, K):
    if int(J) != J or J < 2:
        raise ValueError(f"n_readers must be an integer >= 2; got {J}")
    if int(K) != K or K < 2:
        raise ValueError(f"n_cases must be an integer >= 2; got {K}")
    return int(J), int(K)


def sample_size(*, pilot, n_readers=None, n_cases=None, effect=None, target_power=0.8,
                analysis="rrrc", alpha=0.05, max_n=100_000) -> dict:
    """Smallest number of cases (given readers) or readers (given cases) for a target power.

    Give exactly one of ``n_readers`` (then K is searched) or ``n_cases`` (then J is
    searched). The search runs upward from 2 and returns the smallest value whose power
    exceeds ``target_power`` (RJafroc's rule).

    Parameters
    ----------
    pilot : MRMCResult or dict
        See :func:`power`.
    n_readers, n_cases : int, optional
    effect : float, optional
        AUC difference (default: the pilot's observed difference).
    target_power : float
        Desired power, in (0, 1).
    analysis : {"rrrc", "frrc", "rrfc"}
    alpha : float
    max_n : int
        Give up beyond this many cases or readers.

    Returns
    -------
    dict
        ``n_readers``, ``n_cases`` and the ``power`` reached (plus :func:`power`'s fields).

    Raises
    ------
    ValueError
        When no value up to ``max_n`` reaches the power (e.g. RRRC power is capped by
        reader variance when J is too small).
    """
    p = _pilot(pilot)
    analysis = _analysis(analysis)
    effect = _effect(effect, p)
    if not 0 < target_power < 1:
        raise ValueError(f"target_power must be in (0, 1); got {target_power}")
    if (n_readers is None) == (n_cases is None):
        raise ValueError("give exactly one of n_readers (to size cases) or n_cases (to size readers)")
    grid = np.arange(2, int(max_n) + 1)
    for start in range(0, grid.size, 2000):
        g = grid[start:start + 2000]
        if n_readers is not None:
            J, _ = _jk(n_readers, 2)
            pw = _power(effect, J, g, p, analysis, alpha)[0]
        else:
            _, K = _jk(2, n_cases)
            pw = _power(effect, g, K, p, analysis, alpha)[0]
        hit = np.flatnonzero(pw > target_power)
        if hit.size:
            best = int(g[hit[0]])
            J, K = (n_readers, best) if n_readers is not None else (best, n_cases)
            out = power(J, K, pilot=pilot if not isinstance(pilot, dict) else p, effect=effect,
                        analysis=analysis, alpha=alpha)
            out["target_power"] = target_power
            return out
    what = "cases" if n_readers is not None else "readers"
    raise ValueError(f"no number of {what} up to max_n={max_n} reaches power {target_power} "
                     f"({analysis}, effect {effect})")
