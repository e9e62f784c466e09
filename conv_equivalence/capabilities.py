"""What a backend can compute, as a value the strategies read: every problem they draw for a backend
lies inside its `Capabilities`, so no check ever asks a library for what it cannot express."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from conv_equivalence.problem import ConvProblem

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
COMPLEX_DTYPES = ("complex64", "complex128")
INTEGER_DTYPES = ("int32", "int64")
LAYOUTS = ("contiguous", "channels_last", "strided")


@dataclass(frozen=True)
class Capabilities:
    """What a backend can compute. Strategies draw only problems inside these limits.

    ``error_model`` is ``"direct"`` (elementwise summation bound) or ``"fft"`` (normwise bound);
    ``nonfinite`` says whether NaN/inf in the input stay where IEEE arithmetic puts them (FFT
    methods spread one NaN over the whole output, by construction).
    ``padding_pairs`` says whether asymmetric ``(before, after)`` padding can be expressed.
    ``multiplies_zero_padding`` says that explicit zero padding is multiplied like any input sample
    (torch: ``inf * 0`` is NaN there), so non-finite weights are drawn with zero padding too.
    ``extra_rule`` is a last, per-problem check for rules the fields cannot express (padding
    placements, kernel/input size relations): it returns ``None`` or the reason it fails. Like every
    check here it reads the spec, the dtype, the layout and the arrays' shapes, never their values,
    so that the strategies can refuse a problem before drawing its arrays.
    """

    ranks: tuple[int, ...] = (1, 2, 3)
    dtypes: tuple[str, ...] = ("float64",)
    transposed: bool = False
    batch: bool = True
    empty_batch: bool = False
    channels: bool = False
    groups: bool = False
    stride: bool = False
    dilation: bool = False
    bias: bool = False
    padding_modes: tuple[str, ...] = ("zeros",)
    padding_strings: tuple[str, ...] = ()
    padding_pairs: bool = False
    multiplies_zero_padding: bool = False
    layouts: tuple[str, ...] = ("contiguous",)
    error_model: str = "direct"
    nonfinite: bool = True
    extra_rule: Callable[[ConvProblem], str | None] | None = None
    depthwise_only: bool = False
    """Only ``groups == C_in`` (a depthwise convolution, an image filter): identities that regroup a problem
    into a dense one leave such a backend out."""

    def reason_unsupported(self, problem: ConvProblem) -> str | None:
        """Why ``problem`` is outside these capabilities, or ``None`` if it is inside."""
        spec, x = problem.spec, problem.x
        checks = [
            (spec.ndim in self.ranks, f"spatial rank {spec.ndim}"),
            (problem.dtype in self.dtypes, f"dtype {problem.dtype}"),
            (spec.transposed == self.transposed, "transposed" if spec.transposed else "non-transposed"),
            (self.batch or x.shape[0] == 1, "batch size other than 1"),
            (self.empty_batch or x.shape[0] > 0, "empty batch"),
            (self.channels or (x.shape[1] == 1 and problem.output_shape[1] == 1), "several channels"),
            (self.groups or spec.groups == 1, "groups > 1"),
            (not self.depthwise_only or spec.groups == x.shape[1], "groups other than C_in (depthwise only)"),
            (self.stride or all(s == 1 for s in spec.stride), "stride > 1"),
            (self.dilation or all(d == 1 for d in spec.dilation), "dilation > 1"),
            (self.bias or problem.bias is None, "bias"),
            (spec.padding_mode in self.padding_modes, f"padding_mode {spec.padding_mode!r}"),
            (not isinstance(spec.padding, str) or spec.padding in self.padding_strings, f"padding={spec.padding!r}"),
            (self.padding_pairs or not spec.asymmetric, "asymmetric padding"),
            (problem.layout in self.layouts, f"layout {problem.layout}"),
        ]
        for ok, what in checks:
            if not ok:
                return f"unsupported: {what}"
        return None if self.extra_rule is None else self.extra_rule(problem)
