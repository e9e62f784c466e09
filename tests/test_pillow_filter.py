"""Pillow's ImageFilter.Kernel: its orientation, border, rounding and clamp on literal examples, and the adapter."""

from __future__ import annotations

import numpy as np
import pytest

from conv_equivalence.backends import get_backend
from conv_equivalence.identities import get_identity
from conv_equivalence.identities.native_pillow import _check_pillow
from conv_equivalence.oracle import solve
from conv_equivalence.problem import ConvProblem, ConvSpec

pytest.importorskip("PIL", reason="pillow is not installed (extra [pillow])")


def _filter(image: np.ndarray, kernel: list[float], mode: str = "L", scale: float | None = None) -> np.ndarray:
    from PIL import Image, ImageFilter

    dtype = np.int32 if mode == "I" else np.uint8
    return np.asarray(Image.fromarray(image.astype(dtype), mode=mode).filter(ImageFilter.Kernel((3, 3), kernel, scale=scale)))


def test_kernel_is_flipped_vertically_only() -> None:
    image = np.zeros((5, 5))
    image[2, 2] = 1
    out = _filter(image, list(range(1, 10)), scale=1)
    # an impulse answers with the kernel flipped left-right around it (a correlation would flip both ways)
    np.testing.assert_array_equal(out[1:4, 1:4], [[3, 2, 1], [6, 5, 4], [9, 8, 7]])


def test_border_is_copied_and_rounding_is_half_up_clamped() -> None:
    image = np.arange(16).reshape(4, 4) * 3
    out = _filter(image, [0, 0, 0, 0, 1, 0, 0, 0, 0], scale=2)
    np.testing.assert_array_equal(out[0], image[0])  # the border, unfiltered
    for value, rounded in ((13, 7), (9, 5)):  # 6.5 -> 7 and 4.5 -> 5: half up (to even would give 6 and 4)
        assert _filter(np.full((3, 3), value), [0, 0, 0, 0, 1, 0, 0, 0, 0], scale=2)[1, 1] == rounded
    assert _filter(image, [0, 0, 0, 0, -1, 0, 0, 0, 0], scale=1)[1, 1] == 0  # clamped at 0


def test_mode_F_is_refused_and_I_clamps_negatives() -> None:
    with pytest.raises(ValueError, match="wrong mode"):
        from PIL import Image, ImageFilter

        Image.fromarray(np.zeros((3, 3), np.float32), mode="F").filter(ImageFilter.Kernel((3, 3), [1] * 9))
    assert _filter(np.full((3, 3), -6), [0, 0, 0, 0, 1, 0, 0, 0, 0], mode="I", scale=1)[1, 1] == 0


def test_adapter_recovers_signed_results_with_small_kernels_and_padding() -> None:
    x = np.array([[[[1, -2, 3], [-4, 5, -6], [7, -8, 9]]]], dtype=np.int64)
    w = np.array([[[[1, -1], [2, 0]]]], dtype=np.int64)
    problem = ConvProblem(ConvSpec.create(2, padding=1), x, w, dtype="int32")
    got = get_backend("PIL.ImageFilter.Kernel")(problem)
    assert got.dtype == np.int32 and (got < 0).any()
    np.testing.assert_array_equal(got, solve(problem))


def test_native_check_rejects_a_correlation_orientation() -> None:
    image = np.zeros((3, 3), dtype=np.int64)
    image[1, 0] = 1
    case = {"mode": "L", "image": image, "kernel": np.arange(9).reshape(3, 3), "scale": 1, "offset": 0}
    _check_pillow("PIL", case)  # Pillow's own answer passes
    identity = get_identity("pillow-kernel-is-a-convolution")
    kernel = np.zeros((3, 3), dtype=np.int64)
    kernel[1, 0] = 1
    with pytest.raises(AssertionError):
        identity.check("PIL", (image, kernel))
