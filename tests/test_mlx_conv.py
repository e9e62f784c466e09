"""MLX's adapters, known issues and native identity on hand-computed examples (skipped without MLX)."""

from __future__ import annotations

import numpy as np
import pytest

from conv_equivalence.backends import get_backend
from conv_equivalence.problem import ConvProblem, ConvSpec

pytest.importorskip("mlx.core")


def test_conv_general_takes_padding_pairs_in_channels_last() -> None:
    # pads (1, 0): [0 1 2 3] correlated with [1, 10] is [10, 21, 32]
    problem = ConvProblem(ConvSpec.create(1, padding=((1, 0),)), np.array([[[1.0, 2.0, 3.0]]]),
                          np.array([[[1.0, 10.0]]]), dtype="float32")
    np.testing.assert_array_equal(get_backend("mlx.core.conv_general")(problem), [[[10.0, 21.0, 32.0]]])


@pytest.mark.parametrize("name", ["mlx.core.conv_general[transpose]", "mlx.core.conv_transpose"])
def test_transpose_scatters_the_kernel(name: str) -> None:
    # out[2 i + j] += x[i] w[j]: [1, 10, 2, 20]
    problem = ConvProblem(ConvSpec.create(1, stride=2, transposed=True), np.array([[[1.0, 2.0]]]),
                          np.array([[[1.0, 10.0]]]), dtype="float32")
    np.testing.assert_array_equal(get_backend(name)(problem), [[[1.0, 10.0, 2.0, 20.0]]])


def test_convolve_same_keeps_the_longer_operand_as_numpy_does() -> None:
    import mlx.core as mx

    a, v = np.array([1.0, 2.0], dtype=np.float32), np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
    for mode in ("full", "same", "valid"):
        np.testing.assert_array_equal(np.array(mx.convolve(mx.array(a), mx.array(v), mode)), np.convolve(a, v, mode))


def test_float64_is_computed_in_float32() -> None:
    # the known issue mlx-cpu-float64-conv-in-float32: 2**24 + 1 comes back as 2**24, with dtype float64
    problem = ConvProblem(ConvSpec.create(1), np.array([[[2.0**24 + 1]]]), np.ones((1, 1, 1)))
    got = get_backend("mlx.core.conv")(problem)
    assert got.dtype == np.float64 and got[0, 0, 0] == 2.0**24
    assert get_backend("mlx.core.conv").known_issue(problem) is not None  # kept out of the property tests


def test_negative_padding_crops_before_input_dilation() -> None:
    # the known issue mlx-negative-padding-crops-before-input-dilation: torch's [0, 2, 0] is MLX's [2]
    backend = get_backend("mlx.core.conv_transpose")
    problem = ConvProblem(ConvSpec.create(1, stride=2, padding=1, transposed=True), np.array([[[1.0, 2.0, 3.0]]]),
                          np.ones((1, 1, 1)), dtype="float32")
    assert backend.known_issue(problem) is not None
    np.testing.assert_array_equal(backend(problem), [[[2.0]]])


def test_float64_refusals_are_declared() -> None:
    caps = get_backend("mlx.core.conv_general").capabilities
    dilated = ConvProblem(ConvSpec.create(1, dilation=2), np.ones((1, 1, 4)), np.ones((1, 1, 2)))
    assert caps.reason_unsupported(dilated) is not None
    assert caps.reason_unsupported(dilated.replace(dtype="float32")) is None
    grouped_3d = ConvProblem(ConvSpec.create(3, groups=2), np.ones((1, 2, 2, 2, 2)), np.ones((2, 1, 1, 1, 1)),
                             dtype="float32")
    assert caps.reason_unsupported(grouped_3d) is not None


def test_native_conv_general_and_output_padding_past_torchs_limit() -> None:
    from conv_equivalence.identities.native_mlx import _check_mlx, expected

    x, w = np.array([[[1.0, 2.0]]]), np.array([[[1.0, 10.0]]])
    # input_dilation 2: [1 0 2], padded by 1: [0 1 0 2 0], correlated with the flipped [10, 1]
    case = {"function": "conv_general", "dtype": "float32", "groups": 1, "stride": (1,), "dilation": (1,),
            "stride_arg": 1, "dilation_arg": [1], "input_dilation": (2,), "input_dilation_arg": 2,
            "pads": ((1, 1),), "padding": 1, "flip": True, "x": x, "w": w}
    np.testing.assert_array_equal(expected(case, x, w), [[[1.0, 10.0, 2.0, 20.0]]])
    _check_mlx("mlx", case)
    # a negative pad without input dilation crops: [1 2] cropped by one before is [2], padded by one after: [2 0]
    case.update(input_dilation=(1,), input_dilation_arg=1, pads=((-1, 1),), padding=([-1], [1]), flip=False)
    np.testing.assert_array_equal(expected(case, x, w), [[[2.0]]])
    _check_mlx("mlx", case)
    # conv_transpose1d(ones(2), ones(2), output_padding=2): the scatter [1, 2, 1] and two zeros (torch refuses)
    case = {"function": "conv_transpose", "dtype": "float16", "groups": 1, "stride": (1,), "dilation": (1,),
            "stride_arg": 1, "dilation_arg": 1, "padding": (0,), "output_padding": (2,), "out": (5,),
            "x": np.ones((1, 1, 2)), "w": np.ones((1, 1, 2))}
    np.testing.assert_array_equal(expected(case, case["x"], case["w"]), [[[1.0, 2.0, 1.0, 0.0, 0.0]]])
    _check_mlx("mlx", case)
