"""The public strategies for users' own property tests (`conv_equivalence.testing`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.errors import InvalidArgument

from conv_equivalence.testing import Convolution, assert_matches, convolutions

torch = pytest.importorskip("torch")
F = torch.nn.functional


def torch_conv(x: Any, w: Any, b: Any, *params: Any) -> Any:
    """torch's own functional convolution, dispatched on the rank and on conv/conv_transpose by arity."""
    transposed = len(params) == 5
    return getattr(F, f"conv{'_transpose' if transposed else ''}{x.dim() - 2}d")(x, w, b, *params)


def numpy_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, *params: Any) -> np.ndarray:
    out = torch_conv(torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(w)),
                     None if b is None else torch.from_numpy(b), *params)
    return out.numpy()


def nhwc_conv(layout: str) -> Any:
    def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, *params: Any) -> np.ndarray:
        nchw = np.moveaxis(x, -1, 1)
        oihw = np.transpose(w, (w.ndim - 1, w.ndim - 2, *range(w.ndim - 2))) if layout == "hwio" else np.moveaxis(w, -1, 1)
        return np.moveaxis(numpy_conv(nchw, oihw, b, *params), 1, -1)
    return conv


@pytest.mark.parametrize("convention,fn,transposed", [
    ("torch", torch_conv, False), ("torch", torch_conv, True), ("numpy", numpy_conv, False),
    ("numpy", numpy_conv, True), ("nhwc-hwio", nhwc_conv("hwio"), False), ("nhwc-ohwi", nhwc_conv("ohwi"), False),
])
def test_a_correct_convolution_passes_in_every_convention(convention: str, fn: Any, transposed: bool) -> None:
    dtypes = ["float32", "float64", "int64"] if convention == "torch" else ["float64", "int64"]

    @settings(max_examples=40)
    @given(convolutions(convention, transposed=transposed, dtypes=dtypes, elements=["integers", "floats"]))
    def check(conv: Convolution) -> None:
        assert_matches(conv, fn(*conv.args))

    check()


def test_a_flipped_kernel_fails_with_checks_counterexample() -> None:
    def flipped(x: Any, w: Any, b: Any, *params: Any) -> Any:
        return torch_conv(x, w.flip(-1), b, *params)

    @settings(max_examples=60, derandomize=True, database=None)
    @given(convolutions("torch", ndim=1, dtypes=["float64"]))
    def check(conv: Convolution) -> None:
        assert_matches(conv, flipped(*conv.args), name="flipped", function=flipped)

    with pytest.raises(AssertionError) as raised:
        check()
    message = str(raised.value)
    for needle in ("== flipped: fail", "counterexample: stride=", "input (1, 1, 2) float64:", "weight (1, 1, 2) float64:",
                   "expected (oracle)", "got (the implementation)", "[", "reproduce (standalone Python):"):
        assert needle in message, (needle, message)


def test_wrong_dtype_and_shape_are_named() -> None:
    @settings(max_examples=5, derandomize=True, database=None)
    @given(convolutions("torch", ndim=1, dtypes=["float64"], vary=[]))
    def check(conv: Convolution) -> None:
        with pytest.raises(AssertionError, match="returned float32 for float64 input"):
            assert_matches(conv, torch_conv(*conv.args).float())
        with pytest.raises(AssertionError, match="returned shape"):
            assert_matches(conv, torch_conv(*conv.args)[..., :0])

    check()


def test_layer_holds_the_drawn_weights() -> None:
    @settings(max_examples=30)
    @given(convolutions("torch", dtypes=["float64"], vary=["stride", "padding", "dilation", "groups", "bias"]))
    def check(conv: Convolution) -> None:
        with torch.no_grad():
            assert_matches(conv, conv.layer()(conv.args[0]))

    check()


def test_parameters_come_as_ints_and_tuples() -> None:
    forms: set[type] = set()

    @settings(max_examples=80, derandomize=True, database=None)
    @given(convolutions("torch", ndim=2, vary=["stride"]))
    def check(conv: Convolution) -> None:
        forms.add(type(conv.args[3]))

    check()
    assert forms == {int, tuple}


@pytest.mark.parametrize("kwargs,name", [
    (dict(convention="tensorflow"), "convention"),
    (dict(ndim=4), "ndim"),
    (dict(ndim=True), "ndim"),
    (dict(dtypes="float32"), "dtypes"),
    (dict(dtypes=["float128"]), "dtypes"),
    (dict(dtypes=[]), "dtypes"),
    (dict(vary=["strides"]), "vary"),
    (dict(elements=["nan"]), "elements"),
    (dict(elements=["nonfinite"], dtypes=["int64"]), "elements"),
    (dict(transposed="yes"), "transposed"),
    (dict(domain=["circular"]), "domain"),
    (dict(domain="depthwise"), "domain"),
    (dict(device="tpu"), "device"),
    (dict(convention="numpy", device="cuda"), "device"),
    (dict(convention="numpy", dtypes=["bfloat16"]), "dtypes"),
])
def test_bad_arguments_are_named_before_drawing(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(InvalidArgument, match=name):
        convolutions(**kwargs)


def test_a_declared_domain_holds_in_every_draw() -> None:
    """domain=[...] draws as check's --depthwise --shared-kernel --odd-kernels --square-kernels do."""
    from hypothesis import given, settings

    @settings(max_examples=40, deadline=None, database=None)
    @given(convolutions("torch", ndim=2, domain=["depthwise", "shared-kernel", "odd-kernels", "square-kernels"]))
    def check(conv: Any) -> None:
        x, w = conv.args[0], conv.args[1]
        k = tuple(w.shape[2:])
        assert conv.args[6] == x.shape[1] == w.shape[0] and w.shape[1] == 1, (x.shape, w.shape, conv.args[6])
        assert k[0] == k[1] and k[0] % 2 == 1 and bool((w == w[:1]).all() | w.isnan().all()), w

    check()


def test_channels_last_transposed_convolutions() -> None:
    """transposed=True with a channels-last convention: TensorFlow's conv2d_transpose filter layout."""
    from hypothesis import given, settings

    from tests.broken.conventions import nhwc_hwio_transposed

    @settings(max_examples=20, deadline=None, database=None)
    @given(convolutions("nhwc-hwio", ndim=2, transposed=True))
    def check(conv: Any) -> None:
        assert_matches(conv, nhwc_hwio_transposed(*conv.args))

    check()


def test_signal_conventions_in_property_tests() -> None:
    """convolutions('signal' | 'signal2d' | 'filter') draw calls scipy answers; assert_matches holds scipy to the
    oracle and names a broken implementation's counterexample."""
    import scipy.ndimage
    import scipy.signal

    from tests.broken import signals as broken_signals

    @settings(max_examples=40, deadline=None, database=None)
    @given(convolutions("signal", ndim=1, dtypes=["float64", "int64"]))
    def scipy_signal(conv: Any) -> None:
        assert_matches(conv, scipy.signal.convolve(*conv.args, method="direct"))

    @settings(max_examples=30, deadline=None, database=None)
    @given(convolutions("signal2d", correlate=True))
    def scipy_2d(conv: Any) -> None:
        assert_matches(conv, scipy.signal.correlate2d(*conv.args))

    @settings(max_examples=30, deadline=None, database=None)
    @given(convolutions("filter", ndim=2, correlate=True, modes=["reflect", "wrap", "constant"]))
    def ndimage(conv: Any) -> None:
        x, w, mode, cval, origin = conv.args
        assert_matches(conv, scipy.ndimage.correlate(x, w, mode=mode, cval=cval, origin=origin))

    @settings(max_examples=60, deadline=None, database=None)
    @given(convolutions("signal", ndim=1, modes=["same"]))
    def broken(conv: Any) -> None:
        assert_matches(conv, broken_signals.same_even_off_by_one(*conv.args), name="same_even_off_by_one")

    scipy_signal()
    scipy_2d()
    # ndimage: its own known issues (tiny, near-symmetric, zero and NaN weights) are not drawn
    ndimage()
    with pytest.raises(AssertionError, match="same_even_off_by_one: values differ"):
        broken()
    with pytest.raises(InvalidArgument, match="modes"):
        convolutions("signal", modes=["circular"])
    with pytest.raises(InvalidArgument, match="same"):
        convolutions("filter", same="numpy")
    with pytest.raises(InvalidArgument, match="correlate"):
        convolutions("torch", correlate=True)
    with pytest.raises(InvalidArgument, match="arrays"):
        convolutions("signal", arrays="cupy")
    with pytest.raises(InvalidArgument, match="device"):
        convolutions("signal", device="cuda")


def test_signal_conventions_with_torch_tensors() -> None:
    """arrays='torch': args hands torch tensors over; a tensor answer is read back and judged."""
    import torch

    @settings(max_examples=30, deadline=None, database=None)
    @given(convolutions("signal", ndim=1, arrays="torch", dtypes=["float64", "complex128"]))
    def torch_fft(conv: Any) -> None:
        in1, in2, mode = conv.args
        assert isinstance(in1, torch.Tensor) and isinstance(in2, torch.Tensor)
        n = in1.shape[0] + in2.shape[0] - 1
        full = torch.fft.ifft(torch.fft.fft(in1, n) * torch.fft.fft(in2, n))
        full = full if in1.is_complex() or in2.is_complex() else full.real
        start = {"full": 0, "same": (in2.shape[0] - 1) // 2, "valid": min(in1.shape[0], in2.shape[0]) - 1}[mode]
        length = {"full": n, "same": in1.shape[0], "valid": abs(in1.shape[0] - in2.shape[0]) + 1}[mode]
        assert_matches(conv, full[start:start + length], precision="fft")

    torch_fft()
