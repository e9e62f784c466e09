"""Arrays drawn as small grids of their values on a diverging colour scale, for the HTML pages.

Each grid is an HTML table: one cell per element, its value written in it (as `values.number`
writes it) and its background on a blue-white-red scale centred on zero and symmetric,
``-M .. +M`` with ``M`` the largest finite magnitude in the figure; complex arrays are coloured by
their real part. NaN and infinities are dark cells. Positions where two sides differ are outlined.
An array with more than two axes is drawn one ``[i, j, :, :]`` plane at a time. Every figure has
its own legend, so it can be read on its own.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import numpy as np

from conv_equivalence.values import number

STOPS = ((-1.0, (33, 102, 172)), (-0.5, (146, 197, 222)), (0.0, (247, 247, 247)), (0.5, (244, 165, 130)),
         (1.0, (178, 24, 43)))
"""The diverging scale (ColorBrewer RdBu): value / M -> RGB."""
NONFINITE = "#3b3b3b"
MAX_SIDE = 16
"""Rows and columns drawn per plane; larger planes are cut, and the caption says so."""
MAX_PLANES = 6

CSS = """
figure.heatmap{margin:0 14px 10px 0;display:inline-block;vertical-align:top}
figure.heatmap figcaption{font-size:12px;color:#333;margin-bottom:3px}
figure.heatmap figcaption code{font-size:11px;color:#666}
.planes{display:flex;flex-wrap:wrap;gap:6px;align-items:flex-start}
.plane small{display:block;font-size:10px;color:#777}
table.grid{border-collapse:collapse}
table.grid td{min-width:1.9em;height:1.7em;padding:0 4px;border:1px solid #d0d0d0;text-align:center;
  font:11px/1.2 ui-monospace,Menlo,Consolas,monospace}
table.grid td.diff{outline:2px solid #111;outline-offset:-3px;font-weight:bold}
table.grid td.nf{color:#fff}
.legend{display:flex;align-items:center;gap:4px;font:10px ui-monospace,Menlo,Consolas,monospace;color:#444;margin-top:3px}
.legend .bar{display:inline-block;width:90px;height:9px;border:1px solid #bbb}
.legend .key{display:inline-block;width:11px;height:11px;border:1px solid #bbb;vertical-align:middle}
.legend .key.diff{outline:2px solid #111;outline-offset:-3px;background:#fff}
"""


def colour(t: float) -> str:
    """The scale's colour at ``t`` in [-1, 1]."""
    t = min(1.0, max(-1.0, t))
    for (a, ca), (b, cb) in zip(STOPS, STOPS[1:], strict=False):
        if t <= b:
            f = (t - a) / (b - a)
            r, g, bl = (round(x + f * (y - x)) for x, y in zip(ca, cb, strict=True))
            return f"rgb({r},{g},{bl})"
    return "rgb(178,24,43)"


def _gradient() -> str:
    return "linear-gradient(to right," + ",".join(f"{colour(t)} {50 * (t + 1):.0f}%" for t, _ in STOPS) + ")"


def planes(array: np.ndarray) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """The array as 2-D planes, each with the index of its leading axes (``()`` for arrays of rank <= 2)."""
    a = np.asarray(array)
    if a.ndim <= 2:
        return [((), a.reshape((1,) * (2 - a.ndim) + a.shape))]
    return [(idx, a[idx]) for idx in np.ndindex(a.shape[:-2])]


def _magnitude(array: np.ndarray) -> float:
    real = np.real(array).astype(np.float64) if array.dtype != bool else array.astype(np.float64)
    finite = np.abs(real[np.isfinite(real)])
    return float(finite.max()) if finite.size else 0.0


def _cell(value: Any, scale: float, marked: bool) -> str:
    text = number(value)
    real = float(np.real(value)) if not isinstance(value, (bool, np.bool_)) else float(value)
    classes = ["diff"] if marked else []
    if not np.isfinite(real) or (np.iscomplexobj(value) and not np.isfinite(complex(value).imag)):
        classes.append("nf")
        background = NONFINITE
    else:
        t = 0.0 if scale == 0 else real / scale
        background = colour(t)
        if abs(t) > 0.7:
            classes.append("nf")
    cls = f' class="{" ".join(classes)}"' if classes else ""
    return f'<td{cls} style="background:{background}">{html.escape(text)}</td>'


def legend(scale: float, *, nonfinite: bool, marked: bool, complex_values: bool) -> str:
    """The scale's key: ``-M``, 0 and ``+M`` under a colour bar, and the swatches this figure uses."""
    low, high = (f"-{number(scale)}", f"+{number(scale)}") if scale else ("0", "0 (all zero)")
    parts = [f"<span>{html.escape(low)}</span>", f'<span class="bar" style="background:{_gradient()}"></span>',
             f"<span>{html.escape(high)}</span>"]
    if complex_values:
        parts.append("<span>(colour: real part)</span>")
    if nonfinite:
        parts.append(f'<span class="key" style="background:{NONFINITE}"></span><span>nan/inf</span>')
    if marked:
        parts.append('<span class="key diff"></span><span>differs</span>')
    return f'<div class="legend" title="diverging scale centred on zero">{"".join(parts)}</div>'


def figure(array: Any, title: str, marked: Iterable[tuple[int, ...]] = ()) -> str:
    """One array as a captioned figure of value grids with a legend; empty for what is not an array."""
    if not isinstance(array, np.ndarray) or array.dtype == object:
        return ""
    a = array
    marks = {tuple(int(i) for i in m) for m in marked}
    caption = f"{html.escape(title)} <code>{a.shape} {a.dtype}</code>"
    if a.size == 0:
        return f'<figure class="heatmap"><figcaption>{caption}: empty</figcaption></figure>'
    if a.ndim == 0:
        a = a.reshape(1)
        marks = {(0,)} if marks else set()
    scale = _magnitude(a)
    drawn = []
    all_planes = planes(a)
    for prefix, plane in all_planes[:MAX_PLANES]:
        rows = []
        for r in range(min(plane.shape[0], MAX_SIDE)):
            cells = []
            for c in range(min(plane.shape[1], MAX_SIDE)):
                full = (*prefix, r, c) if a.ndim >= 2 else (c,)
                cells.append(_cell(plane[r, c], scale, full in marks))
            rows.append("<tr>" + "".join(cells) + "</tr>")
        label = f"<small>[{', '.join(map(str, prefix))}, :, :]</small>" if prefix else ""
        drawn.append(f'<div class="plane">{label}<table class="grid">{"".join(rows)}</table></div>')
    cut = []
    if len(all_planes) > MAX_PLANES:
        cut.append(f"first {MAX_PLANES} of {len(all_planes)} planes")
    if any(s > MAX_SIDE for s in a.shape[-2:]):
        cut.append(f"at most {MAX_SIDE}x{MAX_SIDE} values per plane")
    note = f' <code>({"; ".join(cut)})</code>' if cut else ""
    with np.errstate(invalid="ignore"):
        nonfinite = bool(a.dtype.kind in "fc" and not np.all(np.isfinite(a)))
    return (f'<figure class="heatmap"><figcaption>{caption}{note}</figcaption><div class="planes">{"".join(drawn)}</div>'
            f"{legend(scale, nonfinite=nonfinite, marked=bool(marks), complex_values=a.dtype.kind == 'c')}</figure>")
