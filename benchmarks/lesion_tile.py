"""A 50 um lesion tile inside a 0.1 mm window (issue 14 item 5, prototype): DM/DBT signal.

VICTRE rasterises its lesions at 50 um. The replica's 0.1 mm windows put a 50 um
calcification cluster on the 0.1 mm grid by nearest neighbour (every coarse voxel a
calcification touches becomes calcium: 1.7-3.8x VICTRE's calcium, ``phantom_voxel.py``).
Here the lesion keeps its 50 um voxels: a tile (``victwin.phantom.lesion_tiles``: a box on
the window's 0.1 mm voxel boundaries around the lesion's 50 um mask, the window's 0.1 mm labels
split 2x2x2 into 0.05 mm voxels, the same 50 um lesion model inserted into it as on the whole
0.05 mm grid, its centre snapped there by ``snap_center``) is traced in place of its box in the
lesion-free window (``acquire_regions(..., tiles=)``,
``victwin.raytrace.iter_project_labels_tiled``: the per-label path lengths of the window with
the box dropped plus those of the tile, exact) -- what a trial with
``resolution.lesion_voxel_mm = 0.05`` does.

Per calcification (or mass) site, noise-free DM ROI (or DBT VOI FBP) signal ``ROI(present) - ROI(absent)``
(line integrals), set-up as ``phantom_voxel.py`` (same twin, sites, lesion model, windows at
the region's support, coarse 0.5 mm pass, victre preset and system):

* ``0.05``: the whole window at 0.05 mm with the lesion (the reference);
* ``0.1``: the window at 0.1 mm, lesion by nearest neighbour (the replica today);
* ``tile``: the window at 0.1 mm with the 50 um lesion tile;
* ``trial``: the trial's own path with ``resolution.lesion_voxel_mm = 0.05`` (the case's twins,
  ``victwin.trial._lesion_tiles.tiled_windows``: every lesion reaching the window in a tile).

    python benchmarks/lesion_tile.py --cases 2 --kind calcification
    python benchmarks/lesion_tile.py --cases 2 --modality DBT     (VOI FBP, as the runner)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_json  # noqa: E402

COARSE_MM = 0.5
VOX_MM, FINE_MM = 0.1, 0.05


def _rms(a) -> float:
    return float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))


def _lesion_voxels(phantom) -> int:
    """Voxels holding the phantom's last lesion's labels."""
    les = phantom.lesions[-1]
    return int(np.isin(phantom.labels, list(les.extra.get("labels", [les.label]))).sum())


def run_twin(spec, modality, case_id, attrs, kind, rows, loads, png=None):
    from victwin.acquisition import acquire_regions
    from victwin.phantom import insert_lesion, lesion_tiles, prepare, snap_center
    from victwin.systems import get_preset
    from victwin.trial._cohort import case_rng
    from victwin.trial._lesion_tiles import tiled_windows
    from victwin.trial._local import case_twins, window_box
    from victwin.trial._sites import cut_roi, draw_sites, plan_rois
    from victwin.trial._twins import _Clock, _lesion_model

    preset = get_preset(spec.preset)
    prepared = prepare(attrs["recipe"], seed=attrs["phantom_seed"])
    sites = draw_sites(spec, case_id, prepared, voxel_mm=VOX_MM)
    k = next(i for i, s in enumerate(sites) if s.kind == kind)
    meta = prepared.meta(VOX_MM)
    thick = meta["thickness_mm"]
    plan = plan_rois(spec, modality, SimpleNamespace(meta=meta), [sites[k]], [f"s{k}"])[0]
    coarse = preset.apply(prepared.make(COARSE_MM))
    model = _lesion_model(kind, case_rng(spec.seed, case_id, f"lesion-{k}"), VOX_MM,
                          spec.preset)
    kw = dict(seed=1, case=0, binning=spec.resolution.detector_binning,
              rays_per_pixel=spec.resolution.rays_per_pixel, progress=False,
              presentation=False, noise=False, backend="cpu", coarse_phantom=coarse)

    def roi(phantom, **extra):
        a = acquire_regions(phantom, modality.system, [plan.region], windows=[phantom],
                            **extra, **kw)[0]
        return cut_roi(a, plan, modality)[0].astype(np.float64)

    sig, cpu = {}, {}
    for v in (VOX_MM, FINE_MM):
        sv = dataclasses.replace(spec, resolution=dataclasses.replace(spec.resolution,
                                                                      voxel_mm=v))
        c0 = time.process_time()
        w = prepared.make(v, window_mm=window_box(sv, modality, plan.region, thick))
        # the 0.05 mm reference places the lesion where the tile does (whole-grid snap)
        c = (sites[k].center_mm if v == VOX_MM
             else snap_center(prepared.grid(v), sites[k].center_mm))
        wp, _ = insert_lesion(w, model, center_mm=c)
        absent, present = preset.apply(w), preset.apply(wp)
        a = roi(absent)
        sig[v] = roi(present) - a
        cpu[v] = time.process_time() - c0
        if v == VOX_MM:
            c0 = time.process_time()
            raw_tile, = lesion_tiles(w, [(model, sites[k].center_mm)], tile_mm=FINE_MM)
            tile = preset.apply(raw_tile)
            # the lesion-free window numbering its materials as the tile (the trial's way)
            host = preset.apply(w.replace(materials=raw_tile.materials,
                                          lesions=raw_tile.lesions))
            sig["tile"] = roi(host, tiles=[[tile]]) - a
            cpu["tile"] = time.process_time() - c0
            # the trial's own path (resolution.lesion_voxel_mm): the case's twins, the
            # lesion-present window with every lesion that reaches it in tiles
            st = dataclasses.replace(sv, resolution=dataclasses.replace(
                sv.resolution, lesion_voxel_mm=FINE_MM))
            lt = case_twins(st, case_id, attrs, _Clock())
            wins, tiles, _ = tiled_windows(lt, [window_box(st, modality, plan.region, thick)],
                                           FINE_MM)
            sig["trial"] = roi(wins[0], tiles=tiles) - a
            n_tile, n_nn = _lesion_voxels(raw_tile), _lesion_voxels(wp)
        else:
            n_fine = _lesion_voxels(wp)
        loads.append(os.getloadavg()[0])
    ref = sig[FINE_MM]
    for name in (VOX_MM, "tile", "trial"):
        s = sig[name]
        rows.append({"case": case_id, "site": plan.name, "kind": kind, "method": str(name),
                     "rel_rms_diff": _rms(s - ref) / _rms(ref),
                     "peak_ref": float(ref.max()), "peak": float(s.max()),
                     "peak_ratio": float(s.max() / ref.max()),
                     "integral_ratio": float(s.sum() / ref.sum()),
                     "cpu_s": cpu.get(name, float("nan"))})
    if png:
        _figure(sig, png, f"case {case_id} {plan.name} {kind}: DM signal (line integral)")
    return {"case": case_id, "site": plan.name, "tile_voxels": int(raw_tile.labels.size),
            "lesion_mm3": {
        "0.05_window": n_fine * FINE_MM ** 3, "tile": n_tile * FINE_MM ** 3,
        "0.1_nearest": n_nn * VOX_MM ** 3},
        "cpu_s": {str(a): b for a, b in cpu.items()}}


def _figure(sig, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(FINE_MM, "0.05 mm window (reference)"), (VOX_MM, "0.1 mm, nearest neighbour"),
              ("tile", "0.1 mm + 50 um tile")]
    vmax = max(float(sig[k].max()) for k, _ in panels)
    fig, ax = plt.subplots(1, 4, figsize=(14, 3.6))
    for a, (k, name) in zip(ax, panels):
        im = a.imshow(sig[k], vmin=0, vmax=vmax, cmap="gray")
        a.set_title(name, fontsize=9)
        a.axis("off")
    d = sig["tile"] - sig[FINE_MM]
    m = float(np.abs(d).max())
    ax[3].imshow(d, vmin=-vmax, vmax=vmax, cmap="RdBu_r")
    ax[3].set_title(f"tile - reference (same scale; max |d| {m:.4f})", fontsize=9)
    ax[3].axis("off")
    fig.colorbar(im, ax=ax[:3], shrink=0.8)
    fig.suptitle(title)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"wrote {path}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parents[1] / "examples"
                                          / "victre-replica.toml"))
    ap.add_argument("--cases", default="2")
    ap.add_argument("--kind", default="calcification", choices=("calcification", "mass"))
    ap.add_argument("--modality", default="DM", choices=("DM", "DBT"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--png", default=None, help="figure of the first site's signals")
    args = ap.parse_args(argv)

    from victwin.trial import load_spec, sample_cohort

    spec = load_spec(args.spec)
    modality = next(m for m in spec.modalities if m.name == args.modality)
    rows, twins, loads = [], [], [os.getloadavg()[0]]
    for case_id, attrs in sample_cohort(spec, [int(c) for c in args.cases.split(",")]):
        twins.append(run_twin(spec, modality, case_id, attrs, args.kind, rows, loads,
                              args.png if not twins else None))
        print(twins[-1], flush=True)
    print(f"\n{args.modality} lesion signal (present - absent) against the 0.05 mm window")
    print_table(rows, ["case", "site", "kind", "method", "rel_rms_diff", "peak_ref", "peak",
                       "peak_ratio", "integral_ratio", "cpu_s"])
    name = f"lesion_tile_{args.kind}" + ("" if args.modality == "DM" else "_dbt")
    write_json(name, {"environment": environment(), "spec": args.spec,
                      "modality": args.modality, "rows": rows, "twins": twins,
                      "load": loads}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
