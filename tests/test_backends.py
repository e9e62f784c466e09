"""Every backend agrees with the oracle on everything its capabilities declare."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conv_equivalence.backends import Backend, all_backends, get_backend
from conv_equivalence.identities import assert_close, error_bound, run
from conv_equivalence.oracle import solve
from conv_equivalence.problem import ConvProblem

BACKENDS = all_backends()


def _usable(backend: Backend) -> Backend:
    reason = backend.unavailable_reason()
    if reason:
        pytest.skip(reason)
    return backend


def check_against_oracle(backend: Backend, problem: ConvProblem) -> None:
    """Assert the backend's answer is within the tolerance model's bound of the exact one."""
    got, expected = run(backend, problem), solve(problem)
    assert_close(got, expected, error_bound(backend, problem), what=f"{backend.name} disagrees with the oracle", case=problem)


# Agreement with the oracle over each backend's whole capability space is the identities
# `equals-oracle`, `equals-oracle-within-rounding` and `nonfinite-propagates` (test_identities.py).


KNOWN = [pytest.param(b.name, i.id, id=f"{b.name}-{i.id}") for b in BACKENDS for i in b.known_issues]


FRESH = "CONV_EQUIVALENCE_FRESH_PROCESS"
"""Set in the child process that checks a known issue on its own (see `_check_in_a_fresh_process`)."""
INTERMITTENT_TRIES = 200
"""Calls of an intermittent defect's example before it counts as gone (a fresh process here showed the
TensorFlow one on 1970 of 2000 direct calls; in a long pytest session it showed on none of 20)."""


@pytest.mark.parametrize("name,issue_id", KNOWN)
def test_known_issue_still_reproduces(name: str, issue_id: str) -> None:
    """A known issue whose example now passes is stale: the library changed, update the entry."""
    backend = _usable(get_backend(name))
    issue = next(i for i in backend.known_issues if i.id == issue_id)
    if other := issue.other_version():
        pytest.skip(other)
    reason = issue.condition()
    if reason and "TF_ENABLE_ONEDNN_OPTS=1" in reason and not os.environ.get("TF_ENABLE_ONEDNN_OPTS"):
        # A setting, not the hardware: check it in a process of its own with the setting on.
        return _check_in_a_fresh_process(name, issue_id, {"TF_ENABLE_ONEDNN_OPTS": "1"})
    if reason and "ONEDNN_MAX_CPU_ISA=" in reason and not os.environ.get("ONEDNN_MAX_CPU_ISA"):
        # oneDNN picks a faster kernel on this CPU (AMX): the defective one, in a process with it capped.
        isa = reason.split("ONEDNN_MAX_CPU_ISA=", 1)[1].split()[0].rstrip(")")
        return _check_in_a_fresh_process(name, issue_id, {"ONEDNN_MAX_CPU_ISA": isa})
    if reason:
        pytest.skip(f"{issue.id} cannot show here: {reason}")
    if issue.intermittent and not os.environ.get(FRESH):
        # What uninitialised memory holds depends on the process's earlier allocations.
        return _check_in_a_fresh_process(name, issue_id, {})
    problem = issue.example()
    assert issue.matches(problem)
    if issue.crashes:  # it kills the process: in a child
        code = ("import sys\nfrom conv_equivalence.backends import get_backend\n"
                f"b = get_backend({name!r})\nissue = next(i for i in b.known_issues if i.id == {issue_id!r})\n"
                "b(issue.example())\nprint('returned')")
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                               env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]),
                                                                                             os.environ.get("PYTHONPATH")]))})
        assert child.returncode < 0, f"{issue_id} no longer crashes (exit {child.returncode}): update the entry\n{child.stdout}"
        return
    with pytest.raises(AssertionError, match="disagrees with the oracle"):
        for _ in range(INTERMITTENT_TRIES if issue.intermittent else 1):
            check_against_oracle(backend, problem)


def _check_in_a_fresh_process(name: str, issue_id: str, env: dict[str, str]) -> None:
    """This test for one known issue, in a pytest process of its own with ``env`` added."""
    child = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-rs",
                            f"{__file__}::test_known_issue_still_reproduces[{name}-{issue_id}]"],
                           env={**os.environ, **env, FRESH: "1"}, capture_output=True, text=True, timeout=600)
    if " skipped" in child.stdout and child.returncode == 0:
        pytest.skip(child.stdout.strip().splitlines()[-2] if len(child.stdout.splitlines()) > 1 else child.stdout)
    assert child.returncode == 0, child.stdout[-3000:] + child.stderr[-2000:]


def _grouped_strided_3d(transposed: bool) -> ConvProblem:
    from conv_equivalence.problem import ConvSpec

    spec = ConvSpec.create(3, stride=2, groups=3, transposed=transposed)
    return ConvProblem(spec, np.ones((2, 3, 4, 4, 4)), np.ones((3, 1, 2, 2, 2)), dtype="float64")


REFUSING = [b.name for b in BACKENDS if b.capabilities.reason_unsupported(_grouped_strided_3d(b.capabilities.transposed))]


@pytest.mark.parametrize("name", REFUSING)
def test_backend_refuses_what_it_does_not_support(name: str) -> None:
    """A backend asked for what its capabilities exclude (a grouped, strided 3-D problem) refuses by name."""
    backend = get_backend(name)
    with pytest.raises(ValueError, match=f"{re.escape(name)}: unsupported: "):
        backend(_grouped_strided_3d(backend.capabilities.transposed))


def test_framework_padding_names() -> None:
    """Which pads TensorFlow/JAX/ONNX can name, and how the ONNX adapter spells them."""
    from conv_equivalence.backends.onnx_conv import auto_pad
    from conv_equivalence.problem import ConvSpec

    def problem(n: int, k: int, **spec: object) -> ConvProblem:
        return ConvProblem(ConvSpec.create(1, **spec), np.ones((1, 1, n)), np.ones((1, 1, k)))  # type: ignore[arg-type]

    assert problem(5, 2, padding="same").framework_padding() == "SAME"  # torch's 'same': extra after
    assert problem(5, 2, padding=((1, 0),)).framework_padding() == "SAME_LOWER"
    assert problem(5, 3, padding=1).framework_padding() == "SAME"  # odd kernel: both fit, SAME wins
    assert problem(5, 3).framework_padding() == "VALID"
    assert problem(2, 3, stride=2, padding=((0, 1),)).framework_padding() == "SAME"  # t = (1-1)*2 + 3 - 2 = 1
    assert problem(2, 3, stride=2, padding=1).framework_padding() is None  # what stride 1 would pad
    assert auto_pad(problem(5, 2, padding=((1, 0),))) == ("SAME_LOWER", None)
    assert auto_pad(problem(5, 2, padding="same")) == ("SAME_UPPER", None)
    dilated = problem(9, 2, padding=1, dilation=2)  # effective kernel 3: SAME pads (1, 1)
    assert auto_pad(dilated) == ("SAME_UPPER", None)
    assert auto_pad(dilated, same_with_dilation=False) == ("NOTSET", [1, 1])  # ONNX Runtime refuses SAME with dilation
