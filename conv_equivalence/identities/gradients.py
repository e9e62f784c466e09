"""Gradients of torch's convolution: the input gradient is a transposed convolution, the weight
gradient a correlation of the input with the output gradient. Checked exactly on integers."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from conv_equivalence import adjoint, oracle
from conv_equivalence import strategies as cst
from conv_equivalence.backends import get_backend
from conv_equivalence.backends.pytorch import padded_input
from conv_equivalence.identities import Identity, IdentityFailure, register
from conv_equivalence.problem import ConvProblem

_TARGETS = lambda: ["torch.functional.conv"]  # noqa: E731 - autograd is torch's alone here


@st.composite
def _cases(draw: st.DrawFn, target: str) -> tuple[ConvProblem, np.ndarray]:
    caps = dataclasses.replace(get_backend(target).capabilities, dtypes=("float64",), layouts=("contiguous",), bias=False)
    problem = draw(cst.problems(caps, kind="integers", max_extra_size=8))
    upstream = draw(cst.carrier_arrays(problem.output_shape, "float64", "integers"))
    return problem, upstream


def _autograd(problem: ConvProblem, upstream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import torch

    s = problem.spec
    x = torch.from_numpy(problem.x).requires_grad_(True)
    w = torch.from_numpy(problem.weight).requires_grad_(True)
    xp, padding = padded_input(x, s, problem.weight.shape[2:])
    out = getattr(torch.nn.functional, f"conv{s.ndim}d")(xp, w, None, s.stride, padding, s.dilation, s.groups)
    out.backward(torch.from_numpy(upstream))
    return x.grad.numpy(), w.grad.numpy()  # type: ignore[union-attr]


def _grad_input(target: str, case: tuple[ConvProblem, np.ndarray]) -> None:
    problem, upstream = case
    s = problem.spec
    assume(s.padding_mode == "zeros")
    pads = s.pads(problem.weight.shape[2:])
    assume(all(pl == pr for pl, pr in pads))
    padding = tuple(pl for pl, _ in pads)
    output_padding = tuple((n + 2 * p - d * (k - 1) - 1) % st_ for n, p, d, k, st_ in
                           zip(problem.x.shape[2:], padding, s.dilation, problem.weight.shape[2:], s.stride))
    assume(all(op < max(st_, d) for op, st_, d in zip(output_padding, s.stride, s.dilation)))
    grad_x, _ = _autograd(problem, upstream)
    expected = oracle.conv_transpose(upstream, problem.weight, None, s.stride, padding, output_padding, s.groups, s.dilation)
    if not np.array_equal(grad_x, expected.astype(np.float64)):
        raise IdentityFailure("autograd's input gradient differs from conv_transpose of the output gradient",
                              case=case, left=grad_x, right=expected)


def _grad_weight(target: str, case: tuple[ConvProblem, np.ndarray]) -> None:
    problem, upstream = case
    assume(problem.x.shape[0] > 0)
    _, grad_w = _autograd(problem, upstream)
    expected = adjoint.vjp(problem, upstream).weight  # the correlation, as oracle problems (adjoint.weight_problems)
    if not np.array_equal(grad_w, expected.astype(np.float64)):
        raise IdentityFailure("autograd's weight gradient differs from the correlation of the input with the output gradient",
                              case=case, left=grad_w, right=expected)


register(Identity(
    "grad-input-is-conv-transpose",
    "The gradient of torch's convolution with respect to its input is conv_transpose of the output gradient.",
    "d<conv(x, w), g>/dx == conv_transpose(g, w, stride, padding, output_padding, groups, dilation)",
    _TARGETS, _cases, _grad_input, tags=("gradients",),
))
register(Identity(
    "grad-weight-is-correlation",
    "The gradient with respect to the weight is the correlation of the padded input with the output "
    "gradient, batch and channels exchanging roles and stride and dilation swapped.",
    "d<conv(x, w), g>/dw[o, c] == sum_n corr(xpad[n, c], g[n, o]; stride=d, dilation=s)[:k]",
    _TARGETS, _cases, _grad_weight, tags=("gradients",),
))
