"""A deliberately literal convolution: Python loops over every index, Python numbers throughout.

Slow and obvious, so that the oracle can be checked against the definition without trusting
any of the oracle's own machinery (no padding helper, no windows, no BLAS). Arguments are
already normalised: per-axis tuples and explicit ``(before, after)`` padding pairs.
"""

from __future__ import annotations

import itertools

import numpy as np


def _extend(index: int, n: int, before: int, mode: str) -> int | None:
    """Source index in ``[0, n)`` for padded position ``index`` (``None`` for a zero)."""
    i = index - before
    if 0 <= i < n:
        return i
    if mode == "zeros":
        return None
    if mode == "replicate":
        return min(max(i, 0), n - 1)
    if mode == "circular":
        return i % n
    if mode == "reflect":  # whole-sample: d c b | a b c d | c b a
        if n == 1:
            return 0
        period = 2 * (n - 1)
        i = abs(i) % period
        return period - i if i >= n else i
    if mode == "symmetric":  # half-sample: c b a | a b c | c b a, period 2n
        i = i % (2 * n)
        return 2 * n - 1 - i if i >= n else i
    raise ValueError(mode)


def extend(x, pads, mode, fill_value=0):  # type: ignore[no-untyped-def]
    """Every sample of the extended signal looked up by `_extend` (``constant``: ``fill_value`` outside)."""
    names = {"constant": "zeros", "edge": "replicate", "reflect": "reflect", "symmetric": "symmetric", "wrap": "circular"}
    lead = x.ndim - len(pads)
    shape = x.shape[:lead] + tuple(n + b + a for n, (b, a) in zip(x.shape[lead:], pads))
    out = np.empty(shape, dtype=object)
    for index in itertools.product(*[range(m) for m in shape]):
        src = [_extend(index[lead + k], x.shape[lead + k], pads[k][0], names[mode]) for k in range(len(pads))]
        out[index] = fill_value if None in src else x[(*index[:lead], *src)].item()
    return out


def conv(x, w, bias, stride, pads, dilation, groups, padding_mode="zeros"):  # type: ignore[no-untyped-def]
    """out[n,o,*i] = bias[o] + sum_{c,*j} w[o,c,*j] * xpad[n, g*Cg + c, *(i*s + j*d)]."""
    nd = w.ndim - 2
    n_batch, c_in = x.shape[:2]
    c_out = w.shape[0]
    cg_in, cg_out = c_in // groups, c_out // groups
    spatial, kernel = x.shape[2:], w.shape[2:]
    out_shape = [
        (spatial[a] + pads[a][0] + pads[a][1] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1 for a in range(nd)
    ]
    out = np.empty((n_batch, c_out, *out_shape), dtype=object)
    for n, o in itertools.product(range(n_batch), range(c_out)):
        g = o // cg_out
        for i in itertools.product(*[range(m) for m in out_shape]):
            total = 0 if bias is None else bias[o].item()
            for c in range(cg_in):
                for j in itertools.product(*[range(k) for k in kernel]):
                    src = [_extend(i[a] * stride[a] + j[a] * dilation[a], spatial[a], pads[a][0], padding_mode) for a in range(nd)]
                    value = 0 if None in src else x[(n, g * cg_in + c, *src)].item()
                    total = total + w[(o, c, *j)].item() * value
            out[(n, o, *i)] = total
    return out


def conv_transpose(x, w, bias, stride, padding, output_padding, groups, dilation):  # type: ignore[no-untyped-def]
    """Scatter: out[n, g*Cg_out + o, i*s + j*d - p] += x[n, c, i] * w[c, o, j], for c in group g."""
    nd = w.ndim - 2
    n_batch, c_in = x.shape[:2]
    cg_in, cg_out = c_in // groups, w.shape[1]
    spatial, kernel = x.shape[2:], w.shape[2:]
    out_shape = [
        (spatial[a] - 1) * stride[a] - 2 * padding[a] + dilation[a] * (kernel[a] - 1) + output_padding[a] + 1
        for a in range(nd)
    ]
    out = np.zeros((n_batch, cg_out * groups, *out_shape), dtype=object)
    if bias is not None:
        for o in range(cg_out * groups):
            out[:, o] = bias[o].item()
    for n, c in itertools.product(range(n_batch), range(c_in)):
        g = c // cg_in
        for i in itertools.product(*[range(m) for m in spatial]):
            for o in range(cg_out):
                for j in itertools.product(*[range(k) for k in kernel]):
                    t = [i[a] * stride[a] + j[a] * dilation[a] - padding[a] for a in range(nd)]
                    if all(0 <= t[a] < out_shape[a] for a in range(nd)):
                        out[(n, g * cg_out + o, *t)] += x[(n, c, *i)].item() * w[(c, o, *j)].item()
    return out


def full_convolve(a, v):  # type: ignore[no-untyped-def]
    """out[k] = sum_j a[k - j] * v[j] over every k where the supports overlap."""
    shape = [m + n - 1 for m, n in zip(a.shape, v.shape)]
    out = np.zeros(shape, dtype=object)
    for i in itertools.product(*[range(m) for m in a.shape]):
        for j in itertools.product(*[range(n) for n in v.shape]):
            k = tuple(p + q for p, q in zip(i, j))
            out[k] += a[i].item() * v[j].item()
    return out
