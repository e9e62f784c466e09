"""Every ```python and ```bash/```sh block in README.md and docs/*.md runs, so the docs cannot drift.

A block may be marked by an HTML comment on the line just before its opening fence:

* ``<!-- docs: output -->``: what a command prints; not run.
* ``<!-- docs: skip REASON -->``: not run, for the reason given (installs, the whole suite, hosts
  that do not exist here); a skip without a reason is an error.
* ``<!-- docs: exit N -->``: run, and must exit with status N (a command that is meant to fail).

Python blocks run in a fresh interpreter in an empty temporary directory with the repository
importable; every ``test_*`` function a block defines is then called, as pytest would (a
property-test snippet is only checked once it runs). Shell blocks run with ``bash -e -o pipefail``
in an empty temporary directory with the repository on ``PYTHONPATH`` and the interpreter's
``bin`` first on ``PATH``. Each block has a time limit.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TIME_LIMIT = 300  # seconds per block
RUNNABLE = {"python": "python", "py": "python", "bash": "shell", "sh": "shell", "shell": "shell"}
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
MARKER = re.compile(r"^\s*<!--\s*docs:\s*(?P<kind>\S+)\s*(?P<arg>.*?)\s*-->\s*$")
PYTHON_RUNNER = (
    "import runpy, sys\n"
    "namespace = runpy.run_path(sys.argv[1], run_name='__main__')\n"
    "for name, value in list(namespace.items()):\n"
    "    if name.startswith('test_') and callable(value):\n"
    "        value()\n"
)


@dataclass(frozen=True)
class Block:
    """One fenced code block: where it is, its language, its code and its marker."""

    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    action: str  # "run", "output" or "skip"
    reason: str = ""
    exit_code: int = 0

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path.name}:{self.line}"


def _marker(previous: str, where: str) -> tuple[str, str, int]:
    """``(action, reason, exit_code)`` from the line before a fence; `ValueError` for a malformed marker."""
    match = MARKER.match(previous)
    if match is None:
        if "docs:" in previous and "<!--" in previous:
            raise ValueError(f"{where}: malformed docs marker {previous.strip()!r}")
        return "run", "", 0
    kind, arg = match["kind"], match["arg"]
    if kind == "output" and not arg:
        return "output", "", 0
    if kind == "skip":
        if not arg:
            raise ValueError(f"{where}: '<!-- docs: skip -->' needs a reason")
        return "skip", arg, 0
    if kind == "exit" and re.fullmatch(r"\d+", arg):
        return "run", "", int(arg)
    raise ValueError(f"{where}: unknown docs marker {previous.strip()!r} (output, skip REASON or exit N)")


def code_blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file whose language runs here (python, bash, sh)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        fence, language = opening["fence"], opening["info"].lower()
        end = i + 1
        while end < len(lines) and not re.match(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[end]):
            end += 1
        if end == len(lines):
            raise ValueError(f"{path}:{i + 1}: code block never closed")
        if language in RUNNABLE:
            action, reason, exit_code = _marker(lines[i - 1] if i else "", f"{path}:{i + 1}")
            blocks.append(Block(path, i + 1, RUNNABLE[language], "\n".join(lines[i + 1:end]) + "\n",
                                action, reason, exit_code))
        i = end + 1
    return blocks


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def run_block(block: Block, tmp: Path) -> subprocess.CompletedProcess[str]:
    """Run ``block`` as the module docstring says: the script in ``tmp``, the working directory an empty ``tmp/cwd``."""
    directory = tmp / "cwd"
    directory.mkdir()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("CI", "true")
    if block.language == "python":
        script = tmp / "block.py"
        script.write_text(block.code, encoding="utf-8")
        command = [sys.executable, "-c", PYTHON_RUNNER, str(script)]
    else:
        script = tmp / "block.sh"
        script.write_text(block.code, encoding="utf-8")
        command = ["bash", "-e", "-o", "pipefail", str(script)]
    return run_in_session(command, directory, env, TIME_LIMIT)


def run_in_session(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """``subprocess.run`` in a new session whose every process is killed if it runs past ``timeout``
    (a block that starts servers or workers leaves nothing behind); a timeout fails the test."""
    with subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          stdin=subprocess.DEVNULL, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"{' '.join(command)} ran past {timeout:g}s\n--- stdout\n{out[-3000:]}\n--- stderr\n{err[-3000:]}")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # anything the block left running in the background
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


ALL_BLOCKS = [block for path in documents() if path.exists() for block in code_blocks(path)]


RUN_BLOCKS = [b for b in ALL_BLOCKS if b.action == "run"]
"""The blocks that run; output blocks are not code, and skip markers carry their reason in the docs
(installs, the whole suite, hosts that do not exist here): `_marker` refuses a skip without one."""


def test_most_blocks_run() -> None:
    """A skip marker is for what cannot run in a test (installing, the whole suite), not a way out."""
    skipped = [b for b in ALL_BLOCKS if b.action == "skip"]
    assert len(RUN_BLOCKS) > len(skipped), [f"{b.id}: {b.reason}" for b in skipped]
    assert all(b.reason for b in skipped)


@pytest.mark.parametrize("block", RUN_BLOCKS, ids=lambda b: b.id)
def test_doc_block(block: Block, tmp_path: Path) -> None:
    proc = run_block(block, tmp_path)
    assert proc.returncode == block.exit_code, (
        f"{block.id} exited {proc.returncode}, expected {block.exit_code}\n--- block\n{block.code}"
        f"--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}")


# --- the runner itself ----------------------------------------------------------------------------

def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_parser_reads_languages_and_markers(tmp_path: Path) -> None:
    doc = _write(tmp_path, (
        "Intro\n\n```python\nprint(1)\n```\n\n<!-- docs: skip needs a GPU -->\n```bash\nnvidia-smi\n```\n"
        "<!-- docs: exit 2 -->\n```sh\nexit 2\n```\n<!-- docs: output -->\n```python\n>>> 1\n```\n"
        "```\nplain text, not run\n```\n````markdown\n```python\nnested, not run\n```\n````\n"
    ))
    blocks = code_blocks(doc)
    assert [(b.line, b.language, b.action, b.reason, b.exit_code) for b in blocks] == [
        (3, "python", "run", "", 0), (8, "shell", "skip", "needs a GPU", 0),
        (12, "shell", "run", "", 2), (16, "python", "output", "", 0)]
    assert blocks[0].code == "print(1)\n"


@pytest.mark.parametrize("marker", ["<!-- docs: skip -->", "<!-- docs: exit one -->", "<!-- docs: run -->",
                                    "<!-- docs:output-->x"])
def test_parser_rejects_bad_markers(tmp_path: Path, marker: str) -> None:
    with pytest.raises(ValueError, match="docs marker|needs a reason"):
        code_blocks(_write(tmp_path, f"{marker}\n```python\npass\n```\n"))


def test_parser_rejects_unclosed_block(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="never closed"):
        code_blocks(_write(tmp_path, "```python\npass\n"))


@pytest.mark.parametrize(("text", "status"), [
    ("```python\nimport conv_equivalence\n```\n", 0),
    ("```python\nraise SystemExit(3)\n```\n", 3),
    ("```python\ndef test_snippet():\n    assert 1 + 1 == 3\n```\n", 1),  # defined tests are run
    ("```bash\nfalse\necho never reached\n```\n", 1),  # -e: the first failing command ends the block
    ("```bash\nfalse | true\n```\n", 1),  # pipefail
    ("```bash\ntest -z \"$(ls)\" && python -c 'import conv_equivalence'\n```\n", 0),  # empty cwd, repo importable
])
def test_runner_exit_status(tmp_path: Path, text: str, status: int) -> None:
    (block,) = code_blocks(_write(tmp_path, text))
    assert run_block(block, tmp_path).returncode == status


def test_runner_kills_what_outlives_the_time_limit(tmp_path: Path) -> None:
    marker = tmp_path / "survivor"
    command = ["bash", "-c", f"(sleep 3; touch {marker}) & sleep 30"]
    with pytest.raises(pytest.fail.Exception, match="ran past"):
        run_in_session(command, tmp_path, dict(os.environ), timeout=0.5)
    time.sleep(4)
    assert not marker.exists(), "a background process of the block survived the time limit"
