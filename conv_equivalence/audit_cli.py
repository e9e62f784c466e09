"""The ``audit`` and ``explain`` commands: arguments checked before any work, signals, the baseline gate.

Every command-line mistake (an unwritable ``--out`` or ``--html``, a baseline that is not UTF-8
JSON of the right shape or names checks the catalogue lacks, ``--jobs 0``, ``--update-baseline``
without ``--baseline``, an unknown ``CONV_EQUIVALENCE_PROFILE``) is a `UsageError`, found before
any check runs: one line on stderr, exit 2. SIGINT and SIGTERM end a run within a second or
two: the workers are killed, no report is written, one line says what was interrupted, and the
exit status is 128 + the signal's number (130, 143).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from conv_equivalence import baseline as baselines
from conv_equivalence.profiles import ENV_VAR, PROFILES, default_profile

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class UsageError(Exception):
    """A mistake in the command line: one line on stderr, exit 2."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; ``code`` is the exit status (128 + the signal's number). A
    `KeyboardInterrupt`, so Hypothesis and `verify` let it through instead of making it a verdict."""

    def __init__(self, signum: int, message: str = "") -> None:
        self.signum = signum
        self.code = 128 + signum
        super().__init__(message or f"interrupted by {signal.Signals(signum).name}")


class OneLineParser(argparse.ArgumentParser):
    """argparse, with its errors in one line (``PROG: error: MESSAGE``) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


MAX_JOBS_PER_CORE = 4
"""--jobs is at most this many worker processes per CPU."""


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def job_count(text: str) -> int:
    """argparse type for --jobs: 1 to `MAX_JOBS_PER_CORE` times the CPU count (each job is a process)."""
    value = positive_int(text)
    most = MAX_JOBS_PER_CORE * (os.cpu_count() or 1)
    if value > most:
        raise argparse.ArgumentTypeError(f"must be at most {most} ({MAX_JOBS_PER_CORE} worker processes per CPU), got {value}")
    return value


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM raise `Interrupted` in the main thread (the first one
    only: later ones are ignored while the run cleans up)."""

    def handler(signum: int, frame: object) -> None:
        for s in SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done (files being renamed into place)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)


def profile_from_environment() -> str:
    """`default_profile`, with an unknown ``CONV_EQUIVALENCE_PROFILE`` as a `UsageError`."""
    try:
        return default_profile()
    except ValueError:
        raise UsageError(f"{ENV_VAR} must be one of {', '.join(sorted(PROFILES))}, "
                         f"got {os.environ.get(ENV_VAR)!r}") from None


def _probe_directory(path: Path, option: str, named: Path | None = None) -> None:
    """``path``, or its nearest existing ancestor, is a directory this process can create files in
    (messages name ``named``, the argument as given, which defaults to ``path``)."""
    named = named or path
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{option} {named}: {existing} is a file, not a directory")
    try:
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".conv-equivalence-probe.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"{option} {named}: cannot write in {existing} ({exc.strerror or exc})") from None


def check_output_directory(path: Path, option: str) -> None:
    """``path`` is a directory, or can be created as one, and files can be written in it."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path}: is a file, not a directory")
    _probe_directory(path, option)


def check_output_file(path: Path, option: str) -> None:
    """A file can be written (renamed into place) at ``path``."""
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a directory, not a file")
    _probe_directory(path.parent, option, path)


@dataclass
class AuditPlan:
    """A validated ``audit`` command line."""

    profile: str
    pairs: list
    out: Path
    baseline: baselines.Baseline | None
    baseline_path: Path | None
    update: bool


def plan_audit(args: argparse.Namespace) -> AuditPlan:
    """Check every argument of ``audit`` before any work; `UsageError` on the first mistake."""
    from conv_equivalence.audit import select
    from conv_equivalence.identities import cases

    profile = args.profile or profile_from_environment()
    pairs = select(args.backends, args.identities)
    if not pairs:
        raise UsageError(f"--backends {' '.join(args.backends or [])} / --identities "
                         f"{' '.join(args.identities or [])}: select no identity x target")
    out = Path(args.out)
    check_output_directory(out, "--out")
    if args.update_baseline and not args.baseline:
        raise UsageError("--update-baseline needs --baseline FILE (the file to write)")
    path = Path(args.baseline) if args.baseline else None
    baseline = None
    if path is not None:
        if args.update_baseline:
            check_output_file(path, "--baseline")
        if path.exists() or not args.update_baseline:
            known = [(identity.id, target) for identity, target in cases()]
            try:
                baseline = baselines.load(path, known)
            except baselines.BaselineError as exc:
                raise UsageError(f"--baseline {path}: {exc}") from None
    return AuditPlan(profile, pairs, out, baseline, path, args.update_baseline)


STYLE_OF_CHANGE = {"failure": "bold red", "change": "bold red", "added": "green", "gone": "yellow"}


def cmd_audit(args: argparse.Namespace, console: Console, show_matrix: Callable[..., None]) -> int:
    """Run the audit: checks, the matrix (``show_matrix(result, targets)``), reports, the baseline gate."""
    from conv_equivalence.audit import run_audit, write_all_atomically, write_reports
    from conv_equivalence.identities import all_identities

    plan = plan_audit(args)
    done = [0]
    start = time.perf_counter()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as progress:
            task = progress.add_task("auditing", total=len(plan.pairs))

            def advance(verdict) -> None:  # type: ignore[no-untyped-def]
                done[0] += 1
                progress.update(task, advance=1, description=escape(f"{verdict.identity} [{verdict.target}]"))

            result = run_audit(plan.pairs, plan.profile, PROFILES[plan.profile], advance, jobs=args.jobs)
    except Interrupted as exc:
        raise Interrupted(exc.signum, f"audit interrupted by {signal.Signals(exc.signum).name} after "
                                      f"{done[0]} of {len(plan.pairs)} checks; no report written") from None
    elapsed = time.perf_counter() - start
    written: list[Path] = []
    try:
        show_matrix(result, sorted({t for _, t in plan.pairs}))
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(result.counts().items()))
        console.print(f"{len(result.verdicts)} checks in {elapsed:.1f}s ({counts})", markup=False)
        identities = {i.id: i for i in all_identities()}
        with signals_deferred():  # all of the reports (and the baseline), or none
            written = write_reports(result, plan.out, identities)
            if plan.update and plan.baseline_path is not None:
                merged = baselines.updated(plan.baseline, result.verdicts)
                write_all_atomically({plan.baseline_path: json.dumps(merged, indent=2, sort_keys=True) + "\n"})
    except Interrupted as exc:
        raise Interrupted(exc.signum, f"audit interrupted by {signal.Signals(exc.signum).name} after all "
                                      f"{len(plan.pairs)} checks; " + ("reports written" if written else "no report written")) from None
    console.print("reports: " + ", ".join(str(p) for p in written), markup=False)
    comparison = baselines.compare(result.verdicts, None if plan.update else plan.baseline)
    for kind, line in comparison.lines():
        console.print(f"[{STYLE_OF_CHANGE[kind]}]{kind}[/] {escape(line)}")
    if plan.update:
        console.print(f"baseline written: {plan.baseline_path}", markup=False)
    return 1 if comparison.failed else 0


def cmd_explain(args: argparse.Namespace, console: Console) -> int:
    """List the catalogue, or check one identity on its first installed target and explain it."""
    from rich.table import Table

    from conv_equivalence.identities import all_identities, get_identity

    if not args.id:
        if args.html:  # the whole catalogue as one page
            from conv_equivalence.teaching_html import write_catalogue

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
    from conv_equivalence.audit import write_atomically
    from conv_equivalence.explain import explain_text
    from conv_equivalence.verdict import verify
    from conv_equivalence.workers import captured_output

    try:
        with captured_output():
            verdict = verify(identity, targets[0], PROFILES[args.profile])
    except Interrupted as exc:
        raise Interrupted(exc.signum, f"explain {identity.id} interrupted by {signal.Signals(exc.signum).name}; "
                                      "nothing written") from None
    text = explain_text(identity, targets[0], verdict)
    sys.stdout.write(text)
    if args.html:
        from conv_equivalence.html import page

        with signals_deferred():
            write_atomically(Path(args.html), page(identity.id, text, verdict))
        print(f"figure: {args.html}")
    return 0 if verdict.ok else 1


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``audit`` and ``explain`` subcommands."""
    audit = sub.add_parser("audit", help="run every identity against every installed backend and write reports")
    audit.add_argument("--profile", choices=sorted(PROFILES),
                       help=f"Hypothesis profile (default: ${ENV_VAR}, else ci when $CI is set, else dev)")
    audit.add_argument("--backends", nargs="*", help="backend name prefixes to include (default: all installed)")
    audit.add_argument("--identities", nargs="*", help="identity id prefixes to include (default: all)")
    audit.add_argument("--out", default="conv-audit", help="report directory (default: conv-audit/)")
    audit.add_argument("--baseline", help="expected outcomes (JSON); exit 1 on a changed verdict")
    audit.add_argument("--update-baseline", action="store_true", help="write the outcomes to --baseline instead")
    audit.add_argument("--jobs", type=job_count, default=os.cpu_count() or 1,
                       help="worker processes (default: all cores)")
    explain = sub.add_parser("explain", help="list the catalogue, or check one identity and show its counterexample")
    explain.add_argument("id", nargs="?")
    explain.add_argument("--profile", choices=sorted(PROFILES), default="ci")
    explain.add_argument("--html", metavar="FILE", help="with ID: also draw its counterexample as a page; without: write the whole catalogue as one page")
