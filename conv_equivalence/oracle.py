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
* NaN and infinity propagate as IEEE arithmetic says (``0 * inf`` is NaN), and only through the
  products the definition contains: a transposed convolution scatters each input sample (no
  inserted zeros are multiplied), ``correlate``/``convolve`` sum only pairs of samples that
  exist (no zero padding is multiplied), while `conv` multiplies torch's explicit zero padding,
  as torch does (``conv([1, 1, 1], [inf, 1], padding=1)`` starts with ``inf * 0 = NaN``). Inputs
  with a non-finite value (and small problems, where it is faster) are summed by
  ``numpy.einsum``'s own loop, which evaluates every product, instead of BLAS, which may skip zeros.

Where this departs from torch, on purpose:

* zero input channels: the sum over an empty set is 0, so the result is the bias (or zeros)
  with ``C_out`` channels; torch 2.13's ``conv`` returns ``C_out = 0`` channels instead and its
  ``conv_transpose`` raises;
* ``padding`` may be per-axis ``(before, after)`` pairs, which torch's functions do not take.

Arguments are checked before any work (`conv_equivalence.problem`): ints are ints (not bool),
per-axis values come as tuples or lists (not strings, bytes or ranges), every spatial axis of
the input is non-empty (as torch requires) unless zero padding alone is long enough for the kernel
(then only padded zeros meet it, as TensorFlow answers), and a problem whose padded input or output would
hold more than `conv_equivalence.problem.MAX_ELEMENTS` elements is refused with its size.
Torch tensors are read as arrays (detached, on the host).

Booleans, strings, datetimes and other non-numeric dtypes raise ``TypeError``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from conv_equivalence.boundary import numpy_pad_mode
from conv_equivalence.problem import MAX_ELEMENTS, ConvProblem, ConvSpec, IntOrTuple, Padding, Pairs, per_axis

__all__ = ["conv", "conv_transpose", "correlate", "convolve", "extend", "EXTENSIONS", "result_dtype", "solve"]

_INT64_MAX = np.iinfo(np.int64).max
_BLAS_FROM = 200_000  # multiply-adds from which im2col + BLAS beats einsum's loop
_MODES = ("full", "valid", "same")


def _as_numeric(name: str, value: object) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, even one that requires grad
        if getattr(value, "is_meta", False):
            raise TypeError(f"{name} is a meta tensor (a shape without values): give a tensor with data")
        tensor: Any = value.detach().cpu()
        value = tensor.float() if str(tensor.dtype) == "torch.bfloat16" else tensor  # exact: bfloat16 fits float32
    if isinstance(value, (str, bytes, bool)):
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__} {value!r}")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a rectangular numeric array ({exc})") from None
    if array.dtype == object or array.dtype.kind not in "iufc":
        raise TypeError(f"{name} must have a numeric (integer, float or complex) dtype, got {array.dtype}")
    return array


def _check_arrays(x: object, w: object, bias: object | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Input, weight and bias as numeric arrays whose ranks make a convolution (before the spec is read)."""
    x, w = _as_numeric("input", x), _as_numeric("weight", w)
    b = None if bias is None else _as_numeric("bias", bias)
    if w.ndim not in (3, 4, 5):
        raise ValueError(f"weight must have 3, 4 or 5 dimensions (out channels, in channels per group, *kernel) "
                         f"for spatial rank 1, 2 or 3, got shape {w.shape}")
    if x.ndim != w.ndim:
        raise ValueError(f"input must have {w.ndim} dimensions (N, C, *spatial) to match weight of shape {w.shape}, "
                         f"got shape {x.shape}")
    return x, w, b


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
    blas = win.dtype != object and win.size * c_out // groups >= _BLAS_FROM and np.isfinite(xp).all() and np.isfinite(w).all()
    if blas and all(k == 1 for k in w.shape[3:]):
        # a 1x1 kernel: per group, the weight matrix times the (strided) input as a batch of matrices, no im2col copy
        xs = xp[(slice(None), slice(None), *(slice(None, None, st) for st in stride))][(slice(None), slice(None),
                                                                                        *(slice(0, m) for m in out_spatial))]
        xs = xs.reshape(n, groups, c_in // groups, -1)
        out = np.stack([np.matmul(w[g].reshape(c_out // groups, -1), xs[:, g]) for g in range(groups)], axis=1)
        return out.reshape(n, c_out, *out_spatial)
    if win.dtype == object or blas:
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


def _scatter(x: np.ndarray, w: np.ndarray, stride: Sequence[int], dilation: Sequence[int], padding: Sequence[int],
             out_spatial: Sequence[int], groups: int) -> np.ndarray:
    """The transposed convolution by its definition, tap by tap: every input sample scatters the kernel::

        out[n, g*Cg_out + o, i*s + j*d - p] += x[n, g*Cg_in + c, i] * w[g*Cg_in + c, o, j]

    for the output positions that exist. Only these products are formed: no inserted zeros, no
    padding. ``x (N, C_in, *S)``, ``w (C_in, C_out/groups, *K)``, both already in the computing dtype.
    """
    nd = w.ndim - 2
    n, c_in = x.shape[:2]
    cg_out = w.shape[1]
    xg = x.reshape(n, groups, c_in // groups, *x.shape[2:])
    wg = w.reshape(groups, c_in // groups, cg_out, *w.shape[2:])
    out = np.zeros((n, groups, cg_out, *out_spatial), dtype=x.dtype)
    letters = "abc"[:nd]
    einsum_loop = x.dtype != object and not (np.isfinite(x).all() and np.isfinite(w).all())
    with np.errstate(invalid="ignore", over="ignore"):  # IEEE results (inf - inf is NaN) are intended
        for tap in np.ndindex(*w.shape[2:]):
            source, target = [], []
            for size, length, j, s, d, p in zip(x.shape[2:], out_spatial, tap, stride, dilation, padding):
                offset = j * d - p  # output position of input sample i is i*s + offset
                first = max(0, -(offset // s))  # smallest i with i*s + offset >= 0
                last = min(size, (length - 1 - offset) // s + 1)  # past the largest i with i*s + offset < length
                if last <= first:
                    break
                source.append(slice(first, last))
                target.append(slice(first * s + offset, (last - 1) * s + offset + 1, s))
            else:
                xs = xg[(slice(None), slice(None), slice(None), *source)]
                taps = wg[(slice(None), slice(None), slice(None), *tap)]
                if einsum_loop or groups > 1 or x.dtype == object:
                    part = np.einsum(f"NGC{letters},GCO->NGO{letters}", xs, taps, optimize=False)
                else:  # one group: (N, C, *S) x (C, O) with BLAS, products the same (finite: no 0 * inf)
                    part = np.moveaxis(np.tensordot(xs[:, 0], taps[0], axes=([1], [0])), -1, 1)[:, None]
                out[(slice(None), slice(None), slice(None), *target)] += part
    return out.reshape(n, groups * cg_out, *out_spatial)


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
    x, w, b = _check_arrays(x, w, bias)
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
    Computed tap by tap as that scatter (`_scatter`), so a non-finite weight meets only the input
    samples it multiplies (``conv_transpose([1, 1], [inf, 1], stride=2)`` is ``[inf, 1, inf, 1]``).
    """
    x, w, b = _check_arrays(x, w, bias)
    spec = ConvSpec.create(
        w.ndim - 2, stride=stride, padding=padding, dilation=dilation, groups=groups,
        transposed=True, output_padding=output_padding,
    )
    spec.validate(x.shape, w.shape, None if b is None else b.shape)
    g = spec.groups
    kernel = w.shape[2:]
    terms = (w.shape[0] // g) * int(np.prod(kernel))
    dtype = _computing_dtype(x, w, b, terms)
    out_spatial = spec.output_shape(x.shape, w.shape)[2:]
    out = _scatter(x.astype(dtype), w.astype(dtype), spec.stride, spec.dilation, spec.int_padding, out_spatial, g)
    return _add_bias(out, b)


def _check_signal_args(in1: object, in2: object, mode: str) -> tuple[np.ndarray, np.ndarray]:
    a, v = _as_numeric("in1", in1), _as_numeric("in2", in2)
    if a.ndim != v.ndim:
        raise ValueError(f"in1 and in2 must have the same number of dimensions, got {a.ndim} and {v.ndim}")
    for name, array in (("in1", a), ("in2", v)):
        if array.size == 0:
            raise ValueError(f"{name} cannot be empty (as in scipy.signal), got shape {array.shape}")
    full = math.prod(m + n - 1 for m, n in zip(a.shape, v.shape))
    if full > MAX_ELEMENTS:
        raise ValueError(f"problem too large: the full result would hold {full:,} elements, more than the "
                         f"memory budget of {MAX_ELEMENTS:,} (conv_equivalence.problem.MAX_ELEMENTS)")
    if not isinstance(mode, str) or mode not in _MODES:
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
    """``sum_j a[k - j] * v[j]`` for every ``k`` where the supports overlap (shape ``a + v - 1``).

    Only pairs of existing samples are multiplied (a transposed convolution of one channel,
    `_scatter`), looping over the taps of the smaller operand: the products are the same.
    """
    dtype = _computing_dtype(a, v, None, max(min(a.size, v.size), 1))
    big, small = (a, v) if a.size >= v.size else (v, a)
    out_spatial = tuple(m + n - 1 for m, n in zip(a.shape, v.shape))
    nd = a.ndim
    return _scatter(big.astype(dtype)[None, None], small.astype(dtype)[None, None], (1,) * nd, (1,) * nd, (0,) * nd,
                    out_spatial, 1)[0, 0]


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
    least as large as the other in every dimension). Two 0-d inputs give their product; empty inputs
    raise ``ValueError``, as in scipy.
    """
    a, v = _check_signal_args(in1, in2, mode)
    if a.ndim == 0:  # two numbers: their product, in every mode (as scipy answers)
        return (a.astype(_computing_dtype(a, v, None, 1)) * v).astype(_computing_dtype(a, v, None, 1))
    return _slice_mode(_full_convolution(a, v), a.shape, v.shape, mode)


def correlate(in1: object, in2: object, mode: str = "full") -> np.ndarray:
    """``scipy.signal.correlate(in1, in2, mode)``: ``sum_j in1[k + j - (n2 - 1)] * conj(in2[j])``.

    Equal to ``convolve(in1, conj(flip(in2)), mode)``: the second argument is reversed and,
    for complex input, conjugated. Modes and empty inputs as in `convolve`.
    """
    a, v = _check_signal_args(in1, in2, mode)
    if a.ndim == 0:
        return convolve(a, np.conj(v) if v.dtype.kind == "c" else v, mode)
    reversed_conj = np.flip(np.conj(v) if v.dtype.kind == "c" else v, axis=tuple(range(v.ndim)))
    return _slice_mode(_full_convolution(a, reversed_conj), a.shape, v.shape, mode)


EXTENSIONS = ("constant", "edge", "reflect", "symmetric", "wrap")
"""How `extend` continues a signal past its edges, for ``x = a b c d`` (see `conv_equivalence.boundary`
for each library's name): ``constant`` ``f f [a b c d] f f``, ``edge`` ``a a [a b c d] d d``,
``reflect`` (whole-sample) ``c b [a b c d] c b``, ``symmetric`` (half-sample) ``b a [a b c d] d c``,
``wrap`` ``c d [a b c d] a b``."""


def extend(x: object, pads: Sequence[tuple[int, int]], mode: str = "constant", fill_value: complex = 0) -> np.ndarray:
    """``x`` continued past its edges on its last ``len(pads)`` axes by ``(before, after)`` samples each.

    Any width: the continuation is periodic, with period ``n`` (``wrap``), ``2n`` (``symmetric``) or
    ``2(n - 1)`` (``reflect``; a single sample repeats), so a pad longer than the signal wraps or
    reflects again, as scipy's ``boundary='wrap'``/``'symm'`` and ndimage's modes do. ``constant``
    writes ``fill_value`` (any number, NaN included); the result dtype is `result_dtype` of ``x`` and
    ``fill_value`` (a float fill makes an integer signal float64).
    """
    a = _as_numeric("x", x)
    if not isinstance(mode, str) or mode not in EXTENSIONS:
        raise ValueError(f"mode must be one of {EXTENSIONS}, got {mode!r}")
    if isinstance(fill_value, (bool, np.bool_)) or not isinstance(fill_value, (int, float, complex, np.number)):
        raise TypeError(f"fill_value must be a number, got {fill_value!r}")
    if not isinstance(pads, (tuple, list)) or len(pads) > a.ndim:
        raise ValueError(f"pads must be a list of (before, after) pairs, at most one per axis of x ({a.ndim}), got {pads!r}")
    pairs = [per_axis(pair, 2, "pads", minimum=0) for pair in pads]
    lead = a.ndim - len(pairs)
    if mode != "constant" and any(n == 0 and sum(p) for n, p in zip(a.shape[lead:], pairs)):
        raise ValueError(f"mode={mode!r} needs a non-empty signal on every padded axis, got shape {a.shape}")
    size = math.prod(a.shape[:lead]) * math.prod(n + before + after for n, (before, after) in zip(a.shape[lead:], pairs))
    if size > MAX_ELEMENTS:
        raise ValueError(f"problem too large: the extended signal would hold {size:,} elements, more than the "
                         f"memory budget of {MAX_ELEMENTS:,} (conv_equivalence.problem.MAX_ELEMENTS)")
    dtype = result_dtype(a, np.asarray(fill_value))
    width = [(0, 0)] * lead + [tuple(p) for p in pairs]
    if mode == "constant":
        return np.pad(a.astype(dtype), width, mode="constant", constant_values=fill_value)
    return np.pad(a.astype(dtype), width, mode=mode)  # type: ignore[call-overload]


def solve(problem: ConvProblem) -> np.ndarray:
    """The exact answer to a `ConvProblem` (torch semantics): `conv` or `conv_transpose`."""
    fn = conv_transpose if problem.spec.transposed else conv
    return fn(problem.x, problem.weight, problem.bias, **problem.kwargs())  # type: ignore[operator, no-any-return]
