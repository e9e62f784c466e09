"""Keras 3's ops on each installed Keras backend: the adapter on hand-computed values, the worker groups,
and the known issues inherited from the library underneath."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from conv_equivalence.audit.workers import group_of
from conv_equivalence.backends import get_backend
from conv_equivalence.problem import ConvProblem, ConvSpec

pytest.importorskip("keras")
BACKENDS = [b for b in ("torch", "jax") if importlib.util.find_spec(b)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_same_with_stride_puts_the_odd_padding_sample_after(backend: str) -> None:
    """'same' at stride 2 over 4 samples with a 2-tap kernel: ceil(4 / 2) = 2 outputs, no padding needed
    before; [1, 2, 3, 4] correlated with [1, 10] at 0 and 2: [21, 43]."""
    spec = ConvSpec.create(1, stride=2, padding=((0, 0),))
    problem = ConvProblem(spec, np.array([[[1.0, 2.0, 3.0, 4.0]]]), np.array([[[1.0, 10.0]]]))
    got = get_backend(f"keras[{backend}].ops.conv")(problem)
    np.testing.assert_array_equal(got, [[[21.0, 43.0]]])


@pytest.mark.parametrize("backend", BACKENDS)
def test_depthwise_multiplier_orders_output_channels_channel_major(backend: str) -> None:
    """Two input channels, multiplier 2: output channel c * 2 + m is input c times kernel (c, m)."""
    spec = ConvSpec.create(1, groups=2)
    x = np.array([[[1.0], [10.0]]])
    w = np.array([[[1.0]], [[2.0]], [[3.0]], [[4.0]]])  # (C_in * m, 1, 1)
    got = get_backend(f"keras[{backend}].ops.depthwise_conv")(ConvProblem(spec, x, w))
    np.testing.assert_array_equal(got[0, :, 0], [1.0, 2.0, 30.0, 40.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_conv_transpose_valid_with_output_padding(backend: str) -> None:
    """conv_transpose1d([1, 2], [1, 1, 1], stride=2, output_padding=1): [1, 1, 3, 2, 2, 0]."""
    spec = ConvSpec.create(1, stride=2, output_padding=1, transposed=True)
    got = get_backend(f"keras[{backend}].ops.conv_transpose")(
        ConvProblem(spec, np.array([[[1.0, 2.0]]]), np.array([[[1.0, 1.0, 1.0]]])))
    np.testing.assert_array_equal(got, [[[1.0, 1.0, 3.0, 2.0, 2.0, 0.0]]])


def test_each_keras_backend_runs_in_a_worker_group_of_its_own() -> None:
    assert group_of("keras[jax].ops.conv") == "keras-jax"
    assert group_of("torch.functional.conv|keras[torch].ops.conv") == "keras-torch"
    assert group_of("keras[tensorflow]") == "keras-tensorflow"


def test_keras_jax_inherits_jax_lax_known_issues() -> None:
    from conv_equivalence.backends import jax_lax

    assert get_backend("keras[jax].ops.conv").known_issues == (jax_lax.GROUPED_NONFINITE,)
    assert get_backend("keras[jax].ops.conv_transpose").known_issues == (jax_lax.TRANSPOSE_MULTIPLIES_ZEROS,)
