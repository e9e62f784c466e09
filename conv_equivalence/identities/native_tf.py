"""Library-native exploration of TensorFlow's ``tf.nn.conv1d``, ``tf.nn.conv2d`` and
``tf.nn.conv2d_transpose``: the arguments in every form their documentation allows, beyond the
torch translation the agreement identities use.

Drawn: ``data_format`` channels-last (``NWC``/``NHWC``) or channels-first (``NCW``/``NCHW``);
``strides`` and ``dilations`` as an int, a list of one value, one value a spatial axis, or the
full-rank list with ones on the batch and channel axes; ``padding`` ``"SAME"``, ``"VALID"`` or,
for ``conv2d``, the explicit list of ``(before, after)`` pairs a dimension (zeros on batch and
channels); grouped filters (``C_in`` a multiple of the filter's input depth); and for
``conv2d_transpose`` every ``output_shape`` the forward convolution maps onto the input's shape.

The expected answer, on the oracle: the forward ones are `oracle.conv` with the pads
(``"SAME"``: `framework_same_pads`); ``conv2d_transpose`` is the adjoint of the forward
convolution from ``output_shape`` to the input's shape: the full transposed convolution placed at
``-before`` in an ``output_shape`` window (samples the forward convolution never reads are zero).
Channels-first data on the CPU needs oneDNN (TensorFlow's default) and is refused by the CPU
transposed kernel ("only supports NHWC"): a refusal (pitfall P29), not a wrong answer. Float64 and float32 operands;
float32 leaves out strided axes shorter than the kernel (known issue
``tensorflow-cpu-strided-short-axis-garbage``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from conv_equivalence import oracle
from conv_equivalence.identities import Identity, IdentityFailure, assert_within_rounding, register
from conv_equivalence.problem import framework_same_pads

FUNCTIONS = ("conv1d", "conv2d", "conv2d_transpose")


def _form(draw: st.DrawFn, values: tuple[int, ...], channels_last: bool) -> Any:
    """``values`` (one a spatial axis) in a form TensorFlow accepts: an int or ``[v]`` when all are
    equal, the per-axis list, or the full-rank list with ones on the batch and channel axes."""
    forms: list[Any] = [list(values), ([1, *values, 1] if channels_last else [1, 1, *values])]
    if len(set(values)) == 1:
        forms += [values[0], [values[0]]]
    return draw(st.sampled_from(forms))


@st.composite
def tf_cases(draw: st.DrawFn, target: str) -> dict[str, Any]:
    """One call: the function, its arguments in TensorFlow's own forms, and the arrays in ``(N, C, *S)``/``(O, I, *K)``."""
    function = draw(st.sampled_from(FUNCTIONS))
    nd = 1 if function == "conv1d" else 2
    transposed = function == "conv2d_transpose"
    groups = 1 if transposed else draw(st.sampled_from((1, 2)))
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 2)) * groups, draw(st.integers(1, 2)) * groups
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    # the CPU kernels refuse stride with dilation, and dilation in the transposed one (declared capabilities)
    dilated = not transposed and all(s == 1 for s in strides) and draw(st.booleans())
    dilations = tuple(draw(st.integers(1, 2)) if dilated else 1 for _ in range(nd))
    channels_last = draw(st.booleans())
    padding: Any = draw(st.sampled_from(("SAME", "VALID", "EXPLICIT") if function == "conv2d" else ("SAME", "VALID")))
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilations)]
    if padding == "EXPLICIT":
        pairs = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(nd)]
        padding = [[0, 0], *map(list, pairs), [0, 0]] if channels_last else [[0, 0], [0, 0], *map(list, pairs)]
    case: dict[str, Any] = {"function": function, "groups": groups, "strides": strides, "dilations": dilations,
                            "channels_last": channels_last, "padding": padding, "output_shape": None,
                            "strides_arg": _form(draw, strides, channels_last),
                            "dilations_arg": _form(draw, dilations, channels_last)}
    if transposed:
        # the forward convolution maps out_len samples to the input's n: SAME ceil(L / s) = n, VALID ceil((L - e + 1) / s) = n
        lows = [(size - 1) * s + 1 if padding == "SAME" else (size - 1) * s + e for size, s, e in zip(spatial, strides, span)]
        case["output_shape"] = tuple(draw(st.integers(lo, lo + s - 1)) for lo, s in zip(lows, strides))
    else:
        pads = _pads(case, spatial, kernel)
        assume(all(size + lo + hi >= e for size, (lo, hi), e in zip(spatial, pads, span)))
    dtype = draw(st.sampled_from(("float64", "float32")))
    if dtype == "float32":  # the known issue tensorflow-cpu-strided-short-axis-garbage
        assume(all(s == 1 or size >= k for s, size, k in zip(strides, case["output_shape"] or spatial, span)))
    values = st.integers(-4, 4).map(float)
    x_shape = (n, c_out if transposed else c_in, *spatial)
    w_shape = (c_out, c_in // groups, *kernel)
    case["x"] = np.array(draw(st.lists(values, min_size=int(np.prod(x_shape)), max_size=int(np.prod(x_shape))))
                         ).reshape(x_shape).astype(dtype)
    case["w"] = np.array(draw(st.lists(values, min_size=int(np.prod(w_shape)), max_size=int(np.prod(w_shape))))
                         ).reshape(w_shape).astype(dtype)
    return case


def _pads(case: dict[str, Any], spatial: tuple[int, ...], kernel: tuple[int, ...]) -> list[tuple[int, int]]:
    """Per-axis ``(before, after)`` pads of the forward convolution over ``spatial``."""
    padding = case["padding"]
    if padding == "SAME":
        return list(framework_same_pads(spatial, kernel, case["strides"], case["dilations"]))
    if padding == "VALID":
        return [(0, 0)] * len(spatial)
    pairs = padding[1:-1] if case["channels_last"] else padding[2:]
    return [(lo, hi) for lo, hi in pairs]


def expected(case: dict[str, Any], x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """TensorFlow's documented answer in ``(N, C, *S)`` order, on the oracle."""
    if case["function"] != "conv2d_transpose":
        pads = _pads(case, x.shape[2:], w.shape[2:])
        return oracle.conv(x, w, None, case["strides"], tuple(pads), case["dilations"], case["groups"])
    # x is the forward convolution's output (N, C_out, *n); w is (C_out, C_in, *K)
    out_shape = case["output_shape"]
    pads = _pads(case, out_shape, w.shape[2:])
    full = oracle.conv_transpose(x, w, None, case["strides"])
    window = np.zeros((*full.shape[:2], *out_shape))
    take = tuple(slice(lo, min(lo + size, f)) for (lo, _), size, f in zip(pads, out_shape, full.shape[2:]))
    window[(slice(None), slice(None), *(slice(0, t.stop - t.start) for t in take))] = full[(slice(None), slice(None), *take)]
    return window


def _call(case: dict[str, Any]) -> np.ndarray:
    from conv_equivalence.backends.tensorflow_nn import _tf

    tf = _tf()
    x, w = case["x"], case["w"]
    last = case["channels_last"]
    nd = x.ndim - 2
    data = np.moveaxis(x, 1, -1) if last else x
    formats = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW")}[nd]
    data_format = formats[0] if last else formats[1]
    function = case["function"]
    if function == "conv2d_transpose":
        filters = np.transpose(w, (2, 3, 1, 0))  # (C_out, C_in, H, W) -> (H, W, C_in, C_out): HW + (output, input) depth
        n, c = x.shape[0], w.shape[1]
        shape = [n, *case["output_shape"], c] if last else [n, c, *case["output_shape"]]
        y = tf.nn.conv2d_transpose(tf.constant(data), tf.constant(filters), shape, case["strides_arg"],
                                   case["padding"], data_format=data_format, dilations=case["dilations_arg"])
    else:
        filters = np.transpose(w, (*range(2, 2 + nd), 1, 0))  # OI + K -> K + IO
        call = tf.nn.conv1d if function == "conv1d" else tf.nn.conv2d
        stride = case["strides_arg"]
        y = call(tf.constant(data), tf.constant(filters), stride, case["padding"], data_format=data_format,
                 dilations=case["dilations_arg"])
    out = y.numpy()
    return np.moveaxis(out, -1, 1) if last else out


def _check_tf(target: str, case: dict[str, Any]) -> None:
    arguments = {k: case[k] for k in ("function", "strides_arg", "dilations_arg", "padding", "output_shape")}
    arguments["data_format"] = "channels-last" if case["channels_last"] else "channels-first"
    try:
        got = _call(case)
    except Exception as exc:  # noqa: BLE001 - a refusal of documented arguments is the finding
        if not case["channels_last"] and "NHWC" in str(exc):
            return  # channels-first: the CPU transposed kernel, and every kernel without oneDNN, want NHWC (P29)
        raise IdentityFailure(f"tf.nn.{case['function']} {arguments} refused: {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:200]}", case=case) from None
    x, w = case["x"].astype(np.float64), case["w"].astype(np.float64)
    exact, magnitude = expected(case, x, w), expected(case, np.abs(x), np.abs(w))
    channels = w.shape[0] if case["function"] == "conv2d_transpose" else w.shape[1]  # summed per output
    assert_within_rounding(got, exact, magnitude, channels * int(np.prod(w.shape[2:])), case["x"].dtype.name,
                           what=f"tf.nn.{case['function']} {arguments}", case=case)


register(Identity(
    "native-tensorflow-arguments-follow-their-definition",
    "tf.nn.conv1d, tf.nn.conv2d and tf.nn.conv2d_transpose give the same convolution whichever data_format "
    "(channels last or first), whichever form of strides and dilations (int, [v], per axis, full rank), "
    "'SAME', 'VALID' or explicit padding, grouped filters, and for the transpose every output_shape that "
    "the forward convolution maps onto the input.",
    "tf.nn.conv2d(x, w, s, pads, data_format) == conv(x, w; s, pads);  conv2d_transpose(y, w, out_shape, s, p) == adjoint of conv(out_shape -> y.shape)",
    lambda: ["tensorflow"], tf_cases, _check_tf, tags=("native", "tensorflow"),
))
