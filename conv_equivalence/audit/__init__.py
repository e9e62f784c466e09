"""`audit`: every identity of the catalogue against every installed library.

`verdict` runs one identity on one target with Hypothesis; `workers` runs the checks in child
processes; `run` gathers an `AuditResult` and its JSON and Markdown reports; `baseline` compares
a run with the committed expectations; `layout` groups the verdicts for people and `terminal`
prints them. The HTML report is rendered from these results by `conv_equivalence.report`.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

_PUBLIC = {name: "run" for name in ("AuditResult", "run_audit", "select", "library_versions", "environment_notes",
                                     "report_json", "report_markdown")}
_MOVED = {"write_reports": "cli.audit", "write_atomically": "cli.common", "write_all_atomically": "cli.common"}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    """The public names, imported on first use; the file writers that moved to the command, with a warning."""
    if name in _PUBLIC:
        return getattr(importlib.import_module(f"conv_equivalence.audit.{_PUBLIC[name]}"), name)
    if name in _MOVED:
        warnings.warn(f"conv_equivalence.audit.{name} has moved to conv_equivalence.{_MOVED[name]}.{name}; "
                      "the old path will be removed in the next release", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(f"conv_equivalence.{_MOVED[name]}"), name)
    raise AttributeError(f"module 'conv_equivalence.audit' has no attribute {name!r}")
