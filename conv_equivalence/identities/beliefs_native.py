"""Beliefs refuted by the library-native exploration (`conv_equivalence.identities.native`): what the
libraries' own arguments reach and torch-style problems never do. Found by this suite.

Each is registered with `belief` (see `conv_equivalence.identities.misconceptions`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle
from conv_equivalence.identities.misconceptions import _ndimage, _signal, belief
from conv_equivalence.identities.native import numpy_same


def _grid(dtype: Any, elements: st.SearchStrategy[Any], max_side: int = 2, min_side: int = 1) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(dtype, hnp.array_shapes(min_dims=2, max_dims=2, min_side=min_side, max_side=max_side), elements=elements)


_BOOL_OR_HALF = st.sampled_from([np.bool_, np.float16]).flatmap(
    lambda dtype: st.tuples(_grid(dtype, st.booleans() if dtype is np.bool_ else st.integers(-3, 3)),
                            _grid(dtype, st.booleans() if dtype is np.bool_ else st.integers(-3, 3))))


def _promoted(a: np.ndarray) -> np.ndarray:
    return a.astype(np.int64 if a.dtype == bool else np.float32)


belief(
    "scipy-nd-direct-takes-every-dtype", "scipy.signal",
    "Belief: scipy.signal.correlate(method='direct') takes operands of any numeric dtype in any rank, as its "
    "1-D path and its documentation ('array_like') suggest.",
    "scipy.signal.correlate(in1, in2, method='direct') == exact sum as numpy.result_type(in1, in2)   (2-D, bool or float16)",
    _BOOL_OR_HALF,
    lambda c: (_signal().correlate(c[0], c[1], method="direct"),
               oracle.correlate(_promoted(c[0]), _promoted(c[1])).astype(np.result_type(c[0], c[1]))),
    lambda c: (_signal().correlate(_promoted(c[0]), _promoted(c[1]), method="direct"), oracle.correlate(_promoted(c[0]), _promoted(c[1]))),
    "scipy.signal.correlate(in1.astype(int64 or float32), in2.astype(...), method='direct') == exact sum",
    "The N-d direct loop (and correlate2d/convolve2d) has kernels for the integer, float32/64 and complex types "
    "only; a bool or float16 result raises 'Unsupported type' ('convolve2d not available for this type'), while "
    "the 1-D path hands the same arrays to numpy, which takes them, except in 'same' mode with the longer in2, "
    "which goes to the N-d loop again: correlate([True], [True, True], 'same') raises too. Cast first. Upstream: "
    "scipy#19671 asks for bool in convolve2d (open); the 1-D / N-d split is not reported. Found by this suite's native "
    "exploration. A 1x1 image and a 1x1 kernel: 2 elements.", 2, ("dtype", "discovered", "native"),
    script=("in1 = numpy.array([[True]])\nin2 = numpy.array([[True]])\n"
            "expected = numpy.array([[True]])  # numpy.result_type(bool, bool), as the 1-D path returns\n"
            "try:\n    actual = scipy.signal.correlate(in1, in2, method='direct')\n"
            "except ValueError as exc:\n    actual = f'ValueError: {exc}'\n"),
)


def _complex_small_and_larger(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    parts = st.builds(complex, st.integers(-2, 2), st.integers(-2, 2))
    a = draw(_grid(np.complex128, parts, max_side=2))
    extra = draw(st.tuples(st.integers(0, 1), st.integers(1, 2)))
    v = draw(hnp.arrays(np.complex128, (a.shape[0] + extra[0], a.shape[1] + extra[1]), elements=parts))
    return a, v


belief(
    "correlate2d-valid-is-correlate-valid", "scipy.signal",
    "Belief: scipy.signal.correlate2d(in1, in2, 'valid') is scipy.signal.correlate(in1, in2, 'valid') on complex "
    "images, whichever input is larger.",
    "correlate2d(in1, in2, 'valid') == correlate(in1, in2, 'valid')   (in2 larger, complex)",
    st.composite(_complex_small_and_larger)(),
    lambda c: (_signal().correlate2d(c[0], c[1], "valid"), _signal().correlate(c[0], c[1], "valid")),
    lambda c: (np.conj(_signal().correlate2d(c[1], c[0], "valid"))[::-1, ::-1], oracle.correlate(c[0], c[1], "valid")),
    "conj(correlate2d(in2, in1, 'valid'))[::-1, ::-1] == exact correlate(in1, in2, 'valid')   (put the larger first)",
    "Correlation conjugates its second input. When in2 is the larger, correlate2d swaps the inputs to slide the "
    "smaller over the larger but keeps conjugating the second argument, now in1, so every output is conjugated: "
    "correlate2d([[1j]], [[1, 2]], 'valid') is [[-2j, -1j]], correlate and numpy.correlate give [[2j, 1j]]. "
    "Related to scipy#12685 (swapped inputs with non-default boundaries) and scipy#5954 (conjugation); this "
    "case is not in either. Found by this suite's native exploration. A 1x1 complex image and a 1x2 kernel: "
    "3 elements.", 3, ("conjugation", "discovered", "native"),
    script=("in1 = numpy.array([[1j]])\nin2 = numpy.array([[1.0, 2.0]])\n"
            "expected = numpy.array([[2j, 1j]])  # sum_j in1[k + j] * conj(in2[j]), as scipy.signal.correlate gives\n"
            "actual = scipy.signal.correlate2d(in1, in2, 'valid')\n"),
)


def _numpy_same_sides(c: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    import numpy

    return numpy.correlate(c[0], c[1], "same"), _signal().correlate(c[0], c[1], "same")


belief(
    "numpy-same-is-scipy-same", "numpy",
    "Belief: numpy.correlate(a, v, 'same') is scipy.signal.correlate(a, v, 'same'): the output as long as a.",
    "numpy.correlate(a, v, 'same') == scipy.signal.correlate(a, v, 'same')",
    st.tuples(hnp.arrays(np.float64, st.integers(1, 4).map(lambda n: (n,)), elements=st.integers(-3, 3)),
              hnp.arrays(np.float64, st.integers(1, 5).map(lambda n: (n,)), elements=st.integers(-3, 3), fill=st.nothing())),
    _numpy_same_sides,
    lambda c: (__import__("numpy").correlate(c[0], c[1], "same"),
               oracle.correlate(c[0], c[1], "full")[numpy_same("numpy.correlate", c[0].size, c[1].size)]),
    "numpy.correlate(a, v, 'same') == full[start : start + max(M, N)], start = (min - 1) // 2, or min // 2 when v is longer",
    "numpy's 'same' returns max(M, N) samples, scipy's keeps the length of in1; and numpy.correlate with the "
    "longer v computes correlate(v, a)[::-1], which moves its centre one sample for an even shorter input. Stated "
    "in numpy's docstring ('length max(M, N)'), easy to miss. An input of 1 and a kernel of 2: 3 elements.", 3,
    ("same", "native"),
    script=("a = numpy.array([1.0])\nv = numpy.array([1.0, 2.0])\n"
            "expected = numpy.array([2.0])  # the length of a, as scipy.signal.correlate(a, v, 'same') gives\n"
            "actual = numpy.correlate(a, v, 'same')\n"),
)


belief(
    "ndimage-integer-overflow-wraps", "scipy.ndimage",
    "Belief: scipy.ndimage.correlate on an integer image wraps an overflowing sum modulo 2**bits, as numpy "
    "and scipy.signal do.",
    "ndimage.correlate(x, w) == (exact sum) mod 2**32   (x int32)",
    st.tuples(hnp.arrays(np.int32, st.integers(1, 3).map(lambda n: (n,)),
                         elements=st.sampled_from([2**31 - 1, -(2**31), 1, 0])),
              hnp.arrays(np.float64, st.integers(1, 2).map(lambda n: (n,)), elements=st.sampled_from([2.0, 1.0, -1.0]),
                         fill=st.nothing())),
    lambda c: (_ndimage().correlate(c[0], c[1], mode="constant"),
               np.array([((int(v) + 2**31) % 2**32) - 2**31 for v in np.trunc(
                   _ndimage().correlate(c[0].astype(np.float64), c[1], mode="constant"))], dtype=np.int32)),
    lambda c: (_ndimage().correlate(c[0].astype(np.float64), c[1], mode="constant"),
               oracle.conv(np.pad(c[0].astype(np.float64), (c[1].size // 2, (c[1].size - 1) // 2))[None, None],
                           c[1][None, None])[0, 0]),
    "ndimage.correlate(x.astype(float64), w) == exact sum   (cast the input up, and the result down yourself)",
    "ndimage accumulates in float64 and casts the sum to the input's dtype with a C cast, which is undefined for "
    "a value out of range: on x86, int8, int16 and uint8 results wrap, but int32 and int64 ones become the "
    "dtype's minimum (the 'integer indefinite' value): correlate(int32([2**31 - 1]), [2.0]) is -2**31, not -2. "
    "Not in the tracker (scipy#10390, int64 precision lost through float64, is related). Found by this suite's "
    "native exploration. A 1-sample image and a 1-tap kernel: 2 elements.", 2,
    ("dtype", "discovered", "native"),
    script=("x = numpy.array([2**31 - 1], dtype=numpy.int32)\nw = numpy.array([2.0])\n"
            "expected = numpy.array([-2], dtype=numpy.int32)  # 2**32 - 2 wrapped modulo 2**32, as numpy wraps\n"
            "actual = scipy.ndimage.correlate(x, w, mode='constant')\n"),
)


def _jnp_correlate_nan(c: tuple[np.ndarray, np.ndarray], dtype: Any = np.float32) -> tuple[np.ndarray, np.ndarray]:
    from conv_equivalence.backends.jax_lax import x64_scope

    with x64_scope() as jax:
        got = np.asarray(jax.numpy.correlate(c[0].astype(dtype), c[1].astype(dtype), "full"))
    return np.isnan(got), np.isnan(oracle.correlate(c[0], c[1], "full"))


belief(
    "jax-numpy-correlate-forms-only-defined-products", "jax",
    "Belief: jax.numpy.correlate(a, v, 'full') in float32 multiplies only pairs of samples that exist, as "
    "numpy.correlate does, so a NaN in v reaches only the outputs it overlaps.",
    "isnan(jax.numpy.correlate(a, v, 'full')) == isnan(exact)   (float32, NaN in v)",
    st.tuples(hnp.arrays(np.float64, st.integers(1, 4).map(lambda n: (n,)), elements=st.sampled_from([0.0, 1.0])),
              hnp.arrays(np.float64, st.integers(1, 4).map(lambda n: (n,)), elements=st.sampled_from([0.0, 1.0, np.nan]),
                         fill=st.nothing()).filter(lambda v: bool(np.isnan(v).any()))),
    _jnp_correlate_nan,
    lambda c: _jnp_correlate_nan(c, np.float64),
    "isnan(jax.numpy.correlate(a.astype(float64), v.astype(float64), 'full')) == isnan(exact)   (64-bit mode)",
    "jax.numpy.correlate is a lax convolution with (n2 - 1) zeros of padding; XLA's CPU float32 and float16 "
    "kernels multiply those zeros by the weights, so 0 * NaN spreads the NaN one sample past its reach, while "
    "the float64 kernel forms only the defined products (the same split as the known issue "
    "jax-transpose-multiplies-inserted-zeros). Not found in JAX's tracker. Found by this suite's native exploration. "
    "An exhaustive search "
    "over inputs and kernels of up to 4 samples (values 0, 1, NaN) finds nothing shorter than 3 and 3: "
    "6 elements (XLA takes another path for shorter signals).", 6,
    ("ieee", "discovered", "native"),
    script=("a = numpy.zeros(3, dtype=numpy.float32)\nv = numpy.array([0.0, 0.0, numpy.nan], dtype=numpy.float32)\n"
            "expected = numpy.array([numpy.nan, numpy.nan, numpy.nan, 0.0, 0.0])  # numpy.correlate(a, v, 'full')\n"
            "jax.config.update('jax_enable_x64', True)\n"
            "actual = numpy.asarray(jax.numpy.correlate(a, v, 'full'))\n"),
)


def _jnp_bool_sides(c: tuple[np.ndarray, np.ndarray], as_float: bool = False) -> tuple[np.ndarray, np.ndarray]:
    from conv_equivalence.backends.jax_lax import x64_scope

    a = c[0].astype(np.float32) if as_float else c[0]
    with x64_scope() as jax:
        got = np.asarray(jax.numpy.correlate(a, c[1], "valid"))
    return np.isnan(got), np.isnan(np.correlate(c[0], c[1], "valid"))


belief(
    "jax-numpy-bool-input-is-zero-one", "jax",
    "Belief: jax.numpy.correlate reads a bool input as the numbers 0 and 1, as numpy does, so False * NaN is NaN.",
    "isnan(jax.numpy.correlate(a, v)) == isnan(numpy.correlate(a, v))   (a bool, v float32 with NaN)",
    st.tuples(hnp.arrays(np.bool_, st.integers(1, 3).map(lambda n: (n,)), elements=st.booleans()),
              hnp.arrays(np.float32, st.just((1,)), elements=st.sampled_from([1.0, np.nan]))),
    _jnp_bool_sides,
    lambda c: _jnp_bool_sides(c, as_float=True),
    "isnan(jax.numpy.correlate(a.astype(float32), v)) == isnan(numpy.correlate(a, v))   (cast the mask first)",
    "jax.numpy.correlate(a, v) with a bool a and a float v gives 0 where a is False, even against a NaN: "
    "correlate([False], [nan]) is [0] (numpy: [nan]); cast to float32 first and JAX gives NaN too. A boolean "
    "used as a mask meets IEEE arithmetic differently in the two libraries. Reported upstream as jax#12233 "
    "(open: under jit XLA folds a multiply by a converted False to 0); correlate is a new trigger. Found by this "
    "suite's native exploration. One sample and one tap: 2 elements.", 2, ("ieee", "dtype", "discovered", "native"),
    script=("a = numpy.array([False])\nv = numpy.array([numpy.nan], dtype=numpy.float32)\n"
            "expected = numpy.array([numpy.nan])  # numpy.correlate(a, v): False is 0.0, and 0.0 * nan is nan\n"
            "actual = numpy.asarray(jax.numpy.correlate(a, v))\n"),
)
