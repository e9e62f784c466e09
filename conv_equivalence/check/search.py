"""One facet's Hypothesis search: examples drawn inside the facet, each call judged, declines counted, the
first failure shrunk within its budgets and then minimised (`minimize`), a flaky or crashing implementation
told apart."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from typing import Any

from conv_equivalence.check import drawing
from conv_equivalence.check import facets as fct
from conv_equivalence.check.facets import Case, Facet
from conv_equivalence.check.judge import Failure, Unusable, judge, one_line
from conv_equivalence.check.result import FacetResult
from conv_equivalence.check.runner import Runner

MIN_CHECKED = 10
"""``plain`` must check at least this many examples (not declined) to pass: a run that checked
almost nothing is not a pass."""
CRASH_BUDGET = 25
"""Crashes one facet may shrink through (each costs a fresh worker) before its smallest so far is kept."""
SHRINK_BUDGET = 30.0
"""Seconds one facet may spend after its first failure before its smallest counterexample so far is kept."""
DECLINE_SHARE = 4
"""A facet stops drawing once its declined examples reach this multiple of its example count: left to
itself Hypothesis keeps drawing until it is 99% sure that fewer than 1% of draws are valid (458 draws
with none valid, 100 more for each valid one), every draw a call of the implementation."""


class StopFacet(BaseException):
    """Ends a facet's search at once (a timeout, or a budget spent); Hypothesis lets it through."""


def search(facet: Facet, opts: fct.Options, runner: Runner, precision: str, convention: str, settings_: Any,
            seed: int | None, known: Callable[[Any], Any],
            explains: Callable[[Case], str | None] = lambda case: None, probe: bool = False,
            folds: Callable[[Case, Failure], bool] = lambda case, failure: False) -> FacetResult:
    """One facet's Hypothesis search: counts, the first failure shrunk and minimised. ``explains`` puts a first
    failure down to a more basic facet (``explained``); ``folds`` says which failures are a known one (the
    failing base's own), so that the search goes on looking for another."""
    from hypothesis import reject, settings

    result = FacetResult(facet.name)
    failures: list[tuple[Case, Failure]] = []
    first_failure = [0.0]
    crashes = [0]
    flaky = [False]
    explained: list[str | None] = [None]  # the more basic facet a failure was put down to

    def body(case: Case) -> None:
        if known(case.problem) is not None:
            reject()
        reply = runner.call(case.call_data())
        if reply["kind"] == "usage":
            raise Unusable(reply["message"])
        result.warnings.update(reply.get("warnings", ()))
        uses = facet.exercises(case)
        searching = not failures  # after the first failure the calls are shrinking steps, not examples checked
        if reply["kind"] == "declined":
            if searching:
                result.declined += 1
                result.declined_feature += uses
                result.declined_reasons[one_line(reply["message"])] += 1
            if result.declined >= DECLINE_SHARE * budget and not failures:
                raise StopFacet
            reject()
        if searching:
            result.examples += 1
            result.exercised += uses
        failure = judge(case, reply, precision, convention)
        if failure is None or (not failures and folds(case, failure)):
            return
        if not failures and failure.part == "output":
            basic = explains(case)
            if basic is not None:  # fails as a more basic facet does already: no need to shrink it
                explained[0] = basic
                raise StopFacet
        failures.append((case, failure))
        if probe:  # only whether it fails
            raise StopFacet
        first_failure[0] = first_failure[0] or time.perf_counter()
        crashes[0] += failure.kind == "crash"
        if (failure.kind == "timeout" or crashes[0] > CRASH_BUDGET
                or time.perf_counter() - first_failure[0] > SHRINK_BUDGET):
            raise StopFacet
        raise AssertionError(failure.message)

    profile = settings(settings_, database=None, print_blob=False, report_multiple_bugs=False)
    budget = profile.max_examples
    start = time.perf_counter()
    stopped, flaky[0] = run_search(drawing.cases(facet, opts), body, profile, seed, facet.name)
    result.seconds = time.perf_counter() - start
    if explained[0] and not failures:
        result.status, result.note = "explained", f"fails as {explained[0]} does once its own feature is taken out"
    elif failures:
        case, failure = min(failures, key=lambda cf: cf[0].size) if stopped else failures[-1]
        if failure.kind != "timeout" and not probe:
            case, failure = minimize_failure(case, failure, facet, runner, precision, convention, known, opts)
        result.counterexample, result.failure, result.status = case, failure, failure.status
        result.note = failure.headline
        if flaky[0]:
            result.note = f"not deterministic (the failing call passed when repeated): {failure.headline}"
    elif result.examples == 0 and result.declined:
        result.status = "declined"
    elif result.examples == 0:
        result.status, result.note = "skipped", "no example fits the declared limits"
    if result.declined:
        reason, _ = result.declined_reasons.most_common(1)[0]
        result.note = result.note or f"{'every example' if result.status == 'declined' else 'some'} declined: {reason}"
    return result


def run_search(strategy: Any, body: Callable[[Any], None], profile: Any, seed: int | None, name: str) -> tuple[bool, bool]:
    """Run ``body`` on examples of ``strategy`` under ``profile``, quietly; whether it was stopped (`StopFacet`)
    and whether it was flaky (the same call failed once and not again: the implementation keeps state)."""
    from hypothesis import given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import Flaky, Unsatisfiable
    from hypothesis.reporting import with_reporter

    test = given(strategy)(body)
    if seed is None and profile.derandomize:
        # Derandomised by the facet's name, not by this function's source (Hypothesis's default), so
        # that an edit here does not change which examples every verdict rests on.
        seed = zlib.crc32(name.encode())
    test = settings(profile, derandomize=False)(hypothesis_seed(seed)(test)) if seed is not None else settings(profile)(test)
    with with_reporter(lambda value: None):
        try:
            test()
        except StopFacet:
            return True, False
        except (Unsatisfiable, AssertionError):
            pass
        except Flaky:
            return False, True
    return False, False


def minimize_failure(case: Case, failure: Failure, facet: Facet, runner: Runner, precision: str, convention: str,
                     known: Callable[[Any], Any], opts: fct.Options | None = None) -> tuple[Case, Failure]:
    """`conv_equivalence.check.minimize` on the shrunk counterexample, keeping the failure's kind."""
    from conv_equivalence.check.minimize import minimize

    seen: dict[int, Failure] = {id(case): failure}

    def fails(candidate: Case) -> bool:
        found = judge(candidate, runner.call(candidate.call_data()), precision, convention)
        if found is not None and found.kind == failure.kind:
            seen[id(candidate)] = found
            return True
        return False

    smallest = minimize(case, fails, lambda c: facet.contains(c) and known(c.problem) is None
                        and (opts is None or drawing.within_domain(c.problem, opts)))
    return smallest, seen[id(smallest)]
