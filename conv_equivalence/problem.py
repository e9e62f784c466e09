"""Convolution problems: the parameters of one call (`ConvSpec`) and the arrays with them (`ConvProblem`).

This is the one place that turns torch-style arguments (an int or a per-axis tuple for
``stride``, ``padding``, ``dilation``; ``"same"``/``"valid"`` padding; ``groups``;
``padding_mode``; ``output_padding``) into checked per-axis tuples, and the one place that
knows the output-size formulas:

* convolution, per spatial axis with input length ``n``, kernel length ``k``, left/right
  padding ``pl``/``pr``, stride ``s`` and dilation ``d``::

      out = (n + pl + pr - d*(k - 1) - 1) // s + 1

* transposed convolution, with symmetric padding ``p`` and ``output_padding`` ``op``::

      out = (n - 1)*s - 2*p + d*(k - 1) + op + 1

* torch's ``padding="same"`` pads ``d*(k - 1)`` in total per axis, ``total // 2`` before the
  input and the rest after it (the extra sample of an even effective kernel goes at the end).

Padding may also be written as one ``(before, after)`` pair per axis, which torch's own
arguments cannot say but JAX, ONNX and TensorFlow can (explicit asymmetric pads, their
``SAME``/``SAME_LOWER`` with strides: `framework_same_pads`). Pairs that are all symmetric are
stored as per-axis ints, so each padding has one canonical form.

Every rule a specification can break raises ``ValueError`` (or ``TypeError`` for a value of the
wrong kind) with a message that names the parameter and the rule.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
PADDING_MODES: tuple[str, ...] = ("zeros", "reflect", "replicate", "circular")
PADDING_STRINGS: tuple[str, ...] = ("same", "valid")
IntOrTuple = int | Sequence[int]
Padding = int | Sequence[int] | Sequence[Sequence[int]] | str
Pairs = tuple[tuple[int, int], ...]


MAX_PARAMETER = 2**31 - 1
"""Largest stride, padding, dilation or output_padding accepted: far past any input that fits in
memory, and small enough that index arithmetic in bytes cannot overflow int64."""
MAX_ELEMENTS = 2**27
"""Memory budget of one problem: its padded input, and its output, may each hold at most this many
elements (1 GiB of float64). Larger problems are refused, with their size, before any work."""


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def per_axis(value: IntOrTuple, ndim: int, name: str, *, minimum: int) -> tuple[int, ...]:
    """``value`` as a tuple of ``ndim`` ints, each at least ``minimum`` and at most `MAX_PARAMETER`.

    An int is repeated on every axis; a tuple or list must have exactly ``ndim`` entries. Booleans,
    floats, strings, bytes and ranges are refused (``TypeError``), as torch refuses them.
    """
    if isinstance(value, (tuple, list)):
        items = tuple(value)
        if len(items) != ndim:
            raise ValueError(
                f"{name} must have one entry per spatial axis ({ndim}), "
                f"got {len(items)} in {value!r}"
            )
    elif _is_int(value):
        items = (value,) * ndim
    else:
        raise TypeError(f"{name} must be an int or a tuple of {ndim} ints, got {type(value).__name__} {value!r}")
    if not all(_is_int(v) for v in items):
        raise TypeError(f"{name} must be an int or a tuple of {ndim} ints, got {value!r}")
    numbers = tuple(int(v) for v in items)
    if any(v < minimum for v in numbers):
        rule = "positive" if minimum == 1 else "non-negative" if minimum == 0 else f">= {minimum}"
        raise ValueError(f"{name} must be {rule} on every axis, got {value!r}")
    if any(v > MAX_PARAMETER for v in numbers):
        raise ValueError(f"{name} must be at most 2**31 - 1 on every axis, got {value!r}")
    return numbers


def same_padding(kernel: Sequence[int], dilation: Sequence[int]) -> Pairs:
    """Torch's ``padding="same"``: ``d*(k-1)`` in total, ``total//2`` before, the rest after."""
    return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation))


def framework_same_pads(spatial: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                        dilation: Sequence[int], *, lower: bool = False) -> Pairs:
    """TensorFlow/JAX ``"SAME"`` and ONNX ``SAME_UPPER`` (``lower``: JAX ``"SAME_LOWER"``, ONNX ``SAME_LOWER``).

    The output has ``ceil(n / s)`` samples; the input is padded by
    ``max(0, (out - 1)*s + d*(k - 1) + 1 - n)`` in total, half before, the odd sample after
    (before with ``lower``). With stride 1 the upper form is torch's ``padding="same"``.
    """
    pairs = []
    for n, k, s, d in zip(spatial, kernel, stride, dilation):
        total = max(0, (-(-n // s) - 1) * s + d * (k - 1) + 1 - n)
        small, large = total // 2, total - total // 2
        pairs.append((large, small) if lower else (small, large))
    return tuple(pairs)


def _pairs(value: Sequence[object], ndim: int) -> Pairs:
    """Per-axis ``(before, after)`` pairs of non-negative ints, checked."""
    if len(value) != ndim:
        raise ValueError(f"padding must have one entry per spatial axis ({ndim}), got {len(value)} in {value!r}")
    out = []
    for item in value:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise ValueError(f"padding pairs must each be (before, after), got {item!r} in {value!r}")
        out.append(per_axis(item, 2, "padding", minimum=0))
    return tuple((a, b) for a, b in out)


def terms_per_output(in_channels: int, groups: int, kernel: Sequence[int]) -> int:
    """Products summed into each output element, before the bias: ``C_in/groups * prod(kernel)``
    (the same for a convolution and its transpose)."""
    return in_channels // groups * int(np.prod(kernel, dtype=np.int64))


def conv_output_shape(
    spatial: Sequence[int], kernel: Sequence[int], pads: Pairs, stride: Sequence[int], dilation: Sequence[int]
) -> tuple[int, ...]:
    """Output spatial shape of a convolution (may contain values < 1 for impossible specs)."""
    return tuple(
        (n + pl + pr - d * (k - 1) - 1) // s + 1
        for n, k, (pl, pr), s, d in zip(spatial, kernel, pads, stride, dilation)
    )


def transpose_output_shape(
    spatial: Sequence[int],
    kernel: Sequence[int],
    padding: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    output_padding: Sequence[int],
) -> tuple[int, ...]:
    """Output spatial shape of a transposed convolution."""
    return tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, k, p, s, d, op in zip(spatial, kernel, padding, stride, dilation, output_padding)
    )


@dataclass(frozen=True)
class ConvSpec:
    """The parameters of one convolution call, normalised to per-axis tuples.

    ``padding`` keeps what the caller wrote (per-axis ints, per-axis ``(before, after)`` pairs
    when some axis is asymmetric, ``"same"`` or ``"valid"``) because backends that accept the
    string must be given the string; `pads` resolves it to ``(before, after)`` pairs. For
    ``transposed`` specs ``padding`` is always per-axis ints and ``padding_mode`` is ``"zeros"``.
    """

    ndim: int
    stride: tuple[int, ...]
    padding: tuple[int, ...] | Pairs | str
    dilation: tuple[int, ...]
    groups: int = 1
    padding_mode: str = "zeros"
    transposed: bool = False
    output_padding: tuple[int, ...] = ()

    @classmethod
    def create(
        cls,
        ndim: int,
        *,
        stride: IntOrTuple = 1,
        padding: Padding = 0,
        dilation: IntOrTuple = 1,
        groups: int = 1,
        padding_mode: str = "zeros",
        transposed: bool = False,
        output_padding: IntOrTuple = 0,
    ) -> ConvSpec:
        """Check the parameters on their own (shape checks need the arrays: `validate`)."""
        if not _is_int(ndim):
            raise TypeError(f"ndim (the spatial rank) must be an int, got {type(ndim).__name__} {ndim!r}")
        if ndim not in (1, 2, 3):
            raise ValueError(f"ndim (the spatial rank, weight.ndim - 2) must be 1, 2 or 3, got {ndim}")
        strides = per_axis(stride, ndim, "stride", minimum=1)
        dilations = per_axis(dilation, ndim, "dilation", minimum=1)
        if not _is_int(groups):
            raise TypeError(f"groups must be an int, got {groups!r}")
        if groups < 1:
            raise ValueError(f"groups must be positive, got {groups}")
        if not isinstance(padding_mode, str) or padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        pad: tuple[int, ...] | Pairs | str
        if not isinstance(transposed, (bool, np.bool_)):
            raise TypeError(f"transposed must be a bool, got {transposed!r}")
        if isinstance(padding, str):
            if padding not in PADDING_STRINGS:
                raise ValueError(
                    f"padding must be an int, a tuple of ints or of (before, after) pairs, 'same' or 'valid', got {padding!r}"
                )
            if transposed:
                raise ValueError(f"padding must be ints for a transposed convolution, got {padding!r}")
            if padding == "same" and any(s != 1 for s in strides):
                raise ValueError(f"padding='same' is not supported with stride > 1, got stride={stride!r}")
            pad = padding
        elif isinstance(padding, (tuple, list)) and any(isinstance(p, (tuple, list)) for p in padding):
            pairs = _pairs(padding, ndim)
            if transposed:
                raise ValueError(f"padding must be one int per axis for a transposed convolution, got pairs {padding!r}")
            pad = tuple(a for a, _ in pairs) if all(a == b for a, b in pairs) else pairs
        else:
            pad = per_axis(padding, ndim, "padding", minimum=0)  # type: ignore[arg-type]  # pairs were handled above
        out_pad = per_axis(output_padding, ndim, "output_padding", minimum=0)
        if transposed:
            if padding_mode != "zeros":
                raise ValueError(
                    f"padding_mode must be 'zeros' for a transposed convolution, got {padding_mode!r}"
                )
            for op, s, d in zip(out_pad, strides, dilations):
                if op >= max(s, d):
                    raise ValueError(
                        "output_padding must be smaller than either stride or dilation on every axis, "
                        f"got output_padding={output_padding!r}, stride={stride!r}, dilation={dilation!r}"
                    )
        elif any(out_pad):
            raise ValueError("output_padding applies only to transposed convolutions")
        return cls(ndim, strides, pad, dilations, int(groups), padding_mode, transposed, out_pad)

    def replace(self, **changes: object) -> ConvSpec:
        """A checked copy with some parameters changed (same arguments as `create`)."""
        args: dict[str, object] = dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                                       groups=self.groups, padding_mode=self.padding_mode,
                                       transposed=self.transposed, output_padding=self.output_padding)
        args.update(changes)
        return ConvSpec.create(self.ndim, **args)  # type: ignore[arg-type]

    def pads(self, kernel: Sequence[int]) -> Pairs:
        """``(before, after)`` padding per spatial axis for a kernel of this shape."""
        if self.padding == "valid":
            return ((0, 0),) * self.ndim
        if self.padding == "same":
            return same_padding(kernel, self.dilation)
        assert not isinstance(self.padding, str)
        if self.asymmetric:
            return self.padding  # type: ignore[return-value]
        return tuple((p, p) for p in self.padding)  # type: ignore[misc]

    @property
    def int_padding(self) -> tuple[int, ...]:
        """The padding as one int per axis (transposed specs, and any symmetric padding written as ints)."""
        if isinstance(self.padding, str) or self.asymmetric:
            raise ValueError(f"padding {self.padding!r} is not one int per axis")
        return self.padding  # type: ignore[return-value]

    @property
    def asymmetric(self) -> bool:
        """Whether the padding is written as pairs (some axis pads differently before and after)."""
        return not isinstance(self.padding, str) and any(isinstance(p, tuple) for p in self.padding)

    def output_shape(self, x_shape: Sequence[int], w_shape: Sequence[int]) -> tuple[int, ...]:
        """Full output shape ``(N, C_out, *spatial)`` for input and weight of these shapes."""
        kernel = tuple(w_shape[2:])
        spatial = tuple(x_shape[2:])
        if self.transposed:
            out = transpose_output_shape(
                spatial, kernel, self.int_padding, self.stride, self.dilation, self.output_padding
            )
            return (x_shape[0], w_shape[1] * self.groups, *out)
        out = conv_output_shape(spatial, kernel, self.pads(kernel), self.stride, self.dilation)
        return (x_shape[0], w_shape[0], *out)

    def _check_size(self, x_shape: Sequence[int], w_shape: Sequence[int]) -> None:
        """Refuse, with its size, a problem whose padded input or output exceeds `MAX_ELEMENTS`."""
        batch_channels = int(x_shape[0]) * max(int(x_shape[1]), 1)
        if self.transposed:
            padded = batch_channels * math.prod(x_shape[2:])
        else:
            pads = self.pads(tuple(w_shape[2:]))
            padded = batch_channels * math.prod(n + pl + pr for n, (pl, pr) in zip(x_shape[2:], pads))
        out = self.output_shape(x_shape, w_shape)
        output = math.prod(max(n, 0) for n in out)
        for what, size in (("padded input", padded), ("output", output)):
            if size > MAX_ELEMENTS:
                raise ValueError(f"problem too large: its {what} would hold {size:,} elements, more than the "
                                 f"memory budget of {MAX_ELEMENTS:,} (conv_equivalence.problem.MAX_ELEMENTS)")

    def validate(self, x_shape: Sequence[int], w_shape: Sequence[int], bias_shape: Sequence[int] | None) -> None:
        """Check that arrays of these shapes make a well-defined problem with this spec."""
        nd = self.ndim
        if len(w_shape) != nd + 2:
            raise ValueError(f"weight must have {nd + 2} dimensions for spatial rank {nd}, got shape {tuple(w_shape)}")
        if len(x_shape) != nd + 2:
            raise ValueError(
                f"input must have {nd + 2} dimensions (N, C, *spatial) to match weight of rank {nd + 2}, "
                f"got shape {tuple(x_shape)}"
            )
        kernel = tuple(w_shape[2:])
        if any(k < 1 for k in kernel):
            raise ValueError(f"weight's kernel sizes must be positive, got {kernel}")
        c_in = x_shape[1]
        g = self.groups
        if self.transposed:
            if w_shape[0] != c_in:
                raise ValueError(
                    f"weight's first dimension must equal the input channels for a transposed convolution: "
                    f"weight {tuple(w_shape)} vs input channels {c_in}"
                )
            if c_in % g:
                raise ValueError(f"groups ({g}) must divide the input channels ({c_in})")
            if w_shape[1] < 1:
                raise ValueError(f"weight must have at least one output channel per group, got shape {tuple(w_shape)}")
            c_out = w_shape[1] * g
        else:
            c_out = w_shape[0]
            if c_out < 1:
                raise ValueError(f"weight must have at least one output channel, got shape {tuple(w_shape)}")
            if c_in % g or c_out % g:
                raise ValueError(
                    f"groups ({g}) must divide both the input channels ({c_in}) and the output channels ({c_out})"
                )
            if w_shape[1] * g != c_in:
                raise ValueError(
                    f"weight's channel dimension times groups must equal the input channels: "
                    f"{w_shape[1]} * {g} != {c_in}"
                )
        if bias_shape is not None and tuple(bias_shape) != (c_out,):
            raise ValueError(f"bias must have shape ({c_out},) (one value per output channel), got {tuple(bias_shape)}")
        spatial = tuple(x_shape[2:])
        if any(n < 1 for n in spatial) and (self.transposed or self.padding_mode != "zeros"):
            raise ValueError(f"input must have a non-empty spatial extent on every axis (as torch requires; an empty "
                             f"axis is defined only with zero padding long enough for the kernel), got shape {tuple(x_shape)}")
        self._check_size(x_shape, w_shape)
        if not self.transposed:
            pads = self.pads(kernel)
            for axis, (n, (pl, pr)) in enumerate(zip(spatial, pads)):
                widest = max(pl, pr)
                if self.padding_mode == "reflect" and widest >= n and widest > 0:
                    raise ValueError(
                        f"padding with padding_mode='reflect' must be smaller than the input on every axis: "
                        f"axis {axis} has length {n} and padding {widest}"
                    )
                if self.padding_mode == "circular" and widest > n:
                    raise ValueError(
                        f"padding with padding_mode='circular' must not exceed the input length (it would wrap "
                        f"more than once): axis {axis} has length {n} and padding {widest}"
                    )
                if self.padding_mode == "replicate" and widest > 0 and n == 0:
                    raise ValueError(f"padding_mode='replicate' needs a non-empty input, axis {axis} has length 0")
            for axis, (n, (pl, pr), k, d) in enumerate(zip(spatial, pads, kernel, self.dilation)):
                if d * (k - 1) + 1 > n + pl + pr:
                    raise ValueError(
                        f"kernel larger than the padded input on axis {axis}: effective kernel size "
                        f"dilation*(k-1)+1 = {d * (k - 1) + 1} > padded input length {n + pl + pr}"
                    )
        else:
            out = self.output_shape(x_shape, w_shape)[2:]
            if any(n < 1 for n in spatial) or any(o < 1 for o in out):
                raise ValueError(
                    f"transposed convolution output must be non-empty: input spatial {spatial}, "
                    f"padding {self.padding} gives output {out}"
                )


@dataclass(frozen=True)
class ConvProblem:
    """A convolution to compute: a `ConvSpec`, its arrays, and how a backend should hold them.

    The arrays are carriers: ``float64``/``complex128``/``int64`` NumPy arrays whose values are
    exactly representable in ``dtype`` (the precision the backend is asked to compute in), so
    the oracle sees exactly what the backend sees. ``layout`` is ``"contiguous"``,
    ``"channels_last"`` or ``"strided"`` (a non-contiguous view).
    """

    spec: ConvSpec
    x: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None = None
    dtype: str = "float64"
    layout: str = "contiguous"

    def __post_init__(self) -> None:
        self.spec.validate(self.x.shape, self.weight.shape, None if self.bias is None else self.bias.shape)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.spec.output_shape(self.x.shape, self.weight.shape)

    @property
    def zero_padded(self) -> bool:
        """A convolution (not transposed) whose zero padding adds samples on some axis."""
        s = self.spec
        return (not s.transposed and s.padding_mode == "zeros"
                and any(p for pair in s.pads(self.weight.shape[2:]) for p in pair))

    @property
    def terms_per_output(self) -> int:
        """Number of products summed into each output element (before the bias)."""
        return terms_per_output(self.x.shape[1], self.spec.groups, self.weight.shape[2:])

    def framework_padding(self) -> str | None:
        """The padding as TensorFlow/JAX/ONNX name it, if they have a name for it: ``"VALID"`` (none),
        ``"SAME"`` (`framework_same_pads`, extra sample after; ONNX's ``SAME_UPPER``), ``"SAME_LOWER"``
        (extra sample before); ``None`` when only explicit pads say it. ``"SAME"`` wins where both fit."""
        s, kernel, spatial = self.spec, self.weight.shape[2:], self.x.shape[2:]
        pads = s.pads(kernel)
        if all(p == (0, 0) for p in pads):
            return "VALID"
        for name, lower in (("SAME", False), ("SAME_LOWER", True)):
            if pads == framework_same_pads(spatial, kernel, s.stride, s.dilation, lower=lower):
                return name
        return None

    def replace(self, **changes: object) -> ConvProblem:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def kwargs(self) -> dict[str, Any]:
        """The torch-style keyword arguments of this problem (for the oracle and torch)."""
        s = self.spec
        out: dict[str, Any] = {"stride": s.stride, "padding": s.padding, "dilation": s.dilation, "groups": s.groups}
        if s.transposed:
            out["output_padding"] = s.output_padding
        else:
            out["padding_mode"] = s.padding_mode
        return out
