"""Convolution as one matrix product over im2col columns, CS231n "fast layers" / hipsternet style.

Inspired by ``get_im2col_indices``/``im2col_indices`` as published in wiseodd/hipsternet
(hipsternet/im2col.py) and its many copies (e.g. motmaytinh/ML_181, ml_181/im2col.py): fancy
indexing builds the (C*HH*WW, N*H'*W') column matrix of the zero-padded input, and the weight,
reshaped to (F, C*HH*WW), multiplies it. The published code has no dilation and no groups; the
signature below takes torch's arguments so that it can be called like ``F.conv2d``.
NumPy arrays in, a NumPy array out.
"""

import numpy as np


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def get_im2col_indices(x_shape, field_height, field_width, padding=(1, 1), stride=(1, 1)):
    N, C, H, W = x_shape
    out_height = (H + 2 * padding[0] - field_height) // stride[0] + 1
    out_width = (W + 2 * padding[1] - field_width) // stride[1] + 1

    i0 = np.repeat(np.arange(field_height), field_width)
    i0 = np.tile(i0, C)
    i1 = stride[0] * np.repeat(np.arange(out_height), out_width)
    j0 = np.tile(np.arange(field_width), field_height * C)
    j1 = stride[1] * np.tile(np.arange(out_width), out_height)
    i = i0.reshape(-1, 1) + i1.reshape(1, -1)
    j = j0.reshape(-1, 1) + j1.reshape(1, -1)
    k = np.repeat(np.arange(C), field_height * field_width).reshape(-1, 1)
    return k, i, j


def im2col_indices(x, field_height, field_width, padding=(1, 1), stride=(1, 1)):
    ph, pw = padding
    x_padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode="constant")
    k, i, j = get_im2col_indices(x.shape, field_height, field_width, padding, stride)
    cols = x_padded[:, k, i, j]
    C = x.shape[1]
    return cols.transpose(1, 2, 0).reshape(field_height * field_width * C, -1)


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """x: (N, C, H, W), w: (F, C, HH, WW), b: (F,) -> (N, F, H', W')."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, padding = _pair(stride), _pair(padding)
    ph, pw = padding
    h_out = (H + 2 * ph - HH) // stride[0] + 1
    w_out = (W + 2 * pw - WW) // stride[1] + 1

    X_col = im2col_indices(x, HH, WW, padding=padding, stride=stride)
    W_col = w.reshape(F, -1)
    out = W_col @ X_col
    if b is not None:
        out += b.reshape(-1, 1)
    out = out.reshape(F, h_out, w_out, N)
    return out.transpose(3, 0, 1, 2)
