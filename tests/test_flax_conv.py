"""Flax's Conv/ConvTranspose adapters on hand-computed examples, and the padding belief's counterexample."""

from __future__ import annotations

import numpy as np
import pytest

from conv_equivalence.backends import get_backend
from conv_equivalence.identities import get_identity
from conv_equivalence.problem import ConvProblem, ConvSpec

pytest.importorskip("flax")


@pytest.mark.parametrize("api", ["linen", "nnx"])
def test_conv_circular_same_by_hand(api: str) -> None:
    # circular 'same' with a 2-tap kernel pads one sample after: [1 2 3 | 1] -> [1*1 + 2*10, 2 + 30, 3 + 10]
    problem = ConvProblem(ConvSpec.create(1, padding="same", padding_mode="circular"),
                          np.array([[[1.0, 2.0, 3.0]]]), np.array([[[1.0, 10.0]]]))
    np.testing.assert_array_equal(get_backend(f"flax.{api}.Conv")(problem), [[[21.0, 32.0, 13.0]]])


@pytest.mark.parametrize("api", ["linen", "nnx"])
def test_conv_transpose_by_hand(api: str) -> None:
    # torch's conv_transpose1d([1, 2], [1, 10], stride=2, padding=0) scatters x[i] * w at 2i: [1, 10, 2, 20]
    problem = ConvProblem(ConvSpec.create(1, stride=2, transposed=True),
                          np.array([[[1.0, 2.0]]]), np.array([[[1.0, 10.0]]]))
    np.testing.assert_array_equal(get_backend(f"flax.{api}.ConvTranspose")(problem), [[[1.0, 10.0, 2.0, 20.0]]])


def test_reflect_only_with_same_placement() -> None:
    caps = get_backend("flax.linen.Conv").capabilities
    spec = ConvSpec.create(1, padding=((0, 1),), padding_mode="reflect")
    problem = ConvProblem(spec, np.ones((1, 1, 4)), np.ones((1, 1, 3)))
    assert caps.reason_unsupported(problem) is not None  # flax's REFLECT pads (1, 1) for three taps


def test_padding_belief_counterexample() -> None:
    belief = get_identity("flax-convtranspose-padding-is-torch-padding")
    case = (np.array([1.0]), np.array([1.0, 2.0]), 0)
    with pytest.raises(AssertionError):
        belief.check("flax", case)
    assert belief.truth is not None
    belief.truth("flax", case)
