"""The command line: help, one-line errors, and the demo command."""

import subprocess
import sys
from pathlib import Path

from victwin.cli import main


def test_help_lists_every_command(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for cmd in ("demo", "plan", "run", "status", "report", "phantom", "acquire", "recon",
                "stats", "dicom"):
        assert cmd in out


def test_console_script_help():
    res = subprocess.run([sys.executable, "-m", "victwin", "--help"], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0 and "victwin" in res.stdout


def test_demo_runs_a_trial_and_writes_its_report(tmp_path, capsys):
    tiny = Path(__file__).resolve().parents[1] / "trial" / "tiny.toml"
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--spec", str(tiny), "--workers", "1",
                 "--backend", "cpu", "--quiet", "--json", str(tmp_path / "demo.json")]) == 0
    text = capsys.readouterr().out
    assert "mean AUC: DM" in text and f"report: {out / 'report.html'}" in text
    assert (out / "report.html").is_file()
    import json

    saved = json.loads((tmp_path / "demo.json").read_text())
    assert saved["counts"]["done"] == 6 and "mrmc" in saved["analysis"]


def test_user_error_is_one_line(tmp_path, capsys, monkeypatch):
    import victwin.trial

    def boom(*a, **k):
        raise ValueError("detector_shape must be 2 positive integers, got (0, 3)")

    monkeypatch.setattr(victwin.trial, "run_trial", boom)
    assert main(["demo", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("victwin: error: detector_shape must be 2 positive integers, "
                           "got (0, 3)")


def test_outcome_line_of_an_analysis_without_a_test(capsys):
    """A run whose readers and twins show no variance (SE 0: the F test is undefined, p
    None in results.json, e.g. the 3 test twins of tests/trial/tiny.toml) still prints its
    outcome line, with p = n/a."""
    from victwin.cli._trial import _print_outcome

    rrrc = {"ci": [0.0, 0.0], "p": None, "se": 0.0}
    mrmc = {"mean_auc": {"DM": 5 / 9, "DBT": 5 / 9}, "difference": 0.0, "rrrc": rrrc}
    _print_outcome({"counts": {"done": 6, "failed": 0, "pending": 0}, "run_dir": "r",
                    "analysis": {"modalities": ["DM", "DBT"], "mrmc": mrmc,
                                 "mrmc_clustered": mrmc,
                                 "headline": {"analysis": "mrmc_clustered"}}})
    assert ("mean AUC: DM 0.556, DBT 0.556; DM - DBT = +0.000 (95% CI +0.000 to +0.000, "
            "p = n/a, random readers and twins)") in capsys.readouterr().out
