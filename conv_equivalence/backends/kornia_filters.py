"""kornia: ``kornia.filters.filter2d``, ``filter2d_separable``, ``filter3d`` and ``fft_conv``, image filters
on torch tensors that apply one kernel to every channel.

The convention, read in kornia 0.9.0's source and checked here against the oracle:

* orientation: a cross-correlation, as torch's (``behaviour='corr'``, the default, hands the kernel to
  ``F.conv2d``/``F.conv3d`` unflipped; ``behaviour='conv'`` flips it on every spatial axis);
* channels: the input is ``(B, C, H, W)`` (``(B, C, D, H, W)`` for ``filter3d``) and the kernel
  ``(1, kH, kW)`` (shared by the batch) or ``(B, kH, kW)`` (one a sample), shared by every channel of a
  sample: a depthwise convolution whose per-channel kernels are all equal. A canonical problem is
  therefore depthwise (``groups = C_in = C_out``); when its channels' kernels differ, the channels are
  folded into the batch (``(N*C, 1, H, W)``) and each gets its own per-sample kernel;
* padding: ``padding='same'`` pads the input with ``F.pad`` (``border_type``) by ``k - 1`` in total a
  axis, ``(k - 1) // 2`` before and the rest after: torch's ``padding='same'`` (the extra sample of an
  even kernel goes at the end); ``padding='valid'`` pads nothing. ``filter3d`` has no ``padding``
  argument: always 'same'. No other padding, stride, dilation or bias can be expressed;
* border modes: ``border_type`` takes ``F.pad``'s names: ``'constant'`` (torch's ``zeros``; the zeros
  are real samples, so ``inf * 0`` is NaN there), ``'reflect'``, ``'replicate'``, ``'circular'``;
* normalisation: ``normalized=True`` divides the kernel by the sum of its absolute values (computed in
  the input's dtype); this adapter keeps the default ``False`` (the native identity explores it);
* dtypes: a floating input keeps its dtype and the kernel is cast to it; float16, bfloat16, float32 and
  float64 run through torch's CPU convolution. An integer input is filtered in float32 and returns
  float32 (documented), so no integer dtype is declared.

``filter2d_separable(x, kernel_x, kernel_y)`` equals ``filter2d`` with the outer-product kernel
``kernel_y[:, None] * kernel_x[None, :]``; a canonical kernel is an outer product only by its values, so
the backend takes the kernels one of whose axes has length 1 (the other 1-D kernel is ``[1]``).
``fft_conv`` computes ``filter2d``'s answer through ``rfftn`` (float16/bfloat16 in float32 on the CPU):
the FFT error model, and a NaN or inf spreads over its channel by design.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from conv_equivalence.backends import Backend, Capabilities, KnownIssue, cpu_reason, register
from conv_equivalence.backends.torch_issues import torch_version
from conv_equivalence.problem import ConvProblem, ConvSpec, same_padding

DTYPES = ("float16", "bfloat16", "float32", "float64")
BORDER_TYPES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}
"""torch's ``padding_mode`` -> kornia's ``border_type`` (``F.pad``'s mode names)."""


def _torch() -> Any:
    import torch

    return torch


def padding_word(problem: ConvProblem) -> str | None:
    """``'same'`` or ``'valid'`` when kornia can say this problem's padding, else ``None``."""
    kernel = problem.weight.shape[2:]
    pads = problem.spec.pads(kernel)
    if pads == same_padding(kernel, (1,) * len(kernel)):
        return "same"
    if all(p == (0, 0) for p in pads):
        return "valid"
    return None


def _rule(*, valid: bool = True, separable: bool = False) -> Callable[[ConvProblem], str | None]:
    def rule(problem: ConvProblem) -> str | None:
        c_in, c_out, g = problem.x.shape[1], problem.weight.shape[0], problem.spec.groups
        if not c_in == c_out == g:
            return "unsupported: kornia applies one kernel to each channel (depthwise: groups = C_in = C_out)"
        word = padding_word(problem)
        if word is None or (word == "valid" and not valid and any(k > 1 for k in problem.weight.shape[2:])):
            return "unsupported: padding other than kornia's 'same'" + (" or 'valid'" if valid else "")
        if problem.dtype == "float16" and (torch_version() < (2, 2) or (
                torch_version() < (2, 6) and problem.spec.padding_mode in ("reflect", "replicate"))):
            return "unsupported: float16 on the CPU needs torch >= 2.2 (reflect/replicate F.pad: torch >= 2.6)"
        if separable and min(problem.weight.shape[2:]) > 1:
            return "unsupported: filter2d_separable takes two 1-D kernels (a kernel with an axis of length 1 here)"
        return None

    return rule


def _tensor(values: np.ndarray, dtype: str, layout: str = "contiguous") -> Any:
    from conv_equivalence.backends.pytorch import to_tensor

    return to_tensor(values, dtype, layout)


def _call(problem: ConvProblem, apply: Callable[[Any, np.ndarray], Any]) -> np.ndarray:
    """``apply(x, kernels)`` on the input as kornia takes it: ``(N, C, *S)`` with one shared ``(1, *K)``
    kernel when every channel's kernel is equal, else ``(N*C, 1, *S)`` with one kernel a sample."""
    from conv_equivalence.backends.pytorch import to_numpy

    n, c, *spatial = problem.x.shape
    w = problem.weight[:, 0]
    if c == 1 or all(np.array_equal(w[0], w[i], equal_nan=True) for i in range(1, c)):
        y = apply(_tensor(problem.x, problem.dtype, problem.layout), w[:1])
        return to_numpy(y)
    folded = problem.x.reshape(n * c, 1, *spatial)
    y = to_numpy(apply(_tensor(folded, problem.dtype, problem.layout), np.tile(w, (n,) + (1,) * (w.ndim - 1))))
    return y.reshape(n, c, *y.shape[2:])


def filter2d(problem: ConvProblem) -> np.ndarray:
    import kornia

    border, word = BORDER_TYPES[problem.spec.padding_mode], padding_word(problem) or "valid"  # the rule checked it
    return _call(problem, lambda x, k: kornia.filters.filter2d(x, _tensor(k, problem.dtype), border_type=border,
                                                              normalized=False, padding=word))


def filter2d_separable(problem: ConvProblem) -> np.ndarray:
    import kornia

    border, word = BORDER_TYPES[problem.spec.padding_mode], padding_word(problem) or "valid"  # the rule checked it

    def apply(x: Any, k: np.ndarray) -> Any:
        b, kh, kw = k.shape
        if kh == 1:  # a row: kernel_x is the row, kernel_y is [1]
            kx, ky = k[:, 0, :], np.ones((b, 1))
        else:  # a column
            kx, ky = np.ones((b, 1)), k[:, :, 0]
        return kornia.filters.filter2d_separable(x, _tensor(kx, problem.dtype), _tensor(ky, problem.dtype),
                                                 border_type=border, normalized=False, padding=word)

    return _call(problem, apply)


def filter3d(problem: ConvProblem) -> np.ndarray:
    import kornia

    border = BORDER_TYPES[problem.spec.padding_mode]
    return _call(problem, lambda x, k: kornia.filters.filter3d(x, _tensor(k, problem.dtype), border_type=border,
                                                              normalized=False))


def fft_conv(problem: ConvProblem) -> np.ndarray:
    import kornia

    border, word = BORDER_TYPES[problem.spec.padding_mode], padding_word(problem) or "valid"  # the rule checked it
    return _call(problem, lambda x, k: kornia.filters.fft_conv(x, _tensor(k, problem.dtype), border_type=border,
                                                              normalized=False, padding=word))


def _bf16_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(2), np.array([[[[np.inf, np.inf]]]]), np.ones((1, 1, 1, 2)), dtype="bfloat16")


BF16_NONFINITE = KnownIssue(
    "kornia-cpu-bfloat16-nonfinite",
    "kornia's filters run torch's CPU bfloat16 convolution, whose oneDNN AVX-512 bfloat16 kernel (chosen for these "
    "small depthwise problems even on a CPU with AMX) mishandles non-finite values: inf + inf comes out NaN "
    "(filter2d([[inf, inf]], [[1, 1]], padding='valid') is [nan], not [inf]); torch's known issues "
    "torch-cpu-bfloat16-nan-spread and torch-cpu-bfloat16-nonfinite-weight, inherited",
    lambda problem: problem.dtype == "bfloat16" and not (np.isfinite(problem.x).all() and np.isfinite(problem.weight).all()),
    _bf16_example,
    condition=lambda: cpu_reason("avx512_bf16"),
    verified_with="torch==2.13.0",
    script="""
    x = kornia.image.image_to_tensor(np.array([[np.inf, np.inf]]), keepdim=False).bfloat16()  # (1, 1, 1, 2)
    w = kornia.image.image_to_tensor(np.ones((1, 2)), keepdim=True).bfloat16()  # (1, 1, 2)
    # out[0] = x[0] w[0] + x[1] w[1] = inf + inf = inf
    expected = np.array([[np.inf]])
    actual = kornia.image.tensor_to_image(kornia.filters.filter2d(x, w, padding="valid").float())
    """,
    reported=("torch's: not found in pytorch/pytorch; related open reports pytorch#157237, pytorch#163347 (searched "
              "2026-11-25, see torch-cpu-bfloat16-nan-spread); kornia only forwards to F.conv2d/F.conv3d"),
)

_common: dict[str, Any] = dict(dtypes=DTYPES, empty_batch=True, channels=True, groups=True, depthwise_only=True,
                               padding_modes=tuple(BORDER_TYPES), padding_strings=("same", "valid"),
                               multiplies_zero_padding=True, layouts=("contiguous", "channels_last", "strided"))
def _bf16_example_3d() -> ConvProblem:
    return ConvProblem(ConvSpec.create(3, padding="same"), np.array([[[[[np.inf, np.inf]]]]]), np.ones((1, 1, 1, 1, 2)),
                       dtype="bfloat16")


BF16_NONFINITE_3D = dataclasses.replace(
    BF16_NONFINITE, id=BF16_NONFINITE.id + "-3d", example=_bf16_example_3d,
    script="""
    x = kornia.image.image_to_tensor(np.array([[np.inf, np.inf]]), keepdim=False)[:, :, None].bfloat16()  # (1,1,1,1,2)
    w = kornia.image.image_to_tensor(np.ones((1, 2)), keepdim=True)[:, None].bfloat16()  # (1, 1, 1, 2)
    # 'same' pads one zero after: out = [inf + inf, inf + 0] = [inf, inf]
    expected = np.array([np.inf, np.inf])
    actual = kornia.filters.filter3d(x, w, border_type="constant").float().numpy().ravel()
    """)
_ISSUES = (BF16_NONFINITE,)

register(Backend(
    "kornia.filters.filter2d", "kornia",
    "kornia.filters.filter2d (correlation, one kernel for every channel; padding 'same' with border_type, or 'valid')",
    Capabilities(ranks=(2,), extra_rule=_rule(), **_common), filter2d, known_issues=_ISSUES,
))
register(Backend(
    "kornia.filters.filter2d_separable", "kornia",
    "kornia.filters.filter2d_separable with a row (kernel_y = [1]) or a column (kernel_x = [1]) kernel",
    Capabilities(ranks=(2,), extra_rule=_rule(separable=True), **_common), filter2d_separable, known_issues=_ISSUES,
))
register(Backend(
    "kornia.filters.filter3d", "kornia",
    "kornia.filters.filter3d (correlation, one kernel for every channel, always 'same' with border_type)",
    Capabilities(ranks=(3,), extra_rule=_rule(valid=False), **_common), filter3d, known_issues=(BF16_NONFINITE_3D,),
))
register(Backend(
    "kornia.filters.fft_conv", "kornia",
    "kornia.filters.fft_conv (filter2d through rfftn; float16/bfloat16 in float32 on the CPU)",
    # An empty batch raises in torch.fft.rfftn on the CPU ("MKL FFT error: ... Inconsistent configuration
    # parameters", torch 2.13.0): refused, not a wrong answer, so left out of the capabilities.
    Capabilities(ranks=(2,), extra_rule=_rule(), error_model="fft", nonfinite=False, **{**_common, "empty_batch": False}),
    fft_conv,  # no non-finite checks (FFT), so the bfloat16 issue cannot show
))
