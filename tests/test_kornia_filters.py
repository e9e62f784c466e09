"""kornia's adapters and native identity on hand-computed examples (skipped without kornia)."""

from __future__ import annotations

import numpy as np
import pytest

from conv_equivalence.backends import get_backend
from conv_equivalence.problem import ConvProblem, ConvSpec

pytest.importorskip("kornia")


def test_filter2d_same_puts_the_extra_sample_of_an_even_kernel_after() -> None:
    # 'same' pads (0, 1) for a 2-tap kernel; reflect extends [1 2 3 4] by 3: correlation [1+20, 2+30, 3+40, 4+30]
    problem = ConvProblem(ConvSpec.create(2, padding="same", padding_mode="reflect"),
                          np.array([[[[1.0, 2.0, 3.0, 4.0]]]]), np.array([[[[1.0, 10.0]]]]))
    got = get_backend("kornia.filters.filter2d")(problem)
    np.testing.assert_array_equal(got, [[[[21.0, 32.0, 43.0, 34.0]]]])


def test_filter2d_gives_each_channel_its_own_kernel_through_the_batch() -> None:
    # depthwise: channel 0 with [1, 0] copies x, channel 1 with [0, 1] shifts it; 'valid'
    x = np.array([[[[1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0]]]])
    w = np.array([[[[1.0, 0.0]]], [[[0.0, 1.0]]]])
    problem = ConvProblem(ConvSpec.create(2, groups=2), x, w, layout="channels_last")
    got = get_backend("kornia.filters.filter2d")(problem)
    np.testing.assert_array_equal(got, [[[[1.0, 2.0]], [[5.0, 6.0]]]])


def test_filter2d_separable_takes_a_column_kernel_and_circular_borders() -> None:
    # a 2x1 column [1, 10], 'same' pads one row after, circular: rows [r0 + 10 r1, r1 + 10 r0]
    x = np.array([[[[1.0], [2.0]]]])
    problem = ConvProblem(ConvSpec.create(2, padding="same", padding_mode="circular"), x, np.array([[[[1.0], [10.0]]]]))
    got = get_backend("kornia.filters.filter2d_separable")(problem)
    np.testing.assert_array_equal(got, [[[[21.0], [12.0]]]])


def test_capabilities_refuse_what_kornia_cannot_say() -> None:
    dense = ConvProblem(ConvSpec.create(2), np.ones((1, 2, 3, 3)), np.ones((1, 2, 2, 2)))  # a dense 2 -> 1 channel conv
    assert get_backend("kornia.filters.filter2d").capabilities.reason_unsupported(dense) is not None
    shifted = ConvProblem(ConvSpec.create(2, padding=((1, 0), (0, 0))), np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 1)))
    assert get_backend("kornia.filters.filter2d").capabilities.reason_unsupported(shifted) is not None  # 'same' is (0, 1)
    empty = ConvProblem(ConvSpec.create(2), np.ones((0, 1, 3, 3)), np.ones((1, 1, 2, 2)))
    assert get_backend("kornia.filters.fft_conv").capabilities.reason_unsupported(empty) is not None  # rfftn raises


def test_normalized_divides_by_the_sum_of_absolute_values() -> None:
    # the belief kornia-normalized-divides-by-the-sum: [[-1, 3]] / 4, not / 2
    from conv_equivalence.identities.native_kornia import _normalized

    got = _normalized((np.array([[1.0, 1.0]]), np.array([[-1.0, 3.0]])))
    np.testing.assert_allclose(got, [[0.5]])


def test_native_expected_flips_for_conv_and_normalises_per_sample() -> None:
    from conv_equivalence.identities.native_kornia import _check_kornia, expected

    case = {"function": "filter2d", "kwargs": {"border_type": "CONSTANT", "normalized": True, "padding": "Valid",
                                               "behaviour": "conv"},
            "x": np.array([[[[1.0, 2.0, 3.0]]], [[[1.0, 2.0, 3.0]]]]), "k": np.array([[[1.0, 3.0]], [[-2.0, 2.0]]]),
            "dtype": "float64", "padding_mode": "zeros"}
    case["arrays"] = {"kernel": case["k"]}
    # sample 0: flipped [3, 1] / 4 -> [5/4, 9/4]; sample 1: flipped [2, -2] / 4 -> [-1/2, -1/2]
    np.testing.assert_allclose(expected(case, case["x"], case["k"]), [[[[1.25, 2.25]]], [[[-0.5, -0.5]]]])
    _check_kornia("kornia", case)  # kornia agrees
