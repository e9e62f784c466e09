"""Every identity of the catalogue on every target it applies to (generated from the registry).

In the ``ci`` profile the holding identities run `AUDITED_EXAMPLES` examples each: CI's first command,
``conv-equivalence audit --baseline .ci/baseline.json``, has just run this whole matrix at the profile's
full count, derandomised, and fails on any verdict that differs from the committed baseline, which
lists every case (`test_the_committed_baseline_gates_every_case`). Here every adapter is still called
on every identity it has. The documented discrepancies run at the full count
everywhere: their smallest counterexamples and the true identities beside them are asserted only here.
Under ``dev`` and ``thorough`` every case runs the profile's count.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

from conv_equivalence.explain import explain_text
from conv_equivalence.identities import cases, get_identity
from conv_equivalence.problem import ConvProblem
from conv_equivalence.profiles import PROFILES, current_profile
from conv_equivalence.verdict import DIFFERS, ERROR, REGRESSION, UNSUPPORTED, verify
from tests.shrinking import SHRINKER_AS_RECORDED

CASES = [pytest.param(identity.id, target, id=f"{identity.id}[{target}]") for identity, target in cases()]
AUDITED_EXAMPLES = 10
"""Examples per holding identity in the ``ci`` profile (the audit gate runs the profile's 60)."""
BASELINE = Path(__file__).resolve().parents[1] / ".ci" / "baseline.json"


@pytest.mark.parametrize("identity_id,target", CASES)
def test_identity(identity_id: str, target: str) -> None:
    identity = get_identity(identity_id)
    reason = identity.unavailable_reason(target)
    if reason:
        pytest.skip(reason)
    audited = identity.status == "holds" and current_profile() == "ci"
    verdict = verify(identity, target, settings(settings(), max_examples=AUDITED_EXAMPLES) if audited else None)
    # a target the identity lists but cannot draw a single case for is a mistake of the catalogue
    assert verdict.outcome != UNSUPPORTED, verdict.message
    if identity.status == "holds":
        assert verdict.outcome != REGRESSION, f"{identity.statement}\n{verdict.message}\ncounterexample: {verdict.counterexample!r}"
    else:
        assert verdict.outcome == DIFFERS, f"documented discrepancy no longer shows: {identity.statement}"
        # The shrinker reaches the smallest counterexample argued in the entry, and the true
        # identity holds on it.
        if SHRINKER_AS_RECORDED:
            assert elements(verdict.counterexample) == identity.minimal_size, verdict.counterexample
        if identity.truth is not None:
            identity.truth(target, verdict.counterexample)
    assert verdict.outcome != ERROR, verdict.message


def test_the_committed_baseline_gates_every_case() -> None:
    """The audit gate covers the whole matrix: every case is in the baseline with the catalogue's status
    (CUDA targets ``not-installed``: CI has no GPU), and the baseline has no case the catalogue lacks."""
    recorded = json.loads(BASELINE.read_text())
    expected = {identity.id: {} for identity, _ in cases()}
    for identity, target in cases():
        expected[identity.id][target] = "not-installed" if "cuda" in target else identity.status
    assert recorded == expected


def elements(case: object) -> int:
    """Total number of array elements in a counterexample."""
    if isinstance(case, np.ndarray):
        return int(case.size)
    if isinstance(case, tuple):
        return sum(elements(item) for item in case)
    if isinstance(case, ConvProblem):
        return int(case.x.size + case.weight.size + (0 if case.bias is None else case.bias.size))
    return 0


def test_explain_is_deterministic() -> None:
    identity = get_identity("torch-conv-is-scipy-convolve")
    ci = PROFILES["ci"]  # what `conv-equivalence explain` runs: derandomised, no database to replay from
    first = explain_text(identity, "torch", verify(identity, "torch", ci))
    second = explain_text(identity, "torch", verify(identity, "torch", ci))
    assert first == second
    assert "x (2,) float64:\n         0  1" in first and "holds on this counterexample" in first


def test_catalogue_has_at_least_25_beliefs_each_with_its_truth() -> None:
    from conv_equivalence.identities import all_identities

    beliefs = [i for i in all_identities() if i.status == "differs"]
    assert len(beliefs) >= 25
    assert all(i.truth is not None and i.minimal_size and i.why for i in beliefs)
    libraries = {i.targets()[0].split(".")[0] for i in beliefs}
    assert {"torch", "scipy", "numpy"} <= libraries
