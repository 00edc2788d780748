"""The lung the builder paints against the lung the TLC is solved on: the volume that the
painting takes from the solved cavity, so that :func:`.lungs.solve_cavity` can aim at it.

:func:`.lungs.solve_cavity` sizes the cavity so that :meth:`.lungs.Cavity.lung` (the cavity
less the solve's mediastinal band, junctions, paravertebral edge and the whole heart) holds the
drawn TLC. The builder then paints other lung than that (traced at 2 and 4 mm on the four docs
twins, ``benchmarks/chest_tlc_trace.py``, NOTES 2026-12-06 issue-19tlc25):

* more: the painted mediastinal silhouette (:func:`.mediastinum.painted_mediastinum`) is
  narrower than the solve's band above the heart (+121 to +197 mL at 2 mm; +165 to +299 before
  the shallow upper cage of 2026-12-05, whose shallower upper front left less band there);
* less, each structure painted over lung afterwards and not in the solve's model (mL of the
  measured lung, :func:`.measure.lung_volume_ml`'s rule, 2 mm): the great vessels 33-46, the
  central pulmonary arteries 17-26, the trachea and main bronchi 13-20, the vessel trees and
  upper-lobe veins where they reach the lung's surface 46-84 (inside the lung they are counted
  as lung, as the measurement fills each axial slice's holes), the airway trees 1-3, the
  vertebrae's processes 20-22 and the ribs 75-82 (the ribs' sections reach into the cavity
  where it narrows and beside the spine).

The two nearly cancelled before 2026-12-05 (lung - drawn TLC -21 to +58 mL); with the shallow
upper cage's smaller silhouette gain the lungs came out 60-100 mL (1-2 %) under the TLC. This
module measures the difference (:func:`painted_lung_loss_ml`: the cavity's contents painted
with the builder's own steps on a coarse grid, the lung counted as
:func:`.measure.lung_volume_ml` counts it; called by the reference
:func:`.builder.painted_lung_loss_reference_ml`, 2-7 s a body) and estimates it from the
thorax record (:func:`painted_lung_loss_estimate_ml`, a regression fitted to the reference over
the population's range, :data:`LOSS_FIT`); the build solves on the TLC plus the estimate, so the
painted lung lands on the TLC without painting twice (since 2026-12-06, branch issue-19tlc26).
"""

from __future__ import annotations

import numpy as np

from .measure import filled_lung_voxels

__all__ = ["painted_lung_loss_ml", "painted_lung_loss_estimate_ml", "loss_features",
           "LOSS_STEP_MM", "LOSS_SEED", "LOSS_FIT"]

#: Voxel (mm) of the coarse painting. The loss of the four docs twins (seed 0's trees) at 4, 3,
#: 2.5 and 2 mm: 80, 79, 83, 81 / 61, 85, 82, 84 / 73, 76, 77, 84 / 68, 67, 86, 71 mL (the
#: count's own noise ~+-10 mL; 4 mm missed the 167 cm woman's by 23 mL); 3 mm took 2-3 s per
#: twin (2 mm 5-6 s) on the loaded 2-core machine (NOTES).
LOSS_STEP_MM = 3.0
#: The trees of the coarse painting grow from this seed's lung points, not the twin's, so that
#: the cavity stays a function of the thorax record alone (every caller of the cavity step gets
#: the twin's cavity without its seed); the trees' share of the loss moved by 9 mL or less
#: over seeds 0-3 at 4 mm
#: (37-46 mL in the 158 cm woman, 69-73 mL in the 188 cm man; NOTES).
LOSS_SEED = 0


def painted_lung_loss_ml(cav, f, paint, lung_label: int) -> float:
    """Solved lung minus painted lung (mL) on the frame ``f``.

    Parameters
    ----------
    cav : Cavity
        The solved cavity (:meth:`.lungs.Cavity.lung` is counted at ``f``'s voxel centres).
    f : Frame
        The grid and anatomy frame to paint on (:class:`.raster.Frame`).
    paint : callable
        ``paint(labels)`` paints the cavity's contents into the zeroed uint8 ``labels`` of
        ``f``'s shape, as the builder does (lungs, heart and vessels, airways, trees, skeleton).
    lung_label : int
        The lung's label.

    Returns
    -------
    float
        mL: the solved lung's voxels less the painted lung's, holes of each axial slice filled
        (:func:`.measure.lung_volume_ml`'s rule); positive when the painting takes lung.
    """
    labels = np.zeros(f.grid.shape, np.uint8)
    paint(labels)
    X, Y = f.x[None, None, :], f.y[None, :, None]
    solved = 0
    for z0 in range(0, labels.shape[0], 8):
        Z = f.zd[z0:z0 + 8][:, None, None]
        solved += int(np.count_nonzero(cav.lung(X, Y, Z)))
    painted = filled_lung_voxels(labels == lung_label)
    return (solved - painted) * float(np.prod(f.grid.spacing)) / 1000.0


#: The loss estimate's least-squares coefficients (mL per unit of each :func:`loss_features`
#: term), a measurement of this module's painter, not a model parameter:
#: ``benchmarks/chest_painted_lung_loss_fit.py`` painted the reference
#: (:func:`.builder.painted_lung_loss_reference_ml`, 3 mm) for 56 bodies (the 16 corners of
#: the NHANES 1st/99th percentile heights and BMIs x ages 25 and 75 of both sexes, and 40 draws
#: of the population sampler over ages 18-90; losses 32-126 mL) and fitted nine models
#: (benchmarks/results/chest_painted_lung_loss_fit.json). This one (TLC, height, sex, age) has a
#: residual SD of 9.4 mL (leave-one-out 9.9 mL; largest residual 23.9 mL, -0.50 to +0.36 % of
#: the TLC); the TLC alone gave 11.1 mL leave-one-out, all six terms 9.0 mL. The 3 mm
#: reference's own count varies by about +-10 mL with the grid (NOTES, issue-19tlc25), so the
#: residual is mostly the reference's noise.
LOSS_FIT = {"intercept": 168.84, "tlc_l": -17.882, "height_m": 9.947, "female": -7.382,
            "age_100y": 21.091}


def loss_features(tlc_ml: float, ctr: float, body: dict) -> dict:
    """The thorax record's predictors of the loss, by the names :data:`LOSS_FIT` and
    ``benchmarks/chest_painted_lung_loss_fit.py`` use: drawn TLC (L), height (m), female (1 or
    0), age (100 years), CTR and BMI (100 kg/m^2); ``body`` as :meth:`.population.Body.to_dict`."""
    return {"tlc_l": tlc_ml / 1000.0, "height_m": body["height_cm"] / 100.0,
            "female": 1.0 if body["sex"] == "female" else 0.0, "ctr": ctr,
            "age_100y": body["age_years"] / 100.0, "bmi_100": body["bmi"] / 100.0}


def painted_lung_loss_estimate_ml(th) -> float:
    """The lung (mL) the builder's painting takes from the cavity solved on ``th``'s drawn TLC,
    estimated from the thorax record (:data:`LOSS_FIT`, microseconds) instead of painting it
    (:func:`.builder.painted_lung_loss_reference_ml`, 2-7 s)."""
    x = loss_features(th.tlc_ml, th.ctr, th.body.to_dict())
    return float(LOSS_FIT["intercept"] + sum(c * x[n] for n, c in LOSS_FIT.items()
                                             if n != "intercept"))
