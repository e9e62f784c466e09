"""Beliefs about the kernel flip, complex conjugation, 'same' placement and boundary names and defaults.

Each is registered with `belief` (see `conv_equivalence.identities.misconceptions`).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence import oracle
from conv_equivalence.identities.misconceptions import (
    _INTS,
    Pair,
    _layer,
    _longer_first,
    _ndimage,
    _signal,
    _torch_same,
    belief,
    complex_pairs,
    grids,
    pairs,
    torch_conv,
    vector,
)

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
    4, ("flip",),
    script="""
    x = torch.tensor([[[0.0, 1.0]]], dtype=torch.float64)
    w = torch.tensor([[[0.0, 1.0]]], dtype=torch.float64)
    # the belief: scipy.signal.convolve(x, w, 'valid') = sum_m x[1 - m] w[m] = x[1] w[0] + x[0] w[1]
    expected = np.array([0.0])
    actual = torch.nn.functional.conv1d(x, w)[0, 0].numpy()
    """,
)

belief(
    "numpy-convolve-is-correlate", "numpy",
    "Belief: numpy.convolve and numpy.correlate compute the same thing.",
    "np.convolve(x, w, 'valid') == np.correlate(x, w, 'valid')", pairs(),
    lambda c: (np.convolve(*_longer_first(c), mode="valid"), np.correlate(*_longer_first(c), mode="valid")),
    lambda c: (np.convolve(*_longer_first(c), mode="valid"), np.correlate(_longer_first(c)[0], _longer_first(c)[1][::-1], "valid")),
    "np.convolve(x, w, 'valid') == np.correlate(x, w[::-1], 'valid')",
    "convolve reverses the kernel; correlate does not. A length-2 input and kernel, each with unequal values, "
    "is the smallest case where the order of the taps matters.", 4, ("flip",),
    script="""
    x, w = np.array([0.0, 1.0]), np.array([0.0, 1.0])
    # the belief: equal to numpy.correlate(x, w, 'valid') = x[0] w[0] + x[1] w[1]
    expected = np.array([1.0])
    actual = numpy.convolve(x, w, mode="valid")
    """,
)

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
    "check agree on (with one input sample both read the same tap): 4 elements.", 4, ("flip",),
    script="""
    x, w = np.array([1.0, 1.0]), np.array([1.0, 0.0])
    # the belief: equal to ndimage.correlate(x, w, mode='constant'): out[i] = sum_j w[j] x[i + j - 1]
    expected = np.array([0.0, 1.0])
    actual = scipy.ndimage.convolve(x, w, mode="constant")
    """,
)


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
    2, ("complex",),
    script="""
    x = torch.tensor([[[1j]]], dtype=torch.complex128)
    w = torch.tensor([[[1j]]], dtype=torch.complex128)
    # the belief: equal to scipy.signal.correlate(x, w, 'valid') = x[0] * conj(w[0]) = 1j * -1j
    expected = np.array([1 + 0j])
    actual = torch.nn.functional.conv1d(x, w)[0, 0].numpy()
    """,
)

belief(
    "numpy-correlate-does-not-conjugate", "numpy",
    "Belief: numpy.correlate(a, v) is sum_n a[n+k] * v[n], like torch's conv, for complex input too.",
    "np.correlate(a, v) == oracle.conv(a, v)   (complex)", complex_pairs(),
    lambda c: (np.correlate(*_longer_first(c), mode="valid"), oracle.conv(_longer_first(c)[0][None, None], _longer_first(c)[1][None, None])[0, 0]),
    lambda c: (np.correlate(*_longer_first(c), mode="valid"),
               oracle.conv(_longer_first(c)[0][None, None], np.conj(_longer_first(c)[1])[None, None])[0, 0]),
    "np.correlate(a, v) == sum_n a[n+k] * conj(v[n])",
    "numpy documents c_k = sum_n a[n+k] conj(v[n]). A single complex element in each argument shows the conjugate.",
    2, ("complex",),
    script="""
    a, v = np.array([1j]), np.array([1j])
    # the belief: sum_n a[n + k] v[n] = 1j * 1j, without conjugating v
    expected = np.array([-1 + 0j])
    actual = numpy.correlate(a, v)
    """,
)

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
    "(scipy PR 12725). One complex element each suffices.", 2, ("complex",),
    script="""
    x, w = np.array([1j]), np.array([1j])
    # the belief: the weight is applied as given: 1j * 1j
    expected = np.array([-1 + 0j])
    actual = scipy.ndimage.correlate(x, w, mode="constant")
    """,
)

belief(
    "scipy-correlate-commutes", "scipy.signal",
    "Belief: cross-correlation is symmetric in its arguments, like convolution.",
    "scipy.signal.correlate(a, v) == scipy.signal.correlate(v, a)", pairs(),
    lambda c: (_signal().correlate(c[0], c[1], method="direct"), _signal().correlate(c[1], c[0], method="direct")),
    lambda c: (_signal().correlate(c[0], c[1], method="direct"), np.conj(_signal().correlate(c[1], c[0], method="direct"))[::-1]),
    "correlate(a, v) == conj(correlate(v, a))[::-1]",
    "Swapping the arguments reverses the lag axis (and conjugates). Two length-1 arrays commute, so the "
    "smallest counterexample has a length-2 argument with unequal entries and a non-zero other: 3 elements.", 3, ("lags",),
    script="""
    a, v = np.array([1.0]), np.array([0.0, 1.0])
    # the belief: correlate(a, v) == correlate(v, a), and correlate(v, a) = [v[0] a[0], v[1] a[0]]
    expected = np.array([0.0, 1.0])
    actual = scipy.signal.correlate(a, v, method="direct")
    """,
)


# -- 'same' placement ----------------------------------------------------------------------------------

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
    "length-2 input (one non-zero value): 4 elements.", 4, ("same",),
    script="""
    x = torch.tensor([[[1.0, 1.0]]], dtype=torch.float64)
    w = torch.tensor([[[0.0, 1.0]]], dtype=torch.float64)
    # the belief: equal to scipy.signal.correlate(x, w, 'same'), which pads one zero before x:
    # [0 w0 + 1 w1, 1 w0 + 1 w1]
    expected = np.array([1.0, 1.0])
    actual = torch.nn.functional.conv1d(x, w, padding="same")[0, 0].numpy()
    """,
)

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
    "(like torch's padding='same'). Reported as scipy#1968 and documented since scipy PR 11487 (a note in both "
    "docstrings). Smallest case: a 1x1 "
    "input and a 1x2 kernel with its second tap set: 3 elements.", 3, ("same", "discovered"),
    script="""
    x, w = np.array([[1.0]]), np.array([[0.0, 1.0]])
    # the belief: equal to correlate(x, w, 'same'), which pads before x: 0 w[0, 0] + 1 w[0, 1]
    expected = np.array([[1.0]])
    actual = scipy.signal.correlate2d(x, w, mode="same")
    """,
)

belief(
    "numpy-convolve-same-has-input-length", "numpy",
    "Belief: numpy.convolve(a, v, 'same') is as long as a.",
    "len(np.convolve(a, v, 'same')) == len(a)", pairs(),
    lambda c: (len(np.convolve(c[0], c[1], mode="same")), len(c[0])),
    lambda c: (len(np.convolve(c[0], c[1], mode="same")), max(len(c[0]), len(c[1]))),
    "len(np.convolve(a, v, 'same')) == max(len(a), len(v));  scipy.signal.convolve(a, v, 'same') has len(a)",
    "numpy's 'same' returns max(M, N) samples: with a kernel longer than the input it is as long as the "
    "kernel. One input element and a two-element kernel show it.", 3, ("same", "shape"),
    script="""
    a, v = np.array([0.0]), np.array([0.0, 0.0])
    # the belief: 'same' returns len(a) samples
    expected = 1
    actual = len(numpy.convolve(a, v, mode="same"))
    """,
)


# -- boundary names and defaults ------------------------------------------------------------------------

def _odd_kernel_pairs() -> st.SearchStrategy[Pair]:
    return st.tuples(vector(min_side=2, max_side=5), vector(min_side=3, max_side=3, kernel=True))


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
    "kernel whose outer tap meets the padding (one non-zero tap): 5 elements.", 5, ("boundary",),
    script="""
    x, w = np.array([0.0, 1.0]), np.array([0.0, 0.0, 1.0])
    # the belief: torch's 'reflect' padding, x padded to [1, 0, 1, 0]: out[i] = x_padded[i + 2]
    expected = np.array([1.0, 0.0])
    actual = scipy.ndimage.correlate(x, w, mode="reflect")
    """,
)

belief(
    "numpy-pad-symmetric-is-reflect", "numpy",
    "Belief: numpy.pad's 'symmetric' and 'reflect' are the same mirror.",
    "np.pad(x, 1, 'symmetric') == np.pad(x, 1, 'reflect')", vector(min_side=2),
    lambda x: (np.pad(x, 1, mode="symmetric"), np.pad(x, 1, mode="reflect")),
    lambda x: (np.pad(x, 1, mode="symmetric"), np.concatenate([x[:1], x, x[-1:]])),
    "np.pad(x, 1, 'symmetric') repeats the edge (a | a b ... | z);  'reflect' mirrors about it (b | a b ...)",
    "'symmetric' mirrors about the edge between samples, 'reflect' about the edge sample itself; "
    "they differ as soon as the input has two different values: 2 elements.", 2, ("boundary",),
    script="""
    x = np.array([0.0, 1.0])
    # the belief: equal to numpy.pad(x, 1, 'reflect') = [x[1], x[0], x[1], x[0]]
    expected = np.array([1.0, 0.0, 1.0, 0.0])
    actual = numpy.pad(x, 1, mode="symmetric")
    """,
)

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
    "its 'reflect' is the whole-sample mirror. A 1x2 input and a 1x3 kernel show it.", 5, ("boundary",),
    script="""
    x, w = np.array([[0.0, 1.0]]), np.array([[0.0, 0.0, 1.0]])
    # the belief: torch's 'reflect' padding, x padded to [1, 0, 1, 0]: out[i] = x_padded[i + 2]
    expected = np.array([[1.0, 0.0]])
    actual = scipy.signal.correlate2d(x, w, mode="same", boundary="symm")
    """,
)

belief(
    "ndimage-default-is-zero-padding", "scipy.ndimage",
    "Belief: scipy.ndimage.correlate pads with zeros by default, like scipy.signal.correlate(..., 'same').",
    "ndimage.correlate(x, w) == scipy.signal.correlate(x, w, 'same')", _odd_kernel_pairs(),
    lambda c: (_ndimage().correlate(c[0], c[1]), _signal().correlate(c[0], c[1], mode="same", method="direct")),
    lambda c: (_ndimage().correlate(c[0], c[1], mode="constant"), _signal().correlate(c[0], c[1], mode="same", method="direct")),
    "ndimage.correlate(x, w, mode='constant') == scipy.signal.correlate(x, w, 'same')   (odd kernels)",
    "ndimage's default mode is 'reflect' (half-sample), not zeros. A 2-sample input and a 3-tap kernel whose "
    "edge tap meets the padding is the smallest case.", 5, ("boundary", "defaults"),
    script="""
    x, w = np.array([1.0, 1.0]), np.array([0.0, 0.0, 1.0])
    # the belief: zero padding, like scipy.signal.correlate(x, w, 'same'): out[i] = x[i + 1] (0 past the end)
    expected = np.array([1.0, 0.0])
    actual = scipy.ndimage.correlate(x, w)
    """,
)

belief(
    "numpy-correlate-default-is-full", "numpy",
    "Belief: numpy.correlate and scipy.signal.correlate have the same default mode.",
    "np.correlate(a, v) == scipy.signal.correlate(a, v)", pairs(),
    lambda c: (np.correlate(c[0], c[1]).shape, _signal().correlate(c[0], c[1]).shape),
    lambda c: (np.correlate(c[0], c[1], "full").shape, _signal().correlate(c[0], c[1]).shape),
    "np.correlate(a, v, 'full') == scipy.signal.correlate(a, v)   (numpy's default is 'valid')",
    "numpy.correlate defaults to 'valid', numpy.convolve and scipy to 'full'. With a length-1 argument 'valid' "
    "and 'full' have the same length, so both arguments need two elements: 4 elements.", 4, ("defaults", "shape"),
    script="""
    a, v = np.array([0.0, 0.0]), np.array([0.0, 0.0])
    # the belief: the default is 'full', like scipy.signal.correlate: len(a) + len(v) - 1 samples
    expected = (3,)
    actual = numpy.correlate(a, v).shape
    """,
)
