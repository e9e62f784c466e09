"""The textbook's multi-channel cross-correlation (Dive into Deep Learning, "corr2d"), grown naively.

After d2l.ai chapter 7 (``corr2d``, ``corr2d_multi_in``, ``corr2d_multi_in_out``): one output
element at a time, channels summed with Python's ``sum`` over ``zip(X, K)``, output channels
stacked. Extended the way a reader would to torch's arguments: stride and dilation in the
slices, padding with ``F.pad``, a loop over the batch, and a bias. Padding strings are not
supported. Torch tensors in, a torch tensor out; the signature of ``F.conv2d``.
"""

import torch
import torch.nn.functional as F


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def corr2d(X, K, stride=(1, 1), dilation=(1, 1)):
    """Compute 2D cross-correlation."""
    h, w = K.shape
    eh, ew = dilation[0] * (h - 1) + 1, dilation[1] * (w - 1) + 1
    Y = torch.zeros(((X.shape[0] - eh) // stride[0] + 1, (X.shape[1] - ew) // stride[1] + 1), dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            r, c = i * stride[0], j * stride[1]
            Y[i, j] = (X[r:r + eh:dilation[0], c:c + ew:dilation[1]] * K).sum()
    return Y


def corr2d_multi_in(X, K, **kwargs):
    return sum(corr2d(x, k, **kwargs) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K, **kwargs):
    return torch.stack([corr2d_multi_in(X, k, **kwargs) for k in K], 0)


def conv2d(X, K, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if isinstance(padding, str):
        raise NotImplementedError("padding='same'/'valid' is not supported")
    ph, pw = _pair(padding)
    X = F.pad(X, (ph, ph, pw, pw))
    Y = torch.stack([corr2d_multi_in_out(x, K, stride=_pair(stride), dilation=_pair(dilation)) for x in X], 0)
    if bias is not None:
        Y += bias.reshape(-1, 1, 1)
    return Y
