"""Arrays drawn as small grids of their values on a diverging colour scale, for the HTML pages.

Each grid is an HTML table: one cell per element, its value written in it (as `values.number`
writes it) and its background on a blue-white-red scale centred on zero and symmetric,
``-M .. +M`` with ``M`` the largest finite magnitude in the figure; complex arrays are coloured by
their real part. NaN and infinities are dark cells. Positions where two sides differ are outlined.
An array with more than two axes is drawn one ``[i, j, :, :]`` plane at a time. Every figure has
its own legend, so it can be read on its own. This module computes the cells (`figure_data`);
``templates/heatmap.html`` draws them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from conv_equivalence.report import templating
from conv_equivalence.values import number

STOPS = ((-1.0, (33, 102, 172)), (-0.5, (146, 197, 222)), (0.0, (247, 247, 247)), (0.5, (244, 165, 130)),
         (1.0, (178, 24, 43)))
"""The diverging scale (ColorBrewer RdBu): value / M -> RGB."""
NONFINITE = "#3b3b3b"
MAX_SIDE = 16
"""Rows and columns drawn per plane; larger planes are cut, and the caption says so."""
MAX_PLANES = 6

CSS = templating.render("heatmap.css.html")
"""The grids' style sheet (``templates/heatmap.css.html``), for pages that embed the figures."""


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



@dataclass(frozen=True)
class Cell:
    """One element: its value as written, its background, and ``diff``/``nf`` classes (space-separated)."""

    text: str
    background: str
    classes: str


@dataclass(frozen=True)
class Plane:
    """One 2-D plane of cells; ``index`` names its leading axes (``"0, 1"``), empty for arrays of rank <= 2."""

    index: str
    rows: list[list[Cell]]


@dataclass(frozen=True)
class Legend:
    """The scale's key: ``low`` and ``high`` either side of the colour bar, and the swatches a figure uses."""

    low: str
    high: str
    gradient: str
    complex_values: bool
    nonfinite: bool
    marked: bool
    nonfinite_colour: str = NONFINITE


@dataclass(frozen=True)
class Figure:
    """One array drawn: title, ``shape dtype``, what was cut (``note``), its planes, and the legend (``None``: empty)."""

    title: str
    shape: str
    note: str = ""
    planes: list[Plane] = field(default_factory=list)
    legend: Legend | None = None


def _cell(value: Any, scale: float, marked: bool) -> Cell:
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
    return Cell(number(value), background, " ".join(classes))


def legend_data(scale: float, *, nonfinite: bool, marked: bool, complex_values: bool) -> Legend:
    """The key of a figure whose largest finite magnitude is ``scale``."""
    low, high = (f"-{number(scale)}", f"+{number(scale)}") if scale else ("0", "0 (all zero)")
    return Legend(low, high, _gradient(), complex_values=complex_values, nonfinite=nonfinite, marked=marked)


def figure_data(array: Any, title: str, marked: Iterable[tuple[int, ...]] = ()) -> Figure | None:
    """What `figure` draws, as data; ``None`` for what is not an array."""
    if not isinstance(array, np.ndarray) or array.dtype == object:
        return None
    a = array
    marks = {tuple(int(i) for i in m) for m in marked}
    shape = f"{a.shape} {a.dtype}"
    if a.size == 0:
        return Figure(title, shape)
    if a.ndim == 0:
        a = a.reshape(1)
        marks = {(0,)} if marks else set()
    scale = _magnitude(a)
    all_planes = planes(a)
    drawn = []
    for prefix, plane in all_planes[:MAX_PLANES]:
        rows = [[_cell(plane[r, c], scale, ((*prefix, r, c) if a.ndim >= 2 else (c,)) in marks)
                 for c in range(min(plane.shape[1], MAX_SIDE))]
                for r in range(min(plane.shape[0], MAX_SIDE))]
        drawn.append(Plane(", ".join(map(str, prefix)), rows))
    cut = []
    if len(all_planes) > MAX_PLANES:
        cut.append(f"first {MAX_PLANES} of {len(all_planes)} planes")
    if any(s > MAX_SIDE for s in a.shape[-2:]):
        cut.append(f"at most {MAX_SIDE}x{MAX_SIDE} values per plane")
    with np.errstate(invalid="ignore"):
        nonfinite = bool(a.dtype.kind in "fc" and not np.all(np.isfinite(a)))
    key = legend_data(scale, nonfinite=nonfinite, marked=bool(marks), complex_values=a.dtype.kind == "c")
    return Figure(title, shape, "; ".join(cut), drawn, key)


def legend(scale: float, *, nonfinite: bool, marked: bool, complex_values: bool) -> str:
    """The scale's key: ``-M``, 0 and ``+M`` under a colour bar, and the swatches this figure uses."""
    key = legend_data(scale, nonfinite=nonfinite, marked=marked, complex_values=complex_values)
    return str(templating.macro("heatmap.html", "legend")(key))


def figure(array: Any, title: str, marked: Iterable[tuple[int, ...]] = ()) -> str:
    """One array as a captioned figure of value grids with a legend; empty for what is not an array."""
    drawn = figure_data(array, title, marked)
    return "" if drawn is None else str(templating.macro("heatmap.html", "figure")(drawn))
