"""The verdict on one call: what is wrong with the implementation's answer to a `Case`, if anything.

The output must have the problem's shape and dtype and lie within `tolerance.declared_bound` of
`oracle.solve` (NaN and infinities where IEEE arithmetic puts them); the call must not write into
its arguments. For a case with a cotangent (the ``grad`` facet) the gradients with respect to
input, weight and bias must be there, with the shapes and dtype of those arrays, and lie within
the bounds of `adjoint.vjp`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np

from conv_equivalence.check.facets import Case


def one_line(message: str, width: int = 100) -> str:
    """An exception's ``Type: message`` as one line: the type and the first non-empty line of its message."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    head = lines[0]
    if head.endswith(":") and len(lines) > 1:  # 'InvalidType:' with the message on the next line
        head = f"{head} {lines[1]}"
    return head[:width]


class Unusable(BaseException):
    """The callable cannot be used as declared (a layer class that cannot be built or loaded): the check
    stops with a usage error. A BaseException, so that Hypothesis does not shrink it as a failure."""


@dataclasses.dataclass
class Failure:
    kind: str  # values, shape, dtype, type, raised, mutated, crash, timeout, grad
    message: str
    part: str = "output"
    """What differs: ``output``, or (kind ``grad``) the ``input``, ``weight`` or ``bias`` gradient."""
    got: np.ndarray | None = None
    expected: np.ndarray | None = None
    marks: tuple[tuple[int, ...], ...] = ()
    atol: float = 0.0
    summary: str = ""

    @property
    def headline(self) -> str:
        """One line for the facet table."""
        if self.summary:
            return self.summary
        lines = self.message.strip().splitlines()
        if self.kind == "raised" and lines:  # the exception's line: "Type: message" (a multi-line message's first)
            named = [line for line in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Warning|Exit|Interrupt)\b", line)]
            return (named[-1] if named else lines[-1])[:100]
        return lines[0][:100] if lines else self.kind

    @property
    def status(self) -> str:
        return self.kind if self.kind in ("crash", "timeout") else "fail"


def judge(case: Case, reply: dict[str, Any], precision: str, convention: str) -> Failure | None:
    """What is wrong with the implementation's answer to ``case``, or ``None``."""
    from conv_equivalence.oracle import solve
    from conv_equivalence.tolerance import compare, declared_bound

    kind = reply["kind"]
    if kind == "usage":
        raise Unusable(reply["message"])
    if kind == "declined":  # the implementation said it does not support this call: no verdict on it
        return None
    if kind in ("crash", "timeout"):
        return Failure(kind, reply["message"])
    if kind == "raised":
        return Failure("raised", reply["traceback"], part="backward" if reply.get("stage") == "backward" else "output",
                       summary=one_line(reply.get("message", "")))
    p = case.problem
    if reply["mutated"]:
        return Failure("mutated", f"the implementation wrote into its {' and '.join(reply['mutated'])} "
                                  "(torch's convolution never does)")
    out = reply["out"]
    wanted = {"torch": "torch.Tensor", "layer": "torch.Tensor", "jax": "jax.Array"}.get(convention, "numpy.ndarray")
    if out is None:
        return Failure("type", f"the implementation returned a {reply['type']}, not a {wanted}")
    if out.shape != p.output_shape:
        shape = p.output_shape if not convention.startswith("nhwc") else (p.output_shape[0], *p.output_shape[2:], p.output_shape[1])
        return Failure("shape", f"the implementation returned shape {tuple(reply['shape'])}; torch returns {shape}", got=out)
    if reply["dtype"] != p.dtype:
        return Failure("dtype", f"the implementation returned {reply['dtype']} for {p.dtype} input; torch returns {p.dtype}", got=out)
    effective = reply.get("effective")
    if effective is not None:  # a layer that re-parametrises its weight says what it convolves with
        p = with_effective_weights(p, effective)
    expected = solve(p)
    bound = declared_bound(p, precision)
    mismatch = compare(out, expected, bound)
    if mismatch is not None:
        marks = tuple(tuple(int(i) for i in pos) for pos in np.argwhere(_differs(out, expected, bound)))
        forward = "the forward's " if case.cotangent is not None else ""
        return Failure("values", mismatch.describe(), got=out, expected=expected, marks=marks, atol=mismatch.atol,
                       summary=f"{forward}values differ at {mismatch.count} of {mismatch.total} output elements")
    if case.cotangent is None or reply.get("grads") is None:
        return None
    return judge_gradients(case, reply["grads"], precision, p)


def with_effective_weights(p: Any, effective: dict[str, Any]) -> Any:
    """``p`` with the weight (and bias) the layer reported it convolves with, rounded to the problem's dtype,
    so that the oracle computes what the layer should have computed with them."""
    import torch

    def rounded(a: np.ndarray, like: np.ndarray, name: str) -> np.ndarray:
        if a.shape != like.shape:
            raise Unusable(f"conv_equivalence_weight() reported a {name} of shape {a.shape}; the layer's is {like.shape}")
        if p.dtype in ("float16", "bfloat16", "float32"):  # the layer holds it in its dtype: the oracle takes it so
            a = torch.from_numpy(a).to(getattr(torch, p.dtype)).to(torch.float64).numpy()
        if np.issubdtype(like.dtype, np.integer) and not np.array_equal(a, np.rint(a)):
            raise Unusable(f"conv_equivalence_weight() reported a {name} that is not integral for an integer layer")
        return a.astype(like.dtype)

    bias = p.bias
    if effective.get("bias") is not None:
        bias = rounded(effective["bias"], p.bias if p.bias is not None else effective["bias"], "bias")
    return p.replace(weight=rounded(effective["weight"], p.weight, "weight"), bias=bias)


def judge_gradients(case: Case, grads: dict[str, Any], precision: str, problem: Any = None) -> Failure | None:
    """What is wrong with the gradients the implementation's backward gave for ``case.cotangent`` (for
    ``problem``: the case's, or the one with a layer's reported effective weights)."""
    from conv_equivalence.adjoint import vjp
    from conv_equivalence.tolerance import compare

    p = case.problem if problem is None else problem
    assert case.cotangent is not None
    want = vjp(p, case.cotangent, precision)
    shapes = {"input": p.x.shape, "weight": p.weight.shape, "bias": None if p.bias is None else p.bias.shape}
    for name, expected, bound in (("input", want.x, want.x_bound), ("weight", want.weight, want.weight_bound),
                                  ("bias", want.bias, want.bias_bound)):
        if name not in grads or expected is None or bound is None:
            continue  # not checked (a layer's re-parametrised weight), or no bias
        got = grads[name]
        if got is None:
            return Failure("grad", f"the {name} gradient is missing: autograd reports the output does not depend on the "
                                   f"{name} (a backward that returns None for it, or a detached computation)",
                           part=name, summary=f"no {name} gradient")
        if got["out"] is None or tuple(got["shape"]) != shapes[name]:
            return Failure("grad", f"the {name} gradient has shape {got['shape']}; the {name} has {shapes[name]}", part=name,
                           summary=f"{name} gradient of shape {tuple(got['shape'] or ())}, not {shapes[name]}")
        if got["dtype"] != p.dtype:
            return Failure("grad", f"the {name} gradient is {got['dtype']}; the {name} is {p.dtype}", part=name)
        got_out = got["out"]
        if name == "weight" and case.shared_kernel:  # one kernel for every channel: its gradient is their sum
            got_out, expected, bound = (np.sum(a, axis=(0, 1), keepdims=True) for a in (got_out, expected, bound))
        mismatch = compare(got_out, expected, bound)
        if mismatch is not None:
            marks = tuple(tuple(int(i) for i in pos) for pos in np.argwhere(_differs(got_out, expected, bound)))
            zero = " (it is all zero)" if not np.any(got_out) else ""
            return Failure("grad", mismatch.describe(), got=got_out, expected=np.asarray(expected), marks=marks,
                           atol=mismatch.atol, part=name,
                           summary=f"{name} gradient differs at {mismatch.count} of {mismatch.total} elements{zero}")
    if not case.double or grads.get("double") is None:
        return None
    return _judge_double(case, grads["double"], want, precision)


def _judge_double(case: Case, second: dict[str, Any], want: Any, precision: str) -> Failure | None:
    """Double backward: for ``s = <dL/dx, x> + <dL/dw, w>`` the gradients with respect to the cotangent,
    the input and the weight are ``2 conv(x, w)`` (no bias), ``2 dL/dx`` and ``2 dL/dw``, each a sum
    of two terms within their bounds (and the rounding of that sum)."""
    from conv_equivalence.oracle import solve
    from conv_equivalence.tolerance import compare, declared_bound, unit_roundoff

    p = case.problem
    unbiased = p.replace(bias=None)
    u = unit_roundoff(p.dtype)
    for name, single, bound, shape in (("cotangent", solve(unbiased), declared_bound(unbiased, precision), p.output_shape),
                                       ("input", want.x, want.x_bound, p.x.shape),
                                       ("weight", want.weight, want.weight_bound, p.weight.shape)):
        got = second.get(name)
        what = f"second-order {name} gradient (of <dL/dx, x> + <dL/dw, w>)"
        if got is None or got["out"] is None or tuple(got["shape"]) != tuple(shape):
            return Failure("grad", f"the {what} is {'missing' if got is None else 'of shape ' + str(got['shape'])}; "
                                   f"it must have shape {tuple(shape)}", part=f"double {name}")
        expected = 2 * np.asarray(single)
        bound = np.broadcast_to(np.asarray(bound, dtype=np.float64), expected.shape)
        with np.errstate(invalid="ignore"):
            total = 2 * bound + np.where(bound == 0, 0.0, 2 * u * (np.abs(expected) + 2 * bound))
        mismatch = compare(got["out"], expected, total)
        if mismatch is not None:
            marks = tuple(tuple(int(i) for i in pos) for pos in np.argwhere(_differs(got["out"], expected, total)))
            return Failure("grad", f"{what}: " + mismatch.describe(), got=got["out"], expected=expected, marks=marks,
                           atol=mismatch.atol, part=f"double {name}",
                           summary=f"double backward: {name} part differs at {mismatch.count} of {mismatch.total} elements")
    return None


def _differs(got: np.ndarray, expected: np.ndarray, bound: Any) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        g, e = got.astype(np.complex128), expected.astype(np.complex128)
        same_nan = np.isnan(g) & np.isnan(e)
        finite = np.isfinite(g) & np.isfinite(e)
        close = finite & (np.abs(g - e) <= np.broadcast_to(bound, e.shape))
        return ~(same_nan | close | (~finite & (g == e)))


