"""The NumPy reference oracle: convolution as its definition, vectorised.

Deep-learning convolution (``torch.nn.functional.conv1d/2d/3d``) is cross-correlation::

    out[n, o, i] = bias[o] + sum_{c, j} w[o, c, j] * xp[n, g*C_in/groups + c, i*stride + j*dilation]

with ``g = o // (C_out/groups)`` the group of output channel ``o``, ``xp`` the input padded as
``padding``/``padding_mode`` say, ``i`` and ``j`` multi-indices over the spatial axes.

Signal-processing ``convolve`` flips the kernel and ``correlate`` conjugates it
(``scipy.signal`` semantics)::

    convolve(a, v)[k]  = sum_j a[k - j] * v[j]
    correlate(a, v)[k] = sum_j a[k + j - (len(v) - 1)] * conj(v[j])      ('full' indexing)

Arithmetic, the same for every function here:

* integer inputs give exact integers: ``int64`` when ``max|x| * max|w| * terms + max|bias|``
  fits in ``int64``, otherwise an ``object`` array of Python ints (never a wrapped value);
* any real floating input makes the result ``float64`` (computed in float64); any complex
  input makes it ``complex128``;
* NaN and infinity propagate as IEEE arithmetic says (``0 * inf`` is NaN): inputs with a
  non-finite value (and small problems, where it is faster) are summed by ``numpy.einsum``'s
  own loop, which evaluates every product, instead of BLAS, which may skip zeros.

Booleans, strings, datetimes and other non-numeric dtypes raise ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from conv_equivalence.boundary import numpy_pad_mode
from conv_equivalence.problem import ConvProblem, ConvSpec, IntOrTuple, Padding, Pairs

__all__ = ["conv", "conv_transpose", "correlate", "convolve", "result_dtype", "solve"]

_INT64_MAX = np.iinfo(np.int64).max
_BLAS_FROM = 200_000  # multiply-adds from which im2col + BLAS beats einsum's loop
_MODES = ("full", "valid", "same")


def _as_numeric(name: str, value: object) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == object or array.dtype.kind not in "iufc":
        raise TypeError(f"{name} must have a numeric (integer, float or complex) dtype, got {array.dtype}")
    return array


def result_dtype(*arrays: np.ndarray | None) -> np.dtype:
    """``complex128`` if any input is complex, else ``float64`` if any is real floating, else ``int64``.

    ``int64`` is the exact dtype for integers; `conv` and friends move to ``object`` when a
    result could overflow it.
    """
    kinds = {a.dtype.kind for a in arrays if a is not None}
    if "c" in kinds:
        return np.dtype(np.complex128)
    if "f" in kinds:
        return np.dtype(np.float64)
    return np.dtype(np.int64)


def _max_abs(array: np.ndarray | None) -> int:
    if array is None or array.size == 0:
        return 0
    return max(abs(int(array.max())), abs(int(array.min())))


def _computing_dtype(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, terms: int) -> np.dtype:
    dtype = result_dtype(x, w, bias)
    if dtype.kind == "i":
        bound = _max_abs(x) * _max_abs(w) * terms + _max_abs(bias)
        if max(bound, _max_abs(x), _max_abs(w), _max_abs(bias)) > _INT64_MAX:
            return np.dtype(object)
    return dtype


def _windows(xp: np.ndarray, kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int]) -> np.ndarray:
    """Read-only view ``v[n, c, *i, *j] = xp[n, c, *(i*stride + j*dilation)]``."""
    spatial = xp.shape[2:]
    out = tuple((n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(spatial, kernel, stride, dilation))
    steps = xp.strides[2:]
    return as_strided(
        xp,
        shape=xp.shape[:2] + out + tuple(kernel),
        strides=xp.strides[:2] + tuple(t * s for t, s in zip(steps, stride)) + tuple(t * d for t, d in zip(steps, dilation)),
        writeable=False,
    )


def _correlate_padded(xp: np.ndarray, w: np.ndarray, stride: Sequence[int], dilation: Sequence[int], groups: int) -> np.ndarray:
    """Cross-correlate an already padded ``xp (N, C_in, *S)`` with ``w (C_out, C_in/groups, *K)``."""
    nd = w.ndim - 2
    win = _windows(xp, w.shape[2:], stride, dilation)
    n, c_in = xp.shape[:2]
    c_out = w.shape[0]
    out_spatial = win.shape[2 : 2 + nd]
    win = win.reshape(n, groups, c_in // groups, *win.shape[2:])
    w = w.reshape(groups, c_out // groups, *w.shape[1:])
    if win.dtype == object or (win.size * c_out // groups >= _BLAS_FROM and np.isfinite(xp).all() and np.isfinite(w).all()):
        # im2col + matrix product per group (BLAS for floats; exact Python ints for object).
        axes = ([1, *range(2 + nd, 2 + 2 * nd)], [1, *range(2, 2 + nd)])
        per_group = [np.tensordot(win[:, g], w[g], axes=axes) for g in range(groups)]  # (N, *out, C_out/G)
        out = np.moveaxis(np.stack(per_group, axis=1), -1, 2)
    else:
        # numpy.einsum's own loop: evaluates every product (0 * inf is NaN), and is faster on small problems.
        letters = "abcdefghijklmnopqrstuvwxyz"
        spatial, kern = letters[:nd], letters[nd : 2 * nd]
        out = np.einsum(f"NGC{spatial}{kern},GOC{kern}->NGO{spatial}", win, w, optimize=False)
    return out.reshape(n, c_out, *out_spatial)


def _pad(x: np.ndarray, pads: Pairs, padding_mode: str) -> np.ndarray:
    if not any(p for pair in pads for p in pair):
        return x
    pad_width = ((0, 0), (0, 0), *pads)
    mode = numpy_pad_mode(padding_mode)
    if mode == "constant":
        return np.pad(x, pad_width, mode="constant", constant_values=x.dtype.type(0))
    return np.pad(x, pad_width, mode=mode)


def _add_bias(out: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    if bias is None:
        return out
    return out + bias.astype(out.dtype).reshape((1, -1) + (1,) * (out.ndim - 2))


def conv(
    x: object,
    w: object,
    bias: object | None = None,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> np.ndarray:
    """``torch.nn.functional.conv{1,2,3}d`` (and ``torch.nn.ConvNd``'s ``padding_mode``), exactly.

    Cross-correlation, no kernel flip, no conjugation. ``x`` is ``(N, C_in, *spatial)``, ``w``
    is ``(C_out, C_in/groups, *kernel)``; the spatial rank (1 to 3) is ``w.ndim - 2``.
    ``padding`` is an int, a per-axis tuple, per-axis ``(before, after)`` pairs (which torch
    itself does not accept), ``"valid"`` (none) or ``"same"`` (output as long as the input, extra
    sample of an even effective kernel padded at the end, stride 1 only).
    ``padding_mode`` extends the input as torch does: ``zeros``, ``reflect`` (``c b [a b c]``),
    ``replicate`` (``a a [a b c]``) or ``circular`` (``b c [a b c]``).
    """
    x, w = _as_numeric("input", x), _as_numeric("weight", w)
    b = None if bias is None else _as_numeric("bias", bias)
    spec = ConvSpec.create(w.ndim - 2, stride=stride, padding=padding, dilation=dilation, groups=groups, padding_mode=padding_mode)
    spec.validate(x.shape, w.shape, None if b is None else b.shape)
    terms = int(np.prod(w.shape[1:]))
    dtype = _computing_dtype(x, w, b, terms)
    xp = _pad(x.astype(dtype), spec.pads(w.shape[2:]), spec.padding_mode)
    out = _correlate_padded(xp, w.astype(dtype), spec.stride, spec.dilation, spec.groups)
    return _add_bias(out, b)


def conv_transpose(
    x: object,
    w: object,
    bias: object | None = None,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    groups: int = 1,
    dilation: IntOrTuple = 1,
) -> np.ndarray:
    """``torch.nn.functional.conv_transpose{1,2,3}d``: the adjoint of `conv`.

    Each input sample scatters the kernel into the output::

        out[n, g*C_out/groups + o, i*stride + j*dilation - padding] += x[n, c, i] * w[c, o, j]

    for ``c`` in group ``g``; ``w`` is ``(C_in, C_out/groups, *kernel)``. ``output_padding``
    lengthens the output at the end of each axis (those samples are computed, not zero-filled).
    Computed as the full (padding ``d*(k-1)``) correlation of the stride-upsampled input with
    the flipped, in/out-swapped kernel, then cropped by ``padding``.
    """
    x, w = _as_numeric("input", x), _as_numeric("weight", w)
    b = None if bias is None else _as_numeric("bias", bias)
    spec = ConvSpec.create(
        w.ndim - 2, stride=stride, padding=padding, dilation=dilation, groups=groups,
        transposed=True, output_padding=output_padding,
    )
    spec.validate(x.shape, w.shape, None if b is None else b.shape)
    nd, g = spec.ndim, spec.groups
    kernel = w.shape[2:]
    terms = (w.shape[0] // g) * int(np.prod(kernel))
    dtype = _computing_dtype(x, w, b, terms)
    # Upsample: u[..., i*s] = x[..., i], zeros in between.
    spatial = x.shape[2:]
    up = np.zeros(x.shape[:2] + tuple((n - 1) * s + 1 for n, s in zip(spatial, spec.stride)), dtype=dtype)
    up[(slice(None), slice(None), *(slice(None, None, s) for s in spec.stride))] = x.astype(dtype)
    # (C_in, C_out/g, *K) -> (C_out, C_in/g, *K), flipped on every spatial axis.
    c_in, c_out_g = w.shape[:2]
    w_conv = w.astype(dtype).reshape(g, c_in // g, c_out_g, *kernel).swapaxes(1, 2).reshape(g * c_out_g, c_in // g, *kernel)
    w_conv = np.flip(w_conv, axis=tuple(range(2, 2 + nd)))
    full_pads = tuple((d * (k - 1), d * (k - 1)) for k, d in zip(kernel, spec.dilation))
    full = _correlate_padded(_pad(up, full_pads, "zeros"), w_conv, (1,) * nd, spec.dilation, g)
    # out[t] = full[t + padding]; output_padding may reach past the end of `full` (zeros there).
    extra = tuple((0, max(0, op - p)) for op, p in zip(spec.output_padding, spec.int_padding))
    full = _pad(full, extra, "zeros")
    out_shape = spec.output_shape(x.shape, w.shape)
    crop = tuple(slice(p, p + n) for p, n in zip(spec.int_padding, out_shape[2:]))
    return _add_bias(full[(slice(None), slice(None), *crop)], b)


def _check_signal_args(in1: object, in2: object, mode: str) -> tuple[np.ndarray, np.ndarray]:
    a, v = _as_numeric("in1", in1), _as_numeric("in2", in2)
    if a.ndim != v.ndim:
        raise ValueError(f"in1 and in2 must have the same number of dimensions, got {a.ndim} and {v.ndim}")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if mode == "valid":
        a_big = all(m >= n for m, n in zip(a.shape, v.shape))
        v_big = all(n >= m for m, n in zip(a.shape, v.shape))
        if not (a_big or v_big):
            raise ValueError(
                f"mode='valid' needs one input at least as large as the other in every dimension, "
                f"got shapes {a.shape} and {v.shape}"
            )
    return a, v


def _full_convolution(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``sum_j a[k - j] * v[j]`` for every ``k`` where the supports overlap (shape ``a + v - 1``)."""
    dtype = _computing_dtype(a, v, None, max(v.size, 1))
    nd = a.ndim
    flipped = np.flip(v.astype(dtype), axis=tuple(range(nd)))
    pads = tuple((k - 1, k - 1) for k in v.shape)
    xp = _pad(a.astype(dtype)[None, None], pads, "zeros")
    return _correlate_padded(xp, flipped[None, None], (1,) * nd, (1,) * nd, 1)[0, 0]


def _slice_mode(full: np.ndarray, shape1: Sequence[int], shape2: Sequence[int], mode: str) -> np.ndarray:
    """scipy.signal's output modes as slices of the full result.

    ``same``: the centred slice of length ``n1`` starting at ``(n2 - 1) // 2`` (so for an even
    ``n2`` the window keeps one more sample of the end than of the start).
    ``valid``: the ``|n1 - n2| + 1`` samples where one input covers the other, from ``min - 1``.
    """
    if mode == "full":
        return full
    if mode == "same":
        index = tuple(slice((n2 - 1) // 2, (n2 - 1) // 2 + n1) for n1, n2 in zip(shape1, shape2))
    else:
        index = tuple(slice(min(n1, n2) - 1, min(n1, n2) - 1 + abs(n1 - n2) + 1) for n1, n2 in zip(shape1, shape2))
    return full[index]


def convolve(in1: object, in2: object, mode: str = "full") -> np.ndarray:
    """``scipy.signal.convolve(in1, in2, mode)``: ``sum_j in1[k - j] * in2[j]`` (kernel flipped).

    N-dimensional, both inputs of the same rank. ``full`` has shape ``n1 + n2 - 1`` per axis;
    ``same`` the shape of ``in1``, centred on the full result as scipy centres it;
    ``valid`` the ``|n1 - n2| + 1`` samples that need no zero padding (one input must be at
    least as large as the other in every dimension). Empty inputs give an empty array,
    as scipy returns.
    """
    a, v = _check_signal_args(in1, in2, mode)
    if a.size == 0 or v.size == 0:
        return np.array([], dtype=result_dtype(a, v))
    return _slice_mode(_full_convolution(a, v), a.shape, v.shape, mode)


def correlate(in1: object, in2: object, mode: str = "full") -> np.ndarray:
    """``scipy.signal.correlate(in1, in2, mode)``: ``sum_j in1[k + j - (n2 - 1)] * conj(in2[j])``.

    Equal to ``convolve(in1, conj(flip(in2)), mode)``: the second argument is reversed and,
    for complex input, conjugated. Modes and empty inputs as in `convolve`.
    """
    a, v = _check_signal_args(in1, in2, mode)
    if a.size == 0 or v.size == 0:
        return np.array([], dtype=result_dtype(a, v))
    reversed_conj = np.flip(np.conj(v) if v.dtype.kind == "c" else v, axis=tuple(range(v.ndim)))
    return _slice_mode(_full_convolution(a, reversed_conj), a.shape, v.shape, mode)


def solve(problem: ConvProblem) -> np.ndarray:
    """The exact answer to a `ConvProblem` (torch semantics): `conv` or `conv_transpose`."""
    fn = conv_transpose if problem.spec.transposed else conv
    return fn(problem.x, problem.weight, problem.bias, **problem.kwargs())  # type: ignore[operator, no-any-return]
