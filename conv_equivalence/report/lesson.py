"""The teaching catalogue as one self-contained, printable page (``conv-equivalence explain --html FILE``).

Every belief of the catalogue (status ``differs``) with a table of contents by library, and for
each: the belief and its formula, its smallest counterexample drawn as value grids (`cards`),
why it fails, and the true identity checked on that same counterexample. Beliefs whose library
is not installed are listed with the reason, so the page says what it leaves out.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from conv_equivalence.audit.verdict import DIFFERS, HOLDS, REGRESSION, Verdict
from conv_equivalence.identities import Identity
from conv_equivalence.report.cards import COPY_SCRIPT, card, chip
from conv_equivalence.report.page import CSS as REPORT_CSS
from conv_equivalence.teach.explain import truth_outcome

CSS = REPORT_CSS + """
body{max-width:1100px}
nav.toc{columns:2 320px;font-size:13px;margin:8px 0 16px}
nav.toc h3{font-size:13px;margin:6px 0 2px;break-after:avoid}
nav.toc ol{margin:0 0 6px;padding-left:22px}
section.lesson{border-top:2px solid #ccd5e6;padding-top:6px;margin-top:18px;break-inside:avoid}
section.lesson h2{border:none;margin:4px 0;font-size:17px}
section.lesson .belief{font-size:15px}
.label{font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;color:#556;margin:8px 0 2px}
@media print{nav.toc{columns:2}section.lesson{page-break-inside:avoid}a{color:inherit;text-decoration:none}}
"""


def _lesson(identity: Identity, target: str, verdict: Verdict) -> str:
    parts = [f'<section class="lesson" id="{html.escape(identity.id)}"><h2>{chip(verdict.outcome)} '
             f"{html.escape(identity.id)}</h2>",
             f'<div class="belief">{html.escape(identity.statement)}</div>',
             f'<code class="formula">{html.escape(identity.formula)}</code>']
    if verdict.counterexample is not None:
        parts.append(card(verdict, None, f"{identity.id}-counterexample",
                          heading=f"Smallest counterexample ({verdict.examples} examples tried on {target})"))
    elif verdict.outcome == REGRESSION:
        parts.append(f"<p>{chip(REGRESSION)} No counterexample on this version: {html.escape(verdict.message)}</p>")
    else:
        parts.append(f"<p>No counterexample ({html.escape(verdict.outcome)}): {html.escape(verdict.message)}</p>")
    if identity.why:
        parts.append(f'<div class="label">Why</div><p>{html.escape(identity.why)}</p>')
    outcome = truth_outcome(identity, target, verdict)
    if outcome is not None:
        status = HOLDS if outcome.startswith("holds") else REGRESSION
        parts.append(f'<div class="label">True identity</div><code class="formula">{html.escape(identity.truth_formula)}'
                     f"</code><div>{chip(status, outcome)}</div>")
    elif identity.replaced_by:
        parts.append(f'<div class="label">True identity</div><p>see <code>{html.escape(identity.replaced_by)}</code> '
                     "(an identity checked on every backend by the audit)</p>")
    parts.append("</section>")
    return "".join(parts)


def catalogue_page(lessons: Sequence[tuple[Identity, str, Verdict]], missing: Sequence[tuple[Identity, str]],
                   versions: dict[str, str], profile: str) -> str:
    """The whole catalogue page from checked lessons (`explain.catalogue`)."""
    by_target: dict[str, list[tuple[Identity, str, Verdict]]] = {}
    for lesson in lessons:
        by_target.setdefault(lesson[1], []).append(lesson)
    toc = "".join(
        f"<h3>{html.escape(target)}</h3><ol>" + "".join(
            f'<li><a href="#{html.escape(i.id)}">{html.escape(i.id)}</a></li>' for i, _, _ in items) + "</ol>"
        for target, items in by_target.items())
    if missing:
        toc += "<h3>not installed here</h3><ol>" + "".join(
            f"<li>{html.escape(i.id)}: {html.escape(reason)}</li>" for i, reason in missing) + "</ol>"
    refuted = sum(v.outcome == DIFFERS for _, _, v in lessons)
    installed = " · ".join(f"{k} {v}" for k, v in versions.items() if v != "not installed")
    body = "".join(_lesson(*lesson) for target in by_target for lesson in by_target[target])
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>What convolution means where: {len(lessons)} beliefs refuted</title><style>{CSS}</style></head><body>"
            f"<h1>What “convolution” means where: {len(lessons) + len(missing)} tempting beliefs</h1>"
            f"<p>Each belief below is false. It is refuted by its smallest counterexample, found and shrunk by "
            f"Hypothesis ({html.escape(profile)} profile, deterministic for these versions), with the reason and the "
            f"identity that does hold, checked on the same counterexample. {refuted} of {len(lessons)} refuted here"
            f"{f'; {len(missing)} need a library that is not installed' if missing else ''}.</p>"
            f'<div class="env"><b>libraries</b>: {html.escape(installed)}</div>'
            f'<nav class="toc"><h2 style="column-span:all">Contents</h2>{toc}</nav>{body}{COPY_SCRIPT}</body></html>\n')
