"""Chest phantom: material table, determinism, anatomy measured on the labels, recipe errors.

Anatomy checks measure the label volume directly (SciPy connected components, scikit-image
convex hulls) and compare with anatomical facts: the lungs sit inside the rib cage, the spine
lies posterior to the heart (larger z in the PA frame, where the anterior chest faces the
detector at z = 0), the heart lies left of the midline, the right hemidiaphragm is higher than
the left, and measured sizes fall inside the recipe's ranges.
"""

import tomllib
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from skimage.morphology import convex_hull_image

import victwin.phantom as vp
from victwin.phantom._chest import make_chest
from victwin.phantom.lesions import insert_lesion, lung_nodule

RECIPE = Path(__file__).resolve().parents[2] / "phantoms" / "chest" / "adult.toml"
ALLOWED = {"air", "lung", "soft_tissue", "adipose", "muscle", "blood", "bone"}
VOX = 4.0


@pytest.fixture(scope="module")
def chest():
    return make_chest("chest/adult", seed=3, voxel_mm=2.0)


@pytest.fixture(scope="module")
def ranges():
    return tomllib.loads(RECIPE.read_text())


def label_set(ph, *names):
    return [k for k, v in ph.materials.items() if v in names]


def test_every_label_has_a_canonical_material(chest):
    present = set(np.unique(chest.labels).tolist())
    assert present <= set(chest.materials)
    assert set(chest.materials.values()) <= ALLOWED
    assert {chest.materials[k] for k in present} == ALLOWED      # every tissue is there


def test_make_dispatches_and_same_seed_same_bytes(tmp_path):
    a = vp.make("chest/adult", seed=5, voxel_mm=VOX)
    b = make_chest("chest/adult", seed=5, voxel_mm=VOX)
    c = make_chest("chest/adult", seed=6, voxel_mm=VOX)
    assert a.labels.tobytes() == b.labels.tobytes() and a.grid == b.grid and a.meta == b.meta
    assert a.save(tmp_path / "a.npz").read_bytes() == b.save(tmp_path / "b.npz").read_bytes()
    assert a.meta["body_width_mm"] != c.meta["body_width_mm"]
    assert a.labels.shape != c.labels.shape or not np.array_equal(a.labels, c.labels)


def test_world_frame_is_chest_pa(chest):
    g = chest.grid
    body = chest.labels != 0
    zs = np.flatnonzero(body.any(axis=(1, 2)))
    # anterior surface just above the detector (z = 0), x centred on the midline
    assert 0.0 < g.axis_mm("z")[zs[0]] < 15.0
    xs = g.axis_mm("x")[np.flatnonzero(body.any(axis=(0, 1)))]
    assert abs(xs[0] + xs[-1]) <= 2 * g.spacing[2]


def test_lungs_are_lung_material_inside_the_rib_cage(chest):
    lab = chest.labels
    lung = np.isin(lab, label_set(chest, "lung"))
    bone = np.isin(lab, label_set(chest, "bone"))
    vessels = np.isin(lab, label_set(chest, "blood")) & ndimage.binary_dilation(lung)
    # lungs are mostly air-filled parenchyma, not vessels
    assert lung.sum() / (lung.sum() + vessels.sum()) > 0.85
    # two lungs, each one connected piece of meaningful size
    comp, n = ndimage.label(lung)
    sizes = np.sort(np.bincount(comp.ravel())[1:])[::-1]
    assert sizes[1] > 0.3 * sizes[0] and sizes[:2].sum() > 0.97 * lung.sum()
    # in axial slices through the lungs, the lung lies inside the hull of the bone
    ys = np.flatnonzero(lung.any(axis=(0, 2)))
    inside = total = 0
    for j in ys[len(ys) // 5: 4 * len(ys) // 5: 5]:
        hull = convex_hull_image(bone[:, j, :])
        inside += np.count_nonzero(lung[:, j, :] & hull)
        total += np.count_nonzero(lung[:, j, :])
    assert inside / total > 0.97


def test_spine_is_behind_the_heart_and_the_heart_left_of_midline(chest):
    g = chest.grid
    lab = chest.labels
    x = g.axis_mm("x")
    z = g.axis_mm("z")
    blood = np.isin(lab, label_set(chest, "blood"))
    comp, _ = ndimage.label(blood)
    heart = comp == np.argmax(np.bincount(comp.ravel())[1:]) + 1   # chambers + great vessels
    hz, hy, hx = ndimage.center_of_mass(heart)
    rows = slice(int(hy) - 10, int(hy) + 10)
    central = np.abs(x) < 20.0
    bone = np.isin(lab[:, rows][..., central], label_set(chest, "bone"))
    profile = bone.sum(axis=(1, 2))                              # bone voxels per z plane
    heart_z = np.interp(hz, np.arange(len(z)), z)
    behind, front = profile[z > heart_z], profile[z <= heart_z]
    # the vertebral column behind the heart outweighs the sternum in front of it
    assert behind.sum() > 2 * front.sum()
    spine_z = np.sum(z[z > heart_z] * behind) / behind.sum()
    assert spine_z > heart_z + 40.0
    assert np.interp(hx, np.arange(len(x)), x) > 5.0           # heart to the patient's left


def test_right_hemidiaphragm_is_higher(chest):
    g = chest.grid
    lung = np.isin(chest.labels, label_set(chest, "lung"))
    x = g.axis_mm("x")
    y = g.axis_mm("y")
    half_w = chest.meta["body_width_mm"] / 2
    lowest = {}
    for side, sx in (("right", -1), ("left", 1)):
        cols = np.abs(x - sx * 0.35 * half_w) < 10.0
        ys = np.flatnonzero(lung[:, :, cols].any(axis=(0, 2)))
        lowest[side] = y[ys[-1]]
    # the lowest lung voxel sits in the posterior recess; compare the dome tops instead
    tops = {}
    zmid = lung.shape[0] // 2
    for side, sx in (("right", -1), ("left", 1)):
        col = np.argmin(np.abs(x - sx * 0.4 * half_w))
        ys = np.flatnonzero(lung[zmid - 3: zmid + 3, :, col].any(axis=0))
        tops[side] = y[ys[-1]]
    assert tops["right"] < tops["left"] - 3.0                   # y grows towards the feet
    assert abs(lowest["right"] - lowest["left"]) < 40.0


@pytest.mark.parametrize("seed", range(4))
def test_sizes_within_recipe_ranges(seed, ranges):
    ph = make_chest("chest/adult", seed=seed, voxel_mm=VOX)
    g = ph.grid
    body = ph.labels != 0
    x_ext = np.flatnonzero(body.any(axis=(0, 1)))
    z_ext = np.flatnonzero(body.any(axis=(1, 2)))
    width = (x_ext[-1] - x_ext[0] + 1) * VOX
    depth = (z_ext[-1] - z_ext[0] + 1) * VOX
    w, d = ranges["body"]["width_mm"], ranges["body"]["depth_mm"]
    assert w["min"] - 2 * VOX <= width <= w["max"] + 2 * VOX
    assert d["min"] - 2 * VOX <= depth <= d["max"] + 2 * VOX
    assert width == pytest.approx(ph.meta["body_width_mm"], abs=2 * VOX)
    lung = np.isin(ph.labels, label_set(ph, "lung"))
    y_ext = np.flatnonzero(lung.any(axis=(0, 2)))
    height = (y_ext[-1] - y_ext[0] + 1) * VOX
    h = ranges["lungs"]["height_mm"]
    assert h["min"] <= ph.meta["lung_height_mm"] <= h["max"]
    assert 0.85 * ph.meta["lung_height_mm"] <= height <= ph.meta["lung_height_mm"] + 2 * VOX
    hw = ranges["heart"]["width_mm"]
    assert hw["min"] <= ph.meta["heart_width_mm"] <= hw["max"]


def test_lungs_hold_a_vessel_tree():
    ph = make_chest("chest/adult", seed=1, voxel_mm=1.5)
    lung = np.isin(ph.labels, label_set(ph, "lung"))
    blood = np.isin(ph.labels, label_set(ph, "blood"))
    in_lung = blood & ndimage.binary_dilation(lung, iterations=2)
    comp, n = ndimage.label(in_lung, structure=np.ones((3, 3, 3)))
    # a branching tree reaches across the lungs: its pieces spread over most of the lung height
    ys = np.flatnonzero(in_lung.any(axis=(0, 2)))
    ly = np.flatnonzero(lung.any(axis=(0, 2)))
    assert (ys[-1] - ys[0]) > 0.6 * (ly[-1] - ly[0])
    assert 0.005 < in_lung.sum() / lung.sum() < 0.15


def test_nodule_goes_into_lung():
    ph = make_chest("chest/adult", seed=2, voxel_mm=VOX)
    new, rec = insert_lesion(ph, lung_nodule(2, diameter_mm=16.0, voxel_mm=VOX), rng=2)
    changed = new.labels != ph.labels
    assert {ph.materials[v] for v in np.unique(ph.labels[changed])} <= {"lung", "blood"}
    assert new.materials[rec.label] == "mass"


@pytest.mark.parametrize("edit, match", [
    (lambda r: r["body"].update(girth_mm=3.0), "body.girth_mm"),
    (lambda r: r.update(colour="red"), "colour"),
    (lambda r: r["body"].update(width_mm=-300.0), "body.width_mm"),
    (lambda r: r["lungs"].update(height_mm={"mean": 400.0, "sd": 1.0, "min": 200.0,
                                            "max": 300.0}), "lungs.height_mm"),
    (lambda r: r["lungs"].update(dome_height_mm={"mean": 40.0, "sd": -1.0, "min": 20.0,
                                                 "max": 60.0}), "dome_height_mm.sd"),
    (lambda r: r["heart"].pop("width_mm"), "heart.width_mm"),
    (lambda r: r["lungs"].update(vessel_generations=40), "lungs.vessel_generations"),
])
def test_bad_recipes_name_the_key(edit, match, ranges):
    import copy

    r = copy.deepcopy(ranges)
    edit(r)
    with pytest.raises(ValueError, match=match):
        vp.make(r, seed=0, voxel_mm=VOX)


def test_bad_arguments():
    with pytest.raises(ValueError, match="voxel_mm"):
        make_chest("chest/adult", voxel_mm=0.01)
    with pytest.raises(ValueError, match="seed"):
        make_chest("chest/adult", seed=-1)
    with pytest.raises(ValueError, match="not found|unknown recipe"):
        make_chest("chest/child")


def test_projects_into_a_chest_pa_radiograph():
    """Ray-traced with the shared chest PA scan (victwin.geometry.radiography_view): the body
    lies between detector and source, the lung fields are centred on the panel and the heart
    projects to the patient's left (u > 0)."""
    from victwin.geometry import radiography_view
    from victwin.raytrace import project_labels

    ph = make_chest("chest/adult", seed=0, voxel_mm=6.0)
    assert ph.grid.lower_mm[2] >= 0.0
    view = radiography_view(detector_shape=(3072, 3072), pitch_mm=0.14, detector_binning=64)
    paths = project_labels(ph.labels, ph.grid, [view], max(ph.materials) + 1)[0]
    lung = sum(paths[k] for k in label_set(ph, "lung"))
    nv, nu = lung.shape
    u = (np.arange(nu) - (nu - 1) / 2) * view.panel.pitch[1]
    v = (np.arange(nv) - (nv - 1) / 2) * view.panel.pitch[0]
    w = lung.sum()
    assert abs((lung.sum(0) * u).sum() / w) < 15.0                # centred left-right
    assert abs((lung.sum(1) * v).sum() / w) < 40.0                # centred head-feet
    heart = paths[label_set(ph, "blood")[0]] * (np.abs(v)[:, None] < 120)
    assert (heart.sum(0) * u).sum() / heart.sum() > 5.0           # heart to the left
