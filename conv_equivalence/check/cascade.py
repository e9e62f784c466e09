"""The cascade: what each facet is checked from and what explains its failure.

When ``plain`` fails, the nearest variation of it that passes (`BASE_VARIATIONS`, other dtypes) becomes the
base of the facets after it (`find_base`), and each is tried on plain's failing base too
(`on_failing_base`), so that one defect hides no other. A facet is ``explained`` when its counterexample,
without its own feature, fails in the same way in a more basic facet checked from the same base
(`early` during the search, `explain` after it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from conv_equivalence.check import drawing
from conv_equivalence.check import facets as fct
from conv_equivalence.check.facets import Case, Facet
from conv_equivalence.check.judge import Failure, judge
from conv_equivalence.check.result import FAILING, FacetResult
from conv_equivalence.check.runner import Runner
from conv_equivalence.check.search import MIN_CHECKED, search


@dataclasses.dataclass(frozen=True)
class Base:
    """What a facet adds its feature to: ``plain``'s dtype and options, or, when ``plain`` fails, the nearest
    variation of it that passes (`_find_base`), described for the table and the JSON."""

    dtype: str
    opts: fct.Options
    description: str = "plain"


def plains_own(results: dict[str, FacetResult], current: Base, first: Base) -> Callable[[Case, Failure], bool]:
    """From a rebased base, a facet that draws plain's own dtype too (``nonfinite-crossed`` draws every floating
    dtype) meets plain's defect there: a failure of plain's kind in plain's dtype is plain's, passed over."""
    plain = results.get("plain")
    if current is first or current.description == "plain" or plain is None or plain.failure is None:
        return lambda case, failure: False
    kind = plain.failure.kind
    return lambda case, failure: case.problem.dtype == first.dtype and failure.kind == kind


def on_failing_base(rebased: FacetResult, facet: Facet, first: Base, plain: FacetResult, runner: Runner,
                     precision: str, convention: str, settings_: Any, seed: int | None,
                     known: Callable[[Any], Any]) -> FacetResult:
    """A facet checked from a rebased base (``plain`` fails) is tried on the failing base too: its failures of
    plain's own kind are plain's and are passed over; one of another kind (an exception where plain had wrong
    values, a wrong shape) is this facet's, reported with the base it was found on."""
    if plain.failure is None:
        return rebased
    kind = plain.failure.kind
    there = search(facet, first.opts, runner, precision, convention, settings_, seed, known,
                    folds=lambda case, failure: failure.kind == kind)
    if there.status not in FAILING:
        return rebased
    there.base = f"plain, {first.dtype} (which fails; from {rebased.base}, which passes, this facet passed)"
    there.note = f"on plain's failing base: {there.note}"
    there.examples += rebased.examples
    return there


def same_failure(found: Failure | None, basic: FacetResult) -> bool:
    """Whether ``found`` fails the way ``basic`` failed (the same kind: values, raised, shape, ...)."""
    return found is not None and (basic.failure is None or found.kind == basic.failure.kind)


def early(results: dict[str, FacetResult], basics: list[Facet], bases: dict[str, Base], runner: Runner,
           base: Base, precision: str, convention: str) -> Callable[[Case], str | None]:
    """Whether a facet's first failing example, without the facet's own feature, fails in the same way in one
    of the ``basics`` that failed already from the same base (then the facet is ``explained`` without shrinking)."""
    failed = [b for b in basics if b.name in results and results[b.name].status in FAILING
              and bases[b.name].description == base.description]

    def explains(case: Case) -> str | None:
        for basic in failed:
            b = bases[basic.name]
            projected = drawing.project(case, b.dtype, b.opts, basic.owns)
            if projected is not None and basic.contains(projected) and same_failure(
                    judge(projected, runner.call(projected.call_data()), precision, convention), results[basic.name]):
                return basic.name
        return None

    return explains


def explain(results: dict[str, FacetResult], facets: list[Facet], runner: Runner,
             bases: dict[str, Base], precision: str, convention: str, on_failing_base: set[str]) -> None:
    """Mark ``explained`` the failing facets whose counterexample, without the facet's own feature,
    fails in the same way inside a more basic facet that failed too, checked from the same base (or found
    on plain's failing base, where the counterexample is in that base's dtype)."""
    for i, facet in enumerate(facets):
        r = results[facet.name]
        if facet.name == "double-grad" and results.get("grad") and results["grad"].status in FAILING and \
                r.failure is not None and not r.failure.part.startswith("double"):
            r.status, r.note = "explained", "fails as grad does: its first-order backward"
            continue
        if facet.name == "plain" or r.status not in FAILING or r.counterexample is None or \
                (r.failure is not None and r.failure.part != "output"):
            continue  # a backward's own failure is not explained by a forward's
        b = bases[facet.name]
        if b.description != "plain" and "plain" in results and results["plain"].status in FAILING:
            # the base passed its probe, yet this example without its feature fails there as plain does
            projected = drawing.project(r.counterexample, b.dtype, b.opts, frozenset())
            if projected is not None and same_failure(judge(projected, runner.call(projected.call_data()), precision,
                                                             convention), results["plain"]):
                r.status = "explained"
                r.note = f"fails as plain does once its own feature is taken out (from its base, {b.description}, too)"
                continue
        for basic in facets[:i]:
            if results[basic.name].status not in FAILING or not facet.explained_by(basic):
                continue
            if not (bases[basic.name].description == bases[facet.name].description or (
                    basic.name in on_failing_base and r.counterexample.problem.dtype == bases[basic.name].dtype)):
                continue
            b = bases[basic.name]
            projected = drawing.project(r.counterexample, b.dtype, b.opts, basic.owns)
            if projected is None or not basic.contains(projected):
                continue
            failure = judge(projected, runner.call(projected.call_data()), precision, convention)
            if same_failure(failure, results[basic.name]):
                r.status = "explained"
                r.note = f"fails as {basic.name} does once its own feature is taken out"
                break


BASE_VARIATIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("bias given", {"bias_always": True}), ("parameters as ints", {"forms": "int"}),
    ("parameters as tuples", {"forms": "tuple"}), ("a batch of one", {"single_batch": True}),
    ("padding 'same'", {"same_only": True}))
"""The variations of ``plain`` tried, nearest first, when it fails: each alone in its dtype, then each other dtype
alone, then each variation in the next dtype (float32 after float64)."""


def find_base(results: dict[str, FacetResult], reference: Any, opts: fct.Options, allowed: list[str], runner: Runner,
               settings_: Any, seed: int | None, known: Callable[[Any], Any], convention: str) -> Base | None:
    """The nearest variation of a failing ``plain`` that passes (`BASE_VARIATIONS`, other dtypes), or ``None``;
    each is probed with ``plain``'s search on its own, stopping at its first failure."""
    failing = fct.base_dtype(allowed)
    others = [d for d in fct.BASE_PREFERENCE if d in allowed and d != failing]
    variations = [(n, c) for n, c in BASE_VARIATIONS if not (opts.transposed and "same_only" in c)]
    tries: list[tuple[str, dict[str, Any], str]] = [(failing, changes, name) for name, changes in variations]
    tries += [(d, {}, d) for d in others]
    tries += [(d, changes, f"{name}, {d}") for d in others[:1] for name, changes in variations]
    for dtype, changes, description in tries:
        variant = dataclasses.replace(opts, **changes)
        plain = next(f for f in fct.build(reference, variant, dtype) if f.name == "plain")
        probe = search(plain, variant, runner, variant.precision, convention, settings_, seed, known, probe=True)
        if probe.status == "pass" and probe.examples >= MIN_CHECKED:
            return Base(dtype, variant, description)
    return None
