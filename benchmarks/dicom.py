"""DICOM speed: export and C-STORE one DM + 25-view DBT + BTO study.

The study is synthetic (seeded random arrays, no physics): a DM For Processing and For
Presentation pair, a 25-projection Breast Projection object (VICTRE's Mammomat: 25 views over
50 degrees) and a Breast Tomosynthesis volume of 1 mm slices through a 45 mm breast, plus the
lesion SEG and SR. ``--binning 1`` (default) is clinical size: 3000 x 1500 pixels of 85 um for
every DM image, projection and BTO slice; ``--binning k`` divides both axes by k.

Timed (wall clock, best of ``--repeat``):

* ``export_s``: ``export_study`` (build + check + write every object);
* ``send_s``: ``send_study`` C-STORE of the written files to an Orthanc started on 127.0.0.1
  (Debian package ``orthanc``; skipped if absent), one association;
* ``read_s``: ``read_study`` back into arrays.

Writes ``benchmarks/results/dicom.json``.

Usage::

    python benchmarks/dicom.py [--binning 1] [--repeat 1]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import environment, print_table, write_json  # noqa: E402
from victwin.dicom import (Exposure, Lesion, SyntheticSubject, export_study,  # noqa: E402
                           read_study, send_study)
from victwin.geometry import Grid, tomosynthesis_arc  # noqa: E402


def make_study(binning: int) -> dict:
    rng = np.random.default_rng(0)
    rows, cols = 3000 // binning, 1500 // binning
    pitch = 0.085 * binning
    nz = 45
    grid = Grid((nz, rows, cols), (1.0, pitch, pitch),
                (pitch / 2, -(rows - 1) * pitch / 2, 20.5))
    views = tomosynthesis_arc(25, 50.0, detector_shape=(rows, cols), pitch_mm=pitch)
    exposure = Exposure(kvp=28, exposure_mas=87.5, anode="W", filter_material="Rh",
                        filter_thickness_mm=0.05, hvl_mm_al=0.463, compressed_thickness_mm=45,
                        sid_mm=650, source_to_patient_mm=630, imager_pixel_spacing_mm=pitch,
                        entrance_dose_mgy=8.0, organ_dose_mgy=1.9)
    labels = np.zeros(grid.shape, np.uint8)
    c = (nz // 2, rows // 2, cols // 3)
    r = max(2, int(round(3.0 / pitch)))
    labels[c[0] - 2:c[0] + 3, c[1] - r:c[1] + r, c[2] - r:c[2] + r] = 1
    return dict(
        subject=SyntheticSubject("BENCH", "CASE1", 55), dm_exposure=exposure,
        dbt_exposure=exposure,
        dm_raw=rng.integers(0, 16384, (rows, cols), dtype=np.uint16),
        dm_processed=rng.integers(0, 4096, (rows, cols), dtype=np.uint16),
        projections=rng.integers(0, 16384, (25, rows, cols), dtype=np.uint16),
        dbt_views=views, volume=rng.random(grid.shape, dtype=np.float32), grid=grid,
        lesions=[Lesion(grid.index_to_world(c), "mass", 6.0, 1)], lesion_labels=labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binning", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    study = make_study(args.binning)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        best = {"export_s": np.inf, "send_s": np.inf, "read_s": np.inf}
        for rep in range(args.repeat):
            out = tmp / f"study{rep}"
            t0 = time.perf_counter()
            files = export_study(out, **study)
            best["export_s"] = min(best["export_s"], time.perf_counter() - t0)
            t0 = time.perf_counter()
            read_study(out)
            best["read_s"] = min(best["read_s"], time.perf_counter() - t0)
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        if shutil.which("Orthanc"):
            from tests.dicom.conftest import OrthancServer
            for rep in range(args.repeat):
                server = OrthancServer(tmp / f"orthanc{rep}")
                try:
                    t0 = time.perf_counter()
                    report = send_study(files, "127.0.0.1", server.dicom_port,
                                        ae_title=server.aet)
                    best["send_s"] = min(best["send_s"], time.perf_counter() - t0)
                    assert report.ok, report.as_dict()
                finally:
                    server.stop()
        else:
            best["send_s"] = None
    rows.append({"binning": args.binning,
                 "image_px": f"{study['dm_raw'].shape[0]}x{study['dm_raw'].shape[1]}",
                 "n_projections": 25, "n_slices": study["grid"].shape[0],
                 "n_files": len(files), "size_MB": round(size_mb, 1),
                 "export_s": best["export_s"], "read_s": best["read_s"],
                 "send_s": best["send_s"],
                 "send_MB_per_s": (size_mb / best["send_s"]) if best["send_s"] else None})
    print_table(rows, ["binning", "image_px", "n_projections", "n_slices", "n_files", "size_MB",
                       "export_s", "read_s", "send_s", "send_MB_per_s"])
    write_json("dicom", {"environment": environment(), "results": rows,
                         "note": "synthetic random arrays; send = pynetdicom C-STORE to a local "
                                 "Orthanc 1.10 (Debian), one association, uncompressed"},
               args.json)


if __name__ == "__main__":
    main()
