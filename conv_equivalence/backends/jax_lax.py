"""JAX: ``jax.lax.conv_general_dilated`` (convolution and, through ``lhs_dilation``, its transpose)
and ``jax.numpy.correlate``/``convolve``.

``conv_general_dilated`` is a cross-correlation like torch's. The translation:

* layout: ``contiguous`` problems use ``dimension_numbers`` ``("NCHW", "OIHW", "NCHW")``;
  ``channels_last`` problems are handed over as ``NHWC`` input and ``HWIO`` weight (and the
  1-D/3-D analogues), converted here and nowhere else;
* padding: torch's ``"same"`` is ``"SAME"`` (extra sample at the end), ``"valid"`` is
  ``"VALID"``; explicit pads become ``(low, high)`` pairs, except that pads equal to what
  ``"SAME"`` or ``"SAME_LOWER"`` would give for the stride (`framework_same_pads`) are passed
  as that string, so both strings are exercised with strides;
* transposed: torch's ``conv_transpose(x, w, stride=s, padding=p, output_padding=op)`` is
  ``conv_general_dilated(x, w', window_strides=1, padding=(d(k-1)-p, d(k-1)-p+op),
  lhs_dilation=s, rhs_dilation=d)`` with ``w'`` the kernel flipped and its in/out channels
  swapped within each group;
* bias: added to the result in the problem's dtype.

Known issue: on the CPU a non-finite input of one feature group reaches the other groups' outputs.

JAX computes in 32 bits unless 64-bit mode is on. This adapter turns it on around its own calls
only (``jax.enable_x64``, thread-local: the caller's JAX keeps its own setting), unless the
environment sets ``JAX_ENABLE_X64`` to a false value; then float64 is computed in float32, and
`Backend.computing_dtype` (shown in reports) says so.
``jax.numpy.correlate`` conjugates its second argument and puts the extra 'same' sample at
the start, like NumPy; ``convolve`` flips the kernel. Unlike NumPy's, both return floats for
integer input, so their backends declare no integer dtype (a catalogued belief shows it).
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from conv_equivalence.backends import COMPLEX_DTYPES, FLOAT_DTYPES, Backend, Capabilities, DtypeRule, KnownIssue, register
from conv_equivalence.backends._signal import SAME_EXTRA_AT_START, as_output, choose_mode, conj, flip, signals, zero_pad
from conv_equivalence.problem import ConvProblem, ConvSpec

_FALSE = ("0", "false", "no", "off")
SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def _jax() -> Any:
    import jax

    return jax


def _x64() -> bool:
    """Whether 64-bit types are computed in 64 bits: yes unless ``JAX_ENABLE_X64`` says no."""
    return os.environ.get("JAX_ENABLE_X64", "").lower() not in _FALSE


@contextlib.contextmanager
def x64_scope() -> Iterator[Any]:
    """JAX with 64-bit mode as `_x64` says, for this block and thread only; yields the module."""
    jax = _jax()
    scope: Any = getattr(jax, "enable_x64", None)  # a config State, which refuses bool()
    if scope is None:  # JAX before 0.6
        scope = importlib.import_module("jax.experimental").enable_x64
    with scope(_x64()):
        yield jax


def _jnp_result(a: np.dtype, b: np.dtype) -> np.dtype:
    with x64_scope() as jax:
        promoted = np.dtype(jax.numpy.promote_types(a, b))  # JAX's lattice, not numpy's: int16 + float16 is float16
    if promoted.kind in "biu":  # integers and booleans are made inexact first
        return np.dtype(np.float64 if promoted.itemsize == 8 else np.float32)
    return promoted


NUMPY_DTYPE_RULE = DtypeRule(
    _jnp_result, "wrap", lambda result: result,
    "jax.numpy.correlate/convolve promote by JAX's type-promotion lattice (jax.numpy.promote_types: an integer "
    "with a float takes the float's width, int16 + float16 is float16 where numpy says float32), then make the "
    "result inexact: integer and bool operands give float32 (float64 from a 64-bit integer), in 64-bit mode; "
    "floats round in the result dtype",
)
"""jax.numpy.correlate/convolve (verified on jax 0.10.2 with jax_enable_x64 for every pair of bool, int8/16/32/64,
uint8, float16/32/64 and complex64/128 operands)."""


def computing_dtype(dtype: str) -> str:
    """Without 64-bit mode JAX silently computes 64-bit types in 32 bits."""
    if _x64():
        return dtype
    return {"float64": "float32", "complex128": "complex64", "int64": "int32"}.get(dtype, dtype)


def jax_array(values: np.ndarray, dtype: str) -> Any:
    """A JAX array of ``dtype`` (call inside `x64_scope`)."""
    jnp = _jax().numpy
    return jnp.asarray(values, dtype=getattr(jnp, computing_dtype(dtype)))


def dimension_numbers(ndim: int, channels_last: bool) -> tuple[str, str, str]:
    """``(lhs, rhs, out)`` specs: ``NCHW``/``OIHW`` or ``NHWC``/``HWIO`` (and the 1-D, 3-D analogues)."""
    sp = SPATIAL[ndim]
    return (f"N{sp}C", f"{sp}IO", f"N{sp}C") if channels_last else (f"NC{sp}", f"OI{sp}", f"NC{sp}")


def padding_argument(problem: ConvProblem) -> str | list[tuple[int, int]]:
    """``"SAME"``, ``"SAME_LOWER"``, ``"VALID"`` or explicit ``(low, high)`` pairs for this problem."""
    return problem.framework_padding() or list(problem.spec.pads(problem.weight.shape[2:]))


def transposed_as_forward(weight: np.ndarray, groups: int) -> np.ndarray:
    """torch's transposed weight ``(C_in, C_out/g, *K)`` as a forward ``(C_out, C_in/g, *K)`` kernel, flipped."""
    c_in, c_out_g, *kernel = weight.shape
    w = weight.reshape(groups, c_in // groups, c_out_g, *kernel).swapaxes(1, 2)
    w = w.reshape(groups * c_out_g, c_in // groups, *kernel)
    return np.flip(w, axis=tuple(range(2, w.ndim)))


def conv_general_dilated(problem: ConvProblem) -> np.ndarray:
    with x64_scope() as jax:
        return _conv_general_dilated(jax, problem)


def _conv_general_dilated(jax: Any, problem: ConvProblem) -> np.ndarray:
    s, nd = problem.spec, problem.spec.ndim
    channels_last = problem.layout == "channels_last"
    move_in = (0, *range(2, nd + 2), 1)  # NC... -> N...C
    x, w = problem.x, problem.weight
    if s.transposed:
        kernel = w.shape[2:]
        w = transposed_as_forward(w, s.groups)
        padding: Any = [(d * (k - 1) - p, d * (k - 1) - p + op)
                        for k, d, p, op in zip(kernel, s.dilation, s.int_padding, s.output_padding)]
        strides, lhs_dilation = (1,) * nd, s.stride
    else:
        padding, strides, lhs_dilation = padding_argument(problem), s.stride, (1,) * nd
    if channels_last:
        x, w = x.transpose(move_in), w.transpose((*range(2, nd + 2), 1, 0))  # OI... -> ...IO
    precision = jax.lax.Precision.HIGHEST
    out = jax.lax.conv_general_dilated(
        jax_array(x, problem.dtype), jax_array(w, problem.dtype), strides, padding, lhs_dilation=lhs_dilation,
        rhs_dilation=s.dilation, dimension_numbers=dimension_numbers(nd, channels_last),
        feature_group_count=s.groups, precision=precision,
    )
    if problem.bias is not None:
        shape = (1,) * (nd + 1) + (-1,) if channels_last else (1, -1) + (1,) * nd
        out = out + jax_array(problem.bias, problem.dtype).reshape(shape)
    y = np.asarray(out.astype("float32") if problem.dtype == "bfloat16" else out)
    return np.moveaxis(y, -1, 1) if channels_last else y


def _jnp(function: str) -> Callable[[ConvProblem], np.ndarray]:
    def run(problem: ConvProblem) -> np.ndarray:
        x, k = signals(problem)
        mode, pads = choose_mode(problem, SAME_EXTRA_AT_START)
        v = flip(k[0]) if function == "convolve" else conj(k[0])
        with x64_scope() as jax:
            fn = getattr(jax.numpy, function)
            y = fn(jax_array(zero_pad(x, pads)[0], problem.dtype), jax_array(v, problem.dtype), mode=mode,
                   precision=jax.lax.Precision.HIGHEST)
            return as_output(np.asarray(y)[None])

    return run


def _grouped_nonfinite_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(1, groups=2), np.array([[[np.inf], [0.0]]]), np.ones((2, 1, 1)))


GROUPED_NONFINITE = KnownIssue(
    "jax-cpu-grouped-conv-mixes-groups",
    "XLA's CPU convolution with feature_group_count > 1 lets a non-finite input of one group reach the other "
    "groups' outputs (as 0 * inf = NaN, as if the groups were one convolution with a block-diagonal kernel): "
    "groups=2, x=[[inf], [0]], w=ones(2,1,1) gives [inf, nan], not [inf, 0]",
    lambda problem: problem.spec.groups > 1 and not (np.isfinite(problem.x).all() and np.isfinite(problem.weight).all()),
    _grouped_nonfinite_example,
    verified_with="jaxlib==0.10.2",
    script="""
    jax.config.update("jax_enable_x64", True)
    x, w = np.array([[[np.inf], [0.0]]]), np.ones((2, 1, 1))
    # group 0: inf * 1; group 1: 0 * 1, which never sees the inf
    expected = np.array([[[np.inf], [0.0]]])
    actual = np.asarray(jax.lax.conv_general_dilated(x, w, (1,), "VALID", feature_group_count=2))
    """,
    reported='not found in the tracker (searched 2026-11-25)',
)

def _grouped_nonfinite_transposed_example() -> ConvProblem:
    spec = ConvSpec.create(1, groups=2, transposed=True)
    return ConvProblem(spec, np.array([[[np.inf], [0.0]]]), np.ones((2, 1, 1)))


GROUPED_NONFINITE_TRANSPOSED = KnownIssue(
    GROUPED_NONFINITE.id + "-transposed",
    GROUPED_NONFINITE.summary.replace("groups=2,", "conv_transpose with groups=2,"),
    GROUPED_NONFINITE.matches,
    _grouped_nonfinite_transposed_example,
    verified_with="jaxlib==0.10.2",
    script="""
    jax.config.update("jax_enable_x64", True)
    x, w = np.array([[[np.inf], [0.0]]]), np.ones((2, 1, 1))
    # conv_transpose1d(x, w, groups=2) as lax computes it (lhs_dilation = stride, flipped kernel):
    # group 0: inf * 1; group 1: 0 * 1
    expected = np.array([[[np.inf], [0.0]]])
    actual = np.asarray(jax.lax.conv_general_dilated(x, w, (1,), [(0, 0)], lhs_dilation=(1,), feature_group_count=2))
    """,
    reported='not found in the tracker (searched 2026-11-25)',
)

def _transpose_padding_example() -> ConvProblem:
    spec = ConvSpec.create(1, transposed=True)
    return ConvProblem(spec, np.zeros((1, 1, 3)), np.array([[[1.0, np.nan, np.nan]]]), dtype="float32")


TRANSPOSE_MULTIPLIES_ZEROS = KnownIssue(
    "jax-transpose-multiplies-inserted-zeros",
    "XLA's CPU transposed convolution (conv_general_dilated with lhs_dilation=stride, the flipped kernel and "
    "d*(k-1) padding, as jax.lax.conv_transpose computes it) multiplies the padding by the weights in float32, "
    "float16 and bfloat16 (float64 is right), so a non-finite weight reaches outputs that the scatter definition "
    "leaves finite: conv_transpose1d(zeros(1,1,3), [[[1, nan, nan]]]) in float32 is [0, nan, nan, nan, nan] in "
    "torch, [nan, nan, nan, nan, nan] through jax.lax",
    lambda problem: problem.dtype != "float64" and not np.isfinite(problem.weight).all(),
    _transpose_padding_example,
    verified_with="jaxlib==0.10.2",
    script="""
    x = np.zeros((1, 1, 3), dtype=np.float32)
    w = np.array([[[1.0, np.nan, np.nan]]], dtype=np.float32)
    # conv_transpose1d(x, w): out[i + j] += x[i] w[j]; out[0] = x[0] w[0] = 0 meets no NaN
    expected = np.array([[[0.0, np.nan, np.nan, np.nan, np.nan]]])
    # as jax.lax.conv_transpose computes it: flipped kernel, d (k - 1) = 2 padding on each side
    actual = np.asarray(jax.lax.conv_general_dilated(x, w[:, :, ::-1], (1,), [(2, 2)], lhs_dilation=(1,)))
    """,
    reported="not found (jax#32267 is conv_transpose's explicit padding, a different defect) (searched 2026-11-25)",
)

def _swapped_padding_example() -> ConvProblem:
    spec = ConvSpec.create(1, padding=3)
    return ConvProblem(spec, np.array([[[0.0, np.nan, np.nan]]]), np.ones((1, 1, 4)), dtype="float32")


NUMPY_SWAP_MULTIPLIES_PADDING = KnownIssue(
    "jax-numpy-shorter-input-multiplies-padding",
    "jax.numpy.correlate/convolve, like numpy, swap the operands when the kernel is the longer, so the input "
    "becomes the kernel; XLA's CPU float32 kernel then multiplies the zero padding by it (the belief "
    "jax-numpy-correlate-forms-only-defined-products), and a NaN in the input reaches outputs its window never "
    "holds: correlate([0, nan, nan], [1, 1, 1, 1], 'full') is all NaN, not [0, nan, nan, nan, nan, nan] "
    "(float64 is right)",
    lambda problem: (problem.dtype == "float32" and problem.x.shape[-1] < problem.weight.shape[-1]
                     and problem.zero_padded and not np.isfinite(problem.x).all()),
    _swapped_padding_example,
    verified_with="jaxlib==0.10.2",
    script="""
    a = np.array([0.0, np.nan, np.nan], dtype=np.float32)
    v = np.ones(4, dtype=np.float32)
    # out[i] = sum_j a[i + j - 3] v[j] over the existing a only: out[0] = a[0] = 0 meets no NaN
    expected = np.array([0.0, np.nan, np.nan, np.nan, np.nan, np.nan])
    actual = np.asarray(jax.numpy.correlate(a, v, "full"))
    """,
    reported="not found (searched 2026-12-04)",
)


_DTYPES = FLOAT_DTYPES + COMPLEX_DTYPES + ("int32", "int64")
_common: dict[str, Any] = dict(dtypes=_DTYPES, empty_batch=True, channels=True, groups=True, stride=True,
                               dilation=True, bias=True, layouts=("contiguous", "channels_last"))
register(Backend(
    "jax.lax.conv_general_dilated", "jax", "jax.lax.conv_general_dilated (NCHW/OIHW or NHWC/HWIO), float64 with jax_enable_x64",
    Capabilities(padding_strings=("same", "valid"), padding_pairs=True, **_common),
    conv_general_dilated, computing_dtype=computing_dtype, known_issues=(GROUPED_NONFINITE,),
))
register(Backend(
    "jax.lax.conv_general_dilated[transpose]", "jax",
    "torch's conv_transpose as jax.lax.conv_general_dilated with lhs_dilation=stride and the flipped kernel",
    Capabilities(transposed=True, **_common), conv_general_dilated, computing_dtype=computing_dtype,
    known_issues=(GROUPED_NONFINITE_TRANSPOSED, TRANSPOSE_MULTIPLIES_ZEROS),
))
for function in ("correlate", "convolve"):
    register(Backend(
        f"jax.numpy.{function}", "jax", f"jax.numpy.{function} (1-D)",
        # Integer inputs come back as floats (the belief jax-numpy-convolve-keeps-integer-dtype).
        Capabilities(ranks=(1,), dtypes=("float32", "float64") + COMPLEX_DTYPES, batch=False, padding_pairs=True),
        _jnp(function), computing_dtype=computing_dtype, known_issues=(NUMPY_SWAP_MULTIPLIES_PADDING,),
    ))
