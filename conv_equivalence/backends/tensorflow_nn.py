"""TensorFlow: ``tf.nn.conv2d`` (explicit paddings), ``tf.nn.convolution`` (ranks 1-3, ``"SAME"``/
``"VALID"`` only) and ``tf.nn.conv2d_transpose``, all cross-correlations like torch's.

TensorFlow's CPU kernels take only channels-last data: input ``NHWC`` (``NWC``, ``NDHWC``) and
filters ``HWIO`` (spatial axes, then ``C_in/groups``, then ``C_out``); ``conv2d_transpose``
takes filters ``HW`` + ``(C_out, C_in)`` and the output shape. The conversions from torch's
``NCHW``/``OIHW`` happen here and nowhere else. Padding: pads equal to what ``"SAME"`` gives for
the stride (`framework_same_pads`: extra sample at the end) are passed as ``"SAME"``, none as
``"VALID"``, anything else, for ``conv2d``, as explicit ``[[0, 0], [top, bottom], [left, right], [0, 0]]``.
``conv2d_transpose`` takes torch's ``output_padding`` through its ``output_shape`` argument.

Limits, each declared (TensorFlow raises otherwise): ``tf.nn.convolution`` refuses stride > 1
together with dilation > 1 and explicit pads; the CPU transposed kernel refuses dilation > 1
and groups, the CPU Conv3D kernel refuses groups; complex and int64 are not accepted, int32 only
by ``conv2d``. Known issues: float32/bfloat16 forward convolutions of an empty batch return the input unchanged
(wrong shape); bfloat16 mishandles NaN and inf (oneDNN, as in torch); float32/bfloat16 can
return uninitialised memory when a strided axis is shorter than the kernel.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from conv_equivalence.backends import Backend, Capabilities, KnownIssue, cpu_reason, register
from conv_equivalence.problem import ConvProblem, ConvSpec

FLOATS = ("float16", "bfloat16", "float32", "float64")


# TensorFlow's native start-up messages (oneDNN banners, CPU feature notes) are not results; set
# before anything imports it (reports import it for its version). A user's own setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _tf() -> Any:
    import tensorflow

    return tensorflow


def _channels_last(a: np.ndarray) -> np.ndarray:
    return np.moveaxis(a, 1, -1)


def _tensor(a: np.ndarray, dtype: str) -> Any:
    tf = _tf()
    return tf.cast(tf.constant(np.ascontiguousarray(a)), getattr(tf, dtype))


def _result(y: Any, problem: ConvProblem) -> np.ndarray:
    tf = _tf()
    if problem.bias is not None:
        y = tf.nn.bias_add(y, _tensor(problem.bias, problem.dtype))
    if problem.dtype == "bfloat16":
        y = tf.cast(y, tf.float32)
    return np.moveaxis(y.numpy(), -1, 1)


def padding_argument(problem: ConvProblem, *, explicit: bool) -> Any:
    """``"SAME"``, ``"VALID"``, or (``explicit``) per-dimension pairs including batch and channels."""
    name = problem.framework_padding()
    if name in ("VALID", "SAME"):
        return name
    if not explicit:
        raise ValueError("tf.nn.convolution takes only 'SAME' or 'VALID' padding")
    return [[0, 0], *[list(p) for p in problem.spec.pads(problem.weight.shape[2:])], [0, 0]]


def _forward(function: str) -> Callable[[ConvProblem], np.ndarray]:
    def run(problem: ConvProblem) -> np.ndarray:
        tf = _tf()
        s = problem.spec
        x = _tensor(_channels_last(problem.x), problem.dtype)
        w = _tensor(np.moveaxis(problem.weight, (0, 1), (-1, -2)), problem.dtype)  # O I ... -> ... I O
        padding = padding_argument(problem, explicit=function == "conv2d")
        y = getattr(tf.nn, function)(x, w, strides=list(s.stride), padding=padding, dilations=list(s.dilation))
        return _result(y, problem)

    return run


def conv2d_transpose(problem: ConvProblem) -> np.ndarray:
    tf = _tf()
    s = problem.spec
    x = _tensor(_channels_last(problem.x), problem.dtype)
    w = _tensor(problem.weight.transpose(2, 3, 1, 0), problem.dtype)  # (C_in, C_out, kh, kw) -> (kh, kw, C_out, C_in)
    n, c_out, *spatial = problem.output_shape
    padding = [[0, 0], *[[p, p] for p in s.int_padding], [0, 0]]
    y = tf.nn.conv2d_transpose(x, w, output_shape=[n, *spatial, c_out], strides=list(s.stride), padding=padding)
    return _result(y, problem)


def onednn_reason(*, avx512: bool = False) -> str | None:
    """``None`` when TensorFlow runs its oneDNN custom operations here (on a CPU with AVX-512, if asked),
    else why a oneDNN-only defect cannot show. TensorFlow turns them on by default only on some Intel CPUs;
    ``TF_ENABLE_ONEDNN_OPTS=1`` forces them."""
    try:
        from tensorflow.python.util import _pywrap_util_port  # TensorFlow's own answer, after its start-up rules

        enabled = bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        return "cannot tell whether TensorFlow's oneDNN custom operations are on"
    if not enabled:
        return "TensorFlow's oneDNN custom operations are off here (TF_ENABLE_ONEDNN_OPTS=1 turns them on)"
    return cpu_reason("avx512f") if avx512 else None


def _empty_batch_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(2), np.zeros((0, 1, 5, 6)), np.ones((2, 1, 3, 3)), dtype="float32")


EMPTY_BATCH_SHAPE = KnownIssue(
    "tensorflow-empty-batch-returns-input",
    "TensorFlow's CPU (oneDNN) float32 and bfloat16 convolutions return the input itself for an empty batch: "
    "tf.nn.conv2d(zeros((0, 5, 6, 1), float32), ones((3, 3, 1, 2)), 1, 'VALID') has shape (0, 5, 6, 1), not "
    "(0, 3, 4, 2); float16 too on a CPU with AVX-512 FP16 (an Intel Xeon with AMX, seen 2026-12-06), where oneDNN "
    "takes float16; float64 and int32 are right",
    lambda problem: problem.x.shape[0] == 0 and (problem.dtype in ("float32", "bfloat16") or (
        problem.dtype == "float16" and cpu_reason("avx512_fp16") is None)),
    _empty_batch_example,
    condition=onednn_reason,
    verified_with="tensorflow-cpu==2.21.0",
    script="""
    # oneDNN path: on by default on Intel CPUs, elsewhere run with TF_ENABLE_ONEDNN_OPTS=1
    x, w = np.zeros((0, 5, 6, 1), dtype=np.float32), np.ones((3, 3, 1, 2), dtype=np.float32)
    # NHWC 'VALID': (N, H - 3 + 1, W - 3 + 1, C_out)
    expected = (0, 3, 4, 2)
    actual = tuple(tensorflow.nn.conv2d(x, w, 1, "VALID").shape)
    """,
    reported=('tensorflow#64396 (open oneDNN output-shape defect, as issue 14 records; the search did not surface '
              'it again); related: tensorflow PR 112639 (oneDNN zero-element early return, closed) (searched 2026-11-25)'),
)


def _bf16_nonfinite_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(2), np.array([[[[np.inf, np.inf, np.inf]]]]), np.ones((1, 1, 1, 1)), dtype="bfloat16")


BF16_NONFINITE = KnownIssue(
    "tensorflow-cpu-bfloat16-nonfinite",
    "TensorFlow's CPU (oneDNN) bfloat16 convolution mishandles non-finite input, like torch's: "
    "conv2d([inf, inf, inf], [1]) gives [nan, inf, inf], and a NaN reaches the output before its own",
    lambda problem: problem.dtype == "bfloat16" and not np.isfinite(problem.x).all(),
    _bf16_nonfinite_example,
    condition=lambda: onednn_reason(avx512=True),
    verified_with="tensorflow-cpu==2.21.0",
    script="""
    # oneDNN path: on by default on Intel CPUs, elsewhere run with TF_ENABLE_ONEDNN_OPTS=1
    x = tensorflow.constant(np.full((1, 1, 3, 1), np.inf), dtype=tensorflow.bfloat16)
    w = tensorflow.ones((1, 1, 1, 1), dtype=tensorflow.bfloat16)
    # a 1x1 kernel of 1: inf * 1 at every position
    expected = np.array([np.inf, np.inf, np.inf])
    actual = tensorflow.cast(tensorflow.nn.conv2d(x, w, 1, "VALID"), tensorflow.float32).numpy().reshape(-1)
    """,
    reported='not found (tensorflow#60315, float32 inf giving nan with over 128 channels, is related, closed) (searched 2026-11-25)',
)


def _short_strided_axis(problem: ConvProblem) -> bool:
    s, kernel = problem.spec, problem.weight.shape[2:]
    # shorter than the kernel's span plus the stride: one output sample at most on that axis (also seen, bfloat16,
    # with the axis exactly the dilated span: x (3, 1, 5, 7), a 1x4 kernel, stride (1, 2), dilation (1, 2))
    return any(st > 1 and n < d * (k - 1) + 1 + st for st, n, k, d in zip(s.stride, problem.x.shape[2:], kernel, s.dilation))


def _garbage_example() -> ConvProblem:
    spec = ConvSpec.create(2, stride=(1, 2), padding=((0, 0), (0, 1)))
    return ConvProblem(spec, np.zeros((2, 1, 4, 1)), np.array([[[[1.0, -1.0]]]]), dtype="float32")


UNINITIALISED_PADDING = KnownIssue(
    "tensorflow-cpu-strided-short-axis-garbage",
    "TensorFlow's CPU (oneDNN) float32/bfloat16 convolution can read uninitialised memory when a strided "
    "axis is shorter than the kernel (or than its span plus the stride): conv2d(zeros((2, 4, 1, 1)), [[1, -1]], strides=[1, 2], 'SAME') returns "
    "values such as 1.6e16 or -4e-4 instead of zeros, different from run to run",
    lambda problem: problem.dtype in ("float32", "bfloat16") and _short_strided_axis(problem),
    _garbage_example,
    condition=lambda: onednn_reason(avx512=True),
    verified_with="tensorflow-cpu==2.21.0",
    script="""
    # oneDNN path: on by default on Intel CPUs, elsewhere run with TF_ENABLE_ONEDNN_OPTS=1
    x = np.zeros((2, 4, 1, 1), dtype=np.float32)            # NHWC: a width of 1
    w = np.array([1.0, -1.0], dtype=np.float32).reshape(1, 2, 1, 1)  # HWIO: 1x2
    # zeros in, zeros out; the read is of uninitialised memory, so the call is repeated up to 20 times
    expected = np.zeros((2, 4, 1, 1))
    for _ in range(20):
        actual = tensorflow.nn.conv2d(x, w, [1, 1, 2, 1], "SAME").numpy()
        if actual.any():
            break
    """,
    reported='not found in the tracker (searched 2026-11-25)',
    intermittent=True,
)


def _convolution_rule(problem: ConvProblem) -> str | None:
    s = problem.spec
    if s.ndim == 3 and s.groups > 1:
        return "unsupported: grouped 3-D convolution (the CPU Conv3D kernel needs the filter depth to equal C_in)"
    if any(st > 1 for st in s.stride) and any(d > 1 for d in s.dilation):
        return "unsupported: stride > 1 together with dilation > 1 (tf.nn.convolution refuses it)"
    try:
        padding_argument(problem, explicit=False)
    except ValueError:
        return "unsupported: padding other than TensorFlow's 'SAME' or 'VALID' placement"
    return None


def _transpose_rule(problem: ConvProblem) -> str | None:
    if any(op >= st for op, st in zip(problem.spec.output_padding, problem.spec.stride)):
        return "unsupported: output_padding >= stride (no such output_shape)"
    return None


_common: dict[str, Any] = dict(empty_batch=True, channels=True, stride=True, bias=True)
register(Backend(
    "tensorflow.nn.conv2d", "tensorflow", "tf.nn.conv2d on NHWC/HWIO, explicit paddings, groups through the filter depth",
    Capabilities(ranks=(2,), dtypes=FLOATS + ("int32",), groups=True, dilation=True, padding_strings=("same", "valid"),
                 padding_pairs=True, **_common),
    _forward("conv2d"), known_issues=(EMPTY_BATCH_SHAPE, BF16_NONFINITE, UNINITIALISED_PADDING),
))
register(Backend(
    "tensorflow.nn.convolution", "tensorflow", "tf.nn.convolution (1-3 spatial axes) with 'SAME' or 'VALID'",
    Capabilities(dtypes=FLOATS, groups=True, dilation=True, padding_strings=("same", "valid"), padding_pairs=True,
                 extra_rule=_convolution_rule, **_common),
    _forward("convolution"), known_issues=(EMPTY_BATCH_SHAPE, BF16_NONFINITE, UNINITIALISED_PADDING),
))
register(Backend(
    "tensorflow.nn.conv2d_transpose", "tensorflow", "tf.nn.conv2d_transpose with output_shape from torch's output_padding",
    Capabilities(ranks=(2,), dtypes=FLOATS, transposed=True, extra_rule=_transpose_rule, **_common),
    conv2d_transpose,
))
