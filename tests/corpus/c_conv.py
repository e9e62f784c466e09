"""NumPy wrapper around the C library in ``cconv.c``, loaded with ctypes.

In the style of the ctypes bindings that small C/C++ NN libraries ship: convert the arrays to
contiguous float64, pass pointers and sizes, return the output as the input's dtype. The C
function takes one int per parameter (the wrapper keeps the first of a per-axis tuple) and
only integer padding: check it with ``--equal-per-axis --int-padding``.

The shared library is found through the ``CCONV_LIB`` environment variable, or next to this
file as ``libcconv.so`` (build it with ``cc -shared -fPIC -o libcconv.so cconv.c``).
"""

import ctypes
import os
from pathlib import Path

import numpy as np

_lib = None
_double_p = ctypes.POINTER(ctypes.c_double)


def _load():
    global _lib
    if _lib is None:
        path = os.environ.get("CCONV_LIB") or str(Path(__file__).with_name("libcconv.so"))
        lib = ctypes.CDLL(path)
        lib.conv2d_forward.restype = None
        lib.conv2d_forward.argtypes = [_double_p, _double_p, _double_p, _double_p] + [ctypes.c_int] * 11
        _lib = lib
    return _lib


def _first(v):
    return v if isinstance(v, int) else v[0]


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    lib = _load()
    s, p, d = _first(stride), _first(padding), _first(dilation)
    xc = np.ascontiguousarray(x, dtype=np.float64)
    wc = np.ascontiguousarray(w, dtype=np.float64)
    bc = None if b is None else np.ascontiguousarray(b, dtype=np.float64)
    N, C, H, W = xc.shape
    F, _, KH, KW = wc.shape
    OH = (H + 2 * p - d * (KH - 1) - 1) // s + 1
    OW = (W + 2 * p - d * (KW - 1) - 1) // s + 1
    out = np.empty((N, F, OH, OW), dtype=np.float64)
    lib.conv2d_forward(
        xc.ctypes.data_as(_double_p), wc.ctypes.data_as(_double_p),
        None if bc is None else bc.ctypes.data_as(_double_p), out.ctypes.data_as(_double_p),
        N, C, H, W, F, KH, KW, s, p, d, groups,
    )
    return out.astype(x.dtype)
