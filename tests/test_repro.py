"""The upstream-ready reproductions (`conv_equivalence.teach.repro`): every script runs in a fresh
interpreter, outside the project, against the installed libraries, prints expected and actual, and
exits 1 while the behaviour persists."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from conv_equivalence.backends import all_backends
from conv_equivalence.cli import main
from conv_equivalence.identities import all_identities
from conv_equivalence.teach.repro import COMPANIONS, Repro, reproductions

REPROS = reproductions()
CASES = [pytest.param(r.id, id=f"{r.id}[{r.library}]") for r in REPROS.values()]

# The scripts run as TensorFlow runs on Intel CPUs, with its oneDNN custom operations on (elsewhere
# TensorFlow leaves them off unless TF_ENABLE_ONEDNN_OPTS=1; its oneDNN defects need them).
ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "1", "PYTHONPATH": ""}
TIMEOUT_S = 300


def _run(repro: Repro) -> subprocess.CompletedProcess[str]:
    """The script in a fresh interpreter, in an empty directory (so the project cannot be imported)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{repro.id}.py"
        path.write_text(repro.script())
        env = {**os.environ, **ENV}
        return subprocess.run([sys.executable, str(path)], cwd=tmp, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT_S, check=False)


def _condition(repro_id: str) -> str | None:
    """Why the known issue ``repro_id`` may not show here (``None`` for a belief): another version of its
    library than it was verified on, or its `KnownIssue.condition`; asked in a process of its own with
    the scripts' environment (it may import TensorFlow, which must not share this process with torch)."""
    code = ("import sys\nfrom conv_equivalence.backends import all_backends\n"
            "issues = {i.id: i for b in all_backends() for i in b.known_issues}\n"
            "issue = issues.get(sys.argv[1])\nprint((issue.other_version() or issue.condition() if issue else None) or '')")
    result = subprocess.run([sys.executable, "-c", code, repro_id], env={**os.environ, **ENV, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
                            capture_output=True, text=True, timeout=TIMEOUT_S, check=True)
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else None


def _installed(repro: Repro) -> bool:
    return importlib.util.find_spec(repro.top) is not None


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest) -> Iterator[dict[str, Future[subprocess.CompletedProcess[str]]]]:
    """The selected scripts, started at once on a few threads (framework imports dominate the time)."""
    selected = {str(item.callspec.params["repro_id"]) for item in request.session.items
                if isinstance(item, pytest.Function) and item.originalname == "test_reproduction_shows_the_behaviour"}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {rid: pool.submit(_run, REPROS[rid]) for rid in sorted(selected) if _installed(REPROS[rid])}
        yield futures
        for future in futures.values():
            future.cancel()


@pytest.mark.parametrize("repro_id", CASES)
def test_reproduction_shows_the_behaviour(repro_id: str, runs: dict[str, Future[subprocess.CompletedProcess[str]]]) -> None:
    repro = REPROS[repro_id]
    if not _installed(repro):
        pytest.skip(f"{repro.top} is not installed")
    result = runs[repro_id].result()
    output = result.stdout + result.stderr
    assert "Traceback" not in result.stderr, output
    assert f"| {repro.top} " in result.stdout, output  # the versions
    assert "\nexpected: " in result.stdout and "\nactual:   " in result.stdout, output
    if result.returncode == 0 and (reason := _condition(repro_id)):
        pytest.skip(f"{repro_id} cannot show here: {reason}\n{result.stdout}")
    assert result.returncode == 1, f"the behaviour no longer shows (exit {result.returncode}): update the entry\n{output}"
    assert "the behaviour persists" in result.stdout


def test_every_known_issue_and_belief_has_a_reproduction() -> None:
    issues = {issue.id for backend in all_backends() for issue in backend.known_issues}
    beliefs = {i.id for i in all_identities() if i.status == "differs" and "misconception" in i.tags}
    assert issues | beliefs <= set(REPROS), sorted((issues | beliefs) - set(REPROS))
    assert all(issue.reported for backend in all_backends() for issue in backend.known_issues)


@pytest.mark.parametrize("repro_id", [pytest.param(r.id, id=r.id) for r in REPROS.values()])
def test_script_imports_only_its_library_and_numpy(repro_id: str) -> None:
    repro = REPROS[repro_id]
    tree = ast.parse(repro.script())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    crashes = {i.id for b in all_backends() for i in b.known_issues if i.crashes}
    allowed = {"sys", "importlib", "numpy", repro.top, *([COMPANIONS[repro.top]] if repro.top in COMPANIONS else [])}  # importlib: mlx's version
    allowed |= {"subprocess"} if repro_id in crashes else set()  # a crash is shown in a child interpreter
    assert imported <= allowed, imported


@pytest.mark.parametrize("body,code,verdict", [
    ("expected = np.array([np.nan, 1.0])\nactual = np.array([np.nan, 1.0], dtype=np.float32)", 0, "fixed"),
    ("expected = np.array([np.nan, 1.0])\nactual = np.array([np.nan, 2.0])", 1, "persists"),
    ("expected = np.zeros((0, 3))\nactual = np.zeros((0, 4))", 1, "persists"),
    ("expected = np.array([1.0])\nactual = attempt(lambda: 1 / 0)", 1, "persists"),
    ("expected = (3,)\nactual = (3,)", 0, "fixed"),
])
def test_frame_compares_exactly_and_nan_aware(body: str, code: int, verdict: str) -> None:
    result = _run(Repro("frame-check", "belief", "numpy", "the frame's comparison", body))
    assert result.returncode == code, result.stdout + result.stderr
    assert verdict in result.stdout


def test_cli_lists_ids_and_prints_a_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["repro"]) == 0
    assert capsys.readouterr().out.splitlines() == list(REPROS)
    assert main(["repro", "numpy-convolve-is-correlate"]) == 0
    assert capsys.readouterr().out == REPROS["numpy-convolve-is-correlate"].script() + "\n"


def test_cli_unknown_id_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["repro", "no-such-id"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "'no-such-id'" in captured.err
