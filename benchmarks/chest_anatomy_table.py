"""Rewrite docs/phantoms/chest.md's anatomy-table rows from benchmarks/results/chest_twins.json
(run from the repository root). Rows start '| <twin>, <age> y |'."""
import json, re, sys
from pathlib import Path

d = json.loads(Path("benchmarks/results/chest_twins.json").read_text())
md = Path("docs/phantoms/chest.md")
text = md.read_text()
for t in d["twins"]:
    f, nf = t["lung_nps"], t["lung_nps_fine"]
    c = nf["common_band"]
    row = (f"| {t['twin']}, {t['age_years']} y | {'x'.join(map(str, t['shape']))} | "
           f"{t['lung_volume_l']:.2f} | {t['tlc_drawn_l']:.2f}; {t['lung_minus_drawn_tlc_l']:+.3f} | "
           f"{t['tlc_gli2021_l']:.2f}; {t['tlc_ers1993_l']:.2f} ({t['tlc_90pct_range_l'][0]:.2f}-"
           f"{t['tlc_90pct_range_l'][1]:.2f}) | {t['ctr']:.3f} | {t['posterior_ribs']} | "
           f"{t['rib_spacing_mm'][0]:.0f}-{t['rib_spacing_mm'][1]:.0f} | "
           f"{t['posterior_ribs_above_right_dome']} | {t['heart_top_level']}; "
           f"{t['heart_left_cardiophrenic_level']} | {t['left_atrium_ml']:.1f}; "
           f"{t['left_atrium_ml_per_m2']:.1f}; {t['left_atrium_ap_mm']:.0f} | "
           f"{f['beta']:.2f} ({f['ci'][0]:.2f}-{f['ci'][1]:.2f}) | "
           f"{nf['beta']:.2f} ({nf['ci'][0]:.2f}-{nf['ci'][1]:.2f}); "
           f"{c['beta']:.2f} ({c['ci'][0]:.2f}-{c['ci'][1]:.2f}) |")
    start = f"| {t['twin']}, {t['age_years']} y |"
    pat = re.compile("^" + re.escape(start) + ".*$", re.M)
    if not pat.search(text):
        sys.exit(f"no row starts {start!r}")
    text = pat.sub(lambda m: row, text, count=1)
    print(row)
if "--write" in sys.argv:
    md.write_text(text)
