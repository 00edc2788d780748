"""Benchmark: the fine phantom windows of one lesion-local case, built as the runner asks.

For one case of a spec (``--spec``, ``--case``) with ``cohort.sites``: prepares the twin and
its sites (``victwin.trial._local.case_twins``), then asks for every fine window the runner's
lesion-local acquisitions ask for -- per modality, the lesion-present version at the lesion
sites and the lesion-absent version at the absent sites, each at the site's
``region_support`` box -- in the runner's order, and times only that (no ray tracing).
Reports the process's CPU seconds (all threads) and wall seconds of the window building,
the voxels handed out (sum of the windows' sizes) and the voxels labelled, how much of each
DM box lies inside the same site's DBT box, and the SHA-256 of every window's labels (with
its index, shape and materials): equal fingerprints at two commits mean equal windows.

``--separate`` builds each window on its own (no announcement: what the runner did before
``LocalTwins.plan_windows``); ``--count-only`` labels nothing and reports the voxels of the
windows and of their union (``victwin.phantom._window_set.union_pieces``).

Usage: python benchmarks/trial_windows.py [--spec examples/demo-victre.toml] [--case 0]
       [--separate] [--count-only] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _box_index(prepared, vox, box):
    lo, hi = prepared.window_index(box, vox)
    return np.asarray(lo), np.asarray(hi)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parents[1] / "examples"
                                          / "demo-victre.toml"))
    ap.add_argument("--case", type=int, default=0)
    ap.add_argument("--json", default=None)
    ap.add_argument("--separate", action="store_true")
    ap.add_argument("--count-only", action="store_true")
    ap.add_argument("--reach", action="store_true",
                    help="label only each window's reach (per-slab supports), as the runner")
    args = ap.parse_args(argv)

    from types import SimpleNamespace

    from victwin.trial import load_spec, sample_cohort
    from victwin.trial._local import case_twins, window_box, window_reach
    from victwin.trial._sites import plan_rois
    from victwin.trial._twins import _Clock

    spec = load_spec(args.spec)
    vox = spec.resolution.voxel_mm
    (cid, attrs), = sample_cohort(spec, [args.case])
    up0 = _uptime()
    c0, t0 = _cpu_s(), time.perf_counter()
    lt = case_twins(spec, cid, attrs, _Clock())
    twin_cpu, twin_wall = _cpu_s() - c0, time.perf_counter() - t0
    meta = lt.meta
    phantom = SimpleNamespace(meta=meta)
    asks = []                     # (modality, version, site names, boxes) in the runner's order
    reach = []                    # per box: its reach (with --reach)
    for modality in spec.modalities:
        plans = plan_rois(spec, modality, phantom, lt.sites, lt.names)
        for version in ("present", "absent"):
            mine = [p for p in plans if (p.site.truth == 1) == (version == "present")]
            if mine:
                asks.append((modality.name, version, [p.name for p in mine],
                             [window_box(spec, modality, p.region, meta["thickness_mm"])
                              for p in mine]))
                if args.reach:
                    reach += [window_reach(spec, modality, p.region, meta["thickness_mm"],
                                           lt.grid) for p in mine]
    if args.count_only:
        from victwin.phantom._window_set import union_pieces

        idx = [_box_index(lt.prepared, vox, b) for *_, boxes in asks for b in boxes]
        dbt = [_box_index(lt.prepared, vox, b) for name, _, _, boxes in asks for b in boxes
               if name == spec.modalities[-1].name]
        rec = {"spec": str(args.spec), "case": cid, "n_sites": len(lt.sites),
               "voxels_windows": int(sum(np.prod(hi - lo) for lo, hi in idx)),
               "voxels_union": int(sum(np.prod(np.subtract(hi, lo))
                                       for lo, hi in union_pieces(idx))),
               "voxels_last_modality_windows": int(sum(np.prod(hi - lo) for lo, hi in dbt)),
               "n_pieces": len(union_pieces(idx)), "shape": list(lt.shape)}
        if args.reach:
            ws = lt.prepared.window_set([b for *_, boxes in asks for b in boxes], vox,
                                        reach=reach)
            rec["voxels_reach_union"] = int(sum(np.prod(np.subtract(hi, lo))
                                                for lo, hi in ws.pieces))
            rec["n_reach_pieces"] = len(ws.pieces)
        print(json.dumps(rec))
        if args.json:
            Path(args.json).write_text(json.dumps(rec, indent=1))
        return 0
    c0, t0 = _cpu_s(), time.perf_counter()
    if hasattr(lt, "plan_windows") and not args.separate:  # the runner announces every box first (this branch)
        lt.plan_windows([b for *_, boxes in asks for b in boxes],
                        reach=reach if args.reach else None)
    fingerprints, handed = {}, 0
    per_ask = []
    for name, version, names, boxes in asks:
        a0, w0 = _cpu_s(), time.perf_counter()
        wins = lt.windows(version, boxes)
        per_ask.append({"modality": name, "version": version, "n": len(wins),
                        "cpu_s": _cpu_s() - a0, "wall_s": time.perf_counter() - w0})
        for site, w in zip(names, wins):
            handed += w.labels.size
            head = json.dumps([w.meta["window"]["index"], list(w.labels.shape),
                               sorted((int(k), v) for k, v in w.materials.items()),
                               w.grid.origin, w.grid.spacing])
            fingerprints[f"{name}/{version}/{site}"] = hashlib.sha256(
                head.encode() + w.labels.tobytes()).hexdigest()
        del wins
    cpu, wall = _cpu_s() - c0, time.perf_counter() - t0
    labelled = getattr(lt, "labelled_voxels", None)
    # DM boxes inside the DBT box of the same site?
    inside = {}
    by_site = {}
    for name, version, names, boxes in asks:
        for site, box in zip(names, boxes):
            by_site.setdefault(site, {})[name] = _box_index(lt.prepared, vox, box)
    for site, d in by_site.items():
        if len(d) == 2:
            (lo1, hi1), (lo2, hi2) = d.values()
            inside[site] = bool(np.all(lo2 <= lo1) and np.all(hi1 <= hi2)) or bool(
                np.all(lo1 <= lo2) and np.all(hi2 <= hi1))
    rec = {"spec": str(args.spec), "case": cid, "voxel_mm": vox, "shape": list(lt.shape),
           "n_sites": len(lt.sites), "twin_cpu_s": twin_cpu, "twin_wall_s": twin_wall,
           "windows_cpu_s": cpu, "windows_wall_s": wall, "voxels_handed": int(handed),
           "voxels_labelled": labelled, "per_ask": per_ask,
           "dm_box_inside_dbt_box": inside, "uptime_before": up0, "uptime_after": _uptime(),
           "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "fingerprints": fingerprints,
           "victwin": str(Path(__import__("victwin").__file__).parent)}
    print(f"case {cid} ({len(lt.sites)} sites, grid {lt.shape}): twin {twin_cpu:.1f} CPU-s; "
          f"windows {cpu:.1f} CPU-s, {wall:.1f} s wall; voxels handed {handed / 1e6:.1f} M, "
          f"labelled {'-' if labelled is None else f'{labelled / 1e6:.1f} M'}")
    print(f"DM box inside the DBT box: {inside}")
    print(f"load: {up0} -> {rec['uptime_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(rec, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
