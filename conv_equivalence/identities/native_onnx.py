"""Library-native exploration of ONNX ``Conv`` and ``ConvTranspose``: the attributes as the operator
specification (opset 18, https://onnx.ai/onnx/operators/onnx__ConvTranspose.html) defines them,
beyond the torch translation the agreement identities use.

Drawn as a model author writes them: each attribute present or left to its default
(``kernel_shape`` inferred from ``W``, ``strides``/``dilations`` 1, ``pads`` 0), ``auto_pad``
absent, ``NOTSET``, ``VALID``, ``SAME_UPPER`` or ``SAME_LOWER``, asymmetric ``pads`` as
``[begin..., end...]``, ``group``, an optional bias, and for ``ConvTranspose`` ``output_padding`` and
an explicit ``output_shape``, from which the specification derives the pads; empty batches and zero
input channels (each output is then its bias: ONNX Runtime and the reference evaluator agree with
the oracle, where torch drops the output channels). The expected answer is
the specification's, on the oracle:

- ``Conv``: `oracle.conv` with the pads (``SAME_*``: ``ceil(n / s)`` outputs, the odd padding sample
  after the input for ``SAME_UPPER``, before it for ``SAME_LOWER``: `framework_same_pads`).
- ``ConvTranspose``: the full transposed convolution (length ``s (n - 1) + output_padding + d (k - 1)
  + 1``) cropped by ``pads``; with ``output_shape`` (or ``SAME_*``, whose output is ``n s``), the
  total padding is the full length minus the output length, split as the specification says
  (``SAME_UPPER``: ``total // 2`` at the start; otherwise ``total - total // 2``).

A total padding below zero (``SAME_*`` with a stride longer than the kernel, or an ``output_shape``
beyond the full length) is left out: the specification's integer division is then ambiguous, and
the runtimes disagree on it (belief ``onnx-convtranspose-same-output-is-input-times-stride``).
Refusals that are declared capabilities (ONNX Runtime's ``SAME_*`` with dilation) are not drawn.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from conv_equivalence import oracle
from conv_equivalence.identities import Identity, IdentityFailure, assert_within_rounding, register
from conv_equivalence.problem import framework_same_pads

AUTO_PADS = (None, "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER")
"""``None``: the attribute left out (its default is ``NOTSET``)."""
DTYPES = {"onnxruntime": ("float32",), "onnx.reference": ("float32", "float64")}


def _optional(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> Any:
    """An attribute's value, or ``None`` for an attribute left to its default."""
    return draw(st.one_of(st.none(), values))


@st.composite
def onnx_cases(draw: st.DrawFn, target: str) -> dict[str, Any]:
    """One ``Conv`` or ``ConvTranspose`` node: its attributes (``None`` where absent) and arrays."""
    op = draw(st.sampled_from(("Conv", "ConvTranspose")))
    nd = draw(st.integers(1, 2))
    group = draw(st.sampled_from((1, 2)))
    # an empty batch, and zero input channels (every output is then the bias: a sum over an empty set)
    n, c_in = draw(st.integers(0, 2)), draw(st.integers(0 if group == 1 else 1, 2)) * group
    c_out = draw(st.integers(1, 2)) * group
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    spatial = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    axes = st.integers(1, 3).flatmap(lambda hi: st.tuples(*[st.integers(1, hi)] * nd))
    strides, dilations = _optional(draw, axes), _optional(draw, st.tuples(*[st.integers(1, 2)] * nd))
    auto_pad = draw(st.sampled_from(AUTO_PADS))
    explicit = auto_pad in (None, "NOTSET")
    case: dict[str, Any] = {
        "op": op, "group": group, "kernel_shape": draw(st.sampled_from((None, kernel))), "strides": strides,
        "dilations": dilations, "auto_pad": auto_pad, "output_padding": None, "output_shape": None,
        "pads": _optional(draw, st.tuples(*[st.integers(0, 2)] * (2 * nd))) if explicit else None,
    }
    s, d = strides or (1,) * nd, dilations or (1,) * nd
    span = [di * (k - 1) + 1 for k, di in zip(kernel, d)]
    if op == "Conv":
        if target == "onnxruntime" and auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            assume(all(di == 1 for di in d))  # a declared refusal: "Dilation not supported for SAME_*"
        if not auto_pad or auto_pad in ("NOTSET", "VALID"):  # at least one output sample
            begin_end = case["pads"] or (0,) * (2 * nd)
            assume(all(size + lo + hi >= e for size, e, lo, hi in zip(spatial, span, begin_end[:nd], begin_end[nd:])))
        weight_shape = (c_out, c_in // group, *kernel)
    else:
        case["output_padding"] = _optional(draw, st.tuples(*[st.integers(0, si - 1) for si in s]))
        full = [si * (size - 1) + op_ + e for si, size, op_, e in zip(s, spatial, case["output_padding"] or (0,) * nd, span)]
        if target == "onnx.reference":  # its known issues: groups (onnx-reference-convtranspose-groups),
            assume(group == 1 and n > 0)  # empty batches and output_shape without pads (beliefs onnx-reference-*)
        if explicit and case["pads"] is None and target != "onnx.reference" and draw(st.booleans()):
            case["output_shape"] = tuple(draw(st.integers(1, f)) for f in full)
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            assume(all(f >= size * si for f, size, si in zip(full, spatial, s)))  # total padding >= 0
        if case["pads"] is not None:
            assume(all(f > lo + hi for f, lo, hi in zip(full, case["pads"][:nd], case["pads"][nd:])))
        weight_shape = (c_in, c_out // group, *kernel)
    dtype = draw(st.sampled_from(DTYPES[target]))
    values = st.integers(-4, 4).map(float)
    case["X"] = np.array(draw(st.lists(values, min_size=n * c_in * int(np.prod(spatial)),
                                       max_size=n * c_in * int(np.prod(spatial))))).reshape(n, c_in, *spatial).astype(dtype)
    size = int(np.prod(weight_shape))
    case["W"] = np.array(draw(st.lists(values, min_size=size, max_size=size))).reshape(weight_shape).astype(dtype)
    case["B"] = draw(st.sampled_from((None, np.arange(c_out, dtype=dtype) - 1)))
    return case


def _attributes(case: dict[str, Any]) -> dict[str, Any]:
    names = ("group", "kernel_shape", "strides", "dilations", "auto_pad", "pads", "output_padding", "output_shape")
    return {name: list(v) if isinstance(v, tuple) else v for name in names if (v := case[name]) is not None}


def _run(target: str, case: dict[str, Any]) -> np.ndarray:
    from conv_equivalence.backends.onnx_conv import node_model, run_model

    inputs = ["X", "W"] + ([] if case["B"] is None else ["B"])
    model = node_model(case["op"], inputs, case["X"].dtype.name, _attributes(case))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_model(target, model, {name: case[name] for name in inputs})


def spec_pads(case: dict[str, Any]) -> list[tuple[int, int]]:
    """Per-axis ``(begin, end)`` pads as the specification derives them from the attributes."""
    x, w = case["X"], case["W"]
    nd = x.ndim - 2
    s, d = case["strides"] or (1,) * nd, case["dilations"] or (1,) * nd
    auto_pad, pads = case["auto_pad"] or "NOTSET", case["pads"]
    if case["op"] == "Conv":
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            return list(framework_same_pads(x.shape[2:], w.shape[2:], s, d, lower=auto_pad == "SAME_LOWER"))
        if auto_pad == "VALID" or pads is None:
            return [(0, 0)] * nd
        return list(zip(pads[:nd], pads[nd:]))
    output_padding = case["output_padding"] or (0,) * nd
    full = [si * (n - 1) + op + di * (k - 1) + 1 for si, n, op, di, k in zip(s, x.shape[2:], output_padding, d, w.shape[2:])]
    target = case["output_shape"] or ([n * si for n, si in zip(x.shape[2:], s)] if auto_pad.startswith("SAME") else None)
    if target is None:
        return [(0, 0)] * nd if auto_pad == "VALID" or pads is None else list(zip(pads[:nd], pads[nd:]))
    totals = [f - t for f, t in zip(full, target)]
    return [(t // 2, t - t // 2) if auto_pad == "SAME_UPPER" else (t - t // 2, t // 2) for t in totals]


def expected(case: dict[str, Any], x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """The specification's answer on the oracle, in float64."""
    nd = x.ndim - 2
    s, d = case["strides"] or (1,) * nd, case["dilations"] or (1,) * nd
    pads = spec_pads(case)
    if case["op"] == "Conv":
        return oracle.conv(x, w, b, s, tuple(pads), d, case["group"])
    full = oracle.conv_transpose(x, w, None, s, 0, case["output_padding"] or 0, case["group"], d)
    crop = tuple(slice(lo, size - hi) for (lo, hi), size in zip(pads, full.shape[2:]))
    out = full[(slice(None), slice(None), *crop)]
    return out if b is None else out + b.reshape(-1, *[1] * nd)


def _check_onnx(target: str, case: dict[str, Any]) -> None:
    try:
        got = _run(target, case)
    except Exception as exc:  # noqa: BLE001 - any refusal of a valid node is the finding
        raise IdentityFailure(f"{target} {case['op']} {_attributes(case)} refused a node the specification "
                              f"defines: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}", case=case) from None
    x, w = case["X"].astype(np.float64), case["W"].astype(np.float64)
    b = None if case["B"] is None else case["B"].astype(np.float64)
    exact = expected(case, x, w, b)
    magnitude = expected(case, np.abs(x), np.abs(w), None if b is None else np.abs(b))
    # terms of one output: the group's input channels times the kernel taps
    channels = w.shape[1] if case["op"] == "Conv" else w.shape[0] // case["group"]
    assert_within_rounding(got, exact, magnitude, channels * int(np.prod(w.shape[2:])), case["X"].dtype.name,
                           what=f"{target} {case['op']} {_attributes(case)}", case=case)


register(Identity(
    "native-onnx-conv-attributes-follow-the-spec",
    "ONNX Conv and ConvTranspose with their attributes present or defaulted (kernel_shape, strides, dilations, "
    "group, auto_pad NOTSET/VALID/SAME_UPPER/SAME_LOWER, asymmetric pads, output_padding, output_shape) compute "
    "what the operator specification defines.",
    "Conv(X, W, B; attrs) == conv(X, W, B; spec_pads(attrs));  ConvTranspose(X, W, B; attrs) == crop(full_transpose(X, W), spec_pads(attrs)) + B",
    lambda: ["onnxruntime", "onnx.reference"], onnx_cases, _check_onnx, tags=("native", "onnx"),
))
