"""conv-equivalence: property-based verification of convolution semantics across libraries.

The pipeline, one subpackage a role: a *problem* (`problem`, drawn by `strategies`) goes to the
*backends* (`backends`, one adapter a library) and to the *oracle* (`oracle`, `boundary`,
`adjoint`); an *identity* (`identities`) says what must hold; `tolerance` decides equality; the
verdicts go to `check` (your own convolution), `audit` (every library), `teach` (refuted beliefs)
and `report` (HTML). `testing`, `pytest_plugin` and `cli` are the ways in.

Public names here: `check_conv` and `CheckOptions` (a verdict on your own implementation), `explain` (one
lesson of the teaching catalogue, drawn as a card in a notebook).
"""

from __future__ import annotations

from typing import Any

from conv_equivalence import _moved

_moved.install()

__all__ = ["CheckOptions", "check_conv", "explain"]


def check_conv(*args: Any, **kwargs: Any) -> Any:
    """`conv_equivalence.check.run.check_conv` (imported lazily: it needs torch)."""
    from conv_equivalence.check.run import check_conv as run

    return run(*args, **kwargs)


def explain(identity_id: str, profile: str = "ci", target: str | None = None) -> Any:
    """`conv_equivalence.teach.explain.explain`: check one identity of the catalogue and return the lesson, an
    `Explanation` whose ``repr`` is the text ``conv-equivalence explain ID`` prints and which a notebook draws
    as a card (value grids, differing cells marked, the reproduction)."""
    from conv_equivalence.teach.explain import explain as run

    return run(identity_id, profile, target)


def __getattr__(name: str) -> Any:
    if name == "CheckOptions":
        from conv_equivalence.check.options import CheckOptions

        return CheckOptions
    raise AttributeError(f"module 'conv_equivalence' has no attribute {name!r}")
