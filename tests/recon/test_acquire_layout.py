"""``victwin recon`` reads a ``victwin acquire --out DIR`` directory (DBT system).

The directory is written here the way ``victwin acquire`` lays it out (``acquisition.json``,
``raw.npy`` = offset + flat * exp(-p), ``flat_adu.npy``, ``processed.npy`` with per-view
windows), from line integrals ``p`` of a known object, so the expected reconstruction is
``reconstruct(p, ...)`` of those line integrals.
"""

import json

import numpy as np
import pytest

from victwin.cli import main
from victwin.raytrace import project_volume
from victwin.recon import dbt_grid, load_scan, reconstruct
from victwin.systems import load as load_system

from ._phantoms import ball

OFFSET = 40.0
THICKNESS = 4.0


@pytest.fixture(scope="module")
def acquisition(tmp_path_factory):
    views = load_system("mammomat-dbt").views(10)  # 300 x 150 pixels of 0.85 mm
    vol, g = ball((40.0, 5.0, 22.0), 3.0, 0.3, voxel_mm=0.25)
    p = project_volume(vol, g, views)
    flat = np.full(p.shape, 1.0e4, np.float32)
    raw = np.round(OFFSET + flat * np.exp(-p)).astype(np.uint16)
    lo, hi = 0.0, float(p.max())
    processed = np.round(np.clip((p - lo) / (hi - lo), 0, 1) * 4095).astype(np.uint16)
    d = tmp_path_factory.mktemp("acq")
    np.save(d / "raw.npy", raw)
    np.save(d / "processed.npy", processed)
    np.save(d / "flat_adu.npy", flat)
    record = {"system": "mammomat-dbt", "modality": "MG", "scan": "dbt", "n_views": 25,
              "image_shape": list(p.shape[1:]), "windows": [[lo, hi]] * 25,
              "exposure": {"compressed_thickness_mm": THICKNESS},
              "detector": {"offset_adu": OFFSET}}
    (d / "acquisition.json").write_text(json.dumps(record))
    return d, views, p


def test_raw_with_flat_is_log_normalised(acquisition, tmp_path):
    d, views, p = acquisition
    scan = load_scan(d)
    assert scan["views"] == views and scan["input"] == "intensity" and not scan["lossy"]
    assert scan["thickness_mm"] == THICKNESS and scan["support_mm"] == 20.0
    out = tmp_path / "v.npy"
    assert main(["recon", str(d), "--out", str(out), "--voxel-mm", "1.0", "--quiet"]) == 0
    grid = dbt_grid(views, THICKNESS, voxel_xy_mm=1.0)
    ref = reconstruct(p, views, grid, "fbp", progress=False)
    # raw is rounded to whole ADU (1e-4 of the flat): a small difference only
    np.testing.assert_allclose(np.load(out), ref, atol=0.01 * float(ref.max()))


def test_processed_images_are_a_lossy_fallback(acquisition, tmp_path, capsys):
    d, views, p = acquisition
    lossy = tmp_path / "acq"
    lossy.mkdir()
    for name in ("processed.npy", "acquisition.json"):
        (lossy / name).write_bytes((d / name).read_bytes())
    scan = load_scan(lossy)
    assert scan["lossy"] and scan["input"] == "line_integrals"
    np.testing.assert_allclose(scan["projections"], p, atol=float(p.max()) / 4095)
    assert main(["recon", str(lossy), "--out", str(tmp_path / "w.npy"), "--voxel-mm", "1.0",
                 "--quiet"]) == 0
    assert "warning" in capsys.readouterr().err


def test_dm_acquisition_is_refused(tmp_path, capsys):
    (tmp_path / "acquisition.json").write_text(json.dumps(
        {"system": "mammomat-dm", "scan": "dm", "n_views": 1, "image_shape": [10, 10]}))
    assert main(["recon", str(tmp_path), "--out", str(tmp_path / "v.npy")]) == 2
    assert "recon needs 'dbt'" in capsys.readouterr().err
