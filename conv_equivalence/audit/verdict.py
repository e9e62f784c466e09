"""Run an identity on one target with Hypothesis and say what happened.

Outcomes: ``holds`` and ``differs`` (as expected, or as documented for a ``differs`` entry),
``regression`` (a true identity failed, or a documented discrepancy disappeared),
``unsupported`` (the function cannot express any case of the identity), ``not-installed``
(the target cannot run here: its framework is missing, the message names the extra to install,
or it needs a device this machine lacks), ``error`` (the library raised where it should have
answered) and ``crash`` (the process checking it died, as in a segfault in native code; set
by the audit's workers).
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import errors, given, settings
from hypothesis import seed as hypothesis_seed

from conv_equivalence import tolerance
from conv_equivalence.identities import Identity, IdentityFailure, get_identity

HOLDS, DIFFERS, REGRESSION, UNSUPPORTED, NOT_INSTALLED, ERROR, CRASH = (
    "holds", "differs", "regression", "unsupported", "not-installed", "error", "crash")
STATUSES: tuple[str, ...] = (REGRESSION, ERROR, CRASH, DIFFERS, HOLDS, UNSUPPORTED, NOT_INSTALLED)
"""Every verdict status, worst first: the same words in the terminal, the JSON, the HTML and the baseline."""


@dataclass
class Verdict:
    identity: str
    target: str
    expected: str
    outcome: str
    message: str = ""
    counterexample: Any = None
    left: Any = None
    right: Any = None
    examples: int = 0
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the outcome is what the catalogue expects (or cannot be checked here)."""
        return self.outcome in (HOLDS, DIFFERS, UNSUPPORTED, NOT_INSTALLED)


def verify(identity: Identity, target: str, profile: settings | None = None, seed: int | None = None) -> Verdict:
    """Check ``identity`` on ``target`` under ``profile`` (the current Hypothesis settings by default).

    ``seed`` fixes Hypothesis's random seed (and turns off derandomisation, which would ignore it).
    """
    verdict = Verdict(identity.id, target, identity.status, HOLDS)
    reason = identity.unavailable_reason(target)
    if reason:
        verdict.outcome, verdict.message = NOT_INSTALLED, reason
        return verdict
    failures: list[tuple[Any, BaseException]] = []
    calls = [0]

    def body(case: Any) -> None:
        calls[0] += 1
        try:
            identity.check(target, case)
        except BaseException as exc:
            if not isinstance(exc, errors.UnsatisfiedAssumption):
                failures.append((case, exc))
            raise

    test = given(identity.strategy(target))(body)
    if seed is not None:
        test = hypothesis_seed(seed)(settings(profile or settings(), derandomize=False)(test))
    elif profile is not None:
        test = settings(profile)(test)
    start = time.perf_counter()
    with tolerance.track() as tracker:
        try:
            test()
            raised: BaseException | None = None
        except errors.Unsatisfiable as exc:
            verdict.outcome, verdict.message = UNSUPPORTED, f"no generated case applies: {exc}"
            raised = None
        except (KeyboardInterrupt, SystemExit):
            raise  # an interrupted run is never a verdict
        except BaseException as exc:  # the shrunk failure, re-raised by Hypothesis
            raised = exc
    verdict.details["max_error_ratio"] = tracker.max_ratio
    verdict.seconds = time.perf_counter() - start
    verdict.examples = calls[0]
    if raised is None:
        if verdict.outcome == HOLDS and identity.status == DIFFERS:
            verdict.outcome = REGRESSION
            verdict.message = "the documented discrepancy did not show: the belief now holds on this version"
        return verdict
    case, error = failures[-1] if failures else (None, raised)
    verdict.counterexample = case
    notes = [n for n in getattr(raised, "__notes__", []) if "reproduce_failure" in n]
    if notes:
        verdict.details["reproduce"] = notes[-1].strip()
    if isinstance(error, IdentityFailure):
        verdict.left, verdict.right = error.left, error.right
        verdict.outcome = DIFFERS if identity.status == DIFFERS else REGRESSION
        verdict.message = str(error)
    elif isinstance(error, AssertionError):
        verdict.outcome = DIFFERS if identity.status == DIFFERS else REGRESSION
        verdict.message = str(error)
    else:
        verdict.outcome = ERROR
        verdict.message = "".join(traceback.format_exception_only(type(error), error)).strip()
    return verdict


def verify_by_name(identity_id: str, target: str, profile_name: str, max_examples: int | None = None) -> Verdict:
    """`verify` by identity id and profile name, for worker processes (settings objects do not pickle whole)."""
    from conv_equivalence.profiles import PROFILES

    profile = PROFILES[profile_name]
    if max_examples is not None:
        profile = settings(profile, max_examples=max_examples)
    return verify(get_identity(identity_id), target, profile)


def describe_case(case: Any) -> str:
    """A compact, readable rendering of a counterexample."""
    with np.printoptions(threshold=60, edgeitems=3, linewidth=100):
        return repr(case)
