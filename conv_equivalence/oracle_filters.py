"""The oracle's boundary-aware definitions: ``scipy.signal.convolve2d``/``correlate2d`` and
``scipy.ndimage.correlate``/``convolve``, each as a signal continued past its edges (`oracle.extend`)
and then convolved where every sample exists (`oracle.convolve`'s products, nothing else)::

    convolve2d(a, v, boundary)[k]  = sum_j ext(a)[k - j] * v[j]            ('full': k over n1 + n2 - 1)
    correlate2d(a, v, boundary)    = flip(convolve2d(flip(a), conj(v)))      (so 'same' keeps scipy's placement)
    filter_correlate(a, w, mode, cval, origin)[i] = sum_j ext(a)[i + j - c] * conj(w[j]),  c = len(w) // 2 + origin

``boundary`` is scipy.signal's ``fill`` (``fillvalue``, any number), ``wrap`` and ``symm`` (half-sample
mirror), of any width: a kernel longer than the signal wraps or mirrors again. ``mode`` is ndimage's
(``reflect`` = half-sample, ``mirror`` = whole-sample, ``nearest``, ``wrap``, ``constant`` with ``cval``,
and the ``grid-`` names). ``filter_convolve`` flips the weights and mirrors the origin as ndimage does
(an even axis moves one sample further) and does not conjugate them; ``filter_correlate`` does, as
scipy.ndimage does since it takes complex weights (``correlate([1j], [1j])`` is 1, ``convolve`` gives -1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from conv_equivalence.oracle import _as_numeric, _check_signal_args, _slice_mode, convolve, extend, per_axis

BOUNDARIES = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}
"""scipy.signal.convolve2d's ``boundary`` -> `oracle.extend`'s mode."""
FILTER_MODES = {"reflect": "symmetric", "grid-mirror": "symmetric", "mirror": "reflect", "nearest": "edge",
                "wrap": "wrap", "grid-wrap": "wrap", "constant": "constant", "grid-constant": "constant"}
"""scipy.ndimage's ``mode`` -> `oracle.extend`'s mode."""


def _valid_part(extended: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The samples of ``convolve(extended, kernel, 'full')`` where the kernel lies inside ``extended``."""
    full = convolve(extended, kernel, "full")
    return full[tuple(slice(k - 1, n) for n, k in zip(extended.shape, kernel.shape))]


def _fill(fillvalue: object, *arrays: np.ndarray) -> complex:
    """``fillvalue`` in the operands' common dtype, as scipy casts it (a complex fill of real data is refused)."""
    value = np.asarray(fillvalue)
    if value.size != 1 or value.dtype.kind not in "biufc" or value.dtype.kind == "b":
        raise ValueError(f"fillvalue must be a single number, got {fillvalue!r}")
    common = np.result_type(*arrays)
    if value.dtype.kind == "c" and common.kind != "c":
        raise ValueError(f"fillvalue {fillvalue!r} is complex and the inputs are {common}: it cannot be cast")
    return value.astype(common).item()  # type: ignore[no-any-return]


def convolve2d(in1: object, in2: object, mode: str = "full", boundary: str = "fill", fillvalue: object = 0) -> np.ndarray:
    """``scipy.signal.convolve2d``: 2-D `oracle.convolve` of ``in1`` continued past its edges by ``boundary``.

    ``full`` reads the continuation ``n2 - 1`` samples out on each side, ``same`` (the shape of ``in1``)
    the centred part of it, ``valid`` none (the inputs swapped when ``in2`` is the larger, as scipy does).
    """
    a, v = _check_signal_args(in1, in2, mode)
    if a.ndim != 2:
        raise ValueError(f"in1 and in2 must be 2-D, got {a.ndim}-D")
    if boundary not in BOUNDARIES:
        raise ValueError(f"boundary must be one of {tuple(BOUNDARIES)}, got {boundary!r}")
    fill = _fill(fillvalue, a, v)
    if mode == "valid" and not all(m >= n for m, n in zip(a.shape, v.shape)):
        a, v = v, a
    extended = extend(a, [(n - 1, n - 1) for n in v.shape], BOUNDARIES[boundary], fill)
    return _slice_mode(_valid_part(extended.astype(np.result_type(a, v, extended)), v), a.shape, v.shape, mode)


def correlate2d(in1: object, in2: object, mode: str = "full", boundary: str = "fill", fillvalue: object = 0) -> np.ndarray:
    """``scipy.signal.correlate2d``: ``flip(convolve2d(flip(in1), conj(in2)))``. For an even ``in2`` its
    'same' window starts ``n2 // 2`` samples into the full result (`oracle.correlate`'s at ``(n2 - 1) // 2``)."""
    a, v = _check_signal_args(in1, in2, mode)
    if a.ndim != 2:
        raise ValueError(f"in1 and in2 must be 2-D, got {a.ndim}-D")
    # 'valid' with in2 the larger is `oracle.correlate`'s (in2 conjugated); scipy conjugates in1 there instead
    # (the belief correlate2d-valid-is-correlate-valid)
    return np.flip(convolve2d(np.flip(a), np.conj(v) if v.dtype.kind == "c" else v, mode, boundary, fillvalue))


def _origins(origin: int | Sequence[int], weights: np.ndarray) -> tuple[int, ...]:
    origins = per_axis(origin, weights.ndim, "origin", minimum=-(2**31))
    for n, o in zip(weights.shape, origins):
        if not -(n // 2) <= o <= (n - 1) // 2:
            raise ValueError(f"origin {o} is outside the weights (length {n}): it must lie in "
                             f"[{-(n // 2)}, {(n - 1) // 2}]")
    return origins


def filter_correlate(input: object, weights: object, mode: str = "reflect", cval: object = 0.0,
                     origin: int | Sequence[int] = 0) -> np.ndarray:
    """``scipy.ndimage.correlate``: the output has the input's shape; sample ``i`` is
    ``sum_j ext(input)[i + j - c] * conj(weights[j])`` with ``c = len(weights) // 2 + origin`` on each axis
    (complex weights conjugated, as every correlate here and in NumPy and scipy.signal does)."""
    w = _as_numeric("weights", weights)
    return _filter(input, np.conj(w) if w.dtype.kind == "c" else w, mode, cval, origin)


def _filter(input: object, weights: object, mode: str, cval: object, origin: int | Sequence[int]) -> np.ndarray:
    """``sum_j ext(input)[i + j - c] * weights[j]``: the weights as given."""
    a, w = _as_numeric("input", input), _as_numeric("weights", weights)
    if a.ndim != w.ndim:
        raise ValueError(f"weights must have the input's rank ({a.ndim}), got {w.ndim}")
    if w.size == 0:
        raise ValueError(f"weights cannot be empty, got shape {w.shape}")
    if mode not in FILTER_MODES:
        raise ValueError(f"mode must be one of {tuple(FILTER_MODES)}, got {mode!r}")
    if a.size == 0:
        return np.zeros(a.shape, dtype=np.result_type(a, w))
    centres = [n // 2 + o for n, o in zip(w.shape, _origins(origin, w))]
    value = np.asarray(cval)
    if value.size != 1 or value.dtype.kind not in "iufc":
        raise ValueError(f"cval must be a single number, got {cval!r}")
    # ndimage reads cval as it is (computing in double): a fractional cval of integer data stays fractional
    extended = extend(a, [(c, n - 1 - c) for n, c in zip(w.shape, centres)], FILTER_MODES[mode], value.item())
    return _valid_part(extended, np.flip(w))


def filter_convolve(input: object, weights: object, mode: str = "reflect", cval: object = 0.0,
                    origin: int | Sequence[int] = 0) -> np.ndarray:
    """``scipy.ndimage.convolve``: the weights flipped (not conjugated) and the origin mirrored (``-origin``,
    one further on an even axis)."""
    w = _as_numeric("weights", weights)
    origins = _origins(origin, w) if w.size else (0,) * w.ndim
    mirrored = tuple(-o - (1 - n % 2) for n, o in zip(w.shape, origins))
    return _filter(input, np.flip(w), mode, cval, mirrored)
