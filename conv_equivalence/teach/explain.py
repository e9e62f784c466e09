"""Teaching: refute a belief with its smallest counterexample and print it as a person checks it on paper.

The text is deterministic for a given library version (the ``ci`` profile is derandomised), so it
can be pasted into course material and compared in tests. `explain` returns the lesson as an
`Explanation`: its ``repr`` is the text, and a notebook draws it as the catalogue page's card.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from conv_equivalence.audit.verdict import DIFFERS, Verdict
from conv_equivalence.identities import Identity
from conv_equivalence.problem import ConvProblem
from conv_equivalence.values import argument_names, differing, grid, number  # noqa: F401 (re-exported)

WIDTH = 88


def _indent(text: str, by: str = "    ") -> str:
    return textwrap.indent(text, by)


def describe_arguments(case: Any) -> str:
    """The counterexample's arrays (and scalars), one titled grid each."""
    if isinstance(case, ConvProblem):
        s = case.spec
        lines = [f"parameters: stride={s.stride} padding={s.padding!r} dilation={s.dilation} groups={s.groups} "
                 f"padding_mode={s.padding_mode} dtype={case.dtype}",
                 f"input {case.x.shape}:", _indent(grid(case.x)), f"weight {case.weight.shape}:", _indent(grid(case.weight))]
        if case.bias is not None:
            lines += ["bias:", _indent(grid(case.bias))]
        return "\n".join(lines)
    items = case if isinstance(case, tuple) else (case,)
    names = argument_names(len(items))
    lines = []
    for name, item in zip(names, items, strict=False):
        if isinstance(item, np.ndarray):
            lines += [f"{name} {item.shape} {item.dtype}:", _indent(grid(item))]
        else:
            lines.append(f"{name} = {item!r}")
    return "\n".join(lines)


def describe_sides(verdict: Verdict) -> str:
    left, right = verdict.left, verdict.right
    if isinstance(left, np.ndarray) and isinstance(right, np.ndarray):
        marks = differing(left, right)
        return "\n".join(["left side:", _indent(grid(left, marks)), "right side:", _indent(grid(right, marks)),
                          f"they differ at {len(marks)} position(s), marked [ ]" if marks else "their shapes differ"])
    return verdict.message.splitlines()[0] if verdict.message else ""


def truth_outcome(identity: Identity, target: str, verdict: Verdict) -> str | None:
    """The true identity checked on the belief's counterexample, in words; ``None`` when there is nothing to check."""
    if identity.truth is None or verdict.counterexample is None:
        return None
    try:
        identity.truth(target, verdict.counterexample)
        return "holds on this counterexample"
    except AssertionError as exc:
        return f"FAILS on this counterexample: {str(exc).splitlines()[0]}"


def explain_text(identity: Identity, target: str, verdict: Verdict) -> str:
    """The whole lesson for one identity: belief, counterexample, both sides, why, and the true identity."""
    wrap = lambda text: textwrap.fill(text, WIDTH)  # noqa: E731
    parts = [f"{identity.id}  ({identity.status}; checked on {target}: {verdict.outcome}, {verdict.examples} examples)",
             "", wrap(identity.statement), _indent(identity.formula), ""]
    if verdict.counterexample is None:
        parts.append("No counterexample: the statement held on every example tried." if verdict.outcome == "holds"
                     else f"No counterexample ({verdict.outcome}): {verdict.message}")
    else:
        parts += ["Smallest counterexample:", _indent(describe_arguments(verdict.counterexample)), "",
                  describe_sides(verdict)]
    if identity.why:
        parts += ["", "Why:", _indent(wrap(identity.why))]
    outcome = truth_outcome(identity, target, verdict)
    if outcome is not None:
        parts += ["", "True identity:", _indent(identity.truth_formula), _indent(outcome)]
    elif identity.replaced_by:
        parts += ["", f"True identity: see `{identity.replaced_by}`"]
    return "\n".join(parts) + "\n"


def catalogue(profile_name: str, jobs: int = 1, progress: Callable[[Verdict], None] | None = None,
              ) -> tuple[list[tuple[Identity, str, Verdict]], list[tuple[Identity, str]]]:
    """Every belief (status ``differs``) checked on its first target that can run here, in the audit's
    worker processes; returns the lessons and the beliefs that cannot run here, with the reason."""
    from conv_equivalence.audit.run import run_audit
    from conv_equivalence.identities import all_identities
    from conv_equivalence.profiles import PROFILES

    pairs, missing = [], []
    for identity in all_identities():
        if identity.status != DIFFERS:
            continue
        targets = identity.targets()
        runnable = [t for t in targets if identity.unavailable_reason(t) is None]
        if runnable:
            pairs.append((identity, runnable[0]))
        else:
            missing.append((identity, "; ".join(sorted({identity.unavailable_reason(t) or "" for t in targets}))))
    result = run_audit(pairs, profile_name, PROFILES[profile_name], progress, jobs=jobs)
    return [(i, t, v) for (i, t), v in zip(pairs, result.verdicts, strict=True)], missing


@dataclass(frozen=True)
class Explanation:
    """One lesson, as `explain` returns it: the identity, where it was checked, the verdict and the text.

    ``str()`` and ``repr()`` are the lesson's text (what ``conv-equivalence explain ID`` prints); in a
    notebook it draws as the catalogue page's card (`_repr_html_`): value grids, differing cells marked,
    the reproduction. ``ok`` is whether the outcome is what the catalogue expects."""

    identity: Identity
    target: str
    verdict: Verdict
    text: str

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text.rstrip("\n")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        from conv_equivalence.report.notebook import explanation_html

        return explanation_html(self.identity, self.target, self.verdict)


def explain(identity_id: str, profile: str = "ci", target: str | None = None) -> Explanation:
    """Check the identity ``identity_id`` on ``target`` (default: its first target that can run here) under
    the Hypothesis profile ``profile`` and return the lesson (`Explanation`). ``KeyError`` for an unknown
    id; ``ValueError`` when no target can run here."""
    from conv_equivalence.audit.verdict import verify
    from conv_equivalence.audit.workers import captured_output
    from conv_equivalence.identities import get_identity
    from conv_equivalence.profiles import PROFILES

    identity = get_identity(identity_id)
    targets = [t for t in identity.targets() if identity.unavailable_reason(t) is None]
    if target is not None:
        if target not in identity.targets():
            raise ValueError(f"{identity.id} is not checked on {target}; its targets: {', '.join(identity.targets())}")
        targets = [target]
    if not targets:
        reasons = sorted({identity.unavailable_reason(t) or "" for t in identity.targets()})
        raise ValueError(f"{identity.id}: no target can run here ({'; '.join(reasons)})")
    with captured_output():  # the libraries' own warnings stay out of the lesson
        verdict = verify(identity, targets[0], PROFILES[profile])
    return Explanation(identity, targets[0], verdict, explain_text(identity, targets[0], verdict))
