"""jax.scipy.signal: ``correlate``, ``convolve`` (``method="direct"``, also what ``"auto"`` means, and
``"fft"``), ``correlate2d``, ``convolve2d`` and ``fftconvolve``: JAX's versions of scipy.signal's.

Conventions (jax 0.10.2), the same as scipy.signal's where they exist, translated as
`conv_equivalence.backends.scipy_signal` translates (see `_signal`):

* orientation: the ``convolve`` family flips the kernel on every axis (given ``flip(w)``); the
  ``correlate`` family conjugates its second argument (given ``conj(w)``);
* modes: ``'full'``, ``'same'``, ``'valid'``; ``'same'`` puts the extra sample of an even kernel at the
  start (`SAME_EXTRA_AT_START`) for ``correlate``, ``convolve``, ``convolve2d`` and ``fftconvolve`` and at
  the end (`SAME_EXTRA_AT_END`, torch's) for ``correlate2d``, as scipy's do (verified against scipy);
  other pads are applied with ``numpy.pad`` and ``'valid'`` mode;
* ``correlate2d``/``convolve2d`` implement only ``boundary='fill'`` with ``fillvalue=0`` (anything else
  raises ``NotImplementedError``): zeros only, where scipy also has ``'wrap'`` and ``'symm'``;
* the direct methods lower to ``jax.lax.conv_general_dilated`` and swap the operands when the second
  is the larger, like scipy; unlike scipy they REFUSE operands that are not ordered on every axis (in1
  ``(2, 1)`` with in2 ``(1, 2)`` in ``'full'``: the belief
  ``jax-scipy-signal-convolve2d-accepts-scipy-shapes``), so the adapter computes such a problem's
  ``'full'`` window with explicit pads and ``'valid'``; ``fftconvolve`` (and ``method='fft'``) accepts them;
* dtypes: the operands are promoted to an inexact type first (``promote_dtypes_inexact``): integers
  come back as floats, where scipy keeps them, so no integer dtype is declared (the belief
  ``jax-scipy-signal-convolve-keeps-integer-dtype``); the direct methods compute in the result dtype
  (``precision=HIGHEST`` here), the FFT ones carry the FFT's normwise error;
* no batch axis of their own: the adapter calls the function once per batch item.

Known issue: in float32 the CPU convolution multiplies its zero padding by the kernel, so where the
operands are swapped (the input no larger than the kernel) a NaN or inf of the input reaches outputs
its window never holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from conv_equivalence.backends import COMPLEX_DTYPES, Backend, Capabilities, KnownIssue, register
from conv_equivalence.backends._signal import SAME_EXTRA_AT_END, SAME_EXTRA_AT_START, Placement, choose_mode, conj, flip
from conv_equivalence.backends.jax_lax import computing_dtype, jax_array, x64_scope
from conv_equivalence.problem import ConvProblem, ConvSpec

DIRECT_DTYPES = ("float16", "float32", "float64") + COMPLEX_DTYPES
FFT_DTYPES = ("float32", "float64") + COMPLEX_DTYPES


def ordered(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Whether one shape is at least the other on every axis (what the direct methods require)."""
    return all(m >= n for m, n in zip(a, b)) or all(m <= n for m, n in zip(a, b))


def _mode(problem: ConvProblem, same: Placement, direct: bool) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The mode and explicit pads; a direct method's 'full' with unordered shapes becomes pads and 'valid'."""
    mode, pads = choose_mode(problem, same)
    kernel = problem.weight.shape[2:]
    if direct and mode == "full" and not ordered(tuple(problem.x.shape[2:]), tuple(kernel)):
        return "valid", tuple((k - 1, k - 1) for k in kernel)
    return mode, pads


def _run(function: str, method: str | None, same: Placement) -> Callable[[ConvProblem], np.ndarray]:
    flipped = "convolve" in function

    def run(problem: ConvProblem) -> np.ndarray:
        mode, pads = _mode(problem, same, direct=method != "fft" and function != "fftconvolve")
        w = problem.weight[0, 0]
        kernel = flip(w) if flipped else conj(w)
        out = []
        with x64_scope() as jax:
            fn = getattr(jax.scipy.signal, function)
            k = jax_array(kernel, problem.dtype)
            for item in problem.x[:, 0]:
                x = jax_array(np.pad(item, pads), problem.dtype)
                if function == "fftconvolve":
                    y = fn(x, k, mode=mode)
                elif method is not None:
                    y = fn(x, k, mode=mode, method=method, precision=jax.lax.Precision.HIGHEST)
                else:
                    y = fn(x, k, mode=mode, precision=jax.lax.Precision.HIGHEST)
                out.append(np.asarray(y.astype("float32") if problem.dtype == "bfloat16" else y))
        return np.stack(out)[:, None]

    return run


def _swap_example() -> ConvProblem:
    spec = ConvSpec.create(1, padding=3)
    return ConvProblem(spec, np.array([[[0.0, np.nan, np.nan]]]), np.ones((1, 1, 4)), dtype="float32")


SWAP_MULTIPLIES_PADDING = KnownIssue(
    "jax-scipy-signal-smaller-input-multiplies-padding",
    "jax.scipy.signal's direct correlate/convolve/correlate2d/convolve2d swap the operands when the second is "
    "the larger on every axis (or the shapes are equal), so the input becomes the kernel of XLA's convolution, "
    "whose float32 CPU kernel multiplies the zero padding of 'full' and 'same' by it: a NaN of the input reaches "
    "outputs its window never holds. correlate([0, nan, nan], [1, 1, 1, 1], 'full') in float32 is all NaN, not "
    "[0, nan, nan, nan, nan, nan] (float64 is right; the root cause of jax-numpy-shorter-input-multiplies-padding)",
    lambda p: (p.dtype in ("float16", "float32") and p.zero_padded and not np.isfinite(p.x).all()
               and all(n <= k for n, k in zip(p.x.shape[2:], p.weight.shape[2:]))),
    _swap_example,
    verified_with="jaxlib==0.10.2",
    script="""
    a = np.array([0.0, np.nan, np.nan], dtype=np.float32)
    v = np.ones(4, dtype=np.float32)
    # 'full': out[i] = sum_j a[i + j - 3] v[j] over the existing a only: out[0] = a[0] = 0 meets no NaN
    expected = np.array([0.0, np.nan, np.nan, np.nan, np.nan, np.nan])
    actual = np.asarray(jax.scipy.signal.correlate(a, v, "full"))
    """,
    reported="not found (searched 2026-12-06: 'jax.scipy.signal.correlate NaN float32 spreads all outputs'; "
             "jax#9972 is jnp.convolve's precision, a different matter)",
)

def _swap_example_2d() -> ConvProblem:
    spec = ConvSpec.create(2, padding=((0, 0), (3, 3)))
    return ConvProblem(spec, np.array([[[[0.0, np.nan, np.nan]]]]), np.ones((1, 1, 1, 4)), dtype="float32")


SWAP_MULTIPLIES_PADDING_2D = dataclasses.replace(
    SWAP_MULTIPLIES_PADDING, example=_swap_example_2d,
    script="""
    a = np.array([[0.0, np.nan, np.nan]], dtype=np.float32)
    v = np.ones((1, 4), dtype=np.float32)
    # 'full': out[0, i] = sum_j a[0, i + j - 3] v[0, j] over the existing a only: out[0, 0] = a[0, 0] = 0
    expected = np.array([[0.0, np.nan, np.nan, np.nan, np.nan, np.nan]])
    actual = np.asarray(jax.scipy.signal.correlate2d(a, v, "full"))
    """,
)
"""The same defect, with a 2-D example for ``correlate2d``/``convolve2d``."""

# method='fft' of correlate and convolve is fftconvolve's code path (the native identity calls it with each method)
for name, method in (("correlate", "direct"), ("convolve", "direct")):
    fft = method == "fft"
    register(Backend(
        f"jax.scipy.signal.{name}[{method}]", "jax", f"jax.scipy.signal.{name}(..., method={method!r})"
        + (" of the flipped kernel" if name == "convolve" else ""),
        Capabilities(dtypes=FFT_DTYPES if fft else DIRECT_DTYPES, error_model="fft" if fft else "direct",
                     nonfinite=not fft, padding_pairs=True),
        _run(name, method, SAME_EXTRA_AT_START), computing_dtype=computing_dtype,
        known_issues=() if fft else (SWAP_MULTIPLIES_PADDING,),
    ))
register(Backend(
    "jax.scipy.signal.fftconvolve", "jax", "jax.scipy.signal.fftconvolve of the flipped kernel",
    Capabilities(dtypes=FFT_DTYPES, error_model="fft", nonfinite=False, padding_pairs=True),
    _run("fftconvolve", None, SAME_EXTRA_AT_START), computing_dtype=computing_dtype,
))
for name, same in (("correlate2d", SAME_EXTRA_AT_END), ("convolve2d", SAME_EXTRA_AT_START)):
    register(Backend(
        f"jax.scipy.signal.{name}", "jax", f"jax.scipy.signal.{name} (boundary='fill', fillvalue=0 only)",
        Capabilities(ranks=(2,), dtypes=DIRECT_DTYPES, padding_pairs=True),
        _run(name, None, same), computing_dtype=computing_dtype, known_issues=(SWAP_MULTIPLIES_PADDING_2D,),
    ))
