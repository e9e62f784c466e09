"""The audit's self-contained HTML report: a colour-coded identity x backend matrix and, for every
counterexample, small heatmaps of input, kernel, expected, got and their difference.

No scripts, no external files: heatmaps are HTML tables whose cells are coloured on a diverging
scale (blue negative, white zero, red positive) and carry their value as a tooltip.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from conv_equivalence.problem import ConvProblem

COLOURS = {"holds": "#cdebc5", "differs": "#fde9a9", "regression": "#f4a3a3", "unsupported": "#eeeeee", "error": "#e3b5f0"}
CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table.matrix{border-collapse:collapse;font-size:12px}
table.matrix th{writing-mode:vertical-rl;transform:rotate(180deg);padding:4px;font-weight:normal}
table.matrix td{border:1px solid #fff;padding:2px 6px;text-align:center}
table.matrix td.id{text-align:left;font-family:monospace}
table.heat{border-collapse:collapse;margin:4px 16px 4px 0;display:inline-table;vertical-align:top}
table.heat td{width:18px;height:18px;border:1px solid #ddd;font-size:9px;text-align:center}
figure{display:inline-block;margin:0 12px 12px 0}figcaption{font-size:12px;color:#555}
pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}
"""


def _plane(array: Any) -> np.ndarray | None:
    """A 2-D view of an array for display: leading axes fixed at index 0; None for non-arrays."""
    if not isinstance(array, np.ndarray) or array.size == 0 or array.dtype == object:
        return None
    a = np.real_if_close(array)
    if np.iscomplexobj(a):
        a = np.abs(a)
    while a.ndim > 2:
        a = a[0]
    return np.atleast_2d(a.astype(np.float64))


def heatmap(array: Any, title: str, limit: int = 24) -> str:
    plane = _plane(array)
    if plane is None:
        return ""
    plane = plane[:limit, :limit]
    finite = plane[np.isfinite(plane)]
    scale = float(np.max(np.abs(finite))) if finite.size else 1.0
    rows = []
    for row in plane:
        cells = []
        for v in row:
            if not np.isfinite(v):
                colour, text = "#444", "nan" if np.isnan(v) else ("+∞" if v > 0 else "-∞")
            else:
                t = 0.0 if scale == 0 else v / scale
                shade = int(255 * (1 - abs(t)))
                colour = f"rgb(255,{shade},{shade})" if t > 0 else f"rgb({shade},{shade},255)"
                text = f"{v:.3g}" if abs(v) < 1000 else f"{v:.0e}"
            label = "" if plane.shape[1] > 12 else html.escape(text)
            cells.append(f'<td style="background:{colour}" title="{html.escape(repr(float(v)))}">{label}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<figure><table class="heat">{"".join(rows)}</table><figcaption>{html.escape(title)}</figcaption></figure>'


def counterexample_figures(case: Any, left: Any, right: Any) -> str:
    """Heatmaps for one failure: input and kernel (first batch item and channels), expected, got, difference."""
    parts = []
    if isinstance(case, ConvProblem):
        parts.append(heatmap(case.x, f"input {case.x.shape}"))
        parts.append(heatmap(case.weight, f"kernel {case.weight.shape}"))
    elif isinstance(case, tuple):
        for i, item in enumerate(case):
            if isinstance(item, np.ndarray):
                parts.append(heatmap(item, f"argument {i} {item.shape}"))
            elif isinstance(item, ConvProblem):
                parts.append(heatmap(item.x, f"input {item.x.shape}"))
                parts.append(heatmap(item.weight, f"kernel {item.weight.shape}"))
    if isinstance(left, np.ndarray) and isinstance(right, np.ndarray):
        parts.append(heatmap(right, "expected"))
        parts.append(heatmap(left, "got"))
        if left.shape == right.shape and left.dtype != object and right.dtype != object:
            with np.errstate(invalid="ignore"):
                parts.append(heatmap(left.astype(np.complex128) - right.astype(np.complex128) if np.iscomplexobj(left)
                                     or np.iscomplexobj(right) else left.astype(np.float64) - right.astype(np.float64),
                                     "got - expected"))
    return "".join(parts)


def render(report: dict[str, Any], verdicts: list[Any], statements: dict[str, str]) -> str:
    """The whole page, from the JSON report and the verdicts (which hold the arrays)."""
    targets = sorted({v.target for v in verdicts})
    identities = list(dict.fromkeys(v.identity for v in verdicts))
    cell = {(v.identity, v.target): v.outcome for v in verdicts}
    head = "".join(f"<th>{html.escape(t)}</th>" for t in targets)
    rows = []
    for identity in identities:
        cells = []
        for t in targets:
            outcome = cell.get((identity, t))
            cells.append("<td></td>" if outcome is None else
                         f'<td style="background:{COLOURS[outcome]}" title="{html.escape(outcome)}">{html.escape(outcome[:1])}</td>')
        tip = html.escape(statements.get(identity, ""))
        rows.append(f'<tr><td class="id" title="{tip}">{html.escape(identity)}</td>{"".join(cells)}</tr>')
    legend = " ".join(f'<span style="background:{c};padding:2px 6px">{html.escape(k)}</span>' for k, c in COLOURS.items())
    libraries = ", ".join(f"{k} {v}" for k, v in report["libraries"].items() if v != "not installed")
    failures = []
    for v in verdicts:
        if v.counterexample is None:
            continue
        failures.append(
            f"<h3>{html.escape(v.identity)} on {html.escape(v.target)}: {html.escape(v.outcome)}</h3>"
            f"<p>{html.escape(statements.get(v.identity, ''))}</p>"
            f"{counterexample_figures(v.counterexample, v.left, v.right)}"
            f"<pre>{html.escape(v.message)}</pre>")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>conv-equivalence audit</title>"
        f"<style>{CSS}</style></head><body><h1>conv-equivalence audit</h1>"
        f"<p>Profile <b>{html.escape(report['profile'])}</b> · {html.escape(report['platform'])} · Python "
        f"{html.escape(report['python'])}<br>{html.escape(libraries)}</p>"
        f"<p>{legend}</p><table class='matrix'><tr><th></th>{head}</tr>{''.join(rows)}</table>"
        f"<h2>Counterexamples ({len(failures)})</h2>{''.join(failures) or '<p>none</p>'}</body></html>\n"
    )


def page(title: str, text: str, verdict: Any) -> str:
    """A one-counterexample page (for `conv-equivalence explain --html`): the text and its heatmaps."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{CSS}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>"
        f"{counterexample_figures(verdict.counterexample, verdict.left, verdict.right)}"
        f"<pre>{html.escape(text)}</pre></body></html>\n"
    )
