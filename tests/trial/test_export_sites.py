"""DICOM export of a multi-site case (``cohort.sites``): the SEG and the SR hold every lesion.

The case is the tiny spec's (1 mm voxels, 1.36 mm pixels, 5-view DBT) with two masses, one
calcification cluster and two lesion-absent sites. The run directory is made by hand (the case
is registered and marked done with its site records, as the runner writes them), because the
export re-simulates the case from (spec, case id) and reads nothing else of the stored case.

Checks, against the case's site records and the re-made phantom (not against the exporter):
one SEG segment per lesion site, in site order, with the site's kind; each segment's voxels lie
inside its lesion's bounding box (from the phantom's lesion record) and their centroid is
within a voxel of the site centre; segments are disjoint; the SR holds every site centre;
``dciodvfy`` reports no error.
"""

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pydicom.sr.codedict import codes

from victwin.trial import TrialStore, load_spec, provenance_record, sample_cohort

TINY = Path(__file__).resolve().parent / "tiny.toml"
SITES = {"mass": 2, "calcification": 1, "absent": 2}
#: SNOMED CT finding codes (pydicom's code dictionary) -> the site kind a segment must carry.
KIND_OF_CODE = {codes.SCT.Mass.value: "mass", codes.SCT.CalcificationCluster.value: "calcification"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from victwin.dicom import read_study
    from victwin.trial._export import export_case_dicom
    from victwin.trial._sites import case_sites

    spec = load_spec(TINY)
    spec = dataclasses.replace(spec, cohort=dataclasses.replace(spec.cohort, sites=SITES))
    (cid, attrs), = sample_cohort(spec, [0])
    _, present, sites, names, lesions = case_sites(spec, cid, attrs)
    run = tmp_path_factory.mktemp("sites-export") / "run"
    with TrialStore(run, create=True) as store:
        store.set_provenance(provenance_record(spec, backend="cpu", executor="test"))
        store.add_cases([(cid, attrs)])
        result = {"modalities": {},      # the export reads only the sites
                  "sites": [dict(s.to_dict(), name=n) for s, n in zip(sites, names)]}
        store.commit_case(cid, {}, result, {}, worker="test", backend="cpu")
    out = tmp_path_factory.mktemp("sites-dicom")
    files = export_case_dicom(run, cid, out, backend="cpu")
    return {"files": files, "study": read_study(out), "sites": result["sites"],
            "present": present, "lesions": lesions}


def test_seg_has_one_segment_per_lesion_site(exported):
    study, sites = exported["study"], exported["sites"]
    truth_sites = [s for s in sites if s["kind"] != "absent"]
    assert len(truth_sites) == 3
    seg = study.datasets["seg"]
    assert len(seg.SegmentSequence) == len(truth_sites)
    for k, (item, site) in enumerate(zip(seg.SegmentSequence, truth_sites)):
        assert int(item.SegmentNumber) == k + 1
        code = str(item.SegmentedPropertyTypeCodeSequence[0].CodeValue)
        assert KIND_OF_CODE[code] == site["kind"]
    assert len(study.lesions) == len(truth_sites)
    for les, site in zip(study.lesions, truth_sites):
        assert les.kind == site["kind"]
        np.testing.assert_allclose(les.center_mm, site["center_mm"], atol=1e-3)


def test_each_segment_holds_its_lesion_voxels(exported):
    study, lesions = exported["study"], exported["lesions"]
    truth_sites = [s for s in exported["sites"] if s["kind"] != "absent"]
    labels, grid = study.lesion_labels, study.grid
    assert labels.shape == grid.shape
    assert set(np.unique(labels)) == {0, 1, 2, 3}          # every lesion marked, none twice
    half = 0.5 * np.asarray(grid.spacing_xyz)
    for k, (lesion, site) in enumerate(zip(lesions, truth_sites)):
        idx = np.argwhere(labels == k + 1)
        xyz = grid.index_to_world(idx)                      # (x, y, z) mm voxel centres
        lo, hi = (np.asarray(b, float) for b in lesion.extra["bbox_mm"])
        # nearest-voxel resampling: a marked centre is within half a voxel of a lesion voxel
        assert np.all(xyz >= lo - half - 1e-6) and np.all(xyz <= hi + half + 1e-6), k
        centroid = xyz.mean(axis=0)
        assert np.all(np.abs(centroid - np.asarray(site["center_mm"])) <= 2 * half), \
            (k, centroid, site["center_mm"])
        # the marked voxels sit on the lesion's labels in the phantom (nearest voxel centre)
        present = exported["present"]
        src = np.rint(present.grid.world_to_index(xyz)).astype(int)
        under = present.labels[src[:, 0], src[:, 1], src[:, 2]]
        assert np.isin(under, lesion.extra["labels"]).all(), k


def test_multi_site_study_passes_dciodvfy(exported):
    tool = shutil.which("dciodvfy")
    if tool is None and not os.environ.get("CI"):
        pytest.skip("dciodvfy (dicom3tools) not installed")
    assert tool, "dciodvfy not found: install the Debian package dicom3tools"
    names = sorted(p.name for p in exported["files"])
    assert "SEG.dcm" in names and "SR.dcm" in names
    for p in exported["files"]:
        profile = ["-profile", "IHEMammo"] if p.name in ("DM_PRES.dcm", "SYN2D.dcm") else []
        res = subprocess.run([tool, *profile, str(p)], capture_output=True, text=True,
                             timeout=120)
        errors = [ln for ln in (res.stdout + res.stderr).splitlines() if ln.startswith("Error")]
        assert not errors, (p.name, errors[:3])
