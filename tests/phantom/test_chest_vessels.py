"""Pulmonary artery calibres of the chest twins by Strahler order, against angiograms.

Reference: Horsfield K, Thomas M. Morphometry of pulmonary arteries from angiograms in chronic
obstructive lung disease. Thorax 1981;36:360-365 (abstract, https://thorax.bmj.com/content/36/5/360):
pulmonary angiograms of 16 patients, six normal; arteries ordered by Strahler's method
(peripheral branches lowest, the main pulmonary artery highest); "six orders of branching were
found in vessels of 1 mm diameter or greater, and a plot of log mean diameter versus order
from the normal angiograms was linear"; orders 2, 3 and 4 have "diameter 2 to 7 mm".

The twins' arterial trees (one per lung, from a 14 mm hilar root) are ordered the same way,
vessels >= 1 mm only, the main pulmonary artery counted as one more order above them.
"""

import math

import numpy as np
import pytest

from victwin.phantom.chest import make_chest, vessel_trees
from victwin.phantom.chest.trees import strahler_orders

#: Horsfield & Thomas 1981 (abstract): normal angiograms, vessels >= 1 mm.
ANGIOGRAM_MIN_DIAMETER_MM = 1.0
ANGIOGRAM_ORDERS = 6                     # main pulmonary artery included
ANGIOGRAM_ORDERS_2_TO_4_MM = (2.0, 7.0)
SEEDS = (0, 1, 2)                        # three NHANES bodies (all drawn as men at these seeds)


def _row(parent, d_mm):
    # a branch row as grow_tree writes it: start, end, radius at start/end, generation, parent
    return [0, 0, 0, 0, 0, 0, d_mm / 2, d_mm / 2, 0, parent]


def test_strahler_orders_of_hand_made_trees():
    # symmetric: root -> 2 -> 4 leaves: orders 3, 2, 2, 1, 1, 1, 1
    rows = np.array([_row(-1, 8), _row(0, 6), _row(0, 6), _row(1, 4), _row(1, 4),
                     _row(2, 4), _row(2, 4)], float)
    assert strahler_orders(rows).tolist() == [3, 2, 2, 1, 1, 1, 1]
    # asymmetric: a side branch of order 1 does not raise its parent's order
    rows = np.array([_row(-1, 8), _row(0, 6), _row(0, 2), _row(1, 4), _row(1, 4)], float)
    assert strahler_orders(rows).tolist() == [2, 2, 1, 1, 1]
    # the diameter cut removes thin branches and everything below a removed branch
    assert strahler_orders(rows, min_diameter_mm=3.0).tolist() == [2, 2, 0, 1, 1]
    assert strahler_orders(rows, min_diameter_mm=5.0).tolist() == [1, 1, 0, 0, 0]
    below = np.array([_row(-1, 8), _row(0, 2), _row(1, 4)], float)   # a 4 mm branch under 2 mm
    assert strahler_orders(below, min_diameter_mm=3.0).tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match="parent row before"):
        strahler_orders(rows[::-1])


def test_vessel_trees_are_the_trees_make_chest_paints():
    ph = make_chest("chest/adult", seed=4, voxel_mm=3.0, progress=False)
    trees = vessel_trees("chest/adult", seed=4, voxel_mm=3.0)
    assert [(k, s) for k, s, _ in trees] == [("artery", -1), ("vein", -1), ("artery", 1),
                                           ("vein", 1)]
    assert sum(len(r) for _, _, r in trees) == ph.meta["n_branches"]["vessels"]


@pytest.fixture(scope="module")
def arterial_orders():
    """Per lung and seed: mean diameter (mm) of each Strahler order of vessels >= 1 mm."""
    out = []
    for seed in SEEDS:
        for kind, _, rows in vessel_trees("chest/adult", seed=seed, voxel_mm=1.0):
            if kind != "artery":
                continue
            order = strahler_orders(rows, min_diameter_mm=ANGIOGRAM_MIN_DIAMETER_MM)
            d = 2.0 * rows[:, 6]
            means = [d[order == k].mean() for k in range(1, order.max() + 1)]
            out.append((d[0], np.array(means)))
    return out


def test_log_mean_diameter_is_linear_in_order(arterial_orders):
    # Horsfield & Thomas: log mean diameter vs order linear on normal angiograms
    for _, means in arterial_orders:
        k = np.arange(1, len(means) + 1)
        r = np.corrcoef(k, np.log(means))[0, 1]
        assert r ** 2 > 0.98, means
        assert np.all(np.diff(means) > 0)


@pytest.mark.xfail(strict=True, reason=(
    "known disagreement (2026-12-02): the Kitaoka trees branch too symmetrically for their "
    "Strahler structure: 9-10 orders of >= 1 mm arteries per lung (10-11 with the main "
    "pulmonary artery) against 6 on angiograms, a diameter ratio of ~1.34 per order, and "
    "orders 2-4 of 1.4-2.8 mm against 2-7 mm; calibres by order are too small. "
    "docs/phantoms/chest.md, 'Vessel calibres by order'"))
def test_orders_and_calibres_match_normal_angiograms(arterial_orders):
    for _, means in arterial_orders:
        n_orders = len(means) + 1               # + the main pulmonary artery
        assert abs(n_orders - ANGIOGRAM_ORDERS) <= 1, n_orders
        lo, hi = ANGIOGRAM_ORDERS_2_TO_4_MM
        assert lo * 0.8 <= means[1] and means[3] <= hi * 1.2, means[1:4]


def test_the_disagreement_is_the_order_structure_not_the_root(arterial_orders):
    # what the twins get right: the root is the hilar artery (14 mm x height / 175, below
    # Chang 1967's 16 mm limit of the descending artery), the smallest order sits at the 1 mm
    # cut; between them the twins have too many orders of too small a ratio
    for root_mm, means in arterial_orders:
        assert 12.0 <= root_mm <= 16.0
        assert 1.0 <= means[0] <= 1.3
        ratio = math.exp(np.polyfit(np.arange(len(means)), np.log(means), 1)[0])
        assert 1.25 <= ratio <= 1.45, ratio     # Murray's cube law, symmetric: 2^(1/3) = 1.26
