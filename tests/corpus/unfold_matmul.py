"""Convolution as Unfold + matrix multiplication, as the ``torch.nn.Unfold`` documentation shows it.

Inspired by the example in torch's ``nn.Unfold`` docstring ("Convolution is equivalent with
Unfold + Matrix Multiplication + Fold (or view to output shape)") and the many blog posts that
copy it: ``inp_unf.transpose(1, 2).matmul(w.view(w.size(0), -1).t()).transpose(1, 2)``, then a
``view`` to the output shape. ``padding='same'`` is translated to a symmetric padding of half the
dilated kernel. Torch tensors in, a torch tensor out; the signature of ``F.conv2d``.
"""

import torch.nn.functional as F
from torch.nn.modules.utils import _pair


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    n, c, h, w = input.shape
    out_c, _, kh, kw = weight.shape
    stride, dilation = _pair(stride), _pair(dilation)
    if padding == "valid":
        padding = 0
    elif padding == "same":
        padding = (dilation[0] * (kh - 1) // 2, dilation[1] * (kw - 1) // 2)
    padding = _pair(padding)
    h_out = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    w_out = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1

    inp_unf = F.unfold(input, (kh, kw), dilation=dilation, padding=padding, stride=stride)
    out_unf = inp_unf.transpose(1, 2).matmul(weight.view(weight.size(0), -1).t()).transpose(1, 2)
    out = out_unf.view(n, out_c, h_out, w_out)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out
