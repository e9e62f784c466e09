"""Library-native exploration of ``jax.scipy.signal``'s convolutions against scipy.signal's definitions.

Drawn (target ``jax.scipy.signal``): ``correlate``/``convolve`` (``method`` ``'auto'``, ``'direct'`` or ``'fft'``),
``correlate2d``/``convolve2d`` and ``fftconvolve`` (with ``axes`` over a leading batch axis of equal length, its
own batching), in every ``mode`` (``'full'``, ``'same'``, ``'valid'``), on 1-D and 2-D operands of any order of
sizes (the second may be the larger: ``'same'`` still keeps the FIRST operand's shape, and ``'valid'`` swaps),
real or complex. The expected answer is scipy.signal's definition on the oracle (`oracle.convolve`/
``correlate``, `oracle_filters.convolve2d`/``correlate2d``: ``'same'`` the centred part of ``'full'``, the extra
sample of an even kernel at the start except for ``correlate2d``). Operands that are not ordered on every axis are
left to the belief ``jax-scipy-signal-convolve2d-accepts-scipy-shapes``.

Beliefs registered here: ``jax-scipy-signal-convolve2d-accepts-scipy-shapes`` (the direct methods refuse
unordered shapes that scipy convolves) and ``jax-scipy-signal-convolve-keeps-integer-dtype`` (integers come back
as floats).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle, oracle_filters, tolerance
from conv_equivalence.identities import Identity, IdentityFailure, assert_close, register
from conv_equivalence.identities.misconceptions import _INTS, belief

FUNCTIONS = ("correlate", "convolve", "correlate2d", "convolve2d", "fftconvolve")


@st.composite
def signal_cases(draw: st.DrawFn, target: str) -> dict[str, Any]:
    function = draw(st.sampled_from(FUNCTIONS))
    nd = 2 if function.endswith("2d") else draw(st.sampled_from((1, 2)))
    a_shape = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    v_shape = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    method = draw(st.sampled_from(("auto", "direct", "fft"))) if function in ("correlate", "convolve") else None
    fft = function == "fftconvolve" or method == "fft"
    mode = draw(st.sampled_from(("full", "same", "valid")))
    ordered = all(m >= n for m, n in zip(a_shape, v_shape)) or all(m <= n for m, n in zip(a_shape, v_shape))
    assume(ordered or (fft and mode != "valid"))  # the belief jax-scipy-signal-convolve2d-accepts-scipy-shapes
    dtype = draw(st.sampled_from(("float64", "float32", "complex128")))
    parts = _INTS.map(float) if dtype != "complex128" else st.builds(complex, _INTS, _INTS)
    batch = draw(st.integers(1, 2)) if function == "fftconvolve" and draw(st.booleans()) else 0
    lead = (batch,) if batch else ()
    a = draw(hnp.arrays(np.complex128 if dtype == "complex128" else np.float64, lead + a_shape, elements=parts))
    v = draw(hnp.arrays(np.complex128 if dtype == "complex128" else np.float64, lead + v_shape, elements=parts))
    return dict(function=function, method=method, mode=mode, batch=batch, dtype=dtype, fft=fft,
                a=a.astype(dtype), v=v.astype(dtype))


def _definition(function: str, a: np.ndarray, v: np.ndarray, mode: str) -> np.ndarray:
    if function == "correlate2d":
        return oracle_filters.correlate2d(a, v, mode)
    if function == "convolve2d":
        return oracle_filters.convolve2d(a, v, mode)
    return (oracle.correlate if function == "correlate" else oracle.convolve)(a, v, mode)


def expected(case: dict[str, Any], a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """scipy.signal's answer (per batch item for ``fftconvolve`` with ``axes``)."""
    if case["batch"]:
        return np.stack([_definition(case["function"], x, k, case["mode"]) for x, k in zip(a, v)])
    return _definition(case["function"], a, v, case["mode"])


def _call(case: dict[str, Any]) -> np.ndarray:
    from conv_equivalence.backends.jax_lax import x64_scope

    with x64_scope() as jax:
        fn = getattr(jax.scipy.signal, case["function"])
        a, v = jax.numpy.asarray(case["a"]), jax.numpy.asarray(case["v"])
        if case["function"] == "fftconvolve":
            axes = tuple(range(1, a.ndim)) if case["batch"] else None
            return np.asarray(fn(a, v, case["mode"], axes=axes))
        if case["method"] is not None:
            return np.asarray(fn(a, v, case["mode"], method=case["method"], precision=jax.lax.Precision.HIGHEST))
        return np.asarray(fn(a, v, case["mode"], precision=jax.lax.Precision.HIGHEST))


def _check(target: str, case: dict[str, Any]) -> None:
    what = (f"jax.scipy.signal.{case['function']}(in1 {case['a'].shape}, in2 {case['v'].shape}, {case['mode']!r}"
            + (f", method={case['method']!r}" if case["method"] else "") + (", axes" if case["batch"] else "") + ")")
    try:
        got = _call(case)
    except Exception as exc:  # noqa: BLE001 - a refusal of documented arguments is the finding
        raise IdentityFailure(f"{what} refused: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}", case=case) from None
    a, v = case["a"].astype(np.complex128), case["v"].astype(np.complex128)
    exact = expected(case, a, v)
    if not np.iscomplexobj(case["a"]):
        exact = exact.real
    precision = "float32" if case["dtype"] == "float32" else "float64"
    if case["fft"]:
        length = math.prod(m + n - 1 for m, n in zip(case["a"].shape[-2:], case["v"].shape[-2:]))
        bound = max(tolerance.fft_bound(x, k, length, precision) for x, k in
                    (zip(case["a"], case["v"]) if case["batch"] else [(case["a"], case["v"])]))
        assert_close(np.asarray(got).astype(exact.dtype), exact, bound, what=what, case=case)
        return
    magnitude = expected(case, np.abs(a), np.abs(v)).real
    terms = int(min(case["a"].size, case["v"].size))
    direct = tolerance.direct_bound(magnitude, terms, precision, complex_data=bool(np.iscomplexobj(exact)))
    assert_close(np.asarray(got), exact, direct, what=what, case=case)


register(Identity(
    "native-jax-scipy-signal-modes-follow-scipy",
    "jax.scipy.signal.correlate, convolve (method auto, direct, fft), correlate2d, convolve2d and fftconvolve (with "
    "axes) give scipy.signal's answer in every mode, for operands of either order of sizes, real or complex: 'same' "
    "keeps in1's shape and puts an even kernel's extra sample where scipy does.",
    "jax.scipy.signal.f(in1, in2, mode) == scipy.signal.f(in1, in2, mode)",
    lambda: ["jax.scipy.signal"], signal_cases, _check, tags=("native", "jax"),
))


# -- beliefs ---------------------------------------------------------------------------------------------------

def _jss(function: str, a: np.ndarray, v: np.ndarray, mode: str = "full") -> np.ndarray:
    from conv_equivalence.backends.jax_lax import x64_scope

    with x64_scope() as jax:
        return np.asarray(getattr(jax.scipy.signal, function)(a, v, mode))


@st.composite
def _unordered(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    shape = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=3)
    return (draw(hnp.arrays(np.float64, draw(shape), elements=_INTS.map(float))),
            draw(hnp.arrays(np.float64, draw(shape), elements=_INTS.map(float))))


def _transform_length(c: tuple[np.ndarray, np.ndarray]) -> int:
    """The full convolution's size, the transform jax.scipy.signal.fftconvolve takes."""
    return int(np.prod([m + n - 1 for m, n in zip(c[0].shape, c[1].shape)]))


belief(
    "jax-scipy-signal-convolve2d-accepts-scipy-shapes", "jax",
    "Belief: jax.scipy.signal.convolve2d, like scipy.signal.convolve2d, convolves any two 2-D arrays in 'full' mode.",
    "jax.scipy.signal.convolve2d(a, v) == scipy.signal.convolve2d(a, v)   (any shapes)", _unordered(),
    lambda c: (_jss("convolve2d", *c), oracle_filters.convolve2d(*c)),
    lambda c: (_jss("fftconvolve", *c), oracle_filters.convolve2d(*c)),
    "jax.scipy.signal.fftconvolve(a, v) == scipy.signal.convolve2d(a, v)   (any shapes; the direct methods need "
    "one operand at least the other on every axis)",
    "jax.scipy.signal's direct convolutions (convolve, correlate, convolve2d, correlate2d) swap their operands like "
    "scipy's but refuse, in every mode, operands that are not ordered on every axis (ValueError 'One input must be "
    "smaller than the other in every dimension'), which scipy requires only in 'valid' mode. The smallest: in1 of "
    "shape (2, 1) and in2 of shape (1, 2), 4 elements. fftconvolve accepts them. Upstream: no report found (searched "
    "2026-12-06); jax-ml/jax PR #21241 (closed unmerged) reworked the same swap logic for boundary='wrap'.", 4,
    ("jax", "refusal"),
    truth_bound=lambda c: tolerance.fft_bound(c[0], c[1], _transform_length(c), "float64"),
    script="""
    a, v = np.array([[1.0], [2.0]]), np.array([[3.0, 4.0]])
    # scipy.signal.convolve2d(a, v): the outer product
    expected = np.array([[3.0, 4.0], [6.0, 8.0]])
    try:
        actual = np.asarray(jax.scipy.signal.convolve2d(a, v))
    except ValueError as error:  # One input must be smaller than the other in every dimension.
        actual = repr(error)
    """,
)


@st.composite
def _int_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    vectors = hnp.arrays(np.int64, st.integers(1, 4).map(lambda n: (n,)), elements=st.integers(-3, 3))
    return draw(vectors), draw(vectors)


belief(
    "jax-scipy-signal-convolve-keeps-integer-dtype", "jax",
    "Belief: jax.scipy.signal.convolve, like scipy.signal.convolve, returns integers for integer input.",
    "jax.scipy.signal.convolve(a, v).dtype == scipy.signal.convolve(a, v).dtype   (int64 a, v)", _int_pairs(),
    lambda c: (str(_jss("convolve", *c).dtype), str(np.result_type(*c))),
    lambda c: (_jss("convolve", *c), oracle.convolve(*c).astype(np.float64)),
    "jax.scipy.signal.convolve(a, v) == scipy.signal.convolve(a, v).astype(float)   (values equal, dtype inexact)",
    "jax.scipy.signal's convolutions promote their operands to an inexact dtype first (promote_dtypes_inexact): "
    "int64 operands give float64 in 64-bit mode (float32 without it), int32 give float32; scipy keeps "
    "numpy.result_type. The docstrings do not mention it. Any integer pair shows it: 2 elements. Upstream: "
    "jax-ml/jax#10128 (closed) for jnp.convolve, answered by its preferred_element_type (PR #16487), which "
    "jax.scipy.signal does not take.", 2, ("jax", "dtype"),
    script="""
    jax.config.update("jax_enable_x64", True)
    a, v = np.array([1]), np.array([1])
    expected = "int64"  # scipy.signal.convolve(a, v).dtype
    actual = str(jax.scipy.signal.convolve(a, v).dtype)
    """,
)
