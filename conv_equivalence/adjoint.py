"""Gradients of the oracle's convolutions, by their definition, with the bounds an implementation meets.

For ``y = conv(x, w) + b`` and a cotangent ``g`` (the gradient of a loss with respect to ``y``),
``<g, y>`` is a sum of products ``g[n, o, i] * xpad[n, c, i*s + j*d] * w[o, c, j]``; each gradient
collects the products that hold one operand's element:

* input: ``dL/dxpad = conv_transpose(g, w)`` on the padded input (stride, dilation and groups as
  given, no padding), then folded back onto ``x`` along the padding's index map (``zeros``: the
  padding is dropped; ``reflect``, ``replicate``, ``circular``: each padded sample adds into the
  sample it copies);
* weight: ``dL/dw[o, c, j] = sum_{n, i} g[n, o, i] * xpad[n, c, i*s + j*d]`` (`weight_problems`);
* bias: ``dL/db[o] = sum_{n, i} g[n, o, i]``.

For ``y = conv_transpose(x, w)`` the roles turn round: the input gradient is ``conv(g, w)`` (the
samples past ``x``'s length, which ``output_padding`` adds, dropped) and the weight gradient is
the correlation of ``g`` with ``x``. Every piece is an oracle problem (`ConvProblem`), so the
values come from `oracle.solve` and the bounds from `tolerance.declared_bound` for the declared
precision; a fold adds ``m`` values per input sample, within `tolerance.direct_bound` of ``m`` terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from conv_equivalence.boundary import numpy_pad_mode
from conv_equivalence.oracle import solve
from conv_equivalence.problem import ConvProblem, ConvSpec
from conv_equivalence.tolerance import PRECISION_BITS, declared_bound, direct_bound, integer_valued, unit_roundoff


@dataclass(frozen=True)
class Gradients:
    """The gradients with respect to input, weight and bias (``None`` where there is no bias), each
    with its per-element bound (zero where the result must be exact)."""

    x: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None
    x_bound: np.ndarray
    weight_bound: np.ndarray
    bias_bound: np.ndarray | None


def _abs(problem: ConvProblem) -> ConvProblem:
    return problem.replace(x=np.abs(problem.x), weight=np.abs(problem.weight), bias=None)


def _solve_bounded(problem: ConvProblem, precision: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The problem's exact answer, its bound and the magnitude ``|x| * |w|`` summed as it is."""
    return solve(problem), np.asarray(declared_bound(problem, precision), dtype=np.float64), solve(_abs(problem)).real


def weight_problems(x: np.ndarray, cotangent: np.ndarray, spec: ConvSpec, kernel: tuple[int, ...],
                    dtype: str) -> list[ConvProblem]:
    """``dL/dw`` of a convolution (not transposed), one oracle problem per group.

    Batch and channels exchange roles: the padded input of group ``i`` (its channels as the batch)
    is correlated with that group's output gradient (its output channels as kernels), stride and
    dilation swapped: ``conv(xpad_i^T, g_i^T, stride=dilation, dilation=stride)`` is ``(C_in/groups,
    C_out/groups, >= kernel)``, whose leading ``kernel`` samples, transposed, are that group's block.
    """
    pads = spec.pads(kernel)
    xp = np.pad(x, ((0, 0), (0, 0), *pads), mode=numpy_pad_mode(spec.padding_mode))
    g = spec.groups
    c_in, c_out = x.shape[1] // g, cotangent.shape[1] // g
    spec_w = ConvSpec.create(spec.ndim, stride=spec.dilation, dilation=spec.stride)
    return [ConvProblem(spec_w, np.ascontiguousarray(xp[:, i * c_in:(i + 1) * c_in].swapaxes(0, 1)),
                        np.ascontiguousarray(cotangent[:, i * c_out:(i + 1) * c_out].swapaxes(0, 1)), dtype=dtype)
            for i in range(g)]


def _weight_gradient(x: np.ndarray, cotangent: np.ndarray, spec: ConvSpec, kernel: tuple[int, ...], dtype: str,
                     precision: str) -> tuple[np.ndarray, np.ndarray]:
    crop = (slice(None), slice(None), *(slice(0, k) for k in kernel))
    values, bounds = [], []
    for problem in weight_problems(x, cotangent, spec, kernel, dtype):
        value, bound, _ = _solve_bounded(problem, precision)
        values.append(value[crop].swapaxes(0, 1))
        bounds.append(np.broadcast_to(bound, value.shape)[crop].swapaxes(0, 1))
    return np.concatenate(values, axis=0), np.concatenate(bounds, axis=0)


def _sources(n: int, pair: tuple[int, int], mode: str) -> np.ndarray:
    """For each sample of an axis of length ``n`` padded by ``pair`` in ``mode``, the input sample it copies."""
    return np.pad(np.arange(n), pair, mode=numpy_pad_mode(mode))


def _fold(a: np.ndarray, sizes: tuple[int, ...], pads: tuple[tuple[int, int], ...], mode: str) -> np.ndarray:
    """The adjoint of padding: each padded sample adds into the input sample it is a copy of."""
    for axis, (n, pair) in enumerate(zip(sizes, pads), start=2):
        if mode == "zeros":
            a = a.take(range(pair[0], pair[0] + n), axis=axis)
            continue
        folded = np.zeros((*a.shape[:axis], n, *a.shape[axis + 1:]), dtype=a.dtype)
        np.add.at(folded, (slice(None),) * axis + (_sources(n, pair, mode),), a)  # type: ignore[arg-type]
        a = folded
    return a


def _multiplicity(sizes: tuple[int, ...], pads: tuple[tuple[int, int], ...], mode: str) -> int:
    """The most padded samples that fold into one input sample."""
    if mode == "zeros":
        return 1
    return int(np.prod([np.bincount(_sources(n, pair, mode), minlength=n).max() for n, pair in zip(sizes, pads)]))


def _input_gradient(problem: ConvProblem, cotangent: np.ndarray, precision: str) -> tuple[np.ndarray, np.ndarray]:
    s, x, w = problem.spec, problem.x, problem.weight
    kernel = w.shape[2:]
    if s.transposed:  # the adjoint of a transposed convolution is the convolution
        adjoint = ConvProblem(ConvSpec.create(s.ndim, stride=s.stride, padding=s.int_padding, dilation=s.dilation,
                                              groups=s.groups), cotangent, w, dtype=problem.dtype)
        value, bound, _ = _solve_bounded(adjoint, precision)
        crop = (slice(None), slice(None), *(slice(0, n) for n in x.shape[2:]))
        return value[crop], np.broadcast_to(bound, value.shape)[crop]
    pads = s.pads(kernel)
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    natural = tuple((o - 1) * st + d * (k - 1) + 1 for o, st, d, k in zip(cotangent.shape[2:], s.stride, s.dilation, kernel))
    adjoint = ConvProblem(ConvSpec.create(s.ndim, stride=s.stride, dilation=s.dilation, groups=s.groups, transposed=True,
                                          output_padding=tuple(p - n for p, n in zip(padded, natural))),
                          cotangent, w, dtype=problem.dtype)
    value, bound, magnitude = _solve_bounded(adjoint, precision)
    sizes = tuple(x.shape[2:])
    m = _multiplicity(sizes, pads, s.padding_mode)
    folded = _fold(value, sizes, pads, s.padding_mode)
    fold_bound = _fold(np.broadcast_to(bound, value.shape).astype(np.float64), sizes, pads, s.padding_mode)
    if m > 1:
        fold_bound = fold_bound + _sum_bound(_fold(magnitude, sizes, pads, s.padding_mode), m, problem.dtype,
                                             integer_valued(cotangent, w))
    return folded, fold_bound


def _sum_bound(magnitude: np.ndarray, terms: int, dtype: str, integers: bool) -> np.ndarray:
    """`tolerance.direct_bound` for a sum of ``terms`` values of these summed magnitudes, in ``dtype``;
    zero where integers sum exactly (below ``2**p``), as `tolerance.bound_for` has it."""
    if not unit_roundoff(dtype):
        return np.zeros(magnitude.shape)
    bound = direct_bound(magnitude, terms, dtype)
    if integers:
        bound = np.where(magnitude < 2.0 ** PRECISION_BITS[dtype], 0.0, bound)
    return np.asarray(bound, dtype=np.float64)


def vjp(problem: ConvProblem, cotangent: np.ndarray, precision: str = "exact") -> Gradients:
    """The gradients of ``<cotangent, conv(problem)>`` with respect to the problem's input, weight
    and bias, and their bounds for an implementation computing as ``precision`` declares."""
    if cotangent.shape != problem.output_shape:
        raise ValueError(f"cotangent must have the output's shape {problem.output_shape}, got {cotangent.shape}")
    s = problem.spec
    grad_x, x_bound = _input_gradient(problem, cotangent, precision)
    if s.transposed:
        forward = ConvSpec.create(s.ndim, stride=s.stride, padding=s.int_padding, dilation=s.dilation, groups=s.groups)
        grad_w, w_bound = _weight_gradient(cotangent, problem.x, forward, problem.weight.shape[2:], problem.dtype, precision)
    else:
        grad_w, w_bound = _weight_gradient(problem.x, cotangent, s, problem.weight.shape[2:], problem.dtype, precision)
    grad_b = b_bound = None
    if problem.bias is not None:
        axes = (0, *range(2, cotangent.ndim))
        terms = cotangent.size // max(cotangent.shape[1], 1)
        grad_b = cotangent.sum(axis=axes, dtype=object if cotangent.dtype.kind in "iu" else None)
        b_bound = _sum_bound(np.abs(cotangent).sum(axis=axes).astype(np.float64), terms, problem.dtype,
                             integer_valued(cotangent))
    return Gradients(grad_x, grad_w, grad_b, np.asarray(x_bound, dtype=np.float64), np.asarray(w_bound, dtype=np.float64),
                     b_bound)
