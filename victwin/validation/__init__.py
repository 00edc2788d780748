"""Verification and validation: independent references, measurement procedures, live checks.

- References (:mod:`._references`): analytic results and published fits written out in plain
  NumPy, never calling the models they check (slab-method chords through a box, Boone et
  al. 2000's scatter-to-primary fit, the ideal-aperture MTF).
- Measurement procedures (:mod:`._measurements`): a test object imaged by the installed
  models and one quantity read off (slanted-edge presampled MTF, field-centre SPR of Boone's
  semicircular breast).
- Live checks (:mod:`._checks`): :func:`run_checks` runs each model's checks against its
  reference and returns :class:`CheckResult` values; the trial report's credibility section
  (FDA 2023 / ASME V&V 40-2018) shows those that apply to the trial's body part
  (:func:`checks_for`: the breast checks in a breast trial, the chest beam, anatomy and
  nodule checks in a chest trial, the ray tracer and statistics in both).

The test suite calls the same procedures and references (one implementation of each) and
adds checks of its own against analytic results and published values.
"""

from ._checks import (CHECKS, FAMILIES, MODELS, CheckResult, checks_for, for_family,
                      models_for, run_checks)
from ._measurements import field_centre_spr, presampled_mtf, semicircle_phantom, slanted_edge
from ._references import BOONE_SPR_FIT, boone_spr_fit, ideal_aperture_mtf, slab_chord

__all__ = ["CheckResult", "run_checks", "CHECKS", "MODELS", "FAMILIES", "checks_for",
           "for_family", "models_for", "slab_chord", "BOONE_SPR_FIT",
           "boone_spr_fit", "ideal_aperture_mtf", "slanted_edge", "presampled_mtf",
           "semicircle_phantom", "field_centre_spr"]
