"""Beliefs about integer dtypes, overflow, FFT precision and NaN, and output sizes.

Each is registered with `belief` (see `conv_equivalence.identities.misconceptions`).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from conv_equivalence import oracle, tolerance
from conv_equivalence.identities.misconceptions import Pair, _signal, belief, pairs, vector

# -- dtypes, overflow, precision ---------------------------------------------------------------------------

def _int8_pairs() -> st.SearchStrategy[Pair]:
    return st.tuples(vector(dtype=np.int8, elements=st.integers(-128, 127), max_side=3),
                     vector(dtype=np.int8, elements=st.integers(-128, 127), kernel=True, max_side=3))


belief(
    "numpy-integer-convolution-is-exact", "numpy",
    "Belief: numpy.convolve of integer arrays gives the exact integer result.",
    "np.convolve(a, v) == exact convolution   (int8 a, v)", _int8_pairs(),
    lambda c: (np.convolve(c[0], c[1]).astype(np.int64), oracle.convolve(c[0], c[1])),
    lambda c: (np.convolve(c[0].astype(np.int64), c[1].astype(np.int64)), oracle.convolve(c[0], c[1])),
    "np.convolve(a.astype(int64), v.astype(int64)) == exact   (no promotion: int8 products wrap)",
    "numpy keeps the input dtype, so int8 sums wrap modulo 256 silently. One product out of range is enough: "
    "a=[-128]*1, v=[-1] gives 128 -> -128. 2 elements.", 2, ("dtype", "overflow"),
    script="""
    a, v = np.array([3], dtype=np.int8), np.array([43], dtype=np.int8)
    # the belief: the exact integer result, 3 * 43
    expected = np.array([129])
    actual = numpy.convolve(a, v)
    """,
)

belief(
    "scipy-integer-correlation-is-exact", "scipy.signal",
    "Belief: scipy.signal.correlate of integer arrays gives the exact integer result.",
    "scipy.signal.correlate(a, v, method='direct') == exact   (int8 a, v)", _int8_pairs(),
    lambda c: (_signal().correlate(c[0], c[1], method="direct").astype(np.int64), oracle.correlate(c[0], c[1])),
    lambda c: (_signal().correlate(c[0].astype(np.int64), c[1].astype(np.int64), method="direct"), oracle.correlate(c[0], c[1])),
    "scipy.signal.correlate(a.astype(int64), v.astype(int64)) == exact",
    "The direct method keeps the integer dtype and wraps on overflow (scipy issue 6076). 2 elements.",
    2, ("dtype", "overflow"),
    script="""
    a, v = np.array([3], dtype=np.int8), np.array([43], dtype=np.int8)
    # the belief: the exact integer result, 3 * 43
    expected = np.array([129])
    actual = scipy.signal.correlate(a, v, method="direct")
    """,
)

belief(
    "fftconvolve-keeps-integer-dtype", "scipy.signal",
    "Belief: scipy.signal.fftconvolve returns the dtype it was given, like convolve does.",
    "fftconvolve(a, v).dtype == convolve(a, v, method='direct').dtype   (integer a, v)",
    st.tuples(vector(dtype=np.int64), vector(dtype=np.int64, kernel=True)),
    lambda c: (str(_signal().fftconvolve(c[0], c[1]).dtype), str(_signal().convolve(c[0], c[1], method="direct").dtype)),
    lambda c: (str(_signal().fftconvolve(c[0], c[1]).dtype), "float64"),
    "fftconvolve(a, v).dtype == float64 for integer input (round it to compare with the direct method)",
    "FFTs work in floating point, so fftconvolve always returns floats; the direct method keeps integers. "
    "Length-1 arguments take a shortcut that keeps integers, so two length-2 arrays: 4 elements.", 4, ("dtype", "fft"),
    script="""
    a, v = np.array([0, 0], dtype=np.int64), np.array([0, 0], dtype=np.int64)
    # the belief: the input's dtype, as convolve(a, v, method='direct') returns
    expected = "int64"
    actual = str(scipy.signal.fftconvolve(a, v).dtype)
    """,
)

belief(
    "fftconvolve-is-exact-on-integers", "scipy.signal",
    "Belief: on integer-valued data fftconvolve gives exactly what direct convolution gives.",
    "fftconvolve(a, v) == convolve(a, v, method='direct')   (integer-valued floats)",
    st.tuples(vector(max_side=4, elements=st.integers(-3, 3)), vector(max_side=4, kernel=True, elements=st.integers(-3, 3))),
    lambda c: (_signal().fftconvolve(c[0], c[1]), _signal().convolve(c[0], c[1], method="direct")),
    lambda c: (_signal().fftconvolve(c[0], c[1]), _signal().convolve(c[0], c[1], method="direct")),
    "|fftconvolve(a, v) - convolve(a, v)| <= (3 eps + sqrt(2) gamma_2)(||a||_2 ||v||_1 + ||a||_1 ||v||_2)",
    "The FFT rounds every frequency; its error is spread over all outputs and bounded in norm, not per element, "
    "so exact zeros come back as 1e-16 noise. Length-1 arguments are multiplied directly; two length-2 "
    "arrays ([1, 1] and [0, 1]) already leave noise: 4 elements.",
    4, ("fft", "precision"), truth_bound=lambda c: 2 * tolerance.fft_bound(c[0], c[1], c[0].size + c[1].size - 1, "float64"),
    script="""
    a, v = np.array([1.0, 1.0]), np.array([0.0, 1.0])
    # the belief: the exact convolution [a0 v0, a0 v1 + a1 v0, a1 v1]
    expected = np.array([0.0, 1.0, 1.0])
    actual = scipy.signal.fftconvolve(a, v)
    """,
)

belief(
    "fft-nan-stays-local", "scipy.signal",
    "Belief: a NaN in the input spoils only the outputs whose window holds it, whatever the method.",
    "isnan(fftconvolve(x, w)) == isnan(convolve(x, w, method='direct'))",
    st.tuples(vector(min_side=1, max_side=4, elements=st.sampled_from([0.0, 1.0, np.nan])), vector(kernel=True, max_side=2,
              elements=st.integers(1, 3))),
    lambda c: (np.isnan(_signal().fftconvolve(c[0], c[1])), np.isnan(_signal().convolve(c[0], c[1], method="direct"))),
    lambda c: (np.isnan(_signal().convolve(c[0], c[1], method="direct")), np.isnan(oracle.convolve(c[0], c[1]))),
    "direct methods keep NaN local: isnan(convolve(x, w, method='direct')) == isnan(exact)",
    "A transform mixes every input sample into every frequency, so one NaN makes the whole output NaN. "
    "A one-tap kernel is applied by multiplication, so the smallest case is an input [nan, 0] and a two-tap "
    "kernel: 4 elements.", 4, ("fft", "ieee"),
    script="""
    x, w = np.array([np.nan, 0.0]), np.array([1.0, 1.0])
    # the belief: NaN only where the window holds x[0]: [x0 w0, x0 w1 + x1 w0, x1 w1]
    expected = np.array([np.nan, np.nan, 0.0])
    actual = scipy.signal.fftconvolve(x, w)
    """,
)


# -- sizes -------------------------------------------------------------------------------------------------

belief(
    "valid-is-empty-when-kernel-is-longer", "numpy",
    "Belief: 'valid' convolution with a kernel longer than the input has no output (or fails, as torch does).",
    "len(np.convolve(a, v, 'valid')) == max(0, len(a) - len(v) + 1)", pairs(),
    lambda c: (len(np.convolve(c[0], c[1], mode="valid")), max(0, len(c[0]) - len(c[1]) + 1)),
    lambda c: (len(np.convolve(c[0], c[1], mode="valid")), abs(len(c[0]) - len(c[1])) + 1),
    "len(np.convolve(a, v, 'valid')) == |len(a) - len(v)| + 1   (numpy swaps the arguments)",
    "numpy, scipy and JAX silently swap the operands in 'valid' mode; torch raises 'Kernel size can't be "
    "greater than actual input size'. A one-element input and a two-element kernel: 3 elements.", 3, ("shape",),
    script="""
    a, v = np.array([0.0]), np.array([0.0, 0.0])
    # the belief: no output, max(0, len(a) - len(v) + 1) samples
    expected = 0
    actual = len(numpy.convolve(a, v, mode="valid"))
    """,
)
