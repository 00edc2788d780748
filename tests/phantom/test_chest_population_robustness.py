"""Every body the chest cohort can draw builds (2026-12-05, branch issue-19robust19).

The chest builder refuses impossible geometry with one-line errors. One such refusal (the
aortic root's, :func:`victwin.phantom.chest.aortic_root.ascending_aorta`) failed 3 of the 360
twins of a trial (examples/chest-ribs.toml: women 146-149 cm aged 61-78) unseen until the trial
ran (NOTES, 2026-12-04 third session). These tests build whole twins (:func:`make_chest`, every
step, painting included, so that a refusal added anywhere is met) at a coarse voxel
(:data:`VOXEL_MM`) for:

* the corners of the accepted body range, read from :mod:`victwin.phantom.chest.population`
  (:data:`~.population.SEXES` x :data:`~.population.HEIGHT_RANGE_CM` x
  :data:`~.population.BMI_RANGE` x :data:`~.population.AGE_RANGE_YEARS`): the sampler
  (:func:`~.population.draw_body`) draws height and BMI from the NHANES rows truncated to those
  ranges and ages uniformly within a recipe's ``age_range_years`` (itself inside the accepted
  ages), and a recipe may fix any value inside them, so each corner is a body the cohort can
  give. Each corner is built with the two seeds whose per-twin thorax draws
  (:func:`~.anatomy.thorax_for`) are the most extreme of :data:`SEED_POOL`: the smallest total
  lung capacity and the largest cardiothoracic ratio (the draws are the same for every body in
  units of the draws' SD, so the choice does not depend on the corner);
* seeded draws of the population sampler itself through a recipe (both sexes, the whole
  accepted age range), as a trial draws its twins (:data:`N_DRAWS`; :data:`N_DRAWS_SLOW` more
  marked slow);
* (marked slow) the tails a large cohort reaches: height and BMI one in a thousand beyond each
  end of the NHANES row of each sex at the youngest and oldest accepted age, with the corners'
  seeds.

What fails (2026-12-05) is marked as a strict xfail naming the refusal (NOTES, issue-19robust19,
issue-19aorta19 and issue-19vessels20): the aortic root at the shortest height for every corner
(the youngest woman's too since issue-19aorta19, which refuses a valve behind the left atrium's
centre) and for the short and heavy tails (the women's; the youngest's since
issue-19vessels20, whose BSA now widens the pulmonary trunk; the oldest women's short lean tail
builds since then; the men's since the shallow upper cage, issue-19inlet22, helper
19heart23). (The clavicles past the grid's sides of the shortest lean woman, a strict xfail
until the clavicles grew with stature, 2026-12-05 second session, issue-19shoulder20:
:func:`~victwin.phantom.chest.skeleton.clavicle_length_mm`; that corner now stops at the
aortic root first.)

Each twin is also checked against anatomy that holds for every adult, independently of the
builder's own checks: both lungs hold parenchyma, each at least a quarter of the two (the left
lung, the smaller, is about 45 % of the total); the heart (myocardium, chambers, left atrium
and appendage) lies between the two lungs' lateral edges and between the lung apices and the
costophrenic recesses (the middle mediastinum lies between the pleural sacs, and the sacs reach
above the first rib and below the heart's diaphragmatic surface); and the body is not cut by the
grid's sides (no tissue on its x faces: what is painted past them is lost).
"""

import itertools
import math

import numpy as np
import pytest

from victwin.phantom.chest import builder as B
from victwin.phantom.chest import make_chest
from victwin.phantom.chest.anatomy import thorax_for
from victwin.phantom.chest.measure import labels_of
from victwin.phantom.chest.population import (AGE_RANGE_YEARS, BMI_RANGE, HEIGHT_RANGE_CM,
                                              NHANES_2015_2018, SEXES, age_group, check_body)

#: Voxel (mm) of the robustness builds, ~1-3 CPU-s each (much of it the cavity's TLC solve, a
#: fixed 4 mm count, :func:`~.lungs.solve_cavity`). The placements that refuse (the thorax's
#: TLC, the aortic root, the appendage, the pulmonary trunk) are analytic and do not depend on
#: it; the scapular cover's check is voxel-wise and is met here at this voxel only.
VOXEL_MM = 6.0
#: Seeds searched for the thorax's most extreme per-twin draws.
SEED_POOL = range(20)
#: Population draws in the default suite, and more under ``-m slow``.
N_DRAWS, N_DRAWS_SLOW = 12, 8
_DRAW_SEED0 = 190_500

_LO_H = HEIGHT_RANGE_CM[0]
_YOUNG, _OLD = AGE_RANGE_YEARS
#: One in a thousand beyond it each side of a normal: the tails' distance in SDs (scipy's
#: ``ndtri(0.999)``).
TAIL_Z = 3.090232306167813


class AorticRootRefusal(Exception):
    """The aortic root's one-line refusal (``ascending_aorta (...)``), told apart from any
    other error so that the expected failures below cannot hide a new refusal."""


class GridCut(AssertionError):
    """Tissue on the grid's sides: the twin is cut (its painting clipped) at the grid."""


def _extreme_seeds() -> tuple:
    """(seed of the smallest TLC draw, seed of the largest CTR draw) in :data:`SEED_POOL`:
    the thorax's per-twin draws, in SD units the same for any body."""
    body = check_body("female", 50.0, 160.0, 25.0)
    ths = {s: thorax_for(body, B._streams(s)[1]) for s in SEED_POOL}
    return (min(ths, key=lambda s: ths[s].tlc_ml), max(ths, key=lambda s: ths[s].ctr))


SEEDS = _extreme_seeds()


def _build(recipe: dict, seed: int):
    """The twin at :data:`VOXEL_MM`; the aortic root's refusal raised as
    :class:`AorticRootRefusal` with the body and seed, any other error as it is."""
    try:
        return make_chest(recipe, seed=seed, voxel_mm=VOXEL_MM, progress=False)
    except ValueError as exc:
        if str(exc).startswith("ascending_aorta ("):
            raise AorticRootRefusal(f"{recipe['body']}, seed {seed}: {exc}") from exc
        raise


def _check_anatomy(ph) -> None:
    """The anatomy every adult twin has (module docstring), from the labels alone."""
    lab = ph.labels
    x = ph.grid.axis_mm("x")
    y = ph.grid.axis_mm("y")
    lung = np.isin(lab, labels_of(ph, "lung"))
    right = int(np.count_nonzero(lung[:, :, x < 0]))
    left = int(np.count_nonzero(lung[:, :, x > 0]))
    assert min(right, left) >= 0.25 * (right + left), (right, left)
    heart = np.isin(lab, [B.MYOCARDIUM, B.CHAMBERS, B.LEFT_ATRIUM, B.LEFT_APPENDAGE])
    assert heart.any()
    _, ly, lx = np.nonzero(lung)
    _, hy, hx = np.nonzero(heart)
    assert x[lx].min() < x[hx].min() and x[hx].max() < x[lx].max(), "heart beyond a lung"
    assert y[ly].min() < y[hy].min() and y[hy].max() < y[ly].max(), "heart above/below lungs"
    # the sides only: the front and back margins (5 mm) are under the coarse voxel, and the
    # scapular cover, painted voxel-wise, reaches the last plane at 6 mm (not at 2 mm)
    body = lab != B.AIR
    if body[:, :, 0].any() or body[:, :, -1].any():
        raise GridCut(f"{ph.meta['body']}, seed {ph.meta['seed']}: tissue on the grid's x faces "
                      f"(labels {sorted(set(np.unique(lab[:, :, [0, -1]]).tolist()) - {0})})")


_AORTA_XFAIL = pytest.mark.xfail(strict=True, raises=AorticRootRefusal, reason=(
    "the aortic root refuses the shortest bodies: with the pulmonary trunk and the aorta sized "
    "by body surface area (issue-19vessels20) the aorta clears the trunk (roots touching) only "
    "49-63 mm behind the cavity's front wall at 120 cm, deeper than the left atrium's centre "
    "in the smallest-TLC draw (47-51 mm); in short heavy women the BSA widens both vessels, "
    "not the cavity (135.6 cm, BMI 51: 61.5 vs 57.0 mm; 141.9 cm, BMI 65: 60.5 vs 59.9 mm); "
    "in the short heavy men (153.9 cm BMI 56.7, 148.5 cm BMI 44.9) since the shallow upper cage "
    "the sternum's back lies 5 mm further back at the valve's level while the left atrium hangs "
    "from the spine: 65.4-65.9 mm from it to the atrium's centre (70.5-70.7 before) for the men's "
    "24 mm clear space, the trunk (26.4 / 24.8 mm) and the aorta (radius 16.1 / 18.8 mm), best "
    "clearance at the atrium's centre -1.7 / -2.4 mm (NOTES, issue-19robust19, issue-19aorta19, "
    "issue-19vessels20, 19heart23)"))


def _corner_param(sex, height_cm, bmi, age_years):
    """A corner as a pytest param; the expected failures found on 2026-12-05 (NOTES,
    issue-19robust19) as strict xfails: if a change builds them, the test fails and the mark
    must go."""
    body = {"sex": sex, "age_years": age_years, "height_cm": height_cm, "bmi": bmi}
    # every shortest corner: until 2026-12-05 (issue-19aorta19) the youngest woman's built,
    # her valve drawn at Gray's 60 mm behind her left atrium's centre (47.5 mm), which the
    # module calls an error; now refused as such (her lean corner's clavicles, a GridCut before,
    # grow with stature since issue-19shoulder20). The youngest lean woman builds since the
    # shallow upper cage's back was kept as main's (2026-12-05 fifth session, issue-19misc23
    # merged with 19heart23): her mark went.
    built = (sex, bmi, age_years) == ("female", BMI_RANGE[0], AGE_RANGE_YEARS[0])
    marks = _AORTA_XFAIL if height_cm == _LO_H and not built else ()
    return pytest.param(body, marks=marks,
                        id=f"{sex}-{height_cm:g}cm-bmi{bmi:g}-{age_years:g}y")


@pytest.mark.parametrize("body", [_corner_param(*c) for c in itertools.product(
    SEXES, HEIGHT_RANGE_CM, BMI_RANGE, AGE_RANGE_YEARS)])
def test_corners_of_the_body_range_build(body):
    for seed in SEEDS:
        ph = _build({"body": body}, seed)
        got = ph.meta["body"]
        assert {k: got[k] for k in body} == body       # built at the corner, not clamped
        _check_anatomy(ph)


def _population_recipe() -> dict:
    """A recipe drawing every body from the population over the whole accepted age range."""
    return {"body": {"age_range_years": list(AGE_RANGE_YEARS)}}


@pytest.mark.parametrize("seed", range(_DRAW_SEED0, _DRAW_SEED0 + N_DRAWS))
def test_population_draws_build(seed):
    _check_anatomy(_build(_population_recipe(), seed))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(_DRAW_SEED0 + N_DRAWS,
                                       _DRAW_SEED0 + N_DRAWS + N_DRAWS_SLOW))
def test_more_population_draws_build(seed):
    _check_anatomy(_build(_population_recipe(), seed))


def _tail_param(sex, age_years, h_side, b_side):
    """A body at the 1-in-1000 tails (:data:`TAIL_Z` SDs) of the NHANES row of ``sex`` and
    ``age_years`` (:func:`~.population.age_group`): height normal, BMI lognormal with the
    row's mean and SD, as :func:`~.population.draw_body` draws them, rounded to 0.1 and held in
    the accepted ranges as it does."""
    h_mean, h_sd, b_mean, b_sd = NHANES_2015_2018[sex][age_group(age_years)]
    s2 = math.log(1.0 + (b_sd / b_mean) ** 2)
    h = round(h_mean + h_side * TAIL_Z * h_sd, 1)
    b = round(math.exp(math.log(b_mean) - 0.5 * s2 + b_side * TAIL_Z * math.sqrt(s2)), 1)
    body = {"sex": sex, "age_years": age_years,             # truncated as the sampler does
            "height_cm": min(max(h, HEIGHT_RANGE_CM[0]), HEIGHT_RANGE_CM[1]),
            "bmi": min(max(b, BMI_RANGE[0]), BMI_RANGE[1])}
    # the short, heavy women at both ends of the age range (until 2026-12-05, issue-19vessels20:
    # the oldest women's short tails, lean and heavy; the youngest heavy one built), and the
    # short, heavy men since the shallow upper cage (issue-19inlet22; built before it with 4.4 /
    # 3.4 mm to spare at the atrium's centre)
    marks = _AORTA_XFAIL if (h_side, b_side) == (-1, 1) else ()
    return pytest.param(body, marks=marks, id=(f"{sex}-{age_years:g}y-height{h_side:+d}-"
                                               f"bmi{b_side:+d}"))


@pytest.mark.slow
@pytest.mark.parametrize("body", [_tail_param(*c) for c in itertools.product(
    SEXES, AGE_RANGE_YEARS, (-1, 1), (-1, 1))])
def test_tails_of_the_population_build(body):
    """Bodies a large cohort draws (one height or BMI in a thousand of their sex and age
    group beyond each), at the accepted ages' ends, with the corners' seeds."""
    for seed in SEEDS:
        _check_anatomy(_build({"body": body}, seed))


def test_extreme_seeds_are_extreme():
    """The corners' seeds draw a TLC at least 1 SD below and a CTR at least 1 SD above the
    mean (:mod:`.anatomy`: TLC within +-1.64 RSD, CTR 0.46 +- 0.026 in [0.36, 0.50])."""
    from victwin.phantom.chest.anatomy import CTR_MEAN, CTR_SD, TLC_RSD_L
    from victwin.phantom.chest.lung_volume import tlc_gli2021_l
    body = check_body("male", 60.0, 175.0, 27.0)
    s_tlc, s_ctr = SEEDS
    pred_l = tlc_gli2021_l(body.sex, body.age_years, body.height_cm)
    assert thorax_for(body, B._streams(s_tlc)[1]).tlc_ml / 1000.0 <= pred_l - TLC_RSD_L["male"]
    assert thorax_for(body, B._streams(s_ctr)[1]).ctr >= CTR_MEAN + CTR_SD
