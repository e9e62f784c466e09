"""Hypothesis strategies for convolution problems, usable from any test suite.

The main one is `problems`, which draws a complete, valid `ConvProblem` inside a backend's
`Capabilities`. Smaller pieces (`elements`, `carrier_arrays`, `problems` arguments) compose::

    from hypothesis import given
    from conv_equivalence import strategies as cst
    from conv_equivalence.backends import get_backend

    @given(cst.problems(get_backend("torch.functional.conv").capabilities, ndim=2))
    def test_my_conv(problem): ...

Shrinking goes towards batch 1, one channel, no groups, stride/dilation 1, zero padding,
kernel size 1, the smallest input that the other parameters allow, and elements 0.
Kernels of up to `FULL_KERNEL` elements are drawn without a fill value (``fill=st.nothing()``) so
that few come out palindromic, which would hide a missing or extra kernel flip; larger ones (many
channels) are drawn like inputs, a fill value with some elements at random places, except the taps
of the first (output, input) channel pair, every one drawn: a few dozen draws instead of one per
element, and still few palindromes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence.capabilities import COMPLEX_DTYPES, FLOAT_DTYPES, INTEGER_DTYPES, LAYOUTS, Capabilities
from conv_equivalence.problem import PADDING_MODES, ConvProblem, ConvSpec, Pairs, framework_same_pads, terms_per_output
from conv_equivalence.tolerance import max_terms

__all__ = ["EVERYTHING", "ELEMENT_KINDS", "elements", "carrier_arrays", "round_to", "problems"]

EVERYTHING = Capabilities(
    dtypes=FLOAT_DTYPES + COMPLEX_DTYPES + INTEGER_DTYPES, empty_batch=True, channels=True, groups=True,
    stride=True, dilation=True, bias=True, padding_modes=PADDING_MODES, padding_strings=("same", "valid"),
    multiplies_zero_padding=True, layouts=LAYOUTS,
)
"""All that torch's non-transposed convolution accepts (use ``transposed=True`` for the other half)."""

ELEMENT_KINDS = ("integers", "floats", "nonfinite")
"""``integers``: small integers (every sum is exact, so results compare bit for bit);
``floats``: finite floats over a wide dynamic range (tolerance checks);
``nonfinite``: real inputs of small integers with NaN and +-inf mixed in, weights of non-zero small
integers with NaN and +-inf mixed in, and biases of non-zero small integers (propagation checks).
IEEE arithmetic then fixes every output whatever the summation order: NaN if a product is NaN
(``inf * 0`` included) or infinities of both signs meet, else the sign's infinity, else the exact
integer sum. A non-finite weight is drawn only where the definition fixes which products it meets:
in a transposed convolution, and in a convolution whose zero padding is empty or, for backends with
``Capabilities.multiplies_zero_padding`` (torch), multiplied as torch multiplies it; libraries that
leave padding out of the sum (signal 'full' modes) legitimately differ there. Zero weights and
complex infinities are left out: libraries legitimately differ there (skipped zero products, C99
Annex G complex multiplication), and those differences belong to the identity catalogue."""

# Largest magnitude per dtype that keeps sums of a few hundred products finite.
_FLOAT_LIMIT = {"float16": 4.0, "bfloat16": 2.0**20, "float32": 2.0**30, "float64": 2.0**60}
_FLOAT_WIDTH = {"float16": 16, "bfloat16": 32, "float32": 32, "float64": 64}


def round_to(values: np.ndarray, dtype: str) -> np.ndarray:
    """``values`` rounded to the nearest ``dtype`` value (round half to even), kept in the carrier dtype."""
    if dtype in ("float16", "float32"):
        return values.astype(dtype).astype(values.dtype)
    if dtype == "bfloat16":
        bits = values.astype(np.float32).view(np.uint32)
        rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
        return rounded.astype(np.uint32).view(np.float32).astype(values.dtype)
    return values


def _real_elements(dtype: str, kind: str) -> st.SearchStrategy[float]:
    # Unmapped strategies only: Hypothesis can then fill large arrays cheaply.
    if kind == "integers":
        return st.integers(-4, 4)  # type: ignore[return-value]
    if kind == "nonfinite":
        return st.one_of(st.integers(-4, 4), st.sampled_from([np.nan, np.inf, -np.inf]))  # type: ignore[arg-type]
    base = _FLOAT_WIDTH.get(dtype, 64)
    limit = _FLOAT_LIMIT.get(dtype, 2.0**60)
    return st.floats(-limit, limit, width=base, allow_subnormal=False)  # type: ignore[arg-type]


def elements(dtype: str, kind: str = "integers") -> st.SearchStrategy[object]:
    """Scalars for ``dtype`` chosen for ``kind`` (see `ELEMENT_KINDS`).

    Exactly representable in ``dtype`` except for bfloat16 floats, which `carrier_arrays`
    rounds (`round_to`) after drawing, a whole array at a time.
    """
    if kind not in ELEMENT_KINDS:
        raise ValueError(f"kind must be one of {ELEMENT_KINDS}, got {kind!r}")
    if dtype in INTEGER_DTYPES:
        if kind != "integers":
            raise ValueError(f"kind must be 'integers' for integer dtype {dtype}, got {kind!r}")
        return st.integers(-8, 8)
    if dtype in COMPLEX_DTYPES:
        if kind == "nonfinite":
            raise ValueError(f"kind 'nonfinite' is for real dtypes, got {dtype}")
        real = "float32" if dtype == "complex64" else "float64"
        part = _real_elements(real, kind)
        return st.builds(complex, part, part)
    if dtype not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be one of {FLOAT_DTYPES + COMPLEX_DTYPES + INTEGER_DTYPES}, got {dtype!r}")
    return _real_elements(dtype, kind)


def carrier_dtype(dtype: str) -> type:
    """The NumPy dtype that carries values of ``dtype`` exactly: int64, complex128 or float64."""
    if dtype in INTEGER_DTYPES:
        return np.int64
    return np.complex128 if dtype in COMPLEX_DTYPES else np.float64


def carrier_arrays(shape: Sequence[int], dtype: str, kind: str = "integers", *, kernel: bool = False,
                   nonfinite_kernel: bool = False) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` holding `elements`; kernels (``kernel=True``) of up to `FULL_KERNEL` elements
    have every element drawn, larger ones those of their first channel pair (see the module docstring).

    With ``kind="nonfinite"`` inputs get NaN/inf; kernels and biases get non-zero integers, and
    kernels with ``nonfinite_kernel`` NaN/inf among them too.
    """
    return _carrier_arrays(tuple(int(n) for n in shape), dtype, kind, kernel, nonfinite_kernel)


FULL_KERNEL = 64
"""Kernels up to this many elements have every element drawn (see the module's docstring)."""

_NONZERO = st.sampled_from((1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 4.0, -4.0))  # one draw an element; shrinks to 1


@functools.lru_cache(maxsize=4096)
def _carrier_arrays(shape: tuple[int, ...], dtype: str, kind: str, kernel: bool,
                    nonfinite_kernel: bool = False) -> st.SearchStrategy[np.ndarray]:
    # Cached: a strategy object is validated on its first draw, which costs as much as a small draw.
    values: st.SearchStrategy[object] = elements(dtype, kind)
    background = values
    if kind == "nonfinite" and kernel:  # non-zero weights, NaN/inf among them with nonfinite_kernel; finite fill
        values = st.one_of(_NONZERO, st.sampled_from([np.nan, np.inf, -np.inf])) if nonfinite_kernel else _NONZERO
        background = _NONZERO
    if kernel and int(np.prod(shape)) > FULL_KERNEL and len(shape) > 2 and shape[0] * shape[1] > 1:
        # Sparse, with the first (output, input) channel pair's taps every one drawn: asymmetric as a whole.
        # (A single channel pair is those taps: drawn in full however many.)
        sparse = hnp.arrays(carrier_dtype(dtype), shape, elements=values, fill=background)
        taps = _carrier_arrays((1, 1, *shape[2:]), dtype, kind, True, nonfinite_kernel)
        arrays = st.tuples(sparse, taps).map(_with_first_taps)
    else:
        arrays = hnp.arrays(carrier_dtype(dtype), shape, elements=values, fill=st.nothing() if kernel else None)
    return arrays.map(lambda a: round_to(a, "bfloat16")) if dtype == "bfloat16" else arrays


def _with_first_taps(arrays: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    kernel, taps = arrays
    kernel = kernel.copy()
    kernel[0, 0] = taps[0, 0]
    return kernel


@functools.lru_cache(maxsize=4096)
def _optional(values: st.SearchStrategy[np.ndarray]) -> st.SearchStrategy[np.ndarray | None]:
    return st.none() | values


def _per_axis(draw: st.DrawFn, ndim: int, values: st.SearchStrategy[int]) -> tuple[int, ...]:
    """One value per spatial axis, always drawn for three axes: shrinking the rank then does not
    shift the meaning of the draws that follow."""
    return tuple(draw(values) for _ in range(3))[:ndim]


def _spatial_sizes(draw: st.DrawFn, minimum: Sequence[int], ndim: int, max_extra: int | None) -> tuple[int, ...]:
    """Input sizes: small (up to 4 beyond the minimum) three times in four, otherwise large on every
    axis (between half of and ``max_extra`` beyond it), to cross real kernels' tile and block sizes.
    Shrinks towards small."""
    if max_extra is None:
        max_extra = {1: 70, 2: 36, 3: 10}[ndim]
    large = draw(st.integers(0, 3)) == 3
    if large and max_extra > 4:  # the far end often: tiles are powers of two up to max_extra
        extra = _large_extra(max_extra)
    else:
        extra = st.integers(0, min(4, max_extra))
    return tuple(m + e for m, e in zip(minimum, _per_axis(draw, len(minimum), extra)))


@functools.lru_cache(maxsize=64)
def _large_extra(max_extra: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from((max_extra, (3 * max_extra) // 4)), st.integers(max_extra // 2, max_extra))


def _smallest_inputs(pads: Pairs, effective: Sequence[int], padding_mode: str) -> list[int]:
    """Per axis, the shortest input for which this padding and effective kernel size are valid."""
    minimum = []
    for (pl, pr), e in zip(pads, effective):
        widest = max(pl, pr)
        need = max(1, e - pl - pr)
        if padding_mode == "reflect" and widest:
            need = max(need, widest + 1)
        if padding_mode == "circular":
            need = max(need, widest)
        minimum.append(need)
    return minimum


def _shaped(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """A read-only array of ``shape`` that holds no memory: for the capability checks, which read shapes only."""
    return np.broadcast_to(np.zeros((), carrier_dtype(dtype)), shape)


@st.composite
def problems(
    draw: st.DrawFn,
    capabilities: Capabilities = EVERYTHING,
    *,
    ndim: int | None = None,
    dtype: str | None = None,
    kind: str = "integers",
    transposed: bool | None = None,
    max_extra_size: int | None = None,
    paddings: tuple[str, ...] = ("ints", "tuple", "same", "valid", "pairs"),
) -> ConvProblem:
    """A valid `ConvProblem` that a backend with ``capabilities`` can compute.

    ``ndim``, ``dtype`` and ``transposed`` pin what would otherwise be drawn from the
    capabilities; ``kind`` picks the elements (`ELEMENT_KINDS`); ``max_extra_size`` caps how
    far input sizes may grow beyond the smallest valid size (default: 70, 36, 10 for ranks
    1, 2, 3); ``paddings`` narrows how padding is written: ``"ints"`` (one int for every axis),
    ``"tuple"`` (one int per axis), ``"same"``, ``"valid"`` (the strings only where the
    capabilities accept them, and 'same' only with stride 1), ``"pairs"`` (``(before, after)``
    per axis where the capabilities have ``padding_pairs``: arbitrary, or the placement of
    TensorFlow/JAX ``SAME`` or ``SAME_LOWER`` for the drawn stride, see `framework_same_pads`).
    """
    caps = capabilities
    if kind == "nonfinite" and not caps.nonfinite:
        raise ValueError("kind='nonfinite' is outside these capabilities (nonfinite=False)")
    transposed = caps.transposed if transposed is None else transposed
    if transposed != caps.transposed:
        raise ValueError(f"transposed={transposed} is outside these capabilities (transposed={caps.transposed})")
    ranks = caps.ranks if ndim is None else (ndim,)
    if not set(ranks) <= set(caps.ranks):
        raise ValueError(f"ndim={ndim} is outside these capabilities (ranks {caps.ranks})")
    nd = draw(st.sampled_from(ranks))
    if kind not in ELEMENT_KINDS:
        raise ValueError(f"kind must be one of {ELEMENT_KINDS}, got {kind!r}")
    allowed = tuple(d for d in caps.dtypes if not (kind == "nonfinite" and (d in COMPLEX_DTYPES or d in INTEGER_DTYPES)))
    if dtype is not None and dtype not in allowed:
        raise ValueError(f"dtype={dtype!r} is outside these capabilities for kind={kind!r} ({allowed})")
    if not allowed:
        raise ValueError(f"no dtype of {caps.dtypes} can hold kind={kind!r}")
    dt = dtype or draw(st.sampled_from(allowed))
    if kind != "integers" and dt in INTEGER_DTYPES:
        kind = "integers"

    # Channels and groups: (C_in, C_out) multiples of groups; depthwise is C_in == groups.
    # Every choice is drawn whatever the others are, so that shrinking one (groups 2 -> 1)
    # does not shift the meaning of the draws after it.
    groups = draw(st.integers(1, 3)) if caps.groups else 1
    depthwise = draw(st.booleans()) if caps.groups else False
    # Channels per group: 1 to 3, and one time in eight up to 17 (past SIMD/oneDNN blocks of 8 and 16).
    many = caps.channels and draw(st.integers(0, 7)) == 7
    per_group = st.integers(1, 17 if many else 3) if caps.channels else st.just(1)
    in_per_group, out_per_group = draw(per_group), draw(per_group)
    c_in = groups * (1 if depthwise else in_per_group)
    c_out = groups * out_per_group
    batch = draw(st.integers(0 if caps.empty_batch else 1, 3)) if caps.batch else 1

    kernel = _per_axis(draw, nd, st.integers(1, 4))
    stride = _per_axis(draw, nd, st.integers(1, 3)) if caps.stride else (1,) * nd
    dilation = _per_axis(draw, nd, st.integers(1, 3)) if caps.dilation else (1,) * nd
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))

    if transposed:
        padding_mode = "zeros"
        output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        spatial = _spatial_sizes(draw, (1,) * nd, nd, max_extra_size)
        limits = [((n - 1) * s + e - 1 + op) // 2 for n, s, e, op in zip(spatial, stride, effective, output_padding)]
        padding: tuple[int, ...] | Pairs | str = tuple(draw(st.integers(0, min(lim, 4))) for lim in limits)
        spec = ConvSpec.create(nd, stride=stride, padding=padding, dilation=dilation, groups=groups,
                               transposed=True, output_padding=output_padding)
        w_shape = (c_in, c_out // groups, *kernel)
    else:
        padding_mode = draw(st.sampled_from(caps.padding_modes))
        choices: list[str] = [p for p in ("ints", "tuple") if p in paddings]
        if all(s == 1 for s in stride):
            choices += [p for p in caps.padding_strings if p == "same" and p in paddings]
        choices += [p for p in caps.padding_strings if p == "valid" and p in paddings]
        if caps.padding_pairs and "pairs" in paddings:
            choices += ["pairs", "framework-same", "framework-same-lower"]
        if not choices:
            reject()
        how = draw(st.sampled_from(tuple(choices)))
        if how.startswith("framework-same"):
            # The placement depends on the input size: draw it first, large enough for every padding_mode.
            spatial = _spatial_sizes(draw, effective if padding_mode != "zeros" else (1,) * nd, nd, max_extra_size)
            padding = framework_same_pads(spatial, kernel, stride, dilation, lower=how.endswith("lower"))
        else:
            if how == "ints":
                padding = (draw(st.integers(0, 3)),) * nd
            elif how == "tuple":
                padding = _per_axis(draw, nd, st.integers(0, 3))
            elif how == "pairs":
                padding = tuple(zip(_per_axis(draw, nd, st.integers(0, 3)), _per_axis(draw, nd, st.integers(0, 3))))
            else:
                padding = how
            pads = ConvSpec.create(nd, stride=stride, padding=padding, dilation=dilation).pads(kernel)
            spatial = _spatial_sizes(draw, _smallest_inputs(pads, effective, padding_mode), nd, max_extra_size)
        spec = ConvSpec.create(nd, stride=stride, padding=padding, dilation=dilation, groups=groups,
                               padding_mode=padding_mode)
        w_shape = (c_out, c_in // groups, *kernel)

    # Past max_terms products per output no worst-case rounding bound exists (bfloat16: 127).
    # Rejected before the arrays are drawn: cheaper, and shrinking never passes through such draws.
    if terms_per_output(c_in, groups, kernel) > max_terms(dt):
        reject()
    layouts = [lay for lay in caps.layouts if not (lay == "channels_last" and nd == 1)]
    layout = draw(st.sampled_from(tuple(layouts)))
    x_shape = (batch, c_in, *spatial)
    # The capabilities read shapes, never values: refused before the arrays are drawn (the arrays are
    # most of a draw's cost; tf.nn.convolution's rule refuses four draws in five).
    if caps.reason_unsupported(ConvProblem(spec, _shaped(x_shape, dt), _shaped(w_shape, dt), dtype=dt, layout=layout)):
        reject()
    x = draw(carrier_arrays(x_shape, dt, kind))
    # Non-finite weights one time in three (shrinking prefers finite ones), where they are well defined.
    zero_padding = not transposed and padding_mode == "zeros" and any(p for pair in spec.pads(kernel) for p in pair)
    nonfinite_kernel = kind == "nonfinite" and draw(st.integers(0, 2)) == 2
    w = draw(carrier_arrays(w_shape, dt, kind, kernel=True,
                            nonfinite_kernel=nonfinite_kernel and (not zero_padding or caps.multiplies_zero_padding)))
    bias = draw(_optional(carrier_arrays((c_out,), dt, kind, kernel=kind == "nonfinite"))) if caps.bias else None
    problem = ConvProblem(spec, x, w, bias, dtype=dt, layout=layout)
    if caps.reason_unsupported(problem) is not None:
        reject()
    return problem
