"""Library-native exploration of Pillow's ``Image.filter(ImageFilter.Kernel(size, kernel, scale, offset))``.

Drawn: the image mode ``'L'`` (uint8), ``'RGB'`` (three uint8 bands) or ``'I'`` (int32); the size 3 or 5;
images of 1 to 7 rows and columns (smaller than the kernel included); integer weights; ``scale`` left
to its default (the sum of the weights, drawn non-zero) or a non-zero integer; ``offset``.

The expected answer, on the oracle (the definition in `conv_equivalence.backends.pillow_filter`):
the kernel flipped vertically and correlated (`oracle_filters.filter_correlate`), divided by ``scale``,
plus ``offset``, rounded half away from zero, clamped to ``[0, 255]`` (``'L'``, each ``'RGB'`` band) or
``[0, 2**31 - 1]`` (``'I'``); the ``size // 2`` outermost rows and columns are the input's, and an
image smaller than the kernel comes back unchanged. Pillow sums ``weight / scale`` in float32, so
where the exact value lies within float32 rounding of a rounding tie either neighbour is accepted.

Beliefs: ``pillow-kernel-is-a-convolution`` (it flips the kernel vertically only, documented since
Pillow#7204) and ``pillow-mode-I-keeps-negative-results`` (the signed ``'I'`` mode is clamped at 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle_filters
from conv_equivalence.identities import Identity, IdentityFailure, register
from conv_equivalence.identities.misconceptions import belief

RANGES = {"L": (0, 255), "RGB": (0, 255), "I": (0, 2**31 - 1)}
"""The clamp of each mode (``'I'`` is signed int32, yet clamped at 0)."""
VALUES = {"L": (0, 255), "RGB": (0, 255), "I": (-1000, 1000)}


@st.composite
def pillow_cases(draw: st.DrawFn, target: str) -> dict[str, Any]:
    mode = draw(st.sampled_from(tuple(RANGES)))
    size = draw(st.sampled_from((3, 5)))
    shape: tuple[int, ...] = (draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    if mode == "RGB":
        shape = (*shape, 3)
    lo, hi = VALUES[mode]
    image = draw(hnp.arrays(np.int64, shape, elements=st.integers(lo, hi)))
    kernel = draw(hnp.arrays(np.int64, (size, size), elements=st.integers(-4, 4)))
    scale = draw(st.one_of(st.none(), st.sampled_from((1, 2, 3, 4, 5, 7, -1, -2, -3))))
    assume(scale is not None or kernel.sum() != 0)  # a zero scale divides by zero: not defined
    return {"mode": mode, "image": image, "kernel": kernel, "scale": scale, "offset": draw(st.integers(-20, 20))}


def _round(v: np.ndarray) -> np.ndarray:
    """Half away from zero (Pillow's ROUND_UP)."""
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def _bounds(case: dict[str, Any], band: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest result Pillow may give for one band (float32 rounding next to a tie)."""
    kernel = case["kernel"].astype(np.float64)
    size = kernel.shape[0]
    h = size // 2
    scale = case["scale"] if case["scale"] is not None else kernel.sum()
    lo, hi = RANGES[case["mode"]]
    if min(band.shape) < size:
        return band, band
    flipped = np.flip(kernel, axis=0)
    exact = oracle_filters.filter_correlate(band.astype(np.float64), flipped, "constant") / scale + case["offset"]
    magnitude = oracle_filters.filter_correlate(np.abs(band).astype(np.float64), np.abs(flipped), "constant") / abs(scale)
    slack = 2.0**-20 * (magnitude + abs(case["offset"]) + 1)
    low, high = band.astype(np.float64), band.astype(np.float64)
    inner = (slice(h, band.shape[0] - h), slice(h, band.shape[1] - h))
    low[inner] = np.clip(_round(exact - slack), lo, hi)[inner]
    high[inner] = np.clip(_round(exact + slack), lo, hi)[inner]
    return low, high


def _call(case: dict[str, Any]) -> np.ndarray:
    from PIL import Image, ImageFilter

    dtype = np.int32 if case["mode"] == "I" else np.uint8
    image = Image.fromarray(case["image"].astype(dtype), mode=case["mode"])
    size = case["kernel"].shape[0]
    filt = ImageFilter.Kernel((size, size), [int(v) for v in case["kernel"].ravel()], scale=case["scale"],
                              offset=case["offset"])
    return np.asarray(image.filter(filt)).astype(np.int64)


def _check_pillow(target: str, case: dict[str, Any]) -> None:
    options = {"mode": case["mode"], "size": case["kernel"].shape, "scale": case["scale"], "offset": case["offset"]}
    try:
        got = _call(case)
    except Exception as exc:  # noqa: BLE001 - a refusal of documented arguments is the finding
        raise IdentityFailure(f"Image.filter(ImageFilter.Kernel) {options} refused: {type(exc).__name__}: {exc}", case=case) from None
    image = case["image"]
    bands = [image[..., b] for b in range(3)] if case["mode"] == "RGB" else [image]
    outs = [got[..., b] for b in range(3)] if case["mode"] == "RGB" else [got]
    for band, out in zip(bands, outs):
        low, high = _bounds(case, band)
        bad = (out < low) | (out > high)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise IdentityFailure(f"Image.filter(ImageFilter.Kernel) {options}: at {where} got {out[where]}, expected "
                                  f"{low[where]:g}..{high[where]:g}", case=case, left=out, right=low)


register(Identity(
    "native-pillow-kernel-follows-its-definition",
    "Image.filter(ImageFilter.Kernel(size, kernel, scale, offset)) flips the kernel vertically, correlates, divides by "
    "scale (default: the kernel's sum), adds offset, rounds half away from zero and clamps to the mode's range "
    "('L', 'RGB' bands: 0..255; 'I': 0..2**31-1), keeping the border pixels, for 3x3 and 5x5 kernels.",
    "out[y, x] = clamp(round(sum k[a][b] img[y + h - a][x + b - h] / scale + offset)) inside, img[y, x] on the border",
    lambda: ["PIL"], pillow_cases, _check_pillow, tags=("native", "PIL"),
))


# -- beliefs ---------------------------------------------------------------------------------

def _images(low: int, high: int) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """A 3x3 to 4x4 image and a 3x3 kernel of integers in [low, high]."""
    shape = st.tuples(st.integers(3, 4), st.integers(3, 4))
    return st.tuples(hnp.arrays(np.int64, shape, elements=st.integers(low, high)),
                     hnp.arrays(np.int64, (3, 3), elements=st.integers(low, high)))


def _pillow(case: tuple[np.ndarray, np.ndarray], mode: str) -> np.ndarray:
    """The interior of Image.filter(ImageFilter.Kernel((3, 3), kernel, scale=1))."""
    from PIL import Image, ImageFilter

    image, kernel = case
    dtype = np.int32 if mode == "I" else np.uint8
    out = Image.fromarray(image.astype(dtype), mode=mode).filter(
        ImageFilter.Kernel((3, 3), [int(v) for v in kernel.ravel()], scale=1))
    return np.asarray(out).astype(np.int64)[1:-1, 1:-1]


def _ndimage(function: str, image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    import scipy.ndimage

    return np.asarray(getattr(scipy.ndimage, function)(image, kernel, mode="constant"))[1:-1, 1:-1]


belief(
    "pillow-kernel-is-a-convolution", "PIL",
    "Belief: ImageFilter.Kernel ('Create a convolution kernel') convolves: it flips the kernel in both axes, "
    "as scipy.ndimage.convolve does.",
    "Image.filter(Kernel((3, 3), k, scale=1)) == ndimage.convolve(img, k)   (inside the border)", _images(0, 3),
    lambda c: (_pillow(c, "L"), _ndimage("convolve", *c)),
    lambda c: (_pillow(c, "L"), _ndimage("correlate", c[0], np.flip(c[1], axis=0))),
    "Image.filter(Kernel((3, 3), k, scale=1)) == ndimage.correlate(img, flipud(k))   (inside the border)",
    "Pillow flips the kernel vertically only and then correlates (documented since Pillow#7204, after #3134 and #3678): "
    "a convolution would flip it left-right too. Kernels symmetric left-right agree; the smallest case is the "
    "smallest image Pillow filters (3x3) and a 3x3 kernel: 18 elements.",
    18, ("PIL", "orientation"),
    script="""
    from PIL import Image, ImageFilter
    image = np.zeros((3, 3), dtype=np.uint8)
    image[1, 0] = 1
    kernel = ImageFilter.Kernel((3, 3), [0, 0, 0, 1, 0, 0, 0, 0, 0], scale=1)
    # a convolution: out[1, 1] = sum k[a][b] img[2 - a][2 - b]: k[1][0] meets img[1][2] = 0
    expected = np.array(0)
    actual = np.asarray(Image.fromarray(image).filter(kernel))[1, 1]
    """,
)

belief(
    "pillow-mode-I-keeps-negative-results", "PIL",
    "Belief: on a signed 'I' (int32) image, Image.filter(ImageFilter.Kernel) keeps negative results, as the mode's "
    "range allows.",
    "Image.filter(Kernel((3, 3), k, scale=1)) == ndimage.correlate(img, flipud(k))   (mode 'I', inside the border)",
    _images(-3, 3),
    lambda c: (_pillow(c, "I"), _ndimage("correlate", c[0], np.flip(c[1], axis=0))),
    lambda c: (_pillow(c, "I"), np.maximum(_ndimage("correlate", c[0], np.flip(c[1], axis=0)), 0)),
    "Image.filter(Kernel((3, 3), k, scale=1)) == max(ndimage.correlate(img, flipud(k)), 0)   (mode 'I')",
    "Pillow clamps every filtered pixel of an 'I' image to [0, 2**31 - 1], as it clamps 'L' to [0, 255], although "
    "'I' is signed: negative sums become 0, and the identity kernel turns a pixel of -6 into 0. The smallest case "
    "is the smallest image Pillow filters (3x3) and a 3x3 kernel: 18 elements.",
    18, ("PIL", "dtype"),
    script="""
    from PIL import Image, ImageFilter
    image = Image.fromarray(np.full((3, 3), -6, dtype=np.int32), mode="I")
    identity = ImageFilter.Kernel((3, 3), [0, 0, 0, 0, 1, 0, 0, 0, 0], scale=1)
    # the identity kernel keeps the centre pixel of a signed image
    expected = np.array(-6)
    actual = np.asarray(image.filter(identity))[1, 1]
    """,
)
