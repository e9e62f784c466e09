"""Transposed convolution: the adjoint of convolution, and a correlation of the upsampled input."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from conv_equivalence import oracle
from conv_equivalence import strategies as cst
from conv_equivalence.backends import get_backend
from conv_equivalence.identities import (
    Identity,
    IdentityFailure,
    backends_where,
    check_backend,
    register,
    run,
    supported,
)
from conv_equivalence.problem import ConvProblem
from conv_equivalence.tolerance import bound_for

_transposed = backends_where(lambda b: b.capabilities.transposed)


@st.composite
def _adjoint_cases(draw: st.DrawFn, target: str) -> tuple[ConvProblem, ConvProblem]:
    """A convolution (x, w) and the transposed problem (y, w) that is its adjoint, on integer data."""
    caps = get_backend(target).capabilities
    forward_caps = dataclasses.replace(caps, transposed=False, padding_strings=(), bias=False)
    forward = draw(cst.problems(forward_caps, kind="integers", max_extra_size=10))
    s = forward.spec
    assume(not isinstance(s.padding, str) and not s.asymmetric)
    out = forward.output_shape
    # output_padding restores the input length that the strided convolution rounded away.
    output_padding = tuple((n + 2 * p - d * (k - 1) - 1) % st_
                           for n, p, d, k, st_ in zip(forward.x.shape[2:], s.int_padding, s.dilation, forward.weight.shape[2:], s.stride))
    assume(all(op < max(st_, d) for op, st_, d in zip(output_padding, s.stride, s.dilation)))
    y = draw(cst.carrier_arrays(out, forward.dtype, "integers"))
    spec = s.replace(transposed=True, output_padding=output_padding)
    return forward, ConvProblem(spec, y, forward.weight, dtype=forward.dtype, layout=forward.layout)


def _adjoint(target: str, case: tuple[ConvProblem, ConvProblem]) -> None:
    forward, backward = case
    backend = get_backend(target)
    assume(supported(backend, backward))
    # Exact only while every partial sum is an integer the dtype holds (tolerance.bound_for is then zero):
    # past 2**8 in bfloat16 the backend's sums round.
    assume(not bound_for(backward).any())
    transposed = run(backend, backward)
    if transposed.shape != forward.x.shape:
        raise IdentityFailure(f"conv_transpose gave shape {transposed.shape}, the input had {forward.x.shape}", case=case)
    left = np.sum(oracle.solve(forward).astype(object) * backward.x.astype(object))
    right = np.sum(forward.x.astype(object) * np.asarray(transposed).astype(object))
    if left != right:
        raise IdentityFailure(f"<conv(x, w), y> = {left} but <x, conv_transpose(y, w)> = {right}",
                              case=case, left=left, right=right)


register(Identity(
    "transpose-is-adjoint",
    "conv_transpose is the adjoint of conv with the same stride, padding, dilation and groups, "
    "once output_padding restores the input length: the two inner products agree exactly on integers.",
    "<conv(x, w), y> == <x, conv_transpose(y, w, output_padding=(n + 2p - d(k-1) - 1) mod s)>",
    _transposed, _adjoint_cases, _adjoint, tags=("transposed",),
))


def upsampled_correlation(problem: ConvProblem) -> np.ndarray:
    """conv_transpose as a plain convolution: upsample by the stride, pad d(k-1)-p, flip and swap the kernel."""
    s, nd, g = problem.spec, problem.spec.ndim, problem.spec.groups
    y, w = problem.x, problem.weight
    up = np.zeros(y.shape[:2] + tuple((n - 1) * st_ + 1 for n, st_ in zip(y.shape[2:], s.stride)), dtype=y.dtype)
    up[(slice(None), slice(None), *(slice(None, None, st_) for st_ in s.stride))] = y
    assert not isinstance(s.padding, str)
    up = np.pad(up, ((0, 0), (0, 0), *((0, op) for op in s.output_padding)))
    c_in, c_out_g = w.shape[:2]
    swapped = w.reshape(g, c_in // g, c_out_g, *w.shape[2:]).swapaxes(1, 2).reshape(g * c_out_g, c_in // g, *w.shape[2:])
    flipped = np.flip(swapped, axis=tuple(range(2, 2 + nd)))
    padding = tuple(d * (k - 1) - p for d, k, p in zip(s.dilation, w.shape[2:], s.padding))
    return oracle.conv(up, flipped, problem.bias, padding=padding, dilation=s.dilation, groups=g)


def _upsampled(target: str, problem: ConvProblem) -> None:
    s = problem.spec
    assert not isinstance(s.padding, str)
    assume(all(p <= d * (k - 1) for p, d, k in zip(s.padding, s.dilation, problem.weight.shape[2:])))
    check_backend(target, problem, upsampled_correlation, "correlation of the upsampled input with the flipped kernel")


register(Identity(
    "transpose-is-upsampled-correlation",
    "conv_transpose equals a stride-1 correlation of the stride-upsampled input (output_padding zeros "
    "appended) with the kernel flipped and its in/out channels swapped, padded by d(k-1)-p.",
    "conv_transpose(y, w, s, p, op, d) == conv(pad(upsample(y, s), (0, op)), flip(swap(w)), padding=d(k-1)-p, dilation=d)",
    _transposed,
    lambda target: st.sampled_from(["integers", "floats"]).flatmap(
        lambda kind: cst.problems(get_backend(target).capabilities, kind=kind, max_extra_size=10)),
    _upsampled, tags=("transposed",),
))
