"""Library-native exploration of MLX's convolutions (``mlx.core``, CPU): ``conv_general`` with its own
arguments, ``conv_transpose1d``/``2d`` with an ``output_padding`` torch would refuse, and ``convolve``'s
NumPy modes.

Drawn, in MLX's channels-last layout (input ``(N, *S, C_in)``, weight ``(C_out, *K, C_in/groups)``):

* ``conv_general``: ``stride``, ``kernel_dilation`` and ``input_dilation`` as an int or one value an axis;
  ``padding`` as an int, one int an axis, or a ``(low, high)`` pair of lists that may hold -1 (a negative
  pad crops the input; drawn only on axes without input dilation, where MLX crops before dilating: the known
  issue ``mlx-negative-padding-crops-before-input-dilation``); ``groups``; ``flip``;
* ``conv_transposeNd``: ``stride``, ``padding``, ``dilation``, ``groups`` and an ``output_padding`` up to
  ``stride + 1``, past torch's limit (``output_padding < max(stride, dilation)``): the extra samples read
  only padding, so they are zeros, or the cropped samples of the full scatter;
* ``convolve(a, v, mode)`` for 'full', 'same' and 'valid', either operand the longer;

in float32, float16 and bfloat16 on small integers (every sum exact). The expected answers, on the oracle:
``conv_general`` is XLA's definition step by step (dilate the input with zeros, pad or crop it, flip the
kernel for ``flip=True``, then `oracle.conv` with stride, kernel dilation and groups); ``conv_transposeNd``
the scatter `oracle.conv_transpose` of the whole input, zero-extended at the end and cut at ``padding``;
``convolve`` is ``numpy.convolve``.

A catalogued belief: ``mx.convolve``, unlike ``np.convolve``, refuses integer arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle
from conv_equivalence.identities import Identity, IdentityFailure, assert_close, register
from conv_equivalence.identities.misconceptions import belief, pairs

FUNCTIONS = ("conv_general", "conv_transpose", "convolve")
DTYPES = ("float32", "float16", "bfloat16")
_VALUES = st.integers(-3, 3).map(float)


def _form(draw: st.DrawFn, values: tuple[int, ...]) -> Any:
    """An int when every axis has the same value (drawn either way), else one value an axis."""
    return values[0] if len(set(values)) == 1 and draw(st.booleans()) else list(values)


def _array(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    return draw(hnp.arrays(np.float64, shape, elements=_VALUES))


@st.composite
def mlx_cases(draw: st.DrawFn, target: str) -> dict[str, Any]:
    """One call: the function, its arguments in MLX's forms, and the arrays in ``(N, C, *S)``/``(O, I, *K)`` order."""
    function = draw(st.sampled_from(FUNCTIONS))
    dtype = draw(st.sampled_from(DTYPES))
    if function == "convolve":
        a, v = _array(draw, (draw(st.integers(1, 5)),)), _array(draw, (draw(st.integers(1, 5)),))
        return {"function": function, "dtype": dtype, "a": a, "v": v,
                "mode": draw(st.sampled_from(("full", "same", "valid")))}
    nd = draw(st.sampled_from((1, 2)))
    groups = draw(st.sampled_from((1, 2)))
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 2)) * groups, draw(st.integers(1, 2)) * groups
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    case: dict[str, Any] = {"function": function, "dtype": dtype, "groups": groups, "stride": stride,
                            "dilation": dilation, "stride_arg": _form(draw, stride), "dilation_arg": _form(draw, dilation)}
    if function == "conv_general":
        input_dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
        pairs_ = tuple((draw(st.integers(-1 if i == 1 else 0, 2)), draw(st.integers(-1 if i == 1 else 0, 2)))
                       for i in input_dilation)
        how = draw(st.sampled_from(("int", "list", "pairs")))
        if how != "pairs" or all(lo == hi for lo, hi in pairs_):
            pairs_ = tuple((lo, lo) for lo, _ in pairs_)
            padding: Any = pairs_[0][0] if how == "int" and len(set(pairs_)) == 1 else [lo for lo, _ in pairs_]
        else:
            padding = ([lo for lo, _ in pairs_], [hi for _, hi in pairs_])
        for size, di, (lo, hi), k, d in zip(spatial, input_dilation, pairs_, kernel, dilation):
            assume((size - 1) * di + 1 + lo + hi >= d * (k - 1) + 1)  # at least one output sample
        case.update(input_dilation=input_dilation, input_dilation_arg=_form(draw, input_dilation), pads=pairs_,
                    padding=padding, flip=draw(st.booleans()))
        x, w = _array(draw, (n, c_in, *spatial)), _array(draw, (c_out, c_in // groups, *kernel))
    else:
        # the known issue mlx-negative-padding-crops-before-input-dilation: padding > d(k-1) only without stride
        padding_t = tuple(draw(st.integers(0, d * (k - 1) if s > 1 else 2)) for k, d, s in zip(kernel, dilation, stride))
        output_padding = tuple(draw(st.integers(0, s + 1)) for s in stride)
        out = [(size - 1) * s - 2 * p + d * (k - 1) + op + 1
               for size, s, p, d, k, op in zip(spatial, stride, padding_t, dilation, kernel, output_padding)]
        assume(all(o >= 1 for o in out))
        case.update(padding=padding_t, output_padding=output_padding, out=tuple(out))
        x, w = _array(draw, (n, c_in, *spatial)), _array(draw, (c_in, c_out // groups, *kernel))  # torch's layout
    case.update(x=x, w=w)
    return case


def _dilate(x: np.ndarray, factors: tuple[int, ...]) -> np.ndarray:
    """Zeros inserted between the samples of every spatial axis (``factor - 1`` of them)."""
    shape = (*x.shape[:2], *((n - 1) * f + 1 for n, f in zip(x.shape[2:], factors)))
    out = np.zeros(shape)
    out[(slice(None), slice(None), *(slice(None, None, f) for f in factors))] = x
    return out


def expected(case: dict[str, Any], x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """MLX's documented answer in ``(N, C, *S)`` order (for ``convolve``: 1-D), on the oracle."""
    function = case["function"]
    if function == "convolve":
        return np.convolve(x, w, case["mode"])
    if function == "conv_general":
        xd = _dilate(x, case["input_dilation"])
        crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(xd.shape[2:], case["pads"]))
        xd = xd[(slice(None), slice(None), *crop)]
        pads = tuple((max(lo, 0), max(hi, 0)) for lo, hi in case["pads"])
        kernel = np.flip(w, axis=tuple(range(2, w.ndim))) if case["flip"] else w
        return oracle.conv(xd, kernel, None, case["stride"], pads, case["dilation"], case["groups"])
    full = oracle.conv_transpose(x, w, None, case["stride"], 0, 0, case["groups"], case["dilation"])
    longer = np.zeros((*full.shape[:2], *(max(f, p + o) for f, p, o in zip(full.shape[2:], case["padding"], case["out"]))))
    longer[(slice(None), slice(None), *(slice(0, f) for f in full.shape[2:]))] = full
    return longer[(slice(None), slice(None), *(slice(p, p + o) for p, o in zip(case["padding"], case["out"])))]


def _call(case: dict[str, Any]) -> np.ndarray:
    from conv_equivalence.backends.mlx_conv import _mx, forward_weight, mx_array, to_numpy, transposed_weight

    mx, dtype, function = _mx(), case["dtype"], case["function"]
    if function == "convolve":
        return to_numpy(mx.convolve(mx_array(case["a"], dtype), mx_array(case["v"], dtype), case["mode"],
                                    stream=mx.cpu), dtype)
    x = mx_array(np.moveaxis(case["x"], 1, -1), dtype)
    if function == "conv_general":
        y = mx.conv_general(x, mx_array(forward_weight(case["w"]), dtype), stride=case["stride_arg"],
                            padding=case["padding"], kernel_dilation=case["dilation_arg"],
                            input_dilation=case["input_dilation_arg"], groups=case["groups"], flip=case["flip"],
                            stream=mx.cpu)
    else:
        nd = case["x"].ndim - 2
        one = (lambda v: v[0]) if nd == 1 else tuple  # conv_transpose1d takes ints, 2d tuples
        y = getattr(mx, f"conv_transpose{nd}d")(
            x, mx_array(transposed_weight(case["w"], case["groups"]), dtype), stride=one(case["stride"]),
            padding=one(case["padding"]), dilation=one(case["dilation"]), output_padding=one(case["output_padding"]),
            groups=case["groups"], stream=mx.cpu)
    return np.moveaxis(to_numpy(y, dtype), -1, 1)


def _check_mlx(target: str, case: dict[str, Any]) -> None:
    shown = {k: v for k, v in case.items() if k not in ("x", "w", "a", "v", "pads", "out")}
    try:
        got = _call(case)
    except Exception as exc:  # noqa: BLE001 - a refusal of documented arguments is the finding
        raise IdentityFailure(f"mlx.core.{case['function']} {shown} refused: {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:200]}", case=case) from None
    if case["function"] == "convolve":
        exact = expected(case, case["a"], case["v"])
    else:
        exact = expected(case, case["x"], case["w"])
    # small integers: every product and sum is exact in float16 and bfloat16 (|sum| <= 2 * 3 * 3 * 9 < 256)
    assert_close(np.asarray(got, dtype=np.float64), exact, 0.0, what=f"mlx.core.{case['function']} {shown}", case=case)


register(Identity(
    "native-mlx-arguments-follow-their-definition",
    "MLX's conv_general gives XLA's convolution for every form of its own arguments (int or per-axis stride, "
    "kernel and input dilation; int, per-axis or (low, high) padding, negative pads cropping; groups; flip), "
    "conv_transpose1d/2d the scatter definition for every output_padding up to stride + 1 (past torch's limit: "
    "the extra samples are zeros), and convolve numpy.convolve's three modes, in float32, float16 and bfloat16.",
    "conv_general(x, w, s, (lo, hi), kd, id, g, flip) == conv(crop_pad(dilate(x, id), lo, hi), flip?(w); s, kd, g);  "
    "convolve(a, v, mode) == np.convolve(a, v, mode)",
    lambda: ["mlx"], mlx_cases, _check_mlx, tags=("native", "mlx"),
))


def _mx_convolve(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    from conv_equivalence.backends.mlx_conv import _mx

    mx = _mx()
    return np.array(mx.convolve(mx.array(a), mx.array(v), stream=mx.cpu))


def _int_pairs() -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    return pairs(dtype=np.int64)


belief(
    "mlx-convolve-takes-integers", "mlx.core",
    "Belief: mlx.core.convolve, like numpy.convolve, convolves integer arrays (into integers).",
    "mx.convolve(a, v) == np.convolve(a, v)   (int64 a, v)", _int_pairs(),
    lambda c: (_mx_convolve(*c), np.convolve(*c)),
    lambda c: (_mx_convolve(c[0].astype(np.float32), c[1].astype(np.float32)), np.convolve(*c).astype(np.float32)),
    "mx.convolve(a.astype(float32), v.astype(float32)) == np.convolve(a, v)   (floats only)",
    "MLX's convolutions accept floating-point arrays only: integer input raises ValueError ('[conv] Invalid input "
    "array with type int64. Convolution currently only supports floating point types'), where numpy.convolve "
    "returns integers. Any input shows it: one element each, 2 elements.", 2, ("dtype", "mlx"),
    script="""
    a, v = np.array([1], dtype=np.int64), np.array([1], dtype=np.int64)
    # the belief: numpy.convolve's answer, [1] in int64
    expected = np.array([1])
    actual = attempt(lambda: np.array(mlx.core.convolve(mlx.core.array(a), mlx.core.array(v))))
    """,
)
