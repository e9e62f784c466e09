"""How the audit's verdicts are grouped for people, the same way in the terminal and in the HTML report.

Three kinds of check: single-backend checks (the matrix: backends grouped by library, identities
across), pairwise checks (targets ``a|b``, their own table) and beliefs (catalogue entries whose
status is ``differs``: lessons). A target none of whose checks could run (every verdict
``not-installed``) is folded into one line with its reason; a library whose every backend is
missing is one line naming the extra that installs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from conv_equivalence.audit.verdict import CRASH, DIFFERS, ERROR, HOLDS, NOT_INSTALLED, REGRESSION, STATUSES, UNSUPPORTED, Verdict
from conv_equivalence.backends import all_backends, get_backend

PROBLEMS = (REGRESSION, ERROR, CRASH)
"""The statuses that mean something changed or broke."""
SYMBOLS = {HOLDS: "✓", DIFFERS: "≠", REGRESSION: "✗", UNSUPPORTED: "·", NOT_INSTALLED: "–", ERROR: "!", CRASH: "☠"}


def library_of(target: str) -> str:
    """The library a backend belongs to (its registered ``library``), else the target's first dotted part."""
    try:
        return get_backend(target).library
    except KeyError:
        return target.split(".")[0]


def unavailable(verdicts: Iterable[Verdict]) -> str | None:
    """Why a target could not run at all (every verdict ``not-installed``), else ``None``."""
    verdicts = list(verdicts)
    if verdicts and all(v.outcome == NOT_INSTALLED or (v.outcome == UNSUPPORTED and "not installed" in v.message)
                        for v in verdicts):
        return verdicts[0].message.splitlines()[0] if verdicts[0].message else NOT_INSTALLED
    return None


def headline(message: str, lines: int = 3) -> str:
    """The first ``lines`` lines of a checker's message as one line: ``first: second third``."""
    parts = [line.strip() for line in message.splitlines()[:lines] if line.strip()]
    return parts[0] + (": " + " ".join(parts[1:]) if len(parts) > 1 else "") if parts else ""


def counts(verdicts: Sequence[Verdict]) -> dict[str, int]:
    """How many verdicts have each status, every status present, worst first."""
    out = {s: 0 for s in STATUSES}
    for v in verdicts:
        out[v.outcome] = out.get(v.outcome, 0) + 1
    return out


@dataclass
class Library:
    """One library's rows of the matrix: each target's verdict index per identity, or why it did not run."""

    name: str
    targets: dict[str, dict[str, int]] = field(default_factory=dict)
    reasons: dict[str, str | None] = field(default_factory=dict)

    @property
    def missing(self) -> str | None:
        """The reason when no backend of the library is installed (one line for the whole library)."""
        reasons = list(self.reasons.values())
        return reasons[0] if reasons and all(r and "not installed" in r for r in reasons) else None


@dataclass
class Layout:
    """The verdicts of one audit, grouped: matrix by library, pairwise checks, beliefs (indices into ``verdicts``)."""

    verdicts: Sequence[Verdict]
    identities: list[str]
    libraries: list[Library]
    pairs: list[int]
    beliefs: list[int]

    @property
    def problems(self) -> list[int]:
        return [i for i, v in enumerate(self.verdicts) if v.outcome in PROBLEMS]


def arrange(verdicts: Sequence[Verdict]) -> Layout:
    """Group ``verdicts`` for display (backends in registration order, libraries in order of their first backend)."""
    matrix, pairs, beliefs = [], [], []
    for i, v in enumerate(verdicts):
        if "|" in v.target:
            pairs.append(i)
        elif v.expected == DIFFERS:
            beliefs.append(i)
        else:
            matrix.append(i)
    order = {b.name: n for n, b in enumerate(all_backends())}
    by_target: dict[str, dict[str, int]] = {}
    for i in matrix:
        by_target.setdefault(verdicts[i].target, {})[verdicts[i].identity] = i
    libraries: dict[str, Library] = {}
    for target in sorted(by_target, key=lambda t: (order.get(t, len(order)), t)):
        library = libraries.setdefault(library_of(target), Library(library_of(target)))
        library.targets[target] = by_target[target]
        library.reasons[target] = unavailable(verdicts[i] for i in by_target[target].values())
    identities = list(dict.fromkeys(verdicts[i].identity for i in matrix))
    return Layout(verdicts, identities, list(libraries.values()), pairs, beliefs)
