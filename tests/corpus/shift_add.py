"""Convolution as a sum of shifted, strided slices ("shift and add"), one kernel tap at a time.

Inspired by the vectorised-NumPy convolutions in tutorials that avoid both loops over pixels
and im2col: for each kernel tap (u, v), take the strided slice of the padded input that this tap
sees for every output, and accumulate its channel contraction with ``w[:, :, u, v]``. The author
only wrote square strides and says so: an unequal per-axis stride raises ``NotImplementedError``.
Torch tensors in, a torch tensor out; the signature of ``F.conv2d``.
"""

import torch
import torch.nn.functional as F
from torch.nn.modules.utils import _pair


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    sh, sw = _pair(stride)
    if sh != sw:
        raise NotImplementedError(f"only equal strides on both axes are supported, got {stride}")
    s = sh
    dh, dw = _pair(dilation)
    n, c, h, w = input.shape
    f, cg, kh, kw = weight.shape
    if padding == "valid":
        pads = (0, 0, 0, 0)
    elif padding == "same":
        th, tw = dh * (kh - 1), dw * (kw - 1)
        pads = (tw // 2, tw - tw // 2, th // 2, th - th // 2)
    else:
        ph, pw = _pair(padding)
        pads = (pw, pw, ph, ph)
    x = F.pad(input, pads)
    oh = (x.shape[2] - dh * (kh - 1) - 1) // s + 1
    ow = (x.shape[3] - dw * (kw - 1) - 1) // s + 1

    fg = f // groups
    out = torch.zeros((n, groups, fg, oh, ow), dtype=input.dtype)
    for u in range(kh):
        for v in range(kw):
            patch = x[:, :, u * dh:u * dh + s * (oh - 1) + 1:s, v * dw:v * dw + s * (ow - 1) + 1:s]
            taps = weight[:, :, u, v].reshape(groups, fg, cg)
            out += torch.einsum("ngchw,gfc->ngfhw", patch.reshape(n, groups, cg, oh, ow), taps)
    out = out.reshape(n, f, oh, ow)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out
