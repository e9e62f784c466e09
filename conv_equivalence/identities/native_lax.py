"""Library-native exploration of ``jax.lax.conv_general_dilated``: what XLA's convolution accepts
beyond torch's parameters.

Drawn as its own API allows: ``dimension_numbers`` in any of the layouts (``NCH``/``NHC`` inputs,
``OIH``/``HIO`` kernels, either output layout), ``window_strides``, ``padding`` as (low, high)
pairs that may be negative (a negative pad crops the input), ``lhs_dilation`` (zeros inserted
between input samples: the transposed-convolution form), ``rhs_dilation``, ``feature_group_count``,
``batch_group_count`` (the batch split into groups, each convolved with its slice of the output
features: the weight-gradient form) and ``preferred_element_type``. The expected answer follows
XLA's operation semantics (https://openxla.org/xla/operation_semantics#conv_convolution) step by
step on the oracle: dilate the input with zeros, pad or crop it, then `oracle.conv` with the
kernel's dilation, the stride and the feature groups, per batch group.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from conv_equivalence import oracle
from conv_equivalence.identities import Identity, IdentityFailure, assert_close, assert_within_rounding, register

LAYOUTS = {1: (("NCH", "OIH", "NCH"), ("NHC", "HIO", "NHC"), ("NCH", "HIO", "NHC")),
           2: (("NCHW", "OIHW", "NCHW"), ("NHWC", "HWIO", "NHWC"), ("NCHW", "HWIO", "NHWC"), ("NHWC", "OIHW", "NCHW"))}
"""``dimension_numbers`` drawn per spatial rank: (input, kernel, output) layout strings."""
ELEMENT_TYPES = {"float32": (None, "float32", "float64"), "float64": (None, "float64"), "int32": (None, "int32")}
"""Operand dtypes with the ``preferred_element_type`` values drawn for them (``None``: the default)."""


def _to_layout(a: np.ndarray, canonical: str, layout: str) -> np.ndarray:
    """``a`` in the axis order ``canonical`` (e.g. ``NCHW``) rearranged to ``layout`` (e.g. ``NHWC``)."""
    return np.transpose(a, [canonical.index(c) for c in layout])


@st.composite
def lax_cases(draw: st.DrawFn, target: str) -> dict[str, Any]:
    """One call of ``conv_general_dilated`` with its arrays in canonical ``(N, C, *S)``/``(O, I, *K)`` order."""
    nd = draw(st.sampled_from((1, 2)))
    groups, batch_groups = draw(st.sampled_from(((1, 1), (2, 1), (1, 2))))
    n = draw(st.integers(1, 2)) * batch_groups
    c_in = draw(st.integers(0 if groups == batch_groups == 1 else 1, 2)) * groups  # zero channels: a sum over nothing
    c_out = draw(st.integers(1, 2)) * groups * batch_groups
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    strides = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    lhs_dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    rhs_dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    padding = tuple((draw(st.integers(-1, 2)), draw(st.integers(-1, 2))) for _ in range(nd))
    for size, ld, rd, k, (lo, hi) in zip(spatial, lhs_dilation, rhs_dilation, kernel, padding):
        assume((size - 1) * ld + 1 + lo + hi >= rd * (k - 1) + 1)  # at least one output sample
    dtype = draw(st.sampled_from(tuple(ELEMENT_TYPES)))
    preferred = draw(st.sampled_from(ELEMENT_TYPES[dtype]))
    values = st.integers(-4, 4)
    x = np.array(draw(st.lists(values, min_size=n * c_in * int(np.prod(spatial)),
                               max_size=n * c_in * int(np.prod(spatial))))).reshape(n, c_in, *spatial)
    w_shape = (c_out, c_in // groups, *kernel)
    w = np.array(draw(st.lists(values, min_size=int(np.prod(w_shape)), max_size=int(np.prod(w_shape))))).reshape(w_shape)
    return {"x": x.astype(dtype), "w": w.astype(dtype), "strides": strides, "padding": padding,
            "lhs_dilation": lhs_dilation, "rhs_dilation": rhs_dilation, "groups": groups, "batch_groups": batch_groups,
            "layouts": draw(st.sampled_from(LAYOUTS[nd])), "preferred": preferred}


def expected(case: dict[str, Any]) -> np.ndarray:
    """XLA's convolution, step by step on the oracle, as ``(N / batch_groups, O, *S_out)`` exact sums."""
    x, w = case["x"].astype(np.int64 if case["x"].dtype.kind == "i" else np.float64), case["w"]
    w = w.astype(x.dtype)
    dilated = np.zeros((*x.shape[:2], *((s - 1) * d + 1 for s, d in zip(x.shape[2:], case["lhs_dilation"]))), dtype=x.dtype)
    dilated[(slice(None), slice(None), *(slice(None, None, d) for d in case["lhs_dilation"]))] = x
    # each side on its own: a positive pad adds zeros, a negative one removes samples (pad first, then crop)
    padded = np.pad(dilated, ((0, 0), (0, 0), *((max(lo, 0), max(hi, 0)) for lo, hi in case["padding"])))
    crop = tuple(slice(max(-lo, 0), size - max(-hi, 0)) for size, (lo, hi) in zip(padded.shape[2:], case["padding"]))
    cropped = padded[(slice(None), slice(None), *crop)]
    b = case["batch_groups"]
    per_batch, per_out = x.shape[0] // b, w.shape[0] // b
    # batch group j: input items j*N/B .. (j+1)*N/B - 1 with output features j*O/B .. (j+1)*O/B - 1
    blocks = [oracle.conv(cropped[j * per_batch:(j + 1) * per_batch], w[j * per_out:(j + 1) * per_out], None,
                          case["strides"], 0, case["rhs_dilation"], case["groups"])
              for j in range(b)]
    return np.concatenate(blocks, axis=1)


def _call(case: dict[str, Any], x: np.ndarray, w: np.ndarray) -> np.ndarray:
    import jax

    jax.config.update("jax_enable_x64", True)
    lhs, rhs, out = case["layouts"]
    nd = x.ndim - 2
    canonical = ("NCHW"[:2 + nd] if nd == 2 else "NCH", "OIHW"[:2 + nd] if nd == 2 else "OIH")
    result = jax.lax.conv_general_dilated(
        jax.numpy.asarray(_to_layout(x, canonical[0], lhs)), jax.numpy.asarray(_to_layout(w, canonical[1], rhs)),
        case["strides"], list(case["padding"]),
        lhs_dilation=case["lhs_dilation"], rhs_dilation=case["rhs_dilation"], dimension_numbers=(lhs, rhs, out),
        feature_group_count=case["groups"], batch_group_count=case["batch_groups"],
        preferred_element_type=case["preferred"])
    return _to_layout(np.asarray(result), out, canonical[0])


def _check_lax(target: str, case: dict[str, Any]) -> None:
    got = _call(case, case["x"], case["w"])
    want_dtype = np.dtype(case["preferred"] or case["x"].dtype)
    if got.dtype != want_dtype:
        raise IdentityFailure(f"result dtype {got.dtype}; preferred_element_type={case['preferred']} on "
                              f"{case['x'].dtype} operands should give {want_dtype}", case=case, left=got)
    exact = expected(case)
    if want_dtype.kind == "i":
        assert_close(got.astype(object), exact.astype(object), 0.0, what="integer convolution (exact)", case=case)
        return
    magnitude = expected({**case, "x": np.abs(case["x"]), "w": np.abs(case["w"])}).astype(np.float64)
    terms = (case["x"].shape[1] // case["groups"]) * int(np.prod(case["w"].shape[2:]))
    # accumulated in the operand dtype at least (float32 operands may be summed in float32 whatever is preferred)
    assert_within_rounding(got, exact, magnitude, terms, case["x"].dtype.name, what="convolution (within rounding)",
                           case=case)


register(Identity(
    "native-lax-conv-general-dilated-follows-its-definition",
    "jax.lax.conv_general_dilated with any dimension_numbers, strides, negative or positive (low, high) padding, "
    "lhs and rhs dilation, feature and batch groups and preferred_element_type computes XLA's convolution: "
    "the input dilated with zeros, padded or cropped, correlated with the dilated kernel per group.",
    "conv_general_dilated(x, w, s, pads, lhs_d, rhs_d, dn, G, B, T) == conv(crop_pad(dilate(x, lhs_d)), w; s, rhs_d, G) per batch group",
    lambda: ["jax.lax"], lax_cases, _check_lax, tags=("native", "jax"),
))
