"""ONNX: the ``Conv`` and ``ConvTranspose`` operators, as one-node models built with ``onnx.helper``,
run by ONNX Runtime (CPU) and by the ONNX reference evaluator, each its own backend.

ONNX's layouts and ``ConvTranspose`` weight ``(C_in, C_out/group, *K)`` are torch's, so only the
attributes are translated: ``strides``, ``dilations``, ``group``, ``kernel_shape``, ``pads`` as
``[begin_1, ..., begin_n, end_1, ..., end_n]`` (asymmetric pads included) and
``output_padding``. ``auto_pad`` is chosen from the padding: ``VALID`` for none, ``SAME_UPPER``
for torch's ``"same"`` and for pads equal to what ``SAME_UPPER`` or ``SAME_LOWER`` would give
with the stride (`framework_same_pads`; ``SAME_UPPER`` puts the extra sample at the end like
torch, ``SAME_LOWER`` at the start), ``NOTSET`` with explicit ``pads`` otherwise.
ONNX Runtime's CPU kernels take float32 and float16 (not float64) and reject ``SAME_*`` with
dilation (explicit pads are passed then); the reference evaluator, written in NumPy, takes
float16/32/64. Both reject ``output_padding >= stride``, which torch accepts while it is below
the dilation. The reference ``ConvTranspose`` raises or is wrong for ``group > 1``, and the reference ``Conv``
lets a NaN between dilated taps through (known issues).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from conv_equivalence.backends import Backend, Capabilities, KnownIssue, register
from conv_equivalence.backends._signal import NUMPY_DTYPES
from conv_equivalence.problem import ConvProblem, ConvSpec

OPSET = 18
IR_VERSION = 8  # what ONNX Runtime releases back to 1.14 load
ELEMENT_TYPES = {"float16": "FLOAT16", "float32": "FLOAT", "float64": "DOUBLE"}


def auto_pad(problem: ConvProblem, *, same_with_dilation: bool = True) -> tuple[str, list[int] | None]:
    """``(auto_pad, pads)`` for a forward convolution problem (``SAME_*`` with dilation only if allowed)."""
    name = problem.framework_padding()
    if name == "VALID" or (name and (same_with_dilation or all(d == 1 for d in problem.spec.dilation))):
        return {"SAME": "SAME_UPPER"}.get(name, name), None
    pads = problem.spec.pads(problem.weight.shape[2:])
    return "NOTSET", [b for b, _ in pads] + [a for _, a in pads]


def one_node_model(problem: ConvProblem, *, same_with_dilation: bool = True) -> Any:
    """The problem as an ONNX model with inputs ``X``, ``W`` (and ``B``) and output ``Y``."""
    s = problem.spec
    kernel = list(problem.weight.shape[2:])
    attributes: dict[str, Any] = dict(kernel_shape=kernel, strides=list(s.stride), dilations=list(s.dilation), group=s.groups)
    if s.transposed:
        attributes.update(pads=list(s.int_padding) * 2, output_padding=list(s.output_padding))
    else:
        mode, pads = auto_pad(problem, same_with_dilation=same_with_dilation)
        attributes["auto_pad"] = mode
        if pads is not None:
            attributes["pads"] = pads
    inputs = ["X", "W"] + ([] if problem.bias is None else ["B"])
    return node_model("ConvTranspose" if s.transposed else "Conv", inputs, problem.dtype, attributes)


def node_model(op: str, inputs: list[str], dtype: str, attributes: dict[str, Any]) -> Any:
    """A model of one ``op`` node with these ``inputs`` (all of ``dtype``), its attributes, and output ``Y``."""
    from onnx import TensorProto, helper

    node = helper.make_node(op, inputs, ["Y"], **attributes)
    element = getattr(TensorProto, ELEMENT_TYPES[dtype])
    graph = helper.make_graph(
        [node], "conv", [helper.make_tensor_value_info(name, element, None) for name in inputs],
        [helper.make_tensor_value_info("Y", element, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    return model


def run_model(runtime: str, model: Any, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """``model``'s output ``Y`` as ONNX Runtime (CPU, one thread) or the reference evaluator computes it."""
    if runtime == "onnx.reference":
        from onnx.reference import ReferenceEvaluator

        with warnings.catch_warnings(), np.errstate(all="ignore"):  # NaN/inf inputs make NumPy warn, as IEEE says
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.asarray(ReferenceEvaluator(model).run(None, inputs)[0])  # type: ignore[index]
    import onnxruntime

    onnxruntime.set_default_logger_severity(4)  # a rejected problem raises; do not also log it
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, inputs)[0])


def feeds(problem: ConvProblem) -> dict[str, np.ndarray]:
    dtype = NUMPY_DTYPES[problem.dtype]
    arrays = {"X": problem.x, "W": problem.weight, "B": problem.bias}
    return {name: np.ascontiguousarray(a, dtype=dtype) for name, a in arrays.items() if a is not None}


def onnxruntime_run(problem: ConvProblem) -> np.ndarray:
    return run_model("onnxruntime", one_node_model(problem, same_with_dilation=False), feeds(problem))


def reference_run(problem: ConvProblem) -> np.ndarray:
    return run_model("onnx.reference", one_node_model(problem), feeds(problem))


def _output_padding_below_stride(problem: ConvProblem) -> str | None:
    s = problem.spec
    if any(op >= st for op, st in zip(s.output_padding, s.stride)):
        return "unsupported: output_padding >= stride (both ONNX runtimes reject it; torch allows up to max(stride, dilation) - 1)"
    return None


def _grouped_transpose_example() -> ConvProblem:
    spec = ConvSpec.create(1, groups=2, transposed=True)
    return ConvProblem(spec, np.zeros((1, 2, 1)), np.zeros((2, 1, 1)), np.array([0.0, 1.0]))


REFERENCE_GROUPED_TRANSPOSE = KnownIssue(
    "onnx-reference-convtranspose-groups",
    "onnx.reference's ConvTranspose mishandles group > 1: it slices the weight's input-channel axis by "
    "output-channel counts (raising once C_out/group > 1) and adds the bias from the start of B in every "
    "group: x=[[0],[0]], W=zeros(2,1,1), B=[0,1], group=2 gives [[0],[0]], not [[0],[1]]",
    lambda problem: problem.spec.groups > 1,
    _grouped_transpose_example,
    verified_with="onnx==1.23.2",
    script="""
    from onnx import TensorProto, helper  # noqa: E402

    node = helper.make_node("ConvTranspose", ["X", "W", "B"], ["Y"], group=2, kernel_shape=[1])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(n, TensorProto.DOUBLE, None) for n in "XWB"],
                              [helper.make_tensor_value_info("Y", TensorProto.DOUBLE, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    x, w, b = np.zeros((1, 2, 1)), np.zeros((2, 1, 1)), np.array([0.0, 1.0])
    # group g's output channel gets B[g]: [[[0 + B0], [0 + B1]]]
    expected = np.array([[[0.0], [1.0]]])
    actual = attempt(lambda: onnx.reference.ReferenceEvaluator(model).run(None, {"X": x, "W": w, "B": b})[0])
    """,
    reported='the raise is fixed upstream by onnx PR 8446 (merged, after onnx 1.23.2); the per-group bias not found (searched 2026-11-25)',
)


def _dilated_nan_example() -> ConvProblem:
    spec = ConvSpec.create(1, dilation=2)
    return ConvProblem(spec, np.array([[[0.0, np.nan, 0.0]]]), np.ones((1, 1, 2)))


REFERENCE_DILATION_NONFINITE = KnownIssue(
    "onnx-reference-dilation-reads-skipped-samples",
    "onnx.reference's Conv dilates the kernel by inserting zero taps, so a NaN or inf between the taps still "
    "reaches the output (0 * nan = nan): x=[0, nan, 0], w=[1, 1], dilations=[2] gives [nan], not [0]",
    lambda problem: any(d > 1 for d in problem.spec.dilation) and not np.isfinite(problem.x).all(),
    _dilated_nan_example,
    verified_with="onnx==1.23.2",
    script="""
    from onnx import TensorProto, helper  # noqa: E402

    node = helper.make_node("Conv", ["X", "W"], ["Y"], kernel_shape=[2], dilations=[2])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(n, TensorProto.DOUBLE, None) for n in "XW"],
                              [helper.make_tensor_value_info("Y", TensorProto.DOUBLE, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    x, w = np.array([[[0.0, np.nan, 0.0]]]), np.array([[[1.0, 1.0]]])
    # dilation 2: y[0] = x[0] w[0] + x[2] w[1]; x[1] is skipped
    expected = np.array([[[0.0]]])
    actual = attempt(lambda: onnx.reference.ReferenceEvaluator(model).run(None, {"X": x, "W": w})[0])
    """,
    reported='not found in the tracker (searched 2026-11-25)',
)


for runtime, library, dtypes, run in (
    ("onnxruntime", "onnxruntime", ("float16", "float32"), onnxruntime_run),
    ("onnx.reference", "onnx", ("float16", "float32", "float64"), reference_run),
):
    common: dict[str, Any] = dict(dtypes=dtypes, channels=True, groups=True, stride=True, dilation=True, bias=True)
    register(Backend(f"{runtime}.Conv", library, f"ONNX Conv (opset {OPSET}) run by {runtime}",
                     Capabilities(padding_strings=("same", "valid"), padding_pairs=True, **common), run,
                     known_issues=(REFERENCE_DILATION_NONFINITE,) if runtime == "onnx.reference" else ()))
    issues = (REFERENCE_GROUPED_TRANSPOSE,) if runtime == "onnx.reference" else ()
    register(Backend(f"{runtime}.ConvTranspose", library, f"ONNX ConvTranspose (opset {OPSET}) run by {runtime}",
                     Capabilities(transposed=True, extra_rule=_output_padding_below_stride, **common), run, known_issues=issues))
