"""Print the clustered and ROI-level answers of an analysed run, its subgroup rows, and the
correlation of the reader-averaged scores of a twin's lesion-present and lesion-absent ROI.

    PYTHONPATH=. python docs/stats/clustered_summary.py RUN_DIR
"""
import json, sys, numpy as np
from victwin.stats import read_imrmc
run = sys.argv[1]
r = json.load(open(f"{run}/analysis/results.json"))
print("headline", r["headline"])
for k in ("mrmc", "mrmc_clustered"):
    d = next(iter(r[k]["rrrc"]["differences"].items()))
    print(k, r[k]["cov_method"], d[0], {x: d[1][x] for x in ("estimate", "se", "df", "p", "ci")})
print("design effect", r["mrmc_clustered"].get("design_effect"), r["mrmc_clustered"]["clusters"])
for name, sub in r["subgroups"].items():
    print(name, sub.get("cov_method"), sub.get("too_small"), sub.get("note"))
    for row in sub["subgroups"] + [dict(sub["overall"], subgroup="all")]:
        print("   ", row["subgroup"], row["n_normal"], row["n_abnormal"], row.get("too_small"), row["difference"], row["se"], row["ci"])
t = read_imrmc(f"{run}/analysis/scores.imrmc")
for mi, m in enumerate(t.modalities):
    s = t.scores[mi].mean(axis=0)
    idx = {c: k for k, c in enumerate(t.cases)}
    twins = sorted({c[:-2] for c in t.cases})
    p = np.array([s[idx[f"{w}-p"]] for w in twins]); a = np.array([s[idx[f"{w}-a"]] for w in twins])
    print(m, "corr(present, absent score of a twin, reader-averaged) =", np.corrcoef(p, a)[0, 1].round(3), "n twins", len(twins))
