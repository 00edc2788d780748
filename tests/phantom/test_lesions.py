"""Lesion models and insertion.

References used by the checks: sizes from the VICTRE study (Badano et al., JAMA Netw Open
2018; DIDSR/breastMass docs: masses 5-10 mm here, VICTRE's own mass 5 mm; calcifications
0.1-0.5 mm in a 5 mm cube), measured on the voxels with SciPy (connected components) and
scikit-image (marching-cubes surface area), which share no code with the generators.
"""

import math

import numpy as np
import pytest
from scipy import ndimage
from skimage import measure

from victwin.geometry import Grid
from victwin.phantom import Phantom
from victwin.phantom.lesions import (LesionModel, calcification_cluster, insert_lesion,
                                     lung_nodule, spiculated_mass)

SEEDS = range(6)

# a small "breast": air, skin shell, fat, a glandular ellipsoid, a muscle slab, a nipple
AIR, FAT, SKIN, GLAND, MUSCLE, NIPPLE = 0, 1, 2, 3, 4, 5
MATERIALS = {AIR: "air", FAT: "adipose", SKIN: "skin", GLAND: "glandular", MUSCLE: "muscle",
             NIPPLE: "skin"}


def toy_breast(voxel_mm=0.25, n=(80, 160, 160)):
    grid = Grid(shape=n, spacing=(voxel_mm,) * 3, origin=(-5.0, -15.0, 20.0))
    z = grid.axis_mm("z")[:, None, None]
    y = grid.axis_mm("y")[None, :, None]
    x = grid.axis_mm("x")[None, None, :]
    r = np.sqrt((x / 28.0) ** 2 + (y / 14.0) ** 2 + ((z - 30.0) / 9.5) ** 2)
    lab = np.full(n, AIR, np.uint8)
    lab[r <= 1.0] = SKIN
    r_in = np.sqrt((x / 27.0) ** 2 + (y / 13.0) ** 2 + ((z - 30.0) / 8.5) ** 2)
    lab[r_in <= 1.0] = FAT
    rg = np.sqrt(((x - 14.0) / 9.0) ** 2 + (y / 8.0) ** 2 + ((z - 30.0) / 6.0) ** 2)
    lab[(rg <= 1.0) & (r_in <= 1.0)] = GLAND
    lab[(x < 3.0) & (r <= 1.0)] = MUSCLE
    lab[(np.sqrt((x - 28.5) ** 2 + y ** 2 + (z - 30) ** 2) < 1.5)] = NIPPLE
    return Phantom(labels=lab, grid=grid, materials=dict(MATERIALS), meta={"recipe": "toy"})


def equivalent_diameter(mask, voxel_mm):
    return (6.0 * np.count_nonzero(mask) * voxel_mm ** 3 / math.pi) ** (1 / 3)


def sphericity(mask, voxel_mm):
    verts, faces, _, _ = measure.marching_cubes(np.pad(mask, 1).astype(np.float32), 0.5,
                                                spacing=(voxel_mm,) * 3)
    area = measure.mesh_surface_area(verts, faces)
    vol = np.count_nonzero(mask) * voxel_mm ** 3
    return math.pi ** (1 / 3) * (6 * vol) ** (2 / 3) / area


# -- generation -----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_mass_size_connected_and_spiculated(seed):
    vox = 0.15
    m = spiculated_mass(np.random.default_rng(seed), voxel_mm=vox)
    assert m.kind == "mass" and m.materials == ("mass",)
    d = equivalent_diameter(m.patch > 0, vox)
    assert 5.0 <= d <= 10.0                      # VICTRE range
    assert m.size_mm == pytest.approx(d, rel=1e-9)
    assert abs(d - m.info["target_diameter_mm"]) < 0.1 * m.info["target_diameter_mm"]
    _, n = ndimage.label(m.patch > 0, structure=np.ones((3, 3, 3)))
    assert n == 1                                # spicules join the core
    # spicules and lobes make the surface much rougher than a sphere (sphericity 1)
    assert sphericity(m.patch > 0, vox) < 0.8
    # the patch centre is the lesion centre: the mass's centroid is near it
    com = np.array(ndimage.center_of_mass(m.patch > 0))
    assert np.all(np.abs(com - (np.array(m.patch.shape) - 1) / 2) * vox < 0.25 * d)


def test_mass_requested_diameter_and_smooth_nodule_is_rounder():
    m = spiculated_mass(3, diameter_mm=5.0, voxel_mm=0.1)
    assert equivalent_diameter(m.patch > 0, 0.1) == pytest.approx(5.0, rel=0.1)
    n = lung_nodule(3, diameter_mm=5.0, voxel_mm=0.1)
    assert sphericity(n.patch > 0, 0.1) > sphericity(m.patch > 0, 0.1) + 0.1


@pytest.mark.parametrize("seed", SEEDS)
def test_calcification_cluster_sizes_and_extent(seed):
    vox = 0.05
    c = calcification_cluster(np.random.default_rng(seed), voxel_mm=vox)
    lab, n = ndimage.label(c.patch > 0, structure=np.ones((3, 3, 3)))
    assert n == c.info["n_calcifications"] and 4 <= n <= 10
    for sl in ndimage.find_objects(lab):
        comp = lab[sl] > 0
        longest = max(s.stop - s.start for s in sl) * vox
        assert longest <= 0.5 + 2 * vox          # 0.1-0.5 mm calcifications
        assert 0.1 - 2 * vox <= equivalent_diameter(comp, vox) <= 0.5
    idx = np.argwhere(c.patch)
    extent = ((idx.max(0) - idx.min(0)) + 1) * vox
    assert extent.max() <= 5.0 + vox and extent.max() == pytest.approx(c.size_mm)
    assert extent.max() >= 1.0                   # several calcifications, > 1 mm apart
    centroids = np.array(ndimage.center_of_mass(c.patch > 0, lab, range(1, n + 1))) * vox
    d = np.linalg.norm(centroids[:, None] - centroids[None], axis=-1)[np.triu_indices(n, 1)]
    assert d.min() >= 1.0 - 2 * vox
    # the VICTRE pipeline's units bug filled the whole cube; ours fills well under 1 %
    assert np.count_nonzero(c.patch) / c.patch.size < 0.01


def test_calcification_material_and_count():
    c = calcification_cluster(1, n_calcifications=5, material="calcium_oxalate", voxel_mm=0.05)
    assert c.materials == ("calcium_oxalate",)
    assert ndimage.label(c.patch > 0, structure=np.ones((3, 3, 3)))[1] == 5


def test_nodules_solid_and_part_solid():
    s = lung_nodule(2, diameter_mm=10.0, voxel_mm=0.25)
    assert s.materials == ("mass",)
    assert equivalent_diameter(s.patch > 0, 0.25) == pytest.approx(10.0, rel=0.05)
    p = lung_nodule(2, diameter_mm=10.0, nodule_type="part-solid", solid_fraction=0.5,
                    halo_fill=0.3, voxel_mm=0.25)
    assert p.materials == ("mass", "soft_tissue")
    assert equivalent_diameter(p.patch == 1, 0.25) == pytest.approx(5.0, rel=0.1)
    # halo voxels: envelope minus core ~ (10^3 - 5^3)/10^3 of the envelope; 30 % of them filled
    n_halo = (1 - 0.5 ** 3) * math.pi / 6 * 10.0 ** 3 / 0.25 ** 3
    filled = np.count_nonzero(p.patch == 2)
    assert filled == pytest.approx(0.3 * n_halo, rel=0.1)


def test_same_seed_same_bytes_different_seed_differs():
    for make in (lambda s: spiculated_mass(s, voxel_mm=0.2),
                 lambda s: calcification_cluster(s, voxel_mm=0.05),
                 lambda s: lung_nodule(s, nodule_type="part-solid")):
        a, b, c = make(7), make(7), make(8)
        assert a.patch.tobytes() == b.patch.tobytes() and a.patch.shape == b.patch.shape
        assert a.patch.shape != c.patch.shape or a.patch.tobytes() != c.patch.tobytes()


@pytest.mark.parametrize("kwargs, match", [
    # one positive-number check for every package (victwin._checks.check_positive)
    ({"diameter_mm": -1.0}, r"^diameter_mm must be a finite number > 0, got -1\.0$"),
    ({"diameter_mm": True}, r"^diameter_mm must be a finite number > 0, got True$"),
    ({"diameter_mm": 50.0}, r"^diameter_mm must be within \[2\.0, 30\.0\], got 50\.0$"),
    ({"voxel_mm": 0.0}, r"^voxel_mm must be a finite number > 0, got 0\.0$"),
    ({"n_spicules": 2.5}, "n_spicules"),
])
def test_mass_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        spiculated_mass(0, **kwargs)


def test_cluster_and_nodule_bad_input():
    with pytest.raises(ValueError, match="material"):
        calcification_cluster(0, material="bone")
    with pytest.raises(ValueError, match="diameter_range_mm"):
        calcification_cluster(0, diameter_range_mm=(0.5, 0.1))
    with pytest.raises(ValueError, match="min_separation_mm"):
        calcification_cluster(0, n_calcifications=30, extent_mm=2.0, min_separation_mm=1.5,
                              diameter_range_mm=(0.1, 0.2))
    with pytest.raises(ValueError, match="nodule_type"):
        lung_nodule(0, nodule_type="cavitary")
    with pytest.raises(TypeError, match="rng"):
        lung_nodule("seed")


# -- insertion ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def breast():
    return toy_breast()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", ["mass", "calcification"])
def test_insert_changes_only_the_bounding_box_and_stays_in_the_breast(breast, kind, seed):
    rng = np.random.default_rng(seed)
    model = (spiculated_mass(rng, diameter_mm=5.0, voxel_mm=0.25) if kind == "mass"
             else calcification_cluster(rng, voxel_mm=0.25, diameter_range_mm=(0.3, 0.5)))
    new, rec = insert_lesion(breast, model, rng=rng)
    a, b = breast.labels, new.labels
    (z0, y0, x0), (z1, y1, x1) = rec.extra["bbox_index_zyx"]
    outside = np.ones(a.shape, bool)
    outside[z0:z1, y0:y1, x0:x1] = False
    assert np.array_equal(a[outside], b[outside])        # identical outside the box
    changed = a != b
    assert changed.any()
    assert np.count_nonzero(changed) == np.count_nonzero(model.patch)   # same voxel size
    # every lesion voxel lies on breast tissue (not air, skin, nipple or muscle)
    assert set(np.unique(a[changed])) <= {FAT, GLAND}
    assert set(np.unique(b[changed])) == {rec.label}
    assert new.materials[rec.label] == ("mass" if kind == "mass" else "hydroxyapatite")
    # the centre was drawn on glandular tissue and the box is centred on it
    ci = np.rint(breast.grid.world_to_index(rec.center_mm)).astype(int)
    assert a[tuple(ci)] == GLAND
    assert np.allclose(ci, (np.array([z0, y0, x0]) + np.array([z1, y1, x1]) - 1) / 2)
    assert new.lesions == (rec,) and rec.kind == kind
    assert rec.size_mm == pytest.approx(model.size_mm)


def test_insert_same_seed_same_bytes(breast):
    m = spiculated_mass(4, diameter_mm=5.0, voxel_mm=0.25)
    a, ra = insert_lesion(breast, m, rng=11)
    b, rb = insert_lesion(breast, m, rng=11)
    c, rc = insert_lesion(breast, m, rng=12)
    assert a.labels.tobytes() == b.labels.tobytes() and ra == rb
    assert rc.center_mm != ra.center_mm


def test_insert_resamples_patch_to_the_phantom_voxel(breast):
    m = spiculated_mass(5, diameter_mm=6.0, voxel_mm=0.1)
    new, rec = insert_lesion(breast, m, rng=0)
    n = np.count_nonzero(new.labels != breast.labels)
    assert n * 0.25 ** 3 == pytest.approx(m.volume_mm3, rel=0.25)


def test_second_lesion_avoids_the_first_and_shares_its_label(breast):
    rng = np.random.default_rng(3)
    one, r1 = insert_lesion(breast, spiculated_mass(rng, diameter_mm=5.0, voxel_mm=0.25),
                            rng=rng)
    two, r2 = insert_lesion(one, spiculated_mass(rng, diameter_mm=5.0, voxel_mm=0.25), rng=rng)
    assert r2.label == r1.label and len(two.lesions) == 2
    # the second lesion wrote only over non-lesion voxels
    assert np.count_nonzero(two.labels == r1.label) == (
        np.count_nonzero(one.labels == r1.label) + np.count_nonzero(two.labels != one.labels))
    cal, r3 = insert_lesion(two, calcification_cluster(rng, voxel_mm=0.25,
                                                       diameter_range_mm=(0.3, 0.5)), rng=rng)
    assert r3.label not in (r1.label,) and cal.materials[r3.label] == "hydroxyapatite"


def test_insert_at_given_centre_and_errors(breast):
    m = spiculated_mass(1, diameter_mm=5.0, voxel_mm=0.25)
    new, rec = insert_lesion(breast, m, center_mm=(14.0, 0.0, 30.0))
    assert np.allclose(rec.center_mm, (14.0, 0.0, 30.0), atol=0.125 + 1e-9)
    with pytest.raises(ValueError, match="center_mm.*(air|skin)"):
        insert_lesion(breast, m, center_mm=(14.0, 13.0, 30.0))       # across the skin
    with pytest.raises(ValueError, match="center_mm.*muscle"):
        insert_lesion(breast, m, center_mm=(4.0, 0.0, 30.0))         # on the pectoralis
    with pytest.raises(ValueError, match="center_mm.*grid"):
        insert_lesion(breast, m, center_mm=(-4.0, -15.0, 20.0))      # off the grid
    with pytest.raises(ValueError, match="tissue 'lung'"):
        insert_lesion(breast, lung_nodule(0, diameter_mm=4.0, voxel_mm=0.25), rng=0)
    big = spiculated_mass(1, diameter_mm=25.0, voxel_mm=0.25)        # larger than the breast
    with pytest.raises(ValueError, match="could not place|larger than"):
        insert_lesion(breast, big, rng=0, max_tries=50)
    with pytest.raises(TypeError, match="phantom"):
        insert_lesion(breast.labels, m)


def test_nodule_into_lung():
    grid = Grid(shape=(60, 60, 60), spacing=(1.0,) * 3, origin=(-30.0, -30.0, 0.0))
    lab = np.full(grid.shape, 1, np.uint8)                 # soft tissue body
    lab[5:55, 5:55, 5:55] = 2                              # lung
    ph = Phantom(labels=lab, grid=grid, materials={1: "soft_tissue", 2: "lung"})
    model = lung_nodule(4, diameter_mm=12.0, nodule_type="part-solid", voxel_mm=1.0)
    new, rec = insert_lesion(ph, model, rng=4)
    changed = new.labels != ph.labels
    assert set(np.unique(ph.labels[changed])) == {2}
    assert {new.materials[v] for v in np.unique(new.labels[changed])} == {"mass", "soft_tissue"}
    assert rec.kind == "nodule" and new.materials[rec.label] == "mass"


def test_fine_cluster_into_coarse_phantom_keeps_every_calcification(breast):
    c = calcification_cluster(9, n_calcifications=6, voxel_mm=0.05,
                              diameter_range_mm=(0.15, 0.3), min_separation_mm=1.2)
    new, rec = insert_lesion(breast, c, rng=9)                 # 0.05 mm -> 0.25 mm voxels
    changed = new.labels != breast.labels
    assert ndimage.label(changed, structure=np.ones((3, 3, 3)))[1] == 6


def test_lesion_model_is_validated():
    with pytest.raises(ValueError, match="LesionModel.kind"):
        LesionModel("cyst", np.ones((3, 3, 3), np.uint8), ("mass",), 0.1, 1.0)
    with pytest.raises(ValueError, match="LesionModel.patch"):
        LesionModel("mass", np.zeros((3, 3, 3), np.uint8), ("mass",), 0.1, 1.0)
    with pytest.raises(ValueError, match="LesionModel.patch"):
        LesionModel("mass", np.full((3, 3, 3), 2, np.uint8), ("mass",), 0.1, 1.0)
    m = LesionModel("mass", np.ones((3, 3, 3), np.uint8), ("mass",), 0.5, 1.0)
    assert m.volume_mm3 == pytest.approx(27 * 0.125) and not m.patch.flags.writeable
