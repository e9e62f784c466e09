"""Boundary modes mapped by meaning, not by name: the one table of the project.

For ``x = a b c d`` padded by two samples on each side:

==========================  ==========  ===========  ===============  =====================  ======================
pattern                     torch       numpy.pad    scipy.ndimage    scipy.signal 2-D       OpenCV ``borderType``
==========================  ==========  ===========  ===============  =====================  ======================
``0 0 [a b c d] 0 0``     zeros       constant     constant         fill (fillvalue=0)     BORDER_CONSTANT
``a a [a b c d] d d``     replicate   edge         nearest          (none)                 BORDER_REPLICATE
``c b [a b c d] c b``     reflect     reflect      mirror           (none)                 BORDER_REFLECT_101
``b a [a b c d] d c``     (none)      symmetric    reflect          symm                   BORDER_REFLECT
``c d [a b c d] a b``     circular    wrap         wrap             wrap                   BORDER_WRAP
==========================  ==========  ===========  ===============  =====================  ======================

The same word means different things: torch's and numpy's ``reflect`` (whole-sample, the edge
is not repeated) is ndimage's ``mirror``; ndimage's ``reflect`` (half-sample, the edge is
repeated) is numpy's ``symmetric`` and ``convolve2d``'s ``symm``, and torch has no such mode.
OpenCV's ``BORDER_REFLECT`` is the half-sample one too; its default, ``BORDER_DEFAULT``, is
``BORDER_REFLECT_101`` (torch's ``reflect``). ``cv2.filter2D`` rejects ``BORDER_WRAP``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PadMode = Literal["constant", "edge", "reflect", "symmetric", "wrap"]


@dataclass(frozen=True)
class Boundary:
    """One extension of a signal beyond its edges, with its name in each library."""

    pattern: str
    torch: str | None
    numpy: PadMode
    ndimage: str
    signal2d: str | None
    opencv: str


BOUNDARIES: tuple[Boundary, ...] = (
    Boundary("0 0 [a b c d] 0 0", "zeros", "constant", "constant", "fill", "BORDER_CONSTANT"),
    Boundary("a a [a b c d] d d", "replicate", "edge", "nearest", None, "BORDER_REPLICATE"),
    Boundary("c b [a b c d] c b", "reflect", "reflect", "mirror", None, "BORDER_REFLECT_101"),
    Boundary("b a [a b c d] d c", None, "symmetric", "reflect", "symm", "BORDER_REFLECT"),
    Boundary("c d [a b c d] a b", "circular", "wrap", "wrap", "wrap", "BORDER_WRAP"),
)


def by_torch_mode(padding_mode: str) -> Boundary:
    """The boundary that torch's ``padding_mode`` names."""
    for boundary in BOUNDARIES:
        if boundary.torch == padding_mode:
            return boundary
    known = [b.torch for b in BOUNDARIES if b.torch]
    raise ValueError(f"padding_mode must be one of {known}, got {padding_mode!r}")


def numpy_pad_mode(padding_mode: str) -> PadMode:
    """The ``numpy.pad`` mode equal to torch's ``padding_mode``."""
    return by_torch_mode(padding_mode).numpy


def markdown_table() -> str:
    """The table above as Markdown (for docs/oracle.md and reports)."""
    rows = ["| pattern | torch `padding_mode` | `numpy.pad` | `scipy.ndimage` `mode` | `convolve2d` `boundary` | OpenCV `borderType` |",
            "|---|---|---|---|---|---|"]
    for b in BOUNDARIES:
        rows.append(f"| `{b.pattern}` | {b.torch or '(none)'} | {b.numpy} | {b.ndimage} | {b.signal2d or '(none)'} | {b.opencv} |")
    return "\n".join(rows)
