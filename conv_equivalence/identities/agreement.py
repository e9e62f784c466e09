"""Cross-framework agreement: every backend computes torch's convolution, once its adapter translates.

Because each adapter states its library's convention (kernel flip for ``convolve``, conjugation
for ``correlate``, 'same' placement, boundary names), agreement with the oracle is the chain
``torch conv == scipy.signal.correlate(pad(x), w, 'valid') == scipy.signal.convolve(pad(x), flip(w), 'valid')
== ndimage.correlate cropped == numpy.correlate == oracle``, one link per backend.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from conv_equivalence import strategies as cst
from conv_equivalence.backends import FLOAT_DTYPES, Capabilities, all_backends, get_backend
from conv_equivalence.backends._signal import NUMPY_DTYPES
from conv_equivalence.identities import (
    Identity,
    IdentityFailure,
    assert_close,
    backends_where,
    check_backend,
    error_bound,
    register,
    run,
    supported,
)
from conv_equivalence.oracle import solve
from conv_equivalence.problem import ConvProblem


def _problems(kind: str):  # type: ignore[no-untyped-def]
    return lambda target: cst.problems(get_backend(target).capabilities, kind=kind)


def _equals_oracle(target: str, problem: ConvProblem) -> None:
    check_backend(target, problem, solve, "the oracle")


register(Identity(
    "equals-oracle",
    "Each library computes torch's cross-correlation exactly on integer data, once its own "
    "conventions (flip, conjugation, 'same' placement, boundary names) are translated.",
    "backend(x, w; stride, padding, dilation, groups, padding_mode) == oracle.conv(x, w; ...)",
    backends_where(lambda b: True, agreement=True), _problems("integers"), _equals_oracle, tags=("agreement",),
))
register(Identity(
    "equals-oracle-within-rounding",
    "On finite floats of wide dynamic range each library is within the rounding-error bound "
    "of its precision (Higham's gamma_n |w| * |x|, or the FFT normwise bound).",
    "|backend(x, w) - oracle.conv(x, w)| <= gamma(n+1, u) (|w| conv |x| + |b|)",
    backends_where(lambda b: any(d not in ("int32", "int64") for d in b.capabilities.dtypes), agreement=True),
    _problems("floats"), _equals_oracle, tags=("agreement", "tolerance"),
))
register(Identity(
    "nonfinite-propagates",
    "NaN and infinities in the input or the weights reach exactly the outputs whose products hold them, as IEEE "
    "arithmetic says (non-zero weights; FFT methods are exempt: they spread NaN by design).",
    "isnan(backend(x, w)) == isnan(oracle.conv(x, w)), and the same for +inf and -inf",
    backends_where(lambda b: b.capabilities.nonfinite and any(d in FLOAT_DTYPES for d in b.capabilities.dtypes),
                   agreement=True),
    _problems("nonfinite"), _equals_oracle, tags=("agreement", "ieee"),
))


def _dtype_and_shape(target: str, problem: ConvProblem) -> None:
    backend = get_backend(target)
    assume(supported(backend, problem))
    out = run(backend, problem)
    expected_dtype = np.dtype(np.float32 if problem.dtype == "bfloat16" else NUMPY_DTYPES[problem.dtype])
    if out.shape != problem.output_shape or out.dtype != expected_dtype:
        raise IdentityFailure(
            f"{target}: got {out.dtype}{out.shape}, expected {expected_dtype}{problem.output_shape}",
            case=problem, left=out)


register(Identity(
    "keeps-dtype-and-shape",
    "The result has the input's dtype (bfloat16 read back as float32) and the documented output shape.",
    "backend(x, w).dtype == x.dtype and .shape == (N, C_out, *((n + pl + pr - d(k-1) - 1) // s + 1))",
    backends_where(lambda b: True, agreement=True), lambda target: st.sampled_from(["integers"]).flatmap(
        lambda kind: cst.problems(get_backend(target).capabilities, kind=kind, max_extra_size=4)),
    _dtype_and_shape, tags=("agreement", "dtype"),
))


# -- pairwise: every library against torch, on what both can compute --------------------------------

HUB = {False: "torch.functional.conv", True: "torch.functional.conv_transpose"}


def shared_capabilities(a: Capabilities, b: Capabilities) -> Capabilities:
    """What both backends can compute (the FFT error model and both extra rules if either has them)."""
    rules = [r for r in (a.extra_rule, b.extra_rule) if r is not None]
    return Capabilities(
        ranks=tuple(r for r in a.ranks if r in b.ranks), dtypes=tuple(d for d in a.dtypes if d in b.dtypes),
        transposed=a.transposed, batch=a.batch and b.batch, empty_batch=a.empty_batch and b.empty_batch,
        channels=a.channels and b.channels, groups=a.groups and b.groups, stride=a.stride and b.stride,
        dilation=a.dilation and b.dilation, bias=a.bias and b.bias,
        padding_modes=tuple(m for m in a.padding_modes if m in b.padding_modes),
        padding_strings=tuple(p for p in a.padding_strings if p in b.padding_strings),
        padding_pairs=a.padding_pairs and b.padding_pairs,
        multiplies_zero_padding=a.multiplies_zero_padding and b.multiplies_zero_padding,
        layouts=tuple(lay for lay in a.layouts if lay in b.layouts),
        error_model="fft" if "fft" in (a.error_model, b.error_model) else "direct", nonfinite=a.nonfinite and b.nonfinite,
        extra_rule=(lambda p: next((reason for reason in (r(p) for r in rules) if reason), None)) if rules else None,
        depthwise_only=a.depthwise_only or b.depthwise_only,
    )


def _pairs() -> list[str]:
    out = []
    for b in all_backends():
        hub = HUB[b.capabilities.transposed]
        shared = set(b.capabilities.dtypes) & set(get_backend(hub).capabilities.dtypes)
        if b.name != hub and not b.name.startswith("torch.") and shared:  # Pillow's int32 alone: nothing in common
            out.append(f"{hub}|{b.name}")
    return out


def _pair_problems(target: str) -> st.SearchStrategy[ConvProblem]:
    a, b = (get_backend(n) for n in target.split("|"))
    caps = shared_capabilities(a.capabilities, b.capabilities)
    return st.sampled_from(["integers", "floats"]).flatmap(lambda kind: cst.problems(caps, kind=kind))


def _pair_agrees(target: str, problem: ConvProblem) -> None:
    a, b = (get_backend(n) for n in target.split("|"))
    assume(supported(a, problem) and supported(b, problem))
    assert_close(run(b, problem), run(a, problem), error_bound(a, problem) + error_bound(b, problem),
                 what=f"{b.name} vs {a.name} on a problem both accept", case=problem)


register(Identity(
    "agrees-with-torch",
    "Every library gives torch's answer, within both rounding bounds, on every problem both can compute. "
    "A failure here that no other entry explains is an undocumented discrepancy.",
    "backend(p) == torch(p) for p in capabilities(backend) & capabilities(torch)",
    _pairs, _pair_problems, _pair_agrees, tags=("agreement", "pairwise"),
))
