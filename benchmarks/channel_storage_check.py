"""Check a run that stored channel outputs against a run of the same cases that stored ROIs.

    python benchmarks/channel_storage_check.py ROI_RUN CHANNEL_RUN [--out JSON]

``ROI_RUN`` kept the pixels (``[storage] rois = "full"``), ``CHANNEL_RUN`` the readers' channel
outputs (``rois = "channels"``) of otherwise the same spec (same seed, cohort, systems,
readers: the twins and their noise are the same). For every case finished in both, every
stored entry of ``CHANNEL_RUN`` is compared with the channel outputs of ``ROI_RUN``'s ROI,
computed here by ``victwin.trial._features.channel_outputs`` with ``CHANNEL_RUN``'s spec: equal
bytes say the two runs imaged the same pixels (whatever code each ran, e.g. a frozen
worktree and a later main) and the worker stored exactly ``U^T g``. Prints one row per case
and modality and writes JSON (default ``benchmarks/results/channel_storage_check.json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("roi_run")
    ap.add_argument("channel_run")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/channel_storage_check.json"))
    a = ap.parse_args(argv)

    from victwin.trial import TrialStore, spec_from_dict
    from victwin.trial._features import channel_outputs

    rows, ok = [], True
    with TrialStore(a.roi_run) as ref, TrialStore(a.channel_run) as ch:
        spec = spec_from_dict(ch.provenance()["spec_toml"])
        if spec.storage.rois != "channels":
            sys.exit(f"{a.channel_run}: its spec stores {spec.storage.rois!r} ROIs, not channels")
        done_ref = {r.case_id: r for r in ref.case_records()}
        done_ch = {r.case_id: r for r in ch.case_records()}
        common = sorted(set(done_ref) & set(done_ch))
        if not common:
            sys.exit("no case is finished in both runs")
        for cid in common:
            rec = done_ref[cid]
            arrays, stored = ref.read_arrays(cid), ch.read_arrays(cid)
            for m in spec.modality_names:
                names = sorted(k for k in stored if k.startswith(f"{m}/"))
                equal, max_rel = 0, 0.0
                for k in names:
                    name = k.split("/", 1)[1]
                    want = channel_outputs(spec, arrays[k],
                                           rec.result.modalities[m].rois[name].pitch_mm)
                    got = stored[k]
                    equal += bool(got.shape == want.shape and np.array_equal(got, want))
                    if got.shape == want.shape:
                        scale = float(np.max(np.abs(want))) or 1.0
                        max_rel = max(max_rel, float(np.max(np.abs(got - want))) / scale)
                    else:
                        max_rel = float("inf")
                rows.append({"case": cid, "modality": m, "entries": len(names),
                             "equal": equal, "max_relative_difference": max_rel,
                             "roi_bytes": int(sum(arrays[k].nbytes for k in names)),
                             "channel_bytes": int(sum(stored[k].nbytes for k in names))})
                ok = ok and equal == len(names) and len(names) > 0
    print(f"{'case':>5} {'modality':>8} {'entries':>7} {'equal':>5} {'max rel diff':>12} "
          f"{'ROI bytes':>10} {'channel bytes':>13}")
    for r in rows:
        print(f"{r['case']:>5} {r['modality']:>8} {r['entries']:>7} {r['equal']:>5} "
              f"{r['max_relative_difference']:>12.3g} {r['roi_bytes']:>10} {r['channel_bytes']:>13}")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps({"roi_run": a.roi_run, "channel_run": a.channel_run,
                                       "all_equal": ok, "rows": rows}, indent=2) + "\n")
    print(("all entries equal" if ok else "DIFFERENCES FOUND") + f"; wrote {a.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
