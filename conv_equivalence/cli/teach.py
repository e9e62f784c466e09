"""The ``explain`` and ``repro`` commands: the catalogue (a table, or one page for all of it), one
identity checked and explained with its counterexample, and the standalone reproductions."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from conv_equivalence.cli.common import Interrupted, UsageError, check_output_file, signals_deferred, write_atomically
from conv_equivalence.profiles import PROFILES


def cmd_explain(args: argparse.Namespace, console: Console) -> int:
    """List the catalogue, or check one identity on its first installed target and explain it."""
    from rich.table import Table

    from conv_equivalence.identities import all_identities, get_identity

    if not args.id:
        if args.html:  # the whole catalogue as one page
            check_output_file(Path(args.html), "--html")
            return write_catalogue(Path(args.html), args.profile, os.cpu_count() or 1, console)
        if console.soft_wrap:  # a pipe or a log: whole lines, ids never cut
            for identity in all_identities():
                print(f"{identity.id}\t{identity.status}\t{identity.statement}")
            return 0
        table = Table(title="conv-equivalence catalogue")
        table.add_column("id", no_wrap=True)
        for column in ("status", "statement"):
            table.add_column(column)
        for identity in all_identities():
            table.add_row(escape(identity.id), identity.status, escape(identity.statement))
        console.print(table)
        return 0
    try:
        identity = get_identity(args.id)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    if args.html:
        check_output_file(Path(args.html), "--html")
    targets = [t for t in identity.targets() if identity.unavailable_reason(t) is None]
    if not targets:
        reasons = sorted({identity.unavailable_reason(t) or "" for t in identity.targets()})
        raise UsageError(f"{identity.id}: no target can run here ({'; '.join(reasons)})")
    from conv_equivalence.audit.verdict import verify
    from conv_equivalence.audit.workers import captured_output
    from conv_equivalence.teach.explain import explain_text

    try:
        with captured_output():
            verdict = verify(identity, targets[0], PROFILES[args.profile])
    except Interrupted as exc:
        raise Interrupted(exc.signum, f"explain {identity.id} interrupted by {signal.Signals(exc.signum).name}; "
                                      "nothing written") from None
    text = explain_text(identity, targets[0], verdict)
    sys.stdout.write(text)
    if args.html:
        from conv_equivalence.report.page import page

        with signals_deferred():
            write_atomically(Path(args.html), page(identity.id, text, verdict))
        print(f"figure: {args.html}")
    return 0 if verdict.ok else 1


def write_catalogue(path: Path, profile: str, jobs: int, console: Console) -> int:
    """``conv-equivalence explain --html FILE``: check every belief (in worker processes, with a
    progress bar), then write the page atomically. Exit status 1 if a belief no longer differs."""
    import signal

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from conv_equivalence.audit.run import library_versions
    from conv_equivalence.audit.workers import captured_output
    from conv_equivalence.report.lesson import catalogue_page
    from conv_equivalence.teach.explain import catalogue

    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console,
                      transient=True) as progress:
            task = progress.add_task("refuting beliefs", total=None)
            lessons, missing = catalogue(profile, jobs, lambda v: progress.update(task, advance=1, description=v.identity))
        with captured_output():  # the true identities run here; the libraries' warnings stay out of the terminal
            text = catalogue_page(lessons, missing, library_versions(), profile)
    except Interrupted as exc:
        raise Interrupted(exc.signum, f"explain --html interrupted by {signal.Signals(exc.signum).name}; "
                                      "nothing written") from None
    with signals_deferred():
        write_atomically(path, text)
    changed = [i.id for i, _, v in lessons if not v.ok]
    console.print(f"{len(lessons)} beliefs checked, {len(missing)} not installed here; catalogue: {path}", markup=False)
    for identity_id in changed:
        console.print(f"regression {identity_id}: the belief no longer differs", markup=False, style="bold red")
    return 1 if changed else 0


def cmd_repro(repro_id: str | None) -> int:
    """``conv-equivalence repro [ID]``: the ids one a line, or the script ``ID``; an unknown ID is a
    usage error (exit 2)."""
    from conv_equivalence.teach.repro import main

    try:
        text = main(repro_id)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    try:
        print(text)
    except BrokenPipeError:  # `conv-equivalence repro | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (Python flushes stdout at exit)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``explain`` and ``repro`` subcommands."""
    explain = sub.add_parser("explain", help="list the catalogue, or check one identity and show its counterexample")
    explain.add_argument("id", nargs="?")
    explain.add_argument("--profile", choices=sorted(PROFILES), default="ci")
    explain.add_argument("--html", metavar="FILE", help="with ID: also draw its counterexample as a page; without: write the whole catalogue as one page")
    sub.add_parser("repro", help="upstream-ready reproduction scripts of known issues and beliefs",
                   description="Without ID: the ids, one a line. With ID: a standalone Python script that shows "
                               "expected against actual and exits 1 while the behaviour persists.").add_argument("id", nargs="?")
