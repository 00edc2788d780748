"""``victwin dicom export`` and ``victwin dicom send``."""

from __future__ import annotations

import argparse
import json


def _export_trial(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tqdm.auto import tqdm

    from victwin.trial import TrialStore
    from victwin.trial import export_case_dicom

    with TrialStore(args.rundir) as store:
        done = [r["case_id"] for r in store.done_cases()]
    cases = args.case if args.case else done
    missing = sorted(set(cases) - set(done))
    if missing:
        raise ValueError(f"case(s) {missing} are not finished cases of {args.rundir}")
    n = 0
    for cid in tqdm(cases, desc="export", unit="case", disable=args.quiet):
        files = export_case_dicom(args.rundir, cid, Path(args.out) / f"case-{cid:06d}",
                                  backend=args.backend, overwrite=args.overwrite)
        n += len(files)
    print(f"wrote {n} DICOM objects for {len(cases)} case(s) to {args.out}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from victwin.dicom import export_study
    from victwin.dicom import load_run

    dirs = [Path(d) for d in args.rundir]
    if any((d / "acquisition.json").is_file() for d in dirs):
        return _export_acquisitions(args, dirs)
    if len(dirs) > 1:
        raise ValueError("several directories are only accepted as 'victwin acquire' outputs "
                         "(each with acquisition.json)")
    if args.volume:
        raise ValueError("--volume goes with 'victwin acquire' directories")
    args.rundir = str(dirs[0])
    if (dirs[0] / "trial.sqlite").is_file():
        return _export_trial(args)
    study = load_run(args.rundir)
    files = export_study(args.out, progress=not args.quiet, overwrite=args.overwrite, **study)
    print(f"wrote {len(files)} DICOM objects to {args.out}")
    for f in files:
        print(f"  {f.name}")
    return 0


def _export_acquisitions(args: argparse.Namespace, dirs) -> int:
    """``victwin acquire`` directories (DM and/or DBT), with a ``victwin recon`` volume."""
    import re

    from victwin.dicom import (SyntheticSubject, from_acquisition, load_acquisition_dir,
                               load_volume_file)

    for d in dirs:
        if not (d / "acquisition.json").is_file():
            raise FileNotFoundError(f"{str(d)!r} is not a 'victwin acquire' directory "
                                    f"(no acquisition.json)")
    acquisitions = [load_acquisition_dir(d) for d in dirs]
    volume = grid = synthesized = None
    if args.volume:
        from victwin.recon import synthesize_2d
        volume, grid = load_volume_file(args.volume)
        synthesized = synthesize_2d(volume, "weighted")
    case = args.case_id or re.sub(r"[^A-Za-z0-9_.-]", "-", dirs[0].resolve().name)[:16] or "1"
    subject = SyntheticSubject(trial_id=args.trial_id, case_id=case, age_years=args.age)
    files = from_acquisition(acquisitions, args.out, subject=subject, view="CC",
                             laterality=args.laterality, volume=volume, grid=grid,
                             synthesized_2d=synthesized, progress=not args.quiet,
                             overwrite=args.overwrite)
    print(f"wrote {len(files)} DICOM objects to {args.out}")
    for f in files:
        print(f"  {f.name}")
    return 0


def _send(args: argparse.Namespace) -> int:
    from victwin.dicom import TLSOptions, send_study, stow_rs

    if args.timeout_s is not None and not args.timeout_s > 0:
        raise ValueError(f"--timeout-s must be > 0 s, got {args.timeout_s:g}")
    timeout = {} if args.timeout_s is None else {"timeout_s": args.timeout_s}
    tls = None
    if args.tls_ca or args.tls_cert or args.tls_key:
        if not args.tls_ca:
            raise ValueError("--tls-ca is required when --tls-cert/--tls-key are given")
        tls = TLSOptions(ca=args.tls_ca, cert=args.tls_cert, key=args.tls_key)
    if args.stow_url:
        report = stow_rs(args.dir, args.stow_url,
                         ssl_context=tls.context() if tls is not None else None,
                         **timeout)
    else:
        if args.host is None or args.port is None:
            raise ValueError("--host and --port are required for C-STORE (or give --stow-url)")
        report = send_study(args.dir, args.host, args.port, ae_title=args.aet,
                            calling_ae=args.calling_aet, tls=tls, retries=args.retries,
                            progress=not args.quiet, **timeout)
    record = _write_record(report, args)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report.as_dict(), fh, indent=1)
    print(f"stored {len(report.stored)} of {len(report.results)} instances "
          f"at {args.aet}@{args.host}:{args.port}" if not args.stow_url else
          f"stored {len(report.stored)} of {len(report.results)} instances via {args.stow_url}")
    for r in report.failed:
        print(f"  NOT stored: {r.path}: {r.error or 'no answer'}")
    if record is not None:
        print(f"record of what the peer confirmed: {record}")
    return 0 if report.ok else 1


def _write_record(report, args):
    """Every send leaves a JSON record of what the peer confirmed: ``--record PATH``, default
    ``DIR/victwin-send-<UTC time>.json`` beside the files (a warning if it cannot be written;
    the store itself has happened)."""
    import datetime as dt
    import os
    import sys
    from pathlib import Path

    if args.record:
        path = Path(args.record)
    else:
        root = Path(args.dir) if Path(args.dir).is_dir() else Path(args.dir).parent
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        path = root / f"victwin-send-{stamp}.json"
    record = dict(report.as_dict(), sent_at_utc=dt.datetime.now(dt.timezone.utc).isoformat(),
                  via="STOW-RS" if args.stow_url else "C-STORE")
    try:
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(json.dumps(record, indent=1))
        os.replace(tmp, path)
    except OSError as exc:
        print(f"victwin: warning: cannot write the send record {path}: {exc.strerror}",
              file=sys.stderr)
        return None
    return path


def register(sub) -> None:
    p = sub.add_parser("dicom", help="export simulated studies as DICOM and send them to a PACS")
    dsub = p.add_subparsers(dest="dicom_command", metavar="ACTION", required=True)

    e = dsub.add_parser("export", help="write a trial run's cases, 'victwin acquire' outputs or "
                                       "a study directory as DICOM",
                        description="Write DM, DBT projections, BTO volume, synthesised 2D, "
                                    "chest DX, lesion SEG and SR. RUNDIR is a trial run "
                                    "directory (victwin run): each case is re-simulated from "
                                    "the run's spec and seeds and written to "
                                    "OUT/case-NNNNNN/; or one or more 'victwin acquire' "
                                    "output directories (DM and/or DBT; add the DBT "
                                    "reconstruction with --volume); or a directory holding "
                                    "study.json and arrays.npz (a study folder: victwin.dicom.save_run).")
    e.add_argument("rundir", nargs="+", metavar="DIR",
                   help="trial run directory, 'victwin acquire' directories, or a directory "
                        "with study.json and arrays.npz")
    e.add_argument("--case", type=int, action="append",
                   help="case id to export (repeatable; default: every finished case)")
    e.add_argument("--backend", default="auto", choices=["auto", "cpu", "cuda"])
    e.add_argument("--out", required=True, help="output directory for the .dcm files")
    e.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    e.add_argument("--volume", help="'victwin recon --out' volume (.npy with its .json, or "
                                    ".zarr) of the DBT acquisition given")
    e.add_argument("--laterality", choices=["L", "R"], default="L",
                   help="breast imaged, for 'victwin acquire' directories (default L)")
    e.add_argument("--trial-id", default="ACQUIRE",
                   help="synthetic subject's trial id (default ACQUIRE)")
    e.add_argument("--case-id", default=None,
                   help="synthetic subject's case id (default: the first directory's name)")
    e.add_argument("--age", type=int, default=55, help="synthetic subject's age (default 55)")
    e.set_defaults(func=_export)

    s = dsub.add_parser("send", help="C-STORE (or STOW-RS) a DICOM directory to a PACS")
    s.add_argument("dir", help="directory of .dcm files")
    s.add_argument("--host", help="PACS host")
    s.add_argument("--port", type=int, help="PACS DICOM port")
    s.add_argument("--aet", default="ANY-SCP", help="called AE title (default ANY-SCP)")
    s.add_argument("--calling-aet", default="VICTWIN", help="our AE title (default VICTWIN)")
    s.add_argument("--tls-cert", help="client certificate (PEM) for DICOM TLS")
    s.add_argument("--tls-key", help="client private key (PEM) for DICOM TLS")
    s.add_argument("--tls-ca", help="CA certificate (PEM) to verify the PACS; enables TLS")
    s.add_argument("--retries", type=int, default=2, help="extra attempts for unsent files")
    s.add_argument("--timeout-s", type=float, default=None,
                   help="seconds to wait for the peer's answers (default 10 for C-STORE "
                        "associations, 30 for STOW-RS)")
    s.add_argument("--stow-url", help="DICOMweb base URL: send with STOW-RS instead of C-STORE")
    s.add_argument("--json", help="write the store report as JSON to this path")
    s.add_argument("--record", help="where to write the record of what the peer confirmed "
                                    "(default DIR/victwin-send-<UTC time>.json)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=_send)
