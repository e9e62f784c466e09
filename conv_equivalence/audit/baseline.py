"""The baseline: the expected status of each identity x target, and what a run changed from it.

A baseline is ``{"identity id": {"target": status}}``, every status one of `STATUSES`, every
entry a check of the catalogue (`SCHEMA`, then `load` checks the entries). Comparing a run with
it (`compare`):

- a check that was ``not-installed`` (or absent) and now runs is an *addition*, and one that ran
  and is now ``not-installed`` has *disappeared*: both are reported, neither fails the gate;
- a changed verdict on a check that ran both times is a *change*, and fails the gate (exit 1),
  as does any ``regression``, ``error`` or ``crash`` whatever the baseline says.
"""

from __future__ import annotations

import json
import stat
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conv_equivalence.audit.verdict import CRASH, ERROR, NOT_INSTALLED, REGRESSION, STATUSES, Verdict

Baseline = dict[str, dict[str, str]]

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "conv-equivalence baseline: identity id -> target -> status",
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": {"enum": list(STATUSES)},
    },
}
MAX_BYTES = 16 * 2**20
"""A baseline larger than this is refused unread (the catalogue's is about 22 KB)."""
FAILURES = (REGRESSION, ERROR, CRASH)
"""Outcomes that fail the gate whatever the baseline says."""


class BaselineError(ValueError):
    """The baseline file cannot be used: unreadable, not UTF-8 JSON, the wrong shape, or unknown entries."""


def parse(data: bytes, known: Iterable[tuple[str, str]]) -> Baseline:
    """Decode and validate a baseline; ``known`` are the catalogue's (identity, target) pairs."""
    import jsonschema

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BaselineError(f"not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x})") from None
    try:
        baseline = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(baseline))
    if error is not None:
        where = "".join(f"[{json.dumps(p)}]" for p in error.absolute_path) or "the top level"
        message = error.message if len(error.message) < 160 else error.message[:150] + "..."
        raise BaselineError(f"not a baseline ({{identity: {{target: status}}}}): {where}: {message}")
    known_pairs = set(known)
    unknown = [f"{i}[{t}]" for i, row in baseline.items() for t in row if (i, t) not in known_pairs]
    if unknown:
        shown = ", ".join(unknown[:3]) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
        raise BaselineError(f"{len(unknown)} entries match no identity and target of the catalogue: {shown}")
    return baseline


def load(path: Path, known: Iterable[tuple[str, str]]) -> Baseline:
    """Read and validate the baseline at ``path`` (`BaselineError` saying why it cannot be used)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise BaselineError("not a regular file (a baseline is a JSON file)")
        if info.st_size > MAX_BYTES:
            raise BaselineError(f"{info.st_size:,} bytes, more than a baseline's limit of {MAX_BYTES:,}")
        data = path.read_bytes()
    except OSError as exc:
        raise BaselineError(f"cannot read it ({exc.strerror or exc})") from None
    return parse(data, known)


@dataclass
class Comparison:
    """What a run changed from a baseline (see the module docstring)."""

    changes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    added: dict[str, list[Verdict]] = field(default_factory=lambda: defaultdict(list))
    disappeared: dict[str, list[Verdict]] = field(default_factory=lambda: defaultdict(list))

    @property
    def failed(self) -> bool:
        return bool(self.changes or self.failures)

    def lines(self) -> list[tuple[str, str]]:
        """(kind, text) for people: failures and changes one per check, additions and
        disappearances one per target."""
        out = [("failure", line) for line in self.failures] + [("change", line) for line in self.changes]
        for target, verdicts in sorted(self.added.items()):
            counts = ", ".join(f"{k} {v}" for k, v in sorted(Counter(v.outcome for v in verdicts).items()))
            out.append(("added", f"{target}: {len(verdicts)} checks now run ({counts})"))
        for target, verdicts in sorted(self.disappeared.items()):
            out.append(("gone", f"{target}: {len(verdicts)} checks no longer run ({verdicts[0].message})"))
        return out


def compare(verdicts: Iterable[Verdict], baseline: Baseline | None) -> Comparison:
    """Compare a run's verdicts with ``baseline`` (``None``: only the failures count)."""
    result = Comparison()
    for v in verdicts:
        if v.outcome in FAILURES:
            first = v.message.splitlines()[0] if v.message else ""
            result.failures.append(f"{v.identity}[{v.target}]: {v.outcome}: {first}")
        if baseline is None:
            continue
        expected = baseline.get(v.identity, {}).get(v.target)
        if expected == v.outcome:
            continue
        if expected is None or expected == NOT_INSTALLED:
            result.added[v.target].append(v)
        elif v.outcome == NOT_INSTALLED:
            result.disappeared[v.target].append(v)
        else:
            result.changes.append(f"{v.identity}[{v.target}]: baseline says {expected}, now {v.outcome}")
    return result


def updated(old: Baseline | None, verdicts: Iterable[Verdict]) -> Baseline:
    """``old`` with the run's checks set to their outcomes (a partial run keeps the rest). A
    failure is never an expectation: a ``regression``, ``error`` or ``crash`` is recorded as the
    catalogue's expected status, so that the fix does not read as a change (the run still fails)."""
    merged: Baseline = {i: dict(row) for i, row in (old or {}).items()}
    for v in verdicts:
        merged.setdefault(v.identity, {})[v.target] = v.expected if v.outcome in FAILURES else v.outcome
    return {i: dict(sorted(row.items())) for i, row in sorted(merged.items())}
