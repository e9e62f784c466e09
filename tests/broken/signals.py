"""Deliberately broken signal-processing and filter implementations, each wrong in one way, for the
``signal``, ``signal2d`` and ``filter`` conventions of ``check`` (`conv_equivalence.check.signals`)."""

from __future__ import annotations

import numpy as np
import scipy.ndimage
import scipy.signal


def convolve(a, v, mode):  # type: ignore[no-untyped-def]
    """Right: scipy's direct method."""
    return scipy.signal.convolve(a, v, mode, method="direct")


def numpy_convolve(a, v, mode):  # type: ignore[no-untyped-def]
    """Right, with NumPy's 'same' rule (max(n1, n2) samples): 1-D only."""
    if a.ndim != 1:
        raise NotImplementedError("np.convolve is 1-D")
    return np.convolve(a, v, mode)


def overlap_add_seam(a, v, mode):  # type: ignore[no-untyped-def]
    """Overlap-add in blocks of 4096 samples whose tails are added one sample late: right on every signal
    shorter than one block, wrong at every seam of a long one (the ``long`` facet)."""
    if a.ndim != 1 or v.ndim != 1:
        return scipy.signal.convolve(a, v, mode, method="direct")
    block, full = 4096, np.zeros(a.size + v.size - 1, dtype=np.result_type(a, v))
    for start in range(0, a.size, block):
        piece = np.convolve(a[start:start + block], v)
        shift = 1 if start else 0  # the seam: every block after the first lands one sample late
        end = min(full.size, start + shift + piece.size)
        full[start + shift:end] += piece[:end - start - shift]
    return _mode(full, a.shape, v.shape, mode)


def _mode(full, s1, s2, mode):  # type: ignore[no-untyped-def]
    if mode == "full":
        return full
    if mode == "same":
        return full[tuple(slice((n2 - 1) // 2, (n2 - 1) // 2 + n1) for n1, n2 in zip(s1, s2))]
    return full[tuple(slice(min(n1, n2) - 1, max(n1, n2)) for n1, n2 in zip(s1, s2))]


def same_even_off_by_one(a, v, mode):  # type: ignore[no-untyped-def]
    """'same' centred at n2 // 2 (correlate2d's placement) instead of (n2 - 1) // 2: wrong for even kernels only."""
    full = scipy.signal.convolve(a, v, "full", method="direct")
    if mode != "same":
        return _mode(full, a.shape, v.shape, mode)
    return full[tuple(slice(n2 // 2, n2 // 2 + n1) for n1, n2 in zip(a.shape, v.shape))]


def fft_drops_imaginary(a, v, mode):  # type: ignore[no-untyped-def]
    """An FFT convolution through rfftn: real inputs right (within the FFT bound), complex ones lose their imaginary parts."""
    shape = [m + n - 1 for m, n in zip(a.shape, v.shape)]
    full = np.fft.irfftn(np.fft.rfftn(a.real, shape) * np.fft.rfftn(v.real, shape), shape)
    return _mode(full.astype(np.result_type(a, v).type(0).real.dtype), a.shape, v.shape, mode).astype(np.result_type(a, v))


def integers_through_float64(a, v, mode):  # type: ignore[no-untyped-def]
    """Integers computed in float64 and cast back: exact for small values, wrong once the sums pass 2**53."""
    if np.result_type(a, v).kind not in "iu":
        return scipy.signal.convolve(a, v, mode, method="direct")
    out = scipy.signal.convolve(a.astype(np.float64), v.astype(np.float64), mode, method="direct")
    return out.astype(np.result_type(a, v))


def first_operand_always_larger(a, v, mode):  # type: ignore[no-untyped-def]
    """Assumes in1 is the larger (the 'valid' and 'same' of an image library): raises when in2 is longer."""
    if any(n > m for m, n in zip(a.shape, v.shape)):
        raise ValueError("in2 must not be larger than in1")
    return scipy.signal.convolve(a, v, mode, method="direct")


def convolve2d(a, v, mode, boundary, fillvalue):  # type: ignore[no-untyped-def]
    """Right: scipy's."""
    return scipy.signal.convolve2d(a, v, mode, boundary, fillvalue)


def symm_as_reflect(a, v, mode, boundary, fillvalue):  # type: ignore[no-untyped-def]
    """Takes boundary='symm' for a whole-sample mirror (np.pad's 'reflect'): wrong next to every edge."""
    if boundary != "symm":
        return scipy.signal.convolve2d(a, v, mode, boundary, fillvalue)
    if any(n - 1 >= m for m, n in zip(a.shape, v.shape)):
        raise NotImplementedError("a kernel as wide as the image")
    padded = np.pad(a, [(n - 1, n - 1) for n in v.shape], mode="reflect")
    full = scipy.signal.convolve2d(padded, v, "valid")
    return _mode(full, a.shape, v.shape, mode)


def correlate(x, w, mode, cval, origin):  # type: ignore[no-untyped-def]
    """Right: scipy.ndimage's."""
    return scipy.ndimage.correlate(x, w, mode=mode, cval=cval, origin=origin)


def origin_reversed(x, w, mode, cval, origin):  # type: ignore[no-untyped-def]
    """Shifts by -origin: right at origin 0, wrong at every other origin."""
    flipped = [-o for o in origin] if isinstance(origin, (tuple, list)) else -origin
    if any(not -(n // 2) <= o <= (n - 1) // 2 for n, o in zip(w.shape, np.atleast_1d(flipped))):
        return scipy.ndimage.correlate(x, w, mode=mode, cval=cval, origin=origin)
    return scipy.ndimage.correlate(x, w, mode=mode, cval=cval, origin=flipped)


def fft_truncates_integers(a, v, mode):  # type: ignore[no-untyped-def]
    """An FFT convolution that casts its float result to the integer dtype by truncation: 2.9999999 becomes 2."""
    out = scipy.signal.fftconvolve(a, v, mode)
    return out.astype(np.result_type(a, v)) if np.result_type(a, v).kind in "iu" else out


def empty_garbage(a, v, mode):  # type: ignore[no-untyped-def]
    """Right on every non-empty pair; an empty operand gets the buffer it allocated and never wrote (uninitialised
    memory, here a fixed sentinel so that the test is deterministic): the ``empty`` facet."""
    if a.size == 0 or v.size == 0:
        shape = tuple(max(m + n - 1, 1) for m, n in zip(a.shape, v.shape))
        return np.full(shape, 6.9e-310)
    return scipy.signal.convolve(a, v, mode, method="direct")


def empty_index_error(a, v, mode):  # type: ignore[no-untyped-def]
    """Right on every non-empty pair; an empty operand meets an unguarded index (``IndexError``, not a refusal)."""
    _ = v.flat[0], a.flat[0]
    return scipy.signal.convolve(a, v, mode, method="direct")


def torch_convolve(a, v, mode):  # type: ignore[no-untyped-def]
    """Right, on torch tensors in and out (``arrays="torch"``): refuses anything else."""
    import torch

    if not (isinstance(a, torch.Tensor) and isinstance(v, torch.Tensor)):
        raise TypeError(f"torch tensors expected, got {type(a).__name__} and {type(v).__name__}")
    return torch.from_numpy(np.asarray(scipy.signal.convolve(a.numpy(), v.numpy(), mode, method="direct")))


def jax_convolve(a, v, mode):  # type: ignore[no-untyped-def]
    """Right, on JAX arrays in and out (``arrays="jax"``): refuses anything else."""
    import jax

    if not (isinstance(a, jax.Array) and isinstance(v, jax.Array)):
        raise TypeError(f"JAX arrays expected, got {type(a).__name__} and {type(v).__name__}")
    return jax.numpy.asarray(scipy.signal.convolve(np.asarray(a), np.asarray(v), mode, method="direct"))
