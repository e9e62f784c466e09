"""The ``audit`` command: every argument checked before any work, the run in worker processes,
the reports written together, and the baseline gate (exit 1 on a changed verdict)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from conv_equivalence.audit import baseline as baselines
from conv_equivalence.audit.run import AuditResult, jsonable, report_json, report_markdown
from conv_equivalence.cli.common import (
    Interrupted,
    UsageError,
    check_output_directory,
    check_output_file,
    job_count,
    profile_from_environment,
    signals_deferred,
    write_all_atomically,
)
from conv_equivalence.identities import Identity
from conv_equivalence.profiles import ENV_VAR, PROFILES


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
    from conv_equivalence.audit.run import select
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


def cmd_audit(args: argparse.Namespace, console: Console) -> int:
    """Run the audit: checks, the summary and matrix (`terminal`), reports, the baseline gate."""
    from conv_equivalence.audit.run import run_audit
    from conv_equivalence.audit.terminal import print_audit
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
        print_audit(console, result.verdicts)
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


def write_reports(result: AuditResult, out: Path, identities: dict[str, Identity]) -> list[Path]:
    """Render every report in memory first, then move them all into ``out`` atomically."""
    from conv_equivalence.report.page import render

    summary = report_json(result)
    rendered = {
        out / "report.json": json.dumps(summary, indent=2, default=jsonable) + "\n",
        out / "report.md": report_markdown(result, identities),
        out / "report.html": render(summary, result.verdicts, {k: i.statement for k, i in identities.items()}),
    }
    write_all_atomically(rendered)
    return list(rendered)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``audit`` subcommand."""
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
