"""The boundary-aware definitions (`conv_equivalence.oracle_filters`) against literal loops and against scipy,
on every boundary, mode and origin, with kernels longer than the signal; and 0-d operands of the signal functions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.ndimage as ndimage
import scipy.signal as signal
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conv_equivalence import oracle
from conv_equivalence.oracle_filters import BOUNDARIES, FILTER_MODES, convolve2d, correlate2d, filter_convolve, filter_correlate

small_ints = st.integers(-9, 9)


def _grid(max_side: int = 5, dtype: type = np.int64) -> st.SearchStrategy[np.ndarray]:
    return arrays(dtype, st.tuples(st.integers(1, max_side), st.integers(1, max_side)), elements=small_ints)


def _index(i: int, n: int, boundary: str) -> int | None:
    """Where sample ``i`` of a length-``n`` signal continued by ``boundary`` comes from (None: the fill value)."""
    if 0 <= i < n:
        return i
    if boundary == "fill":
        return None
    if boundary == "wrap":
        return i % n
    i %= 2 * n  # symm: half-sample mirror, period 2n
    return i if i < n else 2 * n - 1 - i


def literal_convolve2d(a: np.ndarray, v: np.ndarray, boundary: str, fill: int) -> np.ndarray:
    """'full' by the definition, one product a tap: out[k] = sum_j ext(a)[k - j] * v[j]."""
    out = np.zeros((a.shape[0] + v.shape[0] - 1, a.shape[1] + v.shape[1] - 1), dtype=np.result_type(a, v))
    for k0, k1, j0, j1 in itertools.product(range(out.shape[0]), range(out.shape[1]), range(v.shape[0]), range(v.shape[1])):
        i0, i1 = _index(k0 - j0, a.shape[0], boundary), _index(k1 - j1, a.shape[1], boundary)
        sample = fill if i0 is None or i1 is None else a[i0, i1]
        out[k0, k1] += sample * v[j0, j1]
    return out


@given(_grid(), _grid(7), st.sampled_from(tuple(BOUNDARIES)), small_ints)
def test_convolve2d_full_is_the_literal_loop(a: np.ndarray, v: np.ndarray, boundary: str, fill: int) -> None:
    np.testing.assert_array_equal(convolve2d(a, v, "full", boundary, fill), literal_convolve2d(a, v, boundary, fill))


@given(_grid(), _grid(7), st.sampled_from(("full", "same", "valid")), st.sampled_from(tuple(BOUNDARIES)), small_ints,
       st.booleans())
def test_convolve2d_and_correlate2d_equal_scipy(a: np.ndarray, v: np.ndarray, mode: str, boundary: str, fill: int,
                                                complex_data: bool) -> None:
    """Exact (small integers, or Gaussian integers): every mode, every boundary, fill values other than 0, a
    kernel longer than twice the signal (wrap and symm of any width), correlate2d's own 'same' placement."""
    if mode == "valid" and not (all(m >= n for m, n in zip(a.shape, v.shape)) or all(n >= m for m, n in zip(a.shape, v.shape))):
        return  # scipy refuses it too (tested below)
    if complex_data:
        a, v = a + 1j * np.roll(a, 1), v - 2j * v[::-1]
    for ours, theirs in ((convolve2d, signal.convolve2d), (correlate2d, signal.correlate2d)):
        if ours is correlate2d and complex_data and mode == "valid" and not all(m >= n for m, n in zip(a.shape, v.shape)):
            continue  # scipy conjugates in1 there: the belief correlate2d-valid-is-correlate-valid (tested below)
        got = ours(a, v, mode, boundary, fill)
        want = theirs(a, v, mode, boundary, fill)
        assert got.shape == want.shape, (ours.__name__, got.shape, want.shape)
        np.testing.assert_array_equal(got, want, err_msg=ours.__name__)


def test_correlate2d_same_differs_from_correlate_for_even_kernels() -> None:
    """scipy's correlate2d 'same' window starts one sample later than correlate's for an even kernel."""
    a, w = np.array([[1, 2, 3, 4, 5]]), np.array([[1, 2]])
    assert correlate2d(a, w, "same").tolist() == [[5, 8, 11, 14, 5]] == signal.correlate2d(a, w, "same").tolist()
    assert oracle.correlate(a, w, "same").tolist() == [[2, 5, 8, 11, 14]] == signal.correlate(a, w, "same").tolist()


@given(_grid(), _grid(7), st.sampled_from(tuple(BOUNDARIES)))
def test_correlate2d_valid_and_full_are_correlate(a: np.ndarray, v: np.ndarray, boundary: str) -> None:
    """Away from the boundary correlate2d is the signal correlation (in2 conjugated), whichever is larger."""
    a, v = a + 1j * np.roll(a, 1), v - 2j * v[::-1]
    np.testing.assert_array_equal(correlate2d(a, v, "full", "fill", 0), oracle.correlate(a, v, "full"))
    if all(m >= n for m, n in zip(a.shape, v.shape)) or all(n >= m for m, n in zip(a.shape, v.shape)):
        np.testing.assert_array_equal(correlate2d(a, v, "valid", boundary), oracle.correlate(a, v, "valid"))


def test_scipy_correlate2d_conjugates_in1_when_it_swaps() -> None:
    """The belief correlate2d-valid-is-correlate-valid: the oracle keeps the definition, scipy does not."""
    a, v = np.array([[1j, 2]]), np.array([[1, 2, 3]])
    assert correlate2d(a, v, "valid").tolist() == [[6 + 2j, 4 + 1j]] == oracle.correlate(a, v, "valid").tolist()
    assert signal.correlate2d(a, v, "valid").tolist() == [[6 - 2j, 4 - 1j]]


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="boundary"):
        convolve2d([[1]], [[1]], boundary="circular")
    with pytest.raises(ValueError, match="2-D"):
        convolve2d([1, 2], [1])
    with pytest.raises(ValueError, match="fillvalue"):
        convolve2d([[1]], [[1]], fillvalue=1j)
    with pytest.raises(ValueError, match="origin"):
        filter_correlate([1.0, 2.0], [1.0, 1.0, 1.0], origin=2)
    with pytest.raises(ValueError, match="mode"):
        filter_correlate([1.0], [1.0], mode="symmetric")


@st.composite
def _filter_case(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    nd = draw(st.integers(1, 3))
    a = draw(arrays(np.float64, tuple(draw(st.integers(1, 6 if nd < 3 else 3)) for _ in range(nd)), elements=small_ints))
    w = draw(arrays(np.float64, tuple(draw(st.integers(1, 8 if nd < 3 else 3)) for _ in range(nd)), elements=small_ints))
    origin = tuple(draw(st.integers(-(n // 2), (n - 1) // 2)) for n in w.shape)
    return a, w, origin


@given(_filter_case(), st.sampled_from(tuple(FILTER_MODES)), small_ints)
def test_filters_equal_scipy_ndimage(case: tuple[np.ndarray, np.ndarray, tuple[int, ...]], mode: str, cval: int) -> None:
    """Exact on integer-valued data: every ndimage mode (weights longer than the input included), every origin."""
    a, w, origin = case
    for ours, theirs in ((filter_correlate, ndimage.correlate), (filter_convolve, ndimage.convolve)):
        got = ours(a, w, mode, float(cval), origin)
        want = theirs(a, w, mode=mode, cval=float(cval), origin=list(origin))
        np.testing.assert_array_equal(got, want, err_msg=f"{ours.__name__} mode={mode} origin={origin}")


def test_complex_filters_conjugate_in_correlate_only() -> None:
    """scipy.ndimage.correlate conjugates complex weights (as every correlate does); convolve does not."""
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, (5, 4)) + 1j * rng.integers(-3, 4, (5, 4))
    w = rng.integers(-3, 4, (3, 2)) + 1j * rng.integers(-3, 4, (3, 2))
    for mode in ("reflect", "constant", "wrap"):
        np.testing.assert_array_equal(filter_correlate(x, w, mode), ndimage.correlate(x, w, mode=mode))
        np.testing.assert_array_equal(filter_convolve(x, w, mode), ndimage.convolve(x, w, mode=mode))
    assert filter_correlate(np.array([1j]), np.array([1j]))[0] == 1 and filter_convolve(np.array([1j]), np.array([1j]))[0] == -1


def test_zero_dimensional_operands_multiply() -> None:
    """scipy.signal.convolve/correlate of two 0-d arrays is their product (conjugated second for correlate)."""
    assert oracle.convolve(np.array(2), np.array(3)) == signal.convolve(np.array(2), np.array(3)) == 6
    assert oracle.correlate(np.array(2.0), np.array(1j)) == signal.correlate(np.array(2.0), np.array(1j)) == -2j


def test_nan_in_the_fill_value_reaches_only_the_border() -> None:
    """A NaN fill value is a sample of the continuation: it reaches the outputs whose window covers it, no others."""
    out = convolve2d(np.ones((1, 4)), np.ones((1, 3)), "same", "fill", np.nan)
    assert np.isnan(out[0, [0, -1]]).all() and (out[0, 1:-1] == 3).all()
