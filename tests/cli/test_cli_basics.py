"""The command line: help, one-line errors, and the foundation demo."""

import subprocess
import sys

import numpy as np

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


def test_demo_writes_projection(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--backend", "cpu"]) == 0
    image = np.load(tmp_path / "demo-projection.npy")
    assert (tmp_path / "demo-projection.png").stat().st_size > 10_000
    # transmission: 1 outside the breast (air), well below 1 behind 45 mm of tissue
    assert image.max() == 1.0
    assert 0.01 < image[image.shape[0] // 2, 10] < 0.2
    assert "wrote" in capsys.readouterr().out


def test_user_error_is_one_line(tmp_path, capsys, monkeypatch):
    import victwin._demo

    def boom(*a, **k):
        raise ValueError("detector_shape must be 2 positive integers, got (0, 3)")

    monkeypatch.setattr(victwin._demo, "demo_projection", boom)
    assert main(["demo", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("victwin: error: detector_shape must be 2 positive integers, "
                           "got (0, 3)")
