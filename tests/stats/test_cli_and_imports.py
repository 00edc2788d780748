"""``victwin stats`` command line, and the no-numba/no-cupy rule for victwin.stats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from victwin.cli import main

DATA = Path(__file__).parent / "data"
Q = json.loads((DATA / "vandyke_expected.json").read_text())["quantities"]


def _ref(path):
    q = Q
    for p in path.split("/"):
        q = q[p]
    return q


@pytest.mark.parametrize("cov,key", [("jackknife", "or_jackknife"), ("delong", "or_delong"),
                                     ("unbiased", "or_unbiased")])
def test_mrmc_json_has_the_contract_keys_and_the_published_numbers(tmp_path, capsys, cov, key):
    out = tmp_path / "o.json"
    assert main(["stats", "mrmc", str(DATA / "vandyke.imrmc"), "--cov", cov, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "RRRC" in printed and "FRRC" in printed and "RRFC" in printed
    d = json.loads(out.read_text())
    assert set(d["reader_auc"]) == {"1", "2"} and set(d["reader_auc"]["1"]) == set("12345")
    for m in "12":
        for ref in _ref(f"auc/modality_mean/{m}"):
            assert abs(d["mean_auc"][m] - ref["value"]) <= ref["tol"]
    for ref in _ref("auc/mean_difference/1-2"):
        assert abs(d["difference"] - ref["value"]) <= ref["tol"]
    for k in ("var", "cov1", "cov2", "cov3"):
        for ref in _ref(f"{key}/covariances/{k}"):
            assert abs(d["cov"][k] - ref["value"]) <= ref["tol"]
    for ref in _ref(f"{key}/rrrc/F"):
        assert abs(d["rrrc"]["statistic"] - ref["value"]) <= ref["tol"]
    for ref in _ref(f"{key}/rrrc/ddf"):
        assert abs(d["rrrc"]["ddf"] - ref["value"]) <= ref["tol"]
    for ref in _ref(f"{key}/rrrc/diff/1-2/ci_lower"):
        assert abs(d["rrrc"]["ci"][0] - ref["value"]) <= ref["tol"]
    for name in ("rrrc", "frrc", "rrfc"):
        assert {"statistic", "p", "se", "ci"} <= set(d[name])
    assert "ddf" in d["rrrc"] and "df" in d["frrc"] and "df" in d["rrfc"]
    if cov == "jackknife":
        for ref in _ref("or_jackknife/frrc/chi2"):
            assert abs(d["frrc"]["statistic"] - ref["value"]) <= ref["tol"]
        for ref in _ref("or_jackknife/rrfc/F"):
            assert abs(d["rrfc"]["statistic"] - ref["value"]) <= ref["tol"]
        for ref in _ref("dbm_jackknife/rrrc/F"):
            assert abs(d["dbm"]["rrrc"]["statistic"] - ref["value"]) <= ref["tol"]


def test_power_command(tmp_path, capsys):
    out = tmp_path / "p.json"
    assert main(["stats", "power", "--pilot", str(DATA / "vandyke.imrmc"), "--readers", "6",
                 "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["n_cases"] == 251   # RJafroc SsSampleSizeKGivenJ(dataset02, J = 6)
    assert main(["stats", "power", "--components", "0.0002004,0.00080229,0.00034661,0.00034407,0.00023903,114",
                 "--readers", "10", "--cases", "165", "--effect", "-0.043800322"]) == 0
    assert "0.805" in capsys.readouterr().out   # RJafroc: 0.80541995 (components rounded here)


def test_malformed_file_is_one_line_and_exit_2(tmp_path, capsys):
    p = tmp_path / "bad.imrmc"
    p.write_text("BEGIN DATA:\n-1,1,truth,0\n-1,2,truth,1\nr,1,A,1\nr,2,A,x\n")
    out = tmp_path / "o.json"
    assert main(["stats", "mrmc", str(p), "--json", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("victwin: error:") and "line 5" in err and "\n" not in err
    assert not out.exists()


def test_stats_does_not_import_numba_or_cupy():
    code = ("import sys, victwin.stats, victwin.stats._subgroups; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('numba', 'cupy')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_mrmc_oneshot_option(tmp_path):
    out = tmp_path / "o.json"
    assert main(["stats", "mrmc", str(DATA / "vandyke.imrmc"), "--oneshot", "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    for ref in _ref("or_unbiased/rrrc/diff/1-2/se"):   # MRMCaov; equal by the derived identity
        assert abs(d["oneshot"]["differences"]["1-2"]["se"] - ref["value"]) <= ref["tol"]


def test_mrmc_clusters_option(tmp_path, capsys):
    """Singleton clusters: the clustered analysis is OR with DeLong covariances, whose Van Dyke
    F and ddf are published (MRMCaov JSS paper: 4.484854, 15.06611)."""
    from victwin.stats import read_imrmc

    cases = read_imrmc(DATA / "vandyke.imrmc").cases
    cl = tmp_path / "clusters.csv"
    cl.write_text("case,cluster\n" + "".join(f"{c},twin{c}\n" for c in cases))
    out = tmp_path / "o.json"
    assert main(["stats", "mrmc", str(DATA / "vandyke.imrmc"), "--clusters", str(cl),
                 "--json", str(out)]) == 0
    assert "Clustered analysis" in capsys.readouterr().out
    d = json.loads(out.read_text())["clustered"]
    assert d["cov_method"] == "clustered" and d["clusters"]["n_clusters"] == len(cases)
    assert abs(d["rrrc"]["statistic"] - 4.484854) <= 5e-7
    assert abs(d["rrrc"]["ddf"] - 15.06611) <= 5e-6
    bad = tmp_path / "bad.csv"
    bad.write_text("id;twin\n1;a\n")
    assert main(["stats", "mrmc", str(DATA / "vandyke.imrmc"), "--clusters", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "first line must be 'case,cluster'" in err[0]
