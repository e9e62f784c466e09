"""scipy.ndimage: ``correlate``, ``convolve``, ``correlate1d``, ``convolve1d`` with every ``mode``.

ndimage filters return an output as large as the input and centre the kernel at
``k // 2 + origin`` (``origin`` in ``[-(k // 2), (k - 1) // 2]``), extending the input by
``mode``. A torch problem with ``before`` padding on an axis is the ndimage result with
``origin = before - k // 2``, cut to torch's output length, which works whenever
``before + after <= k - 1``. Boundary names come from `conv_equivalence.boundary` (torch's
``reflect`` is ndimage's ``mirror``). ``convolve`` flips the kernel and, for an even kernel,
moves its centre one sample, so it is given ``flip(w)`` and ``origin = -origin - (k even)``.
``correlate`` conjugates complex weights, so it is given ``conj(w)``.

Weights within ``DBL_EPSILON`` of zero or of their mirror image are not used as given:
the N-d filter drops weights with ``|w| <= DBL_EPSILON`` and the 1-D filter treats a kernel
whose mirrored pairs agree (or cancel) within ``DBL_EPSILON`` as exactly symmetric
(antisymmetric), using one half of it. Both thresholds are absolute, so a kernel scaled to
tiny values is computed wrongly (``correlate1d(ones(3)*1e20, [1e-20, 0, 0])`` gives
``[1, 2, 1]``, not ``[0, 1, 1]``). This is the known issue ``ndimage-absolute-epsilon``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from conv_equivalence.backends import COMPLEX_DTYPES, Backend, Capabilities, DtypeRule, KnownIssue, register
from conv_equivalence.backends._signal import as_output, conj, flip, signals
from conv_equivalence.boundary import by_torch_mode
from conv_equivalence.problem import ConvProblem, ConvSpec

DTYPES = ("float32", "float64") + COMPLEX_DTYPES + ("int64",)


EPSILON = float(np.finfo(np.float64).eps)


DTYPE_RULE = DtypeRule(
    lambda x, w: np.result_type(x, np.complex64) if np.dtype(w).kind == "c" else np.dtype(x),
    "truncate", lambda result: np.dtype(np.complex128 if np.dtype(result).kind == "c" else np.float64),
    "the input's dtype (complex if the weights are): sums accumulate in float64 (complex128) and are cast to it, "
    "so integers are rounded toward zero; a sum out of range is a C cast's undefined behaviour (seen: int8, "
    "int16 and uint8 wrap, int32 and int64 become their minimum)",
)


def near_symmetry_hazard(weights: np.ndarray) -> bool:
    """True for kernels that ndimage's absolute ``DBL_EPSILON`` shortcuts compute wrongly (complex kernels
    component by component: ndimage filters with the real and the imaginary part apart)."""
    if weights.dtype.kind == "c":
        return near_symmetry_hazard(weights.real) or near_symmetry_hazard(weights.imag)
    w = weights.ravel()
    mirror = w[::-1]
    tiny = (np.abs(w) > 0) & (np.abs(w) <= 2 * EPSILON)
    near = [(d > 0) & (d <= 2 * EPSILON) for d in (np.abs(w - mirror), np.abs(w + mirror))]
    return bool(tiny.any() or near[0].any() or near[1].any())


def _rule(problem: ConvProblem) -> str | None:
    kernel = problem.weight.shape[2:]
    if not all(pl + pr <= k - 1 for (pl, pr), k in zip(problem.spec.pads(kernel), kernel)):
        return "unsupported: padding wider than kernel size - 1 (ndimage output is as large as its input)"
    return None


def _tiny_weights_example() -> ConvProblem:
    spec = ConvSpec.create(1, padding=1)
    return ConvProblem(spec, np.array([[[1e20, 1e20, 1e20]]]), np.array([[[1e-20, 0.0, 0.0]]]))


ABSOLUTE_EPSILON = KnownIssue(
    "ndimage-absolute-epsilon",
    "scipy.ndimage drops weights with |w| <= DBL_EPSILON and treats kernels symmetric within "
    "DBL_EPSILON (absolute) as exactly symmetric, so kernels of tiny weights are computed wrongly",
    lambda problem: problem.dtype != "int64" and not _nonfinite_weights(problem) and near_symmetry_hazard(problem.weight[0, 0]),
    _tiny_weights_example,
    verified_with="scipy==1.17.1",
    script="""
    x, w = np.array([1e20, 1e20, 1e20]), np.array([1e-20, 0.0, 0.0])
    # out[i] = 1e-20 * x[i - 1] (zero before the start): [0, 1, 1]
    expected = np.array([0.0, 1.0, 1.0])
    actual = scipy.ndimage.correlate1d(x, w, mode="constant")
    """,
    reported='not found in the tracker (searched 2026-11-25)',
)


def _nan_weight_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(1, padding=1), np.zeros((1, 1, 3)), np.array([[[1.0, 1.0, np.nan]]]))


def _nonfinite_weights(problem: ConvProblem) -> bool:
    with np.errstate(invalid="ignore"):
        return not np.isfinite(problem.weight).all()


NAN_WEIGHTS_IGNORED = KnownIssue(
    "ndimage-nan-weights-ignored",
    "scipy.ndimage ignores NaN weights: the N-d filters skip them like zero weights (correlate([1, 1], [nan]) "
    "is [0, 0]), and the 1-D filters take a kernel holding a NaN for symmetric, since every comparison with NaN "
    "is false, and use its mirrored half (correlate1d([0, 0, 0], [1, 1, nan], mode='mirror') is [0, 0, 0], "
    "not all NaN)",
    _nonfinite_weights,
    _nan_weight_example,
    verified_with="scipy==1.17.1",
    script="""
    x, w = np.zeros(3), np.array([1.0, 1.0, np.nan])
    # every output's window meets the NaN weight (0 * nan = nan, the padding included)
    expected = np.array([np.nan, np.nan, np.nan])
    actual = scipy.ndimage.correlate(x, w, mode="constant")
    """,
    reported="not found (scipy#7818 is uniform_filter's NaN run, a different defect) (searched 2026-11-25)",
)


def _filter(function: str) -> Callable[[ConvProblem], np.ndarray]:
    convolving = function.startswith("convolve")

    def run(problem: ConvProblem) -> np.ndarray:
        import scipy.ndimage

        x, k = signals(problem)
        kernel = problem.weight.shape[2:]
        pads = problem.spec.pads(kernel)
        origins = [pl - n // 2 for (pl, _), n in zip(pads, kernel)]
        if convolving:
            origins = [-o - (1 - n % 2) for o, n in zip(origins, kernel)]
        weights = flip(k) if convolving else conj(k)
        mode = by_torch_mode(problem.spec.padding_mode).ndimage
        fn = getattr(scipy.ndimage, function)
        if function.endswith("1d"):
            y = fn(x, weights[0], axis=-1, mode=mode, cval=0.0, origin=origins[0])
        else:
            y = fn(x, weights, mode=mode, cval=0.0, origin=[0, *origins])
        out_len = problem.output_shape[2:]
        return as_output(y[(slice(None), *(slice(0, n) for n in out_len))])

    return run


for function in ("correlate", "convolve", "correlate1d", "convolve1d"):
    register(Backend(
        f"scipy.ndimage.{function}", "scipy", f"scipy.ndimage.{function} with the mode matching padding_mode",
        Capabilities(ranks=(1,) if function.endswith("1d") else (1, 2, 3), dtypes=DTYPES,
                     padding_modes=("zeros", "reflect", "replicate", "circular"), padding_pairs=True,
                     extra_rule=_rule),
        _filter(function),
        known_issues=(NAN_WEIGHTS_IGNORED, ABSOLUTE_EPSILON),
    ))
