"""Library-native exploration of Flax's and Equinox's convolution layers: their own arguments, beyond the
torch translation the agreement identities use.

Flax (target ``flax``): ``linen``/``nnx`` ``Conv`` with ``padding`` ``'SAME'``, ``'VALID'``,
``'CIRCULAR'``, ``'REFLECT'``, ``'CAUSAL'`` (1-D), an int, per-axis ints or ``(low, high)`` pairs,
``strides``/``kernel_dilation`` as int or tuple, ``input_dilation``, ``feature_group_count``, and inputs
without a batch axis or with two; ``ConvTranspose`` with ``transpose_kernel`` either way and ``'SAME'``,
``'VALID'`` or pairs. Expected, on the oracle, as the docstrings define them: ``Conv`` pads (``'CIRCULAR'``/
``'REFLECT'``: ``((k'-1)//2, k'//2)`` by ``wrap``/``reflect``; ``'CAUSAL'``: ``(d(k-1), 0)``; ``'SAME'``: TensorFlow's
on the input-dilated shape), dilates the input with zeros, then correlates; ``ConvTranspose`` is
``jax.lax.conv_transpose``: the input dilated by the strides, padded by the pairs (or the strings' pads), correlated
with the kernel (flipped and in/out swapped with ``transpose_kernel``).

Equinox (target ``equinox``): ``Conv``/``Conv1d``/``Conv2d`` with ``padding`` as int, ints, pairs or the strings in
either case (``'same'``, ``'SAME_LOWER'``, ``'valid'``), ``padding_mode`` in either case (all four), stride,
dilation, groups and bias, on one unbatched example; ``ConvTranspose`` checked against its documented meaning:
with the weight of its FAQ (flipped, in/out swapped per group) it is the ADJOINT of the ``Conv`` with the same
``kernel_size``, ``stride``, ``padding``, ``dilation``, ``groups`` and ``padding_mode`` (``'ZEROS'``, or
``'CIRCULAR'`` with ``'SAME'``/``'SAME_LOWER'``) from its output's shape to its input's.

Also the belief ``flax-convtranspose-padding-is-torch-padding``: Flax's ``ConvTranspose`` pads the dilated input
by ``padding`` where torch's ``ConvTranspose`` pads it by ``d(k-1) - padding`` (nnx's docstring says so).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from conv_equivalence import oracle
from conv_equivalence.identities import Identity, IdentityFailure, assert_within_rounding, register
from conv_equivalence.identities.misconceptions import belief
from conv_equivalence.problem import framework_same_pads

_VALUES = st.integers(-4, 4).map(float)


def _array(draw: st.DrawFn, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    size = int(np.prod(shape))
    return np.array(draw(st.lists(_VALUES, min_size=size, max_size=size)), dtype=np.float64).reshape(shape).astype(dtype)


def _dilate(x: np.ndarray, factors: tuple[int, ...]) -> np.ndarray:
    """Zeros inserted between the samples of each spatial axis (``lhs_dilation``)."""
    shape = (*x.shape[:2], *((n - 1) * f + 1 for n, f in zip(x.shape[2:], factors)))
    out = np.zeros(shape, dtype=x.dtype)
    out[(slice(None), slice(None), *(slice(None, None, f) for f in factors))] = x
    return out


def _form(draw: st.DrawFn, values: tuple[int, ...]) -> Any:
    return draw(st.sampled_from([values, values[0]] if len(set(values)) == 1 else [values]))


# -- Flax ---------------------------------------------------------------------------------------------------

@st.composite
def flax_cases(draw: st.DrawFn, target: str) -> dict[str, Any]:
    layer = draw(st.sampled_from(("Conv", "ConvTranspose")))
    nd = draw(st.sampled_from((1, 2)))
    transposed = layer == "ConvTranspose"
    groups = 1 if transposed else draw(st.sampled_from((1, 2)))
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 2)) * groups, draw(st.integers(1, 2)) * groups
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    spatial = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    strides = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    kinds = ["SAME", "VALID", "pairs"] + ([] if transposed else ["CIRCULAR", "REFLECT", "int", "ints"]
                                          + (["CAUSAL"] if nd == 1 else []))
    kind = draw(st.sampled_from(kinds))
    pairs = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(nd))
    padding: Any = {"pairs": pairs, "int": pairs[0][0], "ints": tuple(p for p, _ in pairs)}.get(kind, kind)
    explicit = kind in ("pairs", "int", "ints")  # lax refuses string padding with input dilation
    input_dilation = tuple(draw(st.integers(1, 2)) if explicit and not transposed else 1 for _ in range(nd))
    if kind == "REFLECT":  # numpy's reflect needs two samples to reflect a pad
        assume(all(s > 1 or d * (k - 1) == 0 for s, k, d in zip(spatial, kernel, dilation)))
    case: dict[str, Any] = dict(
        api=draw(st.sampled_from(("linen", "nnx"))), layer=layer, kernel=kernel, groups=groups, padding=padding,
        strides=strides, strides_arg=_form(draw, strides), dilation=dilation, dilation_arg=_form(draw, dilation),
        input_dilation=input_dilation, transpose_kernel=transposed and draw(st.booleans()),
        batch=draw(st.sampled_from(("one", "none", "two"))), dtype=draw(st.sampled_from(("float64", "float32"))))
    if case["batch"] != "one":
        n = 1 if case["batch"] == "none" else 2
    case["x"] = _array(draw, (n, c_in, *spatial), case["dtype"])
    case["w"] = _array(draw, (c_out, c_in // groups, *kernel), case["dtype"])  # the forward (O, I, *K) kernel
    case["bias"] = _array(draw, (c_out,), case["dtype"]) if draw(st.booleans()) else None
    try:
        flax_expected(case)
    except ValueError:  # no output sample
        assume(False)
    return case


def lax_transpose_pads(case: dict[str, Any]) -> list[tuple[int, int]]:
    from conv_equivalence.backends.flax_conv import lax_transpose_string_pads

    padding = case["padding"]
    if isinstance(padding, str):
        return [lax_transpose_string_pads(k, s, d, padding) for k, s, d in zip(case["kernel"], case["strides"], case["dilation"])]
    return list(padding)


def flax_expected(case: dict[str, Any]) -> np.ndarray:
    """The layer's documented answer in ``(N, C, *S)``, on the oracle (``ValueError`` if it has no sample)."""
    x, w = case["x"].astype(np.float64), case["w"].astype(np.float64)
    kernel, dilation, padding = case["kernel"], case["dilation"], case["padding"]
    pads: Any
    if case["layer"] == "ConvTranspose":
        pads = tuple(lax_transpose_pads(case))
        return oracle.conv(_dilate(x, case["strides"]), w, case["bias"], 1, pads, dilation)
    if padding in ("CIRCULAR", "REFLECT"):
        span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
        x = oracle.extend(x, [((e - 1) // 2, e // 2) for e in span], "wrap" if padding == "CIRCULAR" else "reflect")
        pads = ((0, 0),) * len(kernel)
    elif padding == "CAUSAL":
        pads = ((dilation[0] * (kernel[0] - 1), 0),)
    else:
        x = _dilate(x, case["input_dilation"])
        if padding == "SAME":
            pads = framework_same_pads(x.shape[2:], kernel, case["strides"], dilation)
        elif padding == "VALID":
            pads = ((0, 0),) * len(kernel)
        elif isinstance(padding, int):
            pads = ((padding, padding),) * len(kernel)
        else:
            pads = tuple(p if isinstance(p, tuple) else (p, p) for p in padding)
    return oracle.conv(x, w, case["bias"], case["strides"], tuple(pads), dilation, case["groups"])


def _flax_call(case: dict[str, Any]) -> np.ndarray:
    from conv_equivalence.backends.jax_lax import x64_scope

    nd, transposed = len(case["kernel"]), case["layer"] == "ConvTranspose"
    x, w = np.moveaxis(case["x"], 1, -1), case["w"]
    spatial_first = (*range(2, nd + 2), 1, 0)
    if not transposed:
        kernel = w.transpose(spatial_first)  # (*K, I, O)
    elif case["transpose_kernel"]:  # lax flips and swaps it back to the forward kernel
        kernel = np.flip(w, axis=tuple(range(2, nd + 2))).transpose((*range(2, nd + 2), 0, 1))
    else:
        kernel = w.transpose(spatial_first)
    if case["batch"] == "none":
        x = x[0]
    elif case["batch"] == "two":
        x = x.reshape(2, 1, *x.shape[1:])
    c_in, c_out = case["x"].shape[1], w.shape[0]
    args: dict[str, Any] = dict(kernel_size=case["kernel"], strides=case["strides_arg"], padding=case["padding"],
                                kernel_dilation=case["dilation_arg"], use_bias=case["bias"] is not None)
    if transposed:
        args["transpose_kernel"] = case["transpose_kernel"]
    else:
        args.update(input_dilation=case["input_dilation"], feature_group_count=case["groups"])
    with x64_scope() as jax:
        precision = jax.lax.Precision.HIGHEST
        if case["api"] == "linen":
            import flax.linen as nn

            params = {"kernel": kernel} if case["bias"] is None else {"kernel": kernel, "bias": case["bias"]}
            y = getattr(nn, case["layer"])(c_out, precision=precision, **args).apply({"params": params}, x)
        else:
            from flax import nnx

            layer = getattr(nnx, case["layer"])(c_in, c_out, precision=precision, rngs=nnx.Rngs(0), **args)
            layer.kernel.set_value(jax.numpy.asarray(kernel))
            if case["bias"] is not None:
                layer.bias.set_value(jax.numpy.asarray(case["bias"]))
            y = layer(x)
        out = np.asarray(y)
    out = out.reshape(-1, *out.shape[-nd - 1:])
    return np.moveaxis(out, -1, 1)


def _terms(case: dict[str, Any]) -> int:
    return int(case["w"].shape[1] * np.prod(case["kernel"]))


def _check_flax(target: str, case: dict[str, Any]) -> None:
    what = (f"flax.{case['api']}.{case['layer']}(padding={case['padding']!r}, strides={case['strides_arg']!r}, "
            f"kernel_dilation={case['dilation_arg']!r}, input_dilation={case['input_dilation']}, groups={case['groups']}, "
            f"transpose_kernel={case['transpose_kernel']}, batch axes={case['batch']})")
    try:
        got = _flax_call(case)
    except Exception as exc:  # noqa: BLE001 - a refusal of documented arguments is the finding
        raise IdentityFailure(f"{what} refused: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}", case=case) from None
    exact = flax_expected(case)
    magnitude = flax_expected({**case, "x": np.abs(case["x"]), "w": np.abs(case["w"]),
                               "bias": None if case["bias"] is None else np.abs(case["bias"])})
    assert_within_rounding(got, exact, magnitude, _terms(case), case["dtype"], what=what, case=case)


register(Identity(
    "native-flax-arguments-follow-their-definition",
    "flax.linen and flax.nnx Conv and ConvTranspose compute their documented convolution for every padding "
    "form ('SAME', 'VALID', 'CIRCULAR', 'REFLECT', 'CAUSAL', ints, pairs), int or tuple strides and dilations, "
    "input_dilation, feature groups, transpose_kernel either way, and inputs without or with extra batch axes.",
    "Conv(x) == conv(dilate(pad(x)), w; strides, kernel_dilation);  ConvTranspose(x) == conv(dilate(x, strides), w'; pads)",
    lambda: ["flax"], flax_cases, _check_flax, tags=("native", "flax"),
))


# -- Equinox ------------------------------------------------------------------------------------------------

_MODES = {"ZEROS": "constant", "REFLECT": "reflect", "REPLICATE": "edge", "CIRCULAR": "wrap"}


def _equinox_pads(padding: Any, spatial: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
                  dilation: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """Equinox ``Conv``'s pads for ``padding`` in any of its forms."""
    if isinstance(padding, str):
        name = padding.upper()
        if name == "VALID":
            return ((0, 0),) * len(kernel)
        return framework_same_pads(spatial, kernel, stride, dilation, lower=name == "SAME_LOWER")
    if isinstance(padding, int):
        return ((padding, padding),) * len(kernel)
    return tuple(p if isinstance(p, tuple) else (p, p) for p in padding)


@st.composite
def equinox_cases(draw: st.DrawFn, target: str) -> dict[str, Any]:
    layer = draw(st.sampled_from(("Conv", "ConvTranspose")))
    transposed = layer == "ConvTranspose"
    nd = draw(st.sampled_from((1, 2)))
    groups = draw(st.sampled_from((1, 2)))
    c_in, c_out = draw(st.integers(1, 2)) * groups, draw(st.integers(1, 2)) * groups
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    spatial = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    mode = draw(st.sampled_from(("ZEROS", "CIRCULAR") if transposed else tuple(_MODES)))
    strings = ("SAME", "same", "SAME_LOWER", "same_lower") + (() if mode == "CIRCULAR" and transposed else ("VALID", "valid"))
    kind = draw(st.sampled_from(("string",) if mode == "CIRCULAR" and transposed else ("string", "int", "ints", "pairs")))
    pairs = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(nd))
    padding: Any = {"string": draw(st.sampled_from(strings)), "int": pairs[0][0], "ints": [p for p, _ in pairs],
                    "pairs": list(pairs)}[kind]
    if transposed and kind == "pairs":
        padding = [p for p, _ in pairs]  # its pairs are fine too, but its docstring speaks of symmetric padding
    output_padding = tuple(draw(st.integers(0, s - 1)) if mode == "ZEROS" and transposed else 0 for s in stride)
    case: dict[str, Any] = dict(layer=layer, mode=draw(st.sampled_from((mode, mode.lower()))), kernel=kernel,
                                stride=stride, dilation=dilation, groups=groups, padding=padding,
                                output_padding=output_padding, cls=draw(st.sampled_from(("Conv", f"Conv{nd}d"))),
                                dtype=draw(st.sampled_from(("float64", "float32"))))
    if mode == "REFLECT":  # numpy's reflect needs two samples to reflect a pad
        assume(all(s > 1 for s in spatial))
    case["x"] = _array(draw, (1, c_out if transposed else c_in, *spatial), case["dtype"])
    case["w"] = _array(draw, (c_out, c_in // groups, *kernel), case["dtype"])  # Conv's, or the forward one of the transpose
    case["bias"] = None if transposed else (_array(draw, (c_out,), case["dtype"]) if draw(st.booleans()) else None)
    if transposed and not isinstance(padding, str):  # a non-empty output
        ps = [padding] * nd if isinstance(padding, int) else padding
        assume(all((n - 1) * s - 2 * p + d * (k - 1) + op >= 0
                   for n, s, p, d, k, op in zip(spatial, stride, ps, dilation, kernel, output_padding)))
    if not transposed:
        pads = _equinox_pads(padding, spatial, kernel, stride, dilation)
        assume(all(n + lo + hi >= d * (k - 1) + 1 for n, (lo, hi), k, d in zip(spatial, pads, kernel, dilation)))
    return case


def _equinox_forward(case: dict[str, Any], x: np.ndarray, w: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    pads = _equinox_pads(case["padding"], x.shape[2:], case["kernel"], case["stride"], case["dilation"])
    extended = oracle.extend(x, pads, _MODES[case["mode"].upper()])
    return oracle.conv(extended, w, bias, case["stride"], 0, case["dilation"], case["groups"])


def _equinox_call(case: dict[str, Any], y: np.ndarray) -> np.ndarray:
    """The layer on the one example ``y[0]``, in ``(1, C, *S)``."""
    import equinox as eqx

    from conv_equivalence.backends.jax_lax import transposed_as_forward, x64_scope

    nd, w = len(case["kernel"]), case["w"]
    transposed = case["layer"] == "ConvTranspose"
    with x64_scope() as jax:
        name = ("ConvTranspose" + case["cls"][4:]) if transposed else case["cls"]
        args: dict[str, Any] = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"],
                                    groups=case["groups"], use_bias=case["bias"] is not None, padding_mode=case["mode"],
                                    key=jax.random.PRNGKey(0))
        c_in, c_out = (w.shape[0], w.shape[1] * case["groups"]) if transposed else (w.shape[1] * case["groups"], w.shape[0])
        if transposed:
            args["output_padding"] = case["output_padding"]
            weight = transposed_as_forward(w, case["groups"])  # its FAQ: flipped, in/out swapped (per group)
        else:
            weight = w
        positional = (c_in, c_out, case["kernel"]) if name[-2:] in ("1d", "2d") else (nd, c_in, c_out, case["kernel"])
        layer = eqx.filter_eval_shape(getattr(eqx.nn, name), *positional, **args)  # weights set below
        layer = eqx.tree_at(lambda m: m.weight, layer, jax.numpy.asarray(weight))
        if case["bias"] is not None:
            layer = eqx.tree_at(lambda m: m.bias, layer, jax.numpy.asarray(case["bias"].reshape((-1,) + (1,) * nd)))
        return np.asarray(layer(jax.numpy.asarray(y[0])))[None]


def _adjoint(case: dict[str, Any], y: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``A^T y`` and ``|A|^T |y|`` for the forward ``Conv`` ``A`` on inputs of ``shape`` (``(1, C, *S)``)."""
    size = int(np.prod(shape))
    basis = np.eye(size).reshape(size, *shape[1:])
    w = case["w"].astype(np.float64)
    columns = _equinox_forward(case, basis, w, None)  # (size, C_out, *out): A e_j
    if columns.shape[1:] != y.shape[1:]:
        raise IdentityFailure(f"equinox.nn.ConvTranspose gives shape {shape}, but Conv maps it to {columns.shape[1:]}, "
                              f"not the transpose's input {y.shape[1:]}", case=case)
    flat = columns.reshape(size, -1)
    abs_columns = _equinox_forward(case, basis, np.abs(w), None).reshape(size, -1)
    return (flat @ y.reshape(-1)).reshape(shape), (abs_columns @ np.abs(y).reshape(-1)).reshape(shape)


def _check_equinox(target: str, case: dict[str, Any]) -> None:
    what = (f"equinox.nn.{case['cls'] if case['layer'] == 'Conv' else 'ConvTranspose'}(padding={case['padding']!r}, "
            f"padding_mode={case['mode']!r}, stride={case['stride']}, dilation={case['dilation']}, groups={case['groups']}"
            + (f", output_padding={case['output_padding']})" if case["layer"] == "ConvTranspose" else ")"))
    try:
        got = _equinox_call(case, case["x"])
    except Exception as exc:  # noqa: BLE001 - a refusal of documented arguments is the finding
        raise IdentityFailure(f"{what} refused: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}", case=case) from None
    x, w = case["x"].astype(np.float64), case["w"].astype(np.float64)
    if case["layer"] == "Conv":
        bias = case["bias"]
        exact = _equinox_forward(case, x, w, bias)
        magnitude = _equinox_forward(case, np.abs(x), np.abs(w), None if bias is None else np.abs(bias))
        terms = w.shape[1] * int(np.prod(case["kernel"]))
    else:
        exact, magnitude = _adjoint(case, x, got.shape)
        terms = int(np.prod(x.shape[1:]))
    assert_within_rounding(got, exact, magnitude, terms, case["dtype"], what=what, case=case)


register(Identity(
    "native-equinox-arguments-follow-their-definition",
    "equinox.nn.Conv (and Conv1d/Conv2d) computes its documented convolution for every padding form (int, ints, "
    "pairs, 'SAME'/'SAME_LOWER'/'VALID' in either case) and padding_mode (ZEROS, REFLECT, REPLICATE, CIRCULAR, in "
    "either case); equinox.nn.ConvTranspose with its FAQ's weight is the adjoint of that Conv, output_padding and "
    "CIRCULAR padding included.",
    "Conv(x) == conv(extend(x, pads, mode), w);  <Conv(x), y> == <x, ConvTranspose(y)>",
    lambda: ["equinox"], equinox_cases, _check_equinox, tags=("native", "equinox"),
))


# -- the belief: Flax's ConvTranspose padding is torch's -----------------------------------------------------

@st.composite
def _transpose_cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    x = np.array(draw(st.lists(st.integers(-3, 3), min_size=1, max_size=4)), dtype=np.float64)
    w = np.array(draw(st.lists(st.integers(-3, 3).filter(bool), min_size=1, max_size=4)), dtype=np.float64)
    return x, w, draw(st.integers(0, (x.size + w.size - 2) // 2))  # torch's output stays non-empty


def _flax_transpose(x: np.ndarray, w: np.ndarray, padding: int | tuple[int, int]) -> np.ndarray:
    from conv_equivalence.backends.jax_lax import x64_scope

    with x64_scope():
        import flax.linen as nn

        pads = [padding] if isinstance(padding, tuple) else padding
        layer = nn.ConvTranspose(1, (w.size,), padding=pads, use_bias=False, transpose_kernel=True)
        return np.asarray(layer.apply({"params": {"kernel": w[:, None, None]}}, x[None, :, None]))[0, :, 0]


def _torch_transpose(x: np.ndarray, w: np.ndarray, padding: int) -> np.ndarray:
    return oracle.conv_transpose(x[None, None], w[None, None], None, 1, padding)[0, 0]


belief(
    "flax-convtranspose-padding-is-torch-padding", "flax",
    "Belief: flax's ConvTranspose(padding=p) is torch's ConvTranspose1d(padding=p).",
    "nn.ConvTranspose(1, k, padding=p, transpose_kernel=True)(x) == F.conv_transpose1d(x, w, padding=p)",
    _transpose_cases(),
    lambda c: (_flax_transpose(c[0], c[1], c[2]), _torch_transpose(*c)),
    lambda c: (_flax_transpose(c[0], c[1], (c[1].size - 1 - c[2], c[1].size - 1 - c[2])), _torch_transpose(*c)),
    "nn.ConvTranspose(1, k, padding=[(k-1-p, k-1-p)], transpose_kernel=True)(x) == F.conv_transpose1d(x, w, padding=p)",
    "Flax's ConvTranspose follows jax.lax.conv_transpose: its padding pads the (stride-dilated) input of a forward "
    "correlation, where torch's padding=p crops the full transposed output, i.e. pads by d(k-1) - p (nnx's docstring "
    "says so). They agree only where p = (k-1)/2. The smallest case: one input sample and a two-tap kernel with "
    "padding 0: torch gives two samples, flax none (3 elements). Upstream: documented for nnx by google/flax PR #4990 "
    "(closing google/flax#4593); jax-ml/jax#11252 asked the same of linen.ConvTranspose.", 3, ("flax", "transposed"),
    script="""
    import flax.linen as nn
    x, w = np.ones((1, 1, 1), np.float32), np.array([1.0, 2.0], np.float32)[:, None, None]
    # torch's conv_transpose1d(x, w, padding=0): x[0] * w = [1, 2]
    expected = np.array([[[1.0], [2.0]]])
    actual = np.asarray(nn.ConvTranspose(1, (2,), padding=0, use_bias=False, transpose_kernel=True)
                        .apply({"params": {"kernel": w}}, x))
    """,
)
