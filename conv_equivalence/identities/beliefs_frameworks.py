"""Beliefs about JAX, TensorFlow, OpenCV and ONNX: 'SAME' placements, anchors, borders, dtypes, groups.

Each is registered with `belief` (see `conv_equivalence.identities.misconceptions`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle
from conv_equivalence.backends.onnx_conv import REFERENCE_GROUPED_TRANSPOSE
from conv_equivalence.identities.misconceptions import _INTS, Pair, _ndimage, _torch_same, belief, grids, pairs, torch_conv
from conv_equivalence.problem import framework_same_pads

# -- JAX, TensorFlow, OpenCV, ONNX: 'SAME' placements, anchors, borders ---------------------------------------

def _jax_conv(x: np.ndarray, w: np.ndarray, padding: Any, stride: int = 1) -> np.ndarray:
    """jax.lax.conv_general_dilated on one 1-D signal, in float64."""
    from conv_equivalence.backends.jax_lax import x64_scope

    with x64_scope() as jax:
        return np.asarray(jax.lax.conv_general_dilated(x[None, None], w[None, None], (stride,), padding))[0, 0]


def _tf_conv(x: np.ndarray, w: np.ndarray, padding: str, stride: int) -> np.ndarray:
    """tf.nn.convolution on one 1-D signal (NWC, WIO), in float64."""
    from conv_equivalence.backends.tensorflow_nn import _tf

    return _tf().nn.convolution(x[None, :, None], w[:, None, None], strides=stride, padding=padding).numpy()[0, :, 0]


def _filter2d(x: np.ndarray, w: np.ndarray, **kwargs: Any) -> np.ndarray:
    import cv2

    if "borderType" in kwargs:
        kwargs["borderType"] = getattr(cv2, kwargs["borderType"])
    return cv2.filter2D(x, -1, w, **kwargs)


belief(
    "jax-same-lower-is-torch-same", "jax",
    "Belief: JAX's padding='SAME_LOWER' is torch's padding='same'.",
    "lax.conv_general_dilated(x, w, 1, 'SAME_LOWER') == F.conv1d(x, w, padding='same')", pairs(),
    lambda c: (_jax_conv(c[0], c[1], "SAME_LOWER"), _torch_same(c)),
    lambda c: (_jax_conv(c[0], c[1], "SAME"), _torch_same(c)),
    "lax.conv_general_dilated(x, w, 1, 'SAME') == F.conv1d(x, w, padding='same')   (both pad the extra sample after)",
    "'SAME_LOWER' puts the extra padding sample of an even kernel before the input, torch's 'same' (and JAX's "
    "'SAME') after it. Odd kernels agree, so the smallest case is one input sample and a two-tap kernel with "
    "unequal taps: 3 elements.", 3, ("same", "jax"),
    script="""
    x, w = np.array([[[1.0]]], dtype=np.float32), np.array([[[0.0, 1.0]]], dtype=np.float32)
    # the belief: torch's padding='same', one zero after x: [x0 w0 + 0 w1]
    expected = np.array([[[0.0]]])
    actual = np.asarray(jax.lax.conv_general_dilated(x, w, (1,), "SAME_LOWER"))
    """,
)

def _int_pairs() -> st.SearchStrategy[Pair]:
    return pairs(dtype=np.int64)


def _jnp(function: str, a: np.ndarray, v: np.ndarray) -> np.ndarray:
    from conv_equivalence.backends.jax_lax import x64_scope

    with x64_scope() as jax:
        return np.asarray(getattr(jax.numpy, function)(a, v))


belief(
    "jax-numpy-convolve-keeps-integer-dtype", "jax",
    "Belief: jax.numpy.convolve, like numpy.convolve, returns integers for integer input.",
    "jnp.convolve(a, v).dtype == np.convolve(a, v).dtype   (int64 a, v)", _int_pairs(),
    lambda c: (str(_jnp("convolve", *c).dtype), str(np.convolve(*c).dtype)),
    lambda c: (_jnp("convolve", *c), np.convolve(*c).astype(np.float64)),
    "jnp.convolve(a, v) == np.convolve(a, v).astype(float)   (values equal, dtype promoted to inexact)",
    "jax.numpy.convolve and correlate promote their inputs to an inexact type before convolving, so integer "
    "arrays come back as floats (float64 with jax_enable_x64, else float32, which is inexact beyond 2**24). "
    "Any input shows it: one element each, 2 elements.", 2, ("dtype", "jax"),
    script="""
    jax.config.update("jax_enable_x64", True)
    a, v = np.array([0], dtype=np.int64), np.array([0], dtype=np.int64)
    # the belief: integers in, integers out, as numpy.convolve(a, v) gives int64
    expected = "int64"
    actual = str(jax.numpy.convolve(a, v).dtype)
    """,
)

belief(
    "strided-same-is-subsampled-same", "tensorflow",
    "Belief: TensorFlow's 'SAME' with stride 2 is the stride-1 'SAME' output taken every second sample.",
    "tf.nn.convolution(x, w, 2, 'SAME') == tf.nn.convolution(x, w, 1, 'SAME')[::2]", pairs(),
    lambda c: (_tf_conv(c[0], c[1], "SAME", 2), _tf_conv(c[0], c[1], "SAME", 1)[::2]),
    lambda c: (_tf_conv(c[0], c[1], "SAME", 2),
               oracle.conv(c[0][None, None], c[1][None, None], stride=2,
                           padding=framework_same_pads(c[0].shape, c[1].shape, (2,), (1,)))[0, 0]),
    "tf.nn.convolution(x, w, s, 'SAME') == conv(x, w, stride=s, padding=(t//2, t - t//2)), "
    "t = max(0, (ceil(n/s) - 1)*s + k - n)",
    "'SAME' pads only what the strided windows need, t = (ceil(n/s) - 1)*s + k - n in total, so with a stride "
    "the padding, and where the windows start, depends on the input length: n = 2, k = 3 pads (0, 1) with "
    "stride 2 but (1, 1) with stride 1. No input of 1 sample or kernel of 2 taps shows it: 5 elements. "
    "JAX's 'SAME' and ONNX's SAME_UPPER compute the same padding.", 5, ("same", "stride", "tensorflow"),
    script="""
    x = np.array([1.0, 1.0]).reshape(1, 2, 1)       # NWC
    w = np.array([0.0, 0.0, 1.0]).reshape(3, 1, 1)  # WIO
    # the belief: the stride-1 'SAME' output (pads (1, 1): [0 w0 + x0 w1 + x1 w2, ...]) every second sample
    expected = np.array([1.0])
    actual = tensorflow.nn.convolution(x, w, strides=2, padding="SAME").numpy().reshape(-1)
    """,
)

belief(
    "cv2-filter2d-convolves", "cv2",
    "Belief: cv2.filter2D convolves (its documentation says it 'convolves an image with the kernel').",
    "cv2.filter2D(x, -1, w, borderType=BORDER_CONSTANT) == ndimage.convolve(x, w, mode='constant')", grids(),
    lambda c: (_filter2d(c[0], c[1], borderType="BORDER_CONSTANT"), _ndimage().convolve(c[0], c[1], mode="constant")),
    lambda c: (_filter2d(c[0], c[1], borderType="BORDER_CONSTANT"), _ndimage().correlate(c[0], c[1], mode="constant")),
    "cv2.filter2D(x, -1, w, borderType=BORDER_CONSTANT) == ndimage.correlate(x, w, mode='constant')",
    "filter2D computes a correlation; the documentation says so in a note. With a 1x1 input both read only "
    "the kernel's centre tap, so the smallest case is a 1x2 input and a 1x2 kernel: 4 elements.", 4, ("flip", "opencv"),
    script="""
    x, w = np.array([[1.0], [1.0]]), np.array([[1.0], [0.0]])
    # the belief: a convolution (flipped kernel), like ndimage.convolve(x, w, mode='constant'): [[x0 w0], [x1 w0 + x0 w1]]
    expected = np.array([[1.0], [0.0]])
    actual = cv2.filter2D(x, -1, w, borderType=cv2.BORDER_CONSTANT)
    """,
)

def _rows(c: Pair) -> Pair:
    """A pair of 1-D arrays as a one-row image and a one-row kernel."""
    return c[0][None], c[1][None]


belief(
    "cv2-filter2d-default-border-is-zeros", "cv2",
    "Belief: cv2.filter2D pads with zeros unless told otherwise.",
    "cv2.filter2D(x, -1, w) == cv2.filter2D(x, -1, w, borderType=BORDER_CONSTANT)", pairs().map(_rows),
    lambda c: (_filter2d(*c), _filter2d(*c, borderType="BORDER_CONSTANT")),
    lambda c: (_filter2d(*c), _filter2d(*c, borderType="BORDER_REFLECT_101")),
    "cv2.filter2D(x, -1, w) == cv2.filter2D(x, -1, w, borderType=BORDER_REFLECT_101)   (torch's 'reflect')",
    "The default, BORDER_DEFAULT, is BORDER_REFLECT_101 (d c b | a b c d), which a single-sample image "
    "extends by repeating it. A 1x1 image and a 1x2 kernel whose first tap reads the border: 3 elements.", 3,
    ("boundary", "defaults", "opencv"),
    script="""
    x, w = np.array([[1.0]]), np.array([[1.0, 0.0]])
    # the belief: zeros outside the image (the anchor is the second tap): 0 w0 + x0 w1
    expected = np.array([[0.0]])
    actual = cv2.filter2D(x, -1, w)
    """,
)

belief(
    "cv2-filter2d-anchor-is-torch-same", "cv2",
    "Belief: cv2.filter2D's default anchor places the kernel like torch's padding='same'.",
    "cv2.filter2D(x, -1, w, borderType=BORDER_CONSTANT) == F.conv2d(x, w, padding='same')", pairs().map(_rows),
    lambda c: (_filter2d(*c, borderType="BORDER_CONSTANT"), torch_conv(*c, padding="same")),
    lambda c: (_filter2d(*c, anchor=((c[1].shape[1] - 1) // 2, (c[1].shape[0] - 1) // 2), borderType="BORDER_CONSTANT"),
               torch_conv(*c, padding="same")),
    "cv2.filter2D(x, -1, w, anchor=((kw-1)//2, (kh-1)//2), borderType=BORDER_CONSTANT) == F.conv2d(x, w, padding='same')",
    "The default anchor is the kernel centre k//2, so an even kernel gets its extra padding sample before the "
    "image; torch puts it after. A 1x1 image and a 1x2 kernel with unequal taps: 3 elements.", 3,
    ("same", "opencv"),
    script="""
    x, w = np.array([[1.0]]), np.array([[0.0, 1.0]])
    # the belief: torch's padding='same', the extra zero after the image: x0 w0 + 0 w1
    expected = np.array([[0.0]])
    actual = cv2.filter2D(x, -1, w, borderType=cv2.BORDER_CONSTANT)
    """,
)


Grouped = tuple[np.ndarray, np.ndarray, np.ndarray]


def _onnx_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray, groups: int) -> np.ndarray:
    from conv_equivalence.backends.onnx_conv import reference_run
    from conv_equivalence.problem import ConvProblem, ConvSpec

    return reference_run(ConvProblem(ConvSpec.create(1, groups=groups, transposed=True), x, w, b))


def _onnx_reference_per_group(c: Grouped) -> np.ndarray:
    x, w, b = c
    half, out = x.shape[1] // 2, w.shape[1]
    return np.concatenate([_onnx_reference(x[:, g * half:(g + 1) * half], w[g * half:(g + 1) * half], b[g * out:(g + 1) * out], 1)
                           for g in (0, 1)], axis=1)


# One input and one output channel per group: the reference then runs, and only its bias handling is wrong.
_GROUPED_TRANSPOSE = st.tuples(hnp.arrays(np.float64, (1, 2, 1), elements=_INTS),
                               hnp.arrays(np.float64, (2, 1, 1), elements=_INTS, fill=st.nothing()),
                               hnp.arrays(np.float64, (2,), elements=_INTS))

belief(
    "onnx-reference-grouped-convtranspose", "onnx.reference",
    "Belief: the ONNX reference evaluator is a faithful reference for ConvTranspose with group > 1.",
    "onnx.reference ConvTranspose(x, W, B, group=2) == exact transposed convolution", _GROUPED_TRANSPOSE,
    lambda c: (_onnx_reference(c[0], c[1], c[2], groups=2), oracle.conv_transpose(c[0], c[1], c[2], groups=2)),
    lambda c: (_onnx_reference_per_group(c), oracle.conv_transpose(c[0], c[1], c[2], groups=2)),
    "concat(onnx.reference ConvTranspose(x_g, W_g, B_g, group=1) for each group g) == exact   (group 1 is right)",
    "The reference implementation adds B from its start in every group (and slices W's input-channel axis "
    "by output-channel counts, so it raises once a group has two input or output channels). Found by this suite. "
    "Group 2 needs two input channels, two weights and two biases: x = [0, 0], W = [0, 0], B = [0, 1] comes "
    "out [0, 0]: 6 elements.", 6, ("groups", "onnx", "discovered"),
    script=REFERENCE_GROUPED_TRANSPOSE.script,  # the known issue's example is the belief's smallest counterexample
)
