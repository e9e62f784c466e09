"""A deliberately broken backend for the report tests, registered in each audit worker by
``run_audit(..., setup=[__name__])``: ``test.flipped-kernel`` is ``numpy.correlate`` with the kernel
reversed, so it computes a convolution where a cross-correlation is expected and every identity
that compares it with the oracle or with torch is a regression whose smallest counterexample is
a kernel of two different taps.
"""

from __future__ import annotations

import numpy as np

from conv_equivalence.backends import Backend, get_backend, register
from conv_equivalence.problem import ConvProblem

NAME = "test.flipped-kernel"
_reference = get_backend("numpy.correlate")


def _flipped(problem: ConvProblem) -> np.ndarray:
    return _reference.run(problem.replace(weight=np.ascontiguousarray(problem.weight[..., ::-1])))


register(Backend(NAME, "numpy", "numpy.correlate with the kernel reversed (deliberately wrong)",
                 _reference.capabilities, _flipped), replace=True)
