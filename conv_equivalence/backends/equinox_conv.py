"""Equinox: ``equinox.nn.Conv`` and ``equinox.nn.ConvTranspose`` (``Conv1d``/``2d``/``3d`` and
``ConvTranspose1d``/``2d``/``3d`` are the same classes with ``num_spatial_dims`` fixed).

Conventions (equinox 0.13.8), and the translation from the canonical (torch) problem:

* orientation and layout: torch's. A layer maps ONE example ``(C, *spatial)`` (no batch axis) with
  weight ``(C_out, C_in/groups, *kernel)`` and bias ``(C_out, 1, ..., 1)``, by
  ``jax.lax.conv_general_dilated`` (a cross-correlation); the batch is ``jax.vmap(layer)``, compiled by
  ``eqx.filter_jit``, on a layer built by ``eqx.filter_eval_shape`` and given the
  problem's weight and bias with ``eqx.tree_at``;
* ``padding``: an int, one int per axis, ``(before, after)`` pairs, ``'VALID'``, ``'SAME'`` or
  ``'SAME_LOWER'`` (JAX's, with strides: ``ceil(n/s)`` outputs, the odd sample after or before); the
  adapter passes a string where the problem's pads equal what it gives, else ints or pairs;
* ``padding_mode``: ``'ZEROS'``, ``'REFLECT'``, ``'REPLICATE'``, ``'CIRCULAR'`` pad with ``jnp.pad``'s
  ``reflect``/``edge``/``wrap``: torch's four modes by meaning, with any pads;
* ``ConvTranspose``: its weight ``(C_out, C_in/groups, *kernel)`` is used as a FORWARD kernel over the
  stride-dilated input (``lhs_dilation=stride``) with pads ``(d(k-1)-p0, d(k-1)-p1+output_padding)``
  (Dumoulin & Visin's relationship 14), so torch's ``conv_transpose(x, w, s, p, op, d, groups)`` is
  ``ConvTranspose(stride=s, padding=p, output_padding=op, dilation=d, groups=groups)`` with weight ``w``
  flipped on its spatial axes and its in/out channels swapped within each group (the FAQ of its
  docstring). ``output_padding`` must be smaller than the stride (torch: than stride or dilation);
  ``'VALID'`` is torch's ``p=0`` (with ``output_padding``); ``'SAME'``/``'SAME_LOWER'`` split
  ``d(k-1) - s + output_padding + 1`` like the forward strings and IGNORE ``output_padding`` otherwise (it
  only moves the split), so they are passed, with ``output_padding=0``, where that split is torch's pads.
  Only ``'ZEROS'`` has a torch counterpart (``'CIRCULAR'`` transposes the circular convolution: the
  native identity checks it);
* dtypes: whatever the weight holds (set with ``eqx.tree_at``), the result in JAX's promotion of the
  operands, at the default precision; float64 needs JAX's 64-bit mode (`x64_scope`).

Known issues are XLA's, shared with ``jax.lax.conv_general_dilated``: with ``groups > 1`` a non-finite
input of one group reaches the other groups' outputs, and the CPU transposed convolution multiplies the
inserted zeros by the weights below float64.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from conv_equivalence.backends import COMPLEX_DTYPES, FLOAT_DTYPES, Backend, Capabilities, register
from conv_equivalence.backends.jax_lax import (
    GROUPED_NONFINITE,
    GROUPED_NONFINITE_TRANSPOSED,
    TRANSPOSE_MULTIPLIES_ZEROS,
    computing_dtype,
    jax_array,
    transposed_as_forward,
    x64_scope,
)
from conv_equivalence.problem import ConvProblem

MODES = {"zeros": "ZEROS", "reflect": "REFLECT", "replicate": "REPLICATE", "circular": "CIRCULAR"}
"""torch's ``padding_mode`` -> Equinox's (the same patterns, `conv_equivalence.boundary`)."""


def conv_padding(problem: ConvProblem) -> Any:
    """Equinox ``Conv``'s ``padding`` for this problem: a string where one gives its pads, else ints or pairs."""
    name = problem.framework_padding()
    if name is not None:
        return name
    pads = problem.spec.pads(problem.weight.shape[2:])
    if all(lo == hi for lo, hi in pads):
        sizes = [lo for lo, _ in pads]
        return sizes[0] if len(set(sizes)) == 1 else sizes
    return [tuple(p) for p in pads]


def string_transpose_pads(kernel: int, stride: int, dilation: int, output_padding: int, name: str) -> tuple[int, int]:
    """The pads of the stride-dilated input that Equinox's ``ConvTranspose`` derives from ``'SAME'``/``'SAME_LOWER'``
    (its ``_padding_transpose``): the forward pads ``p_sum = d(k-1) - s + op + 1`` split like the forward
    ``'SAME'`` (odd sample after) or ``'SAME_LOWER'`` (before); ``output_padding`` only enters through ``p_sum``,
    and a negative ``p_sum`` becomes extra padding after."""
    total = dilation * (kernel - 1) - stride + output_padding + 1
    extra = max(-total, 0)
    total = max(total, 0)
    before = (total + (name == "SAME_LOWER")) // 2
    return dilation * (kernel - 1) - before, dilation * (kernel - 1) - (total - before) + extra


def transpose_padding(problem: ConvProblem) -> Any:
    """Equinox ``ConvTranspose``'s ``padding``: ``'VALID'`` for torch's 0, ``'SAME'``/``'SAME_LOWER'`` where they give
    torch's pads (`string_transpose_pads`), else one int per axis."""
    s, kernel = problem.spec, problem.weight.shape[2:]
    if not any(s.int_padding):
        return "VALID"
    torch_pads = [(d * (k - 1) - p, d * (k - 1) - p + op)
                  for k, d, p, op in zip(kernel, s.dilation, s.int_padding, s.output_padding)]
    for name in ("SAME", "SAME_LOWER"):
        if torch_pads == [string_transpose_pads(k, st, d, 0, name) for k, st, d in zip(kernel, s.stride, s.dilation)]:
            return name  # with output_padding 0: torch's output_padding is in the split
    return list(s.int_padding)


@functools.cache
def _batched() -> Any:
    """``jax.vmap(layer)(x)`` compiled as one program (``eqx.filter_jit``): one compilation a shape, not one an operation."""
    import equinox as eqx
    import jax

    return eqx.filter_jit(lambda layer, x: jax.vmap(layer)(x))


def _run(problem: ConvProblem) -> np.ndarray:
    import equinox as eqx

    s, nd = problem.spec, problem.spec.ndim
    kernel = tuple(problem.weight.shape[2:])
    c_in, c_out = problem.x.shape[1], problem.output_shape[1]
    with x64_scope() as jax:
        common: dict[str, Any] = dict(stride=s.stride, dilation=s.dilation, groups=s.groups,
                                      use_bias=problem.bias is not None, key=jax.random.PRNGKey(0))
        # built abstractly (eqx.filter_eval_shape: no random initialisation to compile per kernel shape),
        # then given the problem's weight and bias
        if s.transposed:
            padding = transpose_padding(problem)
            output_padding = 0 if padding in ("SAME", "SAME_LOWER") else s.output_padding
            layer: Any = eqx.filter_eval_shape(eqx.nn.ConvTranspose, nd, c_in, c_out, kernel, padding=padding,
                                               output_padding=output_padding, **common)
            weight = transposed_as_forward(problem.weight, s.groups)
        else:
            layer = eqx.filter_eval_shape(eqx.nn.Conv, nd, c_in, c_out, kernel, padding=conv_padding(problem),
                                          padding_mode=MODES[s.padding_mode], **common)
            weight = problem.weight
        layer = eqx.tree_at(lambda m: m.weight, layer, jax_array(weight, problem.dtype))
        if problem.bias is not None:
            bias = jax_array(problem.bias.reshape((-1,) + (1,) * nd), problem.dtype)
            layer = eqx.tree_at(lambda m: m.bias, layer, bias)
        y = _batched()(layer, jax_array(problem.x, problem.dtype))
        return np.asarray(y.astype("float32") if problem.dtype == "bfloat16" else y)


def output_padding_below_stride(problem: ConvProblem) -> str | None:
    s = problem.spec
    if any(op >= st for op, st in zip(s.output_padding, s.stride)):
        return "unsupported: output_padding >= stride (Equinox requires output_padding < stride)"
    return None


_DTYPES = FLOAT_DTYPES + COMPLEX_DTYPES + ("int32", "int64")
_common: dict[str, Any] = dict(dtypes=_DTYPES, empty_batch=True, channels=True, groups=True, stride=True,
                               dilation=True, bias=True)
register(Backend(
    "equinox.nn.Conv", "equinox",
    "equinox.nn.Conv, one batch item a call; padding ints/pairs/'SAME'/'SAME_LOWER'/'VALID', all four padding modes",
    Capabilities(padding_modes=tuple(MODES), padding_strings=("same", "valid"), padding_pairs=True, **_common),
    _run, computing_dtype=computing_dtype, known_issues=(GROUPED_NONFINITE,),
))
register(Backend(
    "equinox.nn.ConvTranspose", "equinox",
    "torch's conv_transpose as equinox.nn.ConvTranspose with the kernel flipped and its channels swapped per group",
    Capabilities(transposed=True, extra_rule=output_padding_below_stride, **_common),
    _run, computing_dtype=computing_dtype, known_issues=(GROUPED_NONFINITE_TRANSPOSED, TRANSPOSE_MULTIPLIES_ZEROS),
))
