"""Library-native exploration of ``astropy.convolution.convolve`` and ``convolve_fft``: the options the
adapter fixes, against the oracle.

Drawn: the function; a 1-D or 2-D array, NaN in it one time in three; a kernel (odd for ``convolve``,
any size for ``convolve_fft``); ``boundary`` ``None``, ``'fill'``, ``'wrap'``, ``'extend'`` (direct only);
``fill_value``; ``normalize_kernel`` (the default True divides the kernel by its sum); ``nan_treatment``
``'interpolate'`` (the default) or ``'fill'``; ``preserve_nan``.

The expected answer, on the oracle (`oracle_filters.filter_correlate` of the flipped kernel, centre
``K // 2``): ``kern = kernel / sum(kernel)`` when normalising; with ``'fill'`` NaN become ``fill_value``;
with ``'interpolate'`` the NaN are left out of each sum and the weights that remain rescale it,
``conv(x, kern) / conv(valid, kern) * sum(kern)`` (``valid`` is 1 on the non-NaN samples and on the
boundary's continuation; a window of NaN only is NaN, or 0 from ``convolve_fft``, whose ``min_wt=0``
says so); ``boundary=None`` zeroes each output whose kernel leaves the array (direct; a kernel longer than
the array is refused, KernelSizeError),
and means ``'fill'`` for the FFT; ``preserve_nan`` puts NaN back where the array had them. Kernels are
positive where a sum divides (normalising, interpolating). ``convolve_fft`` with ``'wrap'`` and a kernel
longer than the array is the known issue ``astropy-convolve-fft-wrap-long-kernel`` and is left out.

The belief ``astropy-convolve-fft-keeps-complex``: both functions return the real part of the
convolution of complex data (astropy#4495, closed as a feature request).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle_filters, tolerance
from conv_equivalence.identities import Identity, IdentityFailure, assert_close, register
from conv_equivalence.identities.misconceptions import belief

MODES = {"fill": "constant", None: "constant", "wrap": "wrap", "extend": "nearest"}
"""astropy's ``boundary`` -> scipy.ndimage's ``mode`` (``None`` is read as fill, then the edges zeroed)."""


@st.composite
def astropy_cases(draw: st.DrawFn, target: str) -> dict[str, Any]:
    fft = draw(st.booleans())
    nd = draw(st.integers(1, 2))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    kernel_shape = tuple(draw(st.integers(0, 2)) * 2 + 1 if not fft else draw(st.integers(1, 5)) for _ in range(nd))
    boundary = draw(st.sampled_from((None, "fill", "wrap") if fft else (None, "fill", "wrap", "extend")))
    assume(not (fft and boundary == "wrap" and any(k > n for k, n in zip(kernel_shape, shape))))  # the known issue
    # documented refusal (KernelSizeError): boundary=None needs a kernel no longer than the array
    assume(not (not fft and boundary is None and any(k > n for k, n in zip(kernel_shape, shape))))
    normalize = draw(st.booleans())
    nan_treatment = draw(st.sampled_from(("interpolate", "fill")))
    with_nan = draw(st.integers(0, 2)) == 2
    x = draw(hnp.arrays(np.float64, shape, elements=st.integers(-8, 8).map(float)))
    if with_nan:
        x[draw(st.tuples(*(st.integers(0, n - 1) for n in shape)))] = np.nan
    positive = normalize or nan_treatment == "interpolate"
    taps = st.integers(1, 4) if positive else st.integers(-4, 4)
    kernel = draw(hnp.arrays(np.float64, kernel_shape, elements=taps.map(float)))
    return {"fft": fft, "x": x, "kernel": kernel, "boundary": boundary, "fill_value": float(draw(st.integers(-3, 3))),
            "normalize_kernel": normalize, "nan_treatment": nan_treatment, "preserve_nan": draw(st.booleans())}


def _convolve(x: np.ndarray, kernel: np.ndarray, mode: str, cval: float) -> np.ndarray:
    """astropy's orientation: ``sum_j kernel[j] ext(x)[i - j + K // 2]``, as ndimage's correlate of ``flip(kernel)``."""
    origin = [-(1 - k % 2) for k in kernel.shape]
    return np.asarray(oracle_filters.filter_correlate(x, np.flip(kernel), mode, cval, origin))


def expected(case: dict[str, Any]) -> np.ndarray:
    x, kernel, boundary, fill = case["x"], case["kernel"], case["boundary"], case["fill_value"]
    kern = kernel / kernel.sum() if case["normalize_kernel"] else kernel
    nan = np.isnan(x)
    mode = MODES[boundary]
    if case["nan_treatment"] == "fill":
        out = _convolve(np.where(nan, fill, x), kern, mode, fill)
    else:
        weights = _convolve((~nan).astype(np.float64), kern, mode, 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = _convolve(np.where(nan, 0.0, x), kern, mode, fill) / weights * kern.sum()
        if case["fft"]:  # convolve_fft's min_wt=0: no weight left gives 0 (the direct one gives 0 / 0 = NaN)
            out = np.where(weights < 1e-12, 0.0, out)
    if boundary is None and not case["fft"]:
        inside = np.ones(x.shape, dtype=bool)
        for axis, (n, k) in enumerate(zip(x.shape, kernel.shape)):
            i = np.arange(n)
            keep = (i - k // 2 >= 0) & (i + (k - 1) // 2 <= n - 1)
            inside &= keep.reshape([-1 if a == axis else 1 for a in range(x.ndim)])
        out = np.where(inside, out, 0.0)
    if case["preserve_nan"]:
        out = np.where(nan, np.nan, out)
    return out


def _call(case: dict[str, Any]) -> np.ndarray:
    from astropy.convolution import convolve, convolve_fft

    function = convolve_fft if case["fft"] else convolve
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(function(case["x"], case["kernel"], boundary=case["boundary"], fill_value=case["fill_value"],
                                   normalize_kernel=case["normalize_kernel"], nan_treatment=case["nan_treatment"],
                                   preserve_nan=case["preserve_nan"]))


def _check_astropy(target: str, case: dict[str, Any]) -> None:
    name = "convolve_fft" if case["fft"] else "convolve"
    options = {k: case[k] for k in ("boundary", "fill_value", "normalize_kernel", "nan_treatment", "preserve_nan")}
    try:
        got = _call(case)
    except Exception as exc:  # noqa: BLE001 - a refusal of documented arguments is the finding
        raise IdentityFailure(f"astropy.convolution.{name} {options} refused: {type(exc).__name__}: {exc}", case=case) from None
    want = expected(case)
    x = np.where(np.isnan(case["x"]), 0.0, case["x"])
    scale = (np.abs(case["kernel"]).sum() + 1.0) * (np.abs(x).max(initial=0.0) + abs(case["fill_value"]) + 1.0)
    assert_close(got, want, 1e-9 * scale, what=f"astropy.convolution.{name} {options}", case=case)


register(Identity(
    "native-astropy-options-follow-their-definition",
    "astropy.convolution.convolve and convolve_fft convolve with the kernel centred at K // 2, whichever boundary "
    "(None, fill with any fill_value, wrap, extend), normalize_kernel, nan_treatment ('interpolate' rescales by the "
    "weights left, 'fill' writes fill_value) and preserve_nan.",
    "convolve(x, k, boundary, fill_value, normalize_kernel, nan_treatment) == ndimage-style convolution of ext(x) "
    "with k (/ sum(k)), NaN filled or interpolated, edges zero for boundary=None",
    lambda: ["astropy"], astropy_cases, _check_astropy, tags=("native", "astropy"),
))


# -- belief: complex data -----------------------------------------------------------------------

def _complex_pair() -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    parts = st.builds(complex, st.integers(-3, 3), st.integers(-3, 3))
    odd = st.integers(0, 1).map(lambda h: (2 * h + 1,))
    return st.tuples(hnp.arrays(np.complex128, st.integers(1, 4).map(lambda n: (n,)), elements=parts),
                     hnp.arrays(np.float64, odd, elements=st.integers(-3, 3).map(float)))


def _fft(case: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    from astropy.convolution import convolve_fft

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(convolve_fft(case[0], case[1], normalize_kernel=False, nan_treatment="fill"))


def _exact(case: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return _convolve(case[0], case[1], "constant", 0.0)


belief(
    "astropy-convolve-fft-keeps-complex", "astropy",
    "Belief: astropy.convolution.convolve_fft convolves complex arrays (it is an FFT convolution, complex inside).",
    "convolve_fft(x, k, normalize_kernel=False, nan_treatment='fill') == convolve(x, k, 'same', fill 0)   (x complex)", _complex_pair(),
    lambda c: (_fft(c), _exact(c)),
    lambda c: (_fft(c), _exact(c).real),
    "convolve_fft(x, k, normalize_kernel=False) == real(convolve(x, k, 'same', fill 0))",
    "convolve_fft returns the real part of its inverse FFT, and convolve casts its input to float (dropping the "
    "imaginary part with a ComplexWarning): complex data loses its imaginary part (astropy#4495, closed as a feature "
    "request). The smallest counterexample is one imaginary sample and a one-tap non-zero kernel: 2 elements.",
    2, ("astropy", "dtype"), truth_bound=lambda c: tolerance.fft_bound(c[0], c[1], 2 ** int(np.ceil(np.log2(c[0].size + c[1].size))), "float64"),
    script="""
    from astropy.convolution import convolve_fft
    x, k = np.array([1j]), np.array([1.0])
    # the belief: a complex convolution keeps the imaginary part
    expected = np.array([1j])
    actual = convolve_fft(x, k, normalize_kernel=False, nan_treatment="fill")
    """,
)
