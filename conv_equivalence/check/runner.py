"""The user's callable in a child process, so that no way it can end or hang reads as a pass.

A `Runner` starts a worker (multiprocessing's ``forkserver``, which imports the framework
once and forks a fresh worker in milliseconds after a crash; ``fork`` for a callable that
cannot be pickled by reference, run with one torch thread, as a forked OpenMP pool can deadlock)
and sends it one call at a time over a pipe. Each reply is
one of ``ok``, ``declined``, ``raised``, or, decided here, ``crash`` (the worker ended: a
segfault, an abort or C assertion, any ``os._exit`` code, ``sys.exit``) and ``timeout`` (no
answer within the time limit: the worker is killed, native code included, and the next call
gets a fresh one). The worker ignores SIGINT (the parent decides what an interrupt means),
dies with its parent (``PR_SET_PDEATHSIG`` on Linux), and writes its stdout and stderr to a
log whose tail explains a crash (a C assertion's message).
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

LOAD_LIMIT = 120.0
"""Seconds a worker may take to import the framework and the user's module."""
MAX_TIME_LIMIT = 86400.0
"""The longest per-call time limit (longer ones overflow the platform's timers)."""


class LoadFailed(Exception):
    """The worker could not load the callable: a usage error, with the reason."""


@dataclass(frozen=True)
class Target:
    """What the worker calls: a ``MODULE:ATTR``/``FILE.py:ATTR`` spec or a callable, and how."""

    spec: str | None = None
    fn: Callable[..., Any] | None = None
    convention: str = "torch"
    transposed: bool = False
    device: str = "cpu"
    decline_on: tuple[str, ...] = ()
    name: str = field(default="")

    @property
    def label(self) -> str:
        return self.name or self.spec or f"{getattr(self.fn, '__module__', '?')}:{getattr(self.fn, '__qualname__', '?')}"


def time_limit(value: Any) -> float:
    """A per-call time limit: a finite positive number of seconds; `ValueError` naming the rule otherwise."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"--time-limit must be a finite positive number of seconds, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"--time-limit must be a finite positive number of seconds, got {value!r}")
    if seconds > MAX_TIME_LIMIT:
        raise ValueError(f"--time-limit must be at most {MAX_TIME_LIMIT:g} seconds (a day), got {value!r}")
    return seconds


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def serve(conn: Connection, target: Target, log: str, forked: bool = False) -> None:
    """The worker: load the callable, then answer calls until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    if forked and "torch" in sys.modules:
        # Forked from a parent whose OpenMP pool may be running: one thread, or the first parallel
        # region can deadlock in the child.
        sys.modules["torch"].set_num_threads(1)
    from conv_equivalence.check import conventions
    try:
        conventions.prepare(target.convention, target.device)
        fn = target.fn if target.fn is not None else conventions.load(target.spec or "")
    except conventions.LoadError as exc:
        conn.send(("usage", str(exc)))
        os._exit(0)
    conn.send(("ready", ""))
    while True:
        try:
            call = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        if call is None:
            os._exit(0)
        reply = conventions.invoke(fn, call, convention=target.convention, transposed=target.transposed,
                                   device=target.device, decline_on=target.decline_on)
        sys.stdout.flush()
        sys.stderr.flush()
        conn.send(reply)


def _picklable(fn: Callable[..., Any]) -> bool:
    try:
        pickle.dumps(fn)
    except Exception:  # noqa: BLE001 - lambdas, closures, local functions
        return False
    return getattr(fn, "__module__", "__main__") != "__main__"


def describe_exit(code: int | None) -> str:
    """How a worker ended, in words: a signal's name, or the exit status."""
    if code is None:
        return "the process did not end"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        what = {"SIGSEGV": "a segmentation fault", "SIGABRT": "an abort (a failed C assertion, abort())",
                "SIGBUS": "a bus error", "SIGFPE": "a floating-point exception", "SIGKILL": "SIGKILL"}.get(name, name)
        return f"the process was killed by {name} ({what})"
    return f"the process exited with status {code} (os._exit or exit in native code)"


class Runner:
    """One worker at a time for ``target``; `call` sends one call and waits at most ``limit`` seconds."""

    def __init__(self, target: Target, limit: float) -> None:
        self.target = target
        self.limit = time_limit(limit)
        self.restarts = 0
        self._context: Any
        if target.fn is None or _picklable(target.fn):
            self._context = multiprocessing.get_context("forkserver")
            preload = {"torch": ["torch"], "jax": ["jax"]}.get(target.convention, [])
            self._context.set_forkserver_preload(["conv_equivalence.check.conventions", *preload])
        else:
            self._context = multiprocessing.get_context("fork")
        fd, self._log = tempfile.mkstemp(prefix="conv-equivalence-worker-", suffix=".log")
        os.close(fd)
        self._process: Any = None
        self._conn: Connection | None = None
        self._ready = False

    def start(self) -> None:
        """Start a worker (without waiting for it to load); idempotent."""
        if self._process is not None:
            return
        parent, child = self._context.Pipe()
        forked = self._context.get_start_method() == "fork"
        process = self._context.Process(target=serve, args=(child, self.target, self._log, forked), daemon=True)
        # multiprocessing would re-run the parent's main script in the worker (its "safe importing
        # of the main module" rule), which a user's unguarded script or a benchmark does not follow:
        # the worker needs nothing from __main__, so none is described to it.
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            process.start()
        finally:
            sys.modules["__main__"] = main
        child.close()
        self._process, self._conn, self._ready = process, parent, False

    def _log_tail(self, lines: int = 4) -> str:
        try:
            with open(self._log, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 2000))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        return "\n".join(tail)

    def _reap(self) -> int | None:
        process = self._process
        process.join(2)
        if process.is_alive():
            process.kill()
            process.join(2)
        code = process.exitcode
        self.stop()
        return code

    def wait_ready(self) -> None:
        """Wait until the worker has loaded the callable; `LoadFailed` with the reason otherwise."""
        self.start()
        if self._ready:
            return
        assert self._conn is not None
        if not self._conn.poll(LOAD_LIMIT):
            self.stop()
            raise LoadFailed(f"loading {self.target.label} took longer than {LOAD_LIMIT:g}s")
        try:
            status, message = self._conn.recv()
        except (EOFError, OSError):
            code = self._reap()
            tail = self._log_tail()
            raise LoadFailed(f"loading {self.target.label}: {describe_exit(code)}" + (f": {tail}" if tail else "")) from None
        if status != "ready":
            self.stop()
            raise LoadFailed(message)
        self._ready = True

    def call(self, call: dict[str, Any]) -> dict[str, Any]:
        """One call of the user's function; a dict whose ``kind`` says what happened."""
        self.wait_ready()
        assert self._conn is not None
        with open(self._log, "wb"):
            pass  # the log explains the call that crashes, not an earlier one
        try:
            self._conn.send(call)
            answered = self._conn.poll(self.limit)
        except (BrokenPipeError, EOFError, OSError):
            answered = True
        if not answered:
            self.stop()
            self.restarts += 1
            return {"kind": "timeout", "message": f"no answer within the time limit of {self.limit:g}s "
                                                  "(the worker was killed)", "warnings": []}
        try:
            reply: dict[str, Any] = self._conn.recv()
            if reply.get("kind") == "crash" and (tail := self._log_tail()):  # SystemExit: what it printed first
                reply["message"] += f"; its last output:\n{tail}"
            return reply
        except (EOFError, OSError, pickle.UnpicklingError):
            code = self._reap()
            self.restarts += 1
            tail = self._log_tail()
            return {"kind": "crash", "message": describe_exit(code) + (f"; its last output:\n{tail}" if tail else ""),
                    "warnings": []}

    def stop(self) -> None:
        """Kill the worker, if any (the next call starts a fresh one)."""
        process, self._process = self._process, None
        conn, self._conn = self._conn, None
        self._ready = False
        if conn is not None:
            conn.close()
        if process is not None:
            if process.is_alive():
                process.kill()
            process.join(5)

    def close(self) -> None:
        """Stop the worker and remove its log."""
        self.stop()
        try:
            os.unlink(self._log)
        except OSError:
            pass

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
