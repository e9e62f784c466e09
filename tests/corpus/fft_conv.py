"""FFT convolution (cross-correlation, as torch's), in the style of the fft-conv-pytorch package.

Inspired by fkodom/fft-conv-pytorch (``fft_conv``): pad the signal, zero-pad the (dilated) kernel
to the signal's size, multiply ``rfftn(signal)`` by the conjugate of ``rfftn(kernel)`` per
group, ``irfftn`` back, keep the valid part and take every ``stride``-th sample. Exact up to the
FFT's rounding: check it with ``--precision fft``. Torch tensors in, a torch tensor out.
"""

import torch
import torch.nn.functional as F
from torch.fft import irfftn, rfftn
from torch.nn.modules.utils import _pair


def fft_conv2d(signal, kernel, bias=None, stride=1, padding=0, dilation=1, groups=1):
    stride, dilation = _pair(stride), _pair(dilation)
    kh, kw = kernel.shape[-2:]
    if padding == "valid":
        pads = ((0, 0), (0, 0))
    elif padding == "same":  # torch puts the extra sample of an even kernel at the end
        total = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
        pads = tuple((t // 2, t - t // 2) for t in total)
    else:
        p = _pair(padding)
        pads = ((p[0], p[0]), (p[1], p[1]))

    if dilation != (1, 1):
        dilated = kernel.new_zeros(*kernel.shape[:2], dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
        dilated[..., ::dilation[0], ::dilation[1]] = kernel
        kernel = dilated

    signal = F.pad(signal, [pads[1][0], pads[1][1], pads[0][0], pads[0][1]])
    H, W = signal.shape[-2:]
    kernel_padded = F.pad(kernel, [0, W - kernel.size(-1), 0, H - kernel.size(-2)])

    signal_fr = rfftn(signal, dim=(-2, -1))
    kernel_fr = rfftn(kernel_padded, dim=(-2, -1))
    kernel_fr.imag *= -1  # correlation, not convolution

    n, c = signal_fr.shape[:2]
    f = kernel_fr.shape[0]
    a = signal_fr.view(n, groups, c // groups, *signal_fr.shape[2:])
    b = kernel_fr.view(groups, f // groups, *kernel_fr.shape[1:])
    output_fr = torch.einsum("ngchw,gfchw->ngfhw", a, b).reshape(n, f, *signal_fr.shape[2:])
    output = irfftn(output_fr, s=(H, W), dim=(-2, -1))

    output = output[..., :H - kernel.size(-2) + 1:stride[0], :W - kernel.size(-1) + 1:stride[1]]
    if bias is not None:
        output = output + bias.view(1, -1, 1, 1)
    return output
