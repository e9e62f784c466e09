"""A failing facet for a person: the call's parameters, its arrays in their own dtype as small grids
(`conv_equivalence.values.grid`), the expected and returned outputs with the differing elements in
[brackets], what went wrong, and the reproduction snippet. Printed once, never wrapped."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np

from conv_equivalence.values import grid

if TYPE_CHECKING:
    from conv_equivalence.check.judge import Failure
    from conv_equivalence.check.result import FacetResult


def in_dtype(a: np.ndarray, dtype: str) -> np.ndarray:
    """The carrier's values in the dtype the implementation saw (bfloat16 shown as float32, which holds it exactly)."""
    return a.astype({"bfloat16": "float32"}.get(dtype, dtype)) if a.size else a


def _block(title: str, a: np.ndarray, dtype: str, marks: set[tuple[int, ...]] | None = None) -> list[str]:
    shown = in_dtype(a, dtype)
    body = grid(shown, marks) if a.size else "(empty)"
    return [f"{title} {tuple(a.shape)} {dtype}:", textwrap.indent(body, "    ")]


def failure_text(result: FacetResult) -> str:
    """The whole account of one failing facet."""
    case, failure = result.counterexample, result.failure
    lines = [f"== {result.name}: {result.status} ({result.examples} checked, {result.declined} declined)"]
    if result.real is not None and failure is not None:
        return "\n".join(lines + real_size_lines(result.real, failure, result.reproduction))
    if case is None or failure is None:
        return "\n".join([*lines, result.note])
    if hasattr(case, "convention"):  # a signal-processing or filter call (`signals`)
        lines += ["counterexample:", textwrap.indent(describe_signal(case), "    "), failure.message.rstrip()]
        if result.reproduction:
            lines += ["reproduce (standalone Python):", textwrap.indent(result.reproduction.rstrip(), "    ")]
        return "\n".join(lines)
    p = case.problem
    params = ", ".join(f"{k}={v!r}" for k, v in case.args.items() if v is not None)
    if p.spec.padding_mode != "zeros":
        params += f", padding_mode={p.spec.padding_mode!r}"
    lines.append(f"counterexample: {params}, layout={p.layout}")
    lines += _block("input", p.x, p.dtype)
    lines += _block("weight", p.weight, p.dtype)
    if p.bias is not None:
        lines += _block("bias", p.bias, p.dtype)
    if case.cotangent is not None:
        lines += _block("cotangent (the output's gradient, given to backward)", case.cotangent, p.dtype)
    if failure.kind in ("values", "grad") and failure.expected is not None and failure.got is not None:
        marks = set(failure.marks)
        what = "" if failure.part == "output" else f" {failure.part} gradient"
        lines += _block(f"expected{what} (oracle)", failure.expected, _shown_dtype(p.dtype), marks)
        lines += _block(f"got{what} (the implementation)", failure.got, _shown_dtype(p.dtype), marks)
        lines.append(f"differing elements are in [brackets]; {failure.message.splitlines()[0]}")
        lines += failure.message.splitlines()[1:4]
    else:
        lines.append(failure.message)
    if result.reproduction:
        lines += ["reproduce (standalone Python):", textwrap.indent(result.reproduction.rstrip(), "    ")]
    return "\n".join(lines)


def _shown_dtype(dtype: str) -> str:
    """Outputs are compared in float64 (complex128, int64) but shown in the input's dtype where exact."""
    return dtype if dtype in ("int64", "int32") else "float64" if not dtype.startswith("complex") else "complex128"


def real_size_lines(real: Any, failure: Failure, reproduction: str | None) -> list[str]:
    """A real-size failure, compactly: the first failing layer, the smallest, each dimension's boundary,
    the data's rule and seed, the first differing elements, and the reproduction."""
    smallest = real.smallest
    data = (f"integers in {{-2, -1, 1, 2}}, seed {smallest.seed}" + (f", {smallest.nonzeros} non-zero weights per output channel"
                                                             if smallest.nonzeros is not None else "")
            if smallest.data == "exact" else f"standard normal, seed {smallest.seed}")
    lines = [f"first failing layer: {real.first.layer.label}: {real.first.layer.line()} ({real.first.dtype}, {real.first.data} data)",
             f"smallest failing layer: {smallest.layer.line()}, output {'x'.join(map(str, smallest.layer.output_size))} "
             f"({smallest.dtype}; data: {data})",
             f"where it starts to fail (each dimension shrunk on its own, {real.calls} calls):"]
    from conv_equivalence.check.realsize import boundary_lines

    lines += [f"    {line}" for line in boundary_lines(real.boundaries)]
    lines += [failure.message.strip().splitlines()[0], *failure.message.strip().splitlines()[1:6]]
    if reproduction:
        lines += ["reproduce (standalone Python; the arrays are rebuilt from the rule and seed):",
                  textwrap.indent(reproduction.rstrip(), "    ")]
    return lines


def describe_signal(case: Any) -> str:
    """The counterexample for a person: each operand as a grid (or its shape and a rule, when long), the other arguments."""
    def operand(name: str, a: np.ndarray) -> str:
        if a.size > 64:
            return f"{name} {a.shape} {a.dtype}: small integers in [-2, 2] (seeded), too long to print"
        return f"{name} {a.shape} {a.dtype}:\n    " + grid(a).replace("\n", "\n    ")

    rest = f"mode={case.mode!r}"
    if case.convention == "signal2d":
        rest += f" boundary={case.boundary!r} fillvalue={case.fill!r}"
    elif case.convention == "filter":
        rest += f" cval={case.fill!r} origin={case.args[4]!r}"
    return "\n".join([operand("in1" if case.convention != "filter" else "input", case.a),
                      operand("in2" if case.convention != "filter" else "weights", case.v), rest])
