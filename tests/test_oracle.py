"""The oracle against a literal loop implementation, worked examples, torch, scipy, and its error rules."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle
from conv_equivalence import strategies as cst
from conv_equivalence.backends import get_backend
from conv_equivalence.problem import ConvProblem
from tests import naive

torch = pytest.importorskip("torch")
F = torch.nn.functional

SMALL = dict(max_extra_size=3)
# Everything torch's convolution takes, plus (before, after) padding pairs and TF/JAX 'SAME' placements.
WITH_PAIRS = dataclasses.replace(cst.EVERYTHING, padding_pairs=True)
TRANSPOSED = get_backend("torch.functional.conv_transpose").capabilities


def _naive(problem: ConvProblem) -> np.ndarray:
    s = problem.spec
    if s.transposed:
        return naive.conv_transpose(problem.x, problem.weight, problem.bias, s.stride, s.padding,
                                    s.output_padding, s.groups, s.dilation)
    return naive.conv(problem.x, problem.weight, problem.bias, s.stride, s.pads(problem.weight.shape[2:]),
                      s.dilation, s.groups, s.padding_mode)


def _assert_exact(got: np.ndarray, expected: np.ndarray) -> None:
    assert got.shape == expected.shape
    assert (got.astype(object) == expected).all(), (got, expected)


# -- the oracle equals the literal definition --------------------------------------------------

@given(cst.problems(WITH_PAIRS, **SMALL))
def test_conv_equals_literal_loops(problem: ConvProblem) -> None:
    _assert_exact(oracle.solve(problem), _naive(problem))


@given(cst.problems(TRANSPOSED, **SMALL))
def test_conv_transpose_equals_literal_loops(problem: ConvProblem) -> None:
    _assert_exact(oracle.solve(problem), _naive(problem))


@st.composite
def signal_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    nd = draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([np.int64, np.complex128]))
    values = st.integers(-4, 4) if dtype is np.int64 else st.builds(complex, st.integers(-3, 3), st.integers(-3, 3))
    a = draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=nd, max_dims=nd, max_side=5), elements=values))
    v = draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=nd, max_dims=nd, max_side=5), elements=values, fill=st.nothing()))
    return a, v


@given(signal_pairs())
def test_full_convolve_and_correlate_equal_literal_loops(pair: tuple[np.ndarray, np.ndarray]) -> None:
    a, v = pair
    _assert_exact(oracle.convolve(a, v), naive.full_convolve(a, v))
    reversed_conj = np.conj(v[tuple(slice(None, None, -1) for _ in range(v.ndim))])
    _assert_exact(oracle.correlate(a, v), naive.full_convolve(a, reversed_conj))


@given(signal_pairs(), st.sampled_from(["full", "same", "valid"]))
def test_signal_modes_equal_scipy(pair: tuple[np.ndarray, np.ndarray], mode: str) -> None:
    a, v = pair
    if mode == "valid" and not (all(m >= n for m, n in zip(a.shape, v.shape)) or all(n >= m for m, n in zip(a.shape, v.shape))):
        with pytest.raises(ValueError, match="mode='valid' needs one input at least as large"):
            oracle.correlate(a, v, mode)
        return
    for ours, theirs in ((oracle.correlate, scipy.signal.correlate), (oracle.convolve, scipy.signal.convolve)):
        expected = theirs(a, v, mode=mode, method="direct")
        _assert_exact(ours(a, v, mode), expected.astype(object))


# -- worked examples ----------------------------------------------------------------------------

def test_worked_example_cross_correlation() -> None:
    """The classic 5x5 'X' kernel example, checked by hand: out[0,0] = x00+x02+x11+x20+x22 = 1+1+1+0+1 = 4.

    (Issue 2 quoted [[3,2,3],[1,3,2],[1,2,3]], each entry one less; torch agrees with the hand sum.)
    """
    x = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    k = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    out = oracle.conv(x[None, None], k[None, None])
    assert out.dtype == np.int64
    expected = [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    np.testing.assert_array_equal(out[0, 0], expected)
    torch_out = F.conv2d(torch.tensor(x[None, None]), torch.tensor(k[None, None]))
    np.testing.assert_array_equal(torch_out.numpy()[0, 0], expected)


def test_worked_example_sobel_convolution_and_torch_negation() -> None:
    x = np.arange(1, 10).reshape(3, 3)
    k = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    true_convolution = np.array([[-13, -20, -17], [-18, -24, -18], [13, 20, 17]])
    np.testing.assert_array_equal(oracle.convolve(x, k, mode="same"), true_convolution)
    np.testing.assert_array_equal(oracle.conv(x[None, None], k[None, None], padding=1)[0, 0], -true_convolution)
    torch_out = F.conv2d(torch.tensor(x[None, None], dtype=torch.float64), torch.tensor(k[None, None], dtype=torch.float64), padding=1)
    np.testing.assert_array_equal(torch_out.numpy()[0, 0], -true_convolution)


# -- agreement with torch on fixed cases of every parameter -------------------------------------

def _rng() -> np.random.Generator:
    """A fresh generator per test, so results do not depend on test order (xdist)."""
    return np.random.default_rng(20261124)
FIXED = [
    dict(),
    dict(stride=(2, 3)),
    dict(padding=(2, 1)),
    dict(padding="same", dilation=(1, 2)),
    dict(padding="same"),
    dict(padding="valid"),
    dict(dilation=(2, 3)),
    dict(groups=2),
    dict(groups=4),
    dict(padding=(1, 2), padding_mode="reflect"),
    dict(padding=(3, 1), padding_mode="replicate"),
    dict(padding=(2, 3), padding_mode="circular"),
    dict(padding="same", padding_mode="reflect"),
    dict(stride=2, padding=1, dilation=2, groups=2, padding_mode="circular"),
]


@pytest.mark.parametrize("kwargs", FIXED, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "defaults")
@pytest.mark.parametrize("with_bias", [False, True])
def test_conv_agrees_with_torch(kwargs: dict, with_bias: bool) -> None:
    rng = _rng()
    x = rng.integers(-5, 6, size=(2, 4, 7, 6)).astype(np.float64)
    groups = kwargs.get("groups", 1)
    w = rng.integers(-5, 6, size=(4, 4 // groups, 3, 2)).astype(np.float64)
    b = rng.integers(-5, 6, size=4).astype(np.float64) if with_bias else None
    mode = kwargs.get("padding_mode", "zeros")
    plain = {k: v for k, v in kwargs.items() if k != "padding_mode"}
    layer = torch.nn.Conv2d(4, 4, (3, 2), bias=with_bias, padding_mode=mode, dtype=torch.float64, **plain)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer.weight.copy_(torch.from_numpy(w))
        if b is not None:
            layer.bias.copy_(torch.from_numpy(b))
        expected = layer(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(oracle.conv(x, w, b, **kwargs), expected)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("kwargs", [
    dict(), dict(stride=2), dict(stride=3, padding=1, output_padding=2), dict(dilation=2, output_padding=1, stride=1),
    dict(groups=2, stride=2, padding=2, output_padding=1), dict(padding=2, dilation=2),
], ids=str)
def test_conv_transpose_agrees_with_torch(nd: int, kwargs: dict) -> None:
    rng = _rng()
    groups = kwargs.get("groups", 1)
    x = rng.integers(-5, 6, size=(2, 4, *[5, 4, 3][:nd])).astype(np.float64)
    w = rng.integers(-5, 6, size=(4, 6 // groups, *[3, 2, 2][:nd])).astype(np.float64)
    b = rng.integers(-5, 6, size=6).astype(np.float64)
    fn = getattr(F, f"conv_transpose{nd}d")
    expected = fn(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kwargs).numpy()
    np.testing.assert_array_equal(oracle.conv_transpose(x, w, b, **kwargs), expected)


def test_float_result_is_float64_and_within_rounding_of_torch() -> None:
    from conv_equivalence.problem import ConvSpec
    from conv_equivalence.tolerance import bound_for, compare

    rng = _rng()
    x, w = rng.standard_normal((2, 3, 9)).astype(np.float32), rng.standard_normal((5, 3, 4))
    out = oracle.conv(x, w)
    assert out.dtype == np.float64
    torch_out = F.conv1d(torch.from_numpy(x).double(), torch.from_numpy(w)).numpy()
    problem = ConvProblem(ConvSpec.create(1), x.astype(np.float64), w)
    assert compare(out, torch_out, bound_for(problem)) is None


# -- arithmetic rules -----------------------------------------------------------------------------

def test_integers_never_wrap() -> None:
    x = np.array([[[2**62, 2**62]]], dtype=np.int64)
    w = np.array([[[3, 3]]], dtype=np.int64)
    out = oracle.conv(x, w)
    assert out.dtype == object
    assert out[0, 0, 0] == 6 * 2**62
    assert oracle.conv(np.array([[[2**40]]]), np.array([[[2**20]]])).dtype == np.int64
    big = np.array([[[2**64 - 1]]], dtype=np.uint64)
    assert oracle.conv(big, np.array([[[1]]]))[0, 0, 0] == 2**64 - 1


def test_result_dtypes() -> None:
    assert oracle.conv(np.ones((1, 1, 3), np.int8), np.ones((1, 1, 2), np.int16)).dtype == np.int64
    assert oracle.conv(np.ones((1, 1, 3), np.float16), np.ones((1, 1, 2), np.int64)).dtype == np.float64
    assert oracle.conv(np.ones((1, 1, 3), np.complex64), np.ones((1, 1, 2))).dtype == np.complex128
    assert oracle.correlate(np.ones(3, np.float32), np.ones(2, np.float32)).dtype == np.float64


def test_ieee_propagation() -> None:
    out = oracle.conv(np.array([[[np.inf, 0.0, 1.0, np.nan, 2.0]]]), np.array([[[0.0, 1.0]]]))
    # 0*inf is NaN; NaN taints every window it enters; inf + finite stays inf.
    np.testing.assert_array_equal(out[0, 0], [np.nan, 1.0, np.nan, np.nan])
    out = oracle.conv(np.array([[[np.inf, -np.inf, 1.0]]]), np.array([[[1.0, 1.0]]]))
    np.testing.assert_array_equal(out[0, 0], [np.nan, -np.inf])


def test_correlate_conjugates_and_convolve_flips() -> None:
    a, v = np.array([1 + 1j, 2 - 1j, 0.5j]), np.array([1j, 2])
    np.testing.assert_allclose(oracle.correlate(a, v, "valid"), [5 - 3j, -1 - 1j])
    np.testing.assert_array_equal(oracle.convolve([1, 2, 3, 4, 5], [1, 2, 3], "valid"), [10, 16, 22])
    np.testing.assert_array_equal(oracle.correlate([1, 1], [1, 2, 3, 4, 5, 6], "valid"), [11, 9, 7, 5, 3])
    np.testing.assert_array_equal(oracle.correlate([0, 0, 0, 1, 0, 0, 0], [1, 2, 3, 4], "same"), [0, 0, 4, 3, 2, 1, 0])


# -- bad specifications -----------------------------------------------------------------------------

X2, W2 = np.ones((1, 2, 5, 5)), np.ones((4, 2, 3, 3))
BAD = [
    (dict(stride=0), ValueError, r"stride must be positive on every axis, got 0"),
    (dict(stride=(1, -1)), ValueError, r"stride must be positive"),
    (dict(dilation=(0, 1)), ValueError, r"dilation must be positive"),
    (dict(padding=-1), ValueError, r"padding must be non-negative"),
    (dict(padding=(1, 2, 3)), ValueError, r"padding must have one entry per spatial axis \(2\), got 3"),
    (dict(stride=(1,)), ValueError, r"stride must have one entry per spatial axis"),
    (dict(padding="full"), ValueError, r"padding must be an int, a tuple of ints or of \(before, after\) pairs, 'same' or 'valid'"),
    (dict(padding=((1, 0),)), ValueError, r"padding must have one entry per spatial axis \(2\), got 1"),
    (dict(padding=((1, 0), 2)), ValueError, r"padding pairs must each be \(before, after\), got 2"),
    (dict(padding=((1, 0), (0, 1, 2))), ValueError, r"padding pairs must each be \(before, after\)"),
    (dict(padding=((1, 0), (0, -1))), ValueError, r"padding must be non-negative"),
    (dict(padding="same", stride=2), ValueError, r"padding='same' is not supported with stride > 1"),
    (dict(padding_mode="symmetric"), ValueError, r"padding_mode must be one of"),
    (dict(groups=0), ValueError, r"groups must be positive"),
    (dict(groups=2.0), TypeError, r"groups must be an int"),
    (dict(stride=1.5), TypeError, r"stride must be an int or a tuple of 2 ints"),
    (dict(groups=3), ValueError, r"groups \(3\) must divide both the input channels \(2\)"),
    (dict(padding=5, padding_mode="reflect"), ValueError, r"padding_mode='reflect' must be smaller than the input"),
    (dict(padding=6, padding_mode="circular"), ValueError, r"padding_mode='circular' must not exceed the input length"),
    (dict(dilation=3), ValueError, r"kernel larger than the padded input on axis 0"),
]


def test_an_empty_axis_with_enough_zero_padding_is_the_padding_s_result() -> None:
    """Defined, and TensorFlow answers it: only padded zeros meet the kernel (bias added); torch refuses it."""
    out = oracle.conv(np.ones((1, 1, 0)), np.array([[[2.0]]]), bias=np.array([5.0]), padding=1)
    assert out.tolist() == [[[5.0, 5.0]]]
    assert oracle.conv(np.ones((1, 1, 0, 3)), np.ones((1, 1, 2, 2)), padding=1).shape == (1, 1, 1, 4)


@pytest.mark.parametrize("kwargs,error,message", BAD, ids=[m for _, _, m in BAD])
def test_bad_conv_specs_are_named(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        oracle.conv(X2, W2, **kwargs)


@pytest.mark.parametrize("call,error,message", [
    (lambda: oracle.conv(np.ones((1, 3, 5, 5)), W2), ValueError, r"weight's channel dimension times groups must equal the input channels: 2 \* 1 != 3"),
    (lambda: oracle.conv(np.ones((1, 2, 5)), W2), ValueError, r"input must have 4 dimensions"),
    (lambda: oracle.conv(X2, np.ones((4, 2))), ValueError, r"weight must have 3, 4 or 5 dimensions .* got shape \(4, 2\)"),
    (lambda: oracle.conv(X2, np.ones((4, 2, 3)), stride=(1, 1)), ValueError, r"input must have 3 dimensions .* to match weight"),
    (lambda: oracle.conv(np.ones((1, 1, 0)), np.ones((1, 1, 3)), padding=1), ValueError, r"kernel larger than the padded input"),
    (lambda: oracle.conv(np.ones((1, 1, 0)), np.ones((1, 1, 1)), padding=1, padding_mode="circular"), ValueError,
     r"non-empty spatial extent"),
    (lambda: oracle.conv(np.ones((1, 1, 5)), np.ones((1, 1, 1)), padding=10**8), ValueError, r"problem too large: its padded input"),
    (lambda: oracle.correlate(np.ones(4), np.ones(0)), ValueError, r"in2 cannot be empty"),
    (lambda: oracle.conv([[[1, 2]], [[1]]], W2), ValueError, r"input must be a rectangular numeric array"),
    (lambda: oracle.conv(X2, W2, bias=np.ones(3)), ValueError, r"bias must have shape \(4,\)"),
    (lambda: oracle.conv(np.ones((1, 2, 2, 2)), W2), ValueError, r"kernel larger than the padded input"),
    (lambda: oracle.conv(X2.astype(bool), W2), TypeError, r"input must have a numeric .* dtype, got bool"),
    (lambda: oracle.conv(X2, np.full(W2.shape, "a")), TypeError, r"weight must have a numeric"),
    (lambda: oracle.conv_transpose(X2, np.ones((2, 2, 3, 3)), stride=2, output_padding=2), ValueError,
     r"output_padding must be smaller than either stride or dilation"),
    (lambda: oracle.conv_transpose(X2, np.ones((2, 2, 3, 3)), padding=5), ValueError, r"transposed convolution output must be non-empty"),
    (lambda: oracle.conv_transpose(X2, np.ones((3, 2, 3, 3))), ValueError, r"weight's first dimension must equal the input channels"),
    (lambda: oracle.conv_transpose(X2, np.ones((2, 2, 3, 3)), padding="same"), ValueError, r"padding must be ints for a transposed"),
    (lambda: oracle.conv_transpose(X2, np.ones((2, 2, 3, 3)), padding=((1, 0), (0, 0))), ValueError,
     r"padding must be one int per axis for a transposed convolution, got pairs"),
    (lambda: oracle.correlate(np.ones((3, 1)), np.ones((1, 3)), "valid"), ValueError, r"mode='valid' needs one input at least as large"),
    (lambda: oracle.correlate(np.ones(3), np.ones((1, 3))), ValueError, r"in1 and in2 must have the same number of dimensions"),
    (lambda: oracle.convolve(np.ones(3), np.ones(3), "circular"), ValueError, r"mode must be one of \('full', 'valid', 'same'\)"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_shapes_are_named(call, error: type, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


@settings(max_examples=30)
@given(st.integers(1, 6), st.integers(0, 6))
def test_reflect_limit_matches_torch(n: int, pad: int) -> None:
    """Reflect padding is legal exactly when torch accepts it (pad < n)."""
    x, w = np.ones((1, 1, n)), np.ones((1, 1, 1))
    try:
        F.pad(torch.ones(1, 1, n), (pad, pad), mode="reflect")
        torch_ok = True
    except RuntimeError:
        torch_ok = False
    try:
        oracle.conv(x, w, padding=pad, padding_mode="reflect")
        ours_ok = True
    except ValueError:
        ours_ok = False
    assert ours_ok == torch_ok


@given(cst.problems(cst.EVERYTHING, dtype="float64", kind="floats", **SMALL))
def test_float_conv_within_rounding_bound_of_literal_loops(problem: ConvProblem) -> None:
    from conv_equivalence.tolerance import bound_for, compare

    literal = _naive(problem).astype(np.float64)
    mismatch = compare(oracle.solve(problem), literal, bound_for(problem))
    assert mismatch is None, mismatch.describe()


# -- non-finite operands: only the products the definition contains -------------------------------

@st.composite
def poisoned(draw: st.DrawFn, capabilities) -> ConvProblem:  # type: ignore[no-untyped-def]
    """A float64 problem with NaN/inf written into up to three places of the input and of the weight
    (anywhere: next to padding, between dilated taps, in any group)."""
    problem = draw(cst.problems(capabilities, dtype="float64", **SMALL))

    def poison(a: np.ndarray) -> np.ndarray:
        flat = a.astype(np.float64).ravel().copy()
        if flat.size:
            for i in draw(st.lists(st.integers(0, flat.size - 1), max_size=3)):
                flat[i] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        return flat.reshape(a.shape)

    return problem.replace(x=poison(problem.x), weight=poison(problem.weight))


def _assert_same(got: np.ndarray, expected: np.ndarray) -> None:
    """Equal, NaN where NaN, each infinity where the same infinity (the finite parts are integers: exact)."""
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.astype(np.float64), expected.astype(np.float64))


@given(poisoned(WITH_PAIRS))
def test_nonfinite_conv_equals_literal_loops(problem: ConvProblem) -> None:
    """Torch's explicit zero padding is multiplied (inf * 0 is NaN there), as torch computes it."""
    _assert_same(oracle.solve(problem), _naive(problem))


@given(poisoned(TRANSPOSED))
def test_nonfinite_conv_transpose_equals_literal_scatter(problem: ConvProblem) -> None:
    """No inserted zero meets a non-finite weight: each input sample scatters the kernel."""
    _assert_same(oracle.solve(problem), _naive(problem))


@given(signal_pairs(), st.data())
def test_nonfinite_signal_functions_equal_literal_loops(pair: tuple[np.ndarray, np.ndarray], data: st.DataObject) -> None:
    a, v = (p.real.astype(np.float64) for p in pair)
    for array in (a, v):
        for i in data.draw(st.lists(st.integers(0, array.size - 1), max_size=2)) if array.size else []:
            array.flat[i] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    if not a.size or not v.size:
        return
    _assert_same(oracle.convolve(a, v), naive.full_convolve(a, v))
    _assert_same(oracle.correlate(a, v), naive.full_convolve(a, v[tuple(slice(None, None, -1) for _ in range(v.ndim))]))
    if a.ndim == 1:  # numpy's 1-D direct loop forms exactly these products too
        _assert_same(oracle.convolve(a, v), np.convolve(a, v))


def test_nonfinite_worked_examples() -> None:
    """The cases of issue 11: a non-finite kernel value never meets padding that the definition lacks."""
    np.testing.assert_array_equal(oracle.convolve([1.0, 1.0, 1.0], [np.inf, 1.0]), [np.inf, np.inf, np.inf, 1.0])
    np.testing.assert_array_equal(oracle.correlate([1.0, 1.0, 1.0], [np.nan, 1.0]), [1.0, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(oracle.conv_transpose([[[1.0, 1.0]]], [[[np.inf, 1.0]]], stride=2)[0, 0],
                                  [np.inf, 1.0, np.inf, 1.0])
    x, w = torch.ones(1, 1, 3, dtype=torch.float64), torch.tensor([[[np.inf, 1.0]]], dtype=torch.float64)
    np.testing.assert_array_equal(oracle.conv(x.numpy(), w.numpy(), padding=1), F.conv1d(x, w, padding=1).numpy())
    np.testing.assert_array_equal(oracle.conv_transpose(x.numpy(), w.numpy(), stride=2),
                                  F.conv_transpose1d(x, w, stride=2).numpy())


def test_zero_input_channels_give_the_bias() -> None:
    """The empty sum is 0, so the output is the bias on C_out channels (torch 2.13 drops the channels)."""
    out = oracle.conv(np.zeros((2, 0, 5, 5)), np.zeros((3, 0, 2, 2)), bias=np.ones(3))
    assert out.shape == (2, 3, 4, 4) and (out == 1).all()
    out = oracle.conv_transpose(np.zeros((1, 0, 3)), np.zeros((0, 2, 2)), bias=np.array([1.0, 2.0]))
    assert out.shape == (1, 2, 4) and (out[0, 1] == 2).all()


def test_torch_tensors_are_read_as_arrays() -> None:
    x = torch.ones(1, 1, 3, requires_grad=True)
    w = torch.ones(1, 1, 2, dtype=torch.bfloat16)
    np.testing.assert_array_equal(oracle.conv(x, w)[0, 0], [2.0, 2.0])


@given(hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4), elements=st.integers(-9, 9)),
       st.sampled_from(oracle.EXTENSIONS), st.data())
def test_extend_equals_literal_lookup_at_any_width(x: np.ndarray, mode: str, data: st.DataObject) -> None:
    """Every boundary the libraries offer, at widths beyond one period too, against index arithmetic."""
    pads = [(data.draw(st.integers(0, 9)), data.draw(st.integers(0, 9))) for _ in range(x.ndim)]
    fill = data.draw(st.integers(-3, 3))
    _assert_exact(oracle.extend(x, pads, mode, fill), naive.extend(x, pads, mode, fill))


def test_extend_patterns_and_errors() -> None:
    x = np.array([1, 2, 3, 4])
    assert oracle.extend(x, [(2, 2)], "symmetric").tolist() == [2, 1, 1, 2, 3, 4, 4, 3]
    assert oracle.extend(x, [(2, 2)], "reflect").tolist() == [3, 2, 1, 2, 3, 4, 3, 2]
    assert oracle.extend(x, [(6, 0)], "wrap").tolist() == [3, 4, 1, 2, 3, 4, 1, 2, 3, 4]
    filled = oracle.extend(x, [(1, 1)], "constant", np.nan)
    assert filled.dtype == np.float64 and np.isnan(filled[[0, -1]]).all()
    with pytest.raises(ValueError, match="mode must be one of"):
        oracle.extend(x, [(1, 1)], "mirror")
    with pytest.raises(ValueError, match="pads must be non-negative"):
        oracle.extend(x, [(-1, 1)])
    with pytest.raises(ValueError, match="needs a non-empty signal"):
        oracle.extend(np.ones(0), [(1, 1)], "wrap")
    with pytest.raises(ValueError, match="memory budget"):
        oracle.extend(x, [(10**9, 0)])
