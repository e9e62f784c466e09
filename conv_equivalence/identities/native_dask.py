"""Library-native exploration of ``dask_image.ndfilters.correlate`` and ``convolve``: the chunked answer
equals the unchunked one, for every ``mode``, ``cval``, ``origin`` and chunking.

Drawn: the function; a 1-D or 2-D array and weights (1 to 4 samples an axis, even sizes included);
``mode`` among scipy.ndimage's eight (``reflect``, ``constant``, ``nearest``, ``mirror``, ``wrap``,
``grid-wrap``, ``grid-constant``, ``grid-mirror``); ``cval``; ``origin`` per axis within the weights; and
the chunking: per axis, chunk lengths from 1 sample up to the whole axis, regular or irregular. The
array is computed on this process's LocalCluster (`conv_equivalence.backends.dask_image.compute`).

The expected answer is the oracle's `oracle_filters.filter_correlate`/`filter_convolve` (scipy.ndimage's
definition, unchunked). Left out: a reach ``K // 2 + |origin|`` longer than the array (map_overlap
refuses, dask#11934), and ``'grid-wrap'`` on an axis cut into several chunks: the belief
``dask-image-grid-wrap-is-wrap`` (dask-image wraps ``'wrap'`` over the whole array since PR 243, but hands
``'grid-wrap'`` to scipy chunk by chunk, which wraps each chunk onto itself).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle_filters
from conv_equivalence.identities import Identity, IdentityFailure, assert_close, register
from conv_equivalence.identities.misconceptions import belief

MODES = ("reflect", "constant", "nearest", "mirror", "wrap", "grid-wrap", "grid-constant", "grid-mirror")


def _chunks(draw: st.DrawFn, n: int) -> tuple[int, ...]:
    """Chunk lengths summing to ``n``: regular (1 up to n) or drawn one by one."""
    if draw(st.booleans()):
        size = draw(st.integers(1, n))
        return tuple([size] * (n // size) + ([n % size] if n % size else []))
    out: list[int] = []
    while sum(out) < n:
        out.append(draw(st.integers(1, n - sum(out))))
    return tuple(out)


@st.composite
def dask_cases(draw: st.DrawFn, target: str) -> dict[str, Any]:
    nd = draw(st.integers(1, 2))
    shape = tuple(draw(st.integers(1, 6)) for _ in range(nd))
    wshape = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    origin = tuple(draw(st.integers(-(k // 2), (k - 1) // 2)) for k in wshape)
    assume(all(k // 2 + abs(o) <= n for k, o, n in zip(wshape, origin, shape)))  # dask#11934
    mode = draw(st.sampled_from(MODES))
    chunks = tuple(_chunks(draw, n) for n in shape)
    assume(mode != "grid-wrap" or all(len(c) == 1 for c in chunks))  # the belief dask-image-grid-wrap-is-wrap
    return {"function": draw(st.sampled_from(("correlate", "convolve"))),
            "x": draw(hnp.arrays(np.float64, shape, elements=st.integers(-4, 4).map(float))),
            "w": draw(hnp.arrays(np.float64, wshape, elements=st.integers(-4, 4).map(float))),
            "mode": mode, "cval": float(draw(st.integers(-3, 3))), "origin": origin, "chunks": chunks}


def _dask(function: str, x: np.ndarray, w: np.ndarray, chunks: tuple[tuple[int, ...], ...], **options: Any) -> np.ndarray:
    import dask.array as da
    from dask_image import ndfilters

    from conv_equivalence.backends.dask_image import compute

    return compute(getattr(ndfilters, function)(da.from_array(x, chunks=chunks), w, **options))


def _check_dask(target: str, case: dict[str, Any]) -> None:
    options = {k: case[k] for k in ("mode", "cval", "origin")}
    what = f"dask_image.ndfilters.{case['function']} {options} chunks={case['chunks']}"
    try:
        got = _dask(case["function"], case["x"], case["w"], case["chunks"], **options)
    except Exception as exc:  # noqa: BLE001 - a refusal of documented arguments is the finding
        raise IdentityFailure(f"{what} refused: {type(exc).__name__}: {exc}", case=case) from None
    expected = getattr(oracle_filters, f"filter_{case['function']}")(case["x"], case["w"], **options)
    assert_close(got, expected, 0.0, what=what, case=case)


register(Identity(
    "native-dask-image-chunking-is-invisible",
    "dask_image.ndfilters.correlate and convolve give scipy.ndimage's unchunked answer for every mode (but grid-wrap "
    "across chunks), cval, origin and chunking, chunks of one sample up to the whole axis, computed on a LocalCluster.",
    "compute(ndfilters.correlate(da.from_array(x, chunks), w, mode, cval, origin)) == ndimage.correlate(x, w, mode, cval, origin)",
    lambda: ["dask_image"], dask_cases, _check_dask, tags=("native", "dask_image"),
))


# -- belief: grid-wrap ----------------------------------------------------------------------------

@st.composite
def _grid_wrap_cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    n = draw(st.integers(2, 6))
    w = draw(hnp.arrays(np.float64, (draw(st.integers(1, 3)),), elements=st.integers(-3, 3).map(float)))
    assume(w.size // 2 <= n)
    size = draw(st.integers(1, n - 1))
    chunks = tuple([size] * (n // size) + ([n % size] if n % size else []))
    x = draw(hnp.arrays(np.float64, (n,), elements=st.integers(-3, 3).map(float)))
    return x, w, chunks


belief(
    "dask-image-grid-wrap-is-wrap", "dask_image",
    "Belief: dask_image.ndfilters.correlate with mode='grid-wrap' (scipy's synonym of 'wrap' for filters) gives "
    "scipy's answer on a chunked array, as 'wrap' does since dask-image PR 243.",
    "ndfilters.correlate(da.from_array(x, chunks), w, mode='grid-wrap') == ndimage.correlate(x, w, mode='grid-wrap')",
    _grid_wrap_cases(),
    lambda c: (_dask("correlate", c[0], c[1], (c[2],), mode="grid-wrap"),
               oracle_filters.filter_correlate(c[0], c[1], "grid-wrap")),
    lambda c: (_dask("correlate", c[0], c[1], (c[2],), mode="wrap"), oracle_filters.filter_correlate(c[0], c[1], "grid-wrap")),
    "ndfilters.correlate(da.from_array(x, chunks), w, mode='wrap') == ndimage.correlate(x, w, mode='grid-wrap')",
    "dask-image gives 'wrap' a periodic overlap of the whole array (the fix of dask-image#242, PR 243) but hands every "
    "other mode, 'grid-wrap' included, to scipy chunk by chunk, and scipy wraps the first chunk's left edge onto that "
    "chunk's own last sample instead of the array's. Two samples in two chunks agree (the overlapped chunk is the "
    "whole array); the smallest case is three samples in chunks of one and a two-tap kernel whose first tap reads "
    "across the left edge: 5 elements.",
    5, ("dask_image", "boundary"),
    script="""
    import dask.array as da
    from dask_image import ndfilters
    x, w = np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0])
    # grid-wrap: out[0] = w[0] * x[-1] (= x[2], the array wrapped) + w[1] * x[0]
    expected = np.array([1.0, 0.0, 0.0])
    actual = ndfilters.correlate(da.from_array(x, chunks=1), w, mode="grid-wrap").compute(scheduler="sync")
    """,
)
