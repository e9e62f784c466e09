"""How a facet's examples are drawn (`cases`): a problem inside the facet's capabilities, moved into the
declared limits (equal axes, the declared domain, a coarser accumulation precision), its parameters written
as ints or tuples; and how a counterexample is projected onto a more basic facet (`project`) to tell
whether that facet's failure explains it."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st

from conv_equivalence.boundary import numpy_pad_mode
from conv_equivalence.check.facets import LARGE_EXTRA, SMALL_EXTRA, Case, Facet, Options
from conv_equivalence.problem import ConvProblem
from conv_equivalence.strategies import carrier_arrays, problems, round_to
from conv_equivalence.tolerance import SMALLEST_NORMAL, max_terms, unit_roundoff

_PRECISION_LIMIT = {"float16": 4.0, "bfloat16": 2.0**20, "float32": 2.0**30, "tf32": 2.0**30}


def _round(values: np.ndarray, precision: str) -> np.ndarray:
    """Real ``values`` clipped to the precision's drawing range, rounded to it, and flushed to 0 below its
    smallest normal number (NaN and infinities kept)."""
    finite = np.isfinite(values)
    limit = _PRECISION_LIMIT[precision]
    v = np.where(finite, np.clip(np.where(finite, values, 0), -limit, limit), values)
    if precision == "tf32":  # float32 with a 10-bit fraction, rounded half to even
        bits = v.astype(np.float32).view(np.uint32)
        bits = (bits + np.uint32(0xFFF) + ((bits >> np.uint32(13)) & np.uint32(1))) & np.uint32(0xFFFFE000)
        v = np.where(finite, bits.view(np.float32).astype(np.float64), v)
    else:
        v = np.where(finite, round_to(v, precision), v)
    return np.where(finite & (np.abs(v) < SMALLEST_NORMAL[precision]), 0.0, v)


def _in_precision(problem: ConvProblem, precision: str) -> ConvProblem:
    """``problem`` with values that a declared coarser accumulation ``precision`` holds exactly (`Options.precision`)."""
    if precision not in _PRECISION_LIMIT or problem.dtype.startswith("int") or \
            unit_roundoff(problem.dtype) >= unit_roundoff(precision) or \
            (precision == "tf32" and problem.dtype not in ("float32", "complex64")):
        return problem
    if problem.terms_per_output > max_terms(precision):
        reject()

    def fit(a: np.ndarray | None) -> np.ndarray | None:
        if a is None:
            return None
        if a.dtype.kind == "c":
            return _round(a.real, precision) + 1j * _round(a.imag, precision)
        return _round(a, precision)

    return problem.replace(x=fit(problem.x), weight=fit(problem.weight), bias=fit(problem.bias))


def _forms(draw: st.DrawFn, value: Any, forms: str = "any") -> Any:
    """An int where every axis agrees (drawn against the tuple form, or as ``forms`` says), else the per-axis tuple."""
    if isinstance(value, str) or any(isinstance(v, tuple) for v in value):
        return value
    if len(set(value)) == 1 and forms != "tuple" and (forms == "int" or not draw(st.booleans())):
        return int(value[0])
    return tuple(int(v) for v in value)


def _equalise(problem: ConvProblem) -> ConvProblem:
    """The problem with stride, padding, dilation and output_padding equal on every axis (the first axis's)."""
    s = problem.spec
    changes: dict[str, Any] = {"stride": s.stride[0], "dilation": s.dilation[0], "output_padding": s.output_padding[0]}
    if not isinstance(s.padding, str):
        changes["padding"] = s.padding[0]
    try:
        return problem.replace(spec=s.replace(**changes))
    except ValueError:
        reject()
        raise  # unreachable: reject() raises


def in_domain(problem: ConvProblem, options: Options) -> ConvProblem:
    """The drawn problem moved into the declared domain, from its own values (so it shrinks as they do):
    depthwise (its weight's kernels dealt out one a channel, groups = channels), one shared kernel, kernels
    trimmed to odd or square sizes. A problem the move makes invalid is rejected."""
    if not (options.depthwise or options.shared_kernel or options.odd_kernels or options.square_kernels):
        return problem
    s, w, bias = problem.spec, problem.weight, problem.bias
    kernel = list(w.shape[2:])
    if options.square_kernels:
        kernel = [min(kernel)] * len(kernel)
    if options.odd_kernels:
        kernel = [k if k % 2 else k - 1 for k in kernel]
    if 0 in kernel:
        reject()
    w = w[(slice(None), slice(None), *(slice(0, k) for k in kernel))]
    groups = s.groups
    if options.depthwise or options.shared_kernel:
        channels = problem.x.shape[1]
        rows = w.reshape(-1, *kernel)
        if options.shared_kernel:
            rows = rows[:1]
        if options.depthwise:
            w, groups = np.stack([rows[i % len(rows)] for i in range(channels)])[:, None], channels
            if bias is not None:
                bias = np.array([bias[i % len(bias)] for i in range(channels)], dtype=bias.dtype)
        else:  # every (output, input) pair of channels convolved with the first kernel
            w = np.broadcast_to(rows[0], w.shape[:2] + tuple(kernel)).copy()
    try:
        return problem.replace(spec=s.replace(groups=groups), weight=np.ascontiguousarray(w), bias=bias)
    except ValueError:
        reject()
        raise  # unreachable: reject() raises


def within_domain(problem: ConvProblem, options: Options) -> bool:
    """Whether ``problem`` lies inside the declared domain (the minimiser keeps its candidates there)."""
    w, kernel = problem.weight, problem.weight.shape[2:]
    channels = problem.x.shape[1]
    return not ((options.depthwise and not (problem.spec.groups == channels == w.shape[0] and w.shape[1] == 1))
                or (options.shared_kernel and w.size and not np.array_equal(w, np.broadcast_to(w.reshape(-1, *kernel)[:1],
                                                                                         w.shape), equal_nan=True))
                or (options.odd_kernels and any(k % 2 == 0 for k in kernel))
                or (options.square_kernels and len(set(kernel)) > 1))


def domain_note(options: Options) -> str | None:
    """What a declared domain leaves out of every facet, in one line, or ``None`` without one."""
    left = [text for on, text in ((options.depthwise, "grouped convolutions other than depthwise"),
                                  (options.shared_kernel, "a different kernel per channel"),
                                  (options.odd_kernels, "even kernel sizes"),
                                  (options.square_kernels, "kernels of different sizes on different axes")) if on]
    return f"note: declared domain: every facet draws inside it; not checked: {', '.join(left)}" if left else None


@st.composite
def cases(draw: st.DrawFn, facet: Facet, options: Options) -> Case:
    """A `Case` inside ``facet``, as the declared limits allow."""
    kind = draw(st.sampled_from(facet.kinds))
    problem = draw(problems(facet.caps, ndim=options.ndim, kind=kind, transposed=options.transposed,
                            paddings=facet.paddings, max_extra_size=SMALL_EXTRA))
    s = problem.spec
    if "padding" not in facet.owns and "padding-strings" not in facet.owns and s.padding != (0,) * s.ndim:
        problem = problem.replace(spec=s.replace(padding=0))  # 'valid' (or a transposed padding) as no padding
    if "output-padding" not in facet.owns and any(problem.spec.output_padding):
        try:  # without it a transposed output can be empty (padding that ate the output_padding's sample)
            problem = problem.replace(spec=problem.spec.replace(output_padding=0))
        except ValueError:
            reject()
    if facet.name == "output-padding" and not any(problem.spec.output_padding):
        reject()
    if facet.name == "empty-batch":
        problem = problem.replace(x=problem.x[:0])
    if facet.name == "bias" and problem.bias is None:
        problem = problem.replace(bias=np.zeros(problem.output_shape[1], dtype=problem.weight.dtype))
    if facet.name == "large":
        extra = st.one_of(st.integers(0, LARGE_EXTRA[options.ndim]),
                          st.sampled_from((LARGE_EXTRA[options.ndim], 3 * LARGE_EXTRA[options.ndim] // 4)))
        spatial = tuple(n + draw(extra) for n in problem.x.shape[2:])
        problem = problem.replace(x=draw(carrier_arrays((*problem.x.shape[:2], *spatial), problem.dtype,
                                                         "integers" if problem.dtype.startswith("int") else kind)))
    if options.equal_per_axis:
        problem = _equalise(problem)
    problem = in_domain(problem, options)
    problem = _in_precision(problem, options.precision)
    if options.bias_always and problem.bias is None:
        problem = problem.replace(bias=np.zeros(problem.output_shape[1], dtype=problem.weight.dtype))
    if options.single_batch and problem.x.shape[0] > 1:
        problem = problem.replace(x=problem.x[:1])
    if options.same_only and not problem.spec.transposed:
        if any(v != 1 for v in problem.spec.stride):
            reject()
        problem = problem.replace(spec=problem.spec.replace(padding="same"))
    s = problem.spec
    if facet.name == "padding-strings" and draw(st.integers(0, 3)) == 3:
        try:  # 'valid' a quarter of the time ('same' is where implementations differ most)
            problem = problem.replace(spec=s.replace(padding="valid"))
        except ValueError:
            pass
        s = problem.spec
    f = options.forms
    args: dict[str, Any] = {"stride": _forms(draw, s.stride, f), "padding": _forms(draw, s.padding, f),
                            "dilation": _forms(draw, s.dilation, f), "groups": s.groups}
    args["output_padding"] = _forms(draw, s.output_padding, f) if s.transposed else None
    if facet.name not in ("grad", "double-grad"):
        return Case(problem, args)
    cotangent = draw(carrier_arrays(problem.output_shape, problem.dtype, "integers" if kind == "integers" else "floats"))
    if options.precision in _PRECISION_LIMIT and unit_roundoff(problem.dtype) < unit_roundoff(options.precision):
        cotangent = _round(cotangent, options.precision)
    return Case(problem, args, cotangent, options.grad == "require", facet.name == "double-grad", options.shared_kernel)


def _explicit(problem: ConvProblem, keep: frozenset[str]) -> ConvProblem | None:
    """The same convolution with padding, dilation and groups (those not in ``keep``) written into the
    arrays: the padding extended onto the input (by its ``padding_mode``), zeros between the kernel taps, a block-diagonal weight; and
    stride 1 (whose output holds the strided one). ``None`` for transposed problems that need any."""
    s = problem.spec
    x, w = problem.x, problem.weight
    kernel = w.shape[2:]
    changes: dict[str, Any] = {}
    if s.transposed:  # padding crops the output and stride spreads the input: neither goes into the arrays
        if any(flag and name not in keep for name, flag in (("stride", any(v != 1 for v in s.stride)),
                                                            ("padding", any(s.padding)))):
            return None
    elif ("padding" not in keep and "padding-strings" not in keep) or \
            (s.padding_mode != "zeros" and "padding-mode" not in keep):
        x = np.pad(x, [(0, 0), (0, 0), *s.pads(kernel)], mode=numpy_pad_mode(s.padding_mode))
        changes["padding"], changes["padding_mode"] = 0, "zeros"
    if "dilation" not in keep and any(d != 1 for d in s.dilation):
        wide = np.zeros((*w.shape[:2], *(d * (k - 1) + 1 for k, d in zip(kernel, s.dilation))), dtype=w.dtype)
        wide[(slice(None), slice(None), *(slice(None, None, d) for d in s.dilation))] = w
        w, changes["dilation"] = wide, 1
    if "groups" not in keep and s.groups != 1:
        g, c_in = s.groups, x.shape[1]
        per_in = c_in // g
        if s.transposed:  # (C_in, C_out/g, *k) to (C_in, C_out, *k)
            per_out = w.shape[1]
            full = np.zeros((c_in, per_out * g, *w.shape[2:]), dtype=w.dtype)
            for i in range(g):
                full[i * per_in:(i + 1) * per_in, i * per_out:(i + 1) * per_out] = w[i * per_in:(i + 1) * per_in]
        else:
            per_out = w.shape[0] // g
            full = np.zeros((w.shape[0], c_in, *w.shape[2:]), dtype=w.dtype)
            for i in range(g):
                full[i * per_out:(i + 1) * per_out, i * per_in:(i + 1) * per_in] = w[i * per_out:(i + 1) * per_out]
        w, changes["groups"] = full, 1
    if "stride" not in keep and not s.transposed:
        changes["stride"] = 1
    try:
        return ConvProblem(s.replace(**changes), x, w, problem.bias, dtype=problem.dtype, layout=problem.layout)
    except ValueError:
        return None


def project(case: Case, base: str, options: Options, keep: frozenset[str] = frozenset()) -> Case | None:
    """``case`` without the features outside ``keep`` (a facet's `Facet.owns`), as the closest call that
    facet could have drawn: padding, dilation and groups written into the arrays (the same convolution),
    stride 1, contiguous, the ``base`` dtype (complex values as real + imaginary part), NaN/inf as 0, an
    empty batch as one zero item, no bias (zeros with ``bias_always``), no output_padding; or ``None``."""
    p = case.problem
    x, w, b = p.x, p.weight, p.bias
    dtype = p.dtype if "dtype" in keep else base
    if p.dtype != dtype:
        carrier = np.int64 if dtype.startswith("int") else np.complex128 if dtype.startswith("complex") else np.float64
        parts = [None if a is None else (a if carrier == np.complex128 or a.dtype.kind != "c" else a.real + a.imag)
                 for a in (x, w, b)]
        if carrier == np.int64 and not all(a is None or (np.isfinite(a).all() and (np.round(a) == a).all()) for a in parts):
            return None
        x, w = np.asarray(parts[0]).astype(carrier), np.asarray(parts[1]).astype(carrier)
        b = None if parts[2] is None else np.asarray(parts[2]).astype(carrier)
    if x.shape[0] == 0 and "empty-batch" not in keep:
        x = np.zeros((1, *x.shape[1:]), dtype=x.dtype)
    if "nonfinite" not in keep:
        x, w = np.where(np.isfinite(x), x, 0), np.where(np.isfinite(w), w, 0)
        b = None if b is None else np.where(np.isfinite(b), b, 0)
    if "bias" not in keep:
        b = np.zeros_like(b) if options.bias_always and b is not None else None
    spec = p.spec
    if any(spec.output_padding) and "output-padding" not in keep:
        try:
            spec = spec.replace(output_padding=0)
        except ValueError:
            return None
    try:
        problem = _explicit(ConvProblem(spec, x, w, b, dtype=dtype, layout=p.layout if "layout" in keep else "contiguous"), keep)
    except ValueError:
        return None
    if problem is None:
        return None
    s = problem.spec
    args = dict(case.args)
    for name in ("stride", "padding", "dilation", "output_padding"):
        value = getattr(s, name)
        if s.transposed or name != "output_padding":
            # the form the case passed it in (a tuple stays a tuple), since a defect may live in the form
            equal = not isinstance(value, str) and len(set(value)) == 1 and not isinstance(value[0], tuple)
            args[name] = value[0] if equal and not isinstance(case.args.get(name), (tuple, str)) else value
    args["groups"] = s.groups
    return Case(problem, args)
