"""Channels-last convolution with NumPy strides: NHWC input, HWIO weight, NHWC output.

Inspired by the NHWC convolutions written with ``np.lib.stride_tricks.as_strided`` and
``np.tensordot`` in course material on implementing convolutions (dlsyscourse's
"convolution_implementation" notebook; ``conv2d_nhwc_v1`` in several small NumPy NN packages):
pad, view the padded input as (N, H', W', KH, KW, C) windows, contract with the (KH, KW, C, F)
weight. ``'SAME'`` follows TensorFlow's rule. Like a TensorFlow/Keras layer it always adds its
bias, so check it with ``--bias-always``.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d_nhwc(x, w, b, stride=1, padding=0, dilation=1, groups=1):
    """x: (N, H, W, C), w: (KH, KW, C, F), b: (F,) -> (N, H', W', F)."""
    sh, sw = _pair(stride)
    dh, dw = _pair(dilation)
    kh, kw, c, f = w.shape
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if isinstance(padding, str):
        if padding.upper() == "VALID":
            pads = ((0, 0), (0, 0))
        else:  # SAME: out = ceil(in / stride); the odd sample of padding goes after
            pads = []
            for size, s, e in ((x.shape[1], sh, eh), (x.shape[2], sw, ew)):
                total = max((-(-size // s) - 1) * s + e - size, 0)
                pads.append((total // 2, total - total // 2))
    else:
        ph, pw = _pair(padding)
        pads = ((ph, ph), (pw, pw))
    x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))

    n, h, width, _ = x.shape
    oh, ow = (h - eh) // sh + 1, (width - ew) // sw + 1
    sN, sH, sW, sC = x.strides
    patches = as_strided(x, shape=(n, oh, ow, kh, kw, c),
                         strides=(sN, sH * sh, sW * sw, sH * dh, sW * dw, sC), writeable=False)
    out = np.tensordot(patches, w, axes=([3, 4, 5], [0, 1, 2]))
    return out + b
