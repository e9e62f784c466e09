"""Facets: the check split into one Hypothesis search per feature of a convolution.

``plain`` is the base: one dtype (float64 where allowed), contiguous arrays, stride 1, no
padding, dilation 1, groups 1, no bias, finite values (any batch, channels and sizes). Every
other facet adds one feature to it: ``stride``, ``padding`` (ints), ``padding-strings``
(``'same'``, and ``'valid'`` a quarter of the time), ``dilation``, ``groups`` (depthwise included), ``bias`` (always
given), ``dtype:<name>`` (one per dtype besides the base), ``layout:channels_last``,
``layout:strided``, ``empty-batch`` (batch 0), ``nonfinite`` (NaN and infinities, with integer
padding: torch multiplies the padded zeros, so an inf weight over them gives NaN),
``large`` (sizes that cross real kernels' tiles and blocks), ``real-sizes`` (real models' layer shapes and
sizes drawn up to them, exact integer data: `conv_equivalence.check.realsize`), ``output-padding`` (transposed
only), ``padding-mode`` (layers), ``combined`` (everything at once), and ``grad`` and
``double-grad`` (the backward, and the backward's backward, over everything but NaN/inf and empty
batches). Because the shrinker moves each facet's example
towards ``plain``, a defect that lives in one feature shrinks to a counterexample that shows
that feature and nothing else; and because each facet searches on its own, a defect in one
cannot hide another. A failure that persists once the facet's own feature is taken out is
``explained`` by a more basic facet that failed (`Facet.explained_by`).

A `Case` is a `ConvProblem` plus the parameters exactly as they are passed: each of stride,
padding, dilation and output_padding as an int or a per-axis tuple (both drawn where the axes
agree), since torch accepts both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from conv_equivalence.backends import Capabilities
from conv_equivalence.problem import ConvProblem

FEATURES = ("stride", "padding", "padding-strings", "padding-mode", "dilation", "groups", "bias", "layout:channels_last",
            "layout:strided", "empty-batch", "nonfinite", "nonfinite-crossed", "large", "real-sizes", "output-padding", "combined", "grad",
            "double-grad")
"""Facet names besides ``plain`` and the ``dtype:<name>`` facets, in the order they are checked."""
EXCLUDE_WORDS = {
    # the words --exclude has always accepted, and the facets (and dtypes) each one leaves out
    "groups": ("groups",), "dilation": ("dilation",), "stride": ("stride",), "bias": ("bias",),
    "padding-strings": ("padding-strings",), "empty-batch": ("empty-batch",), "channels-last": ("layout:channels_last",),
    "strided": ("layout:strided",), "nonfinite": ("nonfinite", "nonfinite-crossed"), "complex": (), "integers": (), "reduced-precision": (),
}
DTYPE_FAMILIES = {"complex": ("complex64", "complex128"), "integers": ("int32", "int64"),
                  "reduced-precision": ("float16", "bfloat16")}
GRAD_DTYPES = ("float16", "bfloat16", "float32", "float64")
"""Dtypes whose gradients the ``grad`` facet checks (complex gradients follow a conjugation
convention of their own; integers have none)."""
BASE_PREFERENCE = ("float64", "float32", "complex128", "complex64", "float16", "bfloat16", "int64")
SMALL_EXTRA = 4
"""How far every facet but ``large`` grows an input beyond its smallest valid size: sizes are ``large``'s
feature, and small problems keep the other facets fast and their counterexamples small."""
LARGE_EXTRA = {1: 70, 2: 36, 3: 10}
"""How far the ``large`` facet grows each spatial axis: past SIMD widths and tiles of 8, 16, 32 and 64."""


@dataclass(frozen=True)
class Case:
    """One call: the problem, and the integer parameters in the form they are passed (int or tuple)."""

    problem: ConvProblem
    args: dict[str, Any]
    cotangent: np.ndarray | None = None
    """The gradient of a loss with respect to the output, for the ``grad`` facet: its backward is checked too."""
    require_grad: bool = False
    """Whether an output without ``grad_fn`` fails (``--grad``) rather than declines."""
    double: bool = False
    """Whether the backward's own backward is checked too (the ``double-grad`` facet)."""
    shared_kernel: bool = False
    """A declared shared kernel: only the weight gradient's sum over the channels is defined (an implementation
    that reads one kernel puts it all in that slot)."""

    def call_data(self) -> dict[str, Any]:
        """The call as plain data for the child process and the conventions (`conventions.build`)."""
        p = self.problem
        return {"x": p.x, "weight": p.weight, "bias": p.bias, "dtype": p.dtype, "layout": p.layout, "args": self.args,
                "padding_mode": p.spec.padding_mode, "cotangent": self.cotangent, "require_grad": self.require_grad,
                "double": self.double}

    def with_problem(self, problem: ConvProblem) -> Case:
        """The same call on another problem; the cotangent cut or extended (with ones) to its output."""
        if self.cotangent is None:
            return dataclasses.replace(self, problem=problem)
        shape = problem.output_shape
        cot = self.cotangent[tuple(slice(0, n) for n in shape)]
        cot = np.pad(cot, [(0, n - m) for n, m in zip(shape, cot.shape)], constant_values=1)
        return dataclasses.replace(self, problem=problem, cotangent=cot)

    @property
    def size(self) -> int:
        """Array elements in the call (input, weight and bias): what the shrinker minimises."""
        p = self.problem
        return int(p.x.size + p.weight.size + (0 if p.bias is None else p.bias.size))


@dataclass(frozen=True)
class Options:
    """What the user declared: rank, kind, dtypes, exclusions and limits of the implementation."""

    ndim: int = 2
    transposed: bool = False
    dtypes: tuple[str, ...] = ()
    exclude: frozenset[str] = frozenset()
    equal_per_axis: bool = False
    int_padding: bool = False
    bias_always: bool = False
    layouts: tuple[str, ...] = ("contiguous", "channels_last", "strided")
    nonfinite: bool = True
    precision: str = "exact"
    padding_modes: tuple[str, ...] = ("zeros",)
    """How the input may be extended: ``zeros`` for functions; layers take ``padding_mode`` too."""
    grad: str = "off"
    """The ``grad`` facet: ``off``, ``auto`` (an output without ``grad_fn`` declines) or ``require``."""
    forms: str = "any"
    """How stride, padding, dilation and output_padding are passed where every axis agrees: ``any`` (an int or
    a tuple, both drawn), ``int`` or ``tuple`` (a base that passes when ``plain`` fails on the other form)."""
    single_batch: bool = False
    """Only batches of one item (a base that passes when ``plain`` fails on batches)."""
    same_only: bool = False
    """Every problem padded ``'same'`` (stride 1): the base of a function or layer that takes only ``'same'``."""
    depthwise: bool = False
    """Declared domain: every convolution depthwise (groups = input channels = output channels, one kernel a channel)."""
    shared_kernel: bool = False
    """Declared domain: one kernel for every channel (as an image filter applies one kernel to each channel)."""
    odd_kernels: bool = False
    """Declared domain: odd kernel sizes only."""
    square_kernels: bool = False
    """Declared domain: the same kernel size on every axis."""
    """A declared accumulation precision coarser than a problem's dtype (float32, tf32, float16,
    bfloat16): that problem's values are drawn exactly representable in it, normal or zero and
    within the range the strategies use for it, and with at most `tolerance.max_terms` products per
    output, so the tolerance module's bound for that precision applies as derived."""


@dataclass(frozen=True)
class Facet:
    """A domain to search: capabilities plus what the strategies cannot say (forced features, padding)."""

    name: str
    caps: Capabilities
    kinds: tuple[str, ...] = ("integers", "floats")
    paddings: tuple[str, ...] = ("valid",)
    owns: frozenset[str] = frozenset()
    skipped: str | None = None

    def contains(self, case: Case) -> bool:
        """Whether this facet could have drawn ``case`` (its problem and values; a zero bias, which
        ``--bias-always`` gives where a facet has none, counts as none)."""
        p, s = case.problem, case.problem.spec
        if p.bias is not None and not self.caps.bias and not np.any(p.bias):
            p = p.replace(bias=None)
        if self.caps.reason_unsupported(p) is not None:
            return False
        finite = all(a is None or np.isfinite(a).all() for a in (p.x, p.weight, p.bias))
        if not finite and "nonfinite" not in self.kinds:
            return False
        if "padding" not in self.owns and "padding-strings" not in self.owns:
            if isinstance(s.padding, str) or any(q for pair in s.pads(p.weight.shape[2:]) for q in pair):
                return False
        if "padding-strings" not in self.owns and isinstance(s.padding, str):
            return False
        if "output-padding" not in self.owns and any(s.output_padding):
            return False
        if "padding-mode" not in self.owns and s.padding_mode != "zeros":
            return False
        if "bias" in self.owns and self.name == "bias" and p.bias is None:
            return False
        return not (self.name == "empty-batch" and p.x.shape[0] != 0)


    def explained_by(self, basic: Facet) -> bool:
        """Whether a failure of this facet may be put down to ``basic`` failing too: ``plain`` is more basic
        than every facet, a facet that owns part of this one's features is more basic than it, and every
        facet is more basic than ``combined`` and the gradient facets."""
        return basic.name not in (self.name, "real-sizes") and (basic.name == "plain" or basic.owns < self.owns
                                            or self.name in ("combined", "grad", "double-grad"))

    def exercises(self, case: Case) -> bool:
        """Whether ``case`` uses this facet's own feature (a ``stride`` example with stride 1 does not): a
        facet passes on the examples that do, and is ``declined`` when the implementation declined them."""
        p, s = case.problem, case.problem.spec
        feature = {
            "stride": lambda: any(v != 1 for v in s.stride),
            "padding": lambda: any(q for pair in s.pads(p.weight.shape[2:]) for q in pair),
            "padding-strings": lambda: isinstance(s.padding, str),
            "padding-mode": lambda: s.padding_mode != "zeros" and any(q for pair in s.pads(p.weight.shape[2:]) for q in pair),
            "dilation": lambda: any(v != 1 for v in s.dilation),
            "groups": lambda: s.groups > 1,
            "nonfinite": lambda: not all(a is None or np.isfinite(a).all() for a in (p.x, p.weight, p.bias)),
            "nonfinite-crossed": lambda: not all(a is None or np.isfinite(a).all() for a in (p.x, p.weight, p.bias)),
        }.get(self.name)
        return feature is None or bool(feature())


def base_dtype(dtypes: Iterable[str]) -> str:
    """The dtype ``plain`` and the structural facets use: float64 where allowed."""
    allowed = tuple(dtypes)
    return next((d for d in BASE_PREFERENCE if d in allowed), allowed[0])


def every_caps(reference: Capabilities, options: Options, ex: set[str], layouts: tuple[str, ...]) -> Capabilities:
    """Every feature the options leave in (``combined``'s domain)."""
    return dataclasses.replace(
        reference, ranks=(options.ndim,), dtypes=tuple(options.dtypes),
        stride="stride" not in ex and reference.stride, dilation="dilation" not in ex and reference.dilation,
        groups="groups" not in ex and reference.groups, bias="bias" not in ex and reference.bias,
        padding_modes=("zeros",) if options.transposed else options.padding_modes, padding_pairs=False,
        empty_batch="empty-batch" not in ex,
        padding_strings=() if options.int_padding or "padding-strings" in ex else reference.padding_strings,
        layouts=tuple(lay for lay in layouts if f"layout:{lay}" not in ex))


def build(reference: Capabilities, options: Options, base: str) -> list[Facet]:
    """Every facet for this reference (torch's conv or conv_transpose capabilities) and these options."""
    ex = {name for word in options.exclude for name in EXCLUDE_WORDS.get(word, (word,))}
    nd = options.ndim
    layouts = tuple(lay for lay in options.layouts if not (lay == "channels_last" and nd == 1))
    plain = dataclasses.replace(
        reference, ranks=(nd,), dtypes=(base,), groups=False, stride=False, dilation=False, bias=False,
        padding_modes=("zeros",), padding_strings=() if options.transposed else ("valid",), padding_pairs=False,
        layouts=("contiguous",), empty_batch=False)

    def facet(name: str, skip: str | None = None, kinds: tuple[str, ...] = ("integers", "floats"),
              paddings: tuple[str, ...] = ("valid",), owns: Iterable[str] = (), **caps: Any) -> Facet:
        if name in ex and skip is None:
            skip = "excluded (--exclude)"
        return Facet(name, dataclasses.replace(plain, **caps), kinds, paddings, frozenset(owns), skip)

    real_base = base in ("float16", "bfloat16", "float32", "float64")
    strings = ("same", "valid")  # drawn as 'same', turned into 'valid' a quarter of the time (`cases`)
    facets = [facet("plain")]
    for dtype in options.dtypes:
        if dtype != base:
            facets.append(facet(f"dtype:{dtype}", dtypes=(dtype,), owns=("dtype",)))
    facets += [
        facet("stride", stride=True, owns=("stride",)),
        facet("padding", paddings=("ints", "tuple"), padding_strings=(), owns=("padding",)),
    ]
    if not options.transposed:
        facets.append(facet("padding-strings", "declared: integer padding only (--int-padding)" if options.int_padding else None,
                            paddings=("same",), padding_strings=strings, owns=("padding-strings",)))
    extended = tuple(m for m in options.padding_modes if m != "zeros")
    if extended and not options.transposed:
        facets.append(facet("padding-mode", paddings=("ints", "tuple"), padding_modes=extended,
                            owns=("padding", "padding-mode")))
    facets += [
        facet("dilation", dilation=True, owns=("dilation",)),
        facet("groups", groups=True, owns=("groups",)),
        facet("bias", bias=True, owns=("bias",)),
    ]
    for layout in ("channels_last", "strided"):
        name = f"layout:{layout}"
        if nd == 1 and layout == "channels_last":
            continue
        skip = None if layout in layouts else f"the {'convention' if layout != 'channels_last' or nd > 1 else 'rank'} has no {layout} arrays"
        facets.append(facet(name, skip, layouts=(layout,), owns=("layout",)))
    facets.append(facet("empty-batch", empty_batch=True, owns=("empty-batch",)))
    nonfinite_skip = (None if options.nonfinite else "declared: --precision fft need not propagate NaN/inf") or (
        None if real_base else f"the base dtype {base} holds no NaN/inf")
    # With padding: zero padding times an inf weight is NaN in torch's definition, where an implementation
    # that leaves the padding out of its sums gives inf. A padding defect it meets is explained by padding;
    # it owns padding strings too, so that combined's 'same' examples project onto it.
    owned = ("nonfinite", "padding", "padding-strings")
    # --exclude padding: only 'same' and 'valid' (as the implementation takes them) meet the non-finite values
    strings_only = "padding" in ex and not options.transposed
    explicit = ("same", "valid") if strings_only else ("ints", "tuple")
    meeting = () if not strings_only or options.int_padding or "padding-strings" in ex else ("same", "valid")
    facets.append(facet("nonfinite", nonfinite_skip, kinds=("nonfinite",), paddings=explicit,
                        padding_strings=meeting, owns=owned))
    # Crossed with what non-finite defects combine with: every floating dtype the implementation takes (float32
    # and half-precision paths have NaN defects of their own), strides, dilation and groups (a kernel
    # materialised with stuffed zeros, or a dense block-diagonal weight, multiplies an inf by a zero the
    # definition does not have). A facet of its own, so that an implementation that declines one of these keeps
    # the plain non-finite search whole.
    floating = tuple(d for d in BASE_PREFERENCE if d in options.dtypes and d in GRAD_DTYPES) or (base,)
    crossed = [f for f in ("stride", "dilation", "groups") if f not in ex]
    facets.append(facet("nonfinite-crossed", nonfinite_skip, kinds=("nonfinite",), paddings=explicit,
                        padding_strings=meeting, dtypes=floating, owns=(*owned, "dtype", *crossed),
                        **{f: True for f in crossed}))
    facets.append(facet("large", owns=("large",)))
    facets.append(Facet("real-sizes", every_caps(reference, options, ex, layouts),
                        owns=frozenset(("large", "real-sizes", "stride", "padding", "padding-strings", "dilation", "groups",
                                        "bias", "output-padding")),
                        skipped="excluded (--exclude)" if "real-sizes" in ex else None))
    if options.transposed:
        # output_padding picks among the sizes stride, dilation and padding leave ambiguous: all four together.
        facets.append(facet("output-padding", stride=True, dilation=True, paddings=("ints", "tuple"),
                            owns=("output-padding", "stride", "dilation", "padding")))
    every = every_caps(reference, options, ex, layouts)
    kinds = ("integers", "floats", "nonfinite") if options.nonfinite and "nonfinite" not in ex else ("integers", "floats")
    paddings = ("valid",) + (() if "padding" in ex else ("ints", "tuple")) + (() if "padding-strings" in ex else ("same",))
    facets.append(Facet("combined", every, kinds, paddings,
                        frozenset(("stride", "padding", "padding-strings", "padding-mode", "dilation", "groups", "bias",
                                   "dtype", "layout", "empty-batch", "nonfinite", "output-padding")),
                        "excluded (--exclude)" if "combined" in ex else None))
    if options.grad != "off":
        real = tuple(d for d in BASE_PREFERENCE if d in options.dtypes and d in GRAD_DTYPES)  # float64 first
        skip = ("excluded (--exclude)" if "grad" in ex else None) or (
            None if real else "no dtype with gradients (float16, bfloat16, float32, float64) is allowed") or (
            "declared --precision fft: no gradient bound is derived for FFT convolutions" if options.precision == "fft" else None)
        for name in ("grad", "double-grad"):
            facets.append(Facet(name, dataclasses.replace(every, dtypes=real or every.dtypes, empty_batch=False),
                                ("integers", "floats"), paddings,
                                frozenset(("stride", "padding", "padding-strings", "padding-mode", "dilation", "groups",
                                           "bias", "dtype", "layout", "output-padding", "grad")),
                                ("excluded (--exclude)" if name in ex else None) or skip))
    return facets
