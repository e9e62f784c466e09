"""jax.scipy.signal adapters: 'same' placements by hand, the unordered-shapes refusal, the known issue's example."""

from __future__ import annotations

import numpy as np
import pytest

from conv_equivalence.backends import get_backend
from conv_equivalence.backends.jax_scipy_signal import SWAP_MULTIPLIES_PADDING
from conv_equivalence.identities import get_identity
from conv_equivalence.problem import ConvProblem, ConvSpec

pytest.importorskip("jax")


def _problem(x: list[list[float]], w: list[list[float]], pads: tuple[tuple[int, int], ...]) -> ConvProblem:
    return ConvProblem(ConvSpec.create(2, padding=pads), np.array(x)[None, None], np.array(w)[None, None])


def test_correlate2d_same_puts_extra_sample_at_the_end() -> None:
    # torch's 'same' for a 1x2 kernel pads (0, 1): [1 2 3 0] correlated with [1 10] -> [21, 32, 3]
    problem = _problem([[1.0, 2.0, 3.0]], [[1.0, 10.0]], ((0, 0), (0, 1)))
    for name in ("jax.scipy.signal.correlate2d", "jax.scipy.signal.convolve2d", "jax.scipy.signal.correlate[direct]"):
        np.testing.assert_allclose(get_backend(name)(problem)[0, 0], [[21.0, 32.0, 3.0]], err_msg=name)


def test_full_mode_with_unordered_shapes_is_computed() -> None:
    # in1 (2, 1), kernel (1, 2) padded 'full': jax's direct methods refuse the operands, the adapter pads itself
    problem = _problem([[1.0], [2.0]], [[3.0, 4.0]], ((0, 0), (1, 1)))
    np.testing.assert_allclose(get_backend("jax.scipy.signal.convolve2d")(problem)[0, 0], [[4.0, 3.0], [8.0, 6.0]])


def test_unordered_shapes_belief_counterexample() -> None:
    belief = get_identity("jax-scipy-signal-convolve2d-accepts-scipy-shapes")
    case = (np.array([[1.0], [2.0]]), np.array([[3.0, 4.0]]))
    with pytest.raises(AssertionError, match="smaller than the other"):
        belief.check("jax", case)
    assert belief.truth is not None
    belief.truth("jax", case)


def test_swap_known_issue_example_still_shows() -> None:
    problem = SWAP_MULTIPLIES_PADDING.example()
    got = get_backend("jax.scipy.signal.correlate[direct]")(problem)
    assert np.isnan(got[0, 0, 0])  # torch and scipy in float64 give 0 there
