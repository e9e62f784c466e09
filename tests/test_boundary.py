"""The boundary-mode table is true of the libraries, and the README shows it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal

from conv_equivalence.boundary import BOUNDARIES, Boundary, by_torch_mode, markdown_table

SIGNAL = np.array([1.0, 2.0, 3.0, 4.0])  # a b c d
PAD = 2


def _expected(boundary: Boundary) -> np.ndarray:
    """The 'x y [a b c d] z w' pattern of the row, as numbers."""
    letters = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "0": 0.0}
    left, right = boundary.pattern.split(" [")[0], boundary.pattern.split("] ")[1]
    return np.array([letters[c] for c in left.split()] + list(SIGNAL) + [letters[c] for c in right.split()])


@pytest.mark.parametrize("boundary", BOUNDARIES, ids=lambda b: b.numpy)
def test_numpy_pad(boundary: Boundary) -> None:
    np.testing.assert_array_equal(np.pad(SIGNAL, PAD, mode=boundary.numpy), _expected(boundary))


@pytest.mark.parametrize("boundary", [b for b in BOUNDARIES if b.torch], ids=lambda b: b.torch)
def test_torch_padding_mode(boundary: Boundary) -> None:
    torch = pytest.importorskip("torch")
    mode = "constant" if boundary.torch == "zeros" else boundary.torch
    padded = torch.nn.functional.pad(torch.from_numpy(SIGNAL)[None, None], (PAD, PAD), mode=mode)[0, 0].numpy()
    np.testing.assert_array_equal(padded, _expected(boundary))


@pytest.mark.parametrize("boundary", BOUNDARIES, ids=lambda b: b.ndimage)
def test_ndimage_mode(boundary: Boundary) -> None:
    # correlate with a delta 2 samples off-centre reads the extension 2 samples beyond each edge
    expected = _expected(boundary)
    for offset, sl in ((-PAD, slice(0, 4)), (PAD, slice(2 * PAD, 2 * PAD + 4))):
        kernel = np.zeros(2 * PAD + 1)
        kernel[PAD + offset] = 1.0
        out = scipy.ndimage.correlate1d(SIGNAL, kernel, mode=boundary.ndimage, cval=0.0)
        np.testing.assert_array_equal(out, expected[sl])


@pytest.mark.parametrize("boundary", [b for b in BOUNDARIES if b.signal2d], ids=lambda b: b.signal2d)
def test_convolve2d_boundary(boundary: Boundary) -> None:
    expected = _expected(boundary)
    for tap, sl in ((0, slice(0, 4)), (2 * PAD, slice(2 * PAD, 2 * PAD + 4))):
        kernel = np.zeros((1, 2 * PAD + 1))
        kernel[0, tap] = 1.0  # odd kernel, 'same': output i reads padded[i + tap]
        out = scipy.signal.correlate2d(SIGNAL[None], kernel, mode="same", boundary=boundary.signal2d)[0]
        np.testing.assert_array_equal(out, expected[sl])


@pytest.mark.parametrize("boundary", BOUNDARIES, ids=lambda b: b.opencv)
def test_opencv_border_type(boundary: Boundary) -> None:
    cv2 = pytest.importorskip("cv2", reason="opencv-python-headless is not installed (extra [opencv])")
    padded = cv2.copyMakeBorder(SIGNAL[None], 0, 0, PAD, PAD, getattr(cv2, boundary.opencv), value=0)[0]
    np.testing.assert_array_equal(padded, _expected(boundary))


def test_unknown_torch_mode_is_named() -> None:
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        by_torch_mode("symmetric")


def test_readme_shows_the_table() -> None:
    readme = (Path(__file__).parents[1] / "docs" / "oracle.md").read_text()
    assert markdown_table() in readme
