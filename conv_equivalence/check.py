"""Check a user's own convolution: wrap it as a backend and run the agreement identities on it.

The callable has the signature of ``torch.nn.functional.conv{N}d``
(``input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1``) or, with
``transposed=True``, of ``conv_transpose{N}d`` (``input, weight, bias=None, stride=1,
padding=0, output_padding=0, groups=1, dilation=1``): torch tensors in, a torch tensor out.
Everything torch's own function accepts is in scope (dtypes, groups, dilation, strides,
'same'/'valid', bias, empty batches, channels-last and non-contiguous inputs, NaN/inf) unless
excluded. A verdict is reached for implementations that raise, hang (per-example time limit) or
return the wrong thing, without crashing the checker. Cases where torch itself is known to
deviate (`KnownIssue`s of the torch backend) are not generated, so torch's own function passes.
"""

from __future__ import annotations

import dataclasses
import importlib
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Any

import numpy as np
from hypothesis import settings

from conv_equivalence.backends import Backend, get_backend, register
from conv_equivalence.identities import IdentityFailure, get_identity
from conv_equivalence.problem import ConvProblem
from conv_equivalence.verdict import Verdict, describe_case, verify

EXCLUDABLE = ("groups", "dilation", "stride", "bias", "padding-strings", "empty-batch", "channels-last", "strided",
              "nonfinite", "complex", "integers", "reduced-precision")
IDENTITIES = ("equals-oracle", "equals-oracle-within-rounding", "nonfinite-propagates", "keeps-dtype-and-shape")


class UsageError(Exception):
    """The callable cannot be loaded or the options make no sense."""


def load_callable(spec: str) -> Callable[..., Any]:
    """``"package.module:attr"`` to the callable it names; `UsageError` saying what is wrong otherwise."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"expected MODULE:ATTR, got {spec!r}")
    if "" not in sys.path:
        sys.path.insert(0, "")  # the current directory, as `python -m` would have it
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any import failure is a usage error here
        raise UsageError(f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}") from None
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            raise UsageError(f"module {module_name!r} has no attribute {attr!r}")
        target = getattr(target, part)
    if not callable(target):
        raise UsageError(f"{spec} is not callable (it is a {type(target).__name__})")
    return target


class ExampleTimeout(Exception):
    """The implementation ran past the per-example time limit."""


@contextmanager
def _time_limit(seconds: float | None):  # type: ignore[no-untyped-def]
    """Interrupt Python-level code after ``seconds`` (SIGALRM; main thread on Unix only)."""
    if not seconds or not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise ExampleTimeout(f"the implementation took longer than {seconds:g}s on one example")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def user_backend(fn: Callable[..., Any], *, name: str, ndim: int, transposed: bool = False,
                 dtypes: Iterable[str] | None = None, exclude: Iterable[str] = (), time_limit: float | None = 10.0) -> Backend:
    """A backend (registered as ``name``) that calls ``fn`` the way torch's functional conv is called."""
    from conv_equivalence.backends.pytorch import problem_tensors, to_numpy

    excluded = set(exclude)
    unknown = excluded - set(EXCLUDABLE)
    if unknown:
        raise UsageError(f"--exclude accepts {', '.join(EXCLUDABLE)}; got {', '.join(sorted(unknown))}")
    reference = get_backend("torch.functional.conv_transpose" if transposed else "torch.functional.conv")
    caps = reference.capabilities
    allowed = list(caps.dtypes)
    if dtypes is not None:
        dtypes = list(dtypes)
        bad = [d for d in dtypes if d not in caps.dtypes]
        if bad:
            raise UsageError(f"--dtypes must be among {', '.join(caps.dtypes)}; got {', '.join(bad)}")
        allowed = dtypes
    if "complex" in excluded:
        allowed = [d for d in allowed if not d.startswith("complex")]
    if "integers" in excluded:
        allowed = [d for d in allowed if not d.startswith("int")]
    if "reduced-precision" in excluded:
        allowed = [d for d in allowed if d not in ("float16", "bfloat16")]
    if not allowed:
        raise UsageError("the options exclude every dtype")
    dropped = {layout for option, layout in (("channels-last", "channels_last"), ("strided", "strided")) if option in excluded}
    layouts = tuple(layout for layout in caps.layouts if layout not in dropped)
    caps = dataclasses.replace(
        caps, ranks=(ndim,), dtypes=tuple(allowed), padding_modes=("zeros",),
        groups=caps.groups and "groups" not in excluded, dilation=caps.dilation and "dilation" not in excluded,
        stride=caps.stride and "stride" not in excluded, bias=caps.bias and "bias" not in excluded,
        padding_strings=() if "padding-strings" in excluded else caps.padding_strings,
        padding_pairs=False,  # torch's signature takes one int per axis
        empty_batch="empty-batch" not in excluded, layouts=layouts, nonfinite="nonfinite" not in excluded,
    )

    def run(problem: ConvProblem) -> np.ndarray:
        import torch

        s = problem.spec
        x, w, b = problem_tensors(problem, "cpu")
        with _time_limit(time_limit):
            if s.transposed:
                out = fn(x, w, b, s.stride, s.padding, s.output_padding, s.groups, s.dilation)
            else:
                out = fn(x, w, b, s.stride, s.padding, s.dilation, s.groups)
        if not isinstance(out, torch.Tensor):
            raise IdentityFailure(f"the implementation returned a {type(out).__name__}, not a torch.Tensor", case=problem)
        if tuple(out.shape) != problem.output_shape or out.dtype != x.dtype:
            raise IdentityFailure(
                f"the implementation returned {out.dtype} of shape {tuple(out.shape)}; torch returns "
                f"{x.dtype} of shape {problem.output_shape}", case=problem)
        return to_numpy(out)

    # Cases where torch itself is known to break IEEE semantics (bfloat16 NaN/inf on the CPU) are
    # left out too: the gate must pass torch's own function; the known issues are reported apart.
    return register(Backend(name, "torch", f"user implementation {name}", caps, run,
                            known_issues=reference.known_issues), replace=True)


@dataclasses.dataclass
class CheckResult:
    name: str
    verdicts: list[Verdict]

    @property
    def failed(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.ok]

    def report(self) -> str:
        lines = []
        for v in self.verdicts:
            outcome = "pass" if v.ok else ("FAIL" if v.outcome == "regression" else v.outcome.upper())
            lines.append(f"{v.identity}: {outcome} ({v.examples} examples, {v.seconds:.1f}s)")
        for v in self.failed:
            lines += ["", f"== {v.identity} failed for {self.name}", v.message, "", "counterexample:",
                      describe_case(v.counterexample)]
            if isinstance(v.counterexample, ConvProblem):
                lines += ["", render_problem(v.counterexample)]
                if isinstance(v.left, np.ndarray):
                    with np.printoptions(threshold=200, edgeitems=4, linewidth=110):
                        lines.append(f"got (the implementation) {v.left.shape}:\n{v.left}")
            reproduce = v.details.get("reproduce")
            if reproduce:
                lines += ["", reproduce]
        return "\n".join(lines)


def render_problem(problem: ConvProblem) -> str:
    """Parameters, arrays and the oracle's answer, as a person would want to read them."""
    from conv_equivalence.oracle import solve

    s = problem.spec
    parts = [f"parameters: stride={s.stride} padding={s.padding!r} dilation={s.dilation} groups={s.groups}"
             + (f" output_padding={s.output_padding}" if s.transposed else "")
             + f" dtype={problem.dtype} layout={problem.layout}"]
    with np.printoptions(threshold=200, edgeitems=4, linewidth=110):
        parts.append(f"input {problem.x.shape}:\n{problem.x}")
        parts.append(f"weight {problem.weight.shape}:\n{problem.weight}")
        parts.append(f"bias: {problem.bias}")
        parts.append(f"expected (oracle) {problem.output_shape}:\n{solve(problem)}")
    return "\n".join(parts)


def check_conv(fn: Callable[..., Any], ndim: int = 2, *, transposed: bool = False, dtypes: Iterable[str] | None = None,
               exclude: Iterable[str] = (), profile: settings | None = None, time_limit: float | None = 10.0,
               seed: int | None = None, identities: Iterable[str] = IDENTITIES, raise_on_failure: bool = True) -> CheckResult:
    """Run the agreement identities on ``fn``; raise ``AssertionError`` with the report when one fails."""
    name = f"user:{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"
    user_backend(fn, name=name, ndim=ndim, transposed=transposed, dtypes=dtypes, exclude=exclude, time_limit=time_limit)
    verdicts = []
    for identity_id in identities:
        identity = get_identity(identity_id)
        backend = get_backend(name)
        if identity_id == "nonfinite-propagates" and not backend.capabilities.nonfinite:
            continue
        if identity_id == "equals-oracle-within-rounding" and all(d.startswith("int") for d in backend.capabilities.dtypes):
            continue
        verdicts.append(verify(identity, name, profile, seed=seed))
    result = CheckResult(name, verdicts)
    if raise_on_failure and result.failed:
        raise AssertionError(result.report())
    return result
