"""scipy.signal: ``correlate``, ``convolve`` (``method="direct"``/``"fft"``), ``correlate2d``,
``convolve2d`` (``boundary="fill"``/``"wrap"``), ``fftconvolve`` and ``oaconvolve``.

Translation: the ``convolve`` family flips the kernel on every axis, so it is given
``flip(w)``; the ``correlate`` family conjugates its second argument, so for complex data it is
given ``conj(w)`` (torch does not conjugate). Padding selects the mode as `_signal` describes;
``correlate2d`` puts the extra 'same' sample of an even kernel at the end like torch, while
``correlate``/``convolve``/``convolve2d``/``fftconvolve``/``oaconvolve`` put it at the start.
``boundary="wrap"`` is torch's ``circular`` and needs the 'full' or 'same' placement.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from conv_equivalence.backends import COMPLEX_DTYPES, Backend, Capabilities, DtypeRule, KnownIssue, register
from conv_equivalence.backends._signal import (
    SAME_EXTRA_AT_END,
    SAME_EXTRA_AT_START,
    Placement,
    as_output,
    choose_mode,
    conj,
    flip,
    signals,
    zero_pad,
)
from conv_equivalence.problem import ConvProblem, ConvSpec

DIRECT_DTYPES = ("float32", "float64") + COMPLEX_DTYPES + ("int64",)
FFT_DTYPES = ("float32", "float64") + COMPLEX_DTYPES


DTYPE_RULE = DtypeRule(
    lambda a, b: np.result_type(a, b), "wrap", lambda result: result,
    "numpy.result_type(in1, in2), computed in that dtype (method='direct'): integers wrap modulo 2**bits, "
    "booleans give the OR of ANDs, floats round in the result dtype",
)
"""scipy.signal.correlate/convolve/correlate2d/convolve2d with method='direct' (verified on scipy 1.17.1
for every pair of bool, int8/16/32/64, uint8, float16/32/64, complex64 operands)."""


def _nd(function: str, method: str | None, flip_kernel: bool) -> Callable[[ConvProblem], np.ndarray]:
    """``correlate``/``convolve``/``fftconvolve``/``oaconvolve`` over the spatial axes of each batch item."""

    def run(problem: ConvProblem) -> np.ndarray:
        import scipy.signal

        x, k = signals(problem)
        mode, pads = choose_mode(problem, SAME_EXTRA_AT_START)
        kernel = flip(k) if flip_kernel else conj(k)
        fn = getattr(scipy.signal, function)
        if method is not None:
            y = fn(zero_pad(x, pads), kernel, mode=mode, method=method)
        else:
            y = fn(zero_pad(x, pads), kernel, mode=mode, axes=tuple(range(1, x.ndim)))
        return as_output(y)

    return run


def _two_d(function: str, same: Placement) -> Callable[[ConvProblem], np.ndarray]:
    """``correlate2d``/``convolve2d`` on the single 2-D image of the problem."""

    def run(problem: ConvProblem) -> np.ndarray:
        import scipy.signal

        x, k = signals(problem)
        circular = problem.spec.padding_mode == "circular"
        mode, pads = choose_mode(problem, same)
        kernel = flip(k[0]) if function == "convolve2d" else conj(k[0])
        y = getattr(scipy.signal, function)(zero_pad(x, pads)[0], kernel, mode=mode,
                                            boundary="wrap" if circular else "fill")
        return as_output(y[None])

    return run


def _wrap_ok(same: Placement) -> Callable[[ConvProblem], str | None]:
    """boundary='wrap' only exists with the library's own 'full' and 'same' windows."""

    def ok(problem: ConvProblem) -> str | None:
        if problem.spec.padding_mode != "circular":
            return None
        kernel, spatial = problem.weight.shape[2:], problem.x.shape[2:]
        pads = problem.spec.pads(kernel)
        full = all(p == (k - 1, k - 1) for p, k in zip(pads, kernel))
        same_ok = all(p == same(k) for p, k in zip(pads, kernel)) and all(n >= k for n, k in zip(spatial, kernel))
        return None if full or same_ok or all(p == (0, 0) for p in pads) else "unsupported: circular padding other than 'full' or 'same' placement"

    return ok


def _swap_example() -> ConvProblem:
    x = np.array([[[0.0, np.nan]]])
    return ConvProblem(ConvSpec.create(1, padding=2), x, np.ones((1, 1, 3)), dtype="float64")


SWAP_SPREADS_NAN = KnownIssue(
    "scipy-direct-swap-spreads-nan",
    "scipy.signal.correlate/convolve(method='direct') on N-d arrays multiply a non-finite value by the zero "
    "padding of 'full' mode, which the definition does not contain: a NaN in the second operand "
    "(correlate([[1, 1, 1]], [[0, nan]], 'full') is all NaN, not [nan, nan, nan, 0]), or in the first when the "
    "second is larger and the operands are swapped (correlate([[0, nan]], [[1, 1, 1]], 'full') is all NaN, not "
    "[0, nan, nan, nan]). The 1-D numpy path forms only the defined products.",
    lambda p: (not np.isfinite(p.x).all() and p.weight[0, 0].size > p.x[:, 0].size)
    or (not np.isfinite(p.weight).all() and any(v for pair in p.spec.pads(p.weight.shape[2:]) for v in pair)),
    _swap_example,
    verified_with="scipy==1.17.1",
    script="""
    a, v = np.array([[0.0, np.nan]]), np.array([[1.0, 1.0, 1.0]])
    # 'full': z[k] = sum_n a[n + k - 2] v[n] over the defined a[.]; a[1] = nan is in the windows of z[1..3] only
    expected = np.array([[0.0, np.nan, np.nan, np.nan]])
    actual = scipy.signal.correlate(a, v, mode="full", method="direct")
    """,
    reported="not found (scipy#15927 and PR 16032 cover the FFT method's NaN spreading only) (searched 2026-11-25)",
)

for method in ("direct", "fft"):
    caps = Capabilities(dtypes=DIRECT_DTYPES if method == "direct" else FFT_DTYPES,
                        error_model="direct" if method == "direct" else "fft", nonfinite=method == "direct",
                        padding_pairs=True)
    issues = (SWAP_SPREADS_NAN,) if method == "direct" else ()
    register(Backend(f"scipy.signal.correlate[{method}]", "scipy", f"scipy.signal.correlate(..., method={method!r})",
                     caps, _nd("correlate", method, flip_kernel=False), known_issues=issues))
    register(Backend(f"scipy.signal.convolve[{method}]", "scipy", f"scipy.signal.convolve(..., method={method!r}) of the flipped kernel",
                     caps, _nd("convolve", method, flip_kernel=True), known_issues=issues))

for function in ("fftconvolve", "oaconvolve"):
    register(Backend(f"scipy.signal.{function}", "scipy", f"scipy.signal.{function} of the flipped kernel",
                     Capabilities(dtypes=FFT_DTYPES, error_model="fft", nonfinite=False, padding_pairs=True), _nd(function, None, flip_kernel=True)))

for function, same in (("correlate2d", SAME_EXTRA_AT_END), ("convolve2d", SAME_EXTRA_AT_START)):
    register(Backend(f"scipy.signal.{function}", "scipy",
                     f"scipy.signal.{function} with boundary='fill' (zeros) or 'wrap' (circular)",
                     Capabilities(ranks=(2,), dtypes=DIRECT_DTYPES, batch=False, padding_modes=("zeros", "circular"),
                                  padding_pairs=True, extra_rule=_wrap_ok(same)),
                     _two_d(function, same)))
