"""Trial statistics: ROC/AUC, DeLong, MRMC (Obuchowski-Rockette, DBM, U-statistics), clustered
ROC/MRMC (Obuchowski 1997: several ROIs per twin), sizing, subgroups and the iMRMC file format.

NumPy/SciPy only (never numba or cupy); every analysis reads a :class:`ScoreTable`, built from
plain arrays (:meth:`ScoreTable.from_arrays`) or read from an iMRMC list file
(:func:`read_imrmc`). Differences are always first modality minus second.
"""

from ._auc import (DeLongTest, auc, auc_ci, bootstrap_auc_ci, delong_cov, delong_test,
                   logit_auc_ci, placements)
from ._cluster import (ClusterSummary, clustered_auc_ci, clustered_auc_cov,
                       clustered_cell_covariance, clustered_mrmc)
from ._io import read_imrmc, write_imrmc
from ._mrmc import (CovMethod, DBMResult, MRMCResult, cell_covariance, dbm, mrmc, non_inferiority,
                    or_analysis)
from ._power import power, sample_size
from ._subgroups import (SubgroupResult, adjust_pvalues, count_label, forest_figure,
                         subgroup_analysis)
from ._table import ScoreTable
from ._ustat import oneshot_variance

__all__ = [
    "ScoreTable", "read_imrmc", "write_imrmc",
    "auc", "placements", "delong_cov", "delong_test", "DeLongTest", "auc_ci", "logit_auc_ci",
    "bootstrap_auc_ci",
    "mrmc", "MRMCResult", "CovMethod", "cell_covariance", "or_analysis", "dbm", "DBMResult",
    "non_inferiority", "oneshot_variance",
    "clustered_auc_cov", "clustered_auc_ci", "clustered_cell_covariance", "clustered_mrmc",
    "ClusterSummary",
    "power", "sample_size",
    "subgroup_analysis", "SubgroupResult", "adjust_pvalues", "count_label", "forest_figure",
]
