"""Convolution as one einsum with one-hot index patterns, the way einconv expresses it.

Inspired by f-dangel/einconv (``einconv.expressions.convNd_forward``): for each spatial axis a
one-hot tensor ``P[k, o, i] = 1 if i == o*stride + k*dilation - padding_before`` selects the input
sample that kernel tap ``k`` meets at output ``o`` (zero padding is simply absent), and a single
``torch.einsum`` contracts input, weight and patterns. Torch tensors in, a torch tensor out.
"""

import torch
from torch.nn.modules.utils import _pair


def index_pattern(n_in, k, stride, pads, dilation, dtype):
    before, after = pads
    n_out = (n_in + before + after - dilation * (k - 1) - 1) // stride + 1
    pattern = torch.zeros((k, n_out, n_in), dtype=dtype)
    for tap in range(k):
        for o in range(n_out):
            i = o * stride + tap * dilation - before
            if 0 <= i < n_in:
                pattern[tap, o, i] = 1
    return pattern


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    stride, dilation = _pair(stride), _pair(dilation)
    n, c, h, w = x.shape
    f, cg, kh, kw = weight.shape
    if padding == "valid":
        pads = ((0, 0), (0, 0))
    elif padding == "same":
        totals = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
        pads = tuple((t // 2, t - t // 2) for t in totals)
    else:
        pads = tuple((p, p) for p in _pair(padding))
    ph = index_pattern(h, kh, stride[0], pads[0], dilation[0], x.dtype)
    pw = index_pattern(w, kw, stride[1], pads[1], dilation[1], x.dtype)
    xg = x.reshape(n, groups, cg, h, w)
    wg = weight.reshape(groups, f // groups, cg, kh, kw)
    out = torch.einsum("ngcxy,gfcab,aox,bpy->ngfop", xg, wg, ph, pw).reshape(n, f, ph.shape[1], pw.shape[1])
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out
