"""``save`` / ``load`` of an acquisition, and ``victwin acquire`` read back by ``victwin recon``.

The references are the in-memory acquisition (every array byte for byte, every record field)
and the reconstruction of its own line integrals; the older directory layout and damaged files
are refused with one line naming the file.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from types import SimpleNamespace

import numpy as np
import pytest

from victwin.acquisition import Acquisition, acquire, load, save
from victwin.cli import main
from victwin.geometry import Grid
from victwin.phantom import Phantom
from victwin.recon import dbt_grid, reconstruct


def _phantom():
    grid = Grid((10, 40, 20), (4.5, 2.0, 2.0), (1.0, -39.0, 22.25))
    labels = np.ones(grid.shape, np.uint8)
    labels[:, :, 15:] = 0
    labels[3:6, 15:25, 3:8] = 2
    return SimpleNamespace(labels=labels, grid=grid,
                           materials={0: "air", 1: "adipose", 2: "glandular"},
                           meta={"thickness_mm": 45.0, "glandular_fraction_mass": 0.2})


@pytest.fixture(scope="module")
def dbt():
    return acquire(_phantom(), "mammomat-dbt", seed=3, case=2, binning=40, progress=False)


def _same(a: Acquisition, b: Acquisition):
    for name in ("raw", "processed", "flat_adu"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), name
    assert a.views == b.views and len(a.views) == len(b.views)
    assert asdict(a.technique) == asdict(b.technique)
    assert asdict(a.dose) == asdict(b.dose)
    assert a.windows == b.windows and a.detector == b.detector
    assert (a.system, a.modality, a.scan, a.seed, a.case, a.view_indices) == \
        (b.system, b.modality, b.scan, b.seed, b.case, b.view_indices)


def test_round_trip_keeps_every_byte_and_field(dbt, tmp_path):
    path = save(dbt, tmp_path / "a", provenance={"phantom": "p.npz"})
    assert path.name == "acquisition.json"
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "acquisition.json", "flat_adu.npy", "preview.png", "processed.npy", "raw.npy"]
    back = load(tmp_path / "a")
    _same(dbt, back)
    assert json.loads(path.read_text())["provenance"] == {"phantom": "p.npz"}
    np.testing.assert_array_equal(back.line_integrals(), dbt.line_integrals())


def test_round_trip_of_a_view_subset(tmp_path):
    dm = acquire(_phantom(), "mammomat-dbt", seed=1, binning=40, views=[0, 12], progress=False)
    dm.save(tmp_path / "s", preview=False)
    back = load(tmp_path / "s")
    _same(dm, back)
    assert back.view_indices == (0, 12) and back.technique.angles_deg[1] == 0.0


def test_line_integrals_follow_the_raw_images(dbt):
    # -ln((raw - offset) / flat) computed here in plain NumPy
    raw = dbt.raw.astype(np.float64) - dbt.detector["offset_adu"]
    expected = -np.log(np.maximum(raw, 0.5) / dbt.flat_adu.astype(np.float64))
    np.testing.assert_allclose(dbt.line_integrals(), expected, rtol=1e-6, atol=1e-6)
    # open field (air beside the phantom) is ~0; the phantom attenuates
    li = dbt.line_integrals()[12]
    assert abs(float(np.median(li[:, -3:]))) < 0.05 and float(li.max()) > 1.0


def test_victwin_acquire_is_read_back_by_victwin_recon(tmp_path, capsys):
    phantom = _phantom()
    Phantom(labels=phantom.labels, grid=phantom.grid, materials=phantom.materials,
            meta=phantom.meta).save(tmp_path / "p.npz")
    out = tmp_path / "acq"
    assert main(["acquire", str(tmp_path / "p.npz"), "--system", "mammomat-dbt", "--out",
                 str(out), "--binning", "40", "--seed", "5"]) == 0
    acq = load(out)
    assert acq.scan == "dbt" and acq.views[0].panel.shape == (75, 37)
    vol = tmp_path / "v.npy"
    assert main(["recon", str(out), "--out", str(vol), "--voxel-mm", "2.0", "--quiet"]) == 0
    grid = dbt_grid(acq.views, 45.0, voxel_xy_mm=2.0)
    ref = reconstruct(acq.line_integrals(), acq.views, grid, "fbp", thickness_mm=45.0,
                      progress=False)
    np.testing.assert_array_equal(np.load(vol), ref)
    capsys.readouterr()


def test_old_and_damaged_directories_are_refused_in_one_line(dbt, tmp_path, capsys):
    save(dbt, tmp_path / "a", preview=False)
    meta = tmp_path / "a" / "acquisition.json"
    record = json.loads(meta.read_text())
    del record["format"]
    meta.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="older victwin"):
        load(tmp_path / "a")
    assert main(["recon", str(tmp_path / "a"), "--out", str(tmp_path / "v.npy")]) == 2
    err = capsys.readouterr().err.strip()
    assert "older victwin" in err and len(err.splitlines()) == 1

    save(dbt, tmp_path / "b", preview=False)
    np.save(tmp_path / "b" / "raw.npy", dbt.raw[:3])
    with pytest.raises(ValueError, match=r"raw.npy.*expected uint16"):
        load(tmp_path / "b")
    (tmp_path / "b" / "acquisition.json").unlink()
    with pytest.raises(FileNotFoundError, match="not a complete acquisition"):
        load(tmp_path / "b")


def test_dm_acquisition_is_refused_by_recon(tmp_path, capsys):
    dm = acquire(_phantom(), "mammomat-dm", seed=1, binning=40, progress=False)
    save(dm, tmp_path, preview=False)
    assert main(["recon", str(tmp_path), "--out", str(tmp_path / "v.npy")]) == 2
    assert "recon needs 'dbt'" in capsys.readouterr().err
