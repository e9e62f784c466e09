"""The teaching catalogue as one self-contained, printable page (``conv-equivalence explain --html FILE``).

Every belief of the catalogue (status ``differs``) with a table of contents by library, and for
each: the belief and its formula, its smallest counterexample drawn as value grids (`cards`),
why it fails, and the true identity checked on that same counterexample. Beliefs whose library
is not installed are listed with the reason, so the page says what it leaves out. This module
checks the true identities and arranges the lessons (`Lesson`); ``templates/catalogue.html`` draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conv_equivalence.audit.verdict import DIFFERS, HOLDS, REGRESSION, Verdict
from conv_equivalence.identities import Identity
from conv_equivalence.report import templating
from conv_equivalence.report.cards import Card, Chip, card_data, chip_of
from conv_equivalence.teach.explain import truth_outcome

CSS = templating.render("catalogue.css.html")
"""The catalogue's style sheet: the report's, narrower, with a table of contents (``templates/catalogue.css.html``)."""


@dataclass(frozen=True)
class Lesson:
    """One belief on the page: its verdict's chip, statement and formula; its counterexample's card, or why there
    is none (``regression``: the chip saying so); why it fails; and the true identity's outcome (``truth``) or the
    identity that replaces it."""

    id: str
    chip: Chip
    statement: str
    formula: str
    card: Card | None
    regression: Chip | None
    outcome: str
    message: str
    why: str
    truth_formula: str
    truth: Chip | None
    replaced_by: str


def lesson_data(identity: Identity, target: str, verdict: Verdict) -> Lesson:
    """One belief, its counterexample checked against the true identity."""
    drawn = None
    if verdict.counterexample is not None:
        drawn = card_data(verdict, None, f"{identity.id}-counterexample",
                          heading=f"Smallest counterexample ({verdict.examples} examples tried on {target})")
    outcome = truth_outcome(identity, target, verdict)
    truth = None if outcome is None else chip_of(HOLDS if outcome.startswith("holds") else REGRESSION, outcome)
    return Lesson(identity.id, chip_of(verdict.outcome), identity.statement, identity.formula, drawn,
                  chip_of(REGRESSION) if drawn is None and verdict.outcome == REGRESSION else None,
                  verdict.outcome, verdict.message, identity.why or "", identity.truth_formula or "", truth,
                  identity.replaced_by or "")


def catalogue_page(lessons: Sequence[tuple[Identity, str, Verdict]], missing: Sequence[tuple[Identity, str]],
                   versions: dict[str, str], profile: str) -> str:
    """The whole catalogue page from checked lessons (`explain.catalogue`)."""
    by_target: dict[str, list[tuple[Identity, str, Verdict]]] = {}
    for lesson in lessons:
        by_target.setdefault(lesson[1], []).append(lesson)
    return templating.render(
        "catalogue.html", profile=profile,
        lessons=[lesson_data(*lesson) for items in by_target.values() for lesson in items],
        contents=[(target, [i.id for i, _, _ in items]) for target, items in by_target.items()],
        missing=[(i.id, reason) for i, reason in missing],
        refuted=sum(v.outcome == DIFFERS for _, _, v in lessons),
        installed=" · ".join(f"{k} {v}" for k, v in versions.items() if v != "not installed"))
