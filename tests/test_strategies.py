"""The problem strategies: always valid, reach every declared value, shrink to a handful of numbers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from conv_equivalence import oracle
from conv_equivalence import strategies as cst
from conv_equivalence.backends import Capabilities, all_backends, get_backend
from conv_equivalence.problem import ConvProblem
from tests.shrinking import REASON, SHRINKER_AS_RECORDED

TRANSPOSED = get_backend("torch.functional.conv_transpose").capabilities


@given(cst.problems(cst.EVERYTHING, kind="floats"))
def test_problems_are_valid_for_the_oracle(problem: ConvProblem) -> None:
    out = oracle.solve(problem)
    assert out.shape == problem.output_shape
    assert all(n >= 1 for n in out.shape[1:])


@given(cst.problems(TRANSPOSED, kind="floats"))
def test_transposed_problems_are_valid_for_the_oracle(problem: ConvProblem) -> None:
    out = oracle.solve(problem)
    assert out.shape == problem.output_shape
    assert all(n >= 1 for n in out.shape[1:])


class _AllSeen(BaseException):
    """Ends a series of draws once every wanted feature has been seen (Hypothesis lets it through)."""


def _collect(capabilities: Capabilities, features: Callable[[ConvProblem], set[str]], examples: int, kind: str = "integers",
             until: set[str] | None = None) -> set[str]:
    """Every feature seen over a fixed (derandomised) series of at most ``examples`` draws, which ends
    early once every feature in ``until`` has been seen."""
    seen: set[str] = set()

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(cst.problems(capabilities, kind=kind))
    def draw(problem: ConvProblem) -> None:
        seen.update(features(problem))
        if until is not None and until <= seen:
            raise _AllSeen

    try:
        draw()
    except _AllSeen:
        pass
    return seen


def _features(p: ConvProblem) -> set[str]:
    s = p.spec
    kernel = p.weight.shape[2:]
    c_in, c_out = p.x.shape[1], p.output_shape[1]
    out = {f"rank={s.ndim}", f"dtype={p.dtype}", f"layout={p.layout}", f"padding_mode={s.padding_mode}",
           f"bias={p.bias is not None}", f"batch0={p.x.shape[0] == 0}"}
    out.add("padding=" + (s.padding if isinstance(s.padding, str) else "pairs" if s.asymmetric
                          else ("uniform" if len(set(s.padding)) == 1 else "per-axis")))
    if not s.transposed and s.padding != "same" and any(d > 1 or st_ > 1 for d, st_ in zip(s.dilation, s.stride)):
        name = p.framework_padding()
        if name in ("SAME", "SAME_LOWER") and any(pl != pr for pl, pr in s.pads(kernel)):
            out.add(f"framework-{name}-strided-or-dilated")
    out |= {f"stride>1@{a}" for a, v in enumerate(s.stride) if v > 1}
    out |= {f"dilation>1@{a}" for a, v in enumerate(s.dilation) if v > 1}
    out |= {f"kernel-{'even' if k % 2 == 0 else 'odd'}" for k in kernel}
    if len(set(kernel)) > 1:
        out.add("kernel-non-square")
    if s.groups > 1:
        out.add("groups>1")
        if c_in == s.groups:
            out.add("depthwise")
    if max(c_in, c_out) > 16:
        out.add("channels>16")
    if max(p.x.shape[2:], default=0) >= {1: 64, 2: 32, 3: 9}[s.ndim]:
        out.add("large-input")
    if s.transposed and any(s.output_padding):
        out.add("output_padding>0")
    return out


def test_every_parameter_value_is_reached() -> None:
    expected = {f"rank={r}" for r in (1, 2, 3)} | {f"dtype={d}" for d in cst.EVERYTHING.dtypes}
    expected |= {f"layout={lay}" for lay in cst.EVERYTHING.layouts} | {f"padding_mode={m}" for m in cst.EVERYTHING.padding_modes}
    expected |= {"bias=True", "bias=False", "batch0=True", "batch0=False", "padding=same", "padding=valid",
                 "padding=uniform", "padding=per-axis", "kernel-even", "kernel-odd", "kernel-non-square",
                 "groups>1", "depthwise", "channels>16", "large-input"}
    expected |= {f"{p}>1@{a}" for p in ("stride", "dilation") for a in range(3)}
    seen = _collect(cst.EVERYTHING, _features, 1500, until=expected)
    assert expected - seen == set()


def test_transposed_parameters_are_reached() -> None:
    expected = {"output_padding>0", "groups>1", "depthwise", "stride>1@0", "dilation>1@0", "bias=True", "batch0=True"}
    seen = _collect(TRANSPOSED, _features, 600, until=expected)
    assert expected - seen == set()


@pytest.mark.parametrize("name", [b.name for b in all_backends()])
def test_each_backend_reaches_what_it_declares(name: str) -> None:
    caps = get_backend(name).capabilities
    expected = {f"rank={r}" for r in caps.ranks} | {f"dtype={d}" for d in caps.dtypes}
    expected |= {f"padding_mode={m}" for m in caps.padding_modes} | {f"layout={lay}" for lay in caps.layouts}
    if caps.padding_pairs:
        expected.add("padding=pairs")
        if caps.stride and caps.dilation and caps.extra_rule is None:  # tf.nn.convolution's rule refuses SAME_LOWER
            expected |= {"framework-SAME-strided-or-dilated", "framework-SAME_LOWER-strided-or-dilated"}
    seen = _collect(caps, _features, 1000, until=expected)  # a cap: it ends once all is seen
    assert expected - seen == set()


MINIMAL = settings(database=None, derandomize=True, max_examples=2000, suppress_health_check=list(HealthCheck))


@pytest.mark.skipif(not SHRINKER_AS_RECORDED, reason=REASON)
def test_shrinks_to_a_single_number() -> None:
    """Any non-zero output: 1-element arrays holding +-1 and zeros (x = w = 1, or a bias of 1 alone)."""
    problem = find(cst.problems(cst.EVERYTHING), lambda p: bool(np.any(oracle.solve(p) != 0)), settings=MINIMAL)
    assert problem.x.shape == (1, 1, 1) and problem.weight.shape == (1, 1, 1)
    # No padding, however it is written ('same' with a one-tap kernel pads nothing either).
    assert problem.spec.pads(problem.weight.shape[2:]) == ((0, 0),) and problem.spec.stride == (1,)
    arrays = [a for a in (problem.x, problem.weight, problem.bias) if a is not None]
    assert sum(int(np.count_nonzero(a)) for a in arrays) <= 2
    assert all(set(np.abs(a).ravel()) <= {0, 1} for a in arrays)


@pytest.mark.skipif(not SHRINKER_AS_RECORDED, reason=REASON)
def test_flip_bug_shrinks_to_a_handful_of_numbers() -> None:
    """A flipped kernel shows with one channel, one batch item, a short kernel and input, one non-zero in each.

    The true minimum is 3 elements (one sample and a two-tap kernel reaching into the padding).
    Hypothesis cannot move a non-zero tap to another position while shrinking, so depending on
    where generation started it stops at a kernel of up to 4 taps with a single non-zero, and for the
    same reason it may keep an all-zero output channel drawn before the one that shows the flip
    (removing it and keeping the other is two coordinated changes); the literals of every imported
    module seed generation, so where it starts moves as the package grows.
    """
    def flipped_differs(p: ConvProblem) -> bool:
        flipped = p.replace(weight=np.flip(p.weight, axis=tuple(range(2, p.weight.ndim))).copy())
        return bool(np.any(oracle.solve(p) != oracle.solve(flipped)))

    problem = find(cst.problems(cst.EVERYTHING), flipped_differs, settings=MINIMAL)
    assert problem.x.shape[:2] == (1, 1) and problem.weight.shape[1] == 1 and problem.spec.ndim == 1
    assert problem.x.size + problem.weight.size <= 6 and problem.weight.size >= 2
    assert np.count_nonzero(problem.x) == 1 and np.count_nonzero(problem.weight) == 1


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_argument_errors_are_named() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        cst.elements("float64", "huge")
    with pytest.raises(ValueError, match="kind 'nonfinite' is for real dtypes"):
        cst.elements("complex128", "nonfinite")
    with pytest.raises(ValueError, match="dtype must be one of"):
        cst.elements("float8", "floats")
    with pytest.raises(ValueError, match=r"ndim=4 is outside these capabilities"):
        cst.problems(ndim=4).example()
    with pytest.raises(ValueError, match=r"dtype='float16' is outside these capabilities"):
        cst.problems(get_backend("numpy.correlate").capabilities, dtype="float16").example()


def test_bfloat16_rounding_is_to_nearest_even() -> None:
    values = np.array([1.0, 1.0 + 2**-8, 1.0 + 3 * 2**-8, 1.0 + 2**-9, -3.0 - 2**-7])
    np.testing.assert_array_equal(cst.round_to(values, "bfloat16"), [1.0, 1.0, 1.0 + 2**-6, 1.0, -3.0])


def _nonfinite_features(p: ConvProblem) -> set[str]:
    padded = not p.spec.transposed and p.spec.padding_mode == "zeros" and any(
        v for pair in p.spec.pads(p.weight.shape[2:]) for v in pair)
    out = set()
    if not np.isfinite(p.weight).all():
        out.add("nonfinite-weight" + ("-with-zero-padding" if padded else ""))
    if not np.isfinite(p.x).all():
        out.add("nonfinite-input")
    if (p.weight == 0).any() or (p.bias is not None and not np.isfinite(p.bias).all()):
        out.add("zero-weight-or-nonfinite-bias")
    return out


@pytest.mark.parametrize("name,padded", [("torch.functional.conv", True), ("torch.functional.conv_transpose", False),
                                         ("scipy.signal.correlate[direct]", False)])
def test_nonfinite_kind_reaches_nonfinite_weights(name: str, padded: bool) -> None:
    """Weights hold NaN/inf too; with zero padding only where the backend multiplies it (torch), never zeros."""
    seen = _collect(get_backend(name).capabilities, _nonfinite_features, 1000, kind="nonfinite")
    assert {"nonfinite-weight", "nonfinite-input"} <= seen, seen
    assert ("nonfinite-weight-with-zero-padding" in seen) == padded, seen
    assert "zero-weight-or-nonfinite-bias" not in seen, seen


def test_kernels_are_seldom_their_own_flip() -> None:
    """A kernel equal to its flip hides a missing or extra flip: small kernels have every element drawn,
    large ones (many channels, `cst.FULL_KERNEL`) a fill value and elements at random places; either way
    few of those with more than one tap are palindromic."""
    counts = {"small": [0, 0], "large": [0, 0]}  # [palindromic, drawn]

    @settings(max_examples=400, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(cst.problems(cst.EVERYTHING, kind="integers"))
    def draw(problem: ConvProblem) -> None:
        w = problem.weight
        if max(w.shape[2:]) < 2 or not np.any(w):
            return
        flipped = np.flip(w, axis=tuple(range(2, w.ndim)))
        count = counts["small" if w.size <= cst.FULL_KERNEL else "large"]
        count[0] += bool(np.array_equal(w, flipped))
        count[1] += 1

    draw()
    for size, (palindromic, drawn) in counts.items():
        assert drawn >= 20 and palindromic <= drawn // 10, (size, palindromic, drawn)


@pytest.mark.parametrize("shape", [(1, 1, 5, 5, 5), (1, 1, 65), (2, 1, 5, 5, 5)])
@pytest.mark.parametrize("kind", ["integers", "nonfinite"])
def test_large_kernels_of_one_channel_pair_are_drawn(shape: tuple[int, ...], kind: str) -> None:
    """A kernel past `cst.FULL_KERNEL` elements that is one channel pair is those taps, drawn in full (the
    sparse path once asked for its own first channel pair again, without end: a RecursionError that
    `full-convolution-associates` met on Hypothesis 6.100 with a 5x5x5 signal)."""
    kernel = find(cst.carrier_arrays(shape, "float64", kind, kernel=True, nonfinite_kernel=kind == "nonfinite"),
                  lambda w: True, settings=settings(database=None, derandomize=True))
    assert kernel.shape == shape
