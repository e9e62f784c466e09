"""Convolution from sliding windows and one einsum: ``Tensor.unfold`` windows, grouped contraction.

Inspired by the "convolution in a few lines with as_strided/unfold and einsum" write-ups (e.g.
the conv exercises of ARENA's chapter 0 and the NumPy ``sliding_window_view`` + ``einsum``
recipes): pad (torch's 'same' placement included), take ``unfold`` windows of the dilated
kernel's extent along each spatial axis, keep every ``dilation``-th tap and contract channels
and taps per group. This one is meant to be right everywhere torch's ``F.conv2d`` is.
"""

import torch
import torch.nn.functional as F
from torch.nn.modules.utils import _pair


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    f, cg, kh, kw = weight.shape
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if padding == "valid":
        pads = (0, 0, 0, 0)
    elif padding == "same":
        pads = ((ew - 1) // 2, ew // 2, (eh - 1) // 2, eh // 2)
    else:
        ph, pw = _pair(padding)
        pads = (pw, pw, ph, ph)
    x = F.pad(input, pads)

    windows = x.unfold(2, eh, sh).unfold(3, ew, sw)[..., ::dh, ::dw]  # (n, c, oh, ow, kh, kw)
    n, c, oh, ow = windows.shape[:4]
    windows = windows.reshape(n, groups, cg, oh, ow, kh, kw)
    w = weight.reshape(groups, f // groups, cg, kh, kw)
    out = torch.einsum("ngchwij,gfcij->ngfhw", windows, w).reshape(n, f, oh, ow)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out
