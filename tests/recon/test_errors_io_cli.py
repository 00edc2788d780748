"""Bad input gives one-line errors; scan directories round-trip; ``victwin recon`` end to end."""

import json

import numpy as np
import pytest

from victwin.cli import main
from victwin.geometry import View, tomosynthesis_arc
from victwin.raytrace import project_volume
from victwin.recon import dbt_grid, load_scan, reconstruct, save_scan

VIEWS = tomosynthesis_arc(9, 40.0, 50.0, detector_shape=(60, 24), pitch_mm=0.5)
GRID = dbt_grid(VIEWS, 6.0, voxel_xy_mm=1.0, extent_x_mm=(2, 10), extent_y_mm=(-4, 4))


@pytest.fixture(scope="module")
def p():
    x = np.zeros(GRID.shape, np.float32)
    x[2, 3:5, 3:5] = 0.5
    return project_volume(x, GRID, VIEWS)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(method="art"), ValueError,
     "method must be one of 'fbp', 'sbp', 'sart', 'sirt', got 'art'"),
    (dict(window="hamming"), ValueError, "window must be one of"),
    (dict(cutoff=0.0), ValueError, "cutoff must be"),
    (dict(method="sart", n_iter=0), ValueError, "n_iter must be an integer >= 1, got 0"),
    (dict(method="sart", n_subsets=10), ValueError, r"n_subsets must be an integer in 1..9"),
    (dict(method="sirt", relaxation=2.5), ValueError, r"relaxation must be in \(0, 2\)"),
    (dict(method="sbp", window="hann"), ValueError, "unknown option.*window.*'sbp'"),
    (dict(input="counts"), ValueError, "input must be one of"),
    (dict(input="intensity"), ValueError, "needs flat"),
    (dict(flat=-1.0), ValueError, "flat must be finite and > 0"),
    (dict(backend="gpu"), ValueError, "backend must be one of"),
])
def test_bad_options(p, kwargs, exc, match):
    method = kwargs.pop("method", "fbp")
    with pytest.raises(exc, match=match):
        reconstruct(p, VIEWS, GRID, method, progress=False, **kwargs)


def test_bad_arrays_and_geometry(p):
    with pytest.raises(ValueError, match=r"projections shape \(9, 60, 23\) does not match"):
        reconstruct(p[:, :, :23], VIEWS, GRID, progress=False)
    with pytest.raises(TypeError, match="projections must be a NumPy or CuPy array"):
        reconstruct(p.tolist(), VIEWS, GRID, progress=False)
    bad = p.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        reconstruct(bad, VIEWS, GRID, progress=False)
    with pytest.raises(ValueError, match="must be >= 0"):
        reconstruct(p - 1.0, VIEWS, GRID, input="transmission", progress=False)
    with pytest.raises(ValueError, match="give grid or thickness_mm"):
        reconstruct(p, VIEWS, progress=False)
    with pytest.raises(TypeError, match="grid must be a victwin.geometry.Grid"):
        reconstruct(p, VIEWS, (4, 4, 4), progress=False)
    moved = list(VIEWS)
    panel = VIEWS[0].panel
    from victwin.geometry import FlatPanel
    other = FlatPanel(shape=panel.shape, pitch=panel.pitch, center=(6.0, 1.0, 0.0))
    moved[3] = View(source=VIEWS[3].source, panel=other)
    with pytest.raises(ValueError, match=r"one fixed detector.*views\[3\]"):
        reconstruct(p, moved, GRID, progress=False)
    with pytest.raises(ValueError, match="fbp needs at least 2 views"):
        reconstruct(p[:1], VIEWS[:1], GRID, progress=False)
    with pytest.raises(ValueError, match="thickness_mm must be a finite number > 0"):
        dbt_grid(VIEWS, -3.0)
    with pytest.raises(ValueError, match="below the lowest source"):
        dbt_grid(VIEWS, 700.0)


def test_default_grid_from_thickness(p):
    vol = reconstruct(p, VIEWS, thickness_mm=6.0, method="sbp", progress=False)
    assert vol.shape == dbt_grid(VIEWS, 6.0).shape and vol.dtype == np.float32


def test_scan_round_trip(tmp_path, p):
    flat = np.full(p.shape[1:], 500.0, np.float32)
    raw = (flat * np.exp(-p)).astype(np.float32)
    save_scan(tmp_path / "s", raw, VIEWS, input="intensity", flat=flat, thickness_mm=6.0)
    scan = load_scan(tmp_path / "s")
    assert scan["views"] == VIEWS and scan["input"] == "intensity"
    np.testing.assert_array_equal(scan["projections"], raw)
    np.testing.assert_array_equal(scan["flat"], flat)
    assert scan["thickness_mm"] == 6.0 and scan["support_mm"] == 20.0
    with pytest.raises(ValueError, match="flat is required for input='intensity'"):
        save_scan(tmp_path / "t", raw, VIEWS, input="intensity")


def test_cli_writes_volume_grid_and_preview(tmp_path, p, capsys):
    save_scan(tmp_path / "scan", p, VIEWS, thickness_mm=6.0)
    out = tmp_path / "vol.npy"
    rc = main(["recon", str(tmp_path / "scan"), "--method", "fbp", "--out", str(out),
               "--voxel-mm", "1.0", "--quiet", "--json", str(tmp_path / "run.json")])
    assert rc == 0
    vol = np.load(out)
    grid = dbt_grid(VIEWS, 6.0, voxel_xy_mm=1.0)
    expected = reconstruct(p, VIEWS, grid, "fbp", progress=False)
    np.testing.assert_array_equal(vol, expected)
    meta = json.loads((tmp_path / "vol.npy.json").read_text())
    assert meta["grid"]["shape"] == list(grid.shape)
    png = tmp_path / "vol.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "run.json").read_text())["method"] == "fbp"
    rc = main(["recon", str(tmp_path / "scan"), "--method", "sart", "--n-iter", "2",
               "--out", str(tmp_path / "vol.zarr"), "--voxel-mm", "1.0", "--quiet"])
    assert rc == 0
    import zarr

    z = zarr.open_array(str(tmp_path / "vol.zarr"), mode="r")
    assert z.shape == grid.shape and z.attrs["method"] == "sart"


@pytest.mark.parametrize("argv, match", [
    (["recon", "{missing}", "--out", "{tmp}/v.npy"], "does not exist"),
    (["recon", "{scan}", "--out", "{tmp}/v.txt"], "--out must end in .npy or .zarr"),
    (["recon", "{scan}", "--out", "{tmp}/v.npy", "--n-iter", "3"], "--n-iter applies to sart"),
    (["recon", "{empty}", "--out", "{tmp}/v.npy"], "views.json.*is missing"),
    (["recon", "{broken}", "--out", "{tmp}/v.npy"], "is not valid JSON"),
])
def test_cli_errors_are_one_line(tmp_path, p, capsys, argv, match):
    save_scan(tmp_path / "scan", p, VIEWS, thickness_mm=6.0)
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "views.json").write_text("{not json")
    names = {"missing": tmp_path / "nope", "tmp": tmp_path, "scan": tmp_path / "scan",
             "empty": tmp_path / "empty", "broken": tmp_path / "broken"}
    rc = main([a.format(**names) for a in argv] + ["--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.startswith("victwin: error: ") and "\n" not in err
    import re

    assert re.search(match, err), err
    assert not (tmp_path / "v.npy").exists()
