"""``victwin recon`` of a lesion-local (region) DBT acquisition: FBP of the region's voxels, equal
to the full field's FBP on the same grid; iterative methods refused in one line."""

import json

import numpy as np
import pytest

from tests.acquisition._phantom import hetero_slab
from victwin.acquisition import Region, acquire, save
from victwin.cli import main
from victwin.geometry import Grid
from victwin.recon import reconstruct

SITE_MM = (25.0, 5.0, 40.0)


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    phantom = hetero_slab(40.0)
    kw = dict(seed=4, binning=8, rays_per_pixel=1, noise=False, progress=False)
    full = acquire(phantom, "mammomat-dbt", **kw)
    local = acquire(phantom, "mammomat-dbt", region=Region.around(SITE_MM, 9.0), **kw)
    d = tmp_path_factory.mktemp("region")
    save(local, d / "scan", preview=False)
    return full, d


def test_recon_of_a_region_equals_the_full_field_fbp_there(scans, tmp_path, capsys):
    full, d = scans
    out = tmp_path / "voi.npy"
    assert main(["recon", str(d / "scan"), "--method", "fbp", "--out", str(out),
                 "--quiet"]) == 0
    vol = np.load(out)
    g = json.loads((tmp_path / "voi.npy.json").read_text())["grid"]
    grid = Grid(shape=tuple(g["shape"]), spacing=tuple(g["spacing_mm"]),
                origin=tuple(g["origin_mm"]))
    # the grid's voxel centres are those of the region's box (z 35.5-44.5 mm, 1 mm slices)
    z = grid.origin[2] + grid.spacing[0] * np.arange(grid.shape[0])
    assert z.min() >= 35.5 - 1e-6 and z.max() <= 44.5 + 1e-6 and grid.shape[0] >= 9
    x = grid.origin[0] + grid.spacing[2] * np.arange(grid.shape[2])
    assert x.min() >= 20.5 - grid.spacing[2] and x.max() <= 29.5 + grid.spacing[2]
    tech = full.technique
    ref = reconstruct(full.line_integrals(), full.views, grid, "fbp",
                      thickness_mm=tech.compressed_thickness_mm,
                      support_mm=tech.sid_mm - tech.source_to_breast_mm, progress=False)
    rel = np.sqrt(np.mean((vol - ref) ** 2)) / np.sqrt(np.mean(ref ** 2))
    assert rel < 1e-2          # issue 14's DBT equivalence target


def test_iterative_recon_of_a_region_is_refused_in_one_line(scans, tmp_path, capsys):
    _, d = scans
    assert main(["recon", str(d / "scan"), "--method", "sart", "--out",
                 str(tmp_path / "v.npy")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "lesion-local (region) acquisition: --method sart needs the whole field" in err
