"""The Phantom value: validation, exact save/load round trip, deterministic bytes, errors."""

import zipfile

import numpy as np
import pytest

from victwin.geometry import Grid
from victwin.phantom import Lesion, Phantom, load


def _small(seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=(5, 6, 7)).astype(np.uint8)
    labels[2, 3, 4] = 21
    grid = Grid(shape=(5, 6, 7), spacing=(0.5, 0.25, 0.25), origin=(0.125, -0.625, 20.25))
    materials = {0: "air", 1: "adipose", 2: "skin", 3: "glandular", 21: "mass"}
    lesion = Lesion(kind="spiculated_mass", center_mm=(1.125, 0.125, 21.25), size_mm=5.0,
                    label=21, extra={"seed": 3})
    return Phantom(labels=labels, grid=grid, materials=materials, lesions=[lesion],
                   meta={"recipe": "test", "seed": seed, "thickness_mm": 2.5,
                         "value": np.float64(0.5)})


def test_round_trip_is_exact(tmp_path):
    p = _small()
    path = p.save(tmp_path / "p.npz")
    q = load(path)
    assert q == p
    assert q.labels.dtype == np.uint8 and np.array_equal(q.labels, p.labels)
    assert q.grid == p.grid and q.materials == p.materials
    assert q.lesions[0].center_mm == (1.125, 0.125, 21.25) and q.lesions[0].extra == {"seed": 3}
    assert q.meta["value"] == 0.5


def test_same_phantom_same_bytes(tmp_path):
    # Fixed zip timestamps: the file is a function of the content only.
    a = _small().save(tmp_path / "a.npz").read_bytes()
    b = _small().save(tmp_path / "b.npz").read_bytes()
    c = _small(seed=1).save(tmp_path / "c.npz").read_bytes()
    assert a == b and a != c


def test_labels_are_read_only_and_with_labels_keeps_a_read_only_view():
    p = _small()
    before = p.labels.copy()
    with pytest.raises(ValueError):
        p.labels[0, 0, 0] = 1
    new = np.array(p.labels)
    new[0, 0, 0] = 30
    q = p.with_labels(new, materials={30: "hydroxyapatite"})
    assert q.materials[30] == "hydroxyapatite" and q.materials[1] == "adipose"
    assert q.labels[0, 0, 0] == 30
    # The old phantom is untouched; the new one holds a read-only view of the array it was
    # given (no copy: phantoms reach 10^8-10^9 voxels), so its labels cannot be edited.
    np.testing.assert_array_equal(p.labels, before)
    assert np.shares_memory(q.labels, new) and not np.shares_memory(q.labels, p.labels)
    with pytest.raises(ValueError):
        q.labels[0, 0, 0] = 1
    assert q.lesions == p.lesions and q.grid == p.grid


@pytest.mark.parametrize("change, match", [
    ({"materials": {0: "air", 1: "adipose"}}, "no entry for labels"),
    ({"materials": {0: "air", 1: "adipose", 2: "skin", 3: "glandular", 21: "unobtainium"}},
     "materials\\[21\\]"),
    ({"labels": np.zeros((5, 6, 7), dtype=np.int16)}, "uint8"),
    ({"labels": np.zeros((5, 6, 8), dtype=np.uint8)}, "grid.shape"),
])
def test_invalid_phantoms_are_refused(change, match):
    with pytest.raises(ValueError, match=match):
        _small().replace(**change)


def test_lesion_record_is_checked():
    with pytest.raises(ValueError, match="size_mm"):
        Lesion(kind="mass", center_mm=(0, 0, 0), size_mm=-1, label=20)
    with pytest.raises(ValueError, match="center_mm"):
        Lesion(kind="mass", center_mm=(0, 0), size_mm=1, label=20)


def test_corrupt_or_foreign_files_give_one_line_errors(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.zeros(3))
    truncated = tmp_path / "trunc.npz"
    truncated.write_bytes(_small().save(tmp_path / "ok.npz").read_bytes()[:200])
    wrong = tmp_path / "wrong.npz"
    with zipfile.ZipFile(wrong, "w") as zf:
        zf.writestr("header.npy", b"\x93NUMPY garbage")
        zf.writestr("labels.npy", b"")
    for path in (junk, foreign, truncated, wrong, tmp_path / "missing.npz"):
        with pytest.raises(ValueError) as info:
            load(path)
        assert "\n" not in str(info.value) and str(path.name) in str(info.value)


def test_preview_writes_png(tmp_path):
    out = _small().preview(tmp_path / "p.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_replace_checks_the_labels_it_is_given():
    """``replace`` without new labels reuses the label values present (not counted again):
    the materials are still checked against them; new labels are counted afresh."""
    p = _small()
    q = p.replace(meta={"recipe": "other"})
    with pytest.raises(ValueError, match="no entry for labels \\[21\\]"):
        q.replace(materials={0: "air", 1: "adipose", 2: "skin", 3: "glandular"})
    new = np.array(p.labels)
    new[0, 0, 0] = 30
    with pytest.raises(ValueError, match="no entry for labels \\[30\\]"):
        q.replace(labels=new)
    r = q.replace(labels=np.ones((5, 6, 7), np.uint8), materials={1: "adipose"}, lesions=[])
    assert r.replace(meta={}).materials == {1: "adipose"}
