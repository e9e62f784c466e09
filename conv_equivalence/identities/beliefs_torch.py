"""Beliefs about torch's transposed convolution, weight layouts, layer defaults and padding limits.

Each is registered with `belief` (see `conv_equivalence.identities.misconceptions`).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle
from conv_equivalence.identities.misconceptions import _INTS, Pair, _layer, _longer_first, belief, pairs, torch_conv, vector

# -- transposed convolution and layouts ---------------------------------------------------------------------

def _output_padding_case() -> st.SearchStrategy[Pair]:
    return st.tuples(vector(min_side=1, max_side=3), vector(min_side=3, max_side=4, kernel=True))


def _conv_t(y: np.ndarray, w: np.ndarray, output_padding: int) -> np.ndarray:
    import torch

    out = torch.nn.functional.conv_transpose1d(torch.from_numpy(y)[None, None], torch.from_numpy(w)[None, None],
                                               stride=2, padding=1, output_padding=output_padding)
    return out[0, 0].numpy()


belief(
    "output-padding-appends-zeros", "torch",
    "Belief: output_padding appends zeros to the transposed convolution's output.",
    "conv_transpose1d(y, w, stride=2, padding=1, output_padding=1) == pad(conv_transpose1d(..., output_padding=0), (0, 1))",
    _output_padding_case(),
    lambda c: (_conv_t(c[0], c[1], 1), np.pad(_conv_t(c[0], c[1], 0), (0, 1))),
    lambda c: (_conv_t(c[0], c[1], 1), oracle.conv_transpose(c[0][None, None], c[1][None, None], stride=2, padding=1,
                                                              output_padding=1)[0, 0]),
    "output_padding adds computed samples: out[t] = sum x[i] w[j] over i*s + j*d - p == t, t up to the new length",
    "The extra sample is where the kernel's last tap lands from the last input sample, cut away by the padding "
    "otherwise (pytorch issue 8816). One input sample and a 3-tap kernel whose last tap is non-zero: 4 elements.",
    4, ("transposed",),
    script="""
    y = torch.tensor([[[1.0]]], dtype=torch.float64)
    w = torch.tensor([[[0.0, 0.0, 1.0]]], dtype=torch.float64)
    # the belief: output_padding=1 appends a zero to the output_padding=0 result, which is [0]
    expected = np.array([0.0, 0.0])
    actual = torch.nn.functional.conv_transpose1d(y, w, stride=2, padding=1, output_padding=1)[0, 0].numpy()
    """,
)

belief(
    "conv-transpose-weight-is-conv-layout", "torch",
    "Belief: conv_transpose is the adjoint of conv once the weight's two channel axes are swapped.",
    "<conv1d(x, w.swapaxes(0, 1)), y> == <x, conv_transpose1d(y, w)>",
    st.tuples(hnp.arrays(np.float64, (1, 2, 1), elements=_INTS), hnp.arrays(np.float64, (2, 2, 1), elements=_INTS),
              hnp.arrays(np.float64, (1, 2, 1), elements=_INTS)),
    lambda c: (float(np.sum(oracle.conv(c[0], c[1].swapaxes(0, 1)) * c[2])), float(np.sum(c[0] * oracle.conv_transpose(c[2], c[1])))),
    lambda c: (float(np.sum(oracle.conv(c[0], c[1]) * c[2])), float(np.sum(c[0] * oracle.conv_transpose(c[2], c[1])))),
    "<conv1d(x, w), y> == <x, conv_transpose1d(y, w)>: the same array, read as (C_out, C_in) by conv and (C_in, C_out) by conv_transpose",
    "conv's weight is (out, in, k) and conv_transpose's is (in, out, k) of the transposed map, so the same array "
    "serves both; swapping its axes transposes the channel mixing. Needs an asymmetric 2x2 channel matrix; "
    "the shapes are fixed at x (1,2,1), w (2,2,1), y (1,2,1): 8 elements.", 8, ("layout", "transposed"),
    script="""
    x = torch.tensor([[[0.0], [1.0]]], dtype=torch.float64)
    w = torch.tensor([[[1.0], [0.0]], [[1.0], [1.0]]], dtype=torch.float64)
    y = torch.tensor([[[1.0], [1.0]]], dtype=torch.float64)
    # the belief: <conv1d(x, w.swapaxes(0, 1)), y> equals <x, conv_transpose1d(y, w)> = sum_i x_i sum_j w[j, i] y_j
    expected = 1.0
    actual = float((torch.nn.functional.conv1d(x, w.transpose(0, 1)) * y).sum())
    """,
)

belief(
    "hwio-is-w-transposed", "torch",
    "Belief: converting an OIHW weight to HWIO is w.T (and back again with the inverse of the right permutation).",
    "conv2d(x, w) == conv2d(x, (w.T).transpose(3, 2, 0, 1))",
    st.tuples(hnp.arrays(np.float64, (1, 1, 2, 2), elements=_INTS), hnp.arrays(np.float64, (1, 1, 2, 2), elements=_INTS,
                                                                               fill=st.nothing())),
    lambda c: (torch_conv(c[0][0, 0], c[1][0, 0]), torch_conv(c[0][0, 0], c[1].T.transpose(3, 2, 0, 1)[0, 0])),
    lambda c: (torch_conv(c[0][0, 0], c[1][0, 0]), torch_conv(c[0][0, 0], c[1].transpose(2, 3, 1, 0).transpose(3, 2, 0, 1)[0, 0])),
    "HWIO = w.transpose(2, 3, 1, 0) and back with .transpose(3, 2, 0, 1)",
    "w.T reverses all four axes, (W, H, I, O), which swaps the kernel's rows and columns: silently wrong for "
    "square kernels. A 2x2 input and a 2x2 kernel that is not symmetric are the smallest case: 8 elements.", 8, ("layout",),
    script="""
    x = torch.tensor([[[[1.0, 0.0], [1.0, 1.0]]]], dtype=torch.float64)
    w = torch.tensor([[[[0.0, 0.0], [1.0, 0.0]]]], dtype=torch.float64)
    # the belief: (w.T).transpose(3, 2, 0, 1) is w again, so the result is conv2d(x, w) = sum x * w
    expected = np.array([[[[1.0]]]])
    actual = torch.nn.functional.conv2d(x, w.permute(3, 2, 1, 0).permute(3, 2, 0, 1)).numpy()
    """,
)

belief(
    "nn-conv-adds-no-bias", "torch",
    "Belief: a torch.nn.Conv1d layer whose weight is set to w computes F.conv1d(x, w).",
    "nn.Conv1d(1, 1, k)(x) with weight w == F.conv1d(x, w)", pairs(),
    lambda c: (_layer(*_longer_first(c), bias=True), torch_conv(*_longer_first(c))),
    lambda c: (_layer(*_longer_first(c), bias=False), torch_conv(*_longer_first(c))),
    "nn.Conv1d(1, 1, k, bias=False)(x) == F.conv1d(x, w)",
    "Layers are built with bias=True and a random bias, so a layer made only to test a kernel adds noise to "
    "every output. Any one-element input and kernel show it: 2 elements.", 2, ("defaults",),
    script="""
    torch.manual_seed(0)
    layer = torch.nn.Conv1d(1, 1, 1, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[[0.0]]]))
        actual = layer(torch.tensor([[[0.0]]], dtype=torch.float64))[0, 0].numpy()
    # the belief: the layer computes F.conv1d(x, w) = 0 * 0
    expected = np.array([0.0])
    """,
)


# -- padding limits -----------------------------------------------------------------------------------------

belief(
    "torch-reflect-pads-any-width", "torch",
    "Belief: torch's reflect padding accepts any width, like numpy.pad.",
    "F.pad(x, (p, p), 'reflect') == np.pad(x, p, 'reflect')",
    st.tuples(vector(min_side=1, max_side=4), st.integers(1, 4)),
    lambda c: (_torch_pad(c[0], c[1]), np.pad(c[0], c[1], mode="reflect")),
    lambda c: (_torch_pad(c[0], min(c[1], c[0].size - 1)), np.pad(c[0], min(c[1], c[0].size - 1), mode="reflect")),
    "F.pad(x, (p, p), 'reflect') == np.pad(x, p, 'reflect') only while p < len(x) (torch raises beyond; numpy bounces)",
    "torch requires the padding to be smaller than the input; numpy reflects back and forth for any width. "
    "A one-element input with padding 1 is the smallest refusal.", 1, ("boundary", "shape"),
    script="""
    x = torch.tensor([[[0.0]]], dtype=torch.float64)
    # the belief: like numpy.pad(x, 1, 'reflect'), which repeats the one sample
    expected = np.array([0.0, 0.0, 0.0])
    actual = attempt(lambda: torch.nn.functional.pad(x, (1, 1), mode="reflect")[0, 0].numpy())
    """,
)


def _torch_pad(x: np.ndarray, p: int) -> np.ndarray:
    import torch

    return torch.nn.functional.pad(torch.from_numpy(x)[None, None], (p, p), mode="reflect")[0, 0].numpy()


belief(
    "torch-same-works-with-stride", "torch",
    "Belief: padding='same' works with stride 2, as in TensorFlow.",
    "F.conv1d(x, w, stride=2, padding='same') == TF 'SAME' (pad_total = max((ceil(n/s)-1) s + k - n, 0))",
    pairs(),
    lambda c: (torch_conv(c[0], c[1], stride=2, padding="same"), _tf_same(c[0], c[1])),
    lambda c: (torch_conv(np.pad(c[0], _tf_pads(c[0].size, c[1].size)), c[1], stride=2), _tf_same(c[0], c[1])),
    "F.conv1d(F.pad(x, TF's (total//2, total - total//2)), w, stride=2) == TF 'SAME'",
    "torch refuses 'same' for strided convolutions ('padding='same' is not supported for strided convolutions'): "
    "TF's padding depends on the input length modulo the stride. Any input shows the refusal: 2 elements.",
    2, ("same", "stride"),
    script="""
    x = torch.tensor([[[0.0]]], dtype=torch.float64)
    w = torch.tensor([[[0.0]]], dtype=torch.float64)
    # the belief: TensorFlow's 'SAME' with stride 2 (no padding needed here): [x0 w0]
    expected = np.array([0.0])
    actual = attempt(lambda: torch.nn.functional.conv1d(x, w, stride=2, padding="same")[0, 0].numpy())
    """,
)


def _tf_pads(n: int, k: int, s: int = 2) -> tuple[int, int]:
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def _tf_same(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return oracle.conv(np.pad(x, _tf_pads(x.size, w.size))[None, None], w[None, None], stride=2)[0, 0]
