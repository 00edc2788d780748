"""Fingerprints of phantoms and lesion patches, to show a refactoring changed no byte.

Makes every breast recipe, ``chest/adult`` (both seeds draw a man), ``chest/female`` (breasts)
and ``analytic/shepp_logan`` at coarse voxels for two seeds, five lesion patches (``spiculated_mass``, ``calcification_cluster``, a part-solid
``lung_nodule``, ``victre_mass``, ``victre_cluster``) and a dense breast with a mass and a
cluster inserted, and prints the SHA-256 (first 16 hex digits) of each saved ``.npz`` or patch.
Run it at two commits and compare the JSON files: equal fingerprints mean equal bytes.

Usage: python benchmarks/phantom_bytes.py [--json OUT.json]

(Issue 17: the phantom package split and the recipe schema left all 27 fingerprints equal;
about 1 minute on a quiet 2-core machine once the numba kernels are compiled.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import victwin.phantom as vp
from victwin.phantom import lesions as L

#: (recipe, voxel_mm): coarse enough to run in seconds.
PHANTOMS = [("breast/dense", 2.0), ("breast/fatty", 2.0), ("breast/scattered", 1.5),
            ("breast/heterogeneous", 2.5), ("chest/adult", 6.0), ("chest/female", 6.0),
            ("analytic/shepp_logan", 4.0)]
SEEDS = (0, 7)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _lesion(model) -> str:
    head = json.dumps([model.kind, model.materials, model.voxel_mm, model.size_mm,
                       list(model.patch.shape), model.info], sort_keys=True, default=repr)
    return _sha(head.encode() + model.patch.tobytes())


def fingerprints(tmp: Path) -> dict:
    out = {}
    for recipe, vox in PHANTOMS:
        for seed in SEEDS:
            p = vp.make(recipe, seed=seed, voxel_mm=vox)
            out[f"{recipe} seed {seed} {vox:g} mm"] = _sha(p.save(tmp / "p.npz").read_bytes())
    mass, cluster = L.spiculated_mass(3, voxel_mm=0.2), L.calcification_cluster(4, voxel_mm=0.1)
    out["spiculated_mass"] = _lesion(mass)
    out["calcification_cluster"] = _lesion(cluster)
    out["lung_nodule part-solid"] = _lesion(L.lung_nodule(5, nodule_type="part-solid",
                                                          voxel_mm=0.5))
    out["victre_mass"] = _lesion(vp.victre_mass(6, voxel_mm=0.2))
    out["victre_cluster"] = _lesion(vp.victre_cluster(7, voxel_mm=0.1))
    p = vp.make("breast/dense", seed=1, voxel_mm=1.0)
    p, _ = L.insert_lesion(p, mass, rng=11)
    p, _ = L.insert_lesion(p, cluster, rng=12)
    out["breast/dense + mass + cluster"] = _sha(p.save(tmp / "q.npz").read_bytes())
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, default=None, help="write the fingerprints here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = fingerprints(Path(tmp))
    width = max(len(k) for k in out)
    print(f"{'phantom / lesion':<{width}}  sha256[:16]")
    for k, v in out.items():
        print(f"{k:<{width}}  {v}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
