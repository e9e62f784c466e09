"""Padding, stride, dilation, groups, batch and channels: each parameter reduced to a simpler problem.

Each identity computes both sides with the same backend, so it checks the library's own
consistency (and, through `equals-oracle`, its agreement with everyone else). Both sides carry
rounding error, so the allowed difference is the sum of their bounds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from conv_equivalence import strategies as cst
from conv_equivalence.backends import Backend, get_backend
from conv_equivalence.backends._signal import SAME_EXTRA_AT_END, SAME_EXTRA_AT_START, Placement
from conv_equivalence.boundary import numpy_pad_mode
from conv_equivalence.identities import (
    Identity,
    IdentityFailure,
    assert_close,
    backends_where,
    error_bound,
    register,
    run,
    supported,
)
from conv_equivalence.problem import ConvProblem


def _problems(target: str) -> st.SearchStrategy[ConvProblem]:
    return st.sampled_from(["integers", "floats"]).flatmap(
        lambda kind: cst.problems(get_backend(target).capabilities, kind=kind, max_extra_size=12))


def _both_sides(target: str, problem: ConvProblem, simpler: ConvProblem,
                reduce: Callable[[np.ndarray], np.ndarray], what: str) -> None:
    """backend(problem) == reduce(backend(simpler)), within the sum of both rounding bounds."""
    backend = get_backend(target)
    assume(supported(backend, problem) and supported(backend, simpler))
    simple_out = run(backend, simpler)
    simple_bound = np.broadcast_to(error_bound(backend, simpler), simple_out.shape)
    assert_close(run(backend, problem), reduce(simple_out), error_bound(backend, problem) + reduce(simple_bound),
                 what=what, case=problem)


def _non_transposed(predicate: Callable[[Backend], bool]) -> Callable[[], list[str]]:
    return backends_where(lambda b: not b.capabilities.transposed and predicate(b))


# -- padding ------------------------------------------------------------------------------------

def explicit_padding(problem: ConvProblem) -> ConvProblem:
    """The same problem with the input padded by numpy.pad (the mode matching padding_mode) and padding 0."""
    pads = problem.spec.pads(problem.weight.shape[2:])
    mode = numpy_pad_mode(problem.spec.padding_mode)
    x = np.pad(problem.x, ((0, 0), (0, 0), *pads), mode=mode) if any(p for pair in pads for p in pair) else problem.x
    return problem.replace(x=x, spec=problem.spec.replace(padding=0, padding_mode="zeros"))


def _padding(target: str, problem: ConvProblem) -> None:
    _both_sides(target, problem, explicit_padding(problem), lambda y: y,
                f"{target}: padding={problem.spec.padding}, mode {problem.spec.padding_mode} vs numpy.pad then no padding")


register(Identity(
    "padding-is-explicit-pad",
    "Convolving with padding p and a padding_mode equals padding the input first with numpy.pad "
    "in the mode of the same meaning (zeros=constant, reflect=reflect, replicate=edge, circular=wrap), then no padding.",
    "conv(x, w, padding=p, padding_mode=m) == conv(numpy.pad(x, p, MODE[m]), w, padding=0)",
    _non_transposed(lambda b: True), _problems, _padding, tags=("padding",),
))


def _same(target: str, problem: ConvProblem) -> None:
    assume(problem.spec.padding == "same")
    out_spatial = problem.output_shape[2:]
    if out_spatial != problem.x.shape[2:]:
        raise IdentityFailure(f"padding='same' gave spatial shape {out_spatial} for input {problem.x.shape[2:]}", case=problem)
    _padding(target, problem)


register(Identity(
    "same-padding-puts-extra-at-end",
    "torch's padding='same' keeps the spatial size and pads d*(k-1) in total per axis, "
    "total//2 before the input and the rest (the extra sample of an even kernel) after it.",
    "conv(x, w, padding='same') == conv(pad(x, (d(k-1)//2, d(k-1) - d(k-1)//2)), w)",
    _non_transposed(lambda b: "same" in b.capabilities.padding_strings),
    lambda target: st.sampled_from(["integers", "floats"]).flatmap(lambda kind: cst.problems(
        get_backend(target).capabilities, kind=kind, max_extra_size=12, paddings=("same",))), _same, tags=("padding",),
))


# -- stride and dilation ------------------------------------------------------------------------

def _stride(target: str, problem: ConvProblem) -> None:
    spec = problem.spec
    assume(any(s > 1 for s in spec.stride))
    simpler = problem.replace(spec=spec.replace(stride=1))
    subsample = (slice(None), slice(None), *(slice(None, None, s) for s in spec.stride))
    _both_sides(target, problem, simpler, lambda y: y[subsample], f"{target}: stride {spec.stride} vs every s-th sample of stride 1")


register(Identity(
    "stride-subsamples",
    "A strided convolution is the stride-1 convolution sampled every s-th output, per axis.",
    "conv(x, w, stride=s)[..., i] == conv(x, w, stride=1)[..., s*i]",
    _non_transposed(lambda b: b.capabilities.stride), _problems, _stride, tags=("stride",),
))


def dilate_kernel(weight: np.ndarray, dilation: tuple[int, ...]) -> np.ndarray:
    """Insert d-1 zeros between kernel taps on each spatial axis."""
    shape = weight.shape[:2] + tuple(d * (k - 1) + 1 for k, d in zip(weight.shape[2:], dilation))
    out = np.zeros(shape, dtype=weight.dtype)
    out[(slice(None), slice(None), *(slice(None, None, d) for d in dilation))] = weight
    return out


def _dilation(target: str, problem: ConvProblem) -> None:
    spec = problem.spec
    assume(any(d > 1 for d in spec.dilation))
    # 'same' pads d*(k-1) = k'-1 in total either way, so the padding carries over as written.
    simpler = problem.replace(weight=dilate_kernel(problem.weight, spec.dilation), spec=spec.replace(dilation=1))
    _both_sides(target, problem, simpler, lambda y: y, f"{target}: dilation {spec.dilation} vs zero-upsampled kernel")


register(Identity(
    "dilation-upsamples-kernel",
    "Dilation d equals an undilated convolution with the kernel zero-upsampled by d.",
    "conv(x, w, dilation=d) == conv(x, upsample(w, d), dilation=1)",
    _non_transposed(lambda b: b.capabilities.dilation), _problems, _dilation, tags=("dilation",),
))


# -- groups ---------------------------------------------------------------------------------------

def block_diagonal(weight: np.ndarray, groups: int) -> np.ndarray:
    """The dense (C_out, C_in, *k) weight of a grouped (C_out, C_in/groups, *k) weight: zeros off the diagonal blocks."""
    c_out, c_in_g = weight.shape[:2]
    c_out_g = c_out // groups
    dense = np.zeros((c_out, c_in_g * groups, *weight.shape[2:]), dtype=weight.dtype)
    for g in range(groups):
        dense[g * c_out_g:(g + 1) * c_out_g, g * c_in_g:(g + 1) * c_in_g] = weight[g * c_out_g:(g + 1) * c_out_g]
    return dense


def _groups_dense(target: str, problem: ConvProblem) -> None:
    spec = problem.spec
    assume(spec.groups > 1)
    simpler = problem.replace(weight=block_diagonal(problem.weight, spec.groups), spec=spec.replace(groups=1))
    _both_sides(target, problem, simpler, lambda y: y, f"{target}: groups={spec.groups} vs block-diagonal dense weight")


def _groups_concat(target: str, problem: ConvProblem) -> None:
    spec, g = problem.spec, problem.spec.groups
    assume(g > 1)
    backend = get_backend(target)
    c_in_g, c_out_g = problem.x.shape[1] // g, problem.weight.shape[0] // g
    parts, bounds = [], []
    for i in range(g):
        part = problem.replace(
            x=problem.x[:, i * c_in_g:(i + 1) * c_in_g], weight=problem.weight[i * c_out_g:(i + 1) * c_out_g],
            bias=None if problem.bias is None else problem.bias[i * c_out_g:(i + 1) * c_out_g], spec=spec.replace(groups=1))
        assume(supported(backend, part))
        parts.append(run(backend, part))
        bounds.append(np.broadcast_to(error_bound(backend, part), parts[-1].shape))
    assume(supported(backend, problem))
    assert_close(run(backend, problem), np.concatenate(parts, axis=1),
                 error_bound(backend, problem) + np.concatenate(bounds, axis=1),
                 what=f"{target}: groups={g} vs concatenated per-group convolutions", case=problem)


_grouped = _non_transposed(lambda b: b.capabilities.groups and not b.capabilities.depthwise_only)
register(Identity(
    "groups-are-block-diagonal",
    "A grouped convolution (depthwise included) equals an ungrouped one whose weight is block-diagonal.",
    "conv(x, w, groups=g) == conv(x, blockdiag(w, g), groups=1)",
    _grouped, _problems, _groups_dense, tags=("groups",),
))
register(Identity(
    "groups-concatenate",
    "A grouped convolution is the concatenation, over output channels, of each group's convolution.",
    "conv(x, w, groups=g) == concat_i conv(x[:, group i], w[group i])",
    _grouped, _problems, _groups_concat, tags=("groups",),
))


# -- batch and channels ---------------------------------------------------------------------------

def _batch(target: str, problem: ConvProblem) -> None:
    assume(problem.x.shape[0] > 1)
    backend = get_backend(target)
    single = problem.replace(x=problem.x[1:2])
    assume(supported(backend, problem) and supported(backend, single))
    whole = run(backend, problem)[1:2]
    assert_close(whole, run(backend, single), error_bound(backend, problem)[1:2] + error_bound(backend, single),
                 what=f"{target}: batch item 1 inside the batch vs alone", case=problem)


register(Identity(
    "batch-items-are-independent",
    "Each batch item's output depends on that item alone (up to rounding: kernels may block differently).",
    "conv(x, w)[n] == conv(x[n:n+1], w)[0]",
    backends_where(lambda b: b.capabilities.batch), _problems, _batch, tags=("batch",),
))


def _permute(target: str, problem: ConvProblem) -> None:
    spec = problem.spec
    c_out = problem.output_shape[1]
    assume(c_out > 1)
    groups = spec.groups
    size = c_out // groups
    # Reverse output channels inside each group: a permutation that keeps the groups.
    perm = np.concatenate([np.arange(g * size, (g + 1) * size)[::-1] for g in range(groups)])
    if spec.transposed:  # weight (C_in, C_out/groups, *k): reverse the local output index
        weight = problem.weight[:, ::-1]
    else:
        weight = problem.weight[perm]
    simpler = problem.replace(weight=weight, bias=None if problem.bias is None else problem.bias[perm])
    _both_sides(target, simpler, problem, lambda y: y[:, perm], f"{target}: permuted output channels")


register(Identity(
    "output-channels-permute",
    "Permuting the kernel's output channels (and bias) permutes the output channels the same way.",
    "conv(x, w[perm], b[perm]) == conv(x, w, b)[:, perm]",
    backends_where(lambda b: b.capabilities.channels), _problems, _permute, tags=("channels",),
))


# -- 'same' in the signal libraries ----------------------------------------------------------------

# Each signal function's 'same' placement (the (before, after) padding of its window, as the
# adapters use it); its 'same' output then starts at k - 1 - before inside its own 'full' output.
SAME_PLACEMENT: dict[str, Placement] = {
    "scipy.signal.correlate": SAME_EXTRA_AT_START,
    "scipy.signal.convolve": SAME_EXTRA_AT_START,
    "scipy.signal.fftconvolve": SAME_EXTRA_AT_START,
    "scipy.signal.oaconvolve": SAME_EXTRA_AT_START,
    "scipy.signal.convolve2d": SAME_EXTRA_AT_START,
    "scipy.signal.correlate2d": SAME_EXTRA_AT_END,
    "numpy.correlate": SAME_EXTRA_AT_START,
    "numpy.convolve": SAME_EXTRA_AT_START,
}


def same_start(target: str, k: int) -> int:
    return k - 1 - SAME_PLACEMENT[target](k)[0]


def _signal_function(target: str):  # type: ignore[no-untyped-def]
    import importlib

    module, name = target.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


@st.composite
def _same_cases(draw: st.DrawFn, target: str) -> tuple[np.ndarray, np.ndarray]:
    from hypothesis.extra import numpy as hnp

    nd = 2 if target.endswith("2d") else 1 if target.startswith("numpy") else draw(st.integers(1, 3))
    shape1 = tuple(draw(st.integers(1, 7)) for _ in range(nd))
    shape2 = tuple(draw(st.integers(1, 6 if not target.startswith("numpy") else shape1[0])) for _ in range(nd))
    values = st.integers(-4, 4)
    return (draw(hnp.arrays(np.float64, shape1, elements=values)),
            draw(hnp.arrays(np.float64, shape2, elements=values, fill=st.nothing())))


def _same_centred(target: str, case: tuple[np.ndarray, np.ndarray]) -> None:
    from conv_equivalence import tolerance
    a, v = case
    fn = _signal_function(target)
    kwargs = {"method": "direct"} if target in ("scipy.signal.correlate", "scipy.signal.convolve") else {}
    same, full = fn(a, v, mode="same", **kwargs), fn(a, v, mode="full", **kwargs)
    window = tuple(slice(same_start(target, n2), same_start(target, n2) + n1) for n1, n2 in zip(a.shape, v.shape))
    fft = "fft" in target or "oa" in target
    bound = 2 * tolerance.fft_bound(a, v, full.size, "float64") if fft else 0.0
    assert_close(same, full[window], bound, what=f"{target}: 'same' vs the centred slice of 'full'", case=case)


register(Identity(
    "same-is-centred-full",
    "Each signal library's 'same' output is a slice of its own 'full' output, as long as the first "
    "input, starting at (k-1)//2 (correlate, convolve, fftconvolve, oaconvolve, convolve2d, numpy) "
    "or at k//2 (correlate2d).",
    "f(a, v, 'same') == f(a, v, 'full')[start(k) : start(k) + len(a)]",
    lambda: list(SAME_PLACEMENT), _same_cases, _same_centred, tags=("padding", "same"),
))
