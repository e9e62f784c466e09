"""The audit and explain commands: reports, statuses, the baseline gate, workers, signals, bad input."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conv_equivalence.audit import baseline as baselines
from conv_equivalence.audit.verdict import CRASH, DIFFERS, HOLDS, NOT_INSTALLED, REGRESSION, STATUSES, UNSUPPORTED, Verdict, verify
from conv_equivalence.identities import get_identity
from conv_equivalence.profiles import PROFILES

ROOT = Path(__file__).parents[1]
SMALL = ["--identities", "equals-oracle", "keeps", "--jobs", "2"]


def _env(**extra: str) -> dict[str, str]:
    return {"CI": "true", "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "COLUMNS": "200", "PYTHONPATH": str(ROOT), **extra}


def _cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conv_equivalence.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env=env or _env())


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_audit_reports_and_baseline_gate(tmp_path: Path) -> None:
    base = tmp_path / "baseline.json"
    args = ["audit", "--backends", "numpy", *SMALL, "--out", str(tmp_path / "out")]
    first = _cli(*args, "--baseline", str(base), "--update-baseline")
    assert first.returncode == 0, first.stdout + first.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(report, json.loads((ROOT / "conv_equivalence" / "audit" / "schema.json").read_text()))
    assert report["schema_version"] == 2 and report["counts"] == {"holds": 6}
    assert any("oneDNN" in note for note in report["environment_notes"]) == (report["libraries"]["torch"] != "not installed")
    _parse_html((tmp_path / "out" / "report.html").read_text(), expect_cells=6)
    assert {r["outcome"] for r in report["results"]} == {"holds"}
    assert (tmp_path / "out" / "report.md").read_text().startswith("# conv-equivalence audit")
    assert not list((tmp_path / "out").glob(".*tmp"))
    assert json.loads(base.read_text())["equals-oracle"]["numpy.convolve"] == "holds"
    same = _cli(*args, "--baseline", str(base))
    assert same.returncode == 0, same.stdout
    changed = json.loads(base.read_text())
    changed["equals-oracle"]["numpy.convolve"] = "differs"
    base.write_text(json.dumps(changed))
    gate = _cli(*args, "--baseline", str(base))
    assert gate.returncode == 1
    assert "change equals-oracle[numpy.convolve]: baseline says differs, now holds" in gate.stdout
    # the other direction: the baseline expects a belief to hold, the library refutes it
    belief = _cli("audit", "--backends", "torch", "--identities", "torch-conv-is", "--out", str(tmp_path / "b"),
                  "--baseline", str(_write(tmp_path / "b.json", {"torch-conv-is-scipy-convolve": {"torch": "holds"}})))
    assert belief.returncode == 1
    assert "baseline says holds, now differs" in belief.stdout


HIDE_OPENCV = '''import importlib.util
_find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, package=None: None if name.split(".")[0] == "cv2" else _find_spec(name, package)
'''


def test_baseline_with_a_framework_present_and_absent(tmp_path: Path) -> None:
    """OpenCV appearing is an addition and disappearing is reported; neither fails the gate."""
    pytest.importorskip("cv2", reason="opencv-python-headless is not installed (extra [opencv])")
    hidden = tmp_path / "hide"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text(HIDE_OPENCV)  # the CLI and its workers see no cv2
    absent = _env(PYTHONPATH=f"{hidden}{os.pathsep}{ROOT}")
    args = ["audit", "--backends", "cv2", "numpy.correlate", *SMALL, "--out", str(tmp_path / "out")]
    with_cv2, without_cv2 = tmp_path / "with.json", tmp_path / "without.json"
    assert _cli(*args, "--baseline", str(with_cv2), "--update-baseline").returncode == 0
    made = _cli(*args, "--baseline", str(without_cv2), "--update-baseline", env=absent)
    assert made.returncode == 0, made.stdout + made.stderr
    assert json.loads(with_cv2.read_text())["equals-oracle"] == {"cv2.filter2D": HOLDS, "numpy.correlate": HOLDS}
    assert json.loads(without_cv2.read_text())["equals-oracle"] == {"cv2.filter2D": NOT_INSTALLED, "numpy.correlate": HOLDS}

    appeared = _cli(*args, "--baseline", str(without_cv2))
    assert appeared.returncode == 0, appeared.stdout
    assert "added cv2.filter2D: 3 checks now run (holds 3)" in appeared.stdout
    assert "\nchange " not in appeared.stdout

    gone = _cli(*args, "--baseline", str(with_cv2), env=absent)
    assert gone.returncode == 0, gone.stdout
    assert "gone cv2.filter2D: 3 checks no longer run (cv2 is not installed (pip install 'conv-equivalence[opencv]'))" in gone.stdout
    assert "\nchange " not in gone.stdout

    # a changed verdict on a check run both times still fails the gate, framework present or not
    broken = json.loads(with_cv2.read_text())
    broken["equals-oracle"]["numpy.correlate"] = DIFFERS
    assert _cli(*args, "--baseline", str(_write(tmp_path / "broken.json", broken)), env=absent).returncode == 1


def test_statuses_say_what_happened(monkeypatch: pytest.MonkeyPatch) -> None:
    from conv_equivalence import backends
    from conv_equivalence.backends import Backend, get_backend

    identity = get_identity("equals-oracle")
    assert verify(identity, "numpy.correlate", PROFILES["ci"]).outcome == HOLDS
    real = Backend.unavailable_reason
    monkeypatch.setattr(Backend, "unavailable_reason",
                        lambda self: "jax is not installed (pip install 'conv-equivalence[jax]')" if self.library.startswith("jax")
                        else real(self))
    missing = verify(identity, "jax.lax.conv_general_dilated", PROFILES["ci"])
    assert (missing.outcome, missing.message) == (NOT_INSTALLED, "jax is not installed (pip install 'conv-equivalence[jax]')")
    assert missing.ok and missing.examples == 0
    # the framework is there, but the function cannot express any case the identity draws
    numpy_backend = get_backend("numpy.correlate")
    never = dataclasses.replace(numpy_backend.capabilities, extra_rule=lambda problem: "never")
    monkeypatch.setitem(backends._REGISTRY, "numpy.correlate", dataclasses.replace(numpy_backend, capabilities=never))
    nothing = verify(identity, "numpy.correlate", PROFILES["ci"])
    assert nothing.outcome == UNSUPPORTED and "no generated case applies" in nothing.message
    assert set(STATUSES) == {HOLDS, DIFFERS, REGRESSION, UNSUPPORTED, NOT_INSTALLED, "error", CRASH}


def test_compare_classifies_every_change() -> None:
    def v(target: str, outcome: str) -> Verdict:
        return Verdict("equals-oracle", target, HOLDS, outcome, "gone away" if outcome == NOT_INSTALLED else "")

    baseline = {"equals-oracle": {"a": HOLDS, "b": NOT_INSTALLED, "c": HOLDS, "d": UNSUPPORTED, "e": HOLDS}}
    result = baselines.compare([v("a", HOLDS), v("b", HOLDS), v("c", NOT_INSTALLED), v("d", HOLDS), v("e", CRASH),
                                v("new", HOLDS)], baseline)
    assert result.changes == ["equals-oracle[d]: baseline says unsupported, now holds",
                              "equals-oracle[e]: baseline says holds, now crash"]
    assert result.failures == ["equals-oracle[e]: crash: "]
    assert sorted(result.added) == ["b", "new"] and list(result.disappeared) == ["c"]
    assert result.failed
    quiet = baselines.compare([v("a", HOLDS), v("b", HOLDS), v("c", NOT_INSTALLED)], baseline)
    assert not quiet.failed and [kind for kind, _ in quiet.lines()] == ["added", "gone"]
    # --update-baseline on part of the catalogue keeps the rest of the file, and records a failure as
    # the catalogue's expectation (so that the fix is no change)
    run = [Verdict("i", "b", HOLDS, HOLDS), Verdict("j", "c", DIFFERS, NOT_INSTALLED), Verdict("j", "d", DIFFERS, REGRESSION)]
    assert baselines.updated({"i": {"a": HOLDS, "b": DIFFERS}}, run) == \
        {"i": {"a": HOLDS, "b": HOLDS}, "j": {"c": NOT_INSTALLED, "d": DIFFERS}}


def test_explain_lists_and_refutes() -> None:
    listing = _cli("explain")
    assert listing.returncode == 0 and "torch-conv-is-scipy-convolve" in listing.stdout
    # piped: one whole line per identity, the longest ids uncut
    from conv_equivalence.identities import all_identities

    ids = [line.split("\t")[0] for line in listing.stdout.splitlines()]
    assert sorted(ids) == sorted(identity.id for identity in all_identities())
    one = _cli("explain", "torch-conv-is-scipy-convolve")
    assert one.returncode == 0
    assert "x (2,) float64:\n         0  1" in one.stdout and "w (2,) float64:\n         0  1" in one.stdout
    assert "holds on this counterexample" in one.stdout
    assert _cli("explain", "no-such-identity").returncode == 2


def _parse_html(text: str, expect_cells: int) -> None:
    """The report parses as HTML, balanced, with one coloured matrix cell per verdict."""
    from html.parser import HTMLParser

    class Checker(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []
            self.cells = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag not in ("meta", "br"):
                self.stack.append(tag)
            if tag == "td" and any(k == "title" and v in STATUSES for k, v in attrs):
                self.cells += 1

        def handle_endtag(self, tag: str) -> None:
            assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"

    checker = Checker()
    checker.feed(text)
    assert checker.stack == [] and checker.cells == expect_cells


def test_a_crash_costs_only_its_own_check_and_tf_checks_run_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A backend that kills its process (as a segfault in native code does) gets a ``crash``
    verdict and the rest run; checks of TensorFlow targets never share a process with the others."""
    from conv_equivalence.audit.run import run_audit

    pids = tmp_path / "pids"
    monkeypatch.setenv("CONV_EQUIVALENCE_TEST_PIDS", str(pids))
    identity = get_identity("equals-oracle")
    targets = ["test.pid", "test.tensorflow.crashes", "test.tensorflow.pid", "test.crashes", "numpy.correlate",
               "test.pid", "test.tensorflow.pid"]
    result = run_audit([(identity, t) for t in targets], "ci", PROFILES["ci"], jobs=2, setup=["tests.worker_backends"])
    assert [v.outcome for v in result.verdicts] == [HOLDS, CRASH, HOLDS, CRASH, HOLDS, HOLDS, HOLDS], result.verdicts
    assert "the worker process died while checking equals-oracle on test.crashes (killed by SIGSEGV)" in result.verdicts[3].message
    runs = [line.split() for line in pids.read_text().splitlines()]
    tensorflow = {pid for name, pid in runs if "tensorflow" in name}
    others = {pid for name, pid in runs if "tensorflow" not in name}
    assert tensorflow and others and not tensorflow & others


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_ends_the_audit_at_once_and_leaves_nothing(tmp_path: Path, signum: int) -> None:
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "conv_equivalence.cli", "audit", "--profile", "thorough",
                                "--backends", "scipy", "numpy", "--jobs", "2", "--out", str(out)],
                               cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) >= 2, "the audit never started its workers"
        time.sleep(2)  # the workers are checking
        sent = time.monotonic()
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        process.kill()
    assert process.returncode == 128 + signum, stderr
    assert took < 3, f"took {took:.1f}s to stop"
    name = signal.Signals(signum).name
    assert stderr.count("\n") == 1 and stderr.startswith(f"conv-equivalence: audit interrupted by {name} after "), stderr
    assert stderr.rstrip().endswith("; no report written") and "Traceback" not in stdout + stderr
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers), "a worker outlived the audit"
    assert not out.exists() or not any(out.iterdir())


def _bad_lines(tmp_path: Path) -> list[tuple[list[str], dict[str, str], str]]:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"equals-oracle": {"numpy.correlate": "holds"}} \xe9'.encode("latin-1"))
    audit = ["audit", "--backends", "numpy", "--out", str(tmp_path / "out")]
    fifo = tmp_path / "baseline.fifo"  # reading a pipe would block: refused unread
    os.mkfifo(fifo)
    baseline = lambda name, data: ["--baseline", str(_write(tmp_path / name, data))]  # noqa: E731
    return [
        (audit[:-1] + [str(a_file)], {}, f"--out {a_file}: is a file, not a directory"),
        (audit[:-1] + [str(a_file / "sub")], {}, f"--out {a_file / 'sub'}: {a_file} is a file, not a directory"),
        (audit[:-1] + ["/proc/conv-audit"], {}, "--out /proc/conv-audit: cannot write in /proc"),
        (audit + ["--baseline", str(latin1)], {}, "not UTF-8 text (byte 48 is 0xe9)"),
        (audit + ["--baseline", str(a_file)], {}, "not JSON (Expecting value at line 1, column 1)"),
        (audit + ["--baseline", str(tmp_path / "none.json")], {}, "cannot read it (No such file or directory)"),
        (audit + baseline("list.json", []), {}, "not a baseline ({identity: {target: status}}): the top level: [] is not of type 'object'"),
        (audit + baseline("empty.json", {}), {}, "the top level: {} should be non-empty"),
        (audit + baseline("status.json", {"equals-oracle": {"numpy.correlate": "passes"}}), {},
         '["equals-oracle"]["numpy.correlate"]: \'passes\' is not one of'),
        (audit + baseline("unknown.json", {"equals-orcale": {"numpy.correlate": "holds"}, "equals-oracle": {"numpy.corr": "holds"}}), {},
         "2 entries match no identity and target of the catalogue: equals-orcale[numpy.correlate], equals-oracle[numpy.corr]"),
        (audit + ["--jobs", "0"], {}, "argument --jobs: must be a positive integer, got 0"),
        (audit + ["--jobs", "-3"], {}, "argument --jobs: must be a positive integer, got -3"),
        (audit + ["--jobs", "99999999999"], {}, "argument --jobs: must be at most"),
        (audit + ["--baseline", "/dev/zero"], {}, "--baseline /dev/zero: not a regular file"),
        (audit + ["--baseline", str(fifo)], {}, "not a regular file"),
        (audit + ["--update-baseline"], {}, "--update-baseline needs --baseline FILE"),
        (audit + ["--baseline", str(tmp_path), "--update-baseline"], {}, "is a directory, not a file"),
        (audit, {"CONV_EQUIVALENCE_PROFILE": "nosuch"}, "CONV_EQUIVALENCE_PROFILE must be one of ci, dev, thorough, got 'nosuch'"),
        (["explain", "torch-conv-is-scipy-convolve", "--html", "/proc/conv.html"], {}, "--html /proc/conv.html: cannot write in /proc"),
        (["explain", "torch-conv-is-scipy-convolve", "--html", str(tmp_path)], {}, "is a directory, not a file"),
        (["explain", "torch-conv-is-scipy-convolve"], {"CONV_EQUIVALENCE_PROFILE": "nosuch"}, "CONV_EQUIVALENCE_PROFILE must be"),
    ]


def test_every_command_line_mistake_is_one_line_and_exit_2_before_any_work(tmp_path: Path) -> None:
    for argv, env, message in _bad_lines(tmp_path):
        start = time.monotonic()
        result = _cli(*argv, env=_env(**env))
        assert result.returncode == 2, (argv, result.stdout, result.stderr)
        assert result.stderr.count("\n") == 1 and message in result.stderr, (argv, result.stderr)
        assert result.stdout == "" and "Traceback" not in result.stderr
        assert time.monotonic() - start < 20, argv
        assert not (tmp_path / "out").exists(), argv


def test_output_for_logs_is_never_wrapped(tmp_path: Path) -> None:
    out = tmp_path / ("a-directory-name-long-enough-to-wrap-" * 3)
    result = _cli("audit", "--backends", "numpy.correlate", "--identities", "equals-oracle", "--out", str(out),
                  env=_env(COLUMNS="40"))
    assert result.returncode == 0, result.stderr
    assert f"reports: {out / 'report.json'}, {out / 'report.md'}, {out / 'report.html'}\n" in result.stdout


@pytest.mark.tensorflow
def test_no_third_party_log_noise(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow", reason="tensorflow-cpu is not installed (extra [tensorflow])")
    audit = _cli("audit", "--backends", "tensorflow.nn.conv2d", "torch.functional.conv", "--identities", "keeps",
                 "--out", str(tmp_path))
    assert audit.returncode == 0, audit.stdout + audit.stderr
    explain = _cli("explain", "strided-same-is-subsampled-same")
    for result in (audit, explain):
        text = result.stdout + result.stderr
        for noise in ("absl", "oneDNN", "cpu_feature_guard", "WARNING", "I0000", "E0000", "onnxruntime"):
            assert noise not in text, (noise, text)
    assert audit.stderr == "" and explain.stderr == ""
