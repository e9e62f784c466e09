"""Kernels wrong only at real sizes, for the real-sizes facet's tests and benchmark.

Each broken kernel tiles, blocks or splits the way optimized kernels do and gets one thing wrong past
a size that small problems never reach: each is right whenever every axis (batch, each channel count,
each spatial input and output size, each kernel size) is at most 16, except `large_kernel_loses_tap`,
whose real size is a 7x7 kernel. Each takes the arguments of ``torch.nn.functional.conv{N}d`` and
dispatches on the rank; where a defect does not apply (another rank, a case it does not cover) it
calls torch's own convolution, so that only the intended defect shows. `REAL_SIZE_DEFECTS` says when
each fails; the two in `REAL_SIZE_CORRECT` are right at every size.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F


def _conv(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    return getattr(F, f"conv{x.dim() - 2}d")(x, *args, **kwargs)


def _axes(value: Any, x: torch.Tensor) -> tuple[int, ...]:
    """An int or a per-axis tuple, as a per-axis tuple."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * (x.dim() - 2)


def _pads(x: torch.Tensor, w: torch.Tensor, stride: Any, padding: Any, dilation: Any) -> list[tuple[int, int]]:
    """Per spatial axis, the zeros before and after, as torch pads them ('same': any odd one after),
    raising torch's errors for a bad padding string."""
    if padding == "valid":
        return [(0, 0)] * (x.dim() - 2)
    if padding == "same":
        if any(s != 1 for s in _axes(stride, x)):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for k, d in zip(w.shape[2:], _axes(dilation, x))]
        return [(t // 2, t - t // 2) for t in totals]
    if isinstance(padding, str):
        raise RuntimeError(f"Invalid padding string: {padding!r}")
    return [(p, p) for p in _axes(padding, x)]


def _pad(x: torch.Tensor, pads: list[tuple[int, int]]) -> torch.Tensor:
    flat = [p for pair in reversed(pads) for p in pair]  # F.pad lists the last axis first
    return F.pad(x, flat) if any(flat) else x


def _bias(out: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    return out if b is None else out + b.reshape(1, -1, *([1] * (out.dim() - 2)))


# in_channels, 2-D (any rank): the reduction over each group's input channels runs in chunks of 16
# and forgets the last, partial chunk. Right while C_in/groups <= 16 (one call, no chunks) and when
# C_in/groups is a multiple of 16 (no partial chunk); wrong iff C_in/groups > 16 and
# C_in/groups % 16 != 0 (the dropped channels' contribution is missing). Smallest: C_in = 17.
def split_k_drops_remainder(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    cg = w.shape[1]  # input channels per group
    if cg <= 16 or x.shape[1] != cg * groups:
        return _conv(x, w, b, stride, padding, dilation, groups)
    n, spatial = x.shape[0], x.shape[2:]
    xg = x.reshape(n, groups, cg, *spatial)
    out = None
    for c0 in range(0, cg - 15, 16):  # full chunks only
        chunk = xg[:, :, c0:c0 + 16].reshape(n, groups * 16, *spatial)
        part = _conv(chunk, w[:, c0:c0 + 16], None, stride, padding, dilation, groups)
        out = part if out is None else out + part
    return _bias(out, b)


# bias, 2-D (any rank: the last axis): output columns in blocks of 16 once W_out > 16, and the bias
# added block by block skips the last, partial block. Wrong iff a non-zero bias is given,
# W_out > 16 and W_out % 16 != 0 (the last W_out % 16 columns lack the bias). Smallest: W_out = 17.
def tail_columns_no_bias(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    out = _conv(x, w, None, stride, padding, dilation, groups)
    if b is None:
        return out
    wo = out.shape[-1]
    covered = wo if wo <= 16 else wo - wo % 16
    return torch.cat([_bias(out[..., :covered], b), out[..., covered:]], dim=-1)


# batch, 2-D (any rank): the batch in blocks of 8; from the third block on (items 16 and up) each
# item reads the input of the item before it. Wrong iff N >= 17 (item 16 gets item 15's output) and
# those inputs differ. Smallest: N = 17.
def batch_block_wrong_item(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    n = x.shape[0]
    if n <= 16:
        return _conv(x, w, b, stride, padding, dilation, groups)
    blocks = []
    for s0 in range(0, n, 8):
        s1 = min(s0 + 8, n)
        xb = x[s0 - 1:s1 - 1] if s0 >= 16 else x[s0:s1]
        blocks.append(_conv(xb, w, b, stride, padding, dilation, groups))
    return torch.cat(blocks)


# out_channels, 2-D (any rank): each group's output channels in blocks of 8; from the fourth block on
# (channel 24 and up within a group) a block uses the weights of the block before it (channel j of a
# group gets the weights of its channel j - 8; the bias stays right). Wrong iff C_out/groups >= 25
# and those weights differ. Smallest: C_out = 25 (groups 1).
def cout_block_wrong_weights(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    co = w.shape[0]
    cog = co // groups
    if cog <= 24 or co != cog * groups:
        return _conv(x, w, b, stride, padding, dilation, groups)
    j = torch.arange(co, device=w.device)
    src = torch.where(j % cog >= 24, j - 8, j)
    return _conv(x, w[src], b, stride, padding, dilation, groups)


# kernel size, 2-D: a kernel of at least 7x7 taps (1-D: at least 17 taps) loses its last tap,
# weight[..., -1, -1] read as 0 (a NaN or inf there too). Wrong iff kh >= 7 and kw >= 7 (1-D: k >= 17)
# and that tap meets a non-zero input sample (it does at output (0, 0) without padding); 3-D is right.
# Smallest: a 7x7 kernel on a 7x7 input. The one kernel here wrong below 17: 7x7 is its real size.
def large_kernel_loses_tap(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    k = tuple(w.shape[2:])
    if (len(k) == 2 and min(k) >= 7) or (len(k) == 1 and k[0] >= 17):
        last = torch.zeros(k, dtype=torch.bool, device=w.device)
        last[(-1,) * len(k)] = True
        w = torch.where(last, torch.zeros((), dtype=w.dtype, device=w.device), w)
    return _conv(x, w, b, stride, padding, dilation, groups)


# width, 2-D (any rank): a patch embedding (kernel == stride >= 8 on every axis, no padding,
# dilation 1) on an input at least 128 wide leaves its last patch column out: the last output
# column is zeros plus the bias. Wrong iff all of that holds (and that column is not already zero
# plus bias). Smallest: kernel = stride = 8x8 on an 8x128 input (16 columns).
def patch_embed_drops_last_patch(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    k = tuple(w.shape[2:])
    unpadded = padding == "valid" or (not isinstance(padding, str) and not any(_axes(padding, x)))
    patches = (unpadded and _axes(stride, x) == k and min(k) >= 8
               and all(d == 1 for d in _axes(dilation, x)) and x.shape[-1] >= 128)
    if not patches:
        return _conv(x, w, b, stride, padding, dilation, groups)
    out = _conv(x, w, None, stride, padding, dilation, groups)
    return _bias(torch.cat([out[..., :-1], torch.zeros_like(out[..., -1:])], dim=-1), b)


# length, 1-D: the output in blocks of 4096 samples, each from the padded input slice it needs; the
# slice of every block after the first starts one sample late and is patched with a zero, so each
# seam output (4096, 8192, ...) reads 0 at its first tap. Wrong iff L_out > 4096 and the kernel has
# more than one tap (one tap: a pointwise product, not blocked) and a seam's first tap meets a
# non-zero input sample (always, but for padding that reaches past sample 4096 * stride).
# Smallest: 2 taps, 4098 samples (4097 outputs).
def long_signal_block_seams(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if x.dim() != 3 or w.shape[-1] == 1:
        return _conv(x, w, b, stride, padding, dilation, groups)
    (s,), (d,) = _axes(stride, x), _axes(dilation, x)
    pads = _pads(x, w, stride, padding, dilation)
    span = d * (w.shape[-1] - 1) + 1
    xp = _pad(x, pads)
    lout = (xp.shape[-1] - span) // s + 1
    if lout <= 0 or s <= 0:
        return _conv(x, w, b, stride, padding, dilation, groups)  # torch's own error
    blocks = []
    for o0 in range(0, lout, 4096):
        o1 = min(o0 + 4096, lout)
        start, stop = o0 * s, (o1 - 1) * s + span
        piece = xp[..., start:stop] if o0 == 0 else F.pad(xp[..., start + 1:stop], (1, 0))
        blocks.append(_conv(piece, w, b, s, 0, d, groups))
    return torch.cat(blocks, dim=-1)


# width + depthwise, 2-D (any rank: the last axis): a depthwise convolution (groups == C_in == C_out
# >= 2) with right padding on the last axis and W_out > 64 clamps the last output column's window
# to end at the last input sample, as if there were no right padding. Wrong iff all of that holds
# and that window reaches into the right padding (always at stride 1: then it ends in it), the
# clamped window giving another value. Smallest: 2 channels, 3x3 kernel, padding 1, 65 columns.
def depthwise_wide_border(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    c = x.shape[1]
    if not (c >= 2 and groups == c == w.shape[0] and w.shape[1] == 1):
        return _conv(x, w, b, stride, padding, dilation, groups)
    pads = _pads(x, w, stride, padding, dilation)
    s, d = _axes(stride, x)[-1], _axes(dilation, x)[-1]
    span = d * (w.shape[-1] - 1) + 1
    xp = _pad(x, pads)
    wo = (xp.shape[-1] - span) // s + 1 if s > 0 else 0
    if pads[-1][1] <= 0 or wo <= 64:
        return _conv(x, w, b, stride, padding, dilation, groups)
    out = _conv(xp, w, b, stride, 0, dilation, groups)
    start = (wo - 1) * s
    real_end = pads[-1][0] + x.shape[-1]  # the right padding starts here
    if start + span <= real_end:
        return out
    start = max(real_end - span, 0)
    last = _conv(xp[..., start:start + span], w, b, stride, 0, dilation, groups)
    return torch.cat([out[..., :-1], last], dim=-1)


# height, 2-D: output rows in tiles of 32; the last, partial tile keeps the previous tile's input
# row pointer (stale), so its rows repeat the first H_out % 32 rows of the tile before. Wrong iff
# H_out > 32 and H_out % 32 != 0 (and those rows differ). Smallest: 33 rows, 1x1 kernel.
def row_tiles_last_tile(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    if x.dim() != 4:
        return _conv(x, w, b, stride, padding, dilation, groups)
    pads = _pads(x, w, stride, padding, dilation)
    s, d = _axes(stride, x)[0], _axes(dilation, x)[0]
    span = d * (w.shape[2] - 1) + 1
    xp = _pad(x, pads)
    ho = (xp.shape[2] - span) // s + 1 if s > 0 else 0
    if ho <= 0:
        return _conv(x, w, b, stride, padding, dilation, groups)  # torch's own error
    tiles, previous = [], 0
    for o0 in range(0, ho, 32):
        rows = min(32, ho - o0)
        first = o0 if rows == 32 else previous
        tiles.append(_conv(xp[:, :, first * s:(first + rows - 1) * s + span], w, b, stride, 0, dilation, groups))
        previous = o0
    return torch.cat(tiles, dim=2)


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().resolve_conj().resolve_neg().numpy()


def _im2col_conv(x, w, b, stride, padding, dilation, groups, matmul):  # type: ignore[no-untyped-def]
    """im2col in NumPy: each output position's receptive field as a row, times the weights as a matrix
    (per group), in the input dtype (float16 accumulated in float32). Dtypes NumPy lacks (bfloat16,
    complex32, float8, bool) and malformed calls go to torch's own convolution."""
    try:
        xn, wn = _numpy(x), _numpy(w)
        bn = None if b is None else _numpy(b)
    except (TypeError, RuntimeError):
        return _conv(x, w, b, stride, padding, dilation, groups)
    nd = x.dim() - 2
    pads = _pads(x, w, stride, padding, dilation)
    s, d, k = _axes(stride, x), _axes(dilation, x), tuple(w.shape[2:])
    n, c = xn.shape[:2]
    co, cg = wn.shape[:2]
    shapes_fit = (xn.dtype == wn.dtype and xn.dtype != np.bool_ and groups > 0 and c == cg * groups
                  and co % groups == 0 and min(s) > 0 and min(d) > 0 and (bn is None or bn.shape == (co,)))
    sizes = [x.shape[2 + i] + sum(pads[i]) - d[i] * (k[i] - 1) for i in range(nd)]
    if not shapes_fit or min(sizes) <= 0:
        return _conv(x, w, b, stride, padding, dilation, groups)  # torch's own answer or error
    out_sz = [(size - 1) // s[i] + 1 for i, size in enumerate(sizes)]
    acc = np.dtype(np.float32) if xn.dtype == np.float16 else xn.dtype
    xp = np.pad(xn.astype(acc, copy=False), [(0, 0), (0, 0), *pads])
    st = xp.strides
    view = np.lib.stride_tricks.as_strided(
        xp, (n, c, *out_sz, *k), (st[0], st[1], *(st[2 + i] * s[i] for i in range(nd)), *(st[2 + i] * d[i] for i in range(nd))),
        writeable=False)
    positions, taps = math.prod(out_sz), cg * math.prod(k)
    wm = wn.astype(acc, copy=False).reshape(groups, co // groups, taps).transpose(0, 2, 1)  # (g, taps, cog)
    order = (0, *range(2, 2 + nd), 1, *range(2 + nd, 2 + 2 * nd))  # (g, *out, cg, *k)
    out = np.empty((n, groups, co // groups, positions), acc)
    for i in range(n):
        cols = view[i].reshape(groups, cg, *out_sz, *k).transpose(order).reshape(groups, positions, taps)
        out[i] = matmul(cols, wm).transpose(0, 2, 1)
    res = out.reshape(n, co, *out_sz)
    if bn is not None:
        res = res + bn.astype(acc, copy=False).reshape(1, co, *([1] * nd))
    return torch.from_numpy(np.ascontiguousarray(res.astype(xn.dtype, copy=False)))


def _blocked_matmul(a: np.ndarray, b: np.ndarray, tile: int = 32) -> np.ndarray:
    """(g, M, K) @ (g, K, N) in tile x tile x tile blocks: for each K and N tile, the full M tiles at
    once, then the M remainder; the last K and N tiles are as wide as what is left."""
    g, m, kk = a.shape
    nn = b.shape[2]
    out = np.zeros((g, m, nn), np.result_type(a, b))
    mf = m - m % tile
    full = a[:, :mf].reshape(g, mf // tile, tile, kk)
    for k0 in range(0, kk, tile):
        k1 = min(k0 + tile, kk)
        for n0 in range(0, nn, tile):
            n1 = min(n0 + tile, nn)
            if mf:
                out[:, :mf, n0:n1] += (full[..., k0:k1] @ b[:, None, k0:k1, n0:n1]).reshape(g, mf, n1 - n0)
            if m > mf:
                out[:, mf:, n0:n1] += a[:, mf:, k0:k1] @ b[:, k0:k1, n0:n1]
    return out


# right at every size: NumPy im2col and one matrix product per group.
def im2col_numpy(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    return _im2col_conv(x, w, b, stride, padding, dilation, groups, np.matmul)


# right at every size: the same im2col, the product in 32x32x32 tiles with the remainders handled.
def blocked_gemm_numpy(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    return _im2col_conv(x, w, b, stride, padding, dilation, groups, _blocked_matmul)


def _layer(n: int, cin: int, cout: int, size: tuple[int, ...], k: tuple[int, ...], s: tuple[int, ...] | None = None,
           p: tuple[int, ...] | None = None, d: tuple[int, ...] | None = None, g: int = 1, bias: bool = False) -> dict[str, Any]:
    ones, zeros = (1,) * len(size), (0,) * len(size)
    return {"n": n, "in": cin, "out": cout, "size": size, "k": k, "s": s or ones, "p": p or zeros, "d": d or ones,
            "g": g, "bias": bias}


REAL_SIZE_DEFECTS: dict[str, dict] = {
    # name: {ndim: the rank it is checked in; condition: when it fails; base: the smallest failing layer;
    #        boundary: {dimension: its value in base, the smallest that fails with the rest of base held,
    #                   one less passing}; example: a real-size failing layer}
    # A layer: n, in (channels), out (channels), size (input, per axis), k (kernel), s, p, d (per axis), g, bias.
    # Dimensions: batch -> n, in_channels -> in, out_channels -> out, channels -> in = out = g,
    # width/length -> size[-1], height -> size[-2], kernel_width/kernel_length -> k[-1], kernel_height -> k[-2].
    "split_k_drops_remainder": {
        "ndim": 2,
        "condition": "C_in/groups > 16 and C_in/groups % 16 != 0",
        "base": _layer(1, 17, 1, (1, 1), (1, 1)),
        "boundary": {"in_channels": 17},
        # MobileNetV2 / EfficientNet expansion: 24 -> 144, 1x1 at 56x56
        "example": _layer(32, 24, 144, (56, 56), (1, 1)),
    },
    "tail_columns_no_bias": {
        "ndim": 2,
        "condition": "bias given (non-zero), W_out > 16 and W_out % 16 != 0",
        "base": _layer(1, 1, 1, (1, 17), (1, 1), bias=True),
        "boundary": {"width": 17},
        # ResNet 3x3 at 56x56, with a bias (W_out 56 = 3 * 16 + 8)
        "example": _layer(32, 64, 64, (56, 56), (3, 3), p=(1, 1), bias=True),
    },
    "batch_block_wrong_item": {
        "ndim": 2,
        "condition": "N >= 17",
        "base": _layer(17, 1, 1, (1, 1), (1, 1)),
        "boundary": {"batch": 17},
        "example": _layer(32, 64, 64, (56, 56), (3, 3), p=(1, 1)),
    },
    "cout_block_wrong_weights": {
        "ndim": 2,
        "condition": "C_out/groups >= 25 (output channels per group)",
        "base": _layer(1, 1, 25, (1, 1), (1, 1)),
        "boundary": {"out_channels": 25},
        # ResNet bottleneck expansion: 64 -> 256, 1x1 at 56x56
        "example": _layer(8, 64, 256, (56, 56), (1, 1)),
    },
    "large_kernel_loses_tap": {
        "ndim": 2,
        "condition": "2-D kernel with kh >= 7 and kw >= 7 (1-D: k >= 17)",
        "base": _layer(1, 1, 1, (7, 7), (7, 7)),
        "boundary": {"kernel_height": 7, "kernel_width": 7},
        # ResNet stem: 7x7, stride 2, padding 3 on 224x224
        "example": _layer(8, 3, 64, (224, 224), (7, 7), s=(2, 2), p=(3, 3)),
    },
    "patch_embed_drops_last_patch": {
        "ndim": 2,
        "condition": "kernel == stride >= 8 on every axis, no padding, dilation 1, input width >= 128",
        "base": _layer(1, 1, 1, (8, 128), (8, 8), s=(8, 8)),
        "boundary": {"width": 128},
        # ViT-B/16 patch embedding on 224x224
        "example": _layer(8, 3, 768, (224, 224), (16, 16), s=(16, 16), bias=True),
    },
    "long_signal_block_seams": {
        "ndim": 1,
        "condition": "1-D, L_out > 4096 and kernel length > 1",
        "base": _layer(1, 1, 1, (4098,), (2,)),
        "boundary": {"length": 4098, "kernel_length": 2},
        # wav2vec 2.0's first feature-encoder layer on 100,000 samples (19999 outputs)
        "example": _layer(2, 1, 512, (100_000,), (10,), s=(5,)),
    },
    "depthwise_wide_border": {
        "ndim": 2,
        "condition": "depthwise (groups == C_in == C_out >= 2), right padding > 0 on the last axis, W_out > 64 "
                     "(and the last window reaches into that padding: always at stride 1)",
        "base": _layer(1, 2, 2, (3, 65), (3, 3), p=(1, 1), g=2),
        "boundary": {"width": 65, "channels": 2},
        # MobileNetV2's first depthwise 3x3 at 112x112
        "example": _layer(8, 32, 32, (112, 112), (3, 3), p=(1, 1), g=32),
    },
    "row_tiles_last_tile": {
        "ndim": 2,
        "condition": "2-D, H_out > 32 and H_out % 32 != 0",
        "base": _layer(1, 1, 1, (33, 1), (1, 1)),
        "boundary": {"height": 33},
        # ResNet 3x3 at 56x56 (H_out 56 = 32 + 24)
        "example": _layer(8, 64, 64, (56, 56), (3, 3), p=(1, 1)),
    },
}

REAL_SIZE_CORRECT = ("im2col_numpy", "blocked_gemm_numpy")
