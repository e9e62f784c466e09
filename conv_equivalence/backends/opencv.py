"""OpenCV: ``cv2.filter2D``, a 2-D correlation (no kernel flip, whatever its documentation's
"convolves" says) with an anchor and a border type.

``filter2D`` returns an image as large as its input and reads input ``i - anchor + j`` for kernel
tap ``j``; its default anchor ``(-1, -1)`` means the kernel centre ``k // 2``, which puts the
extra sample of an even kernel *before* the input (torch's ``padding="same"`` puts it after).
A torch problem with ``before`` padding on an axis is therefore ``filter2D`` with
``anchor = before`` (OpenCV orders it ``(x, y)``: column first), cut to torch's output length;
this works whenever ``before + after <= k - 1``. Border types come from
`conv_equivalence.boundary` (torch's ``reflect`` is ``BORDER_REFLECT_101``, OpenCV's default);
``filter2D`` rejects ``BORDER_WRAP``, so circular padding is unsupported. Each batch item is
filtered separately; there are no channels in the torch sense (OpenCV would apply the same
kernel to every channel). Source and kernel share the problem's dtype (float32 or float64).
OpenCV switches to a DFT for kernels of about 11x11 and more; the strategies' kernels (at most
4x4) stay on the direct path, so the direct rounding bound applies.
"""

from __future__ import annotations

import numpy as np

from conv_equivalence.backends import Backend, Capabilities, DtypeRule, register
from conv_equivalence.backends._signal import NUMPY_DTYPES, as_output, signals
from conv_equivalence.boundary import by_torch_mode
from conv_equivalence.problem import ConvProblem

DTYPE_RULE = DtypeRule(
    lambda src, ddepth: np.dtype(src) if ddepth is None else np.dtype(ddepth), "round-saturate",
    lambda result: np.dtype(np.float64 if np.dtype(result) == np.float64 else np.float32),
    "ddepth=-1 keeps the source's dtype, otherwise the named depth; integer results are "
    "saturate_cast(sum + delta): rounded half to even, clamped to the dtype's range; float sums in float32 "
    "(float64 for a float64 result)",
)
"""cv2.filter2D (verified on opencv 5.0.0 for uint8, uint16, int16, float32 and float64 sources). Here the
second dtype is the requested depth (``None`` for ``ddepth=-1``)."""
DEPTHS: dict[str, list[str | None]] = {
    "uint8": [None, "int16", "float32", "float64"], "uint16": [None, "float32", "float64"],
    "int16": [None, "float32", "float64"], "float32": [None, "float32"], "float64": [None, "float64"],
}
"""The ``ddepth`` values filter2D accepts for each source dtype (OpenCV's table of depth combinations;
others raise "Unsupported combination of source format")."""


def _rule(problem: ConvProblem) -> str | None:
    kernel = problem.weight.shape[2:]
    if not all(pl + pr <= k - 1 for (pl, pr), k in zip(problem.spec.pads(kernel), kernel)):
        return "unsupported: padding wider than kernel size - 1 (filter2D's output is as large as its input)"
    return None


def filter2d(problem: ConvProblem) -> np.ndarray:
    import cv2

    x, k = signals(problem)
    kernel = np.ascontiguousarray(k[0], dtype=NUMPY_DTYPES[problem.dtype])
    (top, _), (left, _) = problem.spec.pads(kernel.shape)
    border = getattr(cv2, by_torch_mode(problem.spec.padding_mode).opencv)
    rows, cols = problem.output_shape[2:]
    images = [cv2.filter2D(np.ascontiguousarray(image), -1, kernel, anchor=(left, top), borderType=border)[:rows, :cols]
              for image in x]
    return as_output(np.stack(images) if images else np.zeros((0, rows, cols), dtype=x.dtype))


register(Backend(
    "cv2.filter2D", "cv2", "cv2.filter2D with anchor = torch's padding before the input and the matching borderType",
    Capabilities(ranks=(2,), dtypes=("float32", "float64"), empty_batch=True,
                 padding_modes=("zeros", "replicate", "reflect"), padding_pairs=True, extra_rule=_rule),
    filter2d,
))
