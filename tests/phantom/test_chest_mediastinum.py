"""Mediastinum, airways and shoulder girdle of the chest twins, measured on the labels as on a
PA film (``victwin.phantom.chest.measure``) against their published sources:

* carina at the T4/T5 level (Gray's Anatomy, 41st ed., ch. 54);
* tracheal bifurcation (interbronchial) angle 60 +- 10 deg, 95 % within 40-80 deg (Haskin &
  Goodman, AJR 1982), the right main bronchus steeper than the left (Gray's);
* aortic knob diameter (tracheal left wall to the knob's edge) within 2 SD of the mean by sex
  (Magera et al. 2021: men 31.4 +- 3.4, women 27.7 +- 3.7 mm), the knob the widest point of
  the upper left border, the superior mediastinal width under the 8 cm normal limit;
* clavicle length on PA films within 2 SD of the mean by sex (Okoseimiema et al.: men 156,
  women 146 mm, SD ~10.5 mm); and with stature, at the ends of the accepted height range:
  stature is 11.1 times the clavicle's length within 1.5 in (Singh and Sohal, 50 adult male
  bodies, East Punjab; as quoted in Modi's Medical Jurisprudence and Toxicology).
* the anterior junction (lungs a thin line apart behind the sternum below the manubriosternal
  joint, not above it) and the azygo-oesophageal recess (right lung in front of the vertebral
  bodies below the azygos arch): Radiopaedia, Gibbs et al. Radiographics 2007.
"""

import numpy as np
import pytest

from victwin.phantom.chest.skeleton import LEVEL_NAMES as LEVELS
from victwin.phantom.chest.measure import (aortic_knob_mm, carina_y_mm, clavicle_lengths_mm,
                                           main_bronchus_angles_deg, mediastinal_borders_mm)

from . import _chest_bodies
from ._chest_bodies import BODIES, VOX


@pytest.fixture(scope="module", params=sorted(BODIES))
def twin(request):
    return _chest_bodies.twin(request.param)


def _top(ph, level):
    return ph.meta["spine"]["tops"][LEVELS.index(level)]


def test_carina_at_t4_t5(twin):
    y = carina_y_mm(twin)
    # Gray's: the trachea divides at the level of the T4/T5 disc (the sternal angle); the
    # ridge read on the labels must lie within T4 or T5
    assert _top(twin, "T4") <= y <= _top(twin, "T6")


def test_bronchial_angles(twin):
    right, left = main_bronchus_angles_deg(twin)
    assert 40.0 <= right + left <= 80.0               # Haskin & Goodman 1982, 95 % range
    assert right < left                               # the right main bronchus is steeper


def test_aortic_knob_and_superior_mediastinal_width(twin):
    sex = twin.meta["body"]["sex"]
    mean, sd = {"male": (31.4, 3.4), "female": (27.7, 3.7)}[sex]     # Magera et al. 2021
    knob, width, y = aortic_knob_mm(twin)
    assert abs(knob - mean) <= 2.0 * sd + VOX
    assert width < 80.0                                # the usual upper limit on PA films
    # the knob bulges: the left border 30 mm above it lies further in
    assert mediastinal_borders_mm(twin, y - 30.0)[1] < mediastinal_borders_mm(twin, y)[1] - 3.0
    # and it sits at the T3-T4 levels
    assert _top(twin, "T3") <= y <= _top(twin, "T5")


def test_clavicle_length(twin):
    sex = twin.meta["body"]["sex"]
    mean, sd = {"male": (156.0, 10.4), "female": (146.2, 10.7)}[sex]  # Okoseimiema et al.
    for length in clavicle_lengths_mm(twin):
        assert abs(length - mean) <= 2.0 * sd + VOX


# Singh and Sohal (50 adult male bodies, East Punjab; Modi, Medical Jurisprudence and
# Toxicology): stature = 11.1 x clavicle length, "within an error of 1 1/2 in" (38.1 mm).
SINGH_SOHAL_FACTOR, SINGH_SOHAL_ERROR_MM = 11.1, 38.1
CLAVICLE_VOX = 4.0


@pytest.mark.parametrize("body", [
    {"sex": "female", "age_years": 30, "height_cm": 125, "bmi": 20},
    {"sex": "male", "age_years": 40, "height_cm": 205, "bmi": 25}], ids=["125cm", "205cm"])
def test_clavicle_length_follows_stature_as_singh_and_sohal(body):
    """The clavicles of a short woman and a tall man (4 mm twins) times Singh and Sohal's
    factor give the stature within their error plus the factor times a voxel (the x extent is
    read to a voxel). Until 2026-12-05 (second session) the clavicles were Okoseimiema's mean
    length by sex at any height: the 125 cm woman's 146 mm clavicles gave 162 cm."""
    ph = _chest_bodies.build(body, 0, CLAVICLE_VOX)
    for length in clavicle_lengths_mm(ph):
        stature_mm = SINGH_SOHAL_FACTOR * length
        assert abs(stature_mm - 10.0 * body["height_cm"]) \
            <= SINGH_SOHAL_ERROR_MM + SINGH_SOHAL_FACTOR * CLAVICLE_VOX, (length, stature_mm)


def _medial_lung_edge_mm(ph, level, side=-1):
    """Smallest |x| (mm) of lung on the patient's right (``side`` -1) at the level's middle,
    between the vertebral body's centre and its back (the paraspinal gutter)."""
    sp = ph.meta["spine"]
    k = LEVELS.index(level)
    g = ph.grid
    x, y = g.axis_mm("x"), g.axis_mm("y")
    zd = g.axis_mm("z") - ph.meta["zc_mm"]
    j = int(np.argmin(np.abs(y - sp["tops"][k] - 0.4 * sp["pitches"][k])))
    zk = (zd >= sp["front_zd"] + 0.5 * sp["depths"][k]) & (zd <= sp["front_zd"] + sp["depths"][k])
    lung_label = [int(n) for n, v in ph.meta["label_names"].items() if v.startswith("lung")]
    lung = np.isin(ph.labels[zk, j, :], lung_label).any(axis=0) & (side * x > 0)
    return float(np.min(np.abs(x[lung])))


def test_paravertebral_lung_edge_at_the_vertebral_body():
    # Panjabi et al. (Spine 1991): thoracic end-plate width 28 -> 40 mm from T1 to T12 (for a
    # 175 cm body here scaled by height); the right paraspinal line ~5 mm lateral to the spine
    # (Radiopaedia): behind the heart the lung's medial edge lies at the body's half-width plus
    # that stripe, within a voxel, and moves out down the column as the bodies widen
    body, seed = BODIES["man"]
    ph = _chest_bodies.twin("man")
    edges = {}
    for lev in ("T4", "T8", "T10"):
        n = int(lev[1:])
        half = 0.5 * (28.0 + 12.0 * (n - 1) / 11.0) * body["height_cm"] / 175.0
        edges[lev] = _medial_lung_edge_mm(ph, lev)
        assert half + 5.0 - VOX <= edges[lev] <= half + 5.0 + VOX, lev
    assert edges["T10"] > edges["T4"] + 3.0


def _lung_rows(twin, level, frac=0.5):
    """Lung mask (zd, x) of the axial plane ``frac`` down vertebral ``level``, with its zd and
    x axes (mm)."""
    from victwin.phantom.chest.measure import labels_of
    g = twin.grid
    y = g.axis_mm("y")
    k = LEVELS.index(level)
    j = int(np.argmin(np.abs(y - _top(twin, level) - frac * twin.meta["spine"]["pitches"][k])))
    lung = np.isin(twin.labels[:, j, :], labels_of(twin, "lung"))
    return lung, g.axis_mm("z") - twin.meta["zc_mm"], g.axis_mm("x")


def _gaps_mm(lung, x):
    """Per row: the non-lung gap between the two lungs around the midline (mm; inf where a
    row lacks lung within 60 mm on either side)."""
    out = []
    for row in lung:
        r, l = x[(x < 0) & (x > -60) & row], x[(x > 0) & (x < 60) & row]
        out.append(l.min() - r.max() - VOX if r.size and l.size else np.inf)
    return np.array(out)


def test_anterior_junction_and_azygo_oesophageal_recess(twin):
    """Below the manubriosternal joint the lungs meet behind the sternum a thin line apart
    (anterior junction line: Radiopaedia, after Gibbs et al. Radiographics 2007; it does not
    extend above the joint); below the azygos arch the right lung reaches in front of the
    vertebral bodies (azygo-oesophageal recess, a prevertebral space: Radiopaedia). Before
    2026-12-02 (sixth, issue-19front) the gap was the 30-40 mm band at every depth and no lung
    lay in front of the bodies' outer thirds."""
    sp = twin.meta["spine"]
    front = sp["front_zd"]
    lung, zd, x = _lung_rows(twin, "T5", 0.6)           # below the sternal angle (T4/T5)
    gaps = _gaps_mm(lung, x)
    ahead = zd < front - 40.0                            # the retrosternal part
    assert gaps[ahead].min() <= 2.0 + 2.0 * VOX         # a few mm: four pleural layers, fat
    lung3, zd3, x3 = _lung_rows(twin, "T3", 0.5)         # above the joint the lungs diverge
    assert _gaps_mm(lung3, x3)[zd3 < front - 40.0].min() > 15.0
    # azygo-oesophageal recess at T8: right lung in front of the body, medial to its edge
    lung8, zd8, x8 = _lung_rows(twin, "T8", 0.5)
    pre = (zd8 > front - 20.0) & (zd8 < front - 2.0)
    half = 0.5 * sp["widths"][LEVELS.index("T8")]
    right = [x8[(x8 < 0) & row].max() for row in lung8[pre] if ((x8 < 0) & row).any()]
    assert right and max(right) > -half


def _tracheal_air(twin, level, frac=0.5):
    """(air mask (zd, x), zd, x) of the axial plane ``frac`` down ``level``: the airway
    labels within 20 mm of the midline (the trachea above the carina)."""
    g = twin.grid
    y = g.axis_mm("y")
    k = LEVELS.index(level)
    j = int(np.argmin(np.abs(y - _top(twin, level) - frac * twin.meta["spine"]["pitches"][k])))
    names = [int(n) for n, v in twin.meta["label_names"].items() if "trachea" in v]
    x = g.axis_mm("x")
    air = np.isin(twin.labels[:, j, :], names) & (np.abs(x) < 20.0)
    return air, g.axis_mm("z") - twin.meta["zc_mm"], x


@pytest.mark.parametrize("level", ["T2", "T3"])
def test_posterior_junction_and_right_paratracheal_stripe(twin, level):
    """Above the aortic arch the upper lobes meet behind the oesophagus, in front of the
    vertebral bodies, four pleural layers apart (posterior junction line: Radiopaedia; IMAIOS
    e-Anatomy; Gibbs et al. Radiographics 2007; a line, < 1 mm: Radiopaedia "Chest x-ray lines
    and stripes"), so the thinnest gap between the lungs behind the trachea is at most one
    voxel; the right lung lies against the trachea's right wall, the right paratracheal
    stripe 1-4 mm wide in 1,259 normal subjects (>= 5 mm abnormal: Savoca et al. Radiology
    1977;122:295-301). Before 2026-12-02 (seventh) the lungs stayed 30-34 mm apart behind the
    trachea and the stripe was 12-20 mm."""
    front = twin.meta["spine"]["front_zd"]
    air, zd, x = _tracheal_air(twin, level)
    rows = np.flatnonzero(air.any(axis=1))
    assert rows.size, "no tracheal air at " + level
    back = zd[rows].max()
    lung, zd_l, x_l = _lung_rows(twin, level, 0.5)
    gaps = _gaps_mm(lung, x_l)
    behind = (zd_l > back) & (zd_l < front)
    # drawn as the anterior junction's 2 mm of tissue; within a voxel on the grid
    assert gaps[behind].min() <= 2.0 + VOX
    # in front of the trachea's back the lungs stay apart (oesophagus, trachea, vessels)
    assert gaps[zd_l < back - 10.0].min() > 15.0
    # the stripe as a PA film shows it: the tracheal air column's right edge to the most
    # medial right lung in the planes beside the trachea (the superior vena cava lies in front
    # of the trachea's right side; the lung meets the wall behind it)
    x_air = x[air.any(axis=0)].min()
    near = (zd_l >= zd[rows].min() - 2.0) & (zd_l <= back + 2.0)
    right = x_l[lung[near].any(axis=0) & (x_l < x_air)]
    assert right.size, "no right lung beside the trachea"
    stripe = x_air - right.max() - VOX
    assert 1.0 <= stripe <= 4.0 + 0.5 * VOX


def test_posterior_junction_ends_at_the_aortic_arch(twin):
    """The posterior junction line runs from the apices to the top of the aortic arch, where
    the lungs diverge around the arch (Radiopaedia, "Posterior junction line"; Ryan et al.,
    Anatomy for Diagnostic Imaging): at the knob's level (T4, :func:`aortic_knob_mm`) the lungs
    behind the trachea stay apart by more than the oesophagus's half-width.
    The level is the drawn knob's centre (``meta["anatomy_mm"]["aortic_knob"]``): the measured
    knob row (:func:`aortic_knob_mm`, the topmost row where the left border lies furthest out)
    can sit on the arch's top edge, where the junction still runs by definition; on
    2026-12-03 (issue-19lat9) a pulmonary artery branch beside the knob moved it there
    (y -92 -> -94 mm, the arch's top at -94.2 mm, in the 178 cm man; the lungs unchanged)."""
    y_knob = twin.meta["anatomy_mm"]["aortic_knob"][1]
    g = twin.grid
    j = int(np.argmin(np.abs(g.axis_mm("y") - y_knob)))
    from victwin.phantom.chest.measure import labels_of
    lung = np.isin(twin.labels[:, j, :], labels_of(twin, "lung"))
    zd = g.axis_mm("z") - twin.meta["zc_mm"]
    front = twin.meta["spine"]["front_zd"]
    gaps = _gaps_mm(lung, g.axis_mm("x"))
    assert gaps[(zd > front - 20.0) & (zd < front)].min() > 10.0


def _in_front_of_heart_mm(twin, level, x_mm, frac=0.5):
    """(lung, tissue) path (mm) along the PA ray at ``x_mm`` in the axial plane ``frac`` down
    ``level``, between the cavity's front (the first lung or heart voxel behind the sternum)
    and the first heart voxel (myocardium, chambers, atria); None where the ray meets no
    heart."""
    from victwin.phantom.chest.measure import heart_labels, labels_of
    g = twin.grid
    k = LEVELS.index(level)
    y = g.axis_mm("y")
    j = int(np.argmin(np.abs(y - _top(twin, level) - frac * twin.meta["spine"]["pitches"][k])))
    i = int(np.argmin(np.abs(g.axis_mm("x") - x_mm)))
    col = twin.labels[:, j, i]
    heart = np.flatnonzero(np.isin(col, heart_labels(twin)))
    lung = np.isin(col, labels_of(twin, "lung"))
    zd = g.axis_mm("z") - twin.meta["zc_mm"]
    inside = np.flatnonzero(lung | np.isin(col, heart_labels(twin)))
    if heart.size == 0 or inside.size == 0:
        return None
    seg = slice(inside[0], heart[0])
    n = heart[0] - inside[0]
    return float(lung[seg].sum() * VOX), float((n - lung[seg].sum()) * VOX)


@pytest.mark.parametrize("level", ["T7", "T8"])
def test_lungs_wrap_the_heart_in_front(twin, level):
    """Below the anterior junction the right lung's anterior border runs on in the median plane
    to the xiphisternal joint, while the left lung's turns out through the cardiac notch (3.5
    cm from the sternal margin at the 4th costal cartilage, 4 cm from the median plane at the
    6th), where the pericardium lies against the chest wall (BD Chaurasia's Human Anatomy,
    vol. 1, ch. 21, surface marking of the lungs): so at the heart's levels a PA ray 10 mm right
    of the midline crosses lung in front of the heart, and one 25 mm left of it none. Before
    2026-12-03 (issue-19slab12) the mediastinal band (30-40 mm wide) ran from the sternum to the
    spine at every level: no lung in front of the heart within ~17 mm of the midline."""
    right = _in_front_of_heart_mm(twin, level, -10.0)
    assert right is not None and right[0] >= 2.0 * VOX, right
    left = _in_front_of_heart_mm(twin, level, 25.0)
    assert left is not None and left[0] <= VOX, left
