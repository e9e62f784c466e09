"""What every command shares: usage errors in one line, argument checks made before any work,
signals that end a run promptly, and files written atomically (all of them, or none).

Every command-line mistake is a `UsageError`, found before any check runs: one line on stderr,
exit 2. SIGINT and SIGTERM raise `Interrupted` (exit 128 + the signal's number).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

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


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place."""
    write_all_atomically({path: text})


def write_all_atomically(files: dict[Path, str]) -> None:
    """Write every file to a temporary name beside it, then rename them all into place: a failure
    or an interruption before the renames leaves none of them (and no temporary file)."""
    staged: list[tuple[str, Path]] = []
    umask = os.umask(0)
    os.umask(umask)
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; a report is an ordinary file
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
