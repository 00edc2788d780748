"""Read and write the iMRMC list format (FDA iMRMC, also read by RJafroc).

Format (as documented with iMRMC and in the project's reference README): free-text header
lines, optional ``N0:``, ``N1:``, ``NR:``, ``NM:`` lines (normal cases, abnormal cases,
readers, modalities), a ``BEGIN DATA:`` line, then one record per line,
``readerID,caseID,modalityID,score``. Truth records have reader ``-1`` or ``truth`` and
modality ``truth`` (or ``0`` in old files), score 0 (signal absent) or 1 (signal present).
IDs are strings.
"""

from __future__ import annotations

import os
import re

import numpy as np

from ._table import ScoreTable

__all__ = ["read_imrmc", "write_imrmc"]

_COUNT = re.compile(r"^\s*(N0|N1|NR|NM)\s*:\s*(.*?)\s*$")
_TRUTH_READERS = {"-1", "truth"}
_TRUTH_MODALITIES = {"truth", "0"}


def _err(path, lineno, msg) -> ValueError:
    return ValueError(f"{os.fspath(path)}: line {lineno}: {msg}")


def read_imrmc(path) -> ScoreTable:
    """Read an iMRMC list-format file.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.imrmc`` file.

    Returns
    -------
    ScoreTable
        Modalities, readers and cases in order of first appearance in the data.

    Raises
    ------
    ValueError
        One line naming the file and line number: a record without four fields, a
        non-numeric score, a truth value other than 0/1, a second truth record for a case,
        a rating of a case without a truth record, a duplicated rating, a header count
        (``N0``/``N1``/``NR``/``NM``) that disagrees with the data, a reader or modality with
        no ratings, or no ``BEGIN DATA:`` line.
    """
    with open(path, encoding="utf-8-sig") as fh:
        lines = fh.read().splitlines()
    counts: dict[str, tuple[int, int]] = {}
    start = None
    for i, line in enumerate(lines, start=1):
        if line.strip().upper().startswith("BEGIN DATA:"):
            start = i
            break
        m = _COUNT.match(line)
        if m:
            try:
                counts[m.group(1)] = (int(m.group(2)), i)
            except ValueError:
                raise _err(path, i, f"{m.group(1)} must be an integer; got {m.group(2)!r}") from None
    if start is None:
        raise ValueError(f"{os.fspath(path)}: no 'BEGIN DATA:' line; not an iMRMC list file")

    truth: dict[str, int] = {}
    truth_line: dict[str, int] = {}
    rec_case, rec_mod, rec_rdr, rec_score, rec_line = [], [], [], [], []
    for i in range(start + 1, len(lines) + 1):
        line = lines[i - 1].strip()
        if not line:
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 4:
            raise _err(path, i, f"a record needs 4 comma-separated fields (reader,case,modality,score); "
                                f"got {len(fields)}: {line[:60]!r}")
        rdr, case, mod, val = fields
        if not rdr or not case or not mod:
            raise _err(path, i, f"reader, case and modality must not be empty; got {line[:60]!r}")
        try:
            x = float(val)
        except ValueError:
            raise _err(path, i, f"non-numeric score {val!r} (reader {rdr!r}, case {case!r}, modality {mod!r})") from None
        if not np.isfinite(x):
            raise _err(path, i, f"score must be finite; got {val!r}")
        if rdr in _TRUTH_READERS or mod == "truth":
            if rdr not in _TRUTH_READERS or mod not in _TRUTH_MODALITIES:
                raise _err(path, i, f"a truth record has reader -1 or 'truth' and modality 'truth'; got {line[:60]!r}")
            if x not in (0.0, 1.0):
                raise _err(path, i, f"truth must be 0 (signal absent) or 1 (signal present); case {case!r} has {val!r}")
            if case in truth:
                raise _err(path, i, f"second truth record for case {case!r} (first on line {truth_line[case]})")
            truth[case] = int(x)
            truth_line[case] = i
            continue
        rec_case.append(case)
        rec_mod.append(mod)
        rec_rdr.append(rdr)
        rec_score.append(x)
        rec_line.append(i)

    if not truth:
        raise ValueError(f"{os.fspath(path)}: no truth records (reader -1 or 'truth', modality 'truth')")
    for case, line in zip(rec_case, rec_line):
        if case not in truth:
            raise _err(path, line, f"case {case!r} has no truth record (unknown case)")
    if not rec_case:
        raise ValueError(f"{os.fspath(path)}: no reader scores after 'BEGIN DATA:'")

    seen: dict[tuple[str, str, str], int] = {}
    for rdr, case, mod, line in zip(rec_rdr, rec_case, rec_mod, rec_line):
        key = (rdr, case, mod)
        if key in seen:
            raise _err(path, line, f"reader {rdr!r} rated case {case!r} in modality {mod!r} twice "
                                   f"(first on line {seen[key]})")
        seen[key] = line

    case_order = list(truth)  # truth-record order
    lookup = {c: k for k, c in enumerate(case_order)}
    mods = list(dict.fromkeys(rec_mod))
    rdrs = list(dict.fromkeys(rec_rdr))
    scores = np.full((len(mods), len(rdrs), len(case_order)), np.nan)
    mi = {m: k for k, m in enumerate(mods)}
    ri = {r: k for k, r in enumerate(rdrs)}
    scores[[mi[m] for m in rec_mod], [ri[r] for r in rec_rdr], [lookup[c] for c in rec_case]] = rec_score
    truth_arr = np.array([truth[c] for c in case_order], dtype=np.int8)

    found = {"N0": int((truth_arr == 0).sum()), "N1": int((truth_arr == 1).sum()),
             "NR": len(rdrs), "NM": len(mods)}
    what = {"N0": "normal cases", "N1": "abnormal cases", "NR": "readers with scores",
            "NM": "modalities with scores"}
    for key, (declared, line) in counts.items():
        if declared != found[key]:
            raise _err(path, line, f"header says {key}:{declared} but the data have {found[key]} {what[key]}")
    return ScoreTable(tuple(case_order), truth_arr, tuple(mods), tuple(rdrs), scores)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def write_imrmc(path, table: ScoreTable, *, description: str = "Written by victwin.stats") -> None:
    """Write a score table as an iMRMC list-format file.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; written to a temporary name and renamed, so a partial file never
        looks complete.
    table : ScoreTable
        The ratings; missing ratings are simply not written.
    description : str
        Free-text header (one or more lines). It must not contain ``N0:``, ``N1:``,
        ``NR:``, ``NM:`` or ``BEGIN DATA:``, which iMRMC would read as data.
    """
    if not isinstance(table, ScoreTable):
        raise TypeError(f"table must be a ScoreTable; got {type(table).__name__}")
    for bad in ("N0:", "N1:", "NR:", "NM:", "BEGIN DATA:"):
        if bad in description:
            raise ValueError(f"description must not contain {bad!r} (iMRMC reads it as a header field)")
    for field, labels in (("cases", table.cases), ("readers", table.readers), ("modalities", table.modalities)):
        for lab in labels:
            if "," in lab or not lab.strip() or lab != lab.strip():
                raise ValueError(f"{field} labels must be non-empty without commas or outer spaces; got {lab!r}")
    for lab in table.readers:
        if lab in _TRUTH_READERS:
            raise ValueError(f"reader label {lab!r} is reserved for truth records in iMRMC")
    for lab in table.modalities:
        if lab in _TRUTH_MODALITIES:
            raise ValueError(f"modality label {lab!r} is reserved for truth records in iMRMC")
    out = [line for line in description.splitlines()]
    out += [f"N0:{table.n_normal}", f"N1:{table.n_abnormal}", f"NR:{len(table.readers)}",
            f"NM:{len(table.modalities)}", "BEGIN DATA:"]
    out += [f"-1,{c},truth,{int(t)}" for c, t in zip(table.cases, table.truth)]
    read = table.read
    for m, mod in enumerate(table.modalities):
        for r, rdr in enumerate(table.readers):
            for k in np.flatnonzero(read[m, r]):
                out.append(f"{rdr},{table.cases[k]},{mod},{_fmt(table.scores[m, r, k])}")
    tmp = f"{os.fspath(path)}.part"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out) + "\n")
    os.replace(tmp, path)
