"""A naive convolution forward pass in the style of CS231n's assignment 2 (``conv_forward_naive``).

Inspired by the many published solutions of that assignment (e.g. Clarence-G/learngit,
cs231n/assignment2/conv1.py): zero-pad with ``np.pad``, then loop over images, filters and
output positions with one ``np.sum`` per output. Extended here to torch's arguments (dilation,
groups, per-axis values). Written for square images: the output width is taken from the height.
NumPy arrays in, a NumPy array out.
"""

import numpy as np


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """x: (N, C, H, W), w: (F, C/groups, HH, WW), b: (F,) -> (N, F, H', W')."""
    if isinstance(padding, str):
        raise NotImplementedError("padding must be a number of pixels, not 'same' or 'valid'")
    N, C, H, W = x.shape
    F, Cg, HH, WW = w.shape
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    dh, dw = _pair(dilation)
    x_padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode="constant")
    H_out = 1 + (H + 2 * ph - dh * (HH - 1) - 1) // sh
    W_out = H_out  # images are square
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w))
    F_per_group = F // groups
    for n in range(N):
        for f in range(F):
            g = f // F_per_group
            for i in range(H_out):
                for j in range(W_out):
                    window = x_padded[n, g * Cg:(g + 1) * Cg,
                                      i * sh:i * sh + dh * (HH - 1) + 1:dh,
                                      j * sw:j * sw + dw * (WW - 1) + 1:dw]
                    out[n, f, i, j] = np.sum(window * w[f])
            if b is not None:
                out[n, f] += b[f]
    return out
