"""MLX (``mlx.core``, CPU): ``conv_general``, ``conv1d``/``conv2d``/``conv3d``,
``conv_transpose1d``/``2d``/``3d`` and the 1-D ``convolve``.

The convention, read in MLX 0.32's documentation and checked here against the oracle:

* layout: channels-last. The input is ``(N, *spatial, C_in)`` and the forward weight
  ``(C_out, *kernel, C_in/groups)``; the result is ``(N, *spatial, C_out)``. The conversions from
  torch's ``(N, C, *S)``/``(O, I/g, *K)`` happen here and nowhere else;
* orientation: a cross-correlation, as torch's. ``conv_general(..., flip=True)`` flips the kernel
  on every spatial axis (the convolution operator); nothing else changes;
* padding: ``conv_general`` takes ``(low, high)`` lists, one entry an axis, so every torch padding
  (ints, pairs, 'same' with the extra sample at the end, 'valid') is passed as pairs; ``convNd``
  take one symmetric int an axis, so they compute the problems whose pads are symmetric. There
  are no padding modes (zeros only) and no bias argument: a bias is added to the result here, in
  the problem's dtype;
* transposed: ``conv_transposeNd(x, w', stride, padding, dilation, output_padding, groups)`` is
  torch's ``conv_transposeNd`` with ``w'`` the torch weight ``(C_in, C_out/g, *K)`` regrouped as
  ``(C_out, *K, C_in/g)`` (in/out channels swapped within each group, no flip). MLX also accepts an
  ``output_padding`` not smaller than the stride, which torch refuses (the native identity checks
  it: the extra samples are zeros). ``conv_general`` computes the same with ``input_dilation=stride``,
  pads ``(d(k-1) - p, d(k-1) - p + op)`` (negative pads crop) and ``flip=True``;
* groups: only in 1-D and 2-D (3-D raises "Can only handle groups != 1 in 1D or 2D");
* dtypes: float16, bfloat16, float32, and float64 on the CPU; but float64 is computed in float32 (the
  result has dtype float64 and float32's values: conv1d([2**24 + 1], [1]) is 2**24; other float64 ops
  are exact: the known issue ``mlx-cpu-float64-conv-in-float32``), so `computing_dtype` says float32, and float64 runs only on
  the plain paths: kernel dilation, input dilation (so a strided transpose), 2-D groups and ``flip=True``
  with groups (so a grouped transpose) raise "[Convolution::eval] got unsupported data type" (declared); integer and complex inputs raise
  ("Convolution currently only supports floating point types"). ``mx.array(float64 data)`` without
  ``dtype=`` makes float32 (MLX's default float type), so the dtype is always named here.

``mlx.core.convolve(a, v, mode)`` is NumPy's ``np.convolve`` for 1-D float arrays: the kernel is
flipped, the operands are swapped when ``v`` is the longer, and ``'same'`` returns ``max(len(a),
len(v))`` samples centred as NumPy centres them (the extra sample of an even kernel first). Padding
that no mode expresses is applied to the input here, with zeros, before a ``'valid'`` call.
Results are evaluated (``np.array`` forces MLX's lazy graph) before they are compared.

Known issues (mlx 0.32.4, CPU): float64 computed in float32; the dilated and the grouped 2-D convolutions
leave the zero padding out of their sums (a NaN weight over it gives 0); the transposed convolutions multiply
their padding (a NaN weight reaches outputs the scatter leaves finite); a negative pad is applied before the
input dilation (conv_transpose with padding > dilation*(k-1) and a stride: wrong length and values);
``convolve`` with the longer ``v`` multiplies the padding by ``a``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from conv_equivalence.backends import Backend, Capabilities, KnownIssue, register
from conv_equivalence.backends._signal import SAME_EXTRA_AT_START, as_output, choose_mode, flip, zero_pad
from conv_equivalence.problem import ConvProblem, ConvSpec

DTYPES = ("float16", "bfloat16", "float32", "float64")


def _mx() -> Any:
    import mlx.core

    return mlx.core


def mx_array(values: np.ndarray, dtype: str) -> Any:
    """An MLX array of ``dtype`` (bfloat16 through float32, which holds its values exactly)."""
    mx = _mx()
    # A fresh C-ordered copy (MLX refuses negative strides), and the dtype named: mx.array(float64 data)
    # alone makes float32, MLX's default float type.
    carrier = np.array(values, dtype=np.float32 if dtype == "bfloat16" else np.dtype(dtype), order="C", copy=True)
    return mx.array(carrier, dtype=getattr(mx, dtype))


def to_numpy(y: Any, dtype: str) -> np.ndarray:
    """An MLX array back to NumPy, evaluated; bfloat16 as float32."""
    mx = _mx()
    return np.array(y.astype(mx.float32) if dtype == "bfloat16" else y)


def channels_last(x: np.ndarray) -> np.ndarray:
    return np.moveaxis(x, 1, -1)


def forward_weight(w: np.ndarray) -> np.ndarray:
    """torch's ``(C_out, C_in/g, *K)`` as MLX's ``(C_out, *K, C_in/g)``."""
    return np.moveaxis(w, 1, -1)


def transposed_weight(w: np.ndarray, groups: int) -> np.ndarray:
    """torch's transposed weight ``(C_in, C_out/g, *K)`` as MLX's ``(C_out, *K, C_in/g)`` (no flip)."""
    c_in, c_out_g, *kernel = w.shape
    regrouped = w.reshape(groups, c_in // groups, c_out_g, *kernel).swapaxes(1, 2)
    return forward_weight(regrouped.reshape(groups * c_out_g, c_in // groups, *kernel))


def _finish(y: Any, problem: ConvProblem) -> np.ndarray:
    mx = _mx()
    if problem.bias is not None:
        y = mx.add(y, mx_array(problem.bias, problem.dtype))  # broadcast over the last (channel) axis
    return np.moveaxis(to_numpy(y, problem.dtype), -1, 1)


def conv_general(problem: ConvProblem) -> np.ndarray:
    mx = _mx()
    s, nd = problem.spec, problem.spec.ndim
    x = mx_array(channels_last(problem.x), problem.dtype)
    if s.transposed:
        kernel = problem.weight.shape[2:]
        w = transposed_weight(problem.weight, s.groups)
        low = [d * (k - 1) - p for k, d, p in zip(kernel, s.dilation, s.int_padding)]
        high = [lo + op for lo, op in zip(low, s.output_padding)]
        y = mx.conv_general(x, mx_array(w, problem.dtype), stride=[1] * nd, padding=(low, high),
                            kernel_dilation=list(s.dilation), input_dilation=list(s.stride), groups=s.groups,
                            flip=True, stream=mx.cpu)
    else:
        pads = s.pads(problem.weight.shape[2:])
        y = mx.conv_general(x, mx_array(forward_weight(problem.weight), problem.dtype), stride=list(s.stride),
                            padding=([lo for lo, _ in pads], [hi for _, hi in pads]), kernel_dilation=list(s.dilation),
                            groups=s.groups, stream=mx.cpu)
    return _finish(y, problem)


def _per_axis(values: tuple[int, ...]) -> int | tuple[int, ...]:
    """conv1d takes ints, conv2d/conv3d tuples."""
    return values[0] if len(values) == 1 else tuple(values)


def conv_nd(problem: ConvProblem) -> np.ndarray:
    mx = _mx()
    s, nd = problem.spec, problem.spec.ndim
    x = mx_array(channels_last(problem.x), problem.dtype)
    if s.transposed:
        w = mx_array(transposed_weight(problem.weight, s.groups), problem.dtype)
        y = getattr(mx, f"conv_transpose{nd}d")(x, w, stride=_per_axis(s.stride), padding=_per_axis(s.int_padding),
                                                dilation=_per_axis(s.dilation), output_padding=_per_axis(s.output_padding),
                                                groups=s.groups, stream=mx.cpu)
    else:
        pads = s.pads(problem.weight.shape[2:])
        y = getattr(mx, f"conv{nd}d")(x, mx_array(forward_weight(problem.weight), problem.dtype),
                                      stride=_per_axis(s.stride), padding=_per_axis(tuple(lo for lo, _ in pads)),
                                      dilation=_per_axis(s.dilation), groups=s.groups, stream=mx.cpu)
    return _finish(y, problem)


def convolve(problem: ConvProblem) -> np.ndarray:
    mx = _mx()
    x, k = problem.x[:, 0], problem.weight[0, 0]  # float64 carriers; mx_array makes the problem's dtype
    mode, pads = choose_mode(problem, SAME_EXTRA_AT_START)
    v = mx_array(flip(k), problem.dtype)  # convolve flips its kernel: hand it the flipped one
    rows = [to_numpy(mx.convolve(mx_array(row, problem.dtype), v, mode=mode, stream=mx.cpu), problem.dtype)
            for row in zero_pad(x, pads)]
    n_out = problem.output_shape[-1]
    return as_output(np.stack(rows) if rows else np.zeros((0, n_out), dtype=np.float32 if problem.dtype == "bfloat16"
                                                             else np.dtype(problem.dtype)))


def _groups_rule(extra: Callable[[ConvProblem], str | None] | None = None, *,
                 flipped: bool = False) -> Callable[[ConvProblem], str | None]:
    """MLX's refusals: groups in 3-D, and float64 off its plain path (``flipped``: the call passes ``flip=True``,
    as conv_transposeNd does inside)."""
    def rule(problem: ConvProblem) -> str | None:
        s = problem.spec
        if s.ndim == 3 and s.groups > 1:
            return "unsupported: groups > 1 in 3-D (MLX: 'Can only handle groups != 1 in 1D or 2D convolutions')"
        if problem.dtype == "float64" and (any(d > 1 for d in s.dilation) or (s.transposed and any(v > 1 for v in s.stride))
                                           or (s.groups > 1 and (s.ndim == 2 or flipped))):
            return ("unsupported: float64 with dilation, a strided transpose (input dilation), 2-D groups or flip with "
                    "groups (MLX's CPU: '[Convolution::eval] got unsupported data type')")
        return None if extra is None else extra(problem)

    return rule


def computing_dtype(dtype: str) -> str:
    """MLX's CPU convolutions compute float64 in float32 (the known issue ``mlx-cpu-float64-conv-in-float32``):
    the float64 problems it leaves in are judged by float32's rounding."""
    return "float32" if dtype == "float64" else dtype


FLOAT32_SAFE = 2.0**60
"""Magnitudes in [2**-60, 2**60] (and 0) keep every product and sum of the strategies' small problems inside
float32's normal range, so a float64 problem holding only float32 values of such size is rounded as in float32."""


def _beyond_float32(problem: ConvProblem) -> bool:
    if problem.dtype != "float64":
        return False
    for array in (problem.x, problem.weight, problem.bias):
        if array is None:
            continue
        finite = array[np.isfinite(array)]
        size = np.abs(finite)
        with np.errstate(over="ignore"):
            rounded = finite.astype(np.float32).astype(np.float64)
        if (rounded != finite).any() or (size > FLOAT32_SAFE).any() or ((size > 0) & (size < 1 / FLOAT32_SAFE)).any():
            return True
    return False


def _float64_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(1), np.array([[[1e39]]]), np.ones((1, 1, 1)), dtype="float64")


FLOAT64_IN_FLOAT32 = KnownIssue(
    "mlx-cpu-float64-conv-in-float32",
    "MLX's CPU convolutions (conv_general, convNd, conv_transposeNd, convolve) accept float64 and return float64, "
    "but compute in float32 (other float64 ops, matmul and sum among them, are exact): conv1d([2**24 + 1], [1]) is "
    "2**24, conv1d([1e39], [1]) is inf and conv1d([1e-50], [1]) is 0. The generated float64 problems leave out "
    "every value that float32 does not hold exactly or that lies outside [2**-60, 2**60]; the rest are judged by "
    "float32's rounding",
    _beyond_float32,
    _float64_example,
    verified_with="mlx==0.32.4",
    script="""
    x = mlx.core.array(np.array([[[1e39]]]), dtype=mlx.core.float64)  # (N, L, C); 1e39 is a float64, beyond float32's range
    w = mlx.core.ones((1, 1, 1), dtype=mlx.core.float64)
    # out[0] = x[0] * w[0] = 1e39, exactly, in float64
    expected = np.array([1e39])
    actual = np.array(mlx.core.conv1d(x, w, stream=mlx.core.cpu)).ravel()
    """,
    reported=("not found in ml-explore/mlx (searched 2026-12-06: 'conv float64 precision computed in float32 cpu', "
              "'conv1d conv2d float64 result rounded float32'); related open report mlx#3047 (some CPU ops, exp, sin, "
              "cos, erf, use float32 approximations for float64), and the closed mlx#4158/#4159 of the same family"),
)


def _float64_transposed_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(1, transposed=True), np.array([[[1e39]]]), np.ones((1, 1, 1)), dtype="float64")


FLOAT64_IN_FLOAT32_TRANSPOSED = dataclasses.replace(
    FLOAT64_IN_FLOAT32, id=FLOAT64_IN_FLOAT32.id + "-transposed", example=_float64_transposed_example,
    script=FLOAT64_IN_FLOAT32.script.replace("mx.conv1d(x, w", "mx.conv_transpose1d(x, w"))


def _symmetric(problem: ConvProblem) -> str | None:
    if any(lo != hi for lo, hi in problem.spec.pads(problem.weight.shape[2:])):
        return "unsupported: asymmetric padding (conv1d/2d/3d take one int an axis)"
    return None


def _crop_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(1, stride=2, padding=1, transposed=True), np.array([[[1.0, 2.0, 3.0]]]),
                       np.ones((1, 1, 1)), dtype="float32")


CROPS_BEFORE_DILATION = KnownIssue(
    "mlx-negative-padding-crops-before-input-dilation",
    "MLX's conv_general applies a negative padding to the input before its input_dilation (it drops whole input "
    "samples, where the padding of the dilated input drops the inserted zeros first), and conv_transposeNd, which "
    "pads by dilation*(k-1) - padding, inherits it: whenever padding > dilation*(k-1) on a strided axis the result "
    "has the wrong length and values, or a shorter input raises: conv_transpose1d([1, 2, 3], ones(1), stride=2, "
    "padding=1) is [2], not [0, 2, 0]",
    lambda problem: problem.spec.transposed and any(
        p > d * (k - 1) and s > 1 for p, d, k, s in zip(problem.spec.int_padding, problem.spec.dilation,
                                                       problem.weight.shape[2:], problem.spec.stride)),
    _crop_example,
    verified_with="mlx==0.32.4",
    script="""
    x = mlx.core.array(np.array([[[1.0], [2.0], [3.0]]], dtype=np.float32))  # (N, L, C)
    w = mlx.core.ones((1, 1, 1))
    # scatter out[2 i + j - 1] += x[i] w[j]: the upsampled [1, 0, 2, 0, 3] without its first and last samples
    expected = np.array([0.0, 2.0, 0.0])
    actual = np.array(mlx.core.conv_transpose1d(x, w, stride=2, padding=1)).ravel()
    """,
    reported=("not found in ml-explore/mlx (searched 2026-12-06: 'conv_transpose padding', 'conv_general negative "
              "padding input_dilation'); described, and worked around, downstream in tillahoffmann/jax-mps#150 "
              "(MLX slices the input for negative padding before applying input_dilation)"),
)


def _skips_padding_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(1, padding=2, dilation=2), np.zeros((1, 1, 1)), np.array([[[np.nan, 1.0]]]),
                       dtype="float32")


def _skips_padding(problem: ConvProblem) -> bool:
    s = problem.spec
    return (not s.transposed and (any(d > 1 for d in s.dilation) or (s.ndim == 2 and s.groups > 1))
            and problem.zero_padded and not np.isfinite(problem.weight).all())


SKIPS_PADDING = KnownIssue(
    "mlx-cpu-conv-skips-zero-padding",
    "MLX's CPU convolution with kernel_dilation > 1, or 2-D with groups > 1, leaves the zero padding out of its sums, "
    "where the plain one multiplies it (nan * 0 is NaN): a NaN or inf weight over the padding gives a finite value. "
    "conv1d(zeros(1,1,1), [nan, 1], padding=2, dilation=2) is [0, 0, nan], not [nan, nan, nan]; "
    "conv2d(zeros(1,2,2,2), w with one NaN tap, padding=1, groups=2) is 0 on the first row and column "
    "(float16, bfloat16 and float32; float64 refuses both paths)",
    _skips_padding,
    _skips_padding_example,
    verified_with="mlx==0.32.4",
    script="""
    x = mlx.core.zeros((1, 1, 1))  # (N, L, C)
    w = mlx.core.array(np.array([[[np.nan], [1.0]]], dtype=np.float32))  # (C_out, K, C_in)
    # padded xp = [0, 0, x0, 0, 0]; out[o] = w[0] xp[o] + w[1] xp[o + 2]: nan * 0 is NaN at every o
    expected = np.array([np.nan, np.nan, np.nan])
    actual = np.array(mlx.core.conv1d(x, w, padding=2, dilation=2, stream=mlx.core.cpu)).ravel()
    """,
    reported="not found in ml-explore/mlx (searched 2026-12-06: 'conv dilation nan padding cpu')",
)


def _transpose_padding_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(1, transposed=True), np.zeros((1, 1, 1)), np.array([[[1.0, np.nan]]]),
                       dtype="float32")


TRANSPOSE_MULTIPLIES_PADDING = KnownIssue(
    "mlx-transpose-multiplies-padding",
    "MLX's conv_transposeNd (a flipped convolution of the input padded by dilation*(k-1) - padding, dilated by the "
    "stride) multiplies that padding and the inserted zeros by the weights, so a NaN or inf weight reaches outputs "
    "that the scatter definition (torch's conv_transpose, the adjoint of conv) leaves finite: "
    "conv_transpose1d(zeros(1,1,1), [[[1, nan]]]) is [nan, nan], not [0, nan] (every float dtype)",
    lambda problem: problem.spec.transposed and not np.isfinite(problem.weight).all(),
    _transpose_padding_example,
    verified_with="mlx==0.32.4",
    script="""
    x = mlx.core.zeros((1, 1, 1))  # (N, L, C_in)
    w = mlx.core.array(np.array([[[1.0], [np.nan]]], dtype=np.float32))  # (C_out, K, C_in)
    # out[i + j] += x[i] w[j]: out[0] = x[0] * 1 = 0 meets no NaN, out[1] = x[0] * nan
    expected = np.array([0.0, np.nan])
    actual = np.array(mlx.core.conv_transpose1d(x, w, stream=mlx.core.cpu)).ravel()
    """,
    reported="not found in ml-explore/mlx (searched 2026-12-06); the same defect in jax.lax is the known issue "
             "jax-transpose-multiplies-inserted-zeros",
)


def _swap_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(1, padding=3), np.array([[[0.0, np.nan]]]), np.ones((1, 1, 4)), dtype="float32")


CONVOLVE_SWAP_MULTIPLIES_PADDING = KnownIssue(
    "mlx-convolve-shorter-input-multiplies-padding",
    "mlx.core.convolve, like numpy, swaps the operands when v is the longer, so a becomes the kernel; MLX's "
    "convolution then multiplies the zero padding by it, and a NaN or inf in a reaches outputs whose terms never "
    "hold it: convolve([0, nan], [1, 1, 1, 1]) is all NaN, not numpy's [0, nan, nan, nan, nan] (float16, bfloat16, "
    "float32)",
    lambda problem: (problem.x.shape[-1] < problem.weight.shape[-1] and problem.zero_padded
                     and not np.isfinite(problem.x).all()),
    _swap_example,
    verified_with="mlx==0.32.4",
    script="""
    a = mlx.core.array(np.array([0.0, np.nan], dtype=np.float32))
    v = mlx.core.ones((4,))
    # out[n] = sum_m a[m] v[n - m] over the existing a only: out[0] = a[0] v[0] = 0 meets no NaN
    expected = np.array([0.0, np.nan, np.nan, np.nan, np.nan])
    actual = np.array(mlx.core.convolve(a, v, stream=mlx.core.cpu))
    """,
    reported="not found in ml-explore/mlx (searched 2026-12-06: 'mlx.core.convolve nan swapped operands'); the "
             "same defect in jax.numpy is the known issue jax-numpy-shorter-input-multiplies-padding",
)

_TRANSPOSE_ISSUES = (FLOAT64_IN_FLOAT32_TRANSPOSED, CROPS_BEFORE_DILATION, TRANSPOSE_MULTIPLIES_PADDING)
_common: dict[str, Any] = dict(dtypes=DTYPES, empty_batch=True, channels=True, groups=True, stride=True,
                               dilation=True, bias=True, multiplies_zero_padding=True)
register(Backend(
    "mlx.core.conv_general", "mlx.core",
    "mlx.core.conv_general (channels-last, (low, high) padding pairs, flip=False: correlation) on the CPU",
    Capabilities(padding_strings=("same", "valid"), padding_pairs=True, extra_rule=_groups_rule(), **_common),
    conv_general, computing_dtype=computing_dtype, known_issues=(FLOAT64_IN_FLOAT32, SKIPS_PADDING),
))
register(Backend(
    "mlx.core.conv_general[transpose]", "mlx.core",
    "torch's conv_transpose as mlx.core.conv_general with input_dilation=stride and flip=True",
    Capabilities(transposed=True, extra_rule=_groups_rule(flipped=True), **_common), conv_general,
    computing_dtype=computing_dtype, known_issues=_TRANSPOSE_ISSUES,
))
register(Backend(
    "mlx.core.conv", "mlx.core", "mlx.core.conv1d/conv2d/conv3d (channels-last, symmetric padding) on the CPU",
    Capabilities(padding_strings=("same", "valid"), extra_rule=_groups_rule(_symmetric), **_common),
    conv_nd, computing_dtype=computing_dtype, known_issues=(FLOAT64_IN_FLOAT32, SKIPS_PADDING),
))
register(Backend(
    "mlx.core.conv_transpose", "mlx.core",
    "mlx.core.conv_transpose1d/2d/3d (weight (C_out, *K, C_in/g)) on the CPU",
    Capabilities(transposed=True, extra_rule=_groups_rule(flipped=True), **_common), conv_nd,
    computing_dtype=computing_dtype, known_issues=_TRANSPOSE_ISSUES,
))
register(Backend(
    "mlx.core.convolve", "mlx.core", "mlx.core.convolve (1-D, NumPy's modes) of the flipped kernel",
    Capabilities(ranks=(1,), dtypes=DTYPES, padding_pairs=True), convolve, computing_dtype=computing_dtype,
    known_issues=(FLOAT64_IN_FLOAT32, CONVOLVE_SWAP_MULTIPLIES_PADDING),
))
