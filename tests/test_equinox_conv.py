"""Equinox's Conv/ConvTranspose adapters: every padding mode by hand, and the transposed translation."""

from __future__ import annotations

import numpy as np
import pytest

from conv_equivalence.backends import get_backend
from conv_equivalence.backends.equinox_conv import string_transpose_pads
from conv_equivalence.problem import ConvProblem, ConvSpec

pytest.importorskip("equinox")

X = np.array([[[1.0, 2.0, 3.0]]])
W = np.array([[[1.0, 10.0, 100.0]]])


@pytest.mark.parametrize("mode,padded", [("zeros", [0, 1, 2, 3, 0]), ("reflect", [2, 1, 2, 3, 2]),
                                         ("replicate", [1, 1, 2, 3, 3]), ("circular", [3, 1, 2, 3, 1])])
def test_padding_modes_by_hand(mode: str, padded: list[int]) -> None:
    problem = ConvProblem(ConvSpec.create(1, padding=1, padding_mode=mode), X, W)
    p = np.array(padded, dtype=float)
    expected = [p[i:i + 3] @ W[0, 0] for i in range(3)]
    np.testing.assert_array_equal(get_backend("equinox.nn.Conv")(problem)[0, 0], expected)


def test_conv_transpose_by_hand() -> None:
    # torch's conv_transpose1d([1, 2], [1, 10], stride=2, padding=1, output_padding=1): [1, 10, 2, 20] cropped by 1
    # at the start, one sample of output padding after: [10, 2, 20]
    problem = ConvProblem(ConvSpec.create(1, stride=2, padding=1, output_padding=1, transposed=True),
                          np.array([[[1.0, 2.0]]]), np.array([[[1.0, 10.0]]]))
    np.testing.assert_array_equal(get_backend("equinox.nn.ConvTranspose")(problem), [[[10.0, 2.0, 20.0]]])


def test_same_transpose_ignores_output_padding_outside_the_split() -> None:
    # k=3, s=2: 'SAME' splits d(k-1) - s + op + 1 = 1 + op, so op=1 gives (1, 1): torch's padding=1, op=0
    assert string_transpose_pads(3, 2, 1, 1, "SAME") == (1, 1)
    assert string_transpose_pads(3, 2, 1, 0, "SAME") == (2, 1)  # torch would need output_padding -1: not passed
    assert string_transpose_pads(3, 2, 1, 0, "SAME_LOWER") == (1, 2)  # torch's padding=1, output_padding=1
