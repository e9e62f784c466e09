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

from conv_equivalence.audit.verdict import DIFFERS, ERROR, REGRESSION, UNSUPPORTED, verify
from conv_equivalence.identities import cases, get_identity
from conv_equivalence.problem import ConvProblem
from conv_equivalence.profiles import PROFILES, current_profile
from conv_equivalence.teach.explain import explain_text
from tests.shrinking import SHRINKER_AS_RECORDED

CASES = [pytest.param(identity.id, target, id=f"{identity.id}[{target}]") for identity, target in cases()]
AUDITED_EXAMPLES = 5
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
        # identity holds on it. The sizes were recorded under the derandomised ci profile; a randomly
        # seeded run may stop at a larger local minimum (thorough: 8 elements for a 6-element entry).
        if SHRINKER_AS_RECORDED and current_profile() == "ci":
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


def test_native_ndimage_bound_of_the_most_negative_int64_weight() -> None:
    """The thorough profile drew weights [-2**63]: np.abs wraps it to a negative bound, which rejected an exact
    answer (error 0 > bound -3.07e3). The bound takes |w| in float64."""
    from hypothesis import given
    from hypothesis import strategies as st

    from conv_equivalence.identities.native import _check_ndimage

    case = (np.array([1.0]), np.array([np.iinfo(np.int64).min]), "constant", 0.0, (0,))

    @given(st.sampled_from(["scipy.ndimage.correlate", "scipy.ndimage.convolve"]))
    @settings(max_examples=10, database=None, derandomize=True)
    def check(target: str) -> None:  # _check_ndimage assumes, as in a property test
        _check_ndimage(target, case)

    check()


def test_the_adjoint_identity_compares_exactly_only_where_the_dtype_holds_every_sum() -> None:
    """bfloat16 holds integers exactly below 2**8: the thorough profile drew a conv_transpose whose sums reach
    past that (an inner product 1590 against 1591). The identity keeps only draws whose rounding bound is zero."""
    from conv_equivalence.problem import ConvSpec
    from conv_equivalence.tolerance import bound_for

    spec = ConvSpec.create(1, transposed=True)
    small = ConvProblem(spec, np.full((1, 2, 1), 4.0), np.full((2, 1, 1), 31.0), dtype="bfloat16")
    assert not bound_for(small).any()  # 2 * 4 * 31 = 248 < 256
    large = small.replace(x=np.full((1, 2, 1), -5.0), weight=np.full((2, 1, 1), 32.0))
    assert bound_for(large).all()  # 320: bfloat16 rounds 321 to 320
    assert not bound_for(large.replace(dtype="float16")).any()


def test_ndimage_epsilon_hazard_reads_complex_weights_by_component() -> None:
    """The thorough profile drew the weight 8.5e-4 + 1.4e-17j: its modulus is far above DBL_EPSILON, but ndimage
    filters the imaginary part on its own and drops 1.4e-17 there (got a real part 0, expected -1.4e-17)."""
    import scipy.ndimage

    from conv_equivalence.backends.scipy_ndimage import near_symmetry_hazard

    weight = np.array([8.5235e-4 + 1.4391785e-17j])
    assert scipy.ndimage.correlate(np.array([1j]), weight).real[0] == 0.0  # the product's real part is -1.4e-17
    assert near_symmetry_hazard(weight) and not near_symmetry_hazard(np.array([8.5235e-4 + 1e-3j]))
