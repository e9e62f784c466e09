"""When is a computed convolution equal to the exact one? Bounds from rounding-error analysis.

Direct summation (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §3.1):
an output element is ``y = b + sum_{t=1..n} w_t x_t``. Computed in floating point with unit
roundoff ``u``, in any order, each product and each addition rounds once, so::

    |fl(y) - y| <= gamma(n + 1, u) * (|b| + sum_t |w_t| |x_t|),   gamma(m, u) = m u / (1 - m u)

``n`` products plus the bias (or the final rounding of a result accumulated in a wider type)
give ``n + 1`` rounding steps on the longest path. The right-hand side is the oracle run on
absolute values: ``gamma(n + 1, u) * (conv(|x|, |w|) + |b|)``, per element, in float64.

Complex data: a library may form complex products by the textbook formula (relative error
``sqrt(2) gamma(2, u)``, Higham Lemma 3.5) or, like torch, by Gauss's three-multiplication
trick on whole real convolutions: ``re = a - b``, ``im = c - a - b`` with ``a = conv(xr, wr)``,
``b = conv(xi, wi)``, ``c = conv(xr + xi, wr + wi)``. Then ``|d re| <= gamma(n+1) sum |x||w|`` and
``|d im| <= gamma(n+4) (sum (|xr|+|xi|)(|wr|+|wi|) + sum |xr||wr| + |xi||wi|) <= 3 gamma(n+4) sum |x||w|``
(as ``(|xr|+|xi|)(|wr|+|wi|) <= 2|x||w|``), so ``|d| <= sqrt(10) gamma(n+5) (conv(|x|, |w|) + |b|)``,
which also covers the textbook formula.
``u`` is the unit roundoff of the dtype the backend computes in: 2**-53 (float64),
2**-24 (float32, complex64), 2**-11 (float16), 2**-8 (bfloat16), 2**-11 for TF32.

Underflow adds an absolute error: a product or sum that falls below the smallest normal number
``lambda`` of the dtype is flushed to zero by some kernels (FTZ/DAZ), losing less than
``lambda`` each time (Higham §2.1, eq. (2.8)); with ``n`` products and ``n`` additions the
bound gains ``(2n + 1) * lambda``.

Half precision is held to the same model (some kernels accumulate in float32, others, like
torch's CPU conv_transpose in float16, round intermediate sums to half precision), which is
only meaningful while ``n u <= 1/2``: `max_terms` (127 products for bfloat16, 1022 for
float16), and the strategies keep half-precision problems inside it.

The float64 reference itself carries an error of at most ``gamma(n + 1, 2**-53)`` times the
same sum, which is added to the bound (it matters only for float64 backends).

Integer data (integer dtypes, or floats whose values and all partial sums are integers below
``2**p``) are compared exactly: every order of summation gives the same, exact, result.

FFT methods (``fftconvolve``, ``oaconvolve``, ``method="fft"``) do not have an elementwise
bound. With ``L`` the transform length, a radix-2-like FFT has normwise relative error
``eps = log2(L) * eta / (1 - log2(L) * eta)``, ``eta = u + gamma(4, u) * (sqrt(2) + u)``
(Higham Thm 24.2). Following the error through ``y = F^-1 (F x . F w)`` with Parseval's
``||F v||_2 = sqrt(L) ||v||_2`` and ``||F v||_inf <= ||v||_1``, to first order::

    ||fl(y) - y||_inf <= ||fl(y) - y||_2
                       <= (3 eps + sqrt(2) gamma(2, u)) * (||x||_2 ||w||_1 + ||x||_1 ||w||_2)

per batch item and channel (each is its own transform), plus an underflow term of
``(4 L log2(L) + 1) * lambda`` for the ``O(L log L)`` operations that may each flush a result
below the smallest normal number to zero. Zero inputs give a zero bound.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from conv_equivalence.oracle import solve
from conv_equivalence.problem import ConvProblem

UNIT_ROUNDOFF: dict[str, float] = {
    "float64": 2.0**-53,
    "complex128": 2.0**-53,
    "float32": 2.0**-24,
    "complex64": 2.0**-24,
    "tf32": 2.0**-11,
    "float16": 2.0**-11,
    "bfloat16": 2.0**-8,
}


SMALLEST_NORMAL: dict[str, float] = {
    "float64": 2.0**-1022, "complex128": 2.0**-1022, "float32": 2.0**-126, "complex64": 2.0**-126,
    "tf32": 2.0**-126, "float16": 2.0**-14, "bfloat16": 2.0**-126,
}
PRECISION_BITS: dict[str, int] = {
    "float64": 53, "complex128": 53, "float32": 24, "complex64": 24, "tf32": 11, "float16": 11, "bfloat16": 8,
}


def gamma(n: int, u: float) -> float:
    """Higham's ``gamma_n = n u / (1 - n u)``; infinite when ``n u >= 1`` (no bound exists)."""
    nu = n * u
    return math.inf if nu >= 1 else nu / (1 - nu)


def unit_roundoff(dtype: str) -> float:
    """Unit roundoff of a floating dtype name; 0.0 for integer dtypes (exact arithmetic)."""
    if dtype in UNIT_ROUNDOFF:
        return UNIT_ROUNDOFF[dtype]
    if np.dtype(dtype).kind in "iu":
        return 0.0
    raise ValueError(f"dtype must be a float, complex or integer dtype name, got {dtype!r}")


def integer_valued(*arrays: np.ndarray | None) -> bool:
    """True when every given array holds only integers (whatever its dtype)."""
    for a in arrays:
        if a is None or a.dtype.kind in "iub" or a.dtype == object:
            continue
        parts = (a.real, a.imag) if a.dtype.kind == "c" else (a,)
        if not all(np.isfinite(p).all() and (p == np.round(p)).all() for p in parts):
            return False
    return True


def max_terms(dtype: str) -> int:
    """The most products per output for which the worst-case bound stays meaningful (n u <= 1/2).

    Beyond it ``gamma_n`` exceeds 1 and, from ``n u >= 1``, no a-priori bound exists: for
    bfloat16 that is 128 terms, for float16 1024. Strategies keep half-precision problems below it.
    """
    u = unit_roundoff(dtype)
    return 2**62 if u == 0 else int(0.5 / u) - 2


def direct_bound(magnitude: np.ndarray, terms: int, dtype: str, *, complex_data: bool = False) -> np.ndarray:
    """Per-element bound for direct summation of ``terms`` products.

    ``magnitude`` is ``conv(|x|, |w|) + |b|`` computed by the oracle in float64.
    """
    steps, scale = (terms + 5, math.sqrt(10)) if complex_data else (terms + 1, 1.0)
    reference = gamma(steps, UNIT_ROUNDOFF["float64"]) * scale
    underflow = (2 * terms + 1) * SMALLEST_NORMAL[dtype] * (2 if complex_data else 1)
    with np.errstate(invalid="ignore", over="ignore"):
        return (gamma(steps, unit_roundoff(dtype)) * scale + reference) * magnitude + underflow


def bound_for(problem: ConvProblem, *, dtype: str | None = None) -> np.ndarray:
    """Per-element bound for a direct-summation backend computing ``problem`` in ``dtype``.

    Zero (exact comparison) when the data are integers and ``conv(|x|, |w|) + |b|`` stays
    below ``2**p`` (``p`` the dtype's precision): every partial sum is then an exact integer.
    """
    dtype = dtype or problem.dtype
    arrays = (problem.x, problem.weight, problem.bias)
    if unit_roundoff(dtype) == 0.0 or (integer_valued(*arrays) and _integer_sums_below(problem, 2.0 ** PRECISION_BITS[dtype])):
        return np.zeros(problem.output_shape)  # exact: no need to compute the magnitudes
    magnitude = solve(problem.replace(
        x=np.abs(problem.x), weight=np.abs(problem.weight),
        bias=None if problem.bias is None else np.abs(problem.bias),
    )).astype(np.float64)
    bound = direct_bound(magnitude, problem.terms_per_output, dtype,
                         complex_data=any(a is not None and a.dtype.kind == "c" for a in arrays))
    if integer_valued(*arrays):
        bound = np.where(magnitude < 2.0 ** PRECISION_BITS[dtype], 0.0, bound)
    return bound


def _integer_sums_below(problem: ConvProblem, limit: float) -> bool:
    """Whether every output's ``sum |x||w| + |b|`` is certainly below ``limit``, from each output channel's
    weight sum times ``max |x|`` (a cheap upper bound of the magnitudes `bound_for` would compute)."""
    w = np.abs(problem.weight.astype(np.complex128 if problem.weight.dtype.kind == "c" else np.float64))
    if problem.spec.transposed:  # (C_in, C_out/g, *k): every input channel counted for every column (an upper bound)
        per_channel = w.sum(axis=tuple(i for i in range(w.ndim) if i != 1))
    else:
        per_channel = w.sum(axis=tuple(range(1, w.ndim)))
    x_max = float(np.abs(problem.x).max()) if problem.x.size else 0.0
    b_max = float(np.abs(problem.bias).max()) if problem.bias is not None and problem.bias.size else 0.0
    top = float(per_channel.max()) if per_channel.size else 0.0
    return bool(top * x_max + b_max < limit)


def fft_bound(x: np.ndarray, w: np.ndarray, transform_length: int, dtype: str) -> float:
    """Normwise (max-abs) bound for one FFT-based convolution of ``x`` with ``w``."""
    u = unit_roundoff(dtype)
    eta = u + gamma(4, u) * (math.sqrt(2) + u)
    levels = max(1.0, math.log2(max(transform_length, 2)))
    eps = levels * eta / (1 - levels * eta)
    ax, aw = np.abs(x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)), np.abs(w)
    norms = np.linalg.norm(ax.ravel()) * aw.sum() + ax.sum() * np.linalg.norm(aw.ravel())
    reference = gamma(aw.size + 1, UNIT_ROUNDOFF["float64"]) * float(ax.max(initial=0) * aw.sum())
    underflow = (4 * transform_length * levels + 1) * SMALLEST_NORMAL.get(dtype, SMALLEST_NORMAL["float64"])
    return float((3 * eps + math.sqrt(2) * gamma(2, u)) * norms * (1 + 4 * eps)) + reference + underflow


def fft_bound_for(problem: ConvProblem, *, dtype: str | None = None) -> np.ndarray:
    """`fft_bound` for each ``(batch, output channel)`` of a zero-padded, stride-1 problem.

    Each input channel is its own transform of length ``prod(n + pl + pr + k - 1)``; their
    bounds add. The result has shape ``(N, C_out, 1, ...)`` and broadcasts over the output.
    """
    dtype = dtype or problem.dtype
    x, w, spec = problem.x, problem.weight, problem.spec
    kernel = w.shape[2:]
    length = int(np.prod([n + pl + pr + k - 1 for n, (pl, pr), k in zip(x.shape[2:], spec.pads(kernel), kernel)]))
    groups = spec.groups
    c_in_g, c_out_g = x.shape[1] // groups, w.shape[0] // groups
    out = np.zeros((x.shape[0], w.shape[0]) + (1,) * spec.ndim)
    for n in range(x.shape[0]):
        for o in range(w.shape[0]):
            g = o // c_out_g
            out[n, o] = sum(fft_bound(x[n, g * c_in_g + c], w[o, c], length, dtype) for c in range(c_in_g))
    bias = 0.0 if problem.bias is None else np.abs(problem.bias).reshape((1, -1) + (1,) * spec.ndim)
    return out + unit_roundoff(dtype) * bias


@dataclass(frozen=True)
class Mismatch:
    """Where ``got`` and ``expected`` differ beyond ``bound``: positions and sizes, worst first."""

    positions: list[tuple[int, ...]]
    got: list[complex | float | int]
    expected: list[complex | float | int]
    error: list[float]
    bound: list[float]
    count: int
    total: int
    atol: float = 0.0
    """One absolute tolerance a reproduction can apply to every element: the bound at the worst element, or,
    where that element's expected value is not finite (its bound is then inf or NaN and only an exact match
    counts), the largest finite bound in the output."""

    def describe(self, limit: int = 5) -> str:
        lines = [f"{self.count} of {self.total} elements differ beyond the bound; first {min(limit, self.count)}:"]
        for pos, g, e, err, b in list(zip(self.positions, self.got, self.expected, self.error, self.bound))[:limit]:
            lines.append(f"  at {pos}: got {g!r}, expected {e!r}, |error| {err:.3g} > bound {b:.3g}")
        return "\n".join(lines)


@dataclass
class ErrorTracker:
    """The largest ``|got - expected| / bound`` seen by `compare` (finite elements, positive bounds)."""

    max_ratio: float = 0.0
    comparisons: int = 0


_trackers: list[ErrorTracker] = []


@contextlib.contextmanager
def track() -> Iterator[ErrorTracker]:
    """Within this block, every `compare` reports how much of its bound the error used."""
    tracker = ErrorTracker()
    _trackers.append(tracker)
    try:
        yield tracker
    finally:
        _trackers.remove(tracker)


def _same_nonfinite(got: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """True where both are non-finite in the same way (NaN vs NaN, +inf vs +inf)."""
    if got.dtype.kind == "c" or expected.dtype.kind == "c":
        return _same_nonfinite(got.real, expected.real) & _same_nonfinite(got.imag, expected.imag) | (
            np.isnan(got) & np.isnan(expected)
        )
    both_nan = np.isnan(got) & np.isnan(expected)
    same_inf = np.isinf(got) & np.isinf(expected) & (np.sign(got) == np.sign(expected))
    return both_nan | same_inf


def compare(got: np.ndarray, expected: np.ndarray, bound: np.ndarray | float) -> Mismatch | None:
    """``None`` if ``|got - expected| <= bound`` everywhere (and NaN/inf sit in the same places).

    Object (Python int) and integer arrays are compared exactly, whatever the bound.
    """
    if got.shape != expected.shape:
        raise AssertionError(f"shape differs: got {got.shape}, expected {expected.shape}")
    if expected.dtype == object or (expected.dtype.kind in "iu" and got.dtype.kind in "iu"):
        bad = np.asarray(got.astype(object) != expected.astype(object), dtype=bool)
        err = np.where(bad, 1.0, 0.0)
        bound_arr = np.zeros(expected.shape)
    else:
        g = got.astype(np.complex128 if got.dtype.kind == "c" or expected.dtype.kind == "c" else np.float64)
        e = expected.astype(g.dtype)
        finite = np.isfinite(g) & np.isfinite(e)
        with np.errstate(invalid="ignore", over="ignore"):
            err = np.where(finite, np.abs(g - e), 0.0)
        bound_arr = np.broadcast_to(np.asarray(bound, dtype=np.float64), expected.shape)
        bad = (finite & (err > bound_arr)) | (~finite & ~_same_nonfinite(g, e))
        if _trackers:
            used = finite & (bound_arr > 0)
            with np.errstate(over="ignore", divide="ignore"):
                ratio = float(np.max(err[used] / bound_arr[used])) if used.any() else 0.0
            for tracker in _trackers:
                tracker.max_ratio = max(tracker.max_ratio, ratio)
                tracker.comparisons += 1
        err = np.where(finite, err, np.inf)
    if not bad.any():
        return None
    idx = np.argwhere(bad)
    order = np.argsort(-err[bad], kind="stable")
    idx = idx[order]
    def py(v: object) -> complex | float | int:
        return v.item() if hasattr(v, "item") else v  # type: ignore[return-value]
    return Mismatch(
        positions=[tuple(int(i) for i in p) for p in idx[:20]],
        got=[py(got[tuple(p)]) for p in idx[:20]],
        expected=[py(expected[tuple(p)]) for p in idx[:20]],
        error=[float(err[tuple(p)]) for p in idx[:20]],
        bound=[float(bound_arr[tuple(p)]) for p in idx[:20]],
        count=int(bad.sum()),
        total=int(bad.size),
        atol=_one_atol(bound_arr, idx[0]),
    )


def _one_atol(bound: np.ndarray, worst: np.ndarray) -> float:
    at_worst = float(bound[tuple(worst)])
    if np.isfinite(at_worst):
        return at_worst
    finite = bound[np.isfinite(bound)]
    return float(finite.max()) if finite.size else 0.0


PRECISIONS: tuple[str, ...] = ("exact", "float32", "tf32", "fft", "float16", "bfloat16")
"""How an implementation may declare that it computes (``conv-equivalence check --precision``)."""


def declared_bound(problem: ConvProblem, precision: str = "exact") -> np.ndarray:
    """The bound for an implementation that computes ``problem`` the way ``precision`` declares.

    ``exact``: direct summation in the problem's own dtype (`bound_for`). ``float32``, ``tf32``,
    ``float16``, ``bfloat16``: direct summation in that precision (TF32: for float32 and complex64
    data only), or in the problem's dtype where that is coarser (complex data: the same unit
    roundoff per part), on inputs the precision holds exactly (the check draws them so). ``fft``: the
    normwise FFT bound in the problem's dtype (`fft_bound_for`). Integer dtypes are exact whatever
    is declared, as the result must be an exact integer.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    dtype = problem.dtype
    if unit_roundoff(dtype) == 0.0:
        return bound_for(problem)
    if precision == "fft":
        return np.broadcast_to(fft_bound_for(problem), problem.output_shape)
    if precision == "tf32" and dtype not in ("float32", "complex64"):
        return bound_for(problem)  # TF32 is how float32 data are multiplied; other dtypes keep theirs
    if precision != "exact" and UNIT_ROUNDOFF[precision] > unit_roundoff(dtype):
        return bound_for(problem, dtype=precision)
    return bound_for(problem)
