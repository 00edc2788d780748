"""Figure of VICTRE's 4 + 4 + 12 sites placed in one twin (docs/trial/sites.png).

    python benchmarks/sites_figure.py [--recipe breast/scattered] [--voxel-mm 0.25]

Shows the twin's glandular thickness seen from the DM focal spot's side (sum over z) with
each site's projected ROI box: masses red, calcification clusters orange, lesion-absent sites
blue (dashed: calcification-sized).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default="breast/scattered")
    ap.add_argument("--voxel-mm", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "trial"
                                         / "sites.png"))
    args = ap.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Rectangle

    from victwin.phantom import make
    from victwin.phantom.placement import footprint_mm, place_sites

    ph = make(args.recipe, seed=args.seed, voxel_mm=args.voxel_mm, progress=False)
    boxes = {"mass": (9.265, 9.265, 9.0), "calcification": (5.525, 5.525, 5.0)}
    source = (0.0, 0.0, 650.0)
    sites = place_sites(ph, {"mass": 4, "calcification": 4, "absent": 12}, boxes,
                        rng=args.seed, source_mm=source)
    gland = [k for k, v in ph.materials.items() if v == "glandular"]
    g = np.isin(ph.labels, gland).sum(axis=0) * ph.grid.spacing[0]
    x0, y0 = ph.grid.origin[0], ph.grid.origin[1]
    ny, nx = g.shape
    d = ph.grid.spacing[2]
    fig, ax = plt.subplots(figsize=(6, 7))
    ax.imshow(g, cmap="gray", origin="lower",
              extent=(x0 - d / 2, x0 + (nx - 0.5) * d, y0 - d / 2, y0 + (ny - 0.5) * d))
    colours = {"mass": "#ff3b30", "calcification": "#ff9500", "absent": "#0a84ff"}
    for s in sites:
        a, b, c, e = footprint_mm(s, source)
        ax.add_patch(Rectangle((a, b), c - a, e - b, fill=False, lw=1.4, ec=colours[s.kind],
                               ls="--" if s.kind == "absent" and s.roi_kind == "calcification"
                               else "-"))
    ax.set_xlabel("x (mm, chest wall at 0)")
    ax.set_ylabel("y (mm)")
    ax.set_title(f"{args.recipe}, seed {args.seed}: 4 masses (red), 4 clusters (orange),\n"
                 f"12 lesion-absent sites (blue; dashed: cluster-sized); glandular mm",
                 fontsize=9)
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
