"""`check`: a verdict on a user's own convolution, facet by facet, with shrunk counterexamples.

Pipeline: `facets` (what each facet draws) and `drawing` (its examples) -> `search` (one facet's
Hypothesis search) -> `runner` (the user's callable in a child process, through a calling convention
from `conventions`) -> `judge` (the reply against the oracle within the tolerance) -> `minimize` and
`realsize` (smallest counterexample; real-size boundaries from the `shapes` tables) -> `cascade` (the
base each facet is checked from, what explains a failure) -> `reproduce` and `render` (a standalone
snippet, the text a person reads). `run.check_conv` ties them together, `options` holds what it is
asked, `result` what it returns.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {"check_conv": "run", "EXCLUDABLE": "options", "UsageError": "options", "CheckOptions": "options",
           "STATUSES": "result", "CheckResult": "result", "FacetResult": "result"}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    """The public names, imported on first use (the search needs torch and Hypothesis; `shapes` does not)."""
    if name in _PUBLIC:
        return getattr(importlib.import_module(f"conv_equivalence.check.{_PUBLIC[name]}"), name)
    raise AttributeError(f"module 'conv_equivalence.check' has no attribute {name!r}")
