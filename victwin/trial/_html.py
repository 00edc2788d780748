"""The HTML building blocks of the trial report: style, tables, figures as data URIs, ROC points.

Used by :mod:`._report`, which assembles the sections. Figures use matplotlib's object API
(``matplotlib.figure.Figure``), so pyplot's global state is never touched.
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path

import numpy as np

__all__ = ["empirical_roc"]

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;color:#1d2329;
background:#f4f6f8;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:1.8em;margin:0.2em 0 0.1em}h2{border-bottom:2px solid #d5dbe1;padding-bottom:4px;
margin-top:1.8em}h3{margin-bottom:0.3em}
.sub{color:#5a6570;margin:0 0 1em}
.answer{border:2px solid #2b6cb0;border-radius:8px;background:#eef5fc;padding:14px 20px}
.answer p.verdict{font-size:1.25em;font-weight:600;margin:0.2em 0 0.6em}
.sig{color:#1f7a3a}.nosig{color:#8a5a00}
table{border-collapse:collapse;margin:0.6em 0 1em;font-size:0.92em}
th,td{border:1px solid #d5dbe1;padding:4px 9px;text-align:left;vertical-align:top}
th{background:#eef1f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{background:#e3f4e8;color:#145a2a;font-weight:600}
.fail{background:#fbe3e3;color:#8b1111;font-weight:700}
img.plot{max-width:100%;height:auto;display:block;margin:0.5em 0}
pre{background:#f4f6f8;padding:10px;overflow-x:auto;font-size:0.85em}
.note{color:#5a6570;font-size:0.9em}
a{color:#2b6cb0}nav a{margin-right:12px;text-decoration:none}
details summary{cursor:pointer;color:#2b6cb0}
"""

_COLORS = ("#2b6cb0", "#c05621", "#2f855a", "#805ad5", "#b83280", "#4a5568")


# --------------------------------------------------------------------------------- helpers

def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _png(fig) -> str:
    """A Figure as an ``<img>`` with a base64 PNG data URI (no software metadata)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img class="plot" alt="plot" src="data:image/png;base64,{data}">'


def _png_file(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img class="plot" alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _figure(w: float, h: float):
    from matplotlib.figure import Figure  # object API only: no pyplot global state

    return Figure(figsize=(w, h))


def _f(x, nd=3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.{nd}f}"


def _p(p) -> str:
    if p is None:
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _ci(ci, nd=3) -> str:
    if not ci:
        return "n/a"
    return f"{_f(ci[0], nd)} to {_f(ci[1], nd)}"


def _table(head, rows, num_cols=()) -> str:
    out = ["<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    for row in rows:
        cells = []
        for k, c in enumerate(row):
            if isinstance(c, _Span):      # the rest of the row: one note, not a number
                cells.append(f'<td colspan="{c.columns}">{_e(c)}</td>')
                continue
            cls = ' class="num"' if k in num_cols else ""
            cells.append(f"<td{cls}>{c if isinstance(c, _Raw) else _e(c)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


class _Raw(str):
    """Trusted HTML for a table cell."""


class _Span(str):
    """A table cell of text spanning ``columns`` columns (a note in place of numbers)."""

    def __new__(cls, text, columns: int):
        obj = super().__new__(cls, text)
        obj.columns = int(columns)
        return obj


def empirical_roc(scores, truth):
    """Empirical ROC operating points (FPF, TPF), from (0, 0) to (1, 1).

    Parameters
    ----------
    scores : float array (n,)
        Higher = more suspicious; NaN entries are ignored.
    truth : int array (n,)
        1 signal present, 0 absent.

    Returns
    -------
    fpf, tpf : float arrays
        One point per distinct threshold (ties move diagonally, so the trapezoidal area
        equals the Mann-Whitney AUC with ties counted 1/2).
    """
    s = np.asarray(scores, float)
    t = np.asarray(truth)
    keep = np.isfinite(s)
    s, t = s[keep], t[keep]
    n1, n0 = int((t == 1).sum()), int((t == 0).sum())
    if n1 == 0 or n0 == 0:
        raise ValueError(f"empirical_roc needs both classes; got {n0} normal, {n1} abnormal")
    thr = np.unique(s)[::-1]
    tpf = [0.0] + [float(((s >= c) & (t == 1)).sum()) / n1 for c in thr]
    fpf = [0.0] + [float(((s >= c) & (t == 0)).sum()) / n0 for c in thr]
    return np.array(fpf), np.array(tpf)
