"""Pillow: ``PIL.ImageFilter.Kernel`` applied with ``Image.filter``, a 3x3 or 5x5 filter of an image.

Orientation: the kernel (a flat row-major sequence, ``size=(width, height)``) is *flipped vertically*
and then correlated with the image, neither a convolution nor a correlation (documented since
Pillow#7204, after #3134 and #3678)::

    out[y, x] = sum_{a, b} kernel[a][b] * image[y + h - a][x + b - h],   h = size // 2

Border: the output is as large as the image, and the ``h`` outermost rows and columns are the
input's pixels, copied unfiltered (an image with fewer than ``size`` rows or columns is returned
unchanged). Only the interior is filtered, which is torch's ``padding=0`` (``'valid'``) problem.

Values: each weight is divided by ``scale`` (default: the sum of the weights; 0 is not defined:
dividing by it saturates) and the sum, computed in float32, gets ``offset``; the result is rounded
half away from zero and clamped to the mode's range: ``'L'``/``'RGB'`` (uint8, each band alone) to
``[0, 255]``, ``'I'`` (int32) to ``[0, 2**31 - 1]``, so negative sums become 0 even in this signed
mode. ``'F'`` (float32) images are refused ("image has wrong mode"), as are palette images; ``'I;16'`` and the other 8-bit modes are accepted.

The canonical problems' dtypes hold int32, not uint8: the backend runs in mode ``'I'`` (int32) with
``scale=1`` and ``offset=0``. It translates: the weight is flipped vertically (Pillow's flip restores
it); a kernel of at most 5x5 is embedded at the top-left of a 3x3 or 5x5 one with zero taps, the
image zero-padded after by the taps added; torch's zero padding is applied to the image explicitly;
the filtered interior is torch's output. Because ``'I'`` clamps negative sums to 0, each image is
filtered with ``w`` and with ``-w`` and the answer is the difference (``s = max(s, 0) - max(-s, 0)``),
exact while the sums stay below ``2**24`` (float32). ``'L'``, ``'RGB'``, ``scale``, ``offset``, rounding,
clamping and the border are checked by the native identity ``native-pillow-kernel-follows-its-definition``;
the clamp of the signed mode by the belief ``pillow-mode-I-keeps-negative-results``.
"""

from __future__ import annotations

import numpy as np

from conv_equivalence.backends import Backend, Capabilities, DtypeRule, register
from conv_equivalence.backends._signal import as_output, signals, zero_pad
from conv_equivalence.problem import ConvProblem

DTYPE_RULE = DtypeRule(
    lambda image, kernel: np.dtype(image), "round-half-away-clip",
    lambda result: np.dtype(np.float32),
    "the image's mode: weights / scale summed in float32, + offset, rounded half away from zero and clamped "
    "to [0, 255] ('L', 'RGB') or [0, 2**31 - 1] ('I')",
)
"""Pillow 13.0.0, verified by `native-pillow-kernel-follows-its-definition` (a rule of its own: clamped at 0
even for the signed 'I' mode)."""
SIZES = (3, 5)


def _rule(problem: ConvProblem) -> str | None:
    if any(k > max(SIZES) for k in problem.weight.shape[2:]):
        return "unsupported: kernel larger than 5x5 (ImageFilter.Kernel's largest size)"
    return None


def _filter(images: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Pillow's filtered interior of each image, with ``kernel`` (at most 5x5) as the correlation's weights."""
    from PIL import Image, ImageFilter

    kh, kw = kernel.shape
    size = next(s for s in SIZES if s >= max(kh, kw))
    h = size // 2
    embedded = np.zeros((size, size))
    embedded[:kh, :kw] = kernel
    weights = [float(v) for v in embedded[::-1].ravel()]  # Pillow flips vertically: hand it the flipped rows
    parts = []
    for sign in (1.0, -1.0):  # mode 'I' clamps at 0: the positive and the negative part apart
        filt = ImageFilter.Kernel((size, size), [sign * v for v in weights], scale=1, offset=0)
        out = []
        for image in images:
            padded = np.pad(image, ((0, size - kh), (0, size - kw))).astype(np.int32)
            rows, cols = image.shape[0] - kh + 1, image.shape[1] - kw + 1
            result = np.asarray(Image.fromarray(padded, mode="I").filter(filt), dtype=np.int64)
            out.append(result[h:h + rows, h:h + cols])
        parts.append(np.stack(out))
    return (parts[0] - parts[1]).astype(np.int32)


def kernel_filter(problem: ConvProblem) -> np.ndarray:
    x, k = signals(problem)
    rows, cols = problem.output_shape[2:]
    if x.shape[0] == 0:
        return as_output(np.zeros((0, rows, cols), dtype=np.int32))
    return as_output(_filter(zero_pad(x, problem.spec.pads(k.shape[1:])), k[0]))


register(Backend(
    "PIL.ImageFilter.Kernel", "PIL",
    "Image.filter(ImageFilter.Kernel(w embedded in 3x3/5x5, flipped vertically, scale=1)) on mode 'I' images "
    "zero-padded explicitly, with w and -w (the mode clamps at 0), the interior",
    Capabilities(ranks=(2,), dtypes=("int32",), empty_batch=True, padding_strings=("same", "valid"),
                 padding_pairs=True, extra_rule=_rule),
    kernel_filter,
))
