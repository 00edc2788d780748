"""Figure of docs/acquisition/lesion_local.md: a lesion-local DBT strip (crop + coarse fill, or
crop + edge repetition) against the full field, one column through the VOI, views 0 and 12.

Usage: ``python docs/acquisition/strip_figure.py`` (writes strip_fill.png beside it).
"""
from pathlib import Path
import sys, numpy as np, matplotlib
matplotlib.use("Agg"); import matplotlib.pyplot as plt
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "acquisition"))
from _phantom import hetero_slab
from victwin.acquisition import Region, acquire
from victwin.acquisition._region import strip_layout, strip_panel
ph = hetero_slab(40.0)
kw = dict(seed=4, binning=6, rays_per_pixel=1, noise=False, progress=False, views=[0, 12])
full = acquire(ph, "mammomat-dbt", **kw)
loc = acquire(ph, "mammomat-dbt", region=Region.around((25.0, 5.0, 40.0), 9.0), **kw)
p, v = loc.reconstruction_input()
pe, _ = strip_layout(loc.line_integrals(), loc.views, loc.region)
_, first, last = strip_panel(loc.region)
pf = full.line_integrals()
fig, ax = plt.subplots(1, 2, figsize=(11, 3.5))
for a, k in zip(ax, (0, 1)):
    col = (loc.region.offsets[k][1] - first) + loc.region.shape[1] // 2
    a.plot(pf[k, :, first + col], "k-", lw=2, label="full field")
    a.plot(p[k, :, col], "r--", label="strip: crop + coarse fill")
    a.plot(pe[k, :, col], "b:", label="strip: crop + edge repeat")
    r0 = loc.region.offsets[k][0]; a.axvspan(r0, r0 + loc.region.shape[0], color="0.9")
    a.set_title(f"view {full.view_indices[k]}: column through the VOI"); a.set_xlabel("row (scan axis)")
ax[0].set_ylabel("line integral"); ax[0].legend(fontsize=8)
plt.tight_layout(); plt.savefig(Path(__file__).with_name("strip_fill.png"), dpi=80)
