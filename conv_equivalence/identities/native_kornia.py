"""Library-native exploration of kornia's image filters: ``kornia.filters.filter2d``, ``filter2d_separable``,
``filter3d`` and their aliases ``correlate2d``, ``convolve2d``, ``correlate3d``, ``convolve3d``, with the
arguments the adapter fixes.

Drawn: ``border_type`` (``'constant'``, ``'reflect'``, ``'replicate'``, ``'circular'``, in any letter case,
which kornia accepts), ``padding`` ``'same'``/``'valid'`` (2-D), ``normalized`` (the kernel divided by the
sum of its absolute values, per sample; ``filter2d_separable`` normalises each 1-D kernel, which is the
outer product's normalisation), ``behaviour`` ``'corr'``/``'conv'`` (``'conv'`` flips the kernel on every
axis), a kernel shared by the batch ``(1, *K)`` or one a sample ``(B, *K)``, several channels (one kernel
for all of a sample's channels), even and odd kernels, float32 and float64.

The expected answer, on the oracle: for each sample and channel, `oracle.conv` of that channel with the
sample's kernel (flipped for ``'conv'``, normalised for ``normalized``), padded by ``(k - 1) // 2`` before
and the rest after with ``border_type``'s torch ``padding_mode`` (``'same'``) or not at all (``'valid'``).

A catalogued belief: ``normalized=True`` is not "the kernel divided by its sum" (astropy's and OpenCV's
normalisation), but by the sum of its absolute values, so a kernel with negative taps keeps its sign.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle, tolerance
from conv_equivalence.identities import Identity, IdentityFailure, assert_within_rounding, register
from conv_equivalence.identities.misconceptions import _INTS, belief

FUNCTIONS = ("filter2d", "filter2d_separable", "filter3d", "correlate2d", "convolve2d", "correlate3d", "convolve3d")
PADDING_MODES = {"constant": "zeros", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}
"""kornia's ``border_type`` -> torch's (and the oracle's) ``padding_mode``."""


def _spelling(draw: st.DrawFn, word: str) -> str:
    return draw(st.sampled_from((word, word.upper(), word.capitalize())))


@st.composite
def kornia_cases(draw: st.DrawFn, target: str) -> dict[str, Any]:
    """One call: the function, its keyword arguments as kornia spells them, and the arrays."""
    function = draw(st.sampled_from(FUNCTIONS))
    nd = 3 if function.endswith("3d") else 2
    batch, channels = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    spatial = tuple(draw(st.integers(k, k + 2)) for k in kernel)  # as long as the kernel: every border is defined
    per_sample = draw(st.booleans())
    border = draw(st.sampled_from(tuple(PADDING_MODES)))
    kwargs: dict[str, Any] = {"border_type": _spelling(draw, border), "normalized": draw(st.booleans())}
    if nd == 2:
        kwargs["padding"] = _spelling(draw, draw(st.sampled_from(("same", "valid"))))
    if function in ("filter2d", "filter3d"):
        kwargs["behaviour"] = _spelling(draw, draw(st.sampled_from(("corr", "conv"))))
    dtype = draw(st.sampled_from(("float32", "float64")))
    kernels = 2 if per_sample and batch > 1 else 1
    x = draw(hnp.arrays(np.float64, (batch, channels, *spatial), elements=_INTS))
    if function == "filter2d_separable":
        kx = draw(hnp.arrays(np.float64, (kernels, kernel[1]), elements=_INTS))
        ky = draw(hnp.arrays(np.float64, (kernels, kernel[0]), elements=_INTS))
        assume(not kwargs["normalized"] or (np.abs(kx).sum(axis=1).all() and np.abs(ky).sum(axis=1).all()))
        k = ky[:, :, None] * kx[:, None, :]
        arrays = {"kernel_x": kx, "kernel_y": ky}
    else:
        k = draw(hnp.arrays(np.float64, (kernels, *kernel), elements=_INTS))
        assume(not kwargs["normalized"] or np.abs(k).reshape(kernels, -1).sum(axis=1).all())  # 0 / 0 is NaN
        arrays = {"kernel": k}
    return {"function": function, "kwargs": kwargs, "x": x, "arrays": arrays, "k": k, "dtype": dtype,
            "padding_mode": PADDING_MODES[border]}


def expected(case: dict[str, Any], x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """kornia's documented answer on the oracle, sample by sample (each sample's kernel, every channel)."""
    kwargs = case["kwargs"]
    behaviour = str(kwargs.get("behaviour", "corr")).lower()
    if case["function"].startswith("convolve") or behaviour == "conv":
        k = np.flip(k, axis=tuple(range(1, k.ndim)))
    if kwargs["normalized"]:
        k = k / np.abs(k).reshape(len(k), -1).sum(axis=1).reshape(-1, *(1,) * (k.ndim - 1))
    same = str(kwargs.get("padding", "same")).lower() == "same"
    pads = tuple(((n - 1) // 2, n - 1 - (n - 1) // 2) if same else (0, 0) for n in k.shape[1:])
    out = [oracle.conv(x[b][:, None], k[b % len(k)][None, None], padding=pads, padding_mode=case["padding_mode"])[:, 0]
           for b in range(len(x))]
    return np.stack(out)


def _call(case: dict[str, Any]) -> np.ndarray:
    import kornia
    import torch

    dtype = getattr(torch, case["dtype"])
    tensors = {name: torch.from_numpy(a).to(dtype) for name, a in case["arrays"].items()}
    y = getattr(kornia.filters, case["function"])(torch.from_numpy(case["x"]).to(dtype), **tensors, **case["kwargs"])
    if y.dtype != dtype:
        raise IdentityFailure(f"kornia.filters.{case['function']} returned {y.dtype} for {dtype} input", case=case)
    return y.numpy()


def _check_kornia(target: str, case: dict[str, Any]) -> None:
    what = f"kornia.filters.{case['function']}({case['kwargs']})"
    try:
        got = _call(case)
    except IdentityFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - a refusal of documented arguments is the finding
        raise IdentityFailure(f"{what} refused: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                              case=case) from None
    x, k = case["x"], case["k"]
    exact, magnitude = expected(case, x, k), expected(case, np.abs(x), np.abs(k))
    # kH*kW products, plus the normalisation's division and, separable, the rounding between the two passes
    terms = int(np.prod(k.shape[1:])) + sum(k.shape[1:]) + 2
    assert_within_rounding(got, exact, magnitude, terms, case["dtype"], what=what, case=case)


register(Identity(
    "native-kornia-filters-follow-their-definition",
    "kornia's filter2d, filter2d_separable, filter3d and their correlate/convolve aliases give the documented "
    "depthwise correlation whichever border_type (in any letter case), padding 'same' (extra sample of an even "
    "kernel after) or 'valid', normalized (kernel / sum |kernel|), behaviour 'corr' or 'conv' (flipped), and a "
    "kernel shared by the batch or one a sample, shared by the channels.",
    "filter2d(x, k, border, normalized, padding, behaviour)[b, c] == conv(pad(x[b, c], ((k-1)//2, k//2), border), "
    "flip?(k[b]) / (sum|k[b]| if normalized))",
    lambda: ["kornia"], kornia_cases, _check_kornia, tags=("native", "kornia"),
))


def _normalized_bound(c: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Direct summation of w.size products of the divided taps (one more rounding each: the division)."""
    x, w = c
    return tolerance.direct_bound(oracle.correlate(np.abs(x), np.abs(w) / np.abs(w).sum(), "valid"), w.size + 1, "float64")


def _normalized(c: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """kornia.filters.filter2d(x, w, normalized=True, padding='valid', border_type='constant') on a 2-D pair."""
    import kornia
    import torch

    x, w = c
    y = kornia.filters.filter2d(torch.from_numpy(x)[None, None], torch.from_numpy(w)[None], normalized=True,
                                padding="valid")
    return np.asarray(y[0, 0].numpy())


def _kernel_pairs() -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """A float64 image and a kernel no larger than it, with a kernel of non-zero sum."""
    shapes = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), st.integers(0, 1))
    return shapes.flatmap(lambda k: st.tuples(
        hnp.arrays(np.float64, (k[0] + k[2], k[1] + k[3]), elements=_INTS),
        hnp.arrays(np.float64, k[:2], elements=_INTS).filter(lambda w: w.sum() != 0)))


belief(
    "kornia-normalized-divides-by-the-sum", "kornia",
    "Belief: kornia's normalized=True divides the kernel by its sum, as astropy's normalize_kernel and a "
    "normalised box filter do, so the filtered image keeps the input's mean.",
    "filter2d(x, w, normalized=True) == filter2d(x, w / w.sum())", _kernel_pairs(),
    lambda c: (_normalized(c), oracle.correlate(c[0], c[1] / c[1].sum(), "valid")),
    lambda c: (_normalized(c), oracle.correlate(c[0], c[1] / np.abs(c[1]).sum(), "valid")),
    "filter2d(x, w, normalized=True) == filter2d(x, w / sum(|w|))   (a derivative kernel keeps its sign)",
    "kornia's normalize_kernel2d divides by the sum of the absolute values, so that zero-sum derivative kernels "
    "(Sobel) stay defined; the two agree only when no tap is negative. The smallest case is one pixel and a "
    "one-tap negative kernel: filter2d([[1]], [[-1]], normalized=True) is -1, not 1: 2 elements.", 2,
    ("normalisation", "kornia"), truth_bound=_normalized_bound,
    script="""
    x = kornia.image.image_to_tensor(np.ones((1, 1)), keepdim=False)  # (1, 1, 1, 1) float64
    w = kornia.image.image_to_tensor(np.full((1, 1), -1.0), keepdim=True)  # (1, 1, 1): one tap, -1
    # the belief: w / w.sum() = [[1]], so the output is 1 * x = 1
    expected = np.array([[1.0]])
    actual = kornia.image.tensor_to_image(kornia.filters.filter2d(x, w, normalized=True, padding="valid"))
    """,
)
