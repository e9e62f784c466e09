"""Tempting beliefs that a library contradicts (status ``differs``), each with the true identity beside it.

A belief's check asserts the belief; Hypothesis refutes it and shrinks the counterexample. Each
entry also carries ``truth``, the corrected statement, which `conv-equivalence explain` checks on
the same counterexample, and ``minimal_size``: the fewest array elements any counterexample can
have (argued in the entry's ``why``), which the tests hold the shrinker to.

The verdict is ``differs`` (as documented) while a counterexample exists; a belief that starts to
hold on a new library version is a change the audit reports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle, tolerance
from conv_equivalence.identities import Identity, IdentityFailure, assert_close, register
from conv_equivalence.problem import framework_same_pads

Pair = tuple[np.ndarray, np.ndarray]
_INTS = st.integers(-3, 3)


def vector(min_side: int = 1, max_side: int = 5, dtype: Any = np.float64, kernel: bool = False,
           elements: st.SearchStrategy[Any] = _INTS) -> st.SearchStrategy[np.ndarray]:
    """A 1-D array of small integers (every element drawn for kernels, so few are palindromes)."""
    shape = st.integers(min_side, max_side).map(lambda n: (n,))
    return hnp.arrays(dtype, shape, elements=elements, fill=st.nothing() if kernel else None)


def pairs(**kw: Any) -> st.SearchStrategy[Pair]:
    return st.tuples(vector(**kw), vector(kernel=True, **kw))


def complex_pairs() -> st.SearchStrategy[Pair]:
    parts = st.builds(complex, _INTS, _INTS)
    return st.tuples(vector(dtype=np.complex128, elements=parts), vector(dtype=np.complex128, elements=parts, kernel=True))


def grids(max_side: int = 4) -> st.SearchStrategy[Pair]:
    """An image and a kernel, each the top-left corner of a full ``max_side`` square drawn first:
    a shape shrinks without shifting the values of the elements it keeps."""
    shape = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=max_side)
    square = (max_side, max_side)
    return st.builds(
        lambda image, kernel, s, t: (image[:s[0], :s[1]].copy(), kernel[:t[0], :t[1]].copy()),
        hnp.arrays(np.float64, square, elements=_INTS), hnp.arrays(np.float64, square, elements=_INTS, fill=st.nothing()),
        shape, shape)


def torch_conv(x: np.ndarray, w: np.ndarray, **kwargs: Any) -> np.ndarray:
    """torch.nn.functional.conv1d/2d on single-channel arrays (float64/complex128)."""
    import torch

    fn = getattr(torch.nn.functional, f"conv{x.ndim}d")
    out = fn(torch.from_numpy(np.array(x))[None, None], torch.from_numpy(np.array(w))[None, None], **kwargs)
    return out[0, 0].numpy()


def belief(identity_id: str, library: str, statement: str, formula: str, strategy: st.SearchStrategy[Any],
           sides: Callable[[Any], tuple[Any, Any]], truth: Callable[[Any], tuple[Any, Any]], truth_formula: str,
           why: str, minimal_size: int, tags: tuple[str, ...] = (), truth_bound: Callable[[Any], Any] | None = None) -> None:
    """Register a ``differs`` entry: ``sides(case)`` are the belief's two sides (compared exactly),
    ``truth(case)`` the corrected ones (within ``truth_bound(case)``, exact by default)."""

    def compare(parts: Callable[[Any], tuple[Any, Any]], text: str,
                bound: Callable[[Any], Any] | None = None) -> Callable[[str, Any], None]:
        def check(target: str, case: Any) -> None:
            try:
                left, right = parts(case)
            except IdentityFailure:
                raise
            except Exception as exc:  # the library refusing the case refutes the belief as surely
                raise IdentityFailure(f"{text}: {type(exc).__name__}: {exc}", case=case) from None
            if isinstance(left, (bool, np.bool_)) or isinstance(left, (str, tuple)):
                if left != right:
                    raise IdentityFailure(f"{text}: {left!r} != {right!r}", case=case, left=left, right=right)
                return
            assert_close(np.asarray(left), np.asarray(right), 0.0 if bound is None else bound(case), what=text, case=case)
        return check

    register(Identity(identity_id, statement, formula, lambda: [library], lambda target: strategy,
                      compare(sides, formula), status="differs", why=why, tags=("misconception", *tags),
                      truth=compare(truth, truth_formula, truth_bound), truth_formula=truth_formula, minimal_size=minimal_size))


def _signal() -> Any:
    import scipy.signal

    return scipy.signal


def _ndimage() -> Any:
    import scipy.ndimage

    return scipy.ndimage


def _longer_first(case: Pair) -> Pair:
    x, w = case
    return (x, w) if x.size >= w.size else (w, x)


# -- the kernel flip --------------------------------------------------------------------------------

belief(
    "torch-conv-is-scipy-convolve", "torch",
    "Belief: torch's conv1d is scipy.signal.convolve in 'valid' mode.",
    "F.conv1d(x, w) == scipy.signal.convolve(x, w, 'valid')", pairs(),
    lambda c: (torch_conv(*_longer_first(c)), _signal().convolve(*_longer_first(c), mode="valid", method="direct")),
    lambda c: (torch_conv(*_longer_first(c)), _signal().correlate(*_longer_first(c), mode="valid", method="direct")),
    "F.conv1d(x, w) == scipy.signal.correlate(x, w, 'valid') == scipy.signal.convolve(x, w[::-1], 'valid')",
    "Deep-learning 'convolution' is cross-correlation: torch slides w over x as written, while signal-processing "
    "convolution reverses the kernel first. They agree for palindromic kernels, so the smallest counterexample "
    "needs a kernel of length 2 with unequal taps and an input of length 2 with unequal values: 4 elements.",
    4, ("flip",))

belief(
    "numpy-convolve-is-correlate", "numpy",
    "Belief: numpy.convolve and numpy.correlate compute the same thing.",
    "np.convolve(x, w, 'valid') == np.correlate(x, w, 'valid')", pairs(),
    lambda c: (np.convolve(*_longer_first(c), mode="valid"), np.correlate(*_longer_first(c), mode="valid")),
    lambda c: (np.convolve(*_longer_first(c), mode="valid"), np.correlate(_longer_first(c)[0], _longer_first(c)[1][::-1], "valid")),
    "np.convolve(x, w, 'valid') == np.correlate(x, w[::-1], 'valid')",
    "convolve reverses the kernel; correlate does not. A length-2 input and kernel, each with unequal values, "
    "is the smallest case where the order of the taps matters.", 4, ("flip",))

belief(
    "ndimage-convolve-is-correlate", "scipy.ndimage",
    "Belief: scipy.ndimage.convolve and scipy.ndimage.correlate agree.",
    "ndimage.convolve(x, w, mode='constant') == ndimage.correlate(x, w, mode='constant')", pairs(),
    lambda c: (_ndimage().convolve(c[0], c[1], mode="constant"), _ndimage().correlate(c[0], c[1], mode="constant")),
    lambda c: (_ndimage().convolve(c[0], c[1][::-1], mode="constant", origin=-1 + c[1].size % 2),
               _ndimage().correlate(c[0], c[1], mode="constant")),
    "ndimage.convolve(x, w[::-1], origin=-(k even)) == ndimage.correlate(x, w)",
    "ndimage.convolve flips the kernel and, for an even length, also moves its centre one sample. "
    "A length-2 input and a non-palindromic length-2 kernel is the smallest case the shrinker and a hand "
    "check agree on (with one input sample both read the same tap): 4 elements.", 4, ("flip",))


# -- complex conjugation ------------------------------------------------------------------------------

belief(
    "torch-complex-conv-is-scipy-correlate", "torch",
    "Belief: for complex data torch's conv1d is scipy.signal.correlate (both are 'correlation').",
    "F.conv1d(x, w) == scipy.signal.correlate(x, w, 'valid')   (complex x, w)", complex_pairs(),
    lambda c: (torch_conv(*_longer_first(c)), _signal().correlate(*_longer_first(c), mode="valid", method="direct")),
    lambda c: (torch_conv(*_longer_first(c)), _signal().correlate(_longer_first(c)[0], np.conj(_longer_first(c)[1]),
                                                                  mode="valid", method="direct")),
    "F.conv1d(x, w) == scipy.signal.correlate(x, conj(w), 'valid')",
    "numpy and scipy define correlation with the second argument conjugated; torch's complex convolution "
    "multiplies by w as it is. One input element and one kernel element with a non-zero imaginary part differ.",
    2, ("complex",))

belief(
    "numpy-correlate-does-not-conjugate", "numpy",
    "Belief: numpy.correlate(a, v) is sum_n a[n+k] * v[n], like torch's conv, for complex input too.",
    "np.correlate(a, v) == oracle.conv(a, v)   (complex)", complex_pairs(),
    lambda c: (np.correlate(*_longer_first(c), mode="valid"), oracle.conv(_longer_first(c)[0][None, None], _longer_first(c)[1][None, None])[0, 0]),
    lambda c: (np.correlate(*_longer_first(c), mode="valid"),
               oracle.conv(_longer_first(c)[0][None, None], np.conj(_longer_first(c)[1])[None, None])[0, 0]),
    "np.correlate(a, v) == sum_n a[n+k] * conj(v[n])",
    "numpy documents c_k = sum_n a[n+k] conj(v[n]). A single complex element in each argument shows the conjugate.",
    2, ("complex",))

belief(
    "ndimage-correlate-does-not-conjugate", "scipy.ndimage",
    "Belief: scipy.ndimage.correlate applies complex weights as given.",
    "ndimage.correlate(x, w, mode='constant') == oracle correlation with w (complex)", complex_pairs(),
    lambda c: (_ndimage().correlate(c[0], c[1], mode="constant"),
               _ndimage().correlate(c[0].real, c[1].real, mode="constant") - _ndimage().correlate(c[0].imag, c[1].imag, mode="constant")
               + 1j * (_ndimage().correlate(c[0].real, c[1].imag, mode="constant") + _ndimage().correlate(c[0].imag, c[1].real, mode="constant"))),
    lambda c: (_ndimage().correlate(c[0], c[1], mode="constant"),
               _ndimage().correlate(c[0].real, c[1].real, mode="constant") + _ndimage().correlate(c[0].imag, c[1].imag, mode="constant")
               + 1j * (-_ndimage().correlate(c[0].real, c[1].imag, mode="constant") + _ndimage().correlate(c[0].imag, c[1].real, mode="constant"))),
    "ndimage.correlate(x, w) == correlate with conj(w), built from real parts",
    "Since SciPy 1.6 ndimage conjugates complex weights in correlate, 'consistent with numpy.correlate' "
    "(scipy PR 12725). One complex element each suffices.", 2, ("complex",))

belief(
    "scipy-correlate-commutes", "scipy.signal",
    "Belief: cross-correlation is symmetric in its arguments, like convolution.",
    "scipy.signal.correlate(a, v) == scipy.signal.correlate(v, a)", pairs(),
    lambda c: (_signal().correlate(c[0], c[1], method="direct"), _signal().correlate(c[1], c[0], method="direct")),
    lambda c: (_signal().correlate(c[0], c[1], method="direct"), np.conj(_signal().correlate(c[1], c[0], method="direct"))[::-1]),
    "correlate(a, v) == conj(correlate(v, a))[::-1]",
    "Swapping the arguments reverses the lag axis (and conjugates). Two length-1 arrays commute, so the "
    "smallest counterexample has a length-2 argument with unequal entries and a non-zero other: 3 elements.", 3, ("lags",))


# -- 'same' placement ----------------------------------------------------------------------------------

def _torch_same(c: Pair) -> np.ndarray:
    return torch_conv(c[0], c[1], padding="same")


belief(
    "torch-same-is-scipy-same", "torch",
    "Belief: torch's padding='same' is scipy.signal.correlate(..., 'same').",
    "F.conv1d(x, w, padding='same') == scipy.signal.correlate(x, w, 'same')",
    pairs().filter(lambda c: c[0].size >= c[1].size),
    lambda c: (_torch_same(c), _signal().correlate(c[0], c[1], mode="same", method="direct")),
    lambda c: (_torch_same(c), _signal().correlate(np.pad(c[0], ((c[1].size - 1) // 2, c[1].size // 2)), c[1], mode="valid",
                                                   method="direct")),
    "F.conv1d(x, w, padding='same') == scipy.signal.correlate(pad(x, ((k-1)//2, k//2)), w, 'valid')",
    "For an even kernel one side gets one more sample of padding: torch puts it after the input, scipy "
    "before. Odd kernels agree, so the smallest case is a length-2 kernel (one non-zero tap) over a "
    "length-2 input (one non-zero value): 4 elements.", 4, ("same",))

belief(
    "correlate2d-same-is-correlate-same", "scipy.signal",
    "Belief: scipy.signal.correlate2d and scipy.signal.correlate agree in 'same' mode.",
    "correlate2d(x, w, 'same') == correlate(x, w, 'same')", grids(),
    lambda c: (_signal().correlate2d(c[0], c[1], mode="same"), _signal().correlate(c[0], c[1], mode="same", method="direct")),
    lambda c: (_signal().correlate2d(c[0], c[1], mode="same"), _signal().correlate(
        np.pad(c[0], [((k - 1) // 2, k // 2) for k in c[1].shape]), c[1], mode="valid", method="direct")),
    "correlate2d(x, w, 'same') == correlate(pad(x, ((k-1)//2, k//2) per axis), w, 'valid')",
    "For an even kernel the two centre the window differently: correlate's 'same' pads the extra sample "
    "before the input (like numpy.correlate), correlate2d, which is convolve2d of the rotated kernel, after it "
    "(like torch's padding='same'). Found by this suite; not in SciPy's documentation. Smallest case: a 1x1 "
    "input and a 1x2 kernel with its second tap set: 3 elements.", 3, ("same", "discovered"))

belief(
    "numpy-convolve-same-has-input-length", "numpy",
    "Belief: numpy.convolve(a, v, 'same') is as long as a.",
    "len(np.convolve(a, v, 'same')) == len(a)", pairs(),
    lambda c: (len(np.convolve(c[0], c[1], mode="same")), len(c[0])),
    lambda c: (len(np.convolve(c[0], c[1], mode="same")), max(len(c[0]), len(c[1]))),
    "len(np.convolve(a, v, 'same')) == max(len(a), len(v));  scipy.signal.convolve(a, v, 'same') has len(a)",
    "numpy's 'same' returns max(M, N) samples: with a kernel longer than the input it is as long as the "
    "kernel. One input element and a two-element kernel show it.", 3, ("same", "shape"))


# -- boundary names and defaults ------------------------------------------------------------------------

def _odd_kernel_pairs() -> st.SearchStrategy[Pair]:
    return st.tuples(vector(min_side=2, max_side=5), vector(min_side=3, max_side=3, kernel=True))


def _layer(x: np.ndarray, w: np.ndarray, *, bias: bool = False, padding_mode: str | None = None) -> np.ndarray:
    """A torch.nn.Conv1d layer (seed 0) with weight w applied to x; with a padding_mode, padding k//2 in that mode."""
    import torch

    torch.manual_seed(0)
    padding: dict[str, Any] = {} if padding_mode is None else {"padding": (w.size - 1) // 2, "padding_mode": padding_mode}
    layer = torch.nn.Conv1d(1, 1, w.size, bias=bias, dtype=torch.float64, **padding)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w)[None, None])
        return layer(torch.from_numpy(x)[None, None])[0, 0].numpy()


belief(
    "ndimage-reflect-is-torch-reflect", "scipy.ndimage",
    "Belief: scipy.ndimage's mode='reflect' is torch's padding_mode='reflect'.",
    "ndimage.correlate(x, w, mode='reflect') == torch Conv1d(padding=k//2, padding_mode='reflect')(x)",
    _odd_kernel_pairs(),
    lambda c: (_ndimage().correlate(c[0], c[1], mode="reflect"), _layer(c[0], c[1], padding_mode="reflect")),
    lambda c: (_ndimage().correlate(c[0], c[1], mode="mirror"), _layer(c[0], c[1], padding_mode="reflect")),
    "ndimage mode='mirror' == torch 'reflect' == numpy.pad 'reflect' (d c b | a b c d);  ndimage 'reflect' == numpy 'symmetric'",
    "ndimage's 'reflect' repeats the edge sample (half-sample symmetric, b a | a b), torch's and numpy's "
    "'reflect' do not (c b | a b). The smallest case: a length-2 input with unequal values and a length-3 "
    "kernel whose outer tap meets the padding (one non-zero tap): 5 elements.", 5, ("boundary",))

belief(
    "numpy-pad-symmetric-is-reflect", "numpy",
    "Belief: numpy.pad's 'symmetric' and 'reflect' are the same mirror.",
    "np.pad(x, 1, 'symmetric') == np.pad(x, 1, 'reflect')", vector(min_side=2),
    lambda x: (np.pad(x, 1, mode="symmetric"), np.pad(x, 1, mode="reflect")),
    lambda x: (np.pad(x, 1, mode="symmetric"), np.concatenate([x[:1], x, x[-1:]])),
    "np.pad(x, 1, 'symmetric') repeats the edge (a | a b ... | z);  'reflect' mirrors about it (b | a b ...)",
    "'symmetric' mirrors about the edge between samples, 'reflect' about the edge sample itself; "
    "they differ as soon as the input has two different values: 2 elements.", 2, ("boundary",))

belief(
    "convolve2d-symm-is-torch-reflect", "scipy.signal",
    "Belief: scipy.signal.correlate2d(boundary='symm') is torch's padding_mode='reflect'.",
    "correlate2d(x, w, 'same', boundary='symm') == torch Conv2d(padding=k//2, padding_mode='reflect')(x)",
    st.tuples(hnp.arrays(np.float64, st.tuples(st.just(1), st.integers(2, 4)), elements=_INTS),
              hnp.arrays(np.float64, (1, 3), elements=_INTS, fill=st.nothing())),
    lambda c: (_signal().correlate2d(c[0], c[1], mode="same", boundary="symm"), _layer(c[0][0], c[1][0], padding_mode="reflect")[None]),
    lambda c: (_signal().correlate2d(c[0], c[1], mode="same", boundary="symm"),
               _signal().correlate2d(np.pad(c[0], ((0, 0), (1, 1)), mode="symmetric"), c[1], mode="valid")),
    "correlate2d(x, w, 'same', boundary='symm') == correlate2d(numpy.pad(x, k//2, 'symmetric'), w, 'valid')",
    "'symm' is the half-sample mirror (numpy's 'symmetric', ndimage's 'reflect'); torch has no such mode, "
    "its 'reflect' is the whole-sample mirror. A 1x2 input and a 1x3 kernel show it.", 5, ("boundary",))

belief(
    "ndimage-default-is-zero-padding", "scipy.ndimage",
    "Belief: scipy.ndimage.correlate pads with zeros by default, like scipy.signal.correlate(..., 'same').",
    "ndimage.correlate(x, w) == scipy.signal.correlate(x, w, 'same')", _odd_kernel_pairs(),
    lambda c: (_ndimage().correlate(c[0], c[1]), _signal().correlate(c[0], c[1], mode="same", method="direct")),
    lambda c: (_ndimage().correlate(c[0], c[1], mode="constant"), _signal().correlate(c[0], c[1], mode="same", method="direct")),
    "ndimage.correlate(x, w, mode='constant') == scipy.signal.correlate(x, w, 'same')   (odd kernels)",
    "ndimage's default mode is 'reflect' (half-sample), not zeros. A 2-sample input and a 3-tap kernel whose "
    "edge tap meets the padding is the smallest case.", 5, ("boundary", "defaults"))

belief(
    "numpy-correlate-default-is-full", "numpy",
    "Belief: numpy.correlate and scipy.signal.correlate have the same default mode.",
    "np.correlate(a, v) == scipy.signal.correlate(a, v)", pairs(),
    lambda c: (np.correlate(c[0], c[1]).shape, _signal().correlate(c[0], c[1]).shape),
    lambda c: (np.correlate(c[0], c[1], "full").shape, _signal().correlate(c[0], c[1]).shape),
    "np.correlate(a, v, 'full') == scipy.signal.correlate(a, v)   (numpy's default is 'valid')",
    "numpy.correlate defaults to 'valid', numpy.convolve and scipy to 'full'. With a length-1 argument 'valid' "
    "and 'full' have the same length, so both arguments need two elements: 4 elements.", 4, ("defaults", "shape"))


# -- dtypes, overflow, precision ---------------------------------------------------------------------------

def _int8_pairs() -> st.SearchStrategy[Pair]:
    return st.tuples(vector(dtype=np.int8, elements=st.integers(-128, 127), max_side=3),
                     vector(dtype=np.int8, elements=st.integers(-128, 127), kernel=True, max_side=3))


belief(
    "numpy-integer-convolution-is-exact", "numpy",
    "Belief: numpy.convolve of integer arrays gives the exact integer result.",
    "np.convolve(a, v) == exact convolution   (int8 a, v)", _int8_pairs(),
    lambda c: (np.convolve(c[0], c[1]).astype(np.int64), oracle.convolve(c[0], c[1])),
    lambda c: (np.convolve(c[0].astype(np.int64), c[1].astype(np.int64)), oracle.convolve(c[0], c[1])),
    "np.convolve(a.astype(int64), v.astype(int64)) == exact   (no promotion: int8 products wrap)",
    "numpy keeps the input dtype, so int8 sums wrap modulo 256 silently. One product out of range is enough: "
    "a=[-128]*1, v=[-1] gives 128 -> -128. 2 elements.", 2, ("dtype", "overflow"))

belief(
    "scipy-integer-correlation-is-exact", "scipy.signal",
    "Belief: scipy.signal.correlate of integer arrays gives the exact integer result.",
    "scipy.signal.correlate(a, v, method='direct') == exact   (int8 a, v)", _int8_pairs(),
    lambda c: (_signal().correlate(c[0], c[1], method="direct").astype(np.int64), oracle.correlate(c[0], c[1])),
    lambda c: (_signal().correlate(c[0].astype(np.int64), c[1].astype(np.int64), method="direct"), oracle.correlate(c[0], c[1])),
    "scipy.signal.correlate(a.astype(int64), v.astype(int64)) == exact",
    "The direct method keeps the integer dtype and wraps on overflow (scipy issue 6076). 2 elements.",
    2, ("dtype", "overflow"))

belief(
    "fftconvolve-keeps-integer-dtype", "scipy.signal",
    "Belief: scipy.signal.fftconvolve returns the dtype it was given, like convolve does.",
    "fftconvolve(a, v).dtype == convolve(a, v, method='direct').dtype   (integer a, v)",
    st.tuples(vector(dtype=np.int64), vector(dtype=np.int64, kernel=True)),
    lambda c: (str(_signal().fftconvolve(c[0], c[1]).dtype), str(_signal().convolve(c[0], c[1], method="direct").dtype)),
    lambda c: (str(_signal().fftconvolve(c[0], c[1]).dtype), "float64"),
    "fftconvolve(a, v).dtype == float64 for integer input (round it to compare with the direct method)",
    "FFTs work in floating point, so fftconvolve always returns floats; the direct method keeps integers. "
    "Length-1 arguments take a shortcut that keeps integers, so two length-2 arrays: 4 elements.", 4, ("dtype", "fft"))

belief(
    "fftconvolve-is-exact-on-integers", "scipy.signal",
    "Belief: on integer-valued data fftconvolve gives exactly what direct convolution gives.",
    "fftconvolve(a, v) == convolve(a, v, method='direct')   (integer-valued floats)",
    st.tuples(vector(max_side=4, elements=st.integers(-3, 3)), vector(max_side=4, kernel=True, elements=st.integers(-3, 3))),
    lambda c: (_signal().fftconvolve(c[0], c[1]), _signal().convolve(c[0], c[1], method="direct")),
    lambda c: (_signal().fftconvolve(c[0], c[1]), _signal().convolve(c[0], c[1], method="direct")),
    "|fftconvolve(a, v) - convolve(a, v)| <= (3 eps + sqrt(2) gamma_2)(||a||_2 ||v||_1 + ||a||_1 ||v||_2)",
    "The FFT rounds every frequency; its error is spread over all outputs and bounded in norm, not per element, "
    "so exact zeros come back as 1e-16 noise. Length-1 arguments are multiplied directly; two length-2 "
    "arrays ([1, 1] and [0, 1]) already leave noise: 4 elements.",
    4, ("fft", "precision"), truth_bound=lambda c: 2 * tolerance.fft_bound(c[0], c[1], c[0].size + c[1].size - 1, "float64"))

belief(
    "fft-nan-stays-local", "scipy.signal",
    "Belief: a NaN in the input spoils only the outputs whose window holds it, whatever the method.",
    "isnan(fftconvolve(x, w)) == isnan(convolve(x, w, method='direct'))",
    st.tuples(vector(min_side=1, max_side=4, elements=st.sampled_from([0.0, 1.0, np.nan])), vector(kernel=True, max_side=2,
              elements=st.integers(1, 3))),
    lambda c: (np.isnan(_signal().fftconvolve(c[0], c[1])), np.isnan(_signal().convolve(c[0], c[1], method="direct"))),
    lambda c: (np.isnan(_signal().convolve(c[0], c[1], method="direct")), np.isnan(oracle.convolve(c[0], c[1]))),
    "direct methods keep NaN local: isnan(convolve(x, w, method='direct')) == isnan(exact)",
    "A transform mixes every input sample into every frequency, so one NaN makes the whole output NaN. "
    "A one-tap kernel is applied by multiplication, so the smallest case is an input [nan, 0] and a two-tap "
    "kernel: 4 elements.", 4, ("fft", "ieee"))


# -- sizes -------------------------------------------------------------------------------------------------

belief(
    "valid-is-empty-when-kernel-is-longer", "numpy",
    "Belief: 'valid' convolution with a kernel longer than the input has no output (or fails, as torch does).",
    "len(np.convolve(a, v, 'valid')) == max(0, len(a) - len(v) + 1)", pairs(),
    lambda c: (len(np.convolve(c[0], c[1], mode="valid")), max(0, len(c[0]) - len(c[1]) + 1)),
    lambda c: (len(np.convolve(c[0], c[1], mode="valid")), abs(len(c[0]) - len(c[1])) + 1),
    "len(np.convolve(a, v, 'valid')) == |len(a) - len(v)| + 1   (numpy swaps the arguments)",
    "numpy, scipy and JAX silently swap the operands in 'valid' mode; torch raises 'Kernel size can't be "
    "greater than actual input size'. A one-element input and a two-element kernel: 3 elements.", 3, ("shape",))


# -- transposed convolution and layouts ---------------------------------------------------------------------

def _output_padding_case() -> st.SearchStrategy[Pair]:
    return st.tuples(vector(min_side=1, max_side=3), vector(min_side=3, max_side=4, kernel=True))


def _conv_t(y: np.ndarray, w: np.ndarray, output_padding: int) -> np.ndarray:
    import torch

    out = torch.nn.functional.conv_transpose1d(torch.from_numpy(y)[None, None], torch.from_numpy(w)[None, None],
                                               stride=2, padding=1, output_padding=output_padding)
    return out[0, 0].numpy()


belief(
    "output-padding-appends-zeros", "torch",
    "Belief: output_padding appends zeros to the transposed convolution's output.",
    "conv_transpose1d(y, w, stride=2, padding=1, output_padding=1) == pad(conv_transpose1d(..., output_padding=0), (0, 1))",
    _output_padding_case(),
    lambda c: (_conv_t(c[0], c[1], 1), np.pad(_conv_t(c[0], c[1], 0), (0, 1))),
    lambda c: (_conv_t(c[0], c[1], 1), oracle.conv_transpose(c[0][None, None], c[1][None, None], stride=2, padding=1,
                                                              output_padding=1)[0, 0]),
    "output_padding adds computed samples: out[t] = sum x[i] w[j] over i*s + j*d - p == t, t up to the new length",
    "The extra sample is where the kernel's last tap lands from the last input sample, cut away by the padding "
    "otherwise (pytorch issue 8816). One input sample and a 3-tap kernel whose last tap is non-zero: 4 elements.",
    4, ("transposed",))

belief(
    "conv-transpose-weight-is-conv-layout", "torch",
    "Belief: conv_transpose is the adjoint of conv once the weight's two channel axes are swapped.",
    "<conv1d(x, w.swapaxes(0, 1)), y> == <x, conv_transpose1d(y, w)>",
    st.tuples(hnp.arrays(np.float64, (1, 2, 1), elements=_INTS), hnp.arrays(np.float64, (2, 2, 1), elements=_INTS),
              hnp.arrays(np.float64, (1, 2, 1), elements=_INTS)),
    lambda c: (float(np.sum(oracle.conv(c[0], c[1].swapaxes(0, 1)) * c[2])), float(np.sum(c[0] * oracle.conv_transpose(c[2], c[1])))),
    lambda c: (float(np.sum(oracle.conv(c[0], c[1]) * c[2])), float(np.sum(c[0] * oracle.conv_transpose(c[2], c[1])))),
    "<conv1d(x, w), y> == <x, conv_transpose1d(y, w)>: the same array, read as (C_out, C_in) by conv and (C_in, C_out) by conv_transpose",
    "conv's weight is (out, in, k) and conv_transpose's is (in, out, k) of the transposed map, so the same array "
    "serves both; swapping its axes transposes the channel mixing. Needs an asymmetric 2x2 channel matrix; "
    "the shapes are fixed at x (1,2,1), w (2,2,1), y (1,2,1): 8 elements.", 8, ("layout", "transposed"))

belief(
    "hwio-is-w-transposed", "torch",
    "Belief: converting an OIHW weight to HWIO is w.T (and back again with the inverse of the right permutation).",
    "conv2d(x, w) == conv2d(x, (w.T).transpose(3, 2, 0, 1))",
    st.tuples(hnp.arrays(np.float64, (1, 1, 2, 2), elements=_INTS), hnp.arrays(np.float64, (1, 1, 2, 2), elements=_INTS,
                                                                               fill=st.nothing())),
    lambda c: (torch_conv(c[0][0, 0], c[1][0, 0]), torch_conv(c[0][0, 0], c[1].T.transpose(3, 2, 0, 1)[0, 0])),
    lambda c: (torch_conv(c[0][0, 0], c[1][0, 0]), torch_conv(c[0][0, 0], c[1].transpose(2, 3, 1, 0).transpose(3, 2, 0, 1)[0, 0])),
    "HWIO = w.transpose(2, 3, 1, 0) and back with .transpose(3, 2, 0, 1)",
    "w.T reverses all four axes, (W, H, I, O), which swaps the kernel's rows and columns: silently wrong for "
    "square kernels. A 2x2 input and a 2x2 kernel that is not symmetric are the smallest case: 8 elements.", 8, ("layout",))

belief(
    "nn-conv-adds-no-bias", "torch",
    "Belief: a torch.nn.Conv1d layer whose weight is set to w computes F.conv1d(x, w).",
    "nn.Conv1d(1, 1, k)(x) with weight w == F.conv1d(x, w)", pairs(),
    lambda c: (_layer(*_longer_first(c), bias=True), torch_conv(*_longer_first(c))),
    lambda c: (_layer(*_longer_first(c), bias=False), torch_conv(*_longer_first(c))),
    "nn.Conv1d(1, 1, k, bias=False)(x) == F.conv1d(x, w)",
    "Layers are built with bias=True and a random bias, so a layer made only to test a kernel adds noise to "
    "every output. Any one-element input and kernel show it: 2 elements.", 2, ("defaults",))


# -- padding limits -----------------------------------------------------------------------------------------

belief(
    "torch-reflect-pads-any-width", "torch",
    "Belief: torch's reflect padding accepts any width, like numpy.pad.",
    "F.pad(x, (p, p), 'reflect') == np.pad(x, p, 'reflect')",
    st.tuples(vector(min_side=1, max_side=4), st.integers(1, 4)),
    lambda c: (_torch_pad(c[0], c[1]), np.pad(c[0], c[1], mode="reflect")),
    lambda c: (_torch_pad(c[0], min(c[1], c[0].size - 1)), np.pad(c[0], min(c[1], c[0].size - 1), mode="reflect")),
    "F.pad(x, (p, p), 'reflect') == np.pad(x, p, 'reflect') only while p < len(x) (torch raises beyond; numpy bounces)",
    "torch requires the padding to be smaller than the input; numpy reflects back and forth for any width. "
    "A one-element input with padding 1 is the smallest refusal.", 1, ("boundary", "shape"))


def _torch_pad(x: np.ndarray, p: int) -> np.ndarray:
    import torch

    return torch.nn.functional.pad(torch.from_numpy(x)[None, None], (p, p), mode="reflect")[0, 0].numpy()


belief(
    "torch-same-works-with-stride", "torch",
    "Belief: padding='same' works with stride 2, as in TensorFlow.",
    "F.conv1d(x, w, stride=2, padding='same') == TF 'SAME' (pad_total = max((ceil(n/s)-1) s + k - n, 0))",
    pairs(),
    lambda c: (torch_conv(c[0], c[1], stride=2, padding="same"), _tf_same(c[0], c[1])),
    lambda c: (torch_conv(np.pad(c[0], _tf_pads(c[0].size, c[1].size)), c[1], stride=2), _tf_same(c[0], c[1])),
    "F.conv1d(F.pad(x, TF's (total//2, total - total//2)), w, stride=2) == TF 'SAME'",
    "torch refuses 'same' for strided convolutions ('padding='same' is not supported for strided convolutions'): "
    "TF's padding depends on the input length modulo the stride. Any input shows the refusal: 2 elements.",
    2, ("same", "stride"))


def _tf_pads(n: int, k: int, s: int = 2) -> tuple[int, int]:
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def _tf_same(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return oracle.conv(np.pad(x, _tf_pads(x.size, w.size))[None, None], w[None, None], stride=2)[0, 0]


# -- scipy.ndimage defects found by this suite -----------------------------------------------------------------

def _ndimage_scaling(c: Pair) -> tuple[np.ndarray, np.ndarray]:
    x, w = c
    scale = 2.0**-60
    return _ndimage().correlate(x, w * scale, mode="constant") / scale, _ndimage().correlate(x, w, mode="constant")


belief(
    "ndimage-correlate-is-scale-invariant", "scipy.ndimage",
    "Belief: scaling the kernel by a power of two scales scipy.ndimage's result by the same factor.",
    "ndimage.correlate(x, c*w) == c * ndimage.correlate(x, w)   (c = 2**-60, exact in binary)", pairs(),
    _ndimage_scaling,
    lambda c: (oracle.conv(np.pad(c[0], (c[1].size // 2, (c[1].size - 1) // 2))[None, None], c[1][None, None] * 2.0**-60)[0, 0] / 2.0**-60,
               _ndimage().correlate(c[0], c[1], mode="constant")),
    "exact correlation with c*w, divided by c, == ndimage.correlate(x, w)   (ndimage's own result is right at scale 1)",
    "scipy.ndimage drops kernel weights whose magnitude is at most DBL_EPSILON (about 2.2e-16) and treats "
    "kernels symmetric within DBL_EPSILON as exactly symmetric. The threshold is absolute, so a kernel of tiny "
    "weights loses its taps: correlate([1], [2**-60]) is 0. Found by this suite. 2 elements.", 2,
    ("precision", "discovered"))

belief(
    "ndimage-nan-weight-propagates", "scipy.ndimage",
    "Belief: a NaN weight makes scipy.ndimage.correlate's output NaN, as IEEE arithmetic says.",
    "isnan(ndimage.correlate(x, w)) == isnan(exact)   (w holds a NaN)",
    st.tuples(hnp.arrays(np.float64, st.tuples(st.just(1), st.integers(1, 3)), elements=st.integers(1, 3)),
              hnp.arrays(np.float64, st.tuples(st.just(1), st.integers(1, 3)), elements=st.sampled_from([1.0, np.nan]),
                         fill=st.nothing()).filter(lambda w: bool(np.isnan(w).any()))),
    lambda c: (np.isnan(_ndimage().correlate(c[0], c[1], mode="constant")), np.ones(c[0].shape, dtype=bool)),
    lambda c: (np.isnan(_ndimage().correlate1d(c[0], c[1][0], mode="constant")), np.ones(c[0].shape, dtype=bool)),
    "ndimage.correlate1d(x, w) does propagate it (every output NaN, as 0 * NaN is NaN)",
    "The N-d filter drops weights that fail |w| > DBL_EPSILON, and the comparison is false for NaN, so a NaN "
    "weight is silently ignored. Found by this suite. A 1x1 input and a 1x1 NaN kernel: 2 elements.", 2,
    ("ieee", "discovered"))


# -- JAX, TensorFlow, OpenCV, ONNX: 'SAME' placements, anchors, borders ---------------------------------------

def _jax_conv(x: np.ndarray, w: np.ndarray, padding: Any, stride: int = 1) -> np.ndarray:
    """jax.lax.conv_general_dilated on one 1-D signal, in float64."""
    from conv_equivalence.backends.jax_lax import x64_scope

    with x64_scope() as jax:
        return np.asarray(jax.lax.conv_general_dilated(x[None, None], w[None, None], (stride,), padding))[0, 0]


def _tf_conv(x: np.ndarray, w: np.ndarray, padding: str, stride: int) -> np.ndarray:
    """tf.nn.convolution on one 1-D signal (NWC, WIO), in float64."""
    from conv_equivalence.backends.tensorflow_nn import _tf

    return _tf().nn.convolution(x[None, :, None], w[:, None, None], strides=stride, padding=padding).numpy()[0, :, 0]


def _filter2d(x: np.ndarray, w: np.ndarray, **kwargs: Any) -> np.ndarray:
    import cv2

    if "borderType" in kwargs:
        kwargs["borderType"] = getattr(cv2, kwargs["borderType"])
    return cv2.filter2D(x, -1, w, **kwargs)


belief(
    "jax-same-lower-is-torch-same", "jax",
    "Belief: JAX's padding='SAME_LOWER' is torch's padding='same'.",
    "lax.conv_general_dilated(x, w, 1, 'SAME_LOWER') == F.conv1d(x, w, padding='same')", pairs(),
    lambda c: (_jax_conv(c[0], c[1], "SAME_LOWER"), _torch_same(c)),
    lambda c: (_jax_conv(c[0], c[1], "SAME"), _torch_same(c)),
    "lax.conv_general_dilated(x, w, 1, 'SAME') == F.conv1d(x, w, padding='same')   (both pad the extra sample after)",
    "'SAME_LOWER' puts the extra padding sample of an even kernel before the input, torch's 'same' (and JAX's "
    "'SAME') after it. Odd kernels agree, so the smallest case is one input sample and a two-tap kernel with "
    "unequal taps: 3 elements.", 3, ("same", "jax"))

def _int_pairs() -> st.SearchStrategy[Pair]:
    return pairs(dtype=np.int64)


def _jnp(function: str, a: np.ndarray, v: np.ndarray) -> np.ndarray:
    from conv_equivalence.backends.jax_lax import x64_scope

    with x64_scope() as jax:
        return np.asarray(getattr(jax.numpy, function)(a, v))


belief(
    "jax-numpy-convolve-keeps-integer-dtype", "jax",
    "Belief: jax.numpy.convolve, like numpy.convolve, returns integers for integer input.",
    "jnp.convolve(a, v).dtype == np.convolve(a, v).dtype   (int64 a, v)", _int_pairs(),
    lambda c: (str(_jnp("convolve", *c).dtype), str(np.convolve(*c).dtype)),
    lambda c: (_jnp("convolve", *c), np.convolve(*c).astype(np.float64)),
    "jnp.convolve(a, v) == np.convolve(a, v).astype(float)   (values equal, dtype promoted to inexact)",
    "jax.numpy.convolve and correlate promote their inputs to an inexact type before convolving, so integer "
    "arrays come back as floats (float64 with jax_enable_x64, else float32, which is inexact beyond 2**24). "
    "Any input shows it: one element each, 2 elements.", 2, ("dtype", "jax"))

belief(
    "strided-same-is-subsampled-same", "tensorflow",
    "Belief: TensorFlow's 'SAME' with stride 2 is the stride-1 'SAME' output taken every second sample.",
    "tf.nn.convolution(x, w, 2, 'SAME') == tf.nn.convolution(x, w, 1, 'SAME')[::2]", pairs(),
    lambda c: (_tf_conv(c[0], c[1], "SAME", 2), _tf_conv(c[0], c[1], "SAME", 1)[::2]),
    lambda c: (_tf_conv(c[0], c[1], "SAME", 2),
               oracle.conv(c[0][None, None], c[1][None, None], stride=2,
                           padding=framework_same_pads(c[0].shape, c[1].shape, (2,), (1,)))[0, 0]),
    "tf.nn.convolution(x, w, s, 'SAME') == conv(x, w, stride=s, padding=(t//2, t - t//2)), "
    "t = max(0, (ceil(n/s) - 1)*s + k - n)",
    "'SAME' pads only what the strided windows need, t = (ceil(n/s) - 1)*s + k - n in total, so with a stride "
    "the padding, and where the windows start, depends on the input length: n = 2, k = 3 pads (0, 1) with "
    "stride 2 but (1, 1) with stride 1. No input of 1 sample or kernel of 2 taps shows it: 5 elements. "
    "JAX's 'SAME' and ONNX's SAME_UPPER compute the same padding.", 5, ("same", "stride", "tensorflow"))

belief(
    "cv2-filter2d-convolves", "cv2",
    "Belief: cv2.filter2D convolves (its documentation says it 'convolves an image with the kernel').",
    "cv2.filter2D(x, -1, w, borderType=BORDER_CONSTANT) == ndimage.convolve(x, w, mode='constant')", grids(),
    lambda c: (_filter2d(c[0], c[1], borderType="BORDER_CONSTANT"), _ndimage().convolve(c[0], c[1], mode="constant")),
    lambda c: (_filter2d(c[0], c[1], borderType="BORDER_CONSTANT"), _ndimage().correlate(c[0], c[1], mode="constant")),
    "cv2.filter2D(x, -1, w, borderType=BORDER_CONSTANT) == ndimage.correlate(x, w, mode='constant')",
    "filter2D computes a correlation; the documentation says so in a note. With a 1x1 input both read only "
    "the kernel's centre tap, so the smallest case is a 1x2 input and a 1x2 kernel: 4 elements.", 4, ("flip", "opencv"))

def _rows(c: Pair) -> Pair:
    """A pair of 1-D arrays as a one-row image and a one-row kernel."""
    return c[0][None], c[1][None]


belief(
    "cv2-filter2d-default-border-is-zeros", "cv2",
    "Belief: cv2.filter2D pads with zeros unless told otherwise.",
    "cv2.filter2D(x, -1, w) == cv2.filter2D(x, -1, w, borderType=BORDER_CONSTANT)", pairs().map(_rows),
    lambda c: (_filter2d(*c), _filter2d(*c, borderType="BORDER_CONSTANT")),
    lambda c: (_filter2d(*c), _filter2d(*c, borderType="BORDER_REFLECT_101")),
    "cv2.filter2D(x, -1, w) == cv2.filter2D(x, -1, w, borderType=BORDER_REFLECT_101)   (torch's 'reflect')",
    "The default, BORDER_DEFAULT, is BORDER_REFLECT_101 (d c b | a b c d), which a single-sample image "
    "extends by repeating it. A 1x1 image and a 1x2 kernel whose first tap reads the border: 3 elements.", 3,
    ("boundary", "defaults", "opencv"))

belief(
    "cv2-filter2d-anchor-is-torch-same", "cv2",
    "Belief: cv2.filter2D's default anchor places the kernel like torch's padding='same'.",
    "cv2.filter2D(x, -1, w, borderType=BORDER_CONSTANT) == F.conv2d(x, w, padding='same')", pairs().map(_rows),
    lambda c: (_filter2d(*c, borderType="BORDER_CONSTANT"), torch_conv(*c, padding="same")),
    lambda c: (_filter2d(*c, anchor=((c[1].shape[1] - 1) // 2, (c[1].shape[0] - 1) // 2), borderType="BORDER_CONSTANT"),
               torch_conv(*c, padding="same")),
    "cv2.filter2D(x, -1, w, anchor=((kw-1)//2, (kh-1)//2), borderType=BORDER_CONSTANT) == F.conv2d(x, w, padding='same')",
    "The default anchor is the kernel centre k//2, so an even kernel gets its extra padding sample before the "
    "image; torch puts it after. A 1x1 image and a 1x2 kernel with unequal taps: 3 elements.", 3,
    ("same", "opencv"))


Grouped = tuple[np.ndarray, np.ndarray, np.ndarray]


def _onnx_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray, groups: int) -> np.ndarray:
    from conv_equivalence.backends.onnx_conv import reference_run
    from conv_equivalence.problem import ConvProblem, ConvSpec

    return reference_run(ConvProblem(ConvSpec.create(1, groups=groups, transposed=True), x, w, b))


def _onnx_reference_per_group(c: Grouped) -> np.ndarray:
    x, w, b = c
    half, out = x.shape[1] // 2, w.shape[1]
    return np.concatenate([_onnx_reference(x[:, g * half:(g + 1) * half], w[g * half:(g + 1) * half], b[g * out:(g + 1) * out], 1)
                           for g in (0, 1)], axis=1)


# One input and one output channel per group: the reference then runs, and only its bias handling is wrong.
_GROUPED_TRANSPOSE = st.tuples(hnp.arrays(np.float64, (1, 2, 1), elements=_INTS),
                               hnp.arrays(np.float64, (2, 1, 1), elements=_INTS, fill=st.nothing()),
                               hnp.arrays(np.float64, (2,), elements=_INTS))

belief(
    "onnx-reference-grouped-convtranspose", "onnx.reference",
    "Belief: the ONNX reference evaluator is a faithful reference for ConvTranspose with group > 1.",
    "onnx.reference ConvTranspose(x, W, B, group=2) == exact transposed convolution", _GROUPED_TRANSPOSE,
    lambda c: (_onnx_reference(c[0], c[1], c[2], groups=2), oracle.conv_transpose(c[0], c[1], c[2], groups=2)),
    lambda c: (_onnx_reference_per_group(c), oracle.conv_transpose(c[0], c[1], c[2], groups=2)),
    "concat(onnx.reference ConvTranspose(x_g, W_g, B_g, group=1) for each group g) == exact   (group 1 is right)",
    "The reference implementation adds B from its start in every group (and slices W's input-channel axis "
    "by output-channel counts, so it raises once a group has two input or output channels). Found by this suite. "
    "Group 2 needs two input channels, two weights and two biases: x = [0, 0], W = [0, 0], B = [0, 1] comes "
    "out [0, 0]: 6 elements.", 6, ("groups", "onnx", "discovered"))
