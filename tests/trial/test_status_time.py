"""``victwin status``'s mean time per case: each stage counted once (the dotted timing keys split
or regroup the top-level stages)."""

from __future__ import annotations

import pytest


def test_status_time_per_case_counts_each_stage_once(tmp_path):
    # conftest's synthetic cases record phantom 2.0 + 0.1 case_id, lesion 0.3, acquisition
    # 4.0 (with its sub-stages acquisition.raytrace 3.1 and .detector 0.6 inside it), roi 0.05
    # and reconstruction+roi 1.7 s: the mean over the finished cases, by hand
    from victwin.trial import trial_status

    from .conftest import N_CASES, N_FAILED, build_run

    store, _, _ = build_run(tmp_path / "run", analyse=False)
    store.close()
    done = range(N_CASES - N_FAILED)
    want = sum(2.0 + 0.1 * c + 0.3 + 4.0 + 0.05 + 1.7 for c in done) / len(done)
    assert trial_status(tmp_path / "run")["mean_case_s"] == pytest.approx(want, rel=1e-12)
