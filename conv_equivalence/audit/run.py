"""The audit: every identity on every target, a summary matrix, and reports written atomically.

``report.json`` holds library versions, platform, profile, notes on the environment and each
identity x target verdict (with its counterexample when it failed); ``report.md`` is the same for
people, and ``report.html`` a self-contained page with the colour-coded matrix and heatmaps of
each counterexample. Every report is rendered in memory and written to temporary files first,
then all are renamed into place, so an interrupted run leaves no half-written file. Checks run in
worker processes (`conv_equivalence.audit.workers`); `conv_equivalence.audit.baseline` compares a run with
the committed expectations.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import settings

from conv_equivalence.audit import workers
from conv_equivalence.audit.verdict import CRASH, Verdict, describe_case
from conv_equivalence.identities import Identity, cases

SCHEMA_VERSION = 2
LIBRARIES = ("numpy", "scipy", "torch", "hypothesis", "jax", "onnx", "onnxruntime", "cv2", "tensorflow", "keras", "flax",
             "equinox", "mlx", "kornia", "astropy", "PIL", "dask_image", "distributed")


def library_versions() -> dict[str, str]:
    """Versions of the libraries the audit can exercise (``"not installed"`` when absent), read
    from the installed distributions' metadata without importing them."""
    distributions = importlib.metadata.packages_distributions()
    versions = {}
    for name in LIBRARIES:
        version = "not installed"
        for dist in distributions.get(name, []) if importlib.util.find_spec(name) else []:
            try:
                version = importlib.metadata.version(dist)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
        versions[name] = version
    return versions


def environment_notes(versions: dict[str, str] | None = None) -> list[str]:
    """What about this environment can change results or hides output, stated once per report."""
    versions = versions or library_versions()
    notes = ["Third-party log output (TensorFlow, absl, oneDNN, JAX, ONNX Runtime) is captured in the worker "
             "processes and not shown; TF_CPP_MIN_LOG_LEVEL=2 is set before the frameworks import."]
    if versions.get("torch", "not installed") != "not installed":
        notes.append("torch computes CPU convolutions with oneDNN where it can: the order of summation, and so "
                     "the rounding, differs from the oracle's; the tolerance bounds allow any order.")
    if versions.get("tensorflow", "not installed") != "not installed":
        setting = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
        state = ("on (TF_ENABLE_ONEDNN_OPTS)" if setting in ("1", "true", "True") else "off (TF_ENABLE_ONEDNN_OPTS)"
                 if setting in ("0", "false", "False") else "at TensorFlow's default for this CPU (on only on some "
                 "Intel CPUs; TF_ENABLE_ONEDNN_OPTS=1 forces them on)")
        notes.append(f"TensorFlow's oneDNN custom operations are {state}: they may change floating-point round-off "
                     "(the tolerance bounds allow any order of summation) and some known issues show only with them. "
                     "TensorFlow's checks run in worker processes of their own.")
    if versions.get("jax", "not installed") != "not installed" and os.environ.get("JAX_ENABLE_X64") in ("0", "false", "False"):
        notes.append("JAX_ENABLE_X64=0: JAX computes float64 problems in float32 (the report's computing dtype says so).")
    return notes


def select(backends: Iterable[str] | None = None, identities: Iterable[str] | None = None) -> list[tuple[Identity, str]]:
    """The (identity, target) pairs to run; ``backends``/``identities`` are name prefixes."""
    chosen = []
    b_prefixes = tuple(backends or ())
    i_prefixes = tuple(identities or ())
    for identity, target in cases():
        if b_prefixes and not target.startswith(b_prefixes):
            continue
        if i_prefixes and not identity.id.startswith(i_prefixes):
            continue
        chosen.append((identity, target))
    return chosen


@dataclass
class AuditResult:
    profile: str
    verdicts: list[Verdict]

    def matrix(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for v in self.verdicts:
            out.setdefault(v.identity, {})[v.target] = v.outcome
        return out

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for v in self.verdicts:
            counts[v.outcome] = counts.get(v.outcome, 0) + 1
        return counts

    def __repr__(self) -> str:
        """What a console shows: the terminal's summary (`terminal.print_audit`), without colour."""
        import io

        from rich.console import Console

        from conv_equivalence.audit.terminal import print_audit

        out = io.StringIO()
        print_audit(Console(file=out, width=100, color_system=None, force_terminal=False, force_jupyter=False,
                            soft_wrap=False), self.verdicts)
        return f"AuditResult ({self.profile} profile, {len(self.verdicts)} checks)\n" + out.getvalue().rstrip()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        """The audit as a notebook draws it: the HTML report's first screen, matrix, lessons and problem cards."""
        from conv_equivalence.report.notebook import audit_html

        return audit_html(self)


def run_audit(pairs: list[tuple[Identity, str]], profile_name: str, profile: settings,
              progress: Callable[[Verdict], None] | None = None, jobs: int = 1,
              setup: Sequence[str] = ()) -> AuditResult:
    """Verify every pair in ``jobs`` worker processes; verdicts come back in the order of ``pairs``.

    TensorFlow's checks run in workers of their own, never beside torch, JAX or ONNX Runtime. A
    worker that dies (a segfault in native code) costs only the check it was running, which gets
    a ``crash`` verdict. ``setup`` names modules every worker imports first (to register extra
    backends or identities). An exception in ``progress`` (or a signal handler) kills the workers.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs}")
    results: dict[int, Verdict] = {}

    def crashed(i: int, how: str) -> Verdict:
        identity, target = pairs[i]
        return Verdict(identity.id, target, identity.status, CRASH,
                       f"the worker process died while checking {identity.id} on {target} ({how})")

    def done(i: int, verdict: Verdict) -> None:
        results[i] = verdict
        if progress:
            progress(verdict)

    tasks = [(identity.id, target, profile_name, profile.max_examples) for identity, target in pairs]
    workers.run_tasks(tasks, [workers.group_of(t) for _, t in pairs], jobs, crashed, done, setup)
    return AuditResult(profile_name, [results[i] for i in range(len(pairs))])


def jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist() if value.dtype != object else [str(v) for v in value.ravel()]
    if isinstance(value, complex):
        return [value.real, value.imag]
    if isinstance(value, (np.generic,)):
        return value.item()
    return value


def report_json(result: AuditResult) -> dict[str, Any]:
    versions = library_versions()
    return {
        "schema_version": SCHEMA_VERSION,
        "profile": result.profile,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "libraries": versions,
        "environment_notes": environment_notes(versions),
        "counts": result.counts(),
        "results": [
            {
                "identity": v.identity, "target": v.target, "expected": v.expected, "outcome": v.outcome,
                "examples": v.examples, "seconds": round(v.seconds, 3), "message": v.message,
                "max_error_ratio": v.details.get("max_error_ratio"),
                "counterexample": None if v.counterexample is None else describe_case(v.counterexample),
            }
            for v in result.verdicts
        ],
    }


def report_markdown(result: AuditResult, identities: dict[str, Identity]) -> str:
    lines = [f"# conv-equivalence audit ({result.profile} profile)", ""]
    versions = library_versions()
    lines.append("Libraries: " + ", ".join(f"{k} {v}" for k, v in versions.items() if v != "not installed"))
    lines.append("")
    lines += [f"- {note}" for note in environment_notes(versions)] + [""]
    lines.append("| outcome | count |")
    lines.append("|---|---|")
    for outcome, count in sorted(result.counts().items()):
        lines.append(f"| {outcome} | {count} |")
    lines.append("")
    lines.append("| identity | target | expected | outcome | examples |")
    lines.append("|---|---|---|---|---|")
    for v in result.verdicts:
        lines.append(f"| `{v.identity}` | `{v.target}` | {v.expected} | **{v.outcome}** | {v.examples} |")
    failures = [v for v in result.verdicts if v.counterexample is not None]
    if failures:
        lines += ["", "## Counterexamples", ""]
        for v in failures:
            identity = identities.get(v.identity)
            lines.append(f"### `{v.identity}` on `{v.target}` ({v.outcome})")
            if identity:
                lines.append("")
                lines.append(identity.statement)
                lines.append("")
                lines.append(f"`{identity.formula}`")
            lines += ["", "```", v.message, "", describe_case(v.counterexample), "```", ""]
    return "\n".join(lines) + "\n"
