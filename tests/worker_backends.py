"""Backends for the audit's worker tests, registered in each worker by ``run_audit(..., setup=[__name__])``.

``test.crashes`` and ``test.tensorflow.crashes`` kill their own process, as a segfault in native
code does; ``test.pid`` and ``test.tensorflow.pid`` compute the oracle's answer and append
``name pid`` to the file named by ``$CONV_EQUIVALENCE_TEST_PIDS``, so a test can see which
process ran which check (a target whose name holds ``tensorflow`` runs in TensorFlow's workers).
"""

from __future__ import annotations

import os
import signal

import numpy as np

from conv_equivalence import oracle
from conv_equivalence.backends import Backend, Capabilities, register
from conv_equivalence.problem import ConvProblem


def _crash(problem: ConvProblem) -> np.ndarray:
    import faulthandler

    faulthandler.disable()  # the worker's handler would only add the dying stack to its log
    os.kill(os.getpid(), signal.SIGSEGV)
    raise AssertionError("unreachable")


def _recording(name: str):  # type: ignore[no-untyped-def]
    def run(problem: ConvProblem) -> np.ndarray:
        with open(os.environ["CONV_EQUIVALENCE_TEST_PIDS"], "a", encoding="utf-8") as log:
            log.write(f"{name} {os.getpid()}\n")
        return oracle.solve(problem)

    return run


for _name in ("test.crashes", "test.tensorflow.crashes"):
    register(Backend(_name, "numpy", "kills its own process", Capabilities(ranks=(1,)), _crash), replace=True)
for _name in ("test.pid", "test.tensorflow.pid"):
    register(Backend(_name, "numpy", "the oracle, recording its process id", Capabilities(ranks=(1,)), _recording(_name)),
             replace=True)
