"""torch: ``torch.nn.functional.conv{1,2,3}d``/``conv_transpose{1,2,3}d`` and ``torch.nn.Conv{1,2,3}d``.

Torch is the canonical convention, so nothing is translated except memory layout: the arrays
are handed over contiguous, channels-last (``torch.channels_last``/``channels_last_3d``,
ranks 2 and 3) or as non-contiguous views (every other element of a larger buffer).
``torch.nn`` layers are built with ``bias=False`` unless the problem has a bias, so no random
default bias leaks into the result. CUDA variants register when a GPU is visible; they
compute float32 in TF32 when ``torch.backends.cudnn.allow_tf32`` is on (torch's default).
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
from typing import Any

import numpy as np

from conv_equivalence.backends import (
    COMPLEX_DTYPES,
    FLOAT_DTYPES,
    LAYOUTS,
    Backend,
    Capabilities,
    KnownIssue,
    cpu_reason,
    register,
)
from conv_equivalence.problem import ConvProblem, ConvSpec


def _torch() -> Any:
    import torch

    return torch


def torch_dtype(name: str) -> Any:
    return getattr(_torch(), name)


def to_tensor(array: np.ndarray, dtype: str, layout: str, device: str = "cpu") -> Any:
    """A torch tensor with these values, dtype, device and memory layout."""
    torch = _torch()
    # A fresh C-ordered copy: ascontiguousarray keeps negative strides on size-1 or empty axes.
    t = torch.from_numpy(np.array(array, order="C", copy=True)).to(device=device, dtype=torch_dtype(dtype))
    if layout == "channels_last" and t.ndim in (4, 5):
        fmt = torch.channels_last if t.ndim == 4 else torch.channels_last_3d
        t = t.contiguous(memory_format=fmt)
    elif layout == "strided" and t.ndim >= 1 and t.numel() > 0:
        big = torch.zeros((*t.shape[:-1], 2 * t.shape[-1]), dtype=t.dtype, device=device)
        big[..., ::2] = t
        t = big[..., ::2]
    return t


def to_numpy(t: Any) -> np.ndarray:
    """Back to NumPy; bfloat16 becomes float32 (exactly), NumPy has no bfloat16."""
    torch = _torch()
    t = t.detach().cpu().resolve_conj()
    if t.dtype == torch.bfloat16:
        t = t.float()
    return t.numpy()


def problem_tensors(problem: ConvProblem, device: str) -> tuple[Any, Any, Any]:
    x = to_tensor(problem.x, problem.dtype, problem.layout, device)
    w = to_tensor(problem.weight, problem.dtype, problem.layout, device)
    b = None if problem.bias is None else to_tensor(problem.bias, problem.dtype, "contiguous", device)
    return x, w, b


def padded_input(x: Any, spec: ConvSpec, kernel: tuple[int, ...]) -> tuple[Any, Any]:
    """``(input, padding)`` for ``F.conv{N}d``: a non-zeros padding_mode, or asymmetric padding, which
    torch's ``padding`` argument cannot express, is applied with ``F.pad`` as torch.nn does, then padding 0."""
    if spec.padding_mode == "zeros" and not spec.asymmetric:
        return x, spec.padding
    pads = spec.pads(kernel)
    mode = "constant" if spec.padding_mode == "zeros" else spec.padding_mode
    return _torch().nn.functional.pad(x, [p for pair in reversed(pads) for p in pair], mode=mode), 0


def functional(problem: ConvProblem, device: str = "cpu") -> np.ndarray:
    """``F.conv{N}d`` / ``F.conv_transpose{N}d``, padding as `padded_input` says."""
    torch = _torch()
    F = torch.nn.functional
    s, nd = problem.spec, problem.spec.ndim
    x, w, b = problem_tensors(problem, device)
    if s.transposed:
        fn = getattr(F, f"conv_transpose{nd}d")
        out = fn(x, w, b, stride=s.stride, padding=s.padding, output_padding=s.output_padding,
                 groups=s.groups, dilation=s.dilation)
        return to_numpy(out)
    x, padding = padded_input(x, s, problem.weight.shape[2:])
    out = getattr(F, f"conv{nd}d")(x, w, b, stride=s.stride, padding=padding, dilation=s.dilation, groups=s.groups)
    return to_numpy(out)


def module(problem: ConvProblem, device: str = "cpu") -> np.ndarray:
    """``torch.nn.Conv{N}d`` / ``ConvTranspose{N}d`` with the problem's weight copied in."""
    torch = _torch()
    s, nd = problem.spec, problem.spec.ndim
    x, w, b = problem_tensors(problem, device)
    kernel = tuple(problem.weight.shape[2:])
    common: dict[str, Any] = dict(stride=s.stride, padding=s.padding, dilation=s.dilation, groups=s.groups,
                                  bias=b is not None, device=device, dtype=torch_dtype(problem.dtype))
    if s.transposed:
        c_in, c_out = problem.weight.shape[0], problem.weight.shape[1] * s.groups
        layer = getattr(torch.nn, f"ConvTranspose{nd}d")(c_in, c_out, kernel, output_padding=s.output_padding, **common)
    else:
        c_in, c_out = problem.x.shape[1], problem.weight.shape[0]
        layer = getattr(torch.nn, f"Conv{nd}d")(c_in, c_out, kernel, padding_mode=s.padding_mode, **common)
    with torch.no_grad():
        layer.weight.copy_(w)
        if b is not None:
            layer.bias.copy_(b)
        return to_numpy(layer(x))


def _cuda_precision(dtype: str) -> str:
    """cuDNN computes float32 convolutions in TF32 unless ``torch.backends.cudnn.allow_tf32`` is off."""
    return "tf32" if dtype == "float32" and _torch().backends.cudnn.allow_tf32 else dtype


def _cuda_reason() -> str | None:
    return None if _torch().cuda.is_available() else "no CUDA device is visible to torch"


def _bf16_nonfinite(problem: ConvProblem) -> bool:
    return problem.dtype == "bfloat16" and not np.isfinite(problem.x).all()


def _nan_spread_example() -> ConvProblem:
    x = np.array([[[0.0, 0.0, 0.0, 0.0, np.nan, 0.0, 0.0, 0.0]]])
    return ConvProblem(ConvSpec.create(1), x, np.ones((1, 1, 2)), dtype="bfloat16")


def _nan_spread_transposed_example() -> ConvProblem:
    x = np.array([[[0.0, 0.0, 0.0]], [[0.0, np.nan, 0.0]]])
    spec = ConvSpec.create(1, stride=2, transposed=True)
    return ConvProblem(spec, x, np.ones((1, 1, 2)), dtype="bfloat16")


BF16_NAN_SPREAD = KnownIssue(
    "torch-cpu-bfloat16-nan-spread",
    "torch's CPU (oneDNN) bfloat16 convolution mishandles non-finite input: a NaN spreads to outputs "
    "whose window does not contain it (conv1d([0,0,0,0,nan,0,0,0], [1,1]) is NaN at 2, 3 and 4, not only "
    "at 3 and 4), and inf + inf gives NaN (conv1d([inf, inf], [1, 1]) is NaN, not inf)",
    _bf16_nonfinite,
    _nan_spread_example,
    condition=lambda: cpu_reason("avx512f"),  # oneDNN's AVX-512 bfloat16 kernels; absent on an AMD EPYC without them
    verified_with="torch==2.13.0",
    script="""
    x = torch.tensor([[[0.0, 0.0, 0.0, 0.0, float("nan"), 0.0, 0.0, 0.0]]], dtype=torch.bfloat16)
    w = torch.ones((1, 1, 2), dtype=torch.bfloat16)
    # out[i] = x[i] + x[i + 1]: NaN where the window holds x[4], at 3 and 4 only
    expected = np.array([[[0.0, 0.0, 0.0, np.nan, np.nan, 0.0, 0.0]]])
    actual = torch.nn.functional.conv1d(x, w).float().numpy()
    """,
    reported=('not found; related open reports: pytorch#157237 (extra NaNs in Conv1d depending on batch size), '
              'pytorch#163347 (wrong bfloat16 Conv through oneDNN on AMD CPUs) (searched 2026-11-25)'),
)
BF16_NAN_SPREAD_TRANSPOSED = KnownIssue(
    "torch-cpu-bfloat16-nan-spread-transposed",
    "torch's CPU bfloat16 conv_transpose spreads a NaN across the output: with batch 2, "
    "conv_transpose1d([0,nan,0], [1,1], stride=2) gives NaN at 0 to 3, not only at 2 and 3",
    _bf16_nonfinite,
    _nan_spread_transposed_example,
    condition=lambda: cpu_reason("avx512f"),  # oneDNN's AVX-512 bfloat16 kernels; absent on an AMD EPYC without them
    verified_with="torch==2.13.0",
    script="""
    x = torch.tensor([[[0.0, 0.0, 0.0]], [[0.0, float("nan"), 0.0]]], dtype=torch.bfloat16)
    w = torch.ones((1, 1, 2), dtype=torch.bfloat16)
    # out[2 i + j] += x[i] w[j]: x[1] reaches outputs 2 and 3 only
    expected = np.array([[[0.0, 0.0, 0.0, 0.0, 0.0, 0.0]], [[0.0, 0.0, np.nan, np.nan, 0.0, 0.0]]])
    actual = torch.nn.functional.conv_transpose1d(x, w, stride=2).float().numpy()
    """,
    reported='not found; related open reports: pytorch#157237, pytorch#163347 (searched 2026-11-25)',
)

def _phantom_example() -> ConvProblem:
    spec = ConvSpec.create(1, stride=3, output_padding=2, transposed=True)
    return ConvProblem(spec, np.zeros((2, 1, 1)), np.full((1, 1, 2), np.nan), dtype="float32")


OUTPUT_PADDING_PHANTOM = KnownIssue(
    "torch-cpu-float32-transpose-output-padding-nan",
    "torch's CPU float32 conv_transpose with a batch of more than one and a non-finite weight puts NaN where "
    "only output_padding reaches, as if a sample beyond the input were multiplied: conv_transpose1d(zeros(2,1,1), "
    "[[[nan, nan]]], stride=3, output_padding=2) is [nan, nan, 0, nan] per item, not [nan, nan, 0, 0] (float64, "
    "float16, bfloat16 and batch 1 are right)",
    lambda problem: (problem.dtype == "float32" and problem.x.shape[0] > 1 and any(problem.spec.output_padding)
                     and not np.isfinite(problem.weight).all()),
    _phantom_example,
    verified_with="torch==2.13.0",
    # verified absent on torch 2.1.2 (the oldest supported); the releases between were not tried
    condition=lambda: None if _torch_version() >= (2, 13) else
    f"seen on torch 2.13.0, absent on 2.1.2; this is {'.'.join(map(str, _torch_version()))}",
    script="""
    x = torch.zeros((2, 1, 1), dtype=torch.float32)
    w = torch.full((1, 1, 2), float("nan"), dtype=torch.float32)
    # out[3 i + j] += x[i] w[j]: the only sample (i = 0) reaches outputs 0 and 1; 2 and 3 are output_padding
    expected = np.array([[[np.nan, np.nan, 0.0, 0.0]], [[np.nan, np.nan, 0.0, 0.0]]])
    actual = torch.nn.functional.conv_transpose1d(x, w, stride=3, output_padding=2).numpy()
    """,
    reported="not found in the tracker (searched 2026-11-25)",
)


def _zero_channels_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(2), np.zeros((2, 0, 5, 5)), np.zeros((3, 0, 2, 2)), np.ones(3))


ZERO_INPUT_CHANNELS = KnownIssue(
    "torch-zero-input-channels-drop-output-channels",
    "With zero input channels the sum over channels is empty, so every output is the bias; torch's conv returns "
    "no output channels at all instead: F.conv2d(zeros(2,0,5,5), zeros(3,0,2,2), bias=ones(3)) has shape "
    "(2, 0, 4, 4), not (2, 3, 4, 4) of ones (context: pytorch#56998, PR #66256, where weight and bias "
    "gradients were asked to exist for such inputs)",
    lambda problem: problem.x.shape[1] == 0,
    _zero_channels_example,
    verified_with="torch==2.13.0",
    script="""
    x = torch.zeros((2, 0, 5, 5), dtype=torch.float64)
    w = torch.zeros((3, 0, 2, 2), dtype=torch.float64)
    b = torch.ones(3, dtype=torch.float64)
    # out[n, o] = b[o] + (a sum over zero input channels, which is 0): shape (2, 3, 4, 4), all ones
    expected = np.ones((2, 3, 4, 4))
    actual = attempt(lambda: torch.nn.functional.conv2d(x, w, b).numpy())
    """,
    reported='not found as such; context: pytorch#56998 (zero-channel layers, with #58984 closed as its duplicate) and PR 66256 (searched 2026-11-25)',
)


def _depthwise_padding_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(1, padding=1, groups=2), np.zeros((1, 2, 1)),
                       np.array([[[1.0, 1.0]], [[1.0, np.nan]]]), dtype="float32")


DEPTHWISE_SKIPS_PADDING = KnownIssue(
    "torch-cpu-float32-depthwise-skips-zero-padding",
    "torch's CPU float32 depthwise convolution (oneDNN; one output channel per input channel) leaves the zero "
    "padding out of its sums, so a NaN or inf weight over the padding gives a finite value where torch's own "
    "definition multiplies the padded zero (NaN): conv1d(zeros(1,2,1), [[[1,1]],[[1,nan]]], padding=1, groups=2) "
    "is [[0,0],[nan,0]], not [[0,0],[nan,nan]] (float64, float16, bfloat16, torch.backends.mkldnn disabled, "
    "channel multipliers above 1 and ungrouped convolutions are right; seen on torch 2.1.2, 2.13.0 and 2.14.1)",
    lambda problem: (problem.dtype == "float32" and not problem.spec.transposed and problem.spec.groups > 1
                     and problem.x.shape[1] == problem.spec.groups == problem.weight.shape[0]
                     and problem.spec.padding_mode == "zeros"
                     and any(p for pair in problem.spec.pads(problem.weight.shape[2:]) for p in pair)
                     and not np.isfinite(problem.weight).all()),
    _depthwise_padding_example,
    verified_with="torch==2.13.0",
    script="""
    x = torch.zeros((1, 2, 1), dtype=torch.float32)
    w = torch.tensor([[[1.0, 1.0]], [[1.0, float("nan")]]], dtype=torch.float32)
    # out[c, o] = w[c, 0] xp[c, o] + w[c, 1] xp[c, o + 1] over the zero-padded xp = [0, 0, 0]: nan * 0 is NaN
    expected = np.array([[[0.0, 0.0], [np.nan, np.nan]]])
    actual = torch.nn.functional.conv1d(x, w, padding=1, groups=2).numpy()
    """,
    reported="not found in the tracker; pytorch#121715 (a depthwise conv2d giving NaN from finite input) is another "
             "defect (searched 2026-11-25)",
)


def _torch_version() -> tuple[int, int]:
    """torch's (major, minor), read without importing it."""
    try:
        major, minor = importlib.metadata.version("torch").split(".")[:2]
        return int(major), int(minor)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return (0, 0)


# float16 on the CPU: convolution from torch 2.2, reflect/replicate padding from 2.6 (before, both
# raise "not implemented for 'Half'"; verified missing on 2.1.2, present on 2.13.0).
HALF_CONV = _torch_version() >= (2, 2)
HALF_PADDING = _torch_version() >= (2, 6)


def _half_padding_rule(problem: ConvProblem) -> str | None:
    if problem.dtype == "float16" and problem.spec.padding_mode in ("reflect", "replicate") and not HALF_PADDING:
        return "unsupported: float16 with reflect/replicate padding needs torch >= 2.6 on the CPU"
    return None


TORCH_DTYPES = tuple(d for d in FLOAT_DTYPES if HALF_CONV or d != "float16") + COMPLEX_DTYPES + ("int64",)

_conv = Capabilities(
    dtypes=TORCH_DTYPES, empty_batch=True, channels=True, groups=True, stride=True, dilation=True, bias=True,
    padding_modes=("zeros", "reflect", "replicate", "circular"), padding_strings=("same", "valid"), padding_pairs=True,
    multiplies_zero_padding=True, layouts=LAYOUTS, extra_rule=_half_padding_rule,
)
_transposed = Capabilities(
    dtypes=TORCH_DTYPES, transposed=True, empty_batch=True, channels=True, groups=True, stride=True,
    dilation=True, bias=True, layouts=LAYOUTS,
)

_ISSUES = {"": (BF16_NAN_SPREAD, ZERO_INPUT_CHANNELS, DEPTHWISE_SKIPS_PADDING), "_transpose": (BF16_NAN_SPREAD_TRANSPOSED, OUTPUT_PADDING_PHANTOM)}
for suffix, caps, issues in (("", _conv, _ISSUES[""]), ("_transpose", _transposed, _ISSUES["_transpose"])):
    register(Backend(f"torch.functional.conv{suffix}", "torch",
                     f"torch.nn.functional.conv{suffix}{{1,2,3}}d on the CPU", caps, functional,
                     known_issues=issues))
    # Layers hold their weight as a Parameter, which must be floating or complex; padding is one int per axis.
    layer_caps = dataclasses.replace(caps, dtypes=tuple(d for d in caps.dtypes if d != "int64"), padding_pairs=False)
    register(Backend(f"torch.nn.Conv{'Transpose' if suffix else ''}", "torch",
                     f"torch.nn.Conv{'Transpose' if suffix else ''}{{1,2,3}}d layers (bias=False unless given)",
                     layer_caps, module, known_issues=issues))
    register(Backend(f"torch.functional.conv{suffix}[cuda]", "torch",
                     f"torch.nn.functional.conv{suffix}{{1,2,3}}d on CUDA", caps,
                     lambda p: functional(p, "cuda"), _cuda_reason, _cuda_precision))


