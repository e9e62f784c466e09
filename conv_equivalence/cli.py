"""The ``conv-equivalence`` command: ``audit`` (every identity on every installed library) and
``explain`` (the catalogue, and one identity checked with its counterexample)."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from rich.console import Console

from conv_equivalence import audit_cli
from conv_equivalence.audit import AuditResult
from conv_equivalence.audit_cli import Interrupted, OneLineParser, UsageError
from conv_equivalence.workers import quiet_frameworks


def _show_matrix(console: Console, result: AuditResult, targets: list[str]) -> None:
    """The summary, then the matrix folded to the terminal's width (`terminal`)."""
    from conv_equivalence.terminal import print_audit

    print_audit(console, result.verdicts)


def cmd_audit(args: argparse.Namespace, console: Console) -> int:
    return audit_cli.cmd_audit(args, console, lambda result, targets: _show_matrix(console, result, targets))


def cmd_explain(args: argparse.Namespace, console: Console) -> int:
    return audit_cli.cmd_explain(args, console)


def cmd_check(args: argparse.Namespace, console: Console) -> int:
    from conv_equivalence import check_cli

    return check_cli.main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="conv-equivalence", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    audit_cli.add_parsers(sub)
    from conv_equivalence import check_cli

    check_cli.add_arguments(sub.add_parser(
        "check", help="check your own convolution against the oracle, facet by facet",
        description="Check a callable with the signature of torch.nn.functional.conv{N}d (or conv_transpose{N}d "
                    "with --transposed), facet by facet. Exit 0: no facet fails; 1: one does; 2: usage error; 3: the "
                    "checker itself failed (no verdict)."))
    sub.add_parser("repro", help="upstream-ready reproduction scripts of known issues and beliefs",
                   description="Without ID: the ids, one a line. With ID: a standalone Python script that shows "
                               "expected against actual and exits 1 while the behaviour persists.").add_argument("id", nargs="?")
    return parser


def main(argv: list[str] | None = None) -> int:
    quiet_frameworks()  # before any framework imports
    console = Console(soft_wrap=not sys.stdout.isatty())  # logs and pipes get whole lines, never wrapped
    args = build_parser().parse_args(argv)
    try:
        audit_cli.profile_from_environment()
        if args.command == "check":
            return cmd_check(args, console)
        if args.command == "repro":
            from conv_equivalence import repro
            return repro.command(args.id)
        with audit_cli.interruptible():  # SIGINT, SIGTERM: workers killed, one line, exit 130/143
            return cmd_audit(args, console) if args.command == "audit" else cmd_explain(args, console)
    except UsageError as exc:
        print(f"conv-equivalence: {exc}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        print(f"conv-equivalence: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 141
    except Exception as exc:  # noqa: BLE001 - the checker's own failure is no verdict: one line, exit 3
        where = traceback.extract_tb(exc.__traceback__)[-1]
        print(f"conv-equivalence: internal error (not a verdict on the implementation): {type(exc).__name__}: {exc} "
              f"at {Path(where.filename).name}:{where.lineno}; set CONV_EQUIVALENCE_TRACEBACK=1 for the traceback",
              file=sys.stderr)
        if os.environ.get("CONV_EQUIVALENCE_TRACEBACK"):
            traceback.print_exc()
        return 3


if __name__ == "__main__":
    sys.exit(main())
