"""The package's shape: subpackages by role, data one way, no import cycles, the public names kept.

The layers, lowest first: the core modules at the top level (the problem, the oracle, equality,
strategies), `backends`, `identities`, then `check` and `audit` (neither imports the other),
`teach`, `report`, and the ways in (`cli`, `pytest_plugin`, `testing`). A module may import from its
own subpackage and from lower layers only; imports under ``if TYPE_CHECKING:`` are for the type
checker and are not counted, nor is a rich-display method's lazy import of `report.notebook` (below).
"""

from __future__ import annotations

import ast
import graphlib
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "conv_equivalence"
LAYERS = [{"core"}, {"backends"}, {"identities"}, {"check", "audit"}, {"teach"}, {"report"},
          {"cli", "pytest_plugin", "testing", "__init__"}]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


DISPLAY_HOOK = "_repr_html_"
DRAWING = "conv_equivalence.report.notebook"
"""A result drawn in a notebook (IPython's ``_repr_html_``) imports `report.notebook` inside that method:
drawing is the report's job and happens only when a notebook asks, so it is the one import a lower layer
may make upwards; nothing else in that method, and no other method, may."""


def _runtime_imports(tree: ast.AST) -> list[str]:
    """Every ``conv_equivalence`` module imported outside ``if TYPE_CHECKING:`` blocks, lazy imports included."""
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.FunctionDef) and node.name == DISPLAY_HOOK:
            found.extend(m for m in _runtime_imports(ast.Module(body=node.body, type_ignores=[]))
                         if m != DRAWING and not m.startswith(DRAWING + "."))
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("conv_equivalence"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                as_module = PACKAGE.parent / candidate.replace(".", "/")
                found.append(candidate if as_module.with_suffix(".py").exists() or as_module.is_dir() else node.module)
        elif isinstance(node, ast.Import):
            found.extend(a.name for a in node.names if a.name.startswith("conv_equivalence"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        graph[name] = {m for m in _runtime_imports(ast.parse(path.read_text())) if m != name}
    return graph


def role(module: str) -> str:
    """The subpackage (or top-level way in) a module belongs to; the top-level modules are the core."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    if (PACKAGE / parts[1]).is_dir() or parts[1] in ("testing", "cli", "pytest_plugin"):
        return parts[1]
    return "core"


def layer(module: str) -> int:
    return next(i for i, roles in enumerate(LAYERS) if role(module) in roles)


def test_no_import_cycles() -> None:
    graph = import_graph()
    # a package imports its own submodules' names; the edge from a submodule up to its package's
    # __init__ is how Python imports it, not a dependency
    sorter = graphlib.TopologicalSorter({m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()})
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_imports_go_down_the_layers() -> None:
    wrong = []
    for module, deps in sorted(import_graph().items()):
        for dep in sorted(deps):
            same = role(dep) == role(module)
            if not same and (layer(dep) > layer(module) or (layer(dep) == layer(module) and role(dep) != "__init__")):
                wrong.append(f"{module} ({role(module)}) imports {dep} ({role(dep)})")
    assert not wrong, "\n".join(wrong)


PUBLIC = {
    "conv_equivalence": ["CheckOptions", "check_conv"],
    "conv_equivalence.check": ["CheckOptions", "CheckResult", "EXCLUDABLE", "FacetResult", "STATUSES", "UsageError",
                               "check_conv"],
    "conv_equivalence.testing": ["assert_matches", "convolutions", "real_convolutions"],
    "conv_equivalence.oracle": ["conv", "conv_transpose", "convolve", "correlate", "extend", "solve"],
    "conv_equivalence.strategies": ["carrier_arrays", "elements", "problems"],
    "conv_equivalence.tolerance": ["PRECISIONS", "bound_for", "declared_bound"],
    "conv_equivalence.audit": ["AuditResult", "run_audit", "select"],
    "conv_equivalence.cli": ["main"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_names(module: str) -> None:
    """The names users import keep working from these paths (a removal is a breaking change)."""
    loaded = importlib.import_module(module)
    missing = [name for name in PUBLIC[module] if not hasattr(loaded, name)]
    assert not missing, f"{module} lost {missing}"


@pytest.mark.parametrize("old", ["explain", "facets", "shapes", "verdict", "html", "audit_cli", "repro"])
def test_old_paths_warn_and_work(old: str) -> None:
    """Each flat-layout path still imports, for one release, with a DeprecationWarning naming the new one."""
    from conv_equivalence._moved import MOVED

    sys.modules.pop(f"conv_equivalence.{old}", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(f"conv_equivalence.{old}")
    assert any(issubclass(w.category, DeprecationWarning) and f"conv_equivalence.{MOVED[old]}" in str(w.message)
               for w in caught)
    new = importlib.import_module(f"conv_equivalence.{MOVED[old]}")
    name = next(n for n in vars(new) if not n.startswith("_") and callable(getattr(new, n)))
    assert getattr(module, name) is getattr(new, name)


def test_light_imports_stay_light() -> None:
    """The shape tables, the oracle and the command's parser load without torch or Hypothesis's search."""
    code = ("import sys, conv_equivalence.check.shapes, conv_equivalence.oracle; "
            "print('torch' in sys.modules, 'conv_equivalence.check.run' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
