"""Transposed convolution as matrix multiplication + Fold (col2im), the counterpart of `unfold_matmul`.

Inspired by the same ``torch.nn.Fold`` documentation and by NumPy deep-learning libraries that
write the transposed convolution as "weight^T @ input, then col2im" (the gradient of the
forward im2col with respect to its input). Torch tensors in, a torch tensor out; the signature of
``F.conv_transpose2d``.
"""

import torch.nn.functional as F
from torch.nn.modules.utils import _pair


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    n, c_in, h, w = input.shape
    _, c_out, kh, kw = weight.shape
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    h_out = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + 1
    w_out = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + 1

    cols = weight.view(c_in, -1).t().matmul(input.view(n, c_in, h * w))  # (n, c_out*kh*kw, h*w)
    out = F.fold(cols, (h_out, w_out), (kh, kw), dilation=dilation, padding=padding, stride=stride)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out
