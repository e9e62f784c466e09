"""Import paths of the flat layout (before 0.3), kept for one release: each old module is an alias of
its new home that warns once, when imported, with a `DeprecationWarning` naming the new path."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import Any

MOVED = {
    "facets": "check.facets", "conventions": "check.conventions", "runner": "check.runner", "judge": "check.judge",
    "minimize": "check.minimize", "reproduce": "check.reproduce", "render": "check.render",
    "realsize": "check.realsize", "shapes": "check.shapes", "check_cli": "cli.check",
    "verdict": "audit.verdict", "workers": "audit.workers", "baseline": "audit.baseline", "layout": "audit.layout",
    "terminal": "audit.terminal", "audit_cli": "cli.audit",
    "html": "report.page", "cards": "report.cards", "heatmap": "report.heatmap", "teaching_html": "report.lesson",
    "explain": "teach.explain", "repro": "teach.repro",
    "impl_tests": "pytest_plugin.impl_tests", "teach_tests": "pytest_plugin.teach_tests",
}
"""Old module name (under ``conv_equivalence.``) -> its new one."""


class _CallableAlias(ModuleType):
    """The old ``conv_equivalence.explain`` module, which importing puts where the function
    ``conv_equivalence.explain`` is: calling it calls that function, so both keep working."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return importlib.import_module("conv_equivalence.teach.explain").explain(*args, **kwargs)


class _Aliases(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``conv_equivalence.<old>`` and loads it as a module that forwards every attribute to the new one."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        old = fullname.removeprefix("conv_equivalence.")
        if fullname.startswith("conv_equivalence.") and old in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def exec_module(self, module: ModuleType) -> None:
        new = "conv_equivalence." + MOVED[module.__name__.removeprefix("conv_equivalence.")]
        warnings.warn(f"{module.__name__} has moved to {new}; the old path will be removed in the next release",
                      DeprecationWarning, stacklevel=2)
        target = importlib.import_module(new)
        module.__getattr__ = lambda name: getattr(target, name)  # type: ignore[method-assign]
        module.__dir__ = lambda: dir(target)  # type: ignore[method-assign]
        module.__doc__ = f"Moved to `{new}`."
        if new == "conv_equivalence.teach.explain":
            module.__class__ = _CallableAlias


def install() -> None:
    """Put the alias finder on `sys.meta_path` (once)."""
    if not any(isinstance(finder, _Aliases) for finder in sys.meta_path):
        sys.meta_path.append(_Aliases())
