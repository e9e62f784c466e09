"""The ``conv-equivalence`` command: ``check`` (your own convolution, facet by facet), ``audit``
(every identity on every installed library), ``explain`` (the catalogue, one identity with its
counterexample) and ``repro`` (standalone reproductions). One module a command; `common` holds
what they share."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from rich.console import Console

from conv_equivalence.audit.workers import quiet_frameworks
from conv_equivalence.cli import audit, teach
from conv_equivalence.cli import check as check_command
from conv_equivalence.cli.common import Interrupted, OneLineParser, UsageError, interruptible, profile_from_environment


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="conv-equivalence", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    audit.add_parser(sub)
    teach.add_parsers(sub)
    check_command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    quiet_frameworks()  # before any framework imports
    console = Console(soft_wrap=not sys.stdout.isatty())  # logs and pipes get whole lines, never wrapped
    args = build_parser().parse_args(argv)
    try:
        profile_from_environment()
        if args.command == "check":
            return check_command.main(args)
        if args.command == "repro":
            return teach.cmd_repro(args.id)
        with interruptible():  # SIGINT, SIGTERM: workers killed, one line, exit 130/143
            return audit.cmd_audit(args, console) if args.command == "audit" else teach.cmd_explain(args, console)
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
