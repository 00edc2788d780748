"""from_acquisition: the acquisition engine's output lands in the right DICOM attributes."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pydicom
import pytest

import victwin.acquisition as acquire_module
from victwin.dicom import SyntheticSubject, from_acquisition, read_study
from victwin.geometry import Grid



@pytest.fixture(scope="module")
def acquisitions():
    grid = Grid((10, 40, 20), (4.5, 2.0, 2.0), (1.0, -39.0, 22.25))
    labels = np.ones(grid.shape, np.uint8)
    labels[:, :, 15:] = 0
    labels[3:6, 15:25, 3:8] = 2
    phantom = SimpleNamespace(labels=labels, grid=grid,
                              materials={0: "air", 1: "adipose", 2: "glandular"},
                              meta={"thickness_mm": 45.0, "glandular_fraction_mass": 0.2})
    dm = acquire_module.acquire(phantom, "mammomat-dm", seed=1, binning=40, progress=False)
    dbt = acquire_module.acquire(phantom, "mammomat-dbt", seed=1, binning=40, progress=False)
    return dm, dbt


def test_from_acquisition_records_engine_values(tmp_path, acquisitions):
    dm, dbt = acquisitions
    files = from_acquisition([dm, dbt], tmp_path / "study",
                             subject=SyntheticSubject("T9", "C1", 61), laterality="R")
    assert [f.name for f in files] == ["DM_PROC.dcm", "DM_PRES.dcm", "BPX.dcm"]
    ds = pydicom.dcmread(files[0])
    assert float(ds.KVP) == pytest.approx(dm.technique.kvp)
    assert ds.ExposureInuAs == round(dm.technique.mas_total * 1000)
    assert ds.FilterMaterial == "RHODIUM"  # the added filter, not the Be window
    assert float(ds.HalfValueLayer) == pytest.approx(dm.technique.hvl_mm_al, abs=1e-4)
    assert float(ds.OrganDose) == pytest.approx(dm.dose.mgd_mgy / 100, rel=1e-6)  # dGy
    assert float(ds.EntranceDoseInmGy) == pytest.approx(dm.dose.entrance_air_kerma_mgy,
                                                        rel=1e-6)
    assert float(ds.ImagerPixelSpacing[0]) == pytest.approx(dm.technique.pixel_spacing_mm)
    assert ds.ImageLaterality == "R"
    st = read_study(tmp_path / "study")
    np.testing.assert_array_equal(st.images["dm_raw"], dm.raw[0])
    np.testing.assert_array_equal(st.images["dm_processed"], dm.processed[0])
    np.testing.assert_array_equal(st.images["projections"], dbt.raw)
    np.testing.assert_allclose(st.projection_angles_deg, dbt.technique.angles_deg, atol=1e-4)
