"""Rewrite the anatomy table's rows in docs/phantoms/chest.md from chest_twins.json.

    python benchmarks/chest_twins.py --voxel-mm 1 --binning 4 --nps-voxel-mm 0.5
    python benchmarks/chest_anatomy_table.py [--write]

Each twin of ``benchmarks/results/chest_twins.json`` has one row in the page's anatomy table
(the row starting ``| <twin>, <age> y |``); the new rows are printed, and written into the page
with ``--write``. A twin without a row is an error (one line), nothing is written then.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def row_of(t: dict) -> str:
    """The table row of one twin's record."""
    f, nf = t["lung_nps"], t["lung_nps_fine"]
    c = nf["common_band"]
    return (f"| {t['twin']}, {t['age_years']} y | {'x'.join(map(str, t['shape']))} | "
            f"{t['lung_volume_l']:.2f} | {t['tlc_drawn_l']:.2f}; "
            f"{t['lung_minus_drawn_tlc_l']:+.3f} | "
            f"{t['tlc_gli2021_l']:.2f}; {t['tlc_ers1993_l']:.2f} ({t['tlc_90pct_range_l'][0]:.2f}-"
            f"{t['tlc_90pct_range_l'][1]:.2f}) | {t['ctr']:.3f} | {t['posterior_ribs']} | "
            f"{t['rib_spacing_mm'][0]:.0f}-{t['rib_spacing_mm'][1]:.0f} | "
            f"{t['posterior_ribs_above_right_dome']} | {t['heart_top_level']}; "
            f"{t['heart_left_cardiophrenic_level']} | {t['left_atrium_ml']:.1f}; "
            f"{t['left_atrium_ml_per_m2']:.1f}; {t['left_atrium_ap_mm']:.0f} | "
            f"{f['beta']:.2f} ({f['ci'][0]:.2f}-{f['ci'][1]:.2f}) | "
            f"{nf['beta']:.2f} ({nf['ci'][0]:.2f}-{nf['ci'][1]:.2f}); "
            f"{c['beta']:.2f} ({c['ci'][0]:.2f}-{c['ci'][1]:.2f}) |")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="write the rows into the page")
    args = ap.parse_args(argv)
    d = json.loads((ROOT / "benchmarks" / "results" / "chest_twins.json").read_text())
    md = ROOT / "docs" / "phantoms" / "chest.md"
    text = md.read_text()
    for t in d["twins"]:
        start = f"| {t['twin']}, {t['age_years']} y |"
        pat = re.compile("^" + re.escape(start) + ".*$", re.M)
        if not pat.search(text):
            sys.exit(f"chest_anatomy_table: no row of {md.name} starts {start!r}")
        row = row_of(t)
        text = pat.sub(lambda m: row, text, count=1)
        print(row)
    if args.write:
        md.write_text(text)


if __name__ == "__main__":
    main()
