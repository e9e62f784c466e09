"""Results drawn in a notebook: the HTML that ``_repr_html_`` returns for a lesson (`teach.explain.Explanation`),
a `CheckResult` and its facets, an `AuditResult` and a failing `testing.assert_matches`.

Each output is one ``<div class="conv-eq">`` with the same cards as the HTML pages (`cards`, `lesson`,
the audit report's sections): value grids, differing cells outlined, the reproduction. It holds its own
style sheet, the pages' rules scoped under ``.conv-eq`` (so nothing leaks into the notebook) and a theme
that reads JupyterLab's ``--jp-*`` colours (light and dark), with fallbacks that inherit the host's text
colour elsewhere. No script and nothing fetched: a notebook output may not run one, so the reproduction
is a ``<pre>`` that one click selects whole (``user-select: all``), for the reader to copy, instead of the
pages' copy button. ``templates/notebook.html`` draws them.
"""

from __future__ import annotations

import itertools
import platform
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from markupsafe import Markup

from conv_equivalence.audit.layout import PROBLEMS, arrange
from conv_equivalence.audit.run import AuditResult, environment_notes, library_versions
from conv_equivalence.audit.verdict import CRASH, DIFFERS, ERROR, HOLDS, NOT_INSTALLED, REGRESSION, UNSUPPORTED, Verdict
from conv_equivalence.check.render import in_dtype, real_size_lines
from conv_equivalence.check.result import FAILING, CheckResult, FacetResult, short
from conv_equivalence.identities import Identity, get_identity
from conv_equivalence.report import heatmap, templating
from conv_equivalence.report.cards import OPEN_SCRIPT_LINES, Card, Chip, Reproduction, _needs, card_data, chip_of
from conv_equivalence.report.lesson import lesson_data
from conv_equivalence.report.page import lesson_rows, matrix_data, summary_data

SCOPE = ".conv-eq"
CHECK_STATUS = {"pass": HOLDS, "fail": REGRESSION, "crash": CRASH, "timeout": ERROR, "declined": UNSUPPORTED,
                "skipped": NOT_INSTALLED, "explained": DIFFERS}
"""A facet's status drawn in the colour and symbol of the audit status that means the same."""
_ids = itertools.count()


def scoped(css: str, scope: str = SCOPE) -> str:
    """``css`` with every selector under ``scope``; ``body`` becomes the scope itself, ``@media`` blocks
    (print rules) are left out."""
    css = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        names = [s.strip() for s in selectors.split(",") if s.strip()]
        if names == ["body"]:
            continue
        rules.append(",".join(scope if s in ("body", "html") else f"{scope} {s}" for s in names) + "{" + body.strip() + "}")
    return "\n".join(rules)


CSS = Markup(scoped(templating.render("catalogue.css.html")) + "\n" + templating.render("notebook.css.html"))
"""A notebook output's whole style sheet: the pages' rules under ``.conv-eq``, then the notebook's theme."""


def _draw(name: str, *args: Any) -> str:
    return str(templating.macro("notebook.html", name)(CSS, *args))


def status_chip(status: str, text: str | None = None) -> Chip:
    """A facet status (``pass``, ``fail``, ...) as a chip."""
    return chip_of(CHECK_STATUS.get(status, UNSUPPORTED), text or status)


def _identity(identity_id: str) -> Identity | None:
    try:
        return get_identity(identity_id)
    except KeyError:
        return None


def explanation_html(identity: Identity, target: str, verdict: Verdict) -> str:
    """A lesson: the belief, its smallest counterexample's card, why, and the true identity checked on it."""
    where = f"{identity.id}: checked on {target}: {verdict.outcome}, {verdict.examples} examples"
    return _draw("explanation", lesson_data(identity, target, verdict), where)


def _figures(arrays: Sequence[tuple[Any, str, Any]]) -> list[heatmap.Figure]:
    drawn = [heatmap.figure_data(a, title, marks) for a, title, marks in arrays]
    return [f for f in drawn if f is not None]


def facet_card(f: FacetResult) -> Card:
    """A facet as a card: its counterexample's arrays, expected and got with the differing elements outlined
    and their difference, what went wrong, and the reproduction."""
    case, failure = f.counterexample, f.failure
    title = f"{f.name}: {f.status} ({f.examples} checked, {f.declined} declined)"
    message = f.note if failure is None else failure.message.rstrip()
    figures: list[list[heatmap.Figure]] | None = None
    params: list[tuple[str, str]] = []
    if f.real is not None and failure is not None:  # real-size layers: the account, not megabytes of values
        message = "\n".join(real_size_lines(f.real, failure, None))
    elif case is not None and hasattr(case, "convention"):  # a signal-processing or filter call
        names = ("input", "weights") if case.convention == "filter" else ("in1", "in2")
        figures = [_figures([(case.a, names[0], ()), (case.v, names[1], ())])]
        params = [("mode", repr(case.mode))] + ([("boundary", repr(case.boundary)), ("fillvalue", repr(case.fill))]
                                                if case.convention == "signal2d" else [])
    elif case is not None:
        p = case.problem
        params = [(k, repr(v)) for k, v in case.args.items() if v is not None]
        params += [("padding_mode", repr(p.spec.padding_mode))] if p.spec.padding_mode != "zeros" else []
        params += [("dtype", p.dtype), ("layout", p.layout)]
        arrays = [(in_dtype(p.x, p.dtype), "input x", ()), (in_dtype(p.weight, p.dtype), "weight w", ())]
        if p.bias is not None:
            arrays.append((in_dtype(p.bias, p.dtype), "bias b", ()))
        if case.cotangent is not None:
            arrays.append((case.cotangent, "cotangent (given to backward)", ()))
        sides: list[tuple[Any, str, Any]] = []
        if failure is not None and failure.got is not None and failure.expected is not None:
            marks, what = set(failure.marks), "" if failure.part == "output" else f" {failure.part} gradient"
            sides = [(failure.got, f"got{what} (the implementation)", marks), (failure.expected, f"expected{what} (oracle)", marks)]
            got, expected = np.asarray(failure.got), np.asarray(failure.expected)
            if got.shape == expected.shape and got.dtype.kind in "biufc" and expected.dtype.kind in "biufc":
                kind = np.complex128 if np.iscomplexobj(got) or np.iscomplexobj(expected) else np.float64
                with np.errstate(invalid="ignore", over="ignore"):
                    sides.append((got.astype(kind) - expected.astype(kind), "got - expected", marks))
        figures = [g for g in (_figures(arrays), _figures(sides)) if g]
    repro = None
    if f.reproduction:
        lines = f.reproduction.count("\n") + 1
        repro = Reproduction(f"nb-repro-{next(_ids)}", f.reproduction.rstrip() + "\n", _needs(f.reproduction), lines,
                             lines <= OPEN_SCRIPT_LINES)
    return Card(anchor=f"nb-facet-{next(_ids)}", chip=status_chip(f.status), title=title, statement=None, formula=None,
                parameters=params, figures=figures, message=message, extra="", reproduction=repro)


def facet_html(f: FacetResult) -> str:
    """One facet as its card."""
    return _draw("facet", facet_card(f))


@dataclass(frozen=True)
class CheckView:
    """A check run as drawn: the verdict's chip, the implementation, one line of counts, the facet table,
    the notes and warnings, and each failing facet's card."""

    chip: Chip
    name: str
    headline: str
    rows: list[dict[str, Any]]
    notes: list[str]
    cards: list[Card]


def check_html(result: CheckResult) -> str:
    """A check run: the verdict, the facet table, and each failing facet's card."""
    failed = result.failed
    headline = (f"{result.verdict}: {len(failed)} of {len(result.facets)} facets fail" if failed else
                f"{result.verdict}: no facet fails ({len(result.facets)} facets)") + f", {result.seconds:.1f}s"
    rows = [{"name": f.name, "chip": status_chip(f.status), "examples": f.examples, "declined": f.declined,
             "note": short(f.note), "failing": f.status in FAILING} for f in result.facets]
    view = CheckView(status_chip(result.verdict), result.name, headline, rows,
                     [*result.notes, *result.warning_lines()], [facet_card(f) for f in failed])
    return _draw("check", view)


@dataclass(frozen=True)
class AuditView:
    """An audit as drawn: the report's first screen and matrix, its lessons and its problems' cards."""

    summary: Any
    matrix: Any
    lessons: list[Any]
    problems: list[Card]


def audit_html(result: AuditResult) -> str:
    """An audit: the report's first screen (verdict, counts, problems, environment), the matrix, the lessons
    (each card folded) and every problem's card."""
    versions = library_versions()
    report = {"profile": result.profile, "python": platform.python_version(), "platform": platform.platform(),
              "libraries": versions, "environment_notes": environment_notes(versions)}
    layout = arrange(result.verdicts)
    problems = [card_data(v, _identity(v.identity), f"v{i}") for i, v in enumerate(result.verdicts) if v.outcome in PROBLEMS]
    return _draw("audit", AuditView(summary_data(report, layout), matrix_data(layout), lesson_rows(layout), problems))


__all__ = ["CSS", "audit_html", "check_html", "explanation_html", "facet_card", "facet_html", "scoped", "status_chip"]
