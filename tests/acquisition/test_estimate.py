"""The estimate `victwin acquire` prints against the measured full-resolution acquisitions."""

from types import SimpleNamespace

import numpy as np
import pytest

from victwin.acquisition import estimate_acquisition


@pytest.mark.parametrize("system, measured_s", [
    # benchmarks/acquire.py on the 2-core machine (NOTES.md "Measured"): a 0.1 mm, 45 mm thick
    # breast; DM at 85 um 22 s, 25-view DBT at 85 um 358 s.
    ("mammomat-dm", 22.0),
    ("mammomat-dbt", 358.0),
])
def test_estimate_is_within_3x_of_the_measured_time(system, measured_s):
    # Only the phantom's depth in voxels, its label count and size enter the estimate.
    phantom = SimpleNamespace(labels=np.zeros((450, 1, 9), np.uint8))
    est = estimate_acquisition(phantom, system, n_labels=9)
    assert measured_s / 3 < est["seconds"] < 3 * measured_s
    assert est["views"] == (1 if system.endswith("dm") else 25)
    assert est["detector"] == (3000, 1500)  # 85 um, unbinned
