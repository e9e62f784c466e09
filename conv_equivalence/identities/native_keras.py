"""Library-native exploration of Keras 3's ``keras.ops.conv``, ``conv_transpose``, ``depthwise_conv`` and
``separable_conv``, on each Keras backend (targets ``keras[torch]``, ``keras[jax]``, ``keras[tensorflow]``):
the arguments in every form the documentation allows, beyond the translation the agreement identities use.

Drawn: ``data_format`` ``channels_last`` (the default, also left unset) or ``channels_first``; ``strides``
and ``dilation_rate`` as an int or a per-axis tuple; ``padding`` ``"valid"`` or ``"same"``; grouped
kernels for ``conv`` (the input depth a multiple of the kernel's); a depth multiplier for
``depthwise_conv``; ``separable_conv``'s depthwise then pointwise kernels; ``conv_transpose`` with
``output_padding=None`` (Keras's own output length: ``n * s`` for ``"same"``, ``n * s + max(k - s, 0)`` for
``"valid"``).

The expected answers, on the oracle: ``conv`` is `oracle.conv` with the pads (``"same"``:
`problem.framework_same_pads`); ``depthwise_conv`` is the grouped convolution with ``groups = C_in``;
``separable_conv`` is that followed by a 1x1 convolution; ``conv_transpose`` is the adjoint of the forward
convolution from its output length to the input's (as TensorFlow's ``conv2d_transpose``,
`native_tf.expected`). Float64 operands (JAX in 64-bit mode) of small integers: every sum is exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from conv_equivalence import oracle
from conv_equivalence.backends.keras_ops import KERAS_BACKENDS, call
from conv_equivalence.identities import Identity, IdentityFailure, assert_close, register
from conv_equivalence.identities.native_tf import expected as tf_expected
from conv_equivalence.problem import framework_same_pads

FUNCTIONS = ("conv", "conv_transpose", "depthwise_conv", "separable_conv")


def _array(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    size = int(np.prod(shape))
    return np.array(draw(st.lists(st.integers(-4, 4), min_size=size, max_size=size)), dtype=np.float64).reshape(shape)


@st.composite
def keras_cases(draw: st.DrawFn, target: str) -> dict[str, Any]:
    """One call: the function, its arguments in Keras's forms, the arrays in ``(N, C, *S)`` order."""
    function = draw(st.sampled_from(FUNCTIONS))
    nd = draw(st.integers(1, 2))
    transposed = function == "conv_transpose"
    n, c_in = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    tensorflow = target == "keras[tensorflow]"
    strides = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    if tensorflow and function in ("depthwise_conv", "separable_conv"):
        strides = (strides[0],) * nd  # TensorFlow's depthwise kernel takes equal strides only (a declared refusal)
    # TensorFlow's CPU kernels refuse stride with dilation, and dilation in the transposed one
    dilated = not transposed and all(s == 1 for s in strides) and draw(st.booleans())
    dilations = tuple(draw(st.integers(1, 2)) if dilated else 1 for _ in range(nd))
    padding = draw(st.sampled_from(("valid", "same")))
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilations)]
    if not transposed and padding == "valid":
        spatial = tuple(max(size, e) for size, e in zip(spatial, span))
    case: dict[str, Any] = {"function": function, "padding": padding, "strides": strides, "dilations": dilations,
                            "data_format": draw(st.sampled_from((None, "channels_last", "channels_first"))),
                            "strides_arg": strides if len(set(strides)) > 1 or draw(st.booleans()) else strides[0],
                            "dilations_arg": dilations if len(set(dilations)) > 1 or draw(st.booleans()) else dilations[0]}
    case["x"] = _array(draw, (n, c_in, *spatial))
    if function == "conv":
        groups = draw(st.sampled_from([g for g in (1, 2, 3) if c_in % g == 0]))
        case["w"] = _array(draw, (draw(st.integers(1, 2)) * groups, c_in // groups, *kernel))
        case["groups"] = groups
    elif function == "conv_transpose":
        case["w"] = _array(draw, (c_in, draw(st.integers(1, 2)), *kernel))  # torch's (C_in, C_out, *K)
    else:
        case["w"] = _array(draw, (c_in * draw(st.integers(1, 2)), 1, *kernel))  # depthwise (C_in * m, 1, *K)
        if function == "separable_conv":
            case["pointwise"] = _array(draw, (draw(st.integers(1, 2)), case["w"].shape[0], *(1,) * nd))
    return case


def _keras_kernel(case: dict[str, Any]) -> np.ndarray:
    w, function = case["w"], case["function"]
    if function in ("conv", "conv_transpose"):  # (O, I, *K) -> (*K, I, O);  (C_in, C_out, *K) -> (*K, C_out, C_in)
        return np.moveaxis(w, (0, 1), (-1, -2))
    c_in = case["x"].shape[1]
    return np.moveaxis(w[:, 0].reshape(c_in, w.shape[0] // c_in, *w.shape[2:]), (0, 1), (-2, -1))


def _call(backend: str, case: dict[str, Any]) -> np.ndarray:
    first = case["data_format"] == "channels_first"
    x = case["x"] if first else np.moveaxis(case["x"], 1, -1)
    kernel = _keras_kernel(case)
    common = {"strides": case["strides_arg"], "padding": case["padding"]}
    if case["data_format"] is not None:
        common["data_format"] = case["data_format"]
    function = case["function"]
    if function == "conv_transpose":
        y = call(backend, lambda k: k.ops.conv_transpose(x, kernel, **common), "float64")
    elif function == "separable_conv":
        pointwise = np.moveaxis(case["pointwise"], (0, 1), (-1, -2))
        y = call(backend, lambda k: k.ops.separable_conv(x, kernel, pointwise, dilation_rate=case["dilations_arg"],
                                                         **common), "float64")
    else:
        y = call(backend, lambda k: getattr(k.ops, function)(x, kernel, dilation_rate=case["dilations_arg"], **common),
                 "float64")
    return y if first else np.moveaxis(y, -1, 1)


def expected(case: dict[str, Any]) -> np.ndarray:
    """Keras's documented answer in ``(N, C, *S)`` order, on the oracle."""
    x, w, function = case["x"], case["w"], case["function"]
    strides, dilations = case["strides"], case["dilations"]
    if function == "conv_transpose":
        spatial, span = x.shape[2:], w.shape[2:]
        out = [n * s + (max(k - s, 0) if case["padding"] == "valid" else 0) for n, s, k in zip(spatial, strides, span)]
        # torch's transposed weight (C_in, C_out, *K) is the forward convolution's (C_out', C_in', *K)
        return tf_expected({"function": "conv2d_transpose", "output_shape": tuple(out), "padding": case["padding"].upper(),
                            "strides": strides, "dilations": dilations, "channels_last": True}, x, w)
    pads = (framework_same_pads(x.shape[2:], w.shape[2:], strides, dilations) if case["padding"] == "same"
            else ((0, 0),) * (x.ndim - 2))
    groups = case.get("groups", x.shape[1])
    y = oracle.conv(x, w, None, strides, pads, dilations, groups)
    if function == "separable_conv":
        y = oracle.conv(y, case["pointwise"], None, 1, 0, 1, 1)
    return y


def _check(target: str, case: dict[str, Any]) -> None:
    backend = target[target.index("[") + 1:target.index("]")]
    arguments = {k: case[k] for k in ("function", "data_format", "strides_arg", "dilations_arg", "padding")}
    try:
        got = _call(backend, case)
    except Exception as exc:  # noqa: BLE001 - a refusal of documented arguments is the finding
        if backend == "tensorflow" and case["data_format"] == "channels_first":
            return  # TensorFlow's CPU kernels take channels last only (pitfall P29): a refusal, not a wrong answer
        raise IdentityFailure(f"keras.ops.{case['function']} {arguments} on {backend} refused: {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:200] if str(exc) else ''}", case=case) from None
    want = expected(case)
    if got.shape != want.shape:
        raise IdentityFailure(f"keras.ops.{case['function']} {arguments} on {backend}: shape {got.shape}, the "
                              f"definition's {want.shape}", case=case, left=got, right=want)
    assert_close(got, want, 0.0, what=f"keras.ops.{case['function']} {arguments} on {backend}", case=case)


register(Identity(
    "native-keras-arguments-follow-their-definition",
    "keras.ops.conv, conv_transpose, depthwise_conv and separable_conv give the same convolution on every Keras "
    "backend, whichever data_format, whichever form of strides and dilation_rate (int or per axis), 'valid' or "
    "'same' (TensorFlow's: ceil(n / s) outputs), grouped kernels, depth multipliers, and conv_transpose's own "
    "output length (n * s for 'same', n * s + max(k - s, 0) for 'valid').",
    "keras.ops.conv(x, k, s, 'same') == conv(x, k; s, framework_same_pads);  conv_transpose == adjoint of conv",
    lambda: [f"keras[{b}]" for b in KERAS_BACKENDS], keras_cases, _check, tags=("native", "keras"),
))
