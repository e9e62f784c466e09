"""Flax: the ``flax.linen`` and ``flax.nnx`` layers ``Conv`` and ``ConvTranspose``, which wrap
``jax.lax.conv_general_dilated`` and ``jax.lax.conv_transpose``.

Conventions (flax 0.12.8), and the translation from the canonical (torch) problem:

* orientation: ``Conv`` is a cross-correlation like torch's;
* layout: always channels-last, input ``(N, *spatial, C)``, kernel ``(*kernel, C_in/groups, C_out)``
  (``HWIO``); the canonical arrays are transposed here and the answer back to ``(N, C_out, *spatial)``;
* ``padding``: ``'SAME'`` (TensorFlow's: ``ceil(n/s)`` outputs, the extra sample after, with strides
  too), ``'VALID'``, ``'CAUSAL'`` (1-D: ``d(k-1)`` before, none after), an int, or ``(low, high)``
  pairs; the adapter passes a string where the problem's pads equal what it gives, else the pairs
  (one int per axis where symmetric). ``'CIRCULAR'`` and ``'REFLECT'`` pad ``((k'-1)//2, k'//2)`` with
  ``k' = d(k-1)+1`` (torch's ``padding='same'`` placement, extra sample after) by ``numpy.pad``'s
  ``wrap``/``reflect`` (torch's ``circular``/``reflect``), then run ``'VALID'`` with the strides: so
  torch's ``circular`` and ``reflect`` are expressible with exactly those pads and no others. Flax has no
  ``replicate``;
* ``ConvTranspose`` mirrors ``jax.lax.conv_transpose``: its explicit ``(low, high)`` pads are the pads of
  the stride-dilated input, not torch's ``padding`` (nnx's docstring says so: torch's ``padding=p`` is
  flax's ``d(k-1) - p``). torch's ``conv_transpose(x, w, s, p, op, d)`` is therefore
  ``ConvTranspose(strides=s, padding=[(d(k-1)-p, d(k-1)-p+op)], kernel_dilation=d,
  transpose_kernel=True)`` with kernel ``w`` as ``(*kernel, C_out, C_in)`` (``transpose_kernel`` flips the
  spatial axes and swaps in/out, as a gradient would); ``'VALID'`` (torch's ``p=0``,
  ``op=max(s-k', 0)``) and ``'SAME'`` are passed as strings where they match. ``ConvTranspose`` has no
  ``feature_group_count``: grouped transposed problems are not expressible. Its ``'CIRCULAR'`` folds the
  full output periodically onto ``n*s`` samples, which torch has no mode for (left out);
* weights: loaded as the layer's parameters (linen: ``apply({'params': {'kernel', 'bias'}})``; nnx:
  ``layer.kernel.value``), the call compiled by ``jax.jit`` (one program a shape); ``dtype=None`` computes in the operands' dtype (``promote_dtype``); float64
  needs JAX's 64-bit mode (`x64_scope`), ``precision=HIGHEST``. Integer operands are refused
  (``promote_dtype`` makes them inexact), so no integer dtype is declared.

Known issues are XLA's, shared with ``jax.lax.conv_general_dilated``: with ``feature_group_count > 1``
a non-finite input of one group reaches the other groups' outputs, and the CPU transposed convolution
multiplies the inserted zeros by the weights below float64.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from conv_equivalence.backends import COMPLEX_DTYPES, FLOAT_DTYPES, Backend, Capabilities, register
from conv_equivalence.backends.jax_lax import (
    GROUPED_NONFINITE,
    TRANSPOSE_MULTIPLIES_ZEROS,
    computing_dtype,
    jax_array,
    x64_scope,
)
from conv_equivalence.problem import ConvProblem, same_padding

APIS = ("linen", "nnx")


def _to_last(a: np.ndarray) -> np.ndarray:
    """``(N, C, *S)`` -> ``(N, *S, C)``."""
    return np.moveaxis(a, 1, -1)


def conv_padding(problem: ConvProblem) -> Any:
    """Flax ``Conv``'s ``padding`` argument for this (non-transposed) problem."""
    s, kernel = problem.spec, problem.weight.shape[2:]
    if s.padding_mode != "zeros":
        return {"circular": "CIRCULAR", "reflect": "REFLECT"}[s.padding_mode]
    pads = s.pads(kernel)
    name = problem.framework_padding()
    if name in ("SAME", "VALID"):
        return name
    if s.ndim == 1 and pads[0] == (s.dilation[0] * (kernel[0] - 1), 0) and pads[0][0] > 0:
        return "CAUSAL"
    if all(lo == hi for lo, hi in pads):
        return [lo for lo, _ in pads]
    return [tuple(p) for p in pads]


def transpose_pads(problem: ConvProblem) -> list[tuple[int, int]]:
    """``jax.lax.conv_transpose``'s explicit pads (of the stride-dilated input) for torch's transposed problem."""
    s, kernel = problem.spec, problem.weight.shape[2:]
    return [(d * (k - 1) - p, d * (k - 1) - p + op)
            for k, d, p, op in zip(kernel, s.dilation, s.int_padding, s.output_padding)]


def lax_transpose_string_pads(kernel: int, stride: int, dilation: int, name: str) -> tuple[int, int]:
    """The pads ``jax.lax.conv_transpose`` gives ``'SAME'``/``'VALID'`` (``jax._src.lax.convolution._conv_transpose_padding``)."""
    k = dilation * (kernel - 1) + 1
    if name == "SAME":
        total = k + stride - 2
        before = k - 1 if stride > k - 1 else -(-total // 2)
    else:
        total = k + stride - 2 + max(k - stride, 0)
        before = k - 1
    return before, total - before


def transpose_padding(problem: ConvProblem) -> Any:
    """``ConvTranspose``'s ``padding`` argument: ``'SAME'``/``'VALID'`` where they give these pads, else pairs."""
    s, kernel = problem.spec, problem.weight.shape[2:]
    pads = transpose_pads(problem)
    for name in ("VALID", "SAME"):
        if pads == [lax_transpose_string_pads(k, st, d, name) for k, st, d in zip(kernel, s.stride, s.dilation)]:
            return name
    return pads


def _arrays(problem: ConvProblem) -> tuple[Any, Any, Any]:
    """The input ``(N, *S, C)``, the flax kernel and the bias as JAX arrays in the problem's dtype."""
    nd = problem.spec.ndim
    # forward (C_out, C_in/g, *K) -> (*K, C_in/g, C_out); transposed (C_in, C_out, *K) -> (*K, C_out, C_in),
    # the layout transpose_kernel=True reads
    kernel = problem.weight.transpose((*range(2, nd + 2), 1, 0))
    bias = None if problem.bias is None else jax_array(problem.bias, problem.dtype)
    return jax_array(_to_last(problem.x), problem.dtype), jax_array(kernel, problem.dtype), bias


def _hashable(value: Any) -> Any:
    """Lists (of pairs) as tuples, so that layer arguments can key a cache of compiled layers."""
    return tuple(_hashable(v) for v in value) if isinstance(value, (list, tuple)) else value


def _layer_arguments(problem: ConvProblem) -> tuple[tuple[str, Any], ...]:
    s, kernel = problem.spec, tuple(problem.weight.shape[2:])
    args: dict[str, Any] = dict(kernel_size=kernel, strides=s.stride, kernel_dilation=s.dilation,
                                use_bias=problem.bias is not None)
    if s.transposed:
        args.update(padding=transpose_padding(problem), transpose_kernel=True)
    else:
        args.update(padding=conv_padding(problem), feature_group_count=s.groups)
    return tuple((k, _hashable(v)) for k, v in args.items())


@functools.lru_cache(maxsize=256)
def _compiled(api: str, transposed: bool, c_in: int, c_out: int, arguments: tuple[tuple[str, Any], ...]) -> Any:
    """The layer's call as one compiled program of ``(kernel, bias, x)`` (one compilation a shape, not one an
    operation); ``bias`` is ``None`` without ``use_bias``."""
    import jax

    args = dict(arguments, precision=jax.lax.Precision.HIGHEST)
    if api == "linen":
        import flax.linen as nn

        module = (nn.ConvTranspose if transposed else nn.Conv)(c_out, **args)

        def linen(kernel: Any, bias: Any, x: Any) -> Any:
            params = {"kernel": kernel} if bias is None else {"kernel": kernel, "bias": bias}
            return module.apply({"params": params}, x)

        return jax.jit(linen)
    from flax import nnx

    cls = nnx.ConvTranspose if transposed else nnx.Conv

    def nnx_call(kernel: Any, bias: Any, x: Any) -> Any:
        layer = cls(c_in, c_out, rngs=nnx.Rngs(0), **args)  # its random initial values are dead code
        layer.kernel.set_value(kernel)
        if bias is not None:
            layer.bias.set_value(bias)  # type: ignore[union-attr]
        return layer(x)

    return jax.jit(nnx_call)


def _run(api: str) -> Callable[[ConvProblem], np.ndarray]:
    def run(problem: ConvProblem) -> np.ndarray:
        with x64_scope():
            x, kernel, bias = _arrays(problem)
            call = _compiled(api, problem.spec.transposed, problem.x.shape[1], problem.output_shape[1],
                             _layer_arguments(problem))
            y = call(kernel, bias, x)
            out = np.asarray(y.astype("float32") if problem.dtype == "bfloat16" else y)
        return np.moveaxis(out, -1, 1)

    return run


def same_placement_only(problem: ConvProblem) -> str | None:
    """'CIRCULAR'/'REFLECT' pad only torch's 'same' placement, ``((k'-1)//2, k'//2)``."""
    s = problem.spec
    if s.transposed or s.padding_mode == "zeros":
        return None
    kernel = problem.weight.shape[2:]
    if s.pads(kernel) != same_padding(kernel, s.dilation):
        return f"unsupported: padding_mode {s.padding_mode!r} with pads other than 'same''s ((k'-1)//2, k'//2)"
    return None


def no_groups(problem: ConvProblem) -> str | None:
    return "unsupported: groups > 1 (ConvTranspose has no feature_group_count)" if problem.spec.groups > 1 else None


_DTYPES = FLOAT_DTYPES + COMPLEX_DTYPES
for api in APIS:
    register(Backend(
        f"flax.{api}.Conv", "flax",
        f"flax.{api}.Conv (channels-last, HWIO kernel); padding 'SAME'/'VALID'/'CAUSAL'/pairs, 'CIRCULAR'/'REFLECT'",
        Capabilities(dtypes=_DTYPES, empty_batch=True, channels=True, groups=True, stride=True, dilation=True, bias=True,
                     padding_modes=("zeros", "reflect", "circular"), padding_strings=("same", "valid"), padding_pairs=True,
                     extra_rule=same_placement_only),
        _run(api), computing_dtype=computing_dtype, known_issues=(GROUPED_NONFINITE,),
    ))
    register(Backend(
        f"flax.{api}.ConvTranspose", "flax",
        f"torch's conv_transpose as flax.{api}.ConvTranspose(transpose_kernel=True) with pads d(k-1)-p, d(k-1)-p+op",
        Capabilities(dtypes=_DTYPES, transposed=True, empty_batch=True, channels=True, stride=True, dilation=True,
                     bias=True, extra_rule=no_groups),
        _run(api), computing_dtype=computing_dtype, known_issues=(TRANSPOSE_MULTIPLIES_ZEROS,),
    ))
