"""``victwin stats``: MRMC analysis of an iMRMC file, and power / sample size."""

from __future__ import annotations

import argparse
import json
import os


def _write_json(path, obj) -> None:
    tmp = f"{os.fspath(path)}.part"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, allow_nan=False)
        fh.write("\n")
    os.replace(tmp, path)


def _alpha(text: str) -> float:
    try:
        a = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--alpha must be a number in (0, 1); got {text!r}") from None
    if not 0 < a < 1:
        raise argparse.ArgumentTypeError(f"--alpha must be in (0, 1); got {text}")
    return a


def _read_clusters(path) -> dict:
    """``case,cluster`` CSV (header line, one row per case) -> {case: cluster}."""
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh) if r]
    if not rows or [h.strip().lower() for h in rows[0][:2]] != ["case", "cluster"]:
        got = ",".join(rows[0]) if rows else "an empty file"
        raise ValueError(f"{os.fspath(path)}: the first line must be 'case,cluster'; got {got!r}")
    out = {}
    for k, r in enumerate(rows[1:], start=2):
        if len(r) < 2 or not r[0].strip() or not r[1].strip():
            raise ValueError(f"{os.fspath(path)}: line {k} must be 'case,cluster'; got {','.join(r)!r}")
        out[r[0].strip()] = r[1].strip()
    return out


def _mrmc(args: argparse.Namespace) -> int:
    from victwin.stats import dbm, mrmc, read_imrmc
    from victwin._json import jsonable

    table = read_imrmc(args.file)
    res = mrmc(table, args.cov, alpha=args.alpha)
    print(res.summary())
    out = res.to_dict()
    out["input"] = os.fspath(args.file)
    if table.fully_crossed and len(table.modalities) > 1:
        try:
            d = dbm(table)
        except ValueError as exc:  # e.g. all scores equal: the F test is undefined
            out["dbm"] = {"error": str(exc)}
            print(f"\nDBM: not computed: {exc}")
        else:
            out["dbm"] = d.to_dict()
            print(f"\nDBM (jackknife pseudovalues): F = {d.statistic:.6f} on ({d.df1}, {d.ddf:.4f}) df, p = {d.p:.6g}")
    if args.oneshot:
        from victwin.stats import oneshot_variance

        o = oneshot_variance(table, alpha=args.alpha)
        out["oneshot"] = o
        print("\nGallas one-shot U-statistic variance (readers and cases random, normal CIs):")
        for name, d in list(o["single_modality"].items()) + list(o["differences"].items()):
            est = d.get("auc", d.get("estimate"))
            print(f"  {name:<12} {est:>12.8f}  SE {d['se']:.8f}  CI ({d['ci'][0]:.6f}, {d['ci'][1]:.6f})")
    if args.clusters:
        from victwin.stats import clustered_mrmc

        c = clustered_mrmc(table, _read_clusters(args.clusters), alpha=args.alpha)
        out["clustered"] = c.to_dict()
        print(f"\nClustered analysis (Obuchowski 1997 covariances; {c.n_cases} clusters of "
              f"{table.n_cases} cases), clusters resampled:")
        print(c.summary())
    if args.json:
        _write_json(args.json, jsonable(out, nonfinite_as_none=True))
        print(f"\nwrote {args.json}")
    return 0


def _power(args: argparse.Namespace) -> int:
    from victwin.stats import mrmc, power, read_imrmc, sample_size

    if (args.pilot is None) == (args.components is None):
        raise ValueError("give exactly one of --pilot FILE.imrmc or --components VAR_TR,VAR,COV1,COV2,COV3,K")
    if args.pilot is not None:
        pilot = mrmc(read_imrmc(args.pilot), args.cov, alpha=args.alpha)
        source = os.fspath(args.pilot)
    else:
        parts = args.components.split(",")
        if len(parts) != 6:
            raise ValueError(f"--components needs 6 comma-separated numbers VAR_TR,VAR,COV1,COV2,COV3,K; "
                             f"got {args.components!r}")
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise ValueError(f"--components must be numbers; got {args.components!r}") from None
        pilot = dict(zip(("var_tr", "var", "cov1", "cov2", "cov3", "n_cases"), vals))
        source = "components"
    if args.readers is not None and args.cases is not None:
        res = power(args.readers, args.cases, pilot=pilot, effect=args.effect, analysis=args.analysis,
                    alpha=args.alpha)
        what = "power"
    elif args.readers is not None or args.cases is not None:
        res = sample_size(pilot=pilot, n_readers=args.readers, n_cases=args.cases, effect=args.effect,
                          target_power=args.target_power, analysis=args.analysis, alpha=args.alpha)
        what = "sample size"
    else:
        raise ValueError("give --readers and/or --cases (both: power; one: size the other)")
    res["pilot"] = source
    print(f"{what} ({res['analysis'].upper()}, alpha = {res['alpha']}, effect = {res['effect']:.6g}, "
          f"pilot K = {res['pilot_n_cases']})")
    print(f"{'readers':>8}{'cases':>8}{'power':>10}{'ncp':>10}{'df2':>10}")
    df2 = "inf" if res["df2"] == float("inf") else f"{res['df2']:.2f}"
    print(f"{res['n_readers']:>8}{res['n_cases']:>8}{res['power']:>10.4f}{res['ncp']:>10.4f}{df2:>10}")
    if args.json:
        res = {k: (None if isinstance(v, float) and v == float("inf") else v) for k, v in res.items()}
        _write_json(args.json, res)
        print(f"wrote {args.json}")
    return 0


def register(sub) -> None:
    """Add ``victwin stats mrmc`` and ``victwin stats power``."""
    p = sub.add_parser("stats", help="ROC/AUC, MRMC and power analysis")
    ssub = p.add_subparsers(dest="stats_command", metavar="SUBCOMMAND")
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])

    m = ssub.add_parser("mrmc", help="Obuchowski-Rockette (Hillis) MRMC analysis of an iMRMC file",
                        description="Reads an iMRMC list file and prints reader AUCs, OR covariances and the "
                                    "RRRC, FRRC and RRFC analyses (difference = first modality minus second); "
                                    "with a fully crossed design also the DBM F test.")
    m.add_argument("file", metavar="FILE.imrmc", help="iMRMC list-format file")
    m.add_argument("--cov", choices=("jackknife", "delong", "unbiased"), default="jackknife",
                   help="covariance estimator (default: jackknife)")
    m.add_argument("--alpha", type=_alpha, default=0.05, help="significance level (default 0.05)")
    m.add_argument("--oneshot", action="store_true",
                   help="also the Gallas one-shot U-statistic variance (any design, e.g. split-plot)")
    m.add_argument("--clusters", metavar="FILE.csv",
                   help="also the clustered analysis (Obuchowski 1997): a CSV 'case,cluster' giving "
                        "each case's cluster (e.g. the twin of each ROI); JSON key 'clustered'")
    m.add_argument("--json", metavar="OUT", help="also write the results as JSON")
    m.set_defaults(func=_mrmc)

    w = ssub.add_parser("power", help="power or sample size from a pilot study (Hillis, Obuchowski & Berbaum 2011)",
                        description="With --readers and --cases: the power. With only --readers: the smallest "
                                    "number of cases whose power exceeds --target-power; with only --cases: the "
                                    "smallest number of readers.")
    w.add_argument("--pilot", metavar="FILE.imrmc", help="pilot study (its OR jackknife components are used)")
    w.add_argument("--components", metavar="VAR_TR,VAR,COV1,COV2,COV3,K",
                   help="pilot OR components instead of a file (K = pilot cases)")
    w.add_argument("--readers", type=int, help="readers in the planned study")
    w.add_argument("--cases", type=int, help="cases in the planned study")
    w.add_argument("--effect", type=float, help="AUC difference to detect (default: the pilot's difference)")
    w.add_argument("--analysis", choices=("rrrc", "frrc", "rrfc"), default="rrrc")
    w.add_argument("--cov", choices=("jackknife", "delong", "unbiased"), default="jackknife",
                   help="covariance estimator for the pilot (default: jackknife)")
    w.add_argument("--alpha", type=_alpha, default=0.05)
    w.add_argument("--target-power", type=float, default=0.8, dest="target_power")
    w.add_argument("--json", metavar="OUT", help="also write the result as JSON")
    w.set_defaults(func=_power)
