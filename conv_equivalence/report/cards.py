"""Counterexample cards for the HTML pages, and the reproduction script each one carries.

A card shows one verdict: the statement and its formula, the call's parameters, every argument
and both sides as value grids (`heatmap`), the differing outputs outlined, the checker's message,
and a short Python script that rebuilds the exact counterexample and runs the check outside any
test suite (it raises ``IdentityFailure`` while the discrepancy lasts).
"""

from __future__ import annotations

import functools
import html
import itertools
import re
from typing import Any

import numpy as np

from conv_equivalence.audit.layout import SYMBOLS
from conv_equivalence.audit.verdict import CRASH, DIFFERS, ERROR, HOLDS, NOT_INSTALLED, REGRESSION, UNSUPPORTED, Verdict
from conv_equivalence.identities import Identity
from conv_equivalence.problem import ConvProblem
from conv_equivalence.report import heatmap
from conv_equivalence.values import argument_names, differing

COLOURS = {HOLDS: "#cdebc5", DIFFERS: "#fde9a9", REGRESSION: "#f4a3a3", UNSUPPORTED: "#ececec",
           NOT_INSTALLED: "#f4f4f4", ERROR: "#e3b5f0", CRASH: "#c9a0dc"}

CSS = heatmap.CSS + """
.chip{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;line-height:1.5;white-space:nowrap}
section.card{border:1px solid #ccc;border-radius:6px;padding:10px 14px;margin:12px 0;background:#fff;break-inside:avoid}
section.card h3{margin:0 0 6px;font-size:16px;overflow-wrap:anywhere}
.formula{display:block;font:13px ui-monospace,Menlo,Consolas,monospace;background:#f4f6fa;padding:4px 8px;
  border-left:3px solid #8aa4d6;margin:4px 0;white-space:pre-wrap;overflow-wrap:anywhere}
.params{font-size:13px;color:#333}
.figures{display:flex;flex-wrap:wrap;align-items:flex-start;margin:8px 0}
.figures .group{display:flex;flex-wrap:wrap;align-items:flex-start;border-right:1px dashed #ccc;margin-right:12px}
.figures .group:last-child{border-right:none}
pre{background:#f6f6f6;padding:6px 8px;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere;margin:4px 0}
details.repro summary{font-size:13px;color:#333;margin-top:4px}
details.repro button{font-size:12px;cursor:pointer;margin-left:8px}
"""

COPY_SCRIPT = """<script>
document.addEventListener('click', function (event) {
  var button = event.target.closest('button.copy');
  if (!button) return;
  event.preventDefault();  // a button inside <summary> copies without folding the script
  var text = document.getElementById(button.dataset.target).textContent;
  var done = function () { button.textContent = 'Copied'; setTimeout(function () { button.textContent = 'Copy'; }, 1500); };
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done); return; }
  var area = document.createElement('textarea'); area.value = text; document.body.appendChild(area);
  area.select(); document.execCommand('copy'); document.body.removeChild(area); done();
});
</script>"""
"""The copy buttons' only code: inline, no network (a file:// page has no secure context, hence the fallback)."""

_ids = itertools.count()
OPEN_SCRIPT_LINES = 15
"""Reproductions up to this many lines are shown open; longer ones fold (the copy button copies either)."""


def chip(status: str, text: str | None = None) -> str:
    """A status word on its colour."""
    label = f"{SYMBOLS.get(status, '')} {text or status}".strip()
    return f'<span class="chip" style="background:{COLOURS.get(status, "#eee")}">{html.escape(label)}</span>'


def _literal(value: Any) -> str:
    """Python source for a number, list of numbers or array that rebuilds it exactly."""
    if isinstance(value, np.ndarray):
        return f"np.array({_literal(value.tolist())}, dtype={str(value.dtype)!r})"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return "np.nan" if np.isnan(value) else ("np.inf" if value > 0 else "-np.inf")
    if isinstance(value, np.generic):
        return repr(value.item())
    return repr(value)


def case_source(case: Any) -> str | None:
    """``case = ...``: Python source that rebuilds a counterexample, or ``None`` if it cannot be written."""
    if isinstance(case, ConvProblem):
        s = case.spec
        spec = (f"ConvSpec.create({s.ndim}, stride={s.stride}, padding={s.padding!r}, dilation={s.dilation}, "
                f"groups={s.groups}, padding_mode={s.padding_mode!r}"
                + (f", transposed=True, output_padding={s.output_padding}" if s.transposed else "") + ")")
        bias = "None" if case.bias is None else _literal(case.bias)
        return (f"case = ConvProblem(\n    {spec},\n    x={_literal(case.x)},\n    weight={_literal(case.weight)},\n"
                f"    bias={bias}, dtype={case.dtype!r}, layout={case.layout!r})")
    items = case if isinstance(case, tuple) else (case,)
    if any(isinstance(i, np.ndarray) and i.dtype == object for i in items):
        return None
    if not all(isinstance(i, (np.ndarray, np.generic, int, float, complex, str, bool, type(None), tuple)) for i in items):
        return None
    return f"case = {_literal(case)}"


@functools.cache
def _belief_scripts() -> dict[str, str]:
    from conv_equivalence.teach.repro import BELIEF, reproductions

    return {key: r.script() for key, r in reproductions().items() if r.kind == BELIEF}


def _needs(script: str) -> str:
    """What a reproduction needs installed, from its imports."""
    if "from conv_equivalence" in script:
        return "with conv-equivalence installed"
    modules = dict.fromkeys(m.split(".")[0] for m in re.findall(r"^(?:import|from) ([\w.]+)", script, flags=re.M))
    return "standalone: " + ", ".join(m for m in modules if m not in ("sys", "os", "math"))


def reproduction(verdict: Verdict) -> str | None:
    """A script to paste: the catalogue's upstream-ready one for a belief (`repro`: only the library and
    numpy), else one that rebuilds this exact counterexample and runs the check on it (it raises while it fails)."""
    upstream = _belief_scripts().get(verdict.identity)
    if upstream is not None:
        return upstream
    source = case_source(verdict.counterexample)
    if source is None:
        return None
    imports = ["import numpy as np", "from conv_equivalence.identities import get_identity"]
    if isinstance(verdict.counterexample, ConvProblem):
        imports.append("from conv_equivalence.problem import ConvProblem, ConvSpec")
    return "\n".join([
        f"# {verdict.identity} on {verdict.target}: {verdict.outcome} (pip install conv-equivalence)",
        *imports, "", source, "",
        f"get_identity({verdict.identity!r}).check({verdict.target!r}, case)  # raises IdentityFailure while it fails",
    ]) + "\n"


def parameters(case: Any) -> str:
    """The call's parameters (and a belief's scalar arguments), one line."""
    if isinstance(case, ConvProblem):
        s = case.spec
        named: list[tuple[str, object]] = [
            ("stride", s.stride), ("padding", s.padding), ("dilation", s.dilation), ("groups", s.groups),
            ("padding_mode", s.padding_mode), ("dtype", case.dtype), ("layout", case.layout)]
        if s.transposed:
            named.append(("output_padding", s.output_padding))
        return " · ".join(f"{k} <code>{html.escape(str(v))}</code>" for k, v in named)
    items = case if isinstance(case, tuple) else (case,)
    scalars = [f"{n} = <code>{html.escape(repr(v))}</code>" for n, v in zip(argument_names(len(items)), items, strict=False)
               if not isinstance(v, np.ndarray)]
    return " · ".join(scalars)


def argument_figures(case: Any) -> list[str]:
    """Value grids of the counterexample's arrays: input, weight and bias, or a belief's arguments."""
    if isinstance(case, ConvProblem):
        figs = [heatmap.figure(case.x, "input x"), heatmap.figure(case.weight, "weight w")]
        if case.bias is not None:
            figs.append(heatmap.figure(case.bias, "bias b"))
        return figs
    items = case if isinstance(case, tuple) else (case,)
    return [heatmap.figure(v, n) for n, v in zip(argument_names(len(items)), items, strict=False)]


def side_figures(verdict: Verdict, expectation: str) -> list[str]:
    """Both sides, outlined where they differ, and their difference (left - right)."""
    left, right = verdict.left, verdict.right
    if not (isinstance(left, np.ndarray) and isinstance(right, np.ndarray)):
        return []
    marks = differing(left, right) if left.dtype != object and right.dtype != object else set()
    names = ("got (left side)", "expected (right side)") if expectation == HOLDS else ("left side", "right side")
    figs = [heatmap.figure(left, names[0], marks), heatmap.figure(right, names[1], marks)]
    if left.shape == right.shape and left.dtype.kind in "biufc" and right.dtype.kind in "biufc":
        kind = np.complex128 if np.iscomplexobj(left) or np.iscomplexobj(right) else np.float64
        with np.errstate(invalid="ignore", over="ignore"):
            figs.append(heatmap.figure(left.astype(kind) - right.astype(kind), "left - right", marks))
    return figs


def card(verdict: Verdict, identity: Identity | None, anchor: str, *, heading: str | None = None,
         extra: str = "") -> str:
    """One verdict as a card: statement, formula, parameters, grids, message and reproduction."""
    title = heading or f"{verdict.identity} on {verdict.target}"
    parts = [f'<section class="card" id="{html.escape(anchor)}"><h3>{chip(verdict.outcome)} {html.escape(title)}</h3>']
    if identity is not None:
        parts.append(f"<div>{html.escape(identity.statement)}</div><code class=\"formula\">{html.escape(identity.formula)}</code>")
    case = verdict.counterexample
    if case is not None:
        params = parameters(case)
        if params:
            parts.append(f'<div class="params">{params}</div>')
        groups = [g for g in (argument_figures(case), side_figures(verdict, verdict.expected)) if any(g)]
        parts.append('<div class="figures">' + "".join(f'<div class="group">{"".join(g)}</div>' for g in groups) + "</div>")
    if verdict.message:
        parts.append(f"<pre>{html.escape(verdict.message)}</pre>")
    parts.append(extra)
    script = reproduction(verdict) if case is not None else None
    if script:
        pre_id = f"repro-{next(_ids)}"
        lines = script.count("\n")
        what = _needs(script)
        parts.append(f'<details class="repro"{" open" if lines <= OPEN_SCRIPT_LINES else ""}><summary>Reproduction '
                     f'({what}, {lines} lines) <button class="copy" type="button" data-target="{pre_id}">Copy</button>'
                     f'</summary><pre id="{pre_id}">{html.escape(script)}</pre></details>')
    parts.append("</section>")
    return "".join(parts)


__all__ = ["COLOURS", "COPY_SCRIPT", "CSS", "card", "case_source", "chip", "reproduction"]
