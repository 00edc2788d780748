"""Chest twins: bodies, anatomy measured on the labels against its published source, recipe
errors, determinism, the world frame.

Each anatomical check measures the built phantom (``victwin.phantom.chest.measure``) and
compares with a published value: lung volume with the ERS 1993 TLC equation (Quanjer et al.
1993), the cardiothoracic ratio with Danzer's normal range (< 0.5), 12 rib pairs spaced by a
vertebral level (thoracic body and disc heights, and Gray's thoracic column length; sources at
the test), 8-10 posterior ribs above the right dome at good inspiration, the right
hemidiaphragm higher than the left (Felson 1973).
"""

import numpy as np
import pytest
from scipy import ndimage

import victwin.phantom as vp
from victwin.phantom.chest import load_chest_recipe, make_chest
from victwin.phantom.chest.anatomy import TLC_RSD_L, tlc_ers1993_l
from victwin.phantom.chest.measure import (cardiothoracic_ratio, labels_of, lung_volume_ml,
                                           posterior_rib_crossings, ribs_above_right_dome)

from ._chest_bodies import BODIES, twin

VOX = 3.0
MAN = {"sex": "male", "age_years": 55, "height_cm": 178, "bmi": 26}
WOMAN = {"sex": "female", "age_years": 45, "height_cm": 160, "bmi": 31}


@pytest.fixture(scope="module")
def man():
    return make_chest({"body": MAN}, seed=3, voxel_mm=VOX)


@pytest.fixture(scope="module")
def woman():
    return make_chest({"body": WOMAN}, seed=4, voxel_mm=VOX)


def test_tlc_equation_matches_the_published_coefficients():
    # ERS 1993 (Quanjer et al.): men 7.99 H - 7.08, women 6.60 H - 5.79 (L, H in m)
    assert tlc_ers1993_l("male", 175.0) == pytest.approx(7.99 * 1.75 - 7.08)
    assert tlc_ers1993_l("female", 160.0) == pytest.approx(6.60 * 1.60 - 5.79)


@pytest.mark.parametrize("who", ["man", "woman"])
def test_lung_volume_within_the_ers1993_range(who, request):
    ph = request.getfixturevalue(who)
    b = ph.meta["body"]
    v_l = lung_volume_ml(ph) / 1000.0
    pred = tlc_ers1993_l(b["sex"], b["height_cm"])
    # inside the equation's 90 % range (predicted +- 1.64 RSD) ...
    assert abs(v_l - pred) <= 1.64 * TLC_RSD_L[b["sex"]] + 0.15
    # ... and within 1 % of the twin's own target: the solve aims its 4 mm count (within 0.3 %)
    # at the TLC plus an estimate of the lung the later painting takes (:mod:`.painted_lung`,
    # 2026-12-06; the estimate's residual SD 9.4 mL, up to 0.5 % of a small TLC); that count
    # against finer grids and the voxelisation at 3 mm add the rest: 16 readings of 8 bodies at
    # 3 and 4 mm lay within -0.70 to +0.44 %, the four docs twins at 2 mm within 0.49 % (NOTES,
    # issue-19tlc26). Until then 4 %: these two read -1.4 % and -2.9 % (now +0.23, -0.34 %).
    assert v_l == pytest.approx(ph.meta["thorax"]["tlc_ml"] / 1000.0, rel=0.01)


@pytest.mark.parametrize("who", ["man", "woman"])
def test_cardiothoracic_ratio_in_the_normal_range(who, request):
    ph = request.getfixturevalue(who)
    ctr, heart_mm, thorax_mm = cardiothoracic_ratio(ph)
    # Danzer 1919: normal CTR < 0.5. The drawn ratio must be normal; the measured one read at
    # VOX mm (each width +-1 voxel: the woman, drawn 0.490, reads 0.48-0.50 as the grid falls)
    # must be normal within that resolution
    assert 0.33 <= ph.meta["thorax"]["ctr"] < 0.50
    assert 0.33 <= ctr and (heart_mm - VOX) / (thorax_mm + VOX) < 0.50
    assert ctr == pytest.approx(ph.meta["thorax"]["ctr"], abs=0.04)
    assert 220.0 < thorax_mm < 380.0


@pytest.mark.parametrize("who", ["man", "woman"])
def test_twelve_ribs_a_vertebral_level_apart(who):
    # Read on the same bodies at 2 mm (the shared twins, tests/phantom/_chest_bodies.py):
    # the reader counts dithered rib bone voxels, and at 3 mm the woman's right second rib
    # crosses its band in 4 rows of 1-6 bone voxels, so whether its bump stands apart from the
    # third rib's depends on the dither's draw. With the dither's keys salted (the twin
    # otherwise fixed; NOTES, 2026-12-06, branch issue-19dither25) 29 of 30 draws read
    # 12 ribs on both sides at 3 mm, and 1 (the draw keyed by the anatomy's lattice, branch
    # issue-19dither25) 11 on the right; at 2 mm 16 of 16 draws read 12. Not a tolerance:
    # the bounds below are a voxel wide, so 2 mm makes them tighter.
    assert BODIES[who] == ((MAN, 3) if who == "man" else (WOMAN, 4))    # the fixtures' bodies
    ph = twin(who)
    vox = ph.grid.spacing[1]
    for side in (-1, 1):
        y = posterior_rib_crossings(ph, side=side)
        assert len(y) == 12
        gaps = np.diff(y)
        # Each gap is about one thoracic level, a vertebral body plus a disc. Posterior body
        # heights of 200 dry typical thoracic vertebrae ranged 14.04-26.28 mm ("A morphometric
        # study of the vertebral body in dry human typical thoracic vertebrae", Int J Anat
        # Physiol Biochem 1(1), eternalpublication.com/ijapb, abstract); anterior disc heights
        # in men 2.7 +- 0.7 mm at T4-5 and 5.4 +- 1.2 mm at T10-11 (Fletcher et al., CT
        # morphometry of adult thoracic intervertebral discs, Eur Spine J 2015,
        # doi:10.1007/s00586-015-3925-y, abstract). Bounds: the smallest body plus a disc
        # 2 SD under the T4-5 mean, the largest body plus a disc 2 SD over the T10-11 mean,
        # each widened by a voxel: the crossings are profile peaks on the twin's grid (the two
        # sides of this symmetric cage read 15 and 18 mm for the same gap at 3 mm, 2026-12-03).
        assert 14.04 + (2.7 - 2 * 0.7) - vox <= gaps.min()
        assert gaps.max() <= 26.28 + (5.4 + 2 * 1.2) + vox
        # The 11 gaps span T1..T12, 11/12 of the thoracic column: "about 28 cm" in a man whose
        # whole column is about 71 cm, a woman's column about 61 cm (Gray's Anatomy, 20th ed.
        # 1918, "The vertebral column as a whole"; a woman's thoracic part scaled by 61/71).
        # Within 20 %: Gray's are round averages and stature varies. Measured: man +7.5 %,
        # woman +13 % (3 mm; +9 / +13-14 % until the column was sized by stature, 2026-12-03);
        # at 2 mm (since 2026-12-06) man +4.4 %, woman +9.7 %, gaps 16-30 mm.
        thoracic_mm = 280.0 * (1.0 if who == "man" else 61.0 / 71.0)
        assert gaps.sum() == pytest.approx(thoracic_mm * 11.0 / 12.0, rel=0.20)
        # Lower levels are taller: the disc heights above grow caudally (Fletcher et al. 2015).
        assert gaps[-3:].mean() > gaps[:3].mean()


@pytest.mark.parametrize("who", ["man", "woman"])
def test_diaphragm_domes(who, request):
    ph = request.getfixturevalue(who)
    n_ribs, dome_y = ribs_above_right_dome(ph)
    # "The diaphragm should be found at about the level of the 8th - 10th posterior rib ... on
    # good inspiration" (Introduction to Radiology, introductiontoradiology.net, courses/rad/
    # cxr/technique5chest.html). Measured: 9 (man and woman).
    assert 8 <= n_ribs <= 10
    # right dome higher (smaller y) than the left: lowest lung level over each dome's lateral
    # slope (x = +-0.72 a0, beside the heart), mid-depth
    lung = np.isin(ph.labels, labels_of(ph, "lung"))
    x = ph.grid.axis_mm("x")
    cav = ph.meta["cavity"]
    y = ph.grid.axis_mm("y")
    zd = ph.grid.axis_mm("z") - ph.meta["zc_mm"]
    mid = lung[np.abs(zd) < 0.3 * cav["b0"]]
    right = y[mid[:, :, np.abs(x + 0.72 * cav["a0"]) < 6].any(axis=(0, 2))][-1]
    left = y[mid[:, :, np.abs(x - 0.72 * cav["a0"]) < 6].any(axis=(0, 2))][-1]
    assert right <= left - 3.0


def test_two_lungs_inside_the_rib_cage_spine_behind_heart(man):
    lab = man.labels
    lung = np.isin(lab, labels_of(man, "lung"))
    comp, n = ndimage.label(lung)
    sizes = np.sort(np.bincount(comp.ravel())[1:])[::-1]
    assert sizes[1] > 0.5 * sizes[0] and sizes[:2].sum() > 0.97 * lung.sum()
    g = man.grid
    hc = man.meta["anatomy_mm"]["heart_center"]
    assert hc[0] > 0                                # heart to the patient's left
    assert man.meta["anatomy_mm"]["vertebral_body_center_z"] > hc[2]   # spine behind (PA)
    # the anterior surface sits just above the detector
    body = lab != 0
    zs = np.flatnonzero(body.any(axis=(1, 2)))
    assert 0.0 < g.axis_mm("z")[zs[0]] < 10.0


def test_women_have_breast_tissue_and_fat_grows_with_bmi():
    lean = make_chest({"body": {**WOMAN, "bmi": 20}}, seed=1, voxel_mm=4.0)
    obese = make_chest({"body": {**WOMAN, "bmi": 38}}, seed=1, voxel_mm=4.0)
    man = make_chest({"body": {**MAN, "bmi": 20}}, seed=1, voxel_mm=4.0)
    assert labels_of(lean, "glandular") and (np.isin(lean.labels, labels_of(lean, "glandular"))
                                             .sum() > 0)
    assert not np.isin(man.labels, labels_of(man, "glandular")).any()

    def fat_mm(ph):               # lateral fat along x at mid-lung level, through zd = 0
        g = ph.grid
        iy = int(np.argmin(np.abs(g.axis_mm("y"))))
        iz = int(np.argmin(np.abs(g.axis_mm("z") - ph.meta["zc_mm"])))
        row = ph.labels[iz, iy]
        fat = row == labels_of(ph, "adipose")[0]
        return fat[: row.size // 2].sum() * g.spacing[2]

    assert fat_mm(obese) > fat_mm(lean) + 15.0
    assert obese.grid.shape[2] > lean.grid.shape[2]


def test_same_seed_same_bytes_and_make_dispatches(tmp_path):
    a = vp.make("chest/adult", seed=5, voxel_mm=6.0)
    b = make_chest("chest/adult", seed=5, voxel_mm=6.0)
    c = make_chest("chest/adult", seed=6, voxel_mm=6.0)
    assert a.labels.tobytes() == b.labels.tobytes() and a.grid == b.grid and a.meta == b.meta
    assert a.save(tmp_path / "a.npz").read_bytes() == b.save(tmp_path / "b.npz").read_bytes()
    assert a.meta["body"] != c.meta["body"]


def test_progress_names_every_step_in_order():
    # make_chest runs its named steps (victwin.phantom.chest.STEPS) one after the other; the
    # progress callback is told each name once, in that order, ending with "done"
    from victwin.phantom.chest import STEPS

    seen = []
    make_chest({"body": WOMAN}, seed=1, voxel_mm=8.0, progress=seen.append)
    assert tuple(seen) == STEPS and seen[-1] == "done" and len(set(seen)) == len(seen)


@pytest.mark.parametrize("body, match", [
    ({"bmi": -3}, "body.bmi"),
    ({"bmi": 90}, "body.bmi"),
    ({"height_cm": 300}, "body.height_cm"),
    ({"height_cm": "tall"}, "body.height_cm"),
    ({"sex": "x"}, "body.sex"),
    ({"age_years": 5}, "body.age_years"),
    ({"weight": 80}, "body.weight"),
])
def test_impossible_bodies_are_one_line_errors(body, match):
    with pytest.raises(ValueError, match=match) as exc:
        make_chest({"body": body}, voxel_mm=8.0)
    assert "\n" not in str(exc.value)


def test_recipe_errors():
    with pytest.raises(ValueError, match="voxel_mm"):
        make_chest("chest/adult", voxel_mm=0.01)
    with pytest.raises(ValueError, match="seed"):
        make_chest("chest/adult", seed=-1)
    with pytest.raises(ValueError, match="not found|unknown recipe"):
        make_chest("chest/child")
    with pytest.raises(ValueError, match="chest recipe: unknown key ribs; valid keys here: "):
        load_chest_recipe({"ribs": {}})
    with pytest.raises(ValueError, match="lungs.vessel_points"):
        load_chest_recipe({"lungs": {"vessel_points": 2.5}})


def test_projects_into_a_chest_pa_radiograph():
    """Ray-traced with the shared chest PA scan: the lung fields are centred on the panel and
    the heart projects to the patient's left (u > 0)."""
    from victwin.geometry import radiography_view
    from victwin.raytrace import project_labels

    ph = make_chest("chest/male", seed=0, voxel_mm=6.0)
    assert ph.grid.lower_mm[2] >= 0.0
    view = radiography_view(detector_shape=(3072, 3072), pitch_mm=0.14, detector_binning=64)
    paths = project_labels(ph.labels, ph.grid, [view], max(ph.materials) + 1)[0]
    lung = sum(paths[k] for k in labels_of(ph, "lung"))
    nv, nu = lung.shape
    u = (np.arange(nu) - (nu - 1) / 2) * view.panel.pitch[1]
    v = (np.arange(nv) - (nv - 1) / 2) * view.panel.pitch[0]
    w = lung.sum()
    assert abs((lung.sum(0) * u).sum() / w) < 15.0                # centred left-right
    assert abs((lung.sum(1) * v).sum() / w) < 40.0                # centred head-feet
    heart_labels = [int(k) for k, n in ph.meta["label_names"].items() if n == "heart chambers"]
    heart = paths[heart_labels[0]]
    assert (heart.sum(0) * u).sum() / heart.sum() > 5.0           # heart to the left


@pytest.mark.parametrize("who", ["man", "woman"])
def test_haller_index_and_trachea(who, request):
    ph = request.getfixturevalue(who)
    g, cav = ph.grid, ph.meta["cavity"]
    y, x = g.axis_mm("y"), g.axis_mm("x")
    zd = g.axis_mm("z") - ph.meta["zc_mm"]
    # Haller index at mid-thorax: inner transverse diameter (lung extent) over the distance
    # from the anterior chest wall's inner surface (behind the sternum) to the vertebral
    # body's front at the midline; normal 2.56 +- 0.35, pectus excavatum > 3.25 (Haller et
    # al. 1987)
    j = int(np.argmin(np.abs(y - (cav["y_apex"] + 0.45 * cav["height"]))))
    sl = ph.labels[:, j, :]
    lung = np.isin(sl, labels_of(ph, "lung")).any(axis=0)
    width = x[lung][-1] - x[lung][0]
    mid = sl[:, int(np.argmin(np.abs(x)))]
    # the anterior wall's inner surface in the midline: the back of the sternum (the last voxel
    # of the first run of bone from the front; since 2026-12-03, eleventh session, the sternum
    # lies under fat only, and the test until then took the back of the muscle in front of it)
    # (its front is the first voxel behind the skin that is not fat; it is 11 mm thick,
    # skeleton.STERNUM_MM; at 3 mm its thin cortex is not always drawn as bone)
    under = np.flatnonzero(~np.isin(mid, [0, *labels_of(ph, "adipose")]))
    inner_front = int(np.argmin(np.abs(zd - (zd[under[0]] + 11.0))))
    # the vertebral body's front: the 1.2 mm cortex is thinner than a 3 mm voxel, so look for
    # bone in the 3 x 3 columns around the midline (one column can miss the shell)
    i0 = int(np.argmin(np.abs(x)))
    bone = np.flatnonzero(np.isin(ph.labels[:, j - 1:j + 2, i0 - 1:i0 + 2],
                                  labels_of(ph, "bone")).any(axis=(1, 2)))
    back = bone[zd[bone] > zd[inner_front] + 20.0]  # vertebral body
    depth = zd[back[0]] - zd[inner_front]
    assert 2.0 <= width / depth <= 3.25
    # trachea coronal diameter above the carina: men 13-25 mm, women 10-21 mm (Breatnach 1984)
    carina_y = ph.meta["anatomy_mm"]["carina"][1]
    jt = int(np.argmin(np.abs(y - (carina_y - 40.0))))
    airway = [int(k) for k, v in ph.meta["label_names"].items() if v.startswith("trachea")]
    air = (ph.labels[:, jt, :] == airway[0]) & (np.abs(x) < 40)[None, :]
    cols = np.flatnonzero(air.any(axis=0))
    diam = (cols[-1] - cols[0] + 1) * g.spacing[2]
    lo, hi = (13.0, 25.0) if ph.meta["body"]["sex"] == "male" else (10.0, 21.0)
    assert lo - g.spacing[2] <= diam <= hi + g.spacing[2]


def test_the_airway_walls_spare_label_is_free():
    # the builder paints the airway walls with a spare label while their lumens are painted; it
    # must be neither a chest label nor any painter's transient label (every module-level
    # private integer constant in 16..255 of the chest package, found by scanning the modules,
    # not from the builder's own list). Until 2026-12-03 (sixth session) it was 255, the ribs'
    # interior, checked only by an assert (gone under python -O).
    import importlib
    import pkgutil

    import victwin.phantom.chest as chest
    from victwin.phantom.chest import builder

    used = {}
    for m in pkgutil.iter_modules(chest.__path__):
        mod = importlib.import_module(f"victwin.phantom.chest.{m.name}")
        for k, v in vars(mod).items():
            if (k.startswith("_") and k[1:].isupper() and type(v) is int and 16 <= v <= 255
                    and (m.name, k) != ("builder", "_AIRWAY_WALL")):
                used[f"{m.name}.{k}"] = v
    assert "ribs._INTERIOR" in used and "skeleton._INTERIOR" in used     # the scan sees them
    assert 0 <= builder._AIRWAY_WALL <= 255
    assert builder._AIRWAY_WALL not in builder.CHEST_LABELS
    assert builder._AIRWAY_WALL not in used.values(), used
