"""Beliefs that scipy.ndimage's kernel handling contradicts (defects found by this suite).

Each is registered with `belief` (see `conv_equivalence.identities.misconceptions`).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle
from conv_equivalence.identities.misconceptions import Pair, _ndimage, belief, pairs

# -- scipy.ndimage defects found by this suite -----------------------------------------------------------------

def _ndimage_scaling(c: Pair) -> tuple[np.ndarray, np.ndarray]:
    x, w = c
    scale = 2.0**-60
    return _ndimage().correlate(x, w * scale, mode="constant") / scale, _ndimage().correlate(x, w, mode="constant")


belief(
    "ndimage-correlate-is-scale-invariant", "scipy.ndimage",
    "Belief: scaling the kernel by a power of two scales scipy.ndimage's result by the same factor.",
    "ndimage.correlate(x, c*w) == c * ndimage.correlate(x, w)   (c = 2**-60, exact in binary)", pairs(),
    _ndimage_scaling,
    lambda c: (oracle.conv(np.pad(c[0], (c[1].size // 2, (c[1].size - 1) // 2))[None, None], c[1][None, None] * 2.0**-60)[0, 0] / 2.0**-60,
               _ndimage().correlate(c[0], c[1], mode="constant")),
    "exact correlation with c*w, divided by c, == ndimage.correlate(x, w)   (ndimage's own result is right at scale 1)",
    "scipy.ndimage drops kernel weights whose magnitude is at most DBL_EPSILON (about 2.2e-16) and treats "
    "kernels symmetric within DBL_EPSILON as exactly symmetric. The threshold is absolute, so a kernel of tiny "
    "weights loses its taps: correlate([1], [2**-60]) is 0. Found by this suite. 2 elements.", 2,
    ("precision", "discovered"),
    script="""
    x, w = np.array([1.0]), np.array([2.0**-60])
    # the belief: scaling w by 2**-60 (exact in binary) scales the result: 1 * 2**-60
    expected = np.array([2.0**-60])
    actual = scipy.ndimage.correlate(x, w, mode="constant")
    """,
)

belief(
    "ndimage-nan-weight-propagates", "scipy.ndimage",
    "Belief: a NaN weight makes scipy.ndimage.correlate's output NaN, as IEEE arithmetic says.",
    "isnan(ndimage.correlate(x, w)) == isnan(exact)   (w holds a NaN)",
    st.tuples(hnp.arrays(np.float64, st.tuples(st.just(1), st.integers(1, 3)), elements=st.integers(1, 3)),
              hnp.arrays(np.float64, st.tuples(st.just(1), st.integers(1, 3)), elements=st.sampled_from([1.0, np.nan]),
                         fill=st.nothing()).filter(lambda w: bool(np.isnan(w).any()))),
    lambda c: (np.isnan(_ndimage().correlate(c[0], c[1], mode="constant")), np.ones(c[0].shape, dtype=bool)),
    lambda c: (np.isnan(oracle.conv(np.pad(c[0], ((0, 0), (0, c[1].shape[-1] - 1)))[None, None], c[1][None, None])[0, 0]),
               np.ones(c[0].shape, dtype=bool)),
    "the exact correlation of the zero-extended input (oracle.conv) is NaN at every output, as 0 * NaN is NaN",
    "The N-d filter drops weights that fail |w| > DBL_EPSILON, and the comparison is false for NaN, so a NaN "
    "weight is silently ignored. The 1-D filters are no refuge: they take a kernel for symmetric when no mirrored "
    "pair differs by more than DBL_EPSILON, false again for NaN, and then use the mirrored half, so "
    "correlate1d([0, 0, 0], [1, 1, nan]) is [0, 0, 0] (known issue ndimage-nan-weights-ignored). Found by this "
    "suite. A 1x1 input and a 1x1 NaN kernel: 2 elements.", 2,
    ("ieee", "discovered"),
    script="""
    x, w = np.array([[1.0]]), np.array([[np.nan]])
    # the belief: IEEE arithmetic, 1 * nan
    expected = np.array([[np.nan]])
    actual = scipy.ndimage.correlate(x, w, mode="constant")
    """,
)
