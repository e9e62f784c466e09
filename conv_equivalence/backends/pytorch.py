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
from typing import Any

import numpy as np

from conv_equivalence.backends import (
    COMPLEX_DTYPES,
    FLOAT_DTYPES,
    LAYOUTS,
    Backend,
    Capabilities,
    register,
)
from conv_equivalence.backends.torch_issues import CONV_ISSUES, TRANSPOSE_ISSUES, torch_version
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


# float16 on the CPU: convolution from torch 2.2, reflect/replicate padding from 2.6 (before, both
# raise "not implemented for 'Half'"; verified missing on 2.1.2, present on 2.13.0).
HALF_CONV = torch_version() >= (2, 2)
HALF_PADDING = torch_version() >= (2, 6)


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

for suffix, caps, issues in (("", _conv, CONV_ISSUES), ("_transpose", _transposed, TRANSPOSE_ISSUES)):
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


