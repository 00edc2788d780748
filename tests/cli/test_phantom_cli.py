"""``victwin phantom make / preview / list`` run in-process through the CLI dispatcher."""

import json

import matplotlib.image as mpimg
import numpy as np
import pytest

import victwin.phantom as vp
from victwin.cli import main


def run(argv, capsys):
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_make_matches_the_library_and_writes_preview_and_json(tmp_path, capsys):
    out, png, js = tmp_path / "c.npz", tmp_path / "c.png", tmp_path / "c.json"
    rc, stdout, _ = run(["phantom", "make", "chest/adult", "--seed", "4", "--voxel-mm", "6",
                         "--out", str(out), "--preview", str(png), "--json", str(js)], capsys)
    assert rc == 0 and "chest/adult" in stdout
    loaded = vp.load(out)
    ref = vp.make("chest/adult", seed=4, voxel_mm=6.0)
    assert loaded == ref                                    # same labels, grid, materials, meta
    img = mpimg.imread(png)
    assert img.ndim == 3 and img.shape[0] > 100
    summary = json.loads(js.read_text())
    assert summary["shape_zyx"] == list(ref.grid.shape)
    assert summary["materials"] == {str(k): v for k, v in ref.materials.items()}
    assert summary["lesions"] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "c.npz", "c.png"]


def test_same_seed_same_file_bytes(tmp_path, capsys):
    for name in ("a", "b"):
        assert run(["phantom", "make", "chest/adult", "--seed", "2", "--voxel-mm", "5",
                    "--lesion", "nodule", "--out", str(tmp_path / f"{name}.npz")], capsys)[0] == 0
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_lesions_are_inserted_and_recorded(tmp_path, capsys):
    out, js = tmp_path / "b.npz", tmp_path / "b.json"
    rc, _, _ = run(["phantom", "make", "breast/fatty", "--voxel-mm", "1", "--lesion", "mass",
                    "--lesion", "calcification", "--out", str(out), "--json", str(js)], capsys)
    assert rc == 0
    ph = vp.load(out)
    assert [les.kind for les in ph.lesions] == ["mass", "calcification"]
    assert {ph.materials[les.label] for les in ph.lesions} == {"mass", "hydroxyapatite"}
    kinds = [d["kind"] for d in json.loads(js.read_text())["lesions"]]
    assert kinds == ["mass", "calcification"]
    # the anatomy is the lesion-free phantom's outside the lesions' boxes
    ref = vp.make("breast/fatty", seed=0, voxel_mm=1.0)
    keep = np.ones(ref.labels.shape, bool)
    for les in ph.lesions:
        (z0, y0, x0), (z1, y1, x1) = les.extra["bbox_index_zyx"]
        keep[z0:z1, y0:y1, x0:x1] = False
    assert np.array_equal(ph.labels[keep], ref.labels[keep])
    # no lesion voxel outside the breast or on skin, nipple (skin) or pectoralis (muscle)
    under = ref.labels[ph.labels != ref.labels]
    assert under.size and {ref.materials[v] for v in np.unique(under)} <= {
        "adipose", "glandular", "blood"}
    png = tmp_path / "l.png"
    assert run(["phantom", "preview", str(out), "--out", str(png), "--lesions"], capsys)[0] == 0
    assert mpimg.imread(png).ndim == 3


@pytest.mark.parametrize("argv, match", [
    (["phantom", "make", "chest/nope", "--out", "{d}/x.npz"], "unknown recipe 'chest/nope'"),
    (["phantom", "make", "chest/adult", "--out", "{d}/x.zarr"], "--out must end in .npz"),
    (["phantom", "make", "chest/adult", "--voxel-mm", "-1", "--out", "{d}/x.npz"], "voxel_mm"),
    (["phantom", "make", "chest/adult", "--voxel-mm", "8", "--lesion", "mass",
      "--out", "{d}/x.npz", "--preview", "{d}/x.png"], "glandular"),
    (["phantom", "preview", "{d}/missing.npz", "--out", "{d}/p.png"], "does not exist"),
])
def test_errors_are_one_line_and_leave_no_files(argv, match, tmp_path, capsys):
    rc, _, err = run([a.replace("{d}", str(tmp_path)) for a in argv], capsys)
    assert rc == 2
    lines = [ln for ln in err.splitlines() if ln.startswith("victwin")]
    assert len(lines) == 1 and lines[0].startswith("victwin: error:") and match in lines[0]
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_failure_after_saving_leaves_no_partial_outputs(tmp_path, capsys, monkeypatch):
    import victwin.cli._phantom as cli

    def broken(phantom, path):
        path.write_bytes(b"half a png")
        raise OSError("disk full")

    monkeypatch.setattr(cli, "_write_preview", broken)
    rc, _, err = run(["phantom", "make", "chest/adult", "--voxel-mm", "8", "--out",
                      str(tmp_path / "x.npz"), "--preview", str(tmp_path / "x.png")], capsys)
    assert rc == 2 and "disk full" in err
    assert list(tmp_path.iterdir()) == []


def test_list_names_the_chest_recipe(capsys):
    rc, out, _ = run(["phantom", "list"], capsys)
    assert rc == 0 and "chest/adult" in out.split()
