"""Beliefs about ONNX ConvTranspose's derived padding, found by the native ONNX exploration
(`conv_equivalence.identities.native_onnx`).

Each is registered with `belief` (see `conv_equivalence.identities.misconceptions`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle
from conv_equivalence.identities.misconceptions import Pair, belief, pairs


def _transpose(target: str, x: np.ndarray, w: np.ndarray, **attributes: Any) -> np.ndarray:
    """One-signal ``ConvTranspose`` with the given attributes, run by ``target`` (float32 for ONNX Runtime)."""
    from conv_equivalence.identities.native_onnx import _run

    dtype = np.float32 if target == "onnxruntime" else np.float64
    case = {"op": "ConvTranspose", "group": None, "kernel_shape": None, "strides": None, "dilations": None,
            "auto_pad": None, "pads": None, "output_padding": None, "output_shape": None,
            "X": x[None, None].astype(dtype), "W": w[None, None].astype(dtype), "B": None, **attributes}
    return _run(target, case)[0, 0].astype(np.float64)


def _full(c: Pair, stride: int = 1) -> np.ndarray:
    return oracle.conv_transpose(c[0][None, None], c[1][None, None], stride=stride)[0, 0]


# output_shape one shorter than the full output: the specification crops the odd sample at the start.
_CROPPABLE = pairs(max_side=3).filter(lambda c: c[0].size + c[1].size >= 3)

belief(
    "onnx-reference-convtranspose-output-shape", "onnx.reference",
    "Belief: the ONNX reference evaluator derives ConvTranspose's pads from output_shape, as the "
    "specification says.",
    "onnx.reference ConvTranspose(x, w, output_shape=[n + k - 2]) == full_transpose(x, w)[1:]", _CROPPABLE,
    lambda c: (_transpose("onnx.reference", *c, output_shape=(c[0].size + c[1].size - 2,)), _full(c)[1:]),
    lambda c: (_transpose("onnx.reference", *c, pads=(1, 0)), _full(c)[1:]),
    "onnx.reference ConvTranspose(x, w, pads=[1, 0]) == full_transpose(x, w)[1:]   (the pads written out)",
    "The specification derives the pads from output_shape (total = full length - output_shape, the odd "
    "sample at the start unless auto_pad is SAME_UPPER), and ONNX Runtime does; the reference evaluator "
    "keeps pads at zero and raises ValueError from its col2im. Found by this suite. A full output one "
    "sample longer than output_shape needs two input samples and one tap, or one and two: 3 elements.", 3,
    ("onnx", "transposed", "discovered"),
    script="""
    from onnx import TensorProto, helper  # noqa: E402

    node = helper.make_node("ConvTranspose", ["X", "W"], ["Y"], output_shape=[1])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(n, TensorProto.DOUBLE, None) for n in "XW"],
                              [helper.make_tensor_value_info("Y", TensorProto.DOUBLE, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    x, w = np.array([[[1.0, 2.0]]]), np.array([[[1.0]]])
    # full output [1, 2]; total padding 2 - 1 = 1, auto_pad NOTSET puts it at the start: [2]
    expected = np.array([[[2.0]]])
    actual = attempt(lambda: onnx.reference.ReferenceEvaluator(model).run(None, {"X": x, "W": w})[0])
    """,
)

# A stride longer than the kernel: SAME's total padding s (n - 1) + k - n s = k - s is negative.
_LONG_STRIDE = pairs(max_side=2).map(lambda c: (c[0], c[1][:1]))

belief(
    "onnx-convtranspose-same-output-is-input-times-stride", "onnxruntime",
    "Belief: ONNX Runtime's ConvTranspose with auto_pad SAME_UPPER has n * stride outputs, as the "
    "specification says.",
    "onnxruntime ConvTranspose(x, w, strides=[2], auto_pad='SAME_UPPER').shape == (2 n,)", _LONG_STRIDE,
    lambda c: (tuple(_transpose("onnxruntime", *c, strides=(2,), auto_pad="SAME_UPPER").shape), (2 * c[0].size,)),
    lambda c: (_transpose("onnxruntime", *c, strides=(2,), auto_pad="SAME_UPPER"), _full(c, stride=2)),
    "onnxruntime ConvTranspose(x, w, strides=[2], auto_pad='SAME_UPPER') == full_transpose(x, w, stride=2)   "
    "(a negative total padding is taken as 0)",
    "With a one-tap kernel and stride 2 the full output has 2n - 1 samples, one short of n * stride, so the "
    "total padding is -1. ONNX Runtime clamps it to 0 and returns the full output; the reference evaluator "
    "extends by one zero at the start for SAME_UPPER (Python's -1 // 2) and at the end for SAME_LOWER; the "
    "adjoint of a SAME_UPPER Conv would extend at the end. Found by this suite. One input sample and one "
    "tap: 2 elements.", 2, ("onnx", "transposed", "same", "discovered"),
    script="""
    from onnx import TensorProto, helper  # noqa: E402

    node = helper.make_node("ConvTranspose", ["X", "W"], ["Y"], strides=[2], auto_pad="SAME_UPPER")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in "XW"],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    x, w = np.array([[[1.0]]], dtype=np.float32), np.array([[[1.0]]], dtype=np.float32)
    # SAME_*: output_shape = input_shape * strides = [2]
    expected = (1, 1, 2)
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    actual = session.run(None, {"X": x, "W": w})[0].shape
    """,
)


def _reference_transpose(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    from conv_equivalence.identities.native_onnx import _run

    case = {"op": "ConvTranspose", "group": None, "kernel_shape": None, "strides": None, "dilations": None,
            "auto_pad": None, "pads": None, "output_padding": None, "output_shape": None, "X": x, "W": w, "B": None}
    return _run("onnx.reference", case)


# An empty batch of one channel, and a (1, 1, k) kernel
_EMPTY_BATCH = st.tuples(st.integers(1, 3).map(lambda n: np.zeros((0, 1, n))),
                         hnp.arrays(np.float64, st.integers(1, 3).map(lambda k: (1, 1, k)), elements=st.integers(-3, 3)))

belief(
    "onnx-reference-convtranspose-empty-batch", "onnx.reference",
    "Belief: the ONNX reference evaluator's ConvTranspose returns an empty batch for an empty batch.",
    "onnx.reference ConvTranspose(x[:0], w) == empty (0, C_out, L)", _EMPTY_BATCH,
    lambda c: (_reference_transpose(*c), oracle.conv_transpose(*c)),
    lambda c: (_reference_transpose(np.zeros((1, *c[0].shape[1:])), c[1])[:0], oracle.conv_transpose(*c)),
    "onnx.reference ConvTranspose(concat(x, one zero item), w)[:0] == empty (0, C_out, L)   (a batch of one works)",
    "Its per-image loop allocates the output on the first image, so with no image it returns None and the "
    "evaluator raises TypeError ('Issues with types'). ONNX Runtime and the Conv operator handle empty batches. "
    "Found by this suite. An empty input and a one-tap kernel: 1 element.", 1,
    ("onnx", "transposed", "empty-batch", "discovered"),
    script="""
    from onnx import TensorProto, helper  # noqa: E402

    node = helper.make_node("ConvTranspose", ["X", "W"], ["Y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(n, TensorProto.DOUBLE, None) for n in "XW"],
                              [helper.make_tensor_value_info("Y", TensorProto.DOUBLE, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    x, w = np.zeros((0, 1, 1)), np.array([[[1.0]]])
    # no batch items in, none out: shape (0, 1, 1)
    expected = np.zeros((0, 1, 1))
    actual = attempt(lambda: onnx.reference.ReferenceEvaluator(model).run(None, {"X": x, "W": w})[0])
    """,
)
