"""A convolution shipped the way custom kernels are: a ``torch.autograd.Function`` with its own backward.

Written after the pattern of Triton / CUDA extension convolutions (the forward is a fused kernel,
here im2col + matmul in torch; the backward is hand-written from the textbook formulas): the
input gradient is ``conv_transpose`` of the output gradient, the weight gradient the correlation
of the input with the output gradient. The weight gradient's correlation keeps the forward's
``stride`` and ``dilation`` where the two exchange roles (``dilation=stride, stride=dilation``),
the classic slip: it is right only where stride and dilation agree, and the crop to the kernel
size hides the shape. Groups are declined (``NotImplementedError``), as such kernels often do.
"""

import torch
import torch.nn.functional as F
from torch.nn.modules.utils import _pair


class _Conv2d(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation):
        ctx.save_for_backward(x, weight)
        ctx.conf = (stride, padding, dilation, bias is not None)
        n, _, h, w = x.shape
        out_c, _, kh, kw = weight.shape
        h_out = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        w_out = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        cols = F.unfold(x, (kh, kw), dilation=dilation, padding=padding, stride=stride)
        out = (weight.reshape(out_c, -1) @ cols).reshape(n, out_c, h_out, w_out)
        if bias is not None:
            out = out + bias.reshape(1, -1, 1, 1)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        stride, padding, dilation, has_bias = ctx.conf
        grad_x = torch.nn.grad.conv2d_input(x.shape, weight, grad_out, stride, padding, dilation)
        kh, kw = weight.shape[2:]
        # BUG: stride and dilation exchange roles in the weight gradient; kept as in the forward.
        grad_w = F.conv2d(x.transpose(0, 1), grad_out.transpose(0, 1), padding=padding, stride=stride, dilation=dilation)
        grad_w = grad_w[:, :, :kh, :kw].transpose(0, 1)
        grad_b = grad_out.sum((0, 2, 3)) if has_bias else None
        return grad_x, grad_w, grad_b, None, None, None


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if groups != 1:
        raise NotImplementedError("groups > 1")
    if isinstance(padding, str):
        raise NotImplementedError("padding strings")
    return _Conv2d.apply(input, weight, bias, _pair(stride), _pair(padding), _pair(dilation))
