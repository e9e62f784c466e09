"""The tolerance model: exact where it must be, tight enough to catch lost precision, sound for FFTs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
from hypothesis import HealthCheck, find, given, settings

from conv_equivalence import strategies as cst
from conv_equivalence import tolerance
from conv_equivalence.oracle import solve
from conv_equivalence.problem import ConvProblem, ConvSpec

torch = pytest.importorskip("torch")


def test_gamma() -> None:
    assert tolerance.gamma(1, 2.0**-53) == pytest.approx(2.0**-53)
    assert tolerance.gamma(10, 0.01) == pytest.approx(0.1 / 0.9)
    assert tolerance.gamma(100, 0.01) == math.inf


@given(cst.problems(cst.EVERYTHING, kind="integers"))
def test_integer_data_compare_exactly(problem: ConvProblem) -> None:
    """Integers (of any dtype) that stay below 2**p get a zero bound: one unit off is a mismatch."""
    expected = solve(problem)
    bound = tolerance.bound_for(problem)
    if expected.size == 0:
        return
    magnitude = solve(problem.replace(x=np.abs(problem.x), weight=np.abs(problem.weight),
                                      bias=None if problem.bias is None else np.abs(problem.bias)))
    small = np.asarray(magnitude, dtype=np.float64) < 2.0 ** tolerance.PRECISION_BITS.get(problem.dtype, 64)
    assert (bound[small] == 0).all()
    off_by_one = expected.copy()
    off_by_one.flat[0] += 1
    if small.flat[0]:
        assert tolerance.compare(off_by_one, expected, bound) is not None


def _float32_computation(problem: ConvProblem) -> np.ndarray:
    """A float64 convolution wrongly computed in float32 (the bug the tolerance must catch)."""
    cast = problem.replace(x=problem.x.astype(np.float32).astype(np.float64),
                           weight=problem.weight.astype(np.float32).astype(np.float64), bias=None)
    return solve(cast).astype(np.float32).astype(np.float64)


def test_float64_computed_in_float32_is_caught() -> None:
    """Hypothesis finds a float64 problem that a float32 computation gets wrong, and on ordinary
    random data every output of a float32 computation breaks the float64 bound."""
    def lost_precision(p: ConvProblem) -> bool:
        return tolerance.compare(_float32_computation(p), solve(p), tolerance.bound_for(p)) is not None

    find(cst.problems(cst.EVERYTHING, dtype="float64", kind="floats"), lost_precision,
         settings=settings(database=None, derandomize=True, max_examples=500, suppress_health_check=list(HealthCheck)))
    rng = np.random.default_rng(11)
    problem = ConvProblem(ConvSpec.create(2), rng.standard_normal((2, 3, 9, 9)), rng.standard_normal((4, 3, 3, 3)))
    mismatch = tolerance.compare(_float32_computation(problem), solve(problem), tolerance.bound_for(problem))
    assert mismatch is not None and mismatch.count > 0.9 * mismatch.total


def test_float32_torch_conv_of_random_data_is_within_its_bound_but_not_the_float64_one() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 8, 20, 20)).astype(np.float32).astype(np.float64)
    w = rng.standard_normal((8, 8, 3, 3)).astype(np.float32).astype(np.float64)
    problem = ConvProblem(ConvSpec.create(2, padding=1), x, w, dtype="float32")
    got = torch.nn.functional.conv2d(torch.from_numpy(x).float(), torch.from_numpy(w).float(), padding=1).double().numpy()
    expected = solve(problem)
    assert tolerance.compare(got, expected, tolerance.bound_for(problem)) is None
    assert tolerance.compare(got, expected, tolerance.bound_for(problem, dtype="float64")) is not None
    # The bound is not vacuous: the worst error uses a real share of it.
    ratio = np.max(np.abs(got - expected) / tolerance.bound_for(problem))
    assert 1e-3 < ratio <= 1


def test_fft_bound_accepts_fft_noise_that_the_direct_bound_rejects() -> None:
    """scipy#22390 in small: a 1e12 spike next to a 1 leaves FFT noise of about 1e-5 on the 1."""
    x = np.zeros(16)
    x[0], x[10] = 1e12, 1.0
    problem = ConvProblem(ConvSpec.create(1, padding=1), x[None, None], np.array([[[0.0, 1.0, 0.0]]]))
    got = scipy.signal.fftconvolve(x, [0.0, 1.0, 0.0], mode="same")[None, None]
    expected = solve(problem)
    assert np.abs(got - expected).max() > 0
    assert tolerance.compare(got, expected, tolerance.bound_for(problem)) is not None
    assert tolerance.compare(got, expected, tolerance.fft_bound_for(problem)) is None


def test_fft_bound_still_catches_a_shift() -> None:
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal(50), rng.standard_normal(4)
    problem = ConvProblem(ConvSpec.create(1), x[None, None], w[None, None])
    shifted = scipy.signal.fftconvolve(np.roll(x, 1), w[::-1], mode="valid")[None, None]
    assert tolerance.compare(shifted, solve(problem), tolerance.fft_bound_for(problem)) is not None


def test_nonfinite_positions_must_match() -> None:
    expected = np.array([np.nan, np.inf, 1.0])
    assert tolerance.compare(np.array([np.nan, np.inf, 1.0]), expected, 0.0) is None
    assert tolerance.compare(np.array([np.nan, -np.inf, 1.0]), expected, 0.0) is not None
    assert tolerance.compare(np.array([0.0, np.inf, 1.0]), expected, 0.0) is not None
    assert tolerance.compare(np.array([np.nan, np.inf, np.nan]), expected, 0.0) is not None


def test_mismatch_report_names_positions() -> None:
    mismatch = tolerance.compare(np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[1.0, 2.0], [3.0, 4.0]]), 0.5)
    assert mismatch is not None and mismatch.positions == [(1, 1)] and mismatch.count == 1
    assert "at (1, 1): got 5.0, expected 4.0" in mismatch.describe()


def test_a_reproductions_one_tolerance_is_finite_where_the_worst_element_is_not() -> None:
    """At a non-finite expected value the bound is inf or NaN and only an exact match counts; the one atol a
    reproduction applies everywhere is then the largest finite bound (an inf atol would pass a finite answer)."""
    expected = np.array([np.inf, 2.0, 3.0])
    mismatch = tolerance.compare(np.array([1.0, 2.0, 3.0]), expected, np.array([np.inf, 0.25, 0.5]))
    assert mismatch is not None and mismatch.positions == [(0,)] and mismatch.atol == 0.5
    mismatch = tolerance.compare(np.array([np.inf, 2.0, 4.0]), expected, np.array([np.nan, 0.25, 0.5]))
    assert mismatch is not None and mismatch.atol == 0.5
    mismatch = tolerance.compare(np.array([1.0]), np.array([np.nan]), np.array([np.nan]))
    assert mismatch is not None and mismatch.atol == 0.0
