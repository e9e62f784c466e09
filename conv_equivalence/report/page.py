"""The audit's self-contained HTML report, its first screen answering "did anything change, and what is wrong where".

Top: the verdict, counts by status, every regression, error and crash (linked to its card), and
the environment one line each. Below: the identity x backend matrix grouped by library (a library
that is not installed is one line naming the extra that installs it), the pairwise agreement
checks as their own table, the documented differences as lessons, and a card for every problem
(`cards`). No network and no external files; the only script is the copy buttons'.
"""

from __future__ import annotations

import html
from typing import Any

from conv_equivalence.audit.layout import PROBLEMS, SYMBOLS, Layout, arrange, counts, headline, library_of
from conv_equivalence.audit.verdict import STATUSES, Verdict
from conv_equivalence.identities import Identity, get_identity
from conv_equivalence.report.cards import COLOURS, COPY_SCRIPT, card, chip
from conv_equivalence.report.cards import CSS as CARD_CSS

MAX_PROBLEM_LINES = 10
"""Identities with a problem listed on the first screen (each line links every target it failed on)."""
TOLERANCE_NOTE = ("results are compared with the float64 oracle within Higham's bound "
                  "γ(n+1, u)·Σ|w||x| per output (n products, u the unit roundoff of the backend's computing dtype); "
                  "FFT methods within a normwise bound")

CSS = CARD_CSS + """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:12px 20px;color:#222;max-width:1400px}
h1{font-size:20px;margin:0 0 6px}h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid #ddd}
a{color:#1a4fa0}
.verdict{font-size:16px;font-weight:600;padding:6px 10px;border-radius:5px;margin:4px 0}
.verdict.ok{background:#e3f4de;color:#1d5e12}.verdict.bad{background:#fbe0e0;color:#8a1010}
.counts{margin:6px 0}.counts .chip{margin-right:6px;font-size:13px}.counts .zero{opacity:.45}
ul.problems{margin:4px 0;padding-left:0;list-style:none}
ul.problems li{margin:2px 0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.env{font-size:13px;color:#444;margin:6px 0}.env div{overflow-wrap:anywhere}.env b{color:#222}
nav{font-size:13px;margin:6px 0}nav a{margin-right:12px}
table.matrix{border-collapse:collapse;font-size:12px}
table.matrix th.id{height:auto;padding:2px;vertical-align:bottom;font-weight:normal}
table.matrix th.id div{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;max-height:240px;
  overflow:hidden;text-overflow:ellipsis}
table.matrix td{border:1px solid #fff;width:22px;height:20px;text-align:center;padding:0}
table.matrix td a{text-decoration:none;color:inherit;display:block}
table.matrix td.name{text-align:left;font-family:ui-monospace,Menlo,Consolas,monospace;width:auto;padding:0 8px 0 14px;
  white-space:nowrap}
table.matrix tr.library td{background:#f0f3f8;font-weight:600;text-align:left;padding:3px 6px;width:auto}
table.matrix td.note{text-align:left;color:#666;width:auto;padding:0 6px;white-space:nowrap}
ul.missing{margin:4px 0 0;padding-left:18px;font-size:13px;color:#555}
table.list{border-collapse:collapse;font-size:13px;width:100%}
table.list td{border-top:1px solid #eee;padding:3px 6px;vertical-align:top}
table.list td.status{width:1%;white-space:nowrap}
.pairs .chip{margin:1px 3px 1px 0;font-family:ui-monospace,Menlo,Consolas,monospace}
details summary{cursor:pointer}
@media print{nav,button.copy{display:none}details{display:block}section.card{page-break-inside:avoid}}
"""


def _identity(identity_id: str) -> Identity | None:
    try:
        return get_identity(identity_id)
    except KeyError:
        return None


def _anchor(index: int) -> str:
    return f"v{index}"


def summary(report: dict[str, Any], layout: Layout) -> str:
    """The first screen: verdict, counts, problems (linked), environment."""
    verdicts = layout.verdicts
    tally = counts(verdicts)
    problems = [(i, verdicts[i]) for i in layout.problems]
    if problems:
        words = ", ".join(f"{tally[s]} {s}{'s' if tally[s] > 1 else ''}" for s in PROBLEMS if tally[s])
        verdict = f'<div class="verdict bad">Changed: {html.escape(words)} in {len(verdicts)} checks</div>'
    else:
        verdict = (f'<div class="verdict ok">Nothing changed: all {len(verdicts)} checks are as the catalogue '
                   "expects</div>")
    chips = "".join(f'<span class="{"zero" if not n else ""}">{chip(s, f"{s} {n}")}</span>' for s, n in tally.items())
    by_identity: dict[str, list[tuple[int, Verdict]]] = {}
    for i, v in problems:
        by_identity.setdefault(v.identity, []).append((i, v))
    items = []
    shown = list(by_identity.items())
    if len(shown) > MAX_PROBLEM_LINES:  # the first screen stays a screen; the rest are in the Problems section
        more = sum(len(found) for _, found in shown[MAX_PROBLEM_LINES - 1:])
        shown = shown[:MAX_PROBLEM_LINES - 1]
        items_more = f'<li><a href="#problems">… {more} more below</a></li>'
    else:
        items_more = ""
    for identity_id, found in shown:
        links = ", ".join(f'{chip(v.outcome, "")} <a href="#{_anchor(i)}">{html.escape(v.target)}</a>' for i, v in found)
        reason = html.escape(headline(found[0][1].message))
        items.append(f"<li><b>{html.escape(identity_id)}</b>: {links} <span style='color:#666'>— {reason}</span></li>")
    problem_list = f'<ul class="problems" id="problem-list">{"".join(items)}{items_more}</ul>' if items else ""
    return (f'<header id="summary"><h1>conv-equivalence audit</h1>{verdict}<div class="counts">{chips}</div>'
            f"{problem_list}{environment(report, layout)}</header>")


def environment(report: dict[str, Any], layout: Layout) -> str:
    """Run, libraries, what is missing, precision notes and the tolerance: one line each."""
    libraries = report.get("libraries", {})
    installed = " · ".join(f"{k} {v}" for k, v in libraries.items() if v != "not installed")
    missing = [lib.name for lib in layout.libraries if lib.missing]
    lines = [("run", f"profile {report.get('profile', '?')} · {len(layout.verdicts)} checks · Python {report.get('python', '?')}"
              f" · {report.get('platform', '?')}"),
             ("libraries", installed)]
    if missing:
        lines.append(("not installed", ", ".join(missing) + " (their backends are listed below with the extra to install)"))
    for note in report.get("environment_notes", []) or []:
        lines.append(("environment", str(note)))
    lines.append(("tolerance", TOLERANCE_NOTE))
    body = "".join(f"<div><b>{html.escape(k)}</b>: {html.escape(v)}</div>" for k, v in lines)
    return f'<div class="env">{body}</div>'


def matrix(layout: Layout) -> str:
    """Backends grouped by library (rows) x identities (columns); unavailable targets folded into one line."""
    if not layout.libraries:
        return "<p>No single-backend checks in this run.</p>"
    verdicts, identities = layout.verdicts, layout.identities
    head = "".join(f'<th class="id" title="{html.escape(i)}"><div>{html.escape(i)}</div></th>' for i in identities)
    rows, missing = [], []
    for library in layout.libraries:
        if library.missing:
            missing.append(f"<li><b>{html.escape(library.name)}</b> ({len(library.targets)} backends): "
                           f"{html.escape(library.missing)}</li>")
            continue
        rows.append(f'<tr class="library"><td colspan="{len(identities) + 1}">{html.escape(library.name)}</td></tr>')
        for t, found in library.targets.items():
            name = f'<td class="name">{html.escape(t)}</td>'
            reason = library.reasons[t]
            if reason:
                rows.append(f'<tr>{name}<td class="note" colspan="{len(identities)}">not available here: '
                            f"{html.escape(reason[:100])}</td></tr>")
                continue
            cells = []
            for identity in identities:
                i = found.get(identity)
                if i is None:
                    cells.append("<td></td>")
                    continue
                v = verdicts[i]
                symbol = html.escape(SYMBOLS.get(v.outcome, "?"))
                inner = f'<a href="#{_anchor(i)}">{symbol}</a>' if v.outcome in PROBLEMS else symbol
                cells.append(f'<td style="background:{COLOURS.get(v.outcome, "#fff")}" title="{html.escape(v.outcome)}">'
                             f"{inner}</td>")
            rows.append(f"<tr>{name}{''.join(cells)}</tr>")
    table = f'<table class="matrix"><tr><th></th>{head}</tr>{"".join(rows)}</table>' if rows else ""
    listing = f'<ul class="missing">{"".join(missing)}</ul>' if missing else ""
    key = " ".join(chip(s) for s in STATUSES)
    return f"<p>{key}</p>{table}{listing}"


def agreement(layout: Layout) -> str:
    """Pairwise checks (``a|b``): per identity, libraries of ``b`` down, references ``a`` across, one chip per ``b``."""
    verdicts, indices = layout.verdicts, layout.pairs
    if not indices:
        return "<p>No pairwise checks in this run.</p>"
    by_identity: dict[str, dict[str, dict[str, list[int]]]] = {}
    for i in indices:
        v = verdicts[i]
        left, right = v.target.split("|", 1)
        by_identity.setdefault(v.identity, {}).setdefault(library_of(right), {}).setdefault(left, []).append(i)
    tables = []
    for identity_id, libraries in by_identity.items():
        references = list(dict.fromkeys(ref for refs in libraries.values() for ref in refs))
        head = "".join(f"<th>with <code>{html.escape(r)}</code></th>" for r in references)
        rows = []
        for library, refs in libraries.items():
            cells = []
            for ref in references:
                chips = []
                for i in refs.get(ref, []):
                    v = verdicts[i]
                    label = chip(v.outcome, v.target.split("|", 1)[1])
                    chips.append(f'<a href="#{_anchor(i)}" title="{html.escape(v.outcome)}">{label}</a>'
                                 if v.outcome in PROBLEMS else
                                 f'<span title="{html.escape(v.outcome)}: {html.escape(headline(v.message, 1))}">{label}</span>')
                cells.append(f'<td class="pairs">{"".join(chips)}</td>')
            rows.append(f'<tr><td class="status">{html.escape(library)}</td>{"".join(cells)}</tr>')
        identity = _identity(identity_id)
        statement = f": {html.escape(identity.statement)}" if identity else ""
        tables.append(f"<p><b>{html.escape(identity_id)}</b>{statement}</p>"
                      f'<table class="list"><tr><th></th>{head}</tr>{"".join(rows)}</table>')
    return "".join(tables)


def lessons(layout: Layout) -> str:
    """Documented differences: each belief, where it was checked, and its counterexample one click away."""
    verdicts, indices = layout.verdicts, layout.beliefs
    if not indices:
        return "<p>No documented differences in this run.</p>"
    rows = []
    for i in indices:
        v = verdicts[i]
        identity = _identity(v.identity)
        statement = html.escape(identity.statement if identity else v.identity)
        drawn = (f"<details><summary>{statement}</summary>{card(v, identity, _anchor(i))}</details>"
                 if v.counterexample is not None and v.outcome not in PROBLEMS else statement)
        rows.append(f'<tr><td class="status" title="{html.escape(v.outcome)}">{chip(v.outcome)}</td>'
                    f"<td><b>{html.escape(v.identity)}</b> <code>{html.escape(v.target)}</code><br>{drawn}</td></tr>")
    return f'<table class="list">{"".join(rows)}</table>'


def render(report: dict[str, Any], verdicts: list[Any], statements: dict[str, str] | None = None) -> str:
    """The whole page, from the JSON report and the verdicts (which hold the arrays)."""
    del statements  # the cards read statements and formulas from the catalogue itself
    layout = arrange(verdicts)
    problems = [card(v, _identity(v.identity), _anchor(i)) for i, v in enumerate(verdicts) if v.outcome in PROBLEMS]
    sections = [
        ("backends", "Backends by library", matrix(layout)),
        ("agreement", "Pairwise agreement", agreement(layout)),
        ("lessons", "Documented differences (lessons)", lessons(layout)),
        ("problems", f"Regressions, errors and crashes ({len(problems)})", "".join(problems) or "<p>None.</p>"),
    ]
    nav = "".join(f'<a href="#{key}">{html.escape(title)}</a>' for key, title, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{html.escape(title)}</h2>{content}</section>' for key, title, content in sections)
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><title>conv-equivalence audit</title>"
            f"<style>{CSS}</style></head><body>{summary(report, layout)}<nav>{nav}</nav>{body}{COPY_SCRIPT}"
            "</body></html>\n")


def page(title: str, text: str, verdict: Any) -> str:
    """A one-lesson page (for ``conv-equivalence explain ID --html``): the card and the lesson's text."""
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            f"{card(verdict, _identity(verdict.identity), 'lesson')}<pre>{html.escape(text)}</pre>{COPY_SCRIPT}"
            "</body></html>\n")
