"""The audit: every identity on every installed target, a summary matrix, and reports written atomically.

``report.json`` holds library versions, platform, profile and each identity x target verdict
(with its counterexample when it failed); ``report.md`` is the same for people, and
``report.html`` a self-contained page with the colour-coded matrix and heatmaps of each
counterexample. Every report is rendered in memory first, then each file is written to a
temporary name and renamed into place, so an interrupted run leaves no half-written file. A baseline
(``{"identity": {"target": "holds" | "differs" | "unsupported"}}``) turns the audit into a
regression gate: any verdict that differs from it is a change.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import settings

from conv_equivalence.identities import Identity, cases
from conv_equivalence.verdict import ERROR, REGRESSION, Verdict, describe_case, verify, verify_by_name

SCHEMA_VERSION = 1


def library_versions() -> dict[str, str]:
    """Versions of the libraries the audit can exercise (``"not installed"`` when absent)."""
    import importlib

    versions = {}
    for name in ("numpy", "scipy", "torch", "hypothesis", "jax", "onnxruntime", "cv2", "tensorflow"):
        try:
            versions[name] = str(importlib.import_module(name).__version__)
        except ImportError:
            versions[name] = "not installed"
    return versions


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

    def changes(self, baseline: dict[str, dict[str, str]] | None) -> list[str]:
        """Verdicts that are not what the catalogue (and the baseline, if given) expect."""
        lines = []
        for v in self.verdicts:
            if v.outcome in (REGRESSION, ERROR):
                lines.append(f"{v.identity}[{v.target}]: {v.outcome}: {v.message.splitlines()[0] if v.message else ''}")
            elif baseline is not None:
                expected = baseline.get(v.identity, {}).get(v.target)
                if expected is not None and expected != v.outcome:
                    lines.append(f"{v.identity}[{v.target}]: baseline says {expected}, now {v.outcome}")
        return lines


def run_audit(pairs: list[tuple[Identity, str]], profile_name: str, profile: settings,
              progress: Callable[[Verdict], None] | None = None, jobs: int = 1) -> AuditResult:
    """Verify every pair, in ``jobs`` worker processes; verdicts come back in the order of ``pairs``.

    Each worker is its own single-process pool, so a library that crashes its process (a
    segfault in native code) costs only the check it was running: that check gets an ``error``
    verdict saying so, the worker is replaced, and the audit goes on. Workers rebuild the
    settings from ``profile_name`` and ``profile.max_examples``.
    """
    if jobs <= 1:
        verdicts = []
        for identity, target in pairs:
            verdicts.append(verify(identity, target, profile))
            if progress:
                progress(verdicts[-1])
        return AuditResult(profile_name, verdicts)
    import queue
    import threading
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(len(pairs)):
        todo.put(i)
    results: dict[int, Verdict] = {}
    lock = threading.Lock()

    def worker() -> None:
        pool = ProcessPoolExecutor(max_workers=1)
        try:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                identity, target = pairs[i]
                try:
                    verdict = pool.submit(verify_by_name, identity.id, target, profile_name, profile.max_examples).result()
                except BrokenProcessPool:
                    verdict = Verdict(identity.id, target, identity.status, ERROR,
                                      f"the worker process died while checking {identity.id} on {target} "
                                      "(a crash in the library's native code, such as a segfault)")
                    pool.shutdown(wait=False)
                    pool = ProcessPoolExecutor(max_workers=1)
                with lock:
                    results[i] = verdict
                    if progress:
                        progress(verdict)
        finally:
            pool.shutdown(wait=True)

    with ThreadPoolExecutor(max_workers=jobs) as threads:
        for future in [threads.submit(worker) for _ in range(jobs)]:
            future.result()
    return AuditResult(profile_name, [results[i] for i in range(len(pairs))])


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist() if value.dtype != object else [str(v) for v in value.ravel()]
    if isinstance(value, complex):
        return [value.real, value.imag]
    if isinstance(value, (np.generic,)):
        return value.item()
    return value


def report_json(result: AuditResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "profile": result.profile,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "libraries": library_versions(),
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


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; a report is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(result: AuditResult, out: Path, identities: dict[str, Identity]) -> list[Path]:
    """Render every report in memory first, then move each into ``out`` atomically."""
    from conv_equivalence.html import render

    summary = report_json(result)
    rendered = {
        "report.json": json.dumps(summary, indent=2, default=_jsonable) + "\n",
        "report.md": report_markdown(result, identities),
        "report.html": render(summary, result.verdicts, {k: i.statement for k, i in identities.items()}),
    }
    paths = []
    for name, text in rendered.items():
        write_atomically(out / name, text)
        paths.append(out / name)
    return paths
