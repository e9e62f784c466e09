"""numpy: ``np.correlate`` and ``np.convolve`` (1-D, modes 'valid', 'same' and 'full').

``np.correlate`` conjugates its second argument (given ``conj(w)``); ``np.convolve`` flips it
(given ``flip(w)``). Both put the extra 'same' sample of an even kernel at the start.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from conv_equivalence.backends import COMPLEX_DTYPES, Backend, Capabilities, register
from conv_equivalence.backends._signal import SAME_EXTRA_AT_START, as_output, choose_mode, conj, flip, signals, zero_pad
from conv_equivalence.backends.scipy_signal import DTYPE_RULE as SIGNAL_DTYPE_RULE
from conv_equivalence.problem import ConvProblem

DTYPE_RULE = SIGNAL_DTYPE_RULE
"""numpy.correlate/convolve follow the same rule as scipy.signal's direct method (scipy calls them in 1-D)."""


def _run(function: str) -> Callable[[ConvProblem], np.ndarray]:
    def run(problem: ConvProblem) -> np.ndarray:
        x, k = signals(problem)
        mode, pads = choose_mode(problem, SAME_EXTRA_AT_START)
        v = flip(k[0]) if function == "convolve" else conj(k[0])
        return as_output(getattr(np, function)(zero_pad(x, pads)[0], v, mode=mode)[None])

    return run


for function in ("correlate", "convolve"):
    register(Backend(f"numpy.{function}", "numpy", f"numpy.{function} (1-D)",
                     Capabilities(ranks=(1,), dtypes=("float32", "float64") + COMPLEX_DTYPES + ("int64",), batch=False,
                                  padding_pairs=True),
                     _run(function)))
