"""Deliberately broken convolutions, each wrong in one way, for the `check` command's tests and benchmark.

Each takes the arguments of ``torch.nn.functional.conv{N}d`` (ints or per-axis tuples, as torch
does) and dispatches on the rank. `MINIMAL` gives, for each, the facet that must fail, the rank it is
checked in, and the size (array elements: input + weight + bias) of its smallest counterexample,
argued in the comment above the function; the tests hold the check's shrinker to it.
"""

from __future__ import annotations

import ctypes
import os
import time
import warnings
from typing import Any

import torch
import torch.nn.functional as F


def _conv(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    return getattr(F, f"conv{x.dim() - 2}d")(x, *args, **kwargs)


def _axes(value: Any, x: torch.Tensor) -> tuple[int, ...]:
    """An int or a per-axis tuple, as a per-axis tuple."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * (x.dim() - 2)


def correct(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    return _conv(x, w, b, stride, padding, dilation, groups)


def correct_transposed(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):  # type: ignore[no-untyped-def]
    return getattr(F, f"conv_transpose{x.dim() - 2}d")(x, w, b, stride, padding, output_padding, groups, dilation)


def needs_bias(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    # written for layers that always have a bias
    return _conv(x, w, None, stride, padding, dilation, groups) + b.reshape(1, -1, *([1] * (x.dim() - 2)))


def _inner_helper(x: torch.Tensor) -> torch.Tensor:
    raise ValueError(f"tile size does not divide {x.shape[-1]}")


def raises_deep(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    return _inner_helper(x)


# plain, 1-D, 4 elements: a kernel of length 1 is its own flip, so the kernel needs 2 taps and the
# input 2 samples: x = [0, 1], w = [0, 1] gives 1, the flipped kernel 0.
def flipped_last_axis(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    return _conv(x, w.flip(-1), b, stride, padding, dilation, groups)


# stride, 2-D, 3 elements: reversing the strides changes nothing unless they differ, and a 1x1
# input gives one output either way; a 1x2 input with stride (1, 2) and a 1x1 kernel gives a
# 1x1 output, stride (2, 1) a 1x2 one.
def strides_swapped(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    return _conv(x, w, b, tuple(reversed(_axes(stride, x))), padding, dilation, groups)


# padding, 1-D, 2 elements: padding 1 around x = [1] with w = [1] gives [0, 1, 0]; one more zero
# before and one fewer after gives [0, 0, 1]. One input sample and one tap are the least there is.
def padding_one_off(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if isinstance(padding, str) or not any(_axes(padding, x)):
        return _conv(x, w, b, stride, padding, dilation, groups)
    pads = []
    for p in reversed(_axes(padding, x)):  # F.pad lists the last axis first
        pads += [p + 1, max(p - 1, 0)]
    return _conv(F.pad(x, pads), w, b, stride, 0, dilation, groups)


# dilation, 2-D, 5 elements: only unequal dilations differ, and only along an axis where the
# kernel has 2 taps: kernel 1x2 with dilation (1, 2) spans 3 columns, the confused (1, 1) spans 2,
# so a 1x3 input gives 1 output column instead of 2.
def dilation_axes_confused(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    d = _axes(dilation, x)
    return _conv(x, w, b, stride, padding, (d[0],) * len(d), groups)


# groups, 1-D, 4 elements: 2 groups need 2 input channels and 2 weights; x = [[1], [0]],
# w = [[[1]], [[1]]] gives [1, 0], the groups' inputs swapped give [0, 1].
def wrong_groups(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if groups > 1:
        c = x.shape[1] // groups
        x = torch.cat([x[:, (groups - 1 - g) * c:(groups - g) * c] for g in range(groups)], dim=1)
    return _conv(x, w, b, stride, padding, dilation, groups)


# bias, 1-D, 3 elements: one input sample, one tap and one bias value b != 0 (b added twice).
def bias_twice(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    out = _conv(x, w, b, stride, padding, dilation, groups)
    return out if b is None else out + b.reshape(1, -1, *([1] * (x.dim() - 2)))


# large (or plain, which draws large sizes too), 1-D, 34 elements: the last output column is
# dropped only from 33 columns on, which with one tap takes 33 input samples.
def wrong_beyond_tile(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    out = _conv(x, w, b, stride, padding, dilation, groups)
    if out.shape[-1] > 32:
        out = out.clone()
        out[..., -1] = 0
    return out


# plain, 1-D, 2 elements: one float64 input sample that float32 cannot hold (1 + 2**-30) times
# one tap already loses more than float64's bound allows.
def float32_inside(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    dtype = x.dtype
    if dtype == torch.float64:
        out = _conv(x.float(), w.float(), None if b is None else b.float(), stride, padding, dilation, groups)
        return out.to(dtype)
    return _conv(x, w, b, stride, padding, dilation, groups)


# plain, 1-D, 2 elements: any float64 call returns float32.
def returns_float32(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    return _conv(x, w, b, stride, padding, dilation, groups).to(torch.float32)


# nonfinite, 1-D, 2 elements: x = [nan], w = [1] gives nan, not 0.
def nan_to_zero(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    return _conv(torch.nan_to_num(x, nan=0.0), w, b, stride, padding, dilation, groups)


# nonfinite, 1-D, 2 elements: a bounds-checked loop leaves the zero padding out of its sums, so
# x = [0], w = [nan] with padding 1 gives [0, nan, 0] where torch multiplies the padded zeros: all NaN.
def skips_padding(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if x.dim() != 3 or groups != 1 or isinstance(padding, str):
        raise NotImplementedError("1-D, integer padding, no groups")
    (s,), (p,), (d,) = _axes(stride, x), _axes(padding, x), _axes(dilation, x)
    n, k = x.shape[-1], w.shape[-1]
    out = x.new_zeros((x.shape[0], w.shape[0], (n + 2 * p - d * (k - 1) - 1) // s + 1))
    for o in range(out.shape[-1]):
        for t in range(k):
            i = o * s - p + t * d
            if 0 <= i < n:
                out[:, :, o] += x[:, :, i] @ w[:, :, t].T
    return out if b is None else out + b[None, :, None]


# nonfinite with dilation, 1-D, 5 elements: the dilated kernel is materialised with zeros between its taps,
# so x = [0, inf, 0], w = [0, 0] at dilation 2 gives NaN, not 0: the stuffed zero meets the inf, a product
# the definition (0*0 + 0*0) does not have.
def stuffs_dilation(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    d = _axes(dilation, x)
    if all(v == 1 for v in d):
        return _conv(x, w, b, stride, padding, 1, groups)
    size = [(k - 1) * dv + 1 for k, dv in zip(w.shape[2:], d, strict=True)]
    dense = w.new_zeros((*w.shape[:2], *size))
    dense[(slice(None), slice(None), *(slice(None, None, dv) for dv in d))] = w
    return _conv(x, dense, b, stride, padding, 1, groups)


# nonfinite with groups, 1-D: the grouped weight is materialised as a dense block-diagonal one, so an
# inf in one group's input channel meets the other groups' zero blocks: NaN in their outputs.
def dense_groups(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if groups == 1:
        return _conv(x, w, b, stride, padding, dilation, 1)
    out_per, in_per = w.shape[0] // groups, w.shape[1]
    dense = w.new_zeros((w.shape[0], in_per * groups, *w.shape[2:]))
    for g in range(groups):
        dense[g * out_per:(g + 1) * out_per, g * in_per:(g + 1) * in_per] = w[g * out_per:(g + 1) * out_per]
    return _conv(x, dense, b, stride, padding, dilation, 1)


# nonfinite in float32 only: the float32 path saturates its output to the finite range, as a kernel that
# clamps before a cast would; float64 is right, so a check that draws NaN and inf in float64 alone passes it.
def saturates_float32(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    out = _conv(x, w, b, stride, padding, dilation, groups)
    if out.dtype == torch.float32:
        big = torch.finfo(torch.float32).max
        out = torch.where(torch.isnan(out), out, out.clamp(-big, big))
    return out


# layout:strided, 1-D, 3 elements: the view [0, 1] of the buffer [0, 0, 1, 0] read as if
# contiguous is [0, 0]; a single sample reads right, so 2 samples and 1 tap.
def reads_storage(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if not x.is_contiguous():
        x = torch.as_strided(x, x.shape, torch.empty(x.shape).stride(), x.storage_offset())
    return _conv(x, w, b, stride, padding, dilation, groups)


# dtype:float16, 1-D, 2 elements: rounds float16 results to integers (one non-integer product).
def rounds_half(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    out = _conv(x, w, b, stride, padding, dilation, groups)
    return out.round() if x.dtype == torch.float16 else out


# mutated input, plain, 1-D, 2 elements: any call writes into its input.
def writes_input(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    out = _conv(x, w, b, stride, padding, dilation, groups)
    x.fill_(7)
    return out


def raises(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    raise NotImplementedError("this kernel is not written yet")


def declines_unequal_stride(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if len(set(_axes(stride, x))) > 1:
        raise NotImplementedError("unequal per-axis strides")
    return _conv(x, w, b, stride, padding, dilation, groups)


def returns_numpy(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    return _conv(x, w, b, stride, padding, dilation, groups).numpy()


def warns(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    warnings.warn("this kernel is slow", RuntimeWarning, stacklevel=1)
    return _conv(x, w, b, stride, padding, dilation, groups)


def hangs(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    while True:
        try:
            time.sleep(0.01)
        except Exception:  # noqa: BLE001, S110 - a kernel that swallows everything, the time limit included
            pass


# crash (segmentation fault) from 2 input samples on: a native kernel reading past its buffer.
# plain, 1-D, 3 elements: 2 samples and one tap.
def segfaults(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if x.shape[-1] > 1:
        ctypes.string_at(0)
    return _conv(x, w, b, stride, padding, dilation, groups)


def exits(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    os._exit(0)


not_callable = 42

class _ZeroWeightGrad(torch.autograd.Function):
    """The forward right, the weight gradient silently zero (a backward that forgot to accumulate it)."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):  # type: ignore[no-untyped-def]
        ctx.save_for_backward(x, w)
        ctx.conf = (stride, padding, dilation, groups, b is not None)
        return _conv(x, w, b, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[no-untyped-def]
        x, w = ctx.saved_tensors
        stride, padding, dilation, groups, has_bias = ctx.conf
        grad_x = getattr(torch.nn.grad, f"conv{x.dim() - 2}d_input")(x.shape, w, grad, stride, padding, dilation, groups)
        bias = grad.sum([0, *range(2, grad.dim())]) if has_bias else None
        return grad_x, torch.zeros_like(w), bias, None, None, None, None


def zero_weight_grad(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if isinstance(padding, str):
        raise NotImplementedError("padding strings")
    return _ZeroWeightGrad.apply(x, w, b, stride, padding, dilation, groups)


def detached(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    # computed outside autograd (e.g. through NumPy), handed back as a fresh tensor: no grad_fn
    return _conv(x.detach(), w.detach(), None if b is None else b.detach(), stride, padding, dilation, groups)


class ForgetsDilation(torch.nn.Conv2d):
    """A Conv2d subclass whose forward drops ``self.dilation``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, 1, self.groups)


class _DetachedBackward(torch.autograd.Function):
    """Right first-order gradients, computed from detached saved tensors: the backward's own backward
    (double backward) misses every term through the weight and the input."""

    @staticmethod
    def forward(ctx, x, w, stride, padding, dilation, groups):  # type: ignore[no-untyped-def]
        ctx.save_for_backward(x, w)
        ctx.conf = (stride, padding, dilation, groups)
        return _conv(x, w, None, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[no-untyped-def]
        x, w = (t.detach() for t in ctx.saved_tensors)
        stride, padding, dilation, groups = ctx.conf
        nd = x.dim() - 2
        grad_x = getattr(torch.nn.grad, f"conv{nd}d_input")(x.shape, w, grad, stride, padding, dilation, groups)
        grad_w = getattr(torch.nn.grad, f"conv{nd}d_weight")(x, w.shape, grad, stride, padding, dilation, groups)
        return grad_x, grad_w, None, None, None, None


def detached_backward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if isinstance(padding, str):
        raise NotImplementedError("padding strings")
    out = _DetachedBackward.apply(x, w, stride, padding, dilation, groups)
    return out if b is None else out + b.reshape(1, -1, *([1] * (x.dim() - 2)))


class StdConv2d(torch.nn.Conv2d):
    """Weight standardisation (as BiT's and timm's StdConv2d): each output channel's weight is centred and
    scaled to unit variance before the convolution. Right, and no stored weight standardises to a drawn one:
    only its ``conv_equivalence_weight`` report gives the check a value verdict."""

    def standardised(self) -> torch.Tensor:
        var, mean = torch.var_mean(self.weight, dim=[1, 2, 3], keepdim=True, unbiased=False)
        return (self.weight - mean) / torch.sqrt(var + 1e-5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.standardised(), self.bias)

    def conv_equivalence_weight(self) -> torch.Tensor:
        return self.standardised()


class StdConv2dForgetsDilation(StdConv2d):
    """`StdConv2d` whose forward drops ``self.dilation``: the dilation facet fails, nothing else."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dilation, self.dilation = self.dilation, (1, 1)
        try:
            return self._conv_forward(x, self.standardised(), self.bias)
        finally:
            self.dilation = dilation


class NoPaddingMode(torch.nn.Conv2d):
    """A layer whose constructor has no padding_mode (its padding-mode facet declines)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,  # type: ignore[no-untyped-def]
                 bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias)


class StoresV(torch.nn.Module):
    """A layer with no ``weight`` in its state_dict and no load hook: it cannot be checked as it is."""

    def __init__(self, in_channels, out_channels, kernel_size, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__()
        self.v = torch.nn.Parameter(torch.ones(out_channels, in_channels, *torch.nn.modules.utils._pair(kernel_size)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.v)


class _OnceDifferentiable(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w):  # type: ignore[no-untyped-def]
        ctx.save_for_backward(x, w)
        return _conv(x, w)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):  # type: ignore[no-untyped-def]
        x, w = ctx.saved_tensors
        nd = x.dim() - 2
        return (getattr(torch.nn.grad, f"conv{nd}d_input")(x.shape, w, grad),
                getattr(torch.nn.grad, f"conv{nd}d_weight")(x, w.shape, grad))


def once_differentiable(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if b is not None or stride not in (1, (1,)) or padding not in (0, (0,), "valid") or dilation not in (1, (1,)) or groups != 1:
        raise NotImplementedError("plain convolutions only")
    return _OnceDifferentiable.apply(x, w)


# 'valid' is a third way to say "no padding", drawn by padding-strings. The smallest call: 1 input sample, 1 tap.
def forgets_valid(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if padding == "valid":
        raise ValueError("padding must be an int or a tuple")
    return _conv(x, w, b, stride, padding, dilation, groups)


def tuple_stride_breaks(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    """Right for an int stride; a per-axis tuple stride, even (1, 1), takes the wrong code path."""
    if isinstance(stride, tuple):
        return _conv(x, w, b, 1, padding, dilation, groups) * 2
    return _conv(x, w, b, stride, padding, dilation, groups)


def declines_dilation(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if any(d != 1 for d in _axes(dilation, x)):
        raise NotImplementedError("no dilation")
    return _conv(x, w, b, stride, padding, dilation, groups)


_calls = [0]


def every_third_call_wrong(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    """Keeps state: every third call (in its process) is off by one."""
    _calls[0] += 1
    out = _conv(x, w, b, stride, padding, dilation, groups)
    return out + 1 if _calls[0] % 3 == 0 else out


def short_signature(x, w, stride=1):  # type: ignore[no-untyped-def]
    return _conv(x, w, None, stride)


MINIMAL: dict[str, tuple[str, int, int]] = {
    # name: (the facet that fails, ndim, elements of the smallest counterexample)
    "flipped_last_axis": ("plain", 1, 4),
    "strides_swapped": ("stride", 2, 3),
    "padding_one_off": ("padding", 1, 2),
    "dilation_axes_confused": ("dilation", 2, 5),
    "wrong_groups": ("groups", 1, 4),
    "bias_twice": ("bias", 1, 3),
    "wrong_beyond_tile": ("large", 1, 34),
    "float32_inside": ("plain", 1, 2),
    "returns_float32": ("plain", 1, 2),
    "nan_to_zero": ("nonfinite", 1, 2),
    "skips_padding": ("nonfinite", 1, 2),
    "saturates_float32": ("nonfinite-crossed", 1, 2),  # x = [inf], w = [1] in float32
    "stuffs_dilation": ("nonfinite-crossed", 1, 5),
    # groups 2, one sample: x = [inf], [0] and w = [0], [0]; the second group's output meets the inf through a zero block
    "dense_groups": ("nonfinite-crossed", 1, 4),
    "reads_storage": ("layout:strided", 1, 3),
    "rounds_half": ("dtype:float16", 1, 2),
    "writes_input": ("plain", 1, 2),
    "forgets_valid": ("padding-strings", 1, 2),
    "segfaults": ("plain", 1, 3),
    # the weight gradient is zero: one input sample, one weight tap (and one cotangent value), all non-zero
    "zero_weight_grad": ("grad", 1, 2),
    # double backward through detached tensors: 1 x 1 with a non-zero weight and cotangent
    "detached_backward": ("double-grad", 1, 2),
}


# real-sizes: right in value everywhere, but the input channels are summed in eight chunks in a random order,
# as atomics from concurrent blocks would: floats differ in their last bits from call to call, integers never.
def real_sizes_racy(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    import random

    if groups != 1 or not x.is_floating_point() or x.shape[1] < 8:
        return _conv(x, w, b, stride, padding, dilation, groups)
    bounds = [x.shape[1] * i // 8 for i in range(9)]
    parts = [_conv(x[:, lo:hi], w[:, lo:hi], None, stride, padding, dilation) for lo, hi in zip(bounds, bounds[1:]) if hi > lo]
    random.shuffle(parts)
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out if b is None else out + b.reshape(1, -1, *([1] * (x.dim() - 2)))


# real-sizes: the literal loop (tests/naive.py), right everywhere and far too slow for a real layer.
def real_sizes_slow(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    import numpy as np

    from conv_equivalence.problem import ConvSpec
    from tests import naive

    nd = x.dim() - 2
    spec = ConvSpec.create(nd, stride=stride, padding=padding, dilation=dilation, groups=groups)
    out = naive.conv(x.detach().numpy(), w.detach().numpy(), None if b is None else b.detach().numpy(), spec.stride,
                     spec.pads(tuple(w.shape[2:])), spec.dilation, groups)
    return torch.from_numpy(np.asarray(out, dtype=np.float64)).to(x.dtype)


def tiny_model() -> torch.nn.Module:
    """A small model for ``--shapes-from``: a strided stem, a depthwise block and a 1x1 head."""
    return torch.nn.Sequential(torch.nn.Conv2d(3, 24, 3, stride=2, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv2d(24, 24, 3, padding=1, groups=24), torch.nn.Conv2d(24, 40, 1))


def _from_numpy(t: torch.Tensor | None) -> torch.Tensor | None:
    if t is None:
        return None
    if t.dtype == torch.bfloat16:
        return torch.from_numpy(t.float().numpy()).to(torch.bfloat16)
    return torch.from_numpy(t.numpy())


# no defect, and no backward: it goes through NumPy (.numpy() raises on inputs that require grad), so the
# gradient facets are declined, not failed.
def numpy_backed(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    return _conv(_from_numpy(x), _from_numpy(w), _from_numpy(b), stride, padding, dilation, groups)


# declines an input of height 1 (as docs/check.md says to) and is wrong on every padded problem: the padding
# facet's shrinking meets declined candidates, which must not crash the check.
def declines_height_one(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if x.dim() > 2 and x.shape[2] == 1:
        raise NotImplementedError("inputs of height 1")
    if isinstance(padding, str) or not any(_axes(padding, x)):
        return _conv(x, w, b, stride, padding, dilation, groups)
    return _conv(x, w, b, stride, padding, dilation, groups) + 1


def _same_before(x: torch.Tensor, w: torch.Tensor, dilation: Any) -> list[int]:
    """F.pad's list for 'same' with the odd extra sample of an even kernel put before the input (torch: after)."""
    pads: list[int] = []
    for k, d in reversed(list(zip(w.shape[2:], _axes(dilation, x)))):
        total = d * (k - 1)
        pads += [total - total // 2, total // 2]
    return pads


# cascade: raises when bias is None (written for layers that always have one), and three defects of its own:
# 'same' puts an even kernel's extra padding first, groups > 1 read the first group's input for every group,
# and integer input comes back as float64.
def needs_bias_and_more(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    shift = b.reshape(1, -1, *([1] * (x.dim() - 2)))  # AttributeError: 'NoneType' object has no attribute 'reshape'
    if padding == "same":
        x, padding = F.pad(x, _same_before(x, w, dilation)), 0
    if groups > 1:
        per = x.shape[1] // groups
        x = x[:, :per].repeat(1, groups, *([1] * (x.dim() - 2)))
    out = _conv(x, w, None, stride, padding, dilation, groups) + shift
    return out.to(torch.float64) if not x.is_floating_point() and not x.is_complex() else out


# cascade: an FFT-style path that computes float64 in float32 (plain fails), and two defects of its own:
# 'same' puts an even kernel's extra padding first, and an empty batch raises.
def downcasts_and_more(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if x.shape[0] == 0:
        raise RuntimeError("cannot plan an FFT for an empty batch")
    if padding == "same":
        x, padding = F.pad(x, _same_before(x, w, dilation)), 0
    if x.dtype == torch.float64:
        return _conv(x.float(), w.float(), None if b is None else b.float(), stride, padding, dilation, groups)
    return _conv(x, w, b, stride, padding, dilation, groups)


# A channels-last framework's float64 path: it computes in float32 (plain fails on float values), and its
# grouped and dilated float64 kernels raise "unsupported data type" (two defects of another kind, which only
# float64 shows: the float32 base that passes cannot see them).
def float32_inside_and_raises(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if x.dtype == torch.float64:
        if groups > 1 or any(v > 1 for v in _axes(dilation, x)):
            raise RuntimeError("unsupported data type: float64 for a grouped or dilated convolution")
        return _conv(x.float(), w.float(), None if b is None else b.float(), stride, padding, dilation, groups).double()
    return _conv(x, w, b, stride, padding, dilation, groups)


# no defect: it takes only padding='same' (a layer library's "same" convolution), and declines the rest.
def same_only(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if padding != "same":
        raise NotImplementedError("only padding='same'")
    return _conv(x, w, b, stride, padding, dilation, groups)


def _filter_domain(x: torch.Tensor, w: torch.Tensor, stride: Any, padding: Any, dilation: Any, groups: int) -> None:
    """Decline what a depthwise image filter does not take: one odd square kernel shared by every channel,
    'same' or no padding, no stride, no dilation."""
    k = w.shape[2:]
    if not (groups == x.shape[1] == w.shape[0] and w.shape[1] == 1 and len(set(k)) == 1 and k[0] % 2
            and bool((w == w[:1]).all()) and all(v == 1 for v in _axes(stride, x) + _axes(dilation, x))
            and (padding in ("same", "valid") or all(v == 0 for v in _axes(padding, x)))):
        raise NotImplementedError("a depthwise filter: one odd square kernel for every channel, 'same' or no padding")


def depthwise_filter(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    """A depthwise image filter, right inside its domain."""
    _filter_domain(x, w, stride, padding, dilation, groups)
    return _conv(x, w, b, 1, padding, 1, groups)


def depthwise_filter_short_border(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    """A depthwise image filter whose 'same' border is one sample short for kernels of 3 and more: it pads
    k // 2 - 1 and then repeats the edge output (right for a kernel of 1)."""
    _filter_domain(x, w, stride, padding, dilation, groups)
    k = w.shape[-1]
    if padding != "same" or k < 3:
        return _conv(x, w, b, 1, padding, 1, groups)
    out = _conv(x, w, b, 1, k // 2 - 1, 1, groups)
    pad = [1, 1] * (x.dim() - 2)
    return F.pad(out, pad, mode="replicate") if x.dim() > 3 else F.pad(out[:, :, None], [1, 1, 0, 0], mode="replicate")[:, :, 0]


def reads_first_kernel(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    """A depthwise filter that takes one kernel (as kornia's filter2d does) and applies it to every channel:
    right, and its weight gradient is all in the first kernel's slot (the sum over the channels)."""
    _filter_domain(x, w, stride, padding, dilation, groups)
    return _conv(x, w[:1].expand_as(w), b, 1, padding, 1, groups)
