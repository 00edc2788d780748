"""Coverage of 95% CIs of an AUC when ROIs come in clusters (twins): clustered (Obuchowski
1997) against ROI-level (DeLong), on simulated data with a known expected AUC.

    PYTHONPATH=. python docs/stats/clustered_coverage.py [n_replicates]

Designs: VICTRE-like twins (4 lesion-present + 12 lesion-absent ROIs) whose anatomy makes all
their lesions more or less conspicuous (twin-level signal SD 1, noise SD 1, mean signal 1);
and today's trial design, one present and one absent ROI per twin sharing an additive anatomy
term (SD 1.5). Prints coverage, mean SEs and their ratio.
"""

import sys

import numpy as np
from scipy import stats as sst

from victwin.stats import clustered_auc_ci, delong_cov

DESIGNS = {"VICTRE-like, 40 twins x (4 present + 12 absent), shared conspicuity":
           (40, 4, 12, 1.0, 0.0),
           "1 present + 1 absent per twin, 60 twins, shared additive anatomy": (60, 1, 1, 0.0, 1.5)}


def simulate(rng, n_twins, m, n, sd_signal, sd_shared, d=1.0):
    cl = np.repeat(np.arange(n_twins), m + n)
    truth = np.tile(np.r_[np.ones(m), np.zeros(n)], n_twins).astype(int)
    signal = (d + sd_signal * rng.standard_normal(n_twins))[cl]
    shared = sd_shared * rng.standard_normal(n_twins)[cl]
    return shared + truth * signal + rng.standard_normal(cl.size), truth, cl


def expected_auc(n_twins, sd_signal, sd_shared, d=1.0):
    within = 1.0 / n_twins
    return (within * sst.norm.cdf(d / np.sqrt(2 + sd_signal ** 2))
            + (1 - within) * sst.norm.cdf(d / np.sqrt(2 + sd_signal ** 2 + 2 * sd_shared ** 2)))


def main(n_rep=2000):
    z = sst.norm.ppf(0.975)
    for name, (I, m, n, ss, sh) in DESIGNS.items():
        rng = np.random.default_rng(1)
        a0 = expected_auc(I, ss, sh)
        hc = hn = 0
        sec, sen = [], []
        for _ in range(n_rep):
            s, t, cl = simulate(rng, I, m, n, ss, sh)
            a, se, ci = clustered_auc_ci(s, t, cl)
            _, dv = delong_cov(s, t)
            se_n = float(np.sqrt(dv[0, 0]))
            hc += ci[0] <= a0 <= ci[1]
            hn += abs(a - a0) <= z * se_n
            sec.append(se)
            sen.append(se_n)
        print(f"{name}: expected AUC {a0:.4f}; 95% CI coverage over {n_rep}: clustered "
              f"{hc / n_rep:.3f}, ROI-level {hn / n_rep:.3f}; mean SE clustered "
              f"{np.mean(sec):.4f}, ROI-level {np.mean(sen):.4f} (ratio "
              f"{np.mean(sec) / np.mean(sen):.2f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
