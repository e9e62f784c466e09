"""Worker processes for the audit: each check runs in a child process, TensorFlow's apart from the rest.

A worker is ``python -m conv_equivalence.audit.workers [MODULE...]`` (each MODULE is imported first, to
register extra backends or identities). It reads tasks from stdin and writes verdicts to a private
copy of its stdout, each a length-prefixed pickle; whatever the libraries print (start-up lines,
native warnings) goes to an anonymous log file, quoted only when the worker dies. The environment
quiets the frameworks' own logging before they import (`QUIET_ENV`).

Checks are grouped by framework (`group_of`): a worker runs checks of one group only, so
TensorFlow never shares a process with torch's, JAX's or ONNX Runtime's checks (a check that
compares TensorFlow with torch runs in TensorFlow's group). A worker that dies mid-check costs only
that check, which gets a ``crash`` verdict; `Pool.close(kill=True)` ends every worker at once.
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib
import os
import pickle
import signal
import struct
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import wait
from pathlib import Path
from typing import IO, Any

QUIET_ENV = {
    # TensorFlow's C++ INFO and WARNING lines through absl ("oneDNN custom operations are on",
    # "All log messages before absl::InitializeLog() is called ...", CPU feature notes).
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "GRPC_VERBOSITY": "ERROR",
}
"""Set (unless already set) before any framework imports: in the CLI and in every worker."""

GROUPS = ("tensorflow", "keras-torch", "keras-jax", "keras-tensorflow", "astropy", "PIL", "kornia", "mlx", "flax",
          "equinox", "dask_image", "default")
"""Worker groups: TensorFlow apart; each Keras backend apart (Keras fixes its backend at import, from
``KERAS_BACKEND``); each library added with issue 26 apart, so that its import cost stays out of the others'
workers; everything else together."""
_HEADER = struct.Struct("!Q")


def quiet_frameworks() -> None:
    """Quiet the frameworks' start-up logging in this process (call before they import)."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)


@contextlib.contextmanager
def captured_output() -> Iterator[None]:
    """Send what native code and libraries write to file descriptors 1 and 2 to a discarded
    file while inside (for checks run in this process, as ``explain`` does)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def group_of(target: str) -> str:
    """The worker group of a target (`GROUPS`): ``keras-<backend>`` for a Keras target, ``tensorflow`` for any
    other target that runs TensorFlow, the library's own group for a library that has one."""
    for part in target.split("|"):
        if part.startswith("keras["):
            return f"keras-{part[6:part.index(']')]}"
    if "tensorflow" in target:
        return "tensorflow"
    own = [g for g in GROUPS if any(part.split(".")[0] == g for part in target.split("|"))]
    return own[0] if own else "default"


def _send(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    """The next message, or ``None`` at end of stream (or a message cut short: the sender died)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    return pickle.loads(data) if len(data) == size else None


class Worker:
    """One child process running checks of one group, one at a time."""

    def __init__(self, group: str, setup: Sequence[str] = ()) -> None:
        self.group = group
        self.log = tempfile.TemporaryFile()
        env = dict(os.environ)
        for key, value in QUIET_ENV.items():
            env.setdefault(key, value)
        if group.startswith("keras-"):
            env["KERAS_BACKEND"] = group.removeprefix("keras-")
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen([sys.executable, "-m", "conv_equivalence.audit.workers", *setup],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                        env=env, start_new_session=True)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout

    def submit(self, task: tuple[Any, ...]) -> bool:
        """Send a task; False if the worker is already gone."""
        try:
            _send(self.stdin, task)
            return True
        except (BrokenPipeError, OSError):
            return False

    def result(self) -> Any:
        """The verdict of the task sent last, or ``None`` if the worker died first."""
        try:
            return _receive(self.stdout)
        except (OSError, pickle.UnpicklingError, EOFError):
            return None

    def death(self) -> str:
        """How the worker ended, with the last lines it wrote (after `result` returned ``None``)."""
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        self.log.seek(0)
        lines = [line.strip() for line in self.log.read().decode("utf-8", "replace").splitlines() if line.strip()]
        fatal = [line for line in lines if line.startswith("Fatal Python error")]
        return how + (f"; {fatal[0]}" if fatal else (f"; last output: {lines[-1]}" if lines else ""))

    def close(self, kill: bool = False) -> None:
        """End the worker: at once with ``kill``, else by closing its input (it exits when idle)."""
        if kill:
            self.process.kill()
        else:
            try:
                self.stdin.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=None if kill else 10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.stdin, self.stdout, self.log):
            try:
                stream.close()
            except OSError:
                pass


def run_tasks(tasks: Sequence[tuple[Any, ...]], groups: Sequence[str], jobs: int,
              on_crash: Callable[[int, str], Any], done: Callable[[int, Any], None],
              setup: Sequence[str] = ()) -> None:
    """Run ``tasks[i]`` (a `verify_by_name` argument tuple) in group ``groups[i]`` on ``jobs`` workers.

    ``done(i, verdict)`` is called in this thread as each finishes; a worker that dies gets
    ``on_crash(i, how)`` as its verdict and is replaced. Every worker is ended on return, and
    killed at once if an exception (an interrupting signal) leaves this function.
    """
    queues: dict[str, deque[int]] = {g: deque() for g in GROUPS}
    for i, name in enumerate(groups):
        queues[name].append(i)
    lanes: list[Worker | None] = [None] * max(1, jobs)
    running: dict[int, int] = {}  # lane -> task index
    finished = False
    try:
        while any(queues.values()) or running:
            for lane, worker in enumerate(lanes):
                if lane in running:
                    continue
                group = _next_group(worker, queues, lanes)
                if group is None:
                    continue
                if worker is None or worker.group != group:
                    if worker is not None:
                        worker.close()
                    worker = lanes[lane] = Worker(group, setup)
                i = queues[group].popleft()
                worker.submit(tasks[i])  # a dead worker shows as end of stream below
                running[lane] = i
            lane_of = {worker.stdout.fileno(): lane for lane in running if (worker := lanes[lane]) is not None}
            for fd in wait(list(lane_of)):
                lane = lane_of[fd]  # type: ignore[index]
                worker = lanes[lane]
                assert worker is not None
                i = running.pop(lane)
                verdict = worker.result()
                if verdict is None:
                    verdict = on_crash(i, worker.death())
                    worker.close(kill=True)
                    lanes[lane] = None
                done(i, verdict)
        finished = True
    finally:
        for worker in lanes:
            if worker is not None:
                worker.close(kill=not finished)


def _next_group(worker: Worker | None, queues: dict[str, deque[int]], lanes: Sequence[Worker | None]) -> str | None:
    """Keep a worker on its group while it has work; otherwise the group with most work per worker."""
    if worker is not None and queues[worker.group]:
        return worker.group
    waiting = [g for g in GROUPS if queues[g]]
    if not waiting:
        return None
    serving = {g: sum(1 for w in lanes if w is not None and w.group == g) for g in GROUPS}
    return max(waiting, key=lambda g: len(queues[g]) / (1 + serving[g]))


def main(argv: Sequence[str]) -> int:
    """The worker's loop: import ``argv``'s modules, then verify each task until stdin closes."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what libraries print to stdout goes to the log, not into the verdict stream
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends its workers
    faulthandler.enable()
    quiet_frameworks()
    for module in argv:
        importlib.import_module(module)
    from conv_equivalence.audit.verdict import verify_by_name

    while True:
        task = _receive(sys.stdin.buffer)
        if task is None:
            return 0
        _send(out, verify_by_name(*task))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
