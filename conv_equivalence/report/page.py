"""The audit's self-contained HTML report, its first screen answering "did anything change, and what is wrong where".

Top: the verdict, counts by status, every regression, error and crash (linked to its card), and
the environment one line each. Below: the identity x backend matrix grouped by library (a library
that is not installed is one line naming the extra that installs it), the pairwise agreement
checks as their own table, the documented differences as lessons, and a card for every problem
(`cards`). No network and no external files; the only script is the copy buttons'. This module
arranges the verdicts (`Report`); ``templates/report.html`` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from conv_equivalence.audit.layout import PROBLEMS, SYMBOLS, Layout, arrange, counts, headline, library_of
from conv_equivalence.audit.verdict import STATUSES, Verdict
from conv_equivalence.identities import Identity, get_identity
from conv_equivalence.report import templating
from conv_equivalence.report.cards import COLOURS, Card, Chip, card_data, chip_of

MAX_PROBLEM_LINES = 10
"""Identities with a problem listed on the first screen (each line links every target it failed on)."""
TOLERANCE_NOTE = ("results are compared with the float64 oracle within Higham's bound "
                  "γ(n+1, u)·Σ|w||x| per output (n products, u the unit roundoff of the backend's computing dtype); "
                  "FFT methods within a normwise bound")

CSS = templating.render("report.css.html")
"""The report's whole style sheet (``templates/report.css.html``)."""


@dataclass(frozen=True)
class ProblemLink:
    """One target an identity failed on, linked to its card."""

    chip: Chip
    anchor: str
    text: str


@dataclass(frozen=True)
class ProblemLine:
    """An identity with a problem, on the first screen: every target it failed on, and the first one's reason."""

    identity: str
    links: list[ProblemLink]
    reason: str


@dataclass(frozen=True)
class Summary:
    """The first screen: what changed (empty: nothing), the counts (chip, zero?), the problems, the environment."""

    changed: str
    checks: int
    counts: list[tuple[Chip, bool]]
    problems: list[ProblemLine]
    more: int
    environment: list[tuple[str, str]]


@dataclass(frozen=True)
class Cell:
    """One verdict in the matrix: its colour, symbol and status, and its card's anchor for a problem."""

    colour: str
    symbol: str
    outcome: str
    anchor: str | None


@dataclass(frozen=True)
class Row:
    """A matrix row: a library's heading, a target that cannot run here (``reason``), or a target's cells."""

    kind: Literal["library", "unavailable", "checked"]
    name: str
    reason: str = ""
    cells: tuple[Cell | None, ...] = ()


@dataclass(frozen=True)
class Matrix:
    """Backends (rows, grouped by library) x identities, the status key, and the libraries not installed."""

    key: list[Chip]
    identities: list[str]
    rows: list[Row]
    missing: list[tuple[str, int, str]]


@dataclass(frozen=True)
class Pair:
    """One pairwise check: its chip, status, first lines of its message, and its card's anchor for a problem."""

    chip: Chip
    outcome: str
    headline: str
    anchor: str | None


@dataclass(frozen=True)
class Agreement:
    """One identity's pairwise checks: per library of the checked backend, a list of pairs per reference."""

    identity: str
    statement: str | None
    references: list[str]
    rows: list[tuple[str, list[list[Pair]]]]


@dataclass(frozen=True)
class LessonRow:
    """A documented difference: where it was checked, and its card (``None``: just the statement)."""

    chip: Chip
    outcome: str
    identity: str
    target: str
    statement: str
    card: Card | None


@dataclass(frozen=True)
class Report:
    """Everything the report page draws."""

    summary: Summary
    matrix: Matrix | None
    agreement: list[Agreement]
    lessons: list[LessonRow]
    problems: list[Card]


def _identity(identity_id: str) -> Identity | None:
    try:
        return get_identity(identity_id)
    except KeyError:
        return None


def _anchor(index: int) -> str:
    return f"v{index}"


def _problem_anchor(index: int, verdict: Verdict) -> str | None:
    return _anchor(index) if verdict.outcome in PROBLEMS else None


def _cell(index: int, verdict: Verdict) -> Cell:
    outcome = verdict.outcome
    return Cell(COLOURS.get(outcome, "#fff"), SYMBOLS.get(outcome, "?"), outcome, _problem_anchor(index, verdict))


def summary_data(report: dict[str, Any], layout: Layout) -> Summary:
    """The first screen: verdict, counts, problems (linked), environment."""
    verdicts = layout.verdicts
    tally = counts(verdicts)
    problems = [(i, verdicts[i]) for i in layout.problems]
    changed = ", ".join(f"{tally[s]} {s}{'s' if tally[s] > 1 else ''}" for s in PROBLEMS if tally[s]) if problems else ""
    by_identity: dict[str, list[tuple[int, Verdict]]] = {}
    for i, v in problems:
        by_identity.setdefault(v.identity, []).append((i, v))
    shown = list(by_identity.items())
    more = 0
    if len(shown) > MAX_PROBLEM_LINES:  # the first screen stays a screen; the rest are in the Problems section
        more = sum(len(found) for _, found in shown[MAX_PROBLEM_LINES - 1:])
        shown = shown[:MAX_PROBLEM_LINES - 1]
    lines = [ProblemLine(identity_id, [ProblemLink(chip_of(v.outcome, ""), _anchor(i), v.target) for i, v in found],
                         headline(found[0][1].message))
             for identity_id, found in shown]
    return Summary(changed, len(verdicts), [(chip_of(s, f"{s} {n}"), not n) for s, n in tally.items()], lines, more,
                   environment_lines(report, layout))


def environment_lines(report: dict[str, Any], layout: Layout) -> list[tuple[str, str]]:
    """Run, libraries, what is missing, precision notes and the tolerance: ``(name, text)``, one line each."""
    libraries = report.get("libraries", {})
    installed = " · ".join(f"{k} {v}" for k, v in libraries.items() if v != "not installed")
    missing = [lib.name for lib in layout.libraries if lib.missing]
    lines = [("run", f"profile {report.get('profile', '?')} · {len(layout.verdicts)} checks · Python {report.get('python', '?')}"
              f" · {report.get('platform', '?')}"),
             ("libraries", installed)]
    if missing:
        lines.append(("not installed", ", ".join(missing) + " (their backends are listed below with the extra to install)"))
    for note in report.get("environment_notes", []) or []:
        lines.append(("environment", str(note)))
    lines.append(("tolerance", TOLERANCE_NOTE))
    return lines


def matrix_data(layout: Layout) -> Matrix | None:
    """Backends grouped by library x identities; ``None`` without single-backend checks."""
    if not layout.libraries:
        return None
    verdicts, identities = layout.verdicts, layout.identities
    rows: list[Row] = []
    missing = []
    for library in layout.libraries:
        if library.missing:
            missing.append((library.name, len(library.targets), library.missing))
            continue
        rows.append(Row("library", library.name))
        for t, found in library.targets.items():
            reason = library.reasons[t]
            if reason:
                rows.append(Row("unavailable", t, reason[:100]))
                continue
            cells = []
            for identity in identities:
                i = found.get(identity)
                cells.append(None if i is None else _cell(i, verdicts[i]))
            rows.append(Row("checked", t, cells=tuple(cells)))
    return Matrix([chip_of(s) for s in STATUSES], identities, rows, missing)


def agreement_data(layout: Layout) -> list[Agreement]:
    """Pairwise checks (``a|b``): per identity, libraries of ``b`` down, references ``a`` across, one chip per ``b``."""
    verdicts = layout.verdicts
    by_identity: dict[str, dict[str, dict[str, list[int]]]] = {}
    for i in layout.pairs:
        v = verdicts[i]
        left, right = v.target.split("|", 1)
        by_identity.setdefault(v.identity, {}).setdefault(library_of(right), {}).setdefault(left, []).append(i)
    tables = []
    for identity_id, libraries in by_identity.items():
        references = list(dict.fromkeys(ref for refs in libraries.values() for ref in refs))
        rows = [(library, [[Pair(chip_of(verdicts[i].outcome, verdicts[i].target.split("|", 1)[1]), verdicts[i].outcome,
                                 headline(verdicts[i].message, 1), _problem_anchor(i, verdicts[i]))
                            for i in refs.get(ref, [])] for ref in references])
                for library, refs in libraries.items()]
        identity = _identity(identity_id)
        tables.append(Agreement(identity_id, identity.statement if identity else None, references, rows))
    return tables


def lesson_rows(layout: Layout) -> list[LessonRow]:
    """Documented differences: each belief, where it was checked, and its counterexample one click away."""
    rows = []
    for i in layout.beliefs:
        v = layout.verdicts[i]
        identity = _identity(v.identity)
        drawn = card_data(v, identity, _anchor(i)) if v.counterexample is not None and v.outcome not in PROBLEMS else None
        rows.append(LessonRow(chip_of(v.outcome), v.outcome, v.identity, v.target,
                              identity.statement if identity else v.identity, drawn))
    return rows


def _section(name: str, *args: Any) -> str:
    return str(templating.macro("report_sections.html", name)(*args))


def summary(report: dict[str, Any], layout: Layout) -> str:
    """The first screen: verdict, counts, problems (linked), environment."""
    return _section("summary", summary_data(report, layout))


def environment(report: dict[str, Any], layout: Layout) -> str:
    """Run, libraries, what is missing, precision notes and the tolerance: one line each."""
    return _section("environment", environment_lines(report, layout))


def matrix(layout: Layout) -> str:
    """Backends grouped by library (rows) x identities (columns); unavailable targets folded into one line."""
    return _section("matrix", matrix_data(layout))


def agreement(layout: Layout) -> str:
    """Pairwise checks (``a|b``): per identity, libraries of ``b`` down, references ``a`` across, one chip per ``b``."""
    return _section("agreement", agreement_data(layout))


def lessons(layout: Layout) -> str:
    """Documented differences: each belief, where it was checked, and its counterexample one click away."""
    return _section("lessons", lesson_rows(layout))


def render(report: dict[str, Any], verdicts: list[Any], statements: dict[str, str] | None = None) -> str:
    """The whole page, from the JSON report and the verdicts (which hold the arrays)."""
    del statements  # the cards read statements and formulas from the catalogue itself
    layout = arrange(verdicts)
    problems = [card_data(v, _identity(v.identity), _anchor(i)) for i, v in enumerate(verdicts) if v.outcome in PROBLEMS]
    data = Report(summary_data(report, layout), matrix_data(layout), agreement_data(layout), lesson_rows(layout), problems)
    return templating.render("report.html", report=data)


def page(title: str, text: str, verdict: Any) -> str:
    """A one-lesson page (for ``conv-equivalence explain ID --html``): the card and the lesson's text."""
    return templating.render("figure_page.html", title=title, text=text,
                             lesson=card_data(verdict, _identity(verdict.identity), "lesson"))
