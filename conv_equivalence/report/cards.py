"""Counterexample cards for the HTML pages, and the reproduction script each one carries.

A card shows one verdict: the statement and its formula, the call's parameters, every argument
and both sides as value grids (`heatmap`), the differing outputs outlined, the checker's message,
and a short Python script that rebuilds the exact counterexample and runs the check outside any
test suite (it raises ``IdentityFailure`` while the discrepancy lasts). This module computes what
a card shows (`card_data`, a `Card`); ``templates/cards.html`` draws it.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from conv_equivalence.audit.layout import SYMBOLS
from conv_equivalence.audit.verdict import CRASH, DIFFERS, ERROR, HOLDS, NOT_INSTALLED, REGRESSION, UNSUPPORTED, Verdict
from conv_equivalence.identities import Identity
from conv_equivalence.problem import ConvProblem
from conv_equivalence.report import heatmap, templating
from conv_equivalence.values import argument_names, differing

COLOURS = {HOLDS: "#cdebc5", DIFFERS: "#fde9a9", REGRESSION: "#f4a3a3", UNSUPPORTED: "#ececec",
           NOT_INSTALLED: "#f4f4f4", ERROR: "#e3b5f0", CRASH: "#c9a0dc"}

CSS = templating.render("cards.css.html")
"""The cards' style sheet, the grids' included (``templates/cards.css.html``)."""
COPY_SCRIPT = templating.render("copy_script.html")
"""The copy buttons' only code: inline, no network (a file:// page has no secure context, hence the fallback)."""

_ids = itertools.count()
OPEN_SCRIPT_LINES = 15
"""Reproductions up to this many lines are shown open; longer ones fold (the copy button copies either)."""


@dataclass(frozen=True)
class Chip:
    """A status word (with its symbol) on the status's colour."""

    label: str
    colour: str


def chip_of(status: str, text: str | None = None) -> Chip:
    """The chip of ``status``, labelled ``text`` (default: the status) after the status's symbol."""
    return Chip(f"{SYMBOLS.get(status, '')} {text or status}".strip(), COLOURS.get(status, "#eee"))


def chip(status: str, text: str | None = None) -> str:
    """A status word on its colour."""
    return str(templating.macro("cards.html", "chip")(chip_of(status, text)))


def _literal(value: Any) -> str:
    """Python source for a number, list of numbers or array that rebuilds it exactly."""
    if isinstance(value, np.ndarray):
        return f"np.array({_literal(value.tolist())}, dtype={str(value.dtype)!r})"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return "np.nan" if np.isnan(value) else ("np.inf" if value > 0 else "-np.inf")
    if isinstance(value, np.generic):
        return repr(value.item())
    return repr(value)


def case_source(case: Any) -> str | None:
    """``case = ...``: Python source that rebuilds a counterexample, or ``None`` if it cannot be written."""
    if isinstance(case, ConvProblem):
        s = case.spec
        spec = (f"ConvSpec.create({s.ndim}, stride={s.stride}, padding={s.padding!r}, dilation={s.dilation}, "
                f"groups={s.groups}, padding_mode={s.padding_mode!r}"
                + (f", transposed=True, output_padding={s.output_padding}" if s.transposed else "") + ")")
        bias = "None" if case.bias is None else _literal(case.bias)
        return (f"case = ConvProblem(\n    {spec},\n    x={_literal(case.x)},\n    weight={_literal(case.weight)},\n"
                f"    bias={bias}, dtype={case.dtype!r}, layout={case.layout!r})")
    items = case if isinstance(case, tuple) else (case,)
    if any(isinstance(i, np.ndarray) and i.dtype == object for i in items):
        return None
    if not all(isinstance(i, (np.ndarray, np.generic, int, float, complex, str, bool, type(None), tuple)) for i in items):
        return None
    return f"case = {_literal(case)}"


@functools.cache
def _belief_scripts() -> dict[str, str]:
    from conv_equivalence.teach.repro import BELIEF, reproductions

    return {key: r.script() for key, r in reproductions().items() if r.kind == BELIEF}


def _needs(script: str) -> str:
    """What a reproduction needs installed, from its imports."""
    if "from conv_equivalence" in script:
        return "with conv-equivalence installed"
    modules = dict.fromkeys(m.split(".")[0] for m in re.findall(r"^(?:import|from) ([\w.]+)", script, flags=re.M))
    return "standalone: " + ", ".join(m for m in modules if m not in ("sys", "os", "math", "importlib"))


def reproduction(verdict: Verdict) -> str | None:
    """A script to paste: the catalogue's upstream-ready one for a belief (`repro`: only the library and
    numpy), else one that rebuilds this exact counterexample and runs the check on it (it raises while it fails)."""
    upstream = _belief_scripts().get(verdict.identity)
    if upstream is not None:
        return upstream
    source = case_source(verdict.counterexample)
    if source is None:
        return None
    imports = ["import numpy as np", "from conv_equivalence.identities import get_identity"]
    if isinstance(verdict.counterexample, ConvProblem):
        imports.append("from conv_equivalence.problem import ConvProblem, ConvSpec")
    return "\n".join([
        f"# {verdict.identity} on {verdict.target}: {verdict.outcome} (pip install conv-equivalence)",
        *imports, "", source, "",
        f"get_identity({verdict.identity!r}).check({verdict.target!r}, case)  # raises IdentityFailure while it fails",
    ]) + "\n"


def parameter_items(case: Any) -> list[tuple[str, str]]:
    """The call's parameters (and a belief's scalar arguments) as ``(name, value)``, values as written in code."""
    if isinstance(case, ConvProblem):
        s = case.spec
        named: list[tuple[str, object]] = [
            ("stride", s.stride), ("padding", s.padding), ("dilation", s.dilation), ("groups", s.groups),
            ("padding_mode", s.padding_mode), ("dtype", case.dtype), ("layout", case.layout)]
        if s.transposed:
            named.append(("output_padding", s.output_padding))
        return [(k, str(v)) for k, v in named]
    items = case if isinstance(case, tuple) else (case,)
    return [(f"{n} =", repr(v)) for n, v in zip(argument_names(len(items)), items, strict=False)
            if not isinstance(v, np.ndarray)]


def parameters(case: Any) -> str:
    """The call's parameters (and a belief's scalar arguments), one line."""
    return str(templating.macro("cards.html", "parameters")(parameter_items(case)))


def _figures(figures: list[heatmap.Figure | None]) -> list[heatmap.Figure]:
    return [f for f in figures if f is not None]


def argument_data(case: Any) -> list[heatmap.Figure]:
    """The counterexample's arrays as figures: input, weight and bias, or a belief's arguments."""
    if isinstance(case, ConvProblem):
        arrays = [(case.x, "input x"), (case.weight, "weight w")] + ([] if case.bias is None else [(case.bias, "bias b")])
    else:
        items = case if isinstance(case, tuple) else (case,)
        arrays = [(v, n) for n, v in zip(argument_names(len(items)), items, strict=False)]
    return _figures([heatmap.figure_data(array, title) for array, title in arrays])


def side_data(verdict: Verdict, expectation: str) -> list[heatmap.Figure]:
    """Both sides as figures, outlined where they differ, and their difference (left - right)."""
    left, right = verdict.left, verdict.right
    if not (isinstance(left, np.ndarray) and isinstance(right, np.ndarray)):
        return []
    marks = differing(left, right) if left.dtype != object and right.dtype != object else set()
    names = ("got (left side)", "expected (right side)") if expectation == HOLDS else ("left side", "right side")
    figs = [heatmap.figure_data(left, names[0], marks), heatmap.figure_data(right, names[1], marks)]
    if left.shape == right.shape and left.dtype.kind in "biufc" and right.dtype.kind in "biufc":
        kind = np.complex128 if np.iscomplexobj(left) or np.iscomplexobj(right) else np.float64
        with np.errstate(invalid="ignore", over="ignore"):
            figs.append(heatmap.figure_data(left.astype(kind) - right.astype(kind), "left - right", marks))
    return _figures(figs)


def _drawn(figures: list[heatmap.Figure]) -> list[str]:
    draw = templating.macro("heatmap.html", "figure")
    return [str(draw(f)) for f in figures]


def argument_figures(case: Any) -> list[str]:
    """Value grids of the counterexample's arrays: input, weight and bias, or a belief's arguments."""
    return _drawn(argument_data(case))


def side_figures(verdict: Verdict, expectation: str) -> list[str]:
    """Both sides, outlined where they differ, and their difference (left - right)."""
    return _drawn(side_data(verdict, expectation))


@dataclass(frozen=True)
class Reproduction:
    """The script a card carries: its element id (for the copy button), text, what it needs, length, open or folded."""

    id: str
    script: str
    needs: str
    lines: int
    open: bool


@dataclass(frozen=True)
class Card:
    """What a card shows; ``figures`` is ``None`` without a counterexample, else the groups of value grids
    (arguments, then both sides); ``extra`` is inserted after the message (escaped unless it is `Markup`)."""

    anchor: str
    chip: Chip
    title: str
    statement: str | None
    formula: str | None
    parameters: list[tuple[str, str]]
    figures: list[list[heatmap.Figure]] | None
    message: str
    extra: str
    reproduction: Reproduction | None


def card_data(verdict: Verdict, identity: Identity | None, anchor: str, *, heading: str | None = None,
              extra: str = "") -> Card:
    """What `card` draws, as data."""
    case = verdict.counterexample
    figures = None if case is None else [g for g in (argument_data(case), side_data(verdict, verdict.expected)) if g]
    script = reproduction(verdict) if case is not None else None
    repro = None
    if script:
        lines = script.count("\n")
        repro = Reproduction(f"repro-{next(_ids)}", script, _needs(script), lines, lines <= OPEN_SCRIPT_LINES)
    return Card(anchor=anchor, chip=chip_of(verdict.outcome), title=heading or f"{verdict.identity} on {verdict.target}",
                statement=None if identity is None else identity.statement,
                formula=None if identity is None else identity.formula,
                parameters=[] if case is None else parameter_items(case), figures=figures, message=verdict.message,
                extra=extra, reproduction=repro)


def card(verdict: Verdict, identity: Identity | None, anchor: str, *, heading: str | None = None,
         extra: str = "") -> str:
    """One verdict as a card: statement, formula, parameters, grids, message and reproduction.

    ``extra`` goes after the message: escaped, unless it is `markupsafe.Markup` (HTML its maker vouches for)."""
    return str(templating.macro("cards.html", "card")(card_data(verdict, identity, anchor, heading=heading, extra=extra)))


__all__ = ["COLOURS", "COPY_SCRIPT", "CSS", "Card", "Chip", "card", "card_data", "case_source", "chip", "chip_of",
           "reproduction"]
