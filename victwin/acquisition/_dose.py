"""Dose of an acquisition: incident air kerma per view and Dance's mean glandular dose."""

from __future__ import annotations

import numpy as np

from victwin.physics import entrance_air_kerma_mgy, mean_glandular_dose, t_factor

from ._records import Dose, Technique

__all__ = ["dose_record"]


def dose_record(system, technique: Technique, views, beam, glandularity: float) -> Dose:
    """Incident air kerma per view and, for mammography, Dance's MGD (K g c s t).

    The kerma (no backscatter) is taken at the entrance plane, above the chest-wall centre of
    the detector, ``(0, 0, z)``, from each view's source (DBT sources are a little farther
    from it at larger angles).
    """
    thickness = technique.compressed_thickness_mm
    z_entrance = technique.sid_mm - technique.source_to_entrance_mm
    kerma = [float(entrance_air_kerma_mgy(beam.spectrum, beam.mas_per_view, float(
        np.linalg.norm(np.subtract(view.source, (0.0, 0.0, z_entrance)))))) for view in views]
    if system.modality != "MG" or thickness <= 0:
        return Dose(mgd_mgy_per_view=None, mgd_mgy=None,
                    entrance_air_kerma_mgy_per_view=tuple(kerma),
                    entrance_air_kerma_mgy=float(sum(kerma)),
                    method="none (MGD is defined for mammography only)")
    angles = np.asarray(technique.angles_deg, dtype=float)
    tf = t_factor(beam.spectrum, thickness, glandularity, angles) if system.scan == "dbt" \
        else 1.0
    mgd = np.atleast_1d(mean_glandular_dose(np.asarray(kerma), thickness, glandularity,
                                            beam.spectrum, t_factor=tf))
    method = "Dance K g c s" + (" t (slab t-factor)" if system.scan == "dbt" else "")
    return Dose(mgd_mgy_per_view=tuple(float(m) for m in mgd), mgd_mgy=float(mgd.sum()),
                entrance_air_kerma_mgy_per_view=tuple(kerma),
                entrance_air_kerma_mgy=float(sum(kerma)), method=method)
