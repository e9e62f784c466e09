"""astropy.convolution's adapters on hand-computed examples, its known issue, and its native identity's belief."""

from __future__ import annotations

import numpy as np
import pytest

from conv_equivalence.backends import get_backend
from conv_equivalence.backends.astropy_convolution import WRAP_LONG_KERNEL
from conv_equivalence.identities import get_identity
from conv_equivalence.identities.native_astropy import expected
from conv_equivalence.oracle import solve
from conv_equivalence.problem import ConvProblem, ConvSpec

pytest.importorskip("astropy", reason="astropy is not installed (extra [astropy])")


@pytest.mark.parametrize("name", ["astropy.convolution.convolve", "astropy.convolution.convolve_fft"])
@pytest.mark.parametrize("mode,want", [("zeros", [12.0, 124.0, 248.0, 496.0, 960.0]),
                                       ("circular", [1612.0, 124.0, 248.0, 496.0, 961.0])])
def test_adapter_on_a_hand_computed_example(name: str, mode: str, want: list[float]) -> None:
    # torch: out[i] = x[i-1] w0 + x[i] w1 + x[i+1] w2 with w = (100, 10, 1): astropy convolves flip(w) = (1, 10, 100)
    x = np.array([[[1.0, 2.0, 4.0, 8.0, 16.0]]])
    problem = ConvProblem(ConvSpec.create(1, padding=1, padding_mode=mode), x, np.array([[[100.0, 10.0, 1.0]]]))
    np.testing.assert_allclose(get_backend(name)(problem)[0, 0], want, rtol=1e-12)
    np.testing.assert_allclose(solve(problem)[0, 0], want)


def test_convolve_fft_takes_even_kernels_as_torch_same() -> None:
    problem = ConvProblem(ConvSpec.create(1, padding="same"), np.array([[[1.0, 2.0, 4.0]]]), np.array([[[1.0, 10.0]]]))
    backend = get_backend("astropy.convolution.convolve_fft")
    assert backend.capabilities.reason_unsupported(problem) is None
    np.testing.assert_allclose(backend(problem), solve(problem), rtol=1e-12)
    assert get_backend("astropy.convolution.convolve").capabilities.reason_unsupported(problem) is not None


def test_wrap_long_kernel_still_wraps_with_the_wrong_period() -> None:
    problem = WRAP_LONG_KERNEL.example()
    got = get_backend("astropy.convolution.convolve_fft")(problem)
    assert got[0, 0, 0] == pytest.approx(10.0)  # the zero-padded period; the periodic answer is 111
    assert get_backend("astropy.convolution.convolve")(problem)[0, 0, 0] == pytest.approx(111.0)


def test_native_expected_interpolates_nan_as_astropy_does() -> None:
    from astropy.convolution import convolve

    case = {"fft": False, "x": np.array([1.0, np.nan, 4.0, 8.0, 16.0]), "kernel": np.array([1.0, 10.0, 100.0]),
            "boundary": "fill", "fill_value": 0.0, "normalize_kernel": False, "nan_treatment": "interpolate",
            "preserve_nan": False}
    # out[0] = (10 * 1 + 100 * fill) / (10 + 100) * 111: the NaN's weight (1) left out, the sum rescaled
    assert expected(case)[0] == pytest.approx(10 * 111 / 110)
    np.testing.assert_allclose(convolve(case["x"], case["kernel"], normalize_kernel=False), expected(case))


def test_complex_belief_counterexample() -> None:
    identity = get_identity("astropy-convolve-fft-keeps-complex")
    case = (np.array([1j]), np.array([1.0]))
    with pytest.raises(AssertionError):
        identity.check("astropy", case)
    assert identity.truth is not None
    identity.truth("astropy", case)
