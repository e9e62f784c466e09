"""What `check_conv` returns: one `FacetResult` a facet (status, counts, the shrunk counterexample, its
reproduction, the base it was checked from), gathered in a `CheckResult` with the verdict, the facet
table, the report a person reads (`render`) and the JSON (``check/schema.json``)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from conv_equivalence.check.judge import Failure

STATUSES = ("pass", "fail", "crash", "timeout", "declined", "skipped", "explained")
FAILING = ("fail", "crash", "timeout")


@dataclasses.dataclass
class FacetResult:
    name: str
    status: str = "pass"
    examples: int = 0
    declined: int = 0
    exercised: int = 0
    """Checked examples that used the facet's own feature (`Facet.exercises`)."""
    declined_feature: int = 0
    """Declined examples that used it."""
    note: str = ""
    counterexample: Any = None
    """A `facets.Case` (the torch-style conventions) or a `signals.SignalCase` (signal, signal2d, filter)."""
    failure: Failure | None = None
    reproduction: str | None = None
    declined_reasons: Counter[str] = dataclasses.field(default_factory=Counter)
    warnings: Counter[str] = dataclasses.field(default_factory=Counter)
    seconds: float = 0.0
    base: str = "plain"
    """What the facet added its feature to: ``plain``, or the variation of it that passes when ``plain`` fails."""
    real: Any = None
    """The ``real-sizes`` facet's failure (`realsize.RealSizeFailure`): first failing layer, smallest, boundaries."""

    def __repr__(self) -> str:
        """A failing facet's whole account (`render.failure_text`); any other facet's line of the table."""
        if self.status in FAILING:
            from conv_equivalence.check.render import failure_text

            return failure_text(self)
        return f"== {self.name}: {self.status} ({self.examples} checked, {self.declined} declined)" + (
            f": {short(self.note)}" if self.note else "")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        """The facet as a notebook draws it: the card of the HTML pages (`report.notebook`)."""
        from conv_equivalence.report.notebook import facet_html

        return facet_html(self)


@dataclasses.dataclass
class CheckResult:
    name: str
    facets: list[FacetResult]
    notes: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[FacetResult]:
        return [f for f in self.facets if f.status in FAILING]

    @property
    def verdict(self) -> str:
        """``pass`` only when no facet failed and at least one passed: a run that checked nothing is no pass."""
        return "fail" if self.failed or not any(f.status == "pass" for f in self.facets) else "pass"

    def facet(self, name: str) -> FacetResult:
        return next(f for f in self.facets if f.name == name)

    def table(self) -> str:
        """One line a facet; each note cut to one short line (the JSON keeps it whole)."""
        rows = [("facet", "status", "checked", "declined", "note")]
        rows += [(f.name, f.status, str(f.examples), str(f.declined), short(f.note)) for f in self.facets]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}  {r[4]}".rstrip()
                         for r in rows)

    def report(self) -> str:
        """The facet table, then each failing facet's counterexample (once) and reproduction."""
        from conv_equivalence.check.render import failure_text

        lines = [self.table()]
        lines += self.notes
        lines += self.warning_lines()
        for f in self.failed:
            lines += ["", failure_text(f)]
        return "\n".join(lines)

    def warning_lines(self) -> list[str]:
        """Each warning the implementation raised, once for the run: its first line, how often, and in which facets."""
        where: dict[str, Counter[str]] = {}
        for f in self.facets:
            for message, count in f.warnings.items():
                where.setdefault(short(message, 160), Counter())[f.name] += count
        lines = []
        for message, facets in sorted(where.items(), key=lambda item: -sum(item[1].values())):
            total = sum(facets.values())
            places = ", ".join(f"{name} {n}" for name, n in facets.most_common(4)) + (
                f" and {len(facets) - 4} more facets" if len(facets) > 4 else "")
            lines.append(f"warning, {total} time{'s' if total > 1 else ''} ({places}): {message}")
        return lines

    def __repr__(self) -> str:
        """What a console shows: one line with the verdict, then `report` (the facet table and each failure)."""
        failed = len(self.failed)
        head = (f"CheckResult {self.name}: {self.verdict}, " + (f"{failed} of {len(self.facets)} facets fail"
                if failed else f"no facet fails ({len(self.facets)} facets)") + f", {self.seconds:.1f}s")
        return head + "\n" + self.report()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        """The run as a notebook draws it: the verdict, the facet table and each failing facet's card
        (value grids, differing cells marked, the reproduction; `report.notebook`)."""
        from conv_equivalence.report.notebook import check_html

        return check_html(self)

    def to_json(self) -> dict[str, Any]:
        from conv_equivalence.check.reproduce import case_json

        def entry(f: FacetResult) -> dict[str, Any]:
            data = {"name": f.name, "status": f.status, "examples": f.examples, "declined": f.declined,
                    "note": f.note, "message": None if f.failure is None else f.failure.message,
                    "counterexample": None if f.counterexample is None or f.real is not None else
                    f.counterexample.to_json() if hasattr(f.counterexample, "to_json") else case_json(f.counterexample),
                    "reproduction": f.reproduction, "warnings": dict(f.warnings), "base": f.base}
            if f.real is not None:  # shapes, the data's rule and seed, and the boundaries: not megabytes of values
                data["real_size"] = f.real.to_json()
            return data

        return {"verdict": self.verdict, "implementation": self.name, "facets": [entry(f) for f in self.facets]}


NOTE_WIDTH = 110
"""The facet table's notes are cut to this many characters (the JSON keeps them whole)."""


def short(text: str, width: int = NOTE_WIDTH) -> str:
    """``text``'s first line, cut to ``width`` characters with an ellipsis."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"
