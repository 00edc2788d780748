"""``victwin plan`` of lesion-local specs: estimates from the recorded per-site costs, scaled by
sites per twin (hand-computed here), and a GPU line only from a measured figure."""

import copy
import tomllib
from pathlib import Path

import pytest

from victwin.trial import plan_trial, spec_from_dict
from victwin.trial import _plan

DEMO = tomllib.loads((Path(__file__).resolve().parents[2] / "examples" / "demo-victre.toml").read_text())


def _spec(sites, previews=False):
    d = copy.deepcopy(DEMO)
    d["cohort"]["sites"] = sites
    d["storage"] = {"previews": previews}
    return spec_from_dict(d)


def test_estimate_is_the_measured_cost_per_site_times_the_sites(monkeypatch):
    costs = {"source": "test", "pitch_mm": 0.085, "rays_per_pixel": 2, "load": 1.0,
             "phantom_cpu_s_per_mvoxel": 0.2, "twin_cpu_s": 30.0, "dm_site_cpu_s": 3.0,
             "dbt_site_cpu_s": 40.0}
    monkeypatch.setattr(_plan, "LESION_LOCAL", costs)
    small = plan_trial(_spec({"mass": 1, "calcification": 1, "absent": 2}))
    big = plan_trial(_spec({"mass": 4, "calcification": 4, "absent": 12}))
    n = small["cases"]
    # by hand: (twin (windows: no whole fine phantom) + sites x (DM + DBT)) CPU seconds / the
    # quiet machine's speed-up
    for plan, sites in ((small, 4), (big, 20)):
        per_case = (30.0 + sites * (3.0 + 40.0)) / _plan.QUIET_SPEEDUP
        assert plan["estimated_s"]["cpu"] == pytest.approx(n * per_case, rel=1e-9)
    assert "cuda" not in big["estimated_s"]
    assert not any("cuda" in line or "GPU target" in line for line in big["lines"][:-1])


def test_previews_add_a_full_field_and_unmeasured_costs_say_so(monkeypatch):
    costs = dict(_plan.LESION_LOCAL, phantom_cpu_s_per_mvoxel=0.2, twin_cpu_s=30.0,
                 dm_site_cpu_s=3.0, dbt_site_cpu_s=40.0)
    monkeypatch.setattr(_plan, "LESION_LOCAL", costs)
    sites = {"mass": 1, "absent": 1}
    assert plan_trial(_spec(sites, previews=True))["estimated_s"]["cpu"] > \
        plan_trial(_spec(sites))["estimated_s"]["cpu"]
    monkeypatch.setattr(_plan, "LESION_LOCAL", dict(costs, dbt_site_cpu_s=None))
    lines = plan_trial(_spec(sites))["lines"]
    assert any("not measured" in line for line in lines)


def test_gpu_line_is_the_measured_region_cost_times_the_regions(monkeypatch):
    """The GPU line: the recorded per-region figure (an H200 run) times each twin's regions
    (20 VICTRE sites) times the cases, named with its source; not a target."""
    monkeypatch.setattr(_plan, "THROUGHPUT", dict(_plan.THROUGHPUT, cuda={
        "gpu": "Test GPU", "exam_s": 5.0, "region_s": 1.5, "source": "test.json"}))
    plan = plan_trial(_spec({"mass": 4, "calcification": 4, "absent": 12}))
    line = next(ln for ln in plan["lines"] if ln.startswith("on a GPU"))
    assert "Test GPU" in line and "test.json" in line
    assert _plan._fmt_time(plan["cases"] * 20 * 1.5) in line
    assert "20 lesion-local DM + DBT regions of 1.5 s" in line
