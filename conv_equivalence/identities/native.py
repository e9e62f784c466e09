"""Library-native exploration: each signal library's own arguments, beyond what torch can express.

The agreement identities draw torch-style problems and translate them. Here each library is called
the way its own documentation allows: operands of any two dtypes it accepts (they need not be
equal), both operand orders and every relative size, every mode and boundary with its fill value
and widths that wrap or reflect more than once, origins, NaN and infinities in either operand, and
the library's own defaults. The expected answer is built from the oracle's definitions
(`oracle.correlate`/`convolve` for the sums, `oracle.extend` for the boundary) and the library's
result-dtype rule, which lives as data beside its adapter (`DtypeRule`): the dtype must match, an
integer result must be the exact sum reduced as the rule says, and a float result must be within the
rounding bound of the dtype it accumulates in (`tolerance.direct_bound`).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle, oracle_filters, tolerance
from conv_equivalence.backends import DtypeRule
from conv_equivalence.identities import Identity, IdentityFailure, assert_close, register

OPERAND_DTYPES = ("bool", "int8", "uint8", "int16", "int32", "int64", "float16", "float32", "float64",
                  "complex64", "complex128")


def _values(dtype: str, nonfinite: bool) -> st.SearchStrategy[Any]:
    """Small numbers mostly, the dtype's extremes sometimes (integer overflow), NaN/inf for floats."""
    kind = np.dtype(dtype).kind
    if kind == "b":
        return st.booleans()
    if kind in "iu":
        info = np.iinfo(dtype)
        return st.one_of(st.integers(max(info.min, -4), 4), st.sampled_from([int(info.min), int(info.max)]))
    small = st.integers(-4, 4).map(float)
    if kind == "c":
        return st.builds(complex, small, small)
    return st.one_of(small, st.sampled_from([np.nan, np.inf, -np.inf])) if nonfinite else small


@st.composite
def operand(draw: st.DrawFn, ndim: int, dtypes: tuple[str, ...] = OPERAND_DTYPES, *, nonfinite: bool = True,
            max_side: int = 5) -> np.ndarray:
    """One array of a drawn dtype and shape (every side 1 to ``max_side``)."""
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=1, max_side=max_side))
    return draw(hnp.arrays(np.dtype(dtype), shape, elements=_values(dtype, nonfinite)))


def _exact_type(a: np.ndarray) -> np.ndarray:
    """The operand as the oracle reads it: bool as 0/1 integers, half precision widened exactly."""
    return a.astype(np.int64) if a.dtype == bool else a


def _reduce(exact: np.ndarray, dtype: np.dtype, how: str) -> np.ndarray:
    """An exact integer result as the library's integer dtype holds it (`DtypeRule.integers`)."""
    if dtype.kind == "b":
        return np.asarray(exact != 0)
    if how == "round-saturate":
        info = np.iinfo(dtype)
        return np.clip(np.rint(exact.astype(np.float64)), info.min, info.max).astype(object)
    values = exact
    if how == "truncate":
        values = np.trunc(exact.astype(np.float64))
        info = np.iinfo(dtype)
        if not (np.isfinite(values).all() and all(info.min <= int(v) <= info.max for v in values.ravel())):
            return values.astype(np.float64)  # out of range: the C cast is undefined, nothing to check
        return values.astype(object)
    bits = 8 * dtype.itemsize
    flat = [int(v) % 2**bits for v in np.asarray(values, dtype=object).ravel()]
    if dtype.kind == "i":
        flat = [v - 2**bits if v >= 2 ** (bits - 1) else v for v in flat]
    return np.array(flat, dtype=object).reshape(np.shape(exact))


def check_result(what: str, got: Any, exact: np.ndarray, magnitude: np.ndarray, terms: int, expected_dtype: np.dtype,
                 rule: DtypeRule, case: Any) -> None:
    """``got`` has the rule's dtype and the exact answer as that dtype holds it (integers) or within the
    rounding bound of the dtype the rule accumulates in (floats)."""
    got = np.asarray(got)
    if got.dtype != expected_dtype:
        raise IdentityFailure(f"{what}: result dtype {got.dtype}, the library's rule says {expected_dtype} ({rule.text})",
                              case=case, left=got)
    if expected_dtype.kind in "biu":
        if exact.dtype.kind in "fc":  # float operands cast to an integer result (ndimage): the sum, truncated
            exact = exact.real if exact.dtype.kind == "c" else exact
        reduced = _reduce(exact, expected_dtype, rule.integers)
        if np.asarray(reduced).dtype.kind == "f":
            return
        assert_close(got.astype(object), reduced, 0.0, what=f"{what} (exact, {rule.integers})", case=case)
        return
    accumulate = rule.accumulates_in(expected_dtype)
    name = {"float16": "float16", "float32": "float32", "float64": "float64", "complex64": "complex64",
            "complex128": "complex128"}[np.dtype(accumulate).name]
    bound = tolerance.direct_bound(magnitude, terms, name, complex_data=expected_dtype.kind == "c")
    # A half-precision result is rounded once more when stored.
    bound = bound + tolerance.unit_roundoff(np.dtype(expected_dtype).name) * np.abs(exact.astype(np.complex128))
    expected = exact.astype(np.complex128 if expected_dtype.kind == "c" else np.float64)
    # Where the sum of |products| passes the largest finite value of the accumulating dtype, a partial sum
    # may overflow in some summation orders and not others: no rule fixes the result, so it is not checked.
    largest = float(np.finfo(accumulate).max)
    with np.errstate(invalid="ignore"):
        unruled = np.asarray(magnitude).real > largest
    expected = np.where(unruled, np.asarray(got).astype(expected.dtype), expected)
    assert_close(got, expected, np.where(np.isfinite(bound), bound, np.inf), what=f"{what} (within rounding)", case=case)


def _quiet(call: Any) -> Any:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return call()


def _magnitude(a: np.ndarray) -> np.ndarray:
    """|a| in float64 (an integer array's own abs wraps: abs(int64 min) is negative)."""
    return np.abs(a.astype(np.complex128 if a.dtype.kind == "c" else np.float64))


def _finite_magnitude(a: np.ndarray) -> np.ndarray:
    """|a| with non-finite entries as 0 (the rounding bound concerns the finite outputs)."""
    m = _magnitude(a)
    return np.where(np.isfinite(m), m, 0.0)


# -- scipy.signal.correlate/convolve (method='direct') and numpy.correlate/convolve -------------------

SIGNAL_FUNCTIONS = ("scipy.signal.correlate", "scipy.signal.convolve", "numpy.correlate", "numpy.convolve",
                    "jax.numpy.correlate", "jax.numpy.convolve")
_DEFAULT_MODE = {"scipy.signal.correlate": "full", "scipy.signal.convolve": "full", "numpy.correlate": "valid",
                 "numpy.convolve": "full", "jax.numpy.correlate": "valid", "jax.numpy.convolve": "full"}


@st.composite
def signal_cases(draw: st.DrawFn, target: str) -> tuple[np.ndarray, np.ndarray, str | None]:
    """``(in1, in2, mode)``: any two dtypes, any relative sizes, both orders; ``mode=None`` is the default."""
    ndim = 1 if target.startswith(("numpy", "jax")) else draw(st.integers(1, 2))
    a = draw(operand(ndim))
    # Complex infinities are left out: C99 Annex G and the textbook product legitimately differ there.
    v = draw(operand(ndim, nonfinite=a.dtype.kind != "c"))
    if v.dtype.kind == "c" and a.dtype.kind == "f":
        a = np.where(np.isfinite(a), a, 0).astype(a.dtype)
    mode = draw(st.sampled_from([None, "full", "same", "valid"]))
    # scipy's N-d direct loop refuses a bool or float16 result ("Unsupported type"); it runs for 2-D, and for
    # 1-D 'same' with the longer in2, where numpy's path does not apply: the belief scipy-nd-direct-takes-every-dtype.
    nd_loop = ndim > 1 or (mode == "same" and v.size > a.size)
    assume(target.startswith(("numpy", "jax")) or not nd_loop
           or np.result_type(a, v) not in (np.dtype(bool), np.dtype(np.float16)))
    # ... and multiplies a non-finite value by the zero padding of 'full' and 'same' (known issue
    # scipy-direct-swap-spreads-nan of the scipy.signal backends).
    result = _signal_rule(target).result(a.dtype, v.dtype)
    # Finite once converted to the result dtype (an int32 extreme is -inf in float16).
    finite = result.kind not in "fc" or all(np.isfinite(_quiet(lambda: x.astype(result))).all() for x in (a, v))
    assume(target.startswith(("numpy", "jax")) or not nd_loop or finite or mode == "valid")
    # jax.numpy reads False * NaN as 0: the belief jax-numpy-bool-input-is-zero-one.
    assume(not target.startswith("jax") or finite or bool not in (a.dtype, v.dtype))
    # XLA's float32/float16 kernels multiply the padding of jax.numpy's 'full'/'same' too: the belief
    # jax-numpy-correlate-forms-only-defined-products.
    assume(not target.startswith("jax") or finite or mode == "valid" or (mode is None and target.endswith("correlate"))
           or result in (np.dtype(np.float64), np.dtype(np.complex128)))
    return a, v, mode


def _signal_rule(target: str) -> DtypeRule:
    if target.startswith("jax"):
        from conv_equivalence.backends.jax_lax import NUMPY_DTYPE_RULE as DTYPE_RULE
    elif target.startswith("numpy"):
        from conv_equivalence.backends.numpy_correlate import DTYPE_RULE
    else:
        from conv_equivalence.backends.scipy_signal import DTYPE_RULE
    return DTYPE_RULE


def _call_signal(target: str, a: np.ndarray, v: np.ndarray, mode: str | None) -> Any:
    module, name = target.rsplit(".", 1)
    if module == "jax.numpy":
        from conv_equivalence.backends.jax_lax import x64_scope

        with x64_scope() as jax:
            fn = getattr(jax.numpy, name)
            kwargs = {"precision": jax.lax.Precision.HIGHEST} | ({} if mode is None else {"mode": mode})
            return np.asarray(_quiet(lambda: fn(a, v, **kwargs)))
    if module == "numpy":
        fn = getattr(np, name)
        return _quiet(lambda: fn(a, v) if mode is None else fn(a, v, mode=mode))
    import scipy.signal

    fn = getattr(scipy.signal, name)
    return _quiet(lambda: fn(a, v, method="direct") if mode is None else fn(a, v, mode=mode, method="direct"))


def _check_signal(target: str, case: tuple[np.ndarray, np.ndarray, str | None]) -> None:
    rule = _signal_rule(target)
    a0, v0, mode = case
    result = rule.result(a0.dtype, v0.dtype)
    # The operands are converted to the result dtype first (an int32 extreme becomes -inf in float16).
    a, v = (_quiet(lambda: x.astype(result)) if result.kind in "fc" else x for x in (a0, v0))
    effective = mode or _DEFAULT_MODE[target]
    fn = oracle.correlate if target.endswith("correlate") else oracle.convolve
    try:
        exact = _quiet(lambda: fn(_exact_type(a), _exact_type(v), effective))
    except ValueError:
        # 'valid' without one operand covering the other: the library must refuse too.
        try:
            got = _call_signal(target, a0, v0, mode)
        except ValueError:
            return
        raise IdentityFailure(f"{target}: returned {np.asarray(got).shape} where mode='valid' has no output "
                              f"(shapes {a.shape} and {v.shape})", case=case, left=got) from None
    magnitude = _quiet(lambda: fn(_finite_magnitude(a), _finite_magnitude(v), effective))
    if target.startswith(("numpy", "jax")) and effective == "same":
        index = numpy_same(target, a.size, v.size)
        full = (lambda x, k: _quiet(lambda: fn(x, k, "full")))
        exact, magnitude = full(_exact_type(a), _exact_type(v))[index], full(_finite_magnitude(a), _finite_magnitude(v))[index]
    got = _call_signal(target, a0, v0, mode)
    check_result(target, got, exact, magnitude, min(a.size, v.size), result, rule, case)


def numpy_same(target: str, m: int, n: int) -> slice:
    """numpy's 'same': ``max(M, N)`` samples of the full result (scipy's keeps ``in1``'s length), from
    ``(min(M, N) - 1) // 2``; ``numpy.correlate`` with the longer ``v`` computes ``correlate(v, a)[::-1]``,
    which moves the start to ``min(M, N) // 2``."""
    start = min(m, n) // 2 if target.endswith("numpy.correlate") and n > m else (min(m, n) - 1) // 2
    return slice(start, start + max(m, n))


register(Identity(
    "native-signal-functions-follow-their-definition",
    "scipy.signal.correlate/convolve (direct), numpy.correlate/convolve and jax.numpy.correlate/convolve, called "
    "with any two operand dtypes, "
    "both orders, any relative sizes, every mode and the default, NaN and infinities in either operand, give the "
    "defined sums in the dtype their documentation names (numpy.result_type; integers wrap).",
    "f(in1, in2, mode) == reduce(exact f(in1, in2, mode), result_type(in1, in2))",
    lambda: list(SIGNAL_FUNCTIONS), signal_cases, _check_signal, tags=("native", "dtype", "ieee"),
))


# -- scipy.signal.correlate2d/convolve2d: boundary='fill' (any fillvalue), 'wrap', 'symm', any width ----

@st.composite
def signal_2d_cases(draw: st.DrawFn, target: str) -> tuple[np.ndarray, np.ndarray, str, str, complex]:
    """``(in1, in2, mode, boundary, fillvalue)``: a kernel may be wider than the image (wrap more than once)."""
    a, v = draw(operand(2, max_side=4)), draw(operand(2, max_side=6, nonfinite=False))
    # A bool or float16 result is refused ("convolve2d not available for this type"), as by scipy's
    # N-d direct loop: the belief scipy-nd-direct-takes-every-dtype.
    assume(np.result_type(a, v) not in (np.dtype(bool), np.dtype(np.float16)))
    if v.dtype.kind == "c" and a.dtype.kind == "f":
        a = np.where(np.isfinite(a), a, 0).astype(a.dtype)
    boundary = draw(st.sampled_from(sorted(oracle_filters.BOUNDARIES)))
    # fillvalue is cast to the result dtype, so it must be representable there (scipy refuses NaN for integers).
    result = np.result_type(a, v)
    floating = result.kind in "fc"
    fills = st.one_of(st.just(0), st.integers(0 if result.kind == "u" else -3, 3),
                      *([st.sampled_from([0.5, np.nan, np.inf])] if floating else []))
    fill = draw(fills) if boundary == "fill" else 0
    return a, v, draw(st.sampled_from(["full", "same", "valid"])), boundary, fill


def _check_signal_2d(target: str, case: tuple[np.ndarray, np.ndarray, str, str, complex]) -> None:
    import scipy.signal

    from conv_equivalence.backends.scipy_signal import DTYPE_RULE

    a, v, mode, boundary, fill = case
    correlating = target.endswith("correlate2d")
    covers = all(m >= n for m, n in zip(a.shape, v.shape)) or all(n >= m for m, n in zip(a.shape, v.shape))
    fn = getattr(scipy.signal, target.rsplit(".", 1)[1])
    if mode == "valid" and not covers:
        try:
            _quiet(lambda: fn(a, v, mode=mode, boundary=boundary, fillvalue=fill))
        except ValueError:
            return
        raise IdentityFailure(f"{target}: answered mode='valid' for shapes {a.shape} and {v.shape}", case=case)
    in1_covers = all(m >= n for m, n in zip(a.shape, v.shape))
    # correlate2d conjugates in1 instead of in2 once it swaps them: the belief correlate2d-valid-is-correlate-valid.
    assume(not (correlating and mode == "valid" and not in1_covers and "c" in (a.dtype.kind, v.dtype.kind)))
    # The definitions (`oracle_filters`): in1 extended by its boundary, then convolved (correlated) exactly.
    definition = oracle_filters.correlate2d if correlating else oracle_filters.convolve2d
    exact = _quiet(lambda: definition(_exact_type(a), _exact_type(v), mode, boundary, fill))
    magnitude = _quiet(lambda: definition(_finite_magnitude(a), _finite_magnitude(v), mode, boundary,
                                          abs(fill) if np.isfinite(fill) else 0))
    got = _quiet(lambda: fn(a, v, mode=mode, boundary=boundary, fillvalue=fill))
    terms = min(a.size, v.size) if mode == "valid" else v.size
    check_result(target, got, exact, magnitude, terms, DTYPE_RULE.result(a.dtype, v.dtype), DTYPE_RULE, case)


register(Identity(
    "native-2d-boundaries-follow-their-definition",
    "scipy.signal.correlate2d/convolve2d extend in1 by its boundary (fill with any fillvalue, wrap and symm, "
    "however often a wide kernel needs), then correlate (convolve) in every mode, 'same' centred as documented.",
    "correlate2d(in1, in2, mode, boundary, fillvalue) == exact valid correlation of extend(in1, n2 - 1, boundary)",
    lambda: ["scipy.signal.correlate2d", "scipy.signal.convolve2d"], signal_2d_cases, _check_signal_2d,
    tags=("native", "boundary"),
))


# -- scipy.ndimage.correlate/convolve: every mode, cval, origin, dtypes -----------------------------------

@st.composite
def ndimage_cases(draw: st.DrawFn, target: str) -> tuple[np.ndarray, np.ndarray, str, float, tuple[int, ...]]:
    """``(input, weights, mode, cval, origin)``: weights of any length (wider than the input too), any valid origin."""
    ndim = draw(st.integers(1, 2))
    x = draw(operand(ndim, ("uint8", "int16", "int32", "int64", "float32", "float64")))
    w = draw(operand(ndim, ("float64", "float32", "int64"), nonfinite=False))
    origin = tuple(draw(st.integers(-(k // 2), (k - 1) // 2)) for k in w.shape)
    cval = draw(st.sampled_from([0.0, 0.0, 2.0, -1.5]))
    return x, w, draw(st.sampled_from(sorted(oracle_filters.FILTER_MODES))), cval, origin


def _check_ndimage(target: str, case: tuple[np.ndarray, np.ndarray, str, float, tuple[int, ...]]) -> None:
    import scipy.ndimage

    from conv_equivalence.backends.scipy_ndimage import DTYPE_RULE, near_symmetry_hazard

    x, w, mode, cval, origin = case
    # Known issue ndimage-absolute-epsilon: tiny or near-symmetric weights, and zero weights, which are skipped
    # (so a NaN or inf input never meets them).
    assume(not near_symmetry_hazard(w.astype(np.float64)))
    assume(np.isfinite(x).all() or (w != 0).all())
    # The definitions (`oracle_filters`): correlate, or convolve (weights flipped, origin mirrored), exactly.
    definition = oracle_filters.filter_convolve if target.endswith("convolve") else oracle_filters.filter_correlate
    got = _quiet(lambda: getattr(scipy.ndimage, target.rsplit(".", 1)[1])(x, w, mode=mode, cval=cval, origin=list(origin)))
    exact = _quiet(lambda: definition(_exact_type(x).astype(np.float64), w.astype(np.float64), mode, cval, origin))
    magnitude = _quiet(lambda: definition(_finite_magnitude(x), _magnitude(w), mode, abs(cval), origin))
    check_result(target, got, exact, magnitude, w.size, DTYPE_RULE.result(x.dtype, w.dtype), DTYPE_RULE, case)


register(Identity(
    "native-ndimage-modes-follow-their-definition",
    "scipy.ndimage.correlate/convolve in every mode (each named by meaning in conv_equivalence.boundary), with "
    "any cval and origin, weights wider than the input, integer and float inputs, give the defined sums cast to "
    "the input's dtype.",
    "ndimage.correlate(x, w, mode, cval, origin) == cast(exact valid correlation of extend(x, k//2 + origin, mode))",
    lambda: ["scipy.ndimage.correlate", "scipy.ndimage.convolve"], ndimage_cases, _check_ndimage,
    tags=("native", "boundary", "dtype"),
))



# -- cv2.filter2D: depths, anchors, border types, delta ---------------------------------------------------

OPENCV_BORDERS = {"BORDER_CONSTANT": "constant", "BORDER_REPLICATE": "edge", "BORDER_REFLECT": "symmetric",
                  "BORDER_REFLECT_101": "reflect", "BORDER_DEFAULT": "reflect"}


@st.composite
def filter2d_cases(draw: st.DrawFn, target: str) -> tuple[np.ndarray, np.ndarray, str | None, tuple[int, int], str, float]:
    """``(src, kernel, ddepth, anchor, borderType, delta)``: kernels wider than the image too, every anchor.
    Kernel values are halves and small integers, so float32 sums of these images are exact and every
    rounding decision of an integer result is the exact one."""
    src_dtype = draw(st.sampled_from(["uint8", "uint16", "int16", "float32", "float64"]))
    src = draw(hnp.arrays(np.dtype(src_dtype), hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5),
                          elements=st.one_of(st.integers(0, 9), st.sampled_from([int(np.iinfo(src_dtype).max)]
                                             if src_dtype in ("uint8", "uint16", "int16") else [0]))))
    kernel = draw(hnp.arrays(np.dtype(draw(st.sampled_from(["float32", "float64"]))),
                             hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=4),
                             elements=st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])))
    from conv_equivalence.backends.opencv import DEPTHS

    depths = DEPTHS[src_dtype]
    anchor = draw(st.one_of(st.just((-1, -1)), st.tuples(st.integers(0, kernel.shape[1] - 1), st.integers(0, kernel.shape[0] - 1))))
    return (src, kernel, draw(st.sampled_from(depths)), anchor, draw(st.sampled_from(sorted(OPENCV_BORDERS))),
            draw(st.sampled_from([0.0, 0.0, 0.25, -1.0])))


def _check_filter2d(target: str, case: tuple[np.ndarray, np.ndarray, str | None, tuple[int, int], str, float]) -> None:
    import cv2

    from conv_equivalence.backends.opencv import DTYPE_RULE

    src, kernel, ddepth, anchor, border, delta = case
    depth = -1 if ddepth is None else {"float32": cv2.CV_32F, "float64": cv2.CV_64F, "int16": cv2.CV_16S}[ddepth]
    ax, ay = (kernel.shape[1] // 2, kernel.shape[0] // 2) if anchor == (-1, -1) else anchor
    # dst(y, x) = sum_ij kernel(i, j) * src(y + i - ay, x + j - ax) + delta, src extended by the border.
    pads = [(ay, kernel.shape[0] - 1 - ay), (ax, kernel.shape[1] - 1 - ax)]

    def exact(image: np.ndarray, k: np.ndarray, shift: float) -> np.ndarray:
        extended = oracle.extend(image.astype(np.float64), pads, OPENCV_BORDERS[border])
        return oracle.conv(extended[None, None], k.astype(np.float64)[None, None])[0, 0] + shift

    got = _quiet(lambda: cv2.filter2D(src, depth, kernel, anchor=anchor, delta=delta, borderType=getattr(cv2, border)))
    check_result(target, got, exact(src, kernel, delta), exact(_magnitude(src), _magnitude(kernel), abs(delta)), kernel.size,
                 DTYPE_RULE.result(src.dtype, ddepth), DTYPE_RULE, case)  # type: ignore[arg-type]  # None: ddepth=-1


register(Identity(
    "native-filter2d-follows-its-definition",
    "cv2.filter2D with every source depth and ddepth, any anchor, every border type it accepts (at widths beyond "
    "the image too) and a delta computes the correlation with the bordered image plus delta, saturate_cast to "
    "the result depth.",
    "filter2D(src, ddepth, k, anchor, delta, border) == saturate_cast(exact correlation of extend(src, anchor, border) + delta)",
    lambda: ["cv2.filter2D"], filter2d_cases, _check_filter2d, tags=("native", "boundary", "dtype"),
))


# -- torch: unbatched inputs and mixed operand dtypes -----------------------------------------------------

@st.composite
def torch_native_cases(draw: st.DrawFn, target: str) -> tuple[Any, str]:
    """A torch problem with a batch of one, and a second dtype for the weight (equal half the time)."""
    from conv_equivalence import strategies as cst
    from conv_equivalence.backends import get_backend

    name = "torch.functional.conv_transpose" if target.endswith("conv_transpose") else "torch.functional.conv"
    caps = dataclasses.replace(get_backend(name).capabilities, batch=False, layouts=("contiguous",),
                               padding_modes=("zeros",), padding_pairs=False)  # batch 1, torch's own arguments
    problem = draw(cst.problems(caps, kind="integers", max_extra_size=3))
    return problem, draw(st.sampled_from([problem.dtype, "float32", "float64", "int64"]))


def _check_torch_native(target: str, case: tuple[Any, str]) -> None:
    import torch

    from conv_equivalence.backends.pytorch import problem_tensors, to_numpy

    problem, weight_dtype = case
    s = problem.spec
    fn = getattr(torch.nn.functional, f"conv{'_transpose' if s.transposed else ''}{s.ndim}d")
    x, w, b = problem_tensors(problem, "cpu")
    kwargs: dict[str, Any] = {"stride": s.stride, "padding": s.padding, "dilation": s.dilation, "groups": s.groups}
    if s.transposed:
        kwargs["output_padding"] = s.output_padding
    if weight_dtype != problem.dtype:  # the operands must share a dtype: torch refuses, never converts
        try:
            out = _quiet(lambda: fn(x, w.to(getattr(torch, weight_dtype)), b, **kwargs))
        except (RuntimeError, TypeError):
            return
        raise IdentityFailure(f"{target}: {problem.dtype} input with a {weight_dtype} weight returned {out.dtype} "
                              "instead of refusing", case=case, left=to_numpy(out))
    batched = to_numpy(_quiet(lambda: fn(x, w, b, **kwargs)))
    unbatched = to_numpy(_quiet(lambda: fn(x[0], w, b, **kwargs)))
    assert_close(unbatched, batched[0], 0.0, what=f"{target}: an unbatched (C, *spatial) input gives the batch item",
                 case=case)
    assert_close(unbatched, oracle.solve(problem)[0], 0.0, what=f"{target}: unbatched input vs the oracle", case=case)


register(Identity(
    "native-torch-unbatched-and-mixed-dtypes",
    "torch.nn.functional.conv{N}d and conv_transpose{N}d take an unbatched (C, *spatial) input and return the "
    "batch item's answer, and refuse operands of different dtypes rather than convert them.",
    "F.convNd(x[0], w) == F.convNd(x, w)[0] == oracle(x, w)[0];  F.convNd(x, w.to(other dtype)) raises",
    lambda: ["torch.nn.functional.conv", "torch.nn.functional.conv_transpose"], torch_native_cases, _check_torch_native,
    tags=("native", "dtype"),
))
