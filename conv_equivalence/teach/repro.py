"""Upstream-ready reproductions: one standalone Python script per known issue and per ``differs`` belief.

A script imports only the library concerned and numpy, prints their versions, computes the smallest
case (a `KnownIssue`'s ``example()``, a belief's minimal counterexample), prints ``expected`` (written
as literals derived from the definition, e.g. with `conv_equivalence.oracle`, when the entry was
authored) against ``actual`` (the library's answer), and exits 1 while they differ, 0 once the
library is fixed. Equality is exact and NaN-aware (NaN equals NaN, shapes must match); a call that
raises yields the text ``raises Type: message`` as its result.

Each entry keeps only its specific part as data: ``KnownIssue.script`` beside the adapter, the
``script`` argument of `belief` (``misconceptions.SCRIPTS``). That part is Python that may use
``np`` (or ``numpy``), the library under its import name, and ``attempt(call)``, and sets ``expected`` and
``actual``. The frame around it is written once, here.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

KNOWN_ISSUE, BELIEF = "known issue", "belief"

_SUBMODULES = {"scipy": ("signal", "ndimage"), "onnx": ("reference", "helper")}
"""Submodules a script may name that ``import TOP`` does not load on every supported version."""
COMPANIONS = {"onnxruntime": "onnx", "dask_image": "dask"}
"""The one other package a library's script may import: ONNX Runtime runs models that ``onnx`` builds, and
dask-image filters the chunked arrays that ``dask`` makes."""


@dataclass(frozen=True)
class Repro:
    """One reproduction: ``library`` is the import name of the library concerned (``scipy.signal``)."""

    id: str
    kind: str
    library: str
    summary: str
    body: str
    reported: str = ""
    verified_with: str = ""

    @property
    def top(self) -> str:
        """The top-level package, whose ``__version__`` the script prints."""
        return self.library.split(".")[0]

    def imports(self) -> list[str]:
        """``import`` lines: the library, the submodules of it that the body names, and its `COMPANIONS`."""
        named = {"numpy", self.library} | {f"{self.top}.{sub}" for sub in _SUBMODULES.get(self.top, ())
                                           if re.search(rf"\b{self.top}\.{sub}\b", self.body)}
        if self.top in COMPANIONS:
            named.add(COMPANIONS[self.top])
        return [f"import {module}" for module in sorted(named)]

    def script(self) -> str:
        """The complete, self-contained script."""
        header = f"{self.id} ({self.kind}): {self.summary}"
        notes = [f"Verified with {self.verified_with}." if self.verified_with else "",
                 f"Upstream tracker: {self.reported}." if self.reported else ""]
        docstring = "\n".join(textwrap.fill(text, 100) for text in [header, *notes] if text)
        return _FRAME.format(
            docstring=docstring, id=self.id,
            imports="\n".join(self.imports()), top=self.top, body=textwrap.dedent(self.body).strip("\n"))


_FRAME = '''\
"""{docstring}

Written by conv-equivalence (`conv-equivalence repro {id}`).
Prints expected against actual; exits 1 while they differ (the behaviour persists), 0 once they agree.
"""
import importlib.metadata
import sys

{imports}
import numpy as np

print("python", sys.version.split()[0], "| numpy", np.__version__, "| {top}",
      getattr({top}, "__version__", None) or importlib.metadata.version({top}.__name__))  # mlx has no __version__


def attempt(call):
    """The call's result, or the exception it raised as text."""
    try:
        return call()
    except Exception as exc:
        return f"raises {{type(exc).__name__}}: {{exc}}"


{body}


def show(value):
    if isinstance(value, (str, bool, int, float, tuple)):
        return repr(value)
    value = np.asarray(value)
    return f"{{value.tolist()!r}}  shape {{value.shape}} {{value.dtype}}"


def same(a, b):
    """Exact, NaN-aware equality of two results (arrays of equal shape, or equal plain values)."""
    if isinstance(a, (str, bool, int, tuple)) or isinstance(b, (str, bool, int, tuple)):
        return type(a) is type(b) and a == b
    a, b = np.asarray(a), np.asarray(b)
    numeric = a.dtype.kind in "fc" and b.dtype.kind in "fc"
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=numeric))


print("expected:", show(expected))
print("actual:  ", show(actual))
agree = same(expected, actual)
print("fixed: expected and actual agree" if agree else "the behaviour persists: expected and actual differ")
sys.exit(0 if agree else 1)
'''


def reproductions() -> dict[str, Repro]:
    """Every reproduction by id: the known issues of every backend, then the catalogue's beliefs."""
    from conv_equivalence.backends import all_backends
    from conv_equivalence.identities import all_identities
    from conv_equivalence.identities.misconceptions import SCRIPTS

    found: dict[str, Repro] = {}
    for backend in all_backends():
        for issue in backend.known_issues:
            if issue.script and issue.id not in found:
                found[issue.id] = Repro(issue.id, KNOWN_ISSUE, backend.library, issue.summary, issue.script,
                                        issue.reported, issue.verified_with)
    for identity in all_identities():
        if identity.id in SCRIPTS and identity.status == "differs":
            library, body = SCRIPTS[identity.id]
            found[identity.id] = Repro(identity.id, BELIEF, library, identity.statement, body)
    return found


def get_repro(repro_id: str) -> Repro:
    """The reproduction ``repro_id``; ``KeyError`` with a one-line message otherwise."""
    try:
        return reproductions()[repro_id]
    except KeyError:
        raise KeyError(f"unknown reproduction {repro_id!r}; `conv-equivalence repro` lists them") from None


def main(repro_id: str | None) -> str:
    """What ``conv-equivalence repro [ID]`` prints: the ids one a line, or the script ``ID``."""
    if repro_id is None:
        return "\n".join(reproductions())
    return get_repro(repro_id).script()
