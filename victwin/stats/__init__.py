"""Trial statistics: ROC/AUC, DeLong, MRMC (Obuchowski-Rockette, DBM, U-statistics), sizing,
subgroups and the iMRMC file format. NumPy/SciPy only (no numba, no cupy)."""

from ._auc import DeLongTest, auc, auc_ci, bootstrap_auc_ci, delong_cov, delong_test, placements
from ._io import read_imrmc, write_imrmc
from ._mrmc import (CovMethod, DBMResult, MRMCResult, cell_covariance, dbm, mrmc, non_inferiority,
                    or_analysis)
from ._table import ScoreTable

__all__ = [
    "ScoreTable", "read_imrmc", "write_imrmc",
    "auc", "placements", "delong_cov", "delong_test", "DeLongTest", "auc_ci", "bootstrap_auc_ci",
    "mrmc", "MRMCResult", "CovMethod", "cell_covariance", "or_analysis", "dbm", "DBMResult",
    "non_inferiority",
]
