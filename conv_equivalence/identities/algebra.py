"""Algebra of convolution: linearity, commutativity, associativity, the delta kernel, shift
equivariance, separable kernels, and the convolution theorem, checked through each backend.

In torch's correlation form a *true* full convolution of ``a`` and ``v`` is
``T(a, v) = conv(a, flip(v), padding=k-1)``; commutativity and associativity are stated for ``T``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from conv_equivalence import strategies as cst
from conv_equivalence import tolerance
from conv_equivalence.backends import Backend, Capabilities, get_backend
from conv_equivalence.identities import (
    Identity,
    assert_close,
    backends_where,
    error_bound,
    register,
    run,
    supported,
)
from conv_equivalence.identities.structure import explicit_padding
from conv_equivalence.problem import ConvProblem, ConvSpec


def _can(problem: ConvProblem) -> Callable[[Backend], bool]:
    return lambda b: b.capabilities.reason_unsupported(problem) is None


_FULL_1D = ConvProblem(ConvSpec.create(1, padding=1), np.ones((1, 1, 2)), np.ones((1, 1, 2)))
_full_capable = backends_where(lambda b: _can(_FULL_1D)(b))


def _problems(target: str, kind: str = "integers") -> st.SearchStrategy[ConvProblem]:
    return cst.problems(get_backend(target).capabilities, kind=kind, max_extra_size=8)


# -- linearity ---------------------------------------------------------------------------------

@st.composite
def _bilinear_cases(draw: st.DrawFn, target: str) -> tuple[ConvProblem, str, np.ndarray, int, int]:
    problem = draw(cst.problems(_narrowed(target, bias=False), max_extra_size=8))
    which = draw(st.sampled_from(["x", "weight"]))
    other = draw(cst.carrier_arrays(getattr(problem, which).shape, problem.dtype, "integers", kernel=which == "weight"))
    return problem, which, other, draw(st.integers(-3, 3)), draw(st.integers(-3, 3))


def _bilinear(target: str, case: tuple[ConvProblem, str, np.ndarray, int, int]) -> None:
    problem, which, other, a, b = case
    backend = get_backend(target)
    combined = problem.replace(**{which: a * getattr(problem, which) + b * other})
    second = problem.replace(**{which: other})
    assume(all(supported(backend, p) for p in (problem, combined, second)))
    left = run(backend, combined)
    right = a * run(backend, problem).astype(left.dtype) + b * run(backend, second).astype(left.dtype)
    bound = error_bound(backend, combined) + abs(a) * error_bound(backend, problem) + abs(b) * error_bound(backend, second)
    assert_close(left, right, bound, what=f"{target}: linear in {which}: f(a u1 + b u2) vs a f(u1) + b f(u2), a={a}, b={b}",
                 case=case)


register(Identity(
    "bilinear",
    "Convolution is linear in its input and, separately, in its kernel.",
    "conv(a*x1 + b*x2, w) == a*conv(x1, w) + b*conv(x2, w);  conv(x, a*w1 + b*w2) == a*conv(x, w1) + b*conv(x, w2)",
    backends_where(lambda b: not b.capabilities.transposed), _bilinear_cases, _bilinear, tags=("algebra",),
))


# -- full convolution: commutativity and associativity -----------------------------------------

def true_convolution(a: np.ndarray, v: np.ndarray, dtype: str, layout: str = "contiguous") -> ConvProblem:
    """The problem computing the full true convolution of two single-channel signals."""
    nd = a.ndim - 2
    spec = ConvSpec.create(nd, padding=tuple(k - 1 for k in v.shape[2:]))
    return ConvProblem(spec, a, np.flip(v, axis=tuple(range(2, 2 + nd))).copy(), dtype=dtype, layout=layout)


@st.composite
def _signals(draw: st.DrawFn, target: str, count: int) -> tuple[str, list[np.ndarray]]:
    caps = get_backend(target).capabilities
    nd = draw(st.sampled_from(caps.ranks))
    dtype = draw(st.sampled_from(caps.dtypes))
    shapes = [tuple(draw(st.integers(1, 5)) for _ in range(nd)) for _ in range(count)]
    return dtype, [draw(cst.carrier_arrays((1, 1, *shape), dtype, "integers", kernel=True)) for shape in shapes]


def _commutes(target: str, case: tuple[str, list[np.ndarray]]) -> None:
    dtype, (a, v) = case
    backend = get_backend(target)
    left, right = true_convolution(a, v, dtype), true_convolution(v, a, dtype)
    assume(supported(backend, left) and supported(backend, right))
    assert_close(run(backend, left), run(backend, right), error_bound(backend, left) + error_bound(backend, right),
                 what=f"{target}: a * v vs v * a (full convolution)", case=case)


def _associates(target: str, case: tuple[str, list[np.ndarray]]) -> None:
    dtype, (a, b, c) = case
    backend = get_backend(target)
    first = true_convolution(a, b, dtype)
    assume(supported(backend, first))
    ab = run(backend, first)
    second = true_convolution(b, c, dtype)
    assume(supported(backend, second))
    bc = run(backend, second)
    left, right = true_convolution(ab, c, dtype), true_convolution(a, bc, dtype)
    assume(supported(backend, left) and supported(backend, right))
    assert_close(run(backend, left), run(backend, right), error_bound(backend, left) + error_bound(backend, right),
                 what=f"{target}: (a * b) * c vs a * (b * c)", case=case)


register(Identity(
    "full-convolution-commutes",
    "Full (true) convolution is commutative.",
    "T(a, v) == T(v, a), with T(a, v) = conv(a, flip(v), padding=k-1)",
    _full_capable, lambda target: _signals(target, 2), _commutes, tags=("algebra",),
))
register(Identity(
    "full-convolution-associates",
    "Full (true) convolution is associative.",
    "T(T(a, b), c) == T(a, T(b, c))",
    _full_capable, lambda target: _signals(target, 3), _associates, tags=("algebra",),
))


# -- delta kernel and shifts ---------------------------------------------------------------------

def _narrowed(target: str, **changes: object) -> Capabilities:
    return dataclasses.replace(get_backend(target).capabilities, **changes)  # type: ignore[arg-type]


@st.composite
def _delta_cases(draw: st.DrawFn, target: str) -> tuple[ConvProblem, tuple[int, ...]]:
    problem = draw(cst.problems(_narrowed(target, bias=False, groups=False), max_extra_size=8))
    kernel = problem.weight.shape[2:]
    at = tuple(draw(st.integers(0, k - 1)) for k in kernel)
    return problem, at


def _delta(target: str, case: tuple[ConvProblem, tuple[int, ...]]) -> None:
    problem, at = case
    s = problem.spec
    c_in, c_out = problem.x.shape[1], problem.weight.shape[0]
    weight = np.zeros_like(problem.weight)
    for o in range(c_out):  # output channel o copies input channel o mod C_in
        weight[(o, o % c_in, *at)] = 1
    delta = problem.replace(weight=weight)
    backend = get_backend(target)
    assume(supported(backend, delta))
    padded = explicit_padding(delta).x
    out = delta.output_shape[2:]
    window = tuple(slice(j * d, j * d + (n - 1) * st_ + 1, st_) for j, d, n, st_ in zip(at, s.dilation, out, s.stride))
    expected = padded[(slice(None), np.arange(c_out) % c_in, *window)]
    assert_close(run(backend, delta), expected, error_bound(backend, delta),
                 what=f"{target}: delta kernel at {at} vs the shifted input", case=case)


register(Identity(
    "delta-kernel-shifts",
    "A kernel that is 1 at one tap (per channel) and 0 elsewhere returns the padded input, shifted "
    "by that tap and sampled by the stride, exactly.",
    "conv(x, e_j) == pad(x)[..., j*d + s*i]",
    backends_where(lambda b: not b.capabilities.transposed), _delta_cases, _delta, tags=("algebra",),
))


@st.composite
def _circular_cases(draw: st.DrawFn, target: str) -> ConvProblem:
    """Circular, stride-1 problems whose padding keeps the size (odd effective kernels, or 'same')."""
    caps = _narrowed(target, padding_modes=("circular",), stride=False)
    problem = draw(cst.problems(caps, max_extra_size=8))
    effective = [d * (k - 1) for k, d in zip(problem.weight.shape[2:], problem.spec.dilation)]
    if all(e % 2 == 0 for e in effective):
        spec = problem.spec.replace(padding=tuple(e // 2 for e in effective))
    else:
        assume("same" in caps.padding_strings)
        spec = problem.spec.replace(padding="same")
    assume(all(max(pair) <= n for pair, n in zip(spec.pads(problem.weight.shape[2:]), problem.x.shape[2:])))
    return problem.replace(spec=spec)


def _shift(target: str, case: tuple[ConvProblem, int]) -> None:
    problem, shift = case
    s = problem.spec
    pads = s.pads(problem.weight.shape[2:])
    assume(s.padding_mode == "circular" and all(st_ == 1 for st_ in s.stride))
    assume(problem.output_shape[2:] == problem.x.shape[2:])
    backend = get_backend(target)
    shifted = problem.replace(x=np.roll(problem.x, shift, axis=-1))
    assume(supported(backend, problem) and supported(backend, shifted))
    left = run(backend, shifted)
    right = np.roll(run(backend, problem), shift, axis=-1)
    assert_close(left, right, error_bound(backend, shifted) + error_bound(backend, problem),
                 what=f"{target}: circular conv of x rolled by {shift} vs the output rolled (pads {pads})", case=case)


register(Identity(
    "circular-shift-equivariance",
    "With circular padding that keeps the size, shifting the input cyclically shifts the output the same way.",
    "conv(roll(x, t), w, padding_mode='circular') == roll(conv(x, w, padding_mode='circular'), t)",
    backends_where(lambda b: "circular" in b.capabilities.padding_modes),
    lambda target: st.tuples(_circular_cases(target), st.integers(-3, 3)), _shift, tags=("algebra", "padding"),
))


# -- separable kernels -----------------------------------------------------------------------------

@st.composite
def _separable_cases(draw: st.DrawFn, target: str) -> tuple[ConvProblem, np.ndarray, np.ndarray]:
    caps = _narrowed(target, channels=False, groups=False, bias=False, padding_strings=())
    problem = draw(cst.problems(caps, ndim=2, kind="integers", max_extra_size=8))
    kh, kw = problem.weight.shape[2:]
    u = draw(cst.carrier_arrays((kh,), problem.dtype, "integers", kernel=True))
    v = draw(cst.carrier_arrays((kw,), problem.dtype, "integers", kernel=True))
    return problem, u, v


def _separable(target: str, case: tuple[ConvProblem, np.ndarray, np.ndarray]) -> None:
    problem, u, v = case
    s = problem.spec
    assume(not isinstance(s.padding, str) and problem.bias is None and s.groups == 1)
    assume(problem.x.shape[1] == 1 and problem.weight.shape[0] == 1)
    backend = get_backend(target)
    dense = problem.replace(weight=np.outer(u, v)[None, None])
    pads = s.pads(problem.weight.shape[2:])
    rows = problem.replace(weight=u[None, None, :, None],
                           spec=s.replace(stride=(s.stride[0], 1), padding=(pads[0], (0, 0)), dilation=(s.dilation[0], 1)))
    assume(supported(backend, dense) and supported(backend, rows))
    first = run(backend, rows)
    cols = ConvProblem(s.replace(stride=(1, s.stride[1]), padding=((0, 0), pads[1]), dilation=(1, s.dilation[1])),
                       first.astype(problem.x.dtype), v[None, None, None, :], dtype=problem.dtype, layout=problem.layout)
    assume(supported(backend, cols))
    assert_close(run(backend, dense), run(backend, cols), error_bound(backend, dense) + error_bound(backend, cols),
                 what=f"{target}: outer(u, v) kernel vs a pass with u then a pass with v", case=case)


register(Identity(
    "separable-kernel-is-two-passes",
    "A 2-D kernel that is an outer product u v^T equals a pass of u along rows then v along columns "
    "(each pass with its own axis's stride, padding and dilation).",
    "conv(x, outer(u, v)) == conv(conv(x, u[:, None]), v[None, :])",
    backends_where(lambda b: 2 in b.capabilities.ranks and not b.capabilities.transposed), _separable_cases, _separable,
    tags=("algebra",),
))


# -- the convolution theorem -----------------------------------------------------------------------

def _theorem(target: str, case: tuple[str, list[np.ndarray]]) -> None:
    dtype, (a, v) = case
    backend = get_backend(target)
    problem = true_convolution(a, v, dtype)
    assume(supported(backend, problem))
    shape = tuple(m + n - 1 for m, n in zip(a.shape[2:], v.shape[2:]))
    axes = tuple(range(-len(shape), 0))
    spectral: np.ndarray = np.fft.ifftn(np.fft.fftn(a[0, 0], shape, axes=axes) * np.fft.fftn(v[0, 0], shape, axes=axes), axes=axes)
    if not np.iscomplexobj(a) and not np.iscomplexobj(v):
        spectral = spectral.real
    fft_error = tolerance.fft_bound(a[0, 0], v[0, 0], int(np.prod(shape)), "float64")
    assert_close(run(backend, problem)[0, 0], spectral, error_bound(backend, problem)[0, 0] + fft_error,
                 what=f"{target}: full convolution vs inverse FFT of the product of zero-padded FFTs", case=case)


register(Identity(
    "convolution-theorem",
    "Full convolution equals the inverse DFT of the product of the DFTs, both zero-padded to n + k - 1.",
    "T(a, v) == ifftn(fftn(a, n+k-1) * fftn(v, n+k-1))",
    _full_capable, lambda target: _signals(target, 2), _theorem, tags=("algebra", "fft"),
))


