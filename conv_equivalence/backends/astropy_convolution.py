"""astropy: ``astropy.convolution.convolve`` (direct) and ``convolve_fft``, N-d convolutions of one array.

Both *convolve* (the kernel is flipped) and return an output as large as the input, the kernel
centred: ``out[i] = sum_j kernel[j] * ext(array)[i - j + K // 2]`` on each axis. ``convolve``
requires odd kernel sizes ("Kernel size must be odd in all axes"); ``convolve_fft`` takes even
ones with the same centre ``K // 2``. A torch problem is therefore ``convolve(x, flip(w))`` when
its padding is the centred kernel's half widths: ``((K - 1) // 2, K // 2)`` per axis, which is
torch's ``padding="same"`` (symmetric ``(K - 1) // 2`` for an odd kernel). Other paddings, strides,
dilation and channels have no astropy form; a batch is a loop over the images.

Borders (``boundary``): ``'fill'`` with ``fill_value`` (0 here: torch's ``zeros``), ``'extend'``
(torch's ``replicate``; direct only: ``convolve_fft`` raises NotImplementedError), ``'wrap'``
(torch's ``circular``), and ``None``, which sets every output whose kernel leaves the array to
zero (direct) or means ``'fill'`` (FFT, with a warning): no torch mode, explored by the native
identity. ``normalize_kernel`` defaults to True (the kernel divided by its sum): the adapter
passes False. NaN in the array are interpolated over by default (``nan_treatment='interpolate'``)
or replaced by ``fill_value`` (``'fill'``); neither propagates NaN as IEEE arithmetic does, so the
adapter declares ``nonfinite=False`` (the native identity checks both treatments).

Dtypes: ``convolve`` computes in float64 and returns the array's float dtype (float32 stays
float32); ``convolve_fft`` returns float64 whatever it is given, so only float64 is declared for it.
Both drop the imaginary part of complex input (astropy#4495, a closed feature request; the belief
``astropy-convolve-fft-keeps-complex``), so no complex dtype is declared.

Known issue ``astropy-convolve-fft-wrap-long-kernel``: ``convolve_fft(boundary='wrap')`` with a kernel
longer than the array zero-pads the array to the kernel's length before its FFT, so the period of
the wrap is the padded length, not the array's (direct ``convolve`` wraps correctly).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from conv_equivalence.backends import Backend, Capabilities, KnownIssue, register
from conv_equivalence.backends._signal import as_output, flip, signals
from conv_equivalence.problem import ConvProblem, ConvSpec

BOUNDARY = {"zeros": "fill", "replicate": "extend", "circular": "wrap"}
"""torch's padding_mode -> astropy's ``boundary``."""


def centred_pads(kernel: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """The torch padding that astropy's centred kernel reads: ``((K - 1) // 2, K // 2)`` per axis."""
    return tuple(((k - 1) // 2, k // 2) for k in kernel)


def _rule(fft: bool) -> Callable[[ConvProblem], str | None]:
    def rule(problem: ConvProblem) -> str | None:
        kernel = tuple(problem.weight.shape[2:])
        if not fft and any(k % 2 == 0 for k in kernel):
            return "unsupported: even kernel size (astropy.convolution.convolve requires odd sizes)"
        if problem.spec.pads(kernel) != centred_pads(kernel):
            return "unsupported: padding other than the centred kernel's ((K - 1) // 2, K // 2) (astropy's output is as large as its input)"
        return None

    return rule


def _run(fft: bool) -> Callable[[ConvProblem], np.ndarray]:
    def run(problem: ConvProblem) -> np.ndarray:
        from astropy.convolution import convolve, convolve_fft

        x, k = signals(problem)
        kernel = np.ascontiguousarray(flip(k)[0])
        boundary = BOUNDARY[problem.spec.padding_mode]
        function = convolve_fft if fft else convolve
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            images = [np.asarray(function(image, kernel, boundary=boundary, fill_value=0.0, normalize_kernel=False,
                                          nan_treatment="fill")) for image in x]
        return as_output(np.stack(images) if images else np.zeros(x.shape, dtype=np.float64 if fft else x.dtype))

    return run


def wrap_long_kernel(problem: ConvProblem) -> bool:
    """``boundary='wrap'`` with a kernel longer than the array on some axis."""
    return problem.spec.padding_mode == "circular" and any(
        k > n for k, n in zip(problem.weight.shape[2:], problem.x.shape[2:]))


def _wrap_long_kernel_example() -> ConvProblem:
    spec = ConvSpec.create(1, padding=1, padding_mode="circular")
    return ConvProblem(spec, np.array([[[1.0]]]), np.array([[[1.0, 10.0, 100.0]]]))


WRAP_LONG_KERNEL = KnownIssue(
    "astropy-convolve-fft-wrap-long-kernel",
    "astropy.convolution.convolve_fft(boundary='wrap') with a kernel longer than the array zero-pads the array up to "
    "the kernel's length before its FFT, so it wraps with the padded period: convolve_fft([1.], [1., 10., 100.], "
    "boundary='wrap') is [10], not the periodic [111] (direct convolve gives 111)",
    wrap_long_kernel, _wrap_long_kernel_example,
    verified_with="astropy==8.0.2",
    script="""
    from astropy.convolution import convolve_fft
    x, k = np.array([1.0]), np.array([1.0, 10.0, 100.0])
    # wrap: x is periodic with period 1, every tap reads x[0] = 1: 1 + 10 + 100
    expected = np.array([111.0])
    actual = convolve_fft(x, k, boundary="wrap", normalize_kernel=False)
    """,
    reported="not found (searched 'astropy convolve_fft boundary wrap kernel larger than array wrong result'; "
             "astropy#7310, closed, is convolve(boundary=None) with a kernel larger than the array, another defect) "
             "(searched 2026-12-06)",
)


register(Backend(
    "astropy.convolution.convolve", "astropy",
    "astropy.convolution.convolve(x, flip(w), boundary=fill/extend/wrap, normalize_kernel=False), odd kernels, a loop over the batch",
    Capabilities(ranks=(1, 2, 3), dtypes=("float32", "float64"), empty_batch=True,
                 padding_modes=("zeros", "replicate", "circular"), padding_strings=("same",), nonfinite=False,
                 extra_rule=_rule(False)),
    _run(False),
))
register(Backend(
    "astropy.convolution.convolve_fft", "astropy",
    "astropy.convolution.convolve_fft(x, flip(w), boundary=fill/wrap, normalize_kernel=False), a loop over the batch",
    Capabilities(ranks=(1, 2, 3), dtypes=("float64",), empty_batch=True, padding_modes=("zeros", "circular"),
                 padding_strings=("same",), padding_pairs=True, error_model="fft", nonfinite=False,
                 extra_rule=_rule(True)),
    _run(True),
    known_issues=(WRAP_LONG_KERNEL,),
))
