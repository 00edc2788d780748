"""``victwin phantom``: make phantoms from recipes, insert lesions, preview phantom files.

Sub-commands::

    victwin phantom make RECIPE --seed N --voxel-mm 0.1 --out FILE.npz [--preview PNG]
                         [--lesion mass|calcification|nodule ...] [--json PATH]
    victwin phantom preview FILE.npz --out PNG [--lesions]
    victwin phantom list

Outputs are written under temporary names in their own directory and renamed only when every
output is complete, so a failure never leaves a file that looks finished.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

LESION_KINDS = ("mass", "calcification", "nodule")


def register(sub) -> None:
    p = sub.add_parser("phantom", help="make, preview and list phantoms",
                       description="Make phantoms from recipes (breast/*, chest/*, analytic/*), "
                                   "insert lesions, and preview phantom files.")
    psub = p.add_subparsers(dest="phantom_command", metavar="SUBCOMMAND")
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])

    m = psub.add_parser("make", help="build a phantom from a recipe and save it (.npz)")
    m.add_argument("recipe", metavar="RECIPE",
                   help="recipe name (e.g. breast/dense, chest/adult) or a .toml file")
    m.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    m.add_argument("--voxel-mm", type=float, default=None, dest="voxel_mm",
                   help="isotropic voxel size in mm (default: the recipe's)")
    m.add_argument("--out", required=True, metavar="FILE", help="output phantom file (.npz)")
    m.add_argument("--preview", metavar="PNG", default=None, help="also write a PNG preview")
    m.add_argument("--lesion", action="append", default=[], choices=LESION_KINDS,
                   help="insert a lesion (repeat for several): mass and calcification go into "
                        "glandular tissue, nodule into lung")
    m.add_argument("--json", metavar="PATH", default=None,
                   help="write a JSON summary (grid, materials, lesions, metadata)")
    m.set_defaults(func=_make)

    v = psub.add_parser("preview", help="write a PNG preview of a phantom file")
    v.add_argument("file", metavar="FILE", help="phantom file (.npz)")
    v.add_argument("--out", required=True, metavar="PNG", help="output PNG")
    v.add_argument("--lesions", action="store_true",
                   help="show close-ups of the phantom's lesions instead of the whole phantom")
    v.set_defaults(func=_preview)

    ls = psub.add_parser("list", help="list the recipes shipped with victwin")
    ls.set_defaults(func=_list)


# ----------------------------------------------------------------------------------------------

def _tmp_name(path: Path) -> Path:
    """A temporary sibling of ``path`` with the same suffix (matplotlib picks the format by it)."""
    return path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")


def _check_out(path: str | None, suffix: str, flag: str) -> Path | None:
    if path is None:
        return None
    p = Path(path)
    if p.suffix.lower() != suffix:
        raise ValueError(f"{flag} must end in {suffix}, got {path!r}")
    if not p.parent.exists() and str(p.parent) not in ("", "."):
        raise ValueError(f"{flag} directory {str(p.parent)!r} does not exist")
    return p


def _write_preview(phantom, path: Path) -> None:
    if phantom.meta.get("kind") == "chest":
        from victwin.phantom.chest.preview import save_chest_preview

        save_chest_preview(phantom, path)
    else:
        phantom.preview(path)


def _lesion_model(kind: str, rng, voxel_mm: float):
    from victwin.phantom.chest.nodules import lung_nodule
    from victwin.phantom.lesions import calcification_cluster, spiculated_mass

    # generated at the phantom's voxel size or finer; insert_lesion resamples the patch
    if kind == "mass":
        return spiculated_mass(rng, voxel_mm=min(voxel_mm, 0.1))
    if kind == "calcification":
        return calcification_cluster(rng, voxel_mm=min(voxel_mm, 0.05))
    return lung_nodule(rng, voxel_mm=min(voxel_mm, 0.5))


def _summary(phantom, out: Path, elapsed_s: float) -> dict:
    g = phantom.grid
    return {
        "file": str(out), "shape_zyx": list(g.shape), "spacing_zyx_mm": list(g.spacing),
        "origin_xyz_mm": list(g.origin), "materials": {str(k): v for k, v in
                                                       phantom.materials.items()},
        "lesions": [les.to_dict() for les in phantom.lesions],
        "material_fractions": phantom.material_fractions(),
        "meta": phantom.meta, "elapsed_s": round(elapsed_s, 3),
    }


#: Build time per voxel on 2 cores, the estimate printed before a long build: the whole
#: breast/scattered seed-1 twin at 0.1 mm (1058 M voxels) took 291 CPU-s
#: (benchmarks/results/phantom_window_scattered.json, 2026-12-02) and breast/dense (309 M
#: voxels) 58-62 CPU-s (phantom_window.json; ru_maxrss run of 2026-12-02): the slower
#: figure, as wall seconds on two busy cores.
PHANTOM_SECONDS_PER_VOXEL = 291.0 / 1058e6 / 2
#: Builds from this size on (a few seconds and more) print the estimate first.
LONG_PHANTOM_VOXELS = 5e7


def _check_memory(recipe, seed: int, voxel_mm: float | None) -> None:
    """Refuse, in one line and before building it, a phantom that cannot fit in memory.

    The recipe is built at a coarse voxel (2 mm, about a second) and its voxel count scaled to
    the requested voxel size; generation peaks at ``victwin._memory.phantom_peak_bytes``
    (measured, see there).
    """
    from victwin._memory import check_memory, phantom_peak_bytes
    from victwin.phantom import make

    probe_mm = 2.0
    if voxel_mm is None:
        from victwin.phantom import load_recipe

        voxel_mm = load_recipe(recipe).get("voxel_mm")
    if not isinstance(voxel_mm, (int, float)) or not voxel_mm > 0 or voxel_mm >= probe_mm:
        return  # make() validates it; a coarse phantom is small
    try:
        probe = make(recipe, seed=seed, voxel_mm=probe_mm, progress=False)
    except ValueError:
        return  # the recipe cannot be built this coarse; make() will say what is wrong
    voxels = probe.labels.size * (probe_mm / voxel_mm) ** 3
    peak = phantom_peak_bytes(voxels, voxel_mm, kind=probe.meta.get("kind"))
    check_memory(peak,
                 f"phantom {recipe} at {voxel_mm} mm ({voxels:.3g} voxels)",
                 "use a coarser --voxel-mm")
    if voxels >= LONG_PHANTOM_VOXELS:  # say what is coming before a long build
        from victwin._memory import fmt_bytes

        print(f"victwin phantom make: {recipe} at {voxel_mm:g} mm, about {voxels:.2g} voxels: "
              f"about {voxels * PHANTOM_SECONDS_PER_VOXEL:.0f} s on 2 cores and up to "
              f"{fmt_bytes(peak)} of memory", file=sys.stderr,
              flush=True)


def _make(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from victwin._checks import check_seed
    from victwin.phantom import insert_lesion, make

    out = _check_out(args.out, ".npz", "--out")
    png = _check_out(args.preview, ".png", "--preview")
    js = _check_out(args.json, ".json", "--json")
    check_seed(args.seed, "--seed")
    _check_memory(args.recipe, args.seed, args.voxel_mm)
    t0 = time.perf_counter()
    steps = 2 + len(args.lesion) + (png is not None) + (js is not None)
    temps: list[tuple[Path, Path]] = []
    bar = tqdm(total=steps, desc="phantom make", unit="step", disable=None, file=sys.stderr)
    try:
        bar.set_postfix_str(f"building {args.recipe}")
        phantom = make(args.recipe, seed=args.seed, voxel_mm=args.voxel_mm)
        bar.update(1)
        # lesions draw from their own stream so that adding one never changes the anatomy
        rng = np.random.default_rng([args.seed, 0x1E5])
        voxel = float(min(phantom.grid.spacing))
        for kind in args.lesion:
            bar.set_postfix_str(f"inserting {kind}")
            try:
                model = _lesion_model(kind, rng, voxel)
                if kind == "nodule":      # in lung, away from the pleura
                    from victwin.phantom.chest.nodules import place_nodule

                    phantom, _ = place_nodule(phantom, model, rng)
                else:
                    phantom, _ = insert_lesion(phantom, model, rng=rng)
            except ValueError as exc:
                raise ValueError(f"--lesion {kind}: {exc}") from None
            bar.update(1)
        bar.set_postfix_str("saving")
        tmp = _tmp_name(out)
        temps.append((tmp, out))
        phantom.save(tmp)
        bar.update(1)
        if png is not None:
            bar.set_postfix_str("preview")
            tmp = _tmp_name(png)
            temps.append((tmp, png))
            _write_preview(phantom, tmp)
            bar.update(1)
        if js is not None:
            tmp = _tmp_name(js)
            temps.append((tmp, js))
            tmp.write_text(json.dumps(_summary(phantom, out, time.perf_counter() - t0),
                                      indent=2, sort_keys=True) + "\n")
            bar.update(1)
        for tmp, final in temps:
            os.replace(tmp, final)
        temps.clear()
    finally:
        bar.close()
        for tmp, _ in temps:
            for p in (tmp, tmp.with_name(tmp.name + ".part")):
                try:
                    p.unlink()
                except FileNotFoundError:
                    pass
    fr = phantom.material_fractions()
    print(f"{out}: {args.recipe} seed {args.seed}, shape {phantom.grid.shape}, voxel "
          f"{phantom.grid.spacing[0]:g} mm, {len(phantom.lesions)} lesion(s), "
          f"{time.perf_counter() - t0:.1f} s"
          + (f", glandular {100 * fr['glandular']:.1f} % by volume" if "glandular" in fr else ""))
    return 0


def _preview(args: argparse.Namespace) -> int:
    from victwin.phantom import load

    png = _check_out(args.out, ".png", "--out")
    phantom = load(args.file)
    tmp = _tmp_name(png)
    try:
        if args.lesions:
            from victwin.phantom.lesions import save_lesion_preview

            save_lesion_preview(phantom, tmp)
        else:
            _write_preview(phantom, tmp)
        os.replace(tmp, png)
    finally:
        if tmp.exists():
            tmp.unlink()
    print(f"{png}: preview of {args.file}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from victwin.phantom import list_recipes

    for name in list_recipes():
        print(name)
    return 0
