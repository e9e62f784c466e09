"""The audit in the terminal: a summary first, then the matrix folded to the terminal's width.

Summary: the verdict, counts by status, every regression, error and crash with its first
message line, and the libraries that are not installed with the extra that installs each. Then
the matrix, one block per library (backends down, identities across as numbered columns, the
numbers' key printed once); when the identities do not fit the width, the columns are split into
pages, each a complete block. Pairwise checks and documented differences are one line per group.
Every line is composed here to fit ``console.width``, so no table ever wraps.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from conv_equivalence.audit.layout import PROBLEMS, SYMBOLS, Layout, arrange, counts, headline, library_of
from conv_equivalence.audit.verdict import CRASH, DIFFERS, ERROR, HOLDS, NOT_INSTALLED, REGRESSION, UNSUPPORTED, Verdict

STYLES = {HOLDS: "green", DIFFERS: "yellow", REGRESSION: "bold red", UNSUPPORTED: "dim", NOT_INSTALLED: "dim",
          ERROR: "bold magenta", CRASH: "bold magenta"}
CELL = 3
"""Characters per matrix column: a symbol centred, or a column number up to 99."""


def _fit(text: str, width: int) -> str:
    """``text`` cut in the middle to ``width`` characters, so that both ends (``...[cuda]``) stay."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def _short(target: str, library: str) -> str:
    """A backend's name under its library's heading: without the library's prefix."""
    return target[len(library) + 1:] if target.startswith(library + ".") else target


def _line(console: Console, text: Text) -> None:
    """One line: cut to the width in a terminal, whole where the console does not wrap (logs, pipes)."""
    if console.soft_wrap:
        console.print(text, soft_wrap=True)
        return
    text.truncate(console.width, overflow="ellipsis")
    console.print(text, no_wrap=True, overflow="ellipsis", soft_wrap=False)


def _words(console: Console, items: Sequence[Text], first: str = "") -> None:
    """Items separated by two spaces, broken into lines that fit the width (never inside an item);
    the first line starts with ``first``, the others are indented by two spaces."""
    line, start = Text(first), len(first)
    for item in items:
        if len(line) > start and len(line) + 2 + len(item) > console.width:
            _line(console, line)
            line, start = Text("  "), 2
        if len(line) > start:
            line.append("  ")
        line.append_text(item)
    if len(line) > start:
        _line(console, line)


def print_summary(console: Console, layout: Layout, elapsed: float | None = None) -> None:
    """Verdict, counts, problems and missing libraries."""
    verdicts = layout.verdicts
    tally = counts(verdicts)
    took = f" in {elapsed:.1f}s" if elapsed is not None else ""
    if layout.problems:
        words = ", ".join(f"{tally[s]} {s}{'s' if tally[s] > 1 else ''}" for s in PROBLEMS if tally[s])
        _line(console, Text(f"CHANGED: {words} in {len(verdicts)} checks{took}", style="bold red"))
    else:
        _line(console, Text(f"Nothing changed: all {len(verdicts)} checks as the catalogue expects{took}", style="bold green"))
    _words(console, [Text(f"{SYMBOLS[s]} {s} {n}", style=STYLES[s]) for s, n in tally.items() if n])
    for i in layout.problems:
        v = verdicts[i]
        text = Text(f"{SYMBOLS[v.outcome]} {v.outcome} ", style=STYLES[v.outcome])
        text.append(f"{v.identity} [{v.target}]", style="bold")
        _line(console, text)
        if v.message:
            _line(console, Text("    " + headline(v.message)))
    for library in layout.libraries:
        if library.missing:
            _line(console, Text(f"– {library.name} ({len(library.targets)} backends): {library.missing}", style="dim"))


def print_matrix(console: Console, layout: Layout) -> None:
    """One block per library, identities as numbered columns, split into pages of columns that fit."""
    identities = layout.identities
    shown = [lib for lib in layout.libraries if not lib.missing]
    if not identities or not shown:
        return
    console.print()
    _words(console, [Text(f"{n}={identity}") for n, identity in enumerate(identities, 1)], "identities: ")
    names = [_short(t, lib.name) for lib in shown for t in lib.targets]
    name_width = min(max(len(t) for t in names) + 3, max(16, console.width // 2))
    per_page = max(1, (console.width - name_width) // CELL)
    for start in range(0, len(identities), per_page):
        page = identities[start:start + per_page]
        header = Text(" " * name_width + "".join(str(n).rjust(CELL - 1) + " " for n in range(start + 1, start + len(page) + 1)),
                      style="dim")
        _line(console, header)
        for library in shown:
            _line(console, Text(library.name, style="bold"))
            for target, found in library.targets.items():
                row = Text("  " + _fit(_short(target, library.name), name_width - 3).ljust(name_width - 2))
                reason = library.reasons[target]
                if reason:
                    row.append(f"not available here: {reason}", style="dim")
                else:
                    for identity in page:
                        i = found.get(identity)
                        outcome = None if i is None else layout.verdicts[i].outcome
                        row.append((" " + SYMBOLS[outcome] + " ") if outcome else " " * CELL, style=STYLES.get(outcome or "", ""))
                _line(console, row)


def print_groups(console: Console, layout: Layout) -> None:
    """Pairwise checks, one line per identity and reference; documented differences, one line."""
    verdicts = layout.verdicts
    groups: dict[tuple[str, str], list[Verdict]] = {}
    for i in layout.pairs:
        groups.setdefault((verdicts[i].identity, verdicts[i].target.split("|", 1)[0]), []).append(verdicts[i])
    if groups or layout.beliefs:
        console.print()
    for (identity, reference), found in groups.items():
        tally = counts(found)
        items = [Text(f"{identity} with {reference}:", style="bold")]
        items += [Text(f"{SYMBOLS[s]} {n}", style=STYLES[s]) for s, n in tally.items() if n]
        items += [Text(f"{SYMBOLS[v.outcome]} {v.target.split('|', 1)[1]} ({library_of(v.target.split('|', 1)[1])})",
                       style=STYLES[v.outcome]) for v in found if v.outcome in PROBLEMS]
        _words(console, items)
    if layout.beliefs:
        tally = counts([verdicts[i] for i in layout.beliefs])
        items = [Text("documented differences:", style="bold")]
        items += [Text(f"{SYMBOLS[s]} {n} {s}", style=STYLES[s]) for s, n in tally.items() if n]
        items.append(Text("(conv-equivalence explain ID shows each lesson)", style="dim"))
        _words(console, items)


def print_audit(console: Console, verdicts: Sequence[Verdict], elapsed: float | None = None) -> None:
    """The whole terminal rendering of an audit: summary, folded matrix, pairwise checks and lessons."""
    layout = arrange(verdicts)
    print_summary(console, layout, elapsed)
    print_matrix(console, layout)
    print_groups(console, layout)
    _words(console, [Text(f"{SYMBOLS[s]} {s}", style="dim") for s in STYLES])
