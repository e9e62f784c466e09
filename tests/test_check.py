"""`check`: torch's own conv passes; each deliberately broken one is caught by the identity aimed at it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conv_equivalence.check import UsageError, check_conv, load_callable
from conv_equivalence.profiles import PROFILES
from tests import broken

pytest.importorskip("torch")
ROOT = Path(__file__).parents[1]


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conv_equivalence.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env={"CI": "true", "PATH": "/usr/bin:/bin", "COLUMNS": "200",
                                                       "PYTHONPATH": str(ROOT)})


def test_torch_itself_passes_every_identity() -> None:
    result = check_conv(broken.correct, ndim=2)
    assert not result.failed
    assert {v.identity for v in result.verdicts} == {"equals-oracle", "equals-oracle-within-rounding",
                                                     "nonfinite-propagates", "keeps-dtype-and-shape"}


@pytest.mark.parametrize("name,identity", [
    ("flipped_last_axis", "equals-oracle"),
    ("strides_swapped", "equals-oracle"),
    ("padding_one_off", "equals-oracle"),
    ("dilation_axes_confused", "equals-oracle"),
    ("wrong_groups", "equals-oracle"),
    ("bias_twice", "equals-oracle"),
    ("wrong_beyond_tile", "equals-oracle"),
    ("float32_inside", "equals-oracle-within-rounding"),
    ("returns_float32", "keeps-dtype-and-shape"),
    ("nan_to_zero", "nonfinite-propagates"),
    ("reads_storage", "equals-oracle"),
    ("raises", "equals-oracle"),
    ("returns_numpy", "equals-oracle"),
])
def test_broken_implementation_is_caught(name: str, identity: str) -> None:
    # The ci profile, whatever the environment: the verdict must not depend on a random draw.
    result = check_conv(getattr(broken, name), ndim=2, identities=[identity], raise_on_failure=False, time_limit=5,
                        profile=PROFILES["ci"])
    assert [v.outcome for v in result.verdicts] in (["regression"], ["error"]), result.report()
    assert "counterexample" in result.report()


def test_hanging_implementation_gets_a_verdict() -> None:
    result = check_conv(broken.hangs, ndim=1, identities=["equals-oracle"], raise_on_failure=False, time_limit=0.2)
    assert result.verdicts[0].outcome == "error"
    assert "took longer than 0.2s" in result.verdicts[0].message


def test_check_conv_raises_assertion_with_report() -> None:
    with pytest.raises(AssertionError, match="equals-oracle: FAIL"):
        check_conv(broken.flipped_last_axis, ndim=1, identities=["equals-oracle"])


@pytest.mark.parametrize("spec,message", [
    ("tests.broken", "expected MODULE:ATTR"),
    ("no_such_module_xyz:f", "cannot import module 'no_such_module_xyz'"),
    ("tests.broken:missing", "has no attribute 'missing'"),
    ("tests.broken:not_callable", "is not callable"),
])
def test_bad_callable_is_a_usage_error(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_callable(spec)


def test_cli_exit_codes_and_printout() -> None:
    ok = _cli("check", "tests.broken:correct", "--ndim", "1")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "no discrepancy found" in ok.stdout
    bad = _cli("check", "tests.broken:flipped_last_axis", "--ndim", "1", "--dtypes", "float64")
    assert bad.returncode == 1
    for needle in ("counterexample", "parameters:", "input (", "weight (", "expected (oracle)", "got (the implementation)",
                   "reproduce_failure"):
        assert needle in bad.stdout, needle
    usage = _cli("check", "tests.broken:not_callable")
    assert usage.returncode == 2
    assert usage.stdout == "" and usage.stderr.count("\n") == 1 and "Traceback" not in usage.stderr


def test_audit_reports_and_baseline_gate(tmp_path: Path) -> None:
    base = tmp_path / "baseline.json"
    args = ["audit", "--backends", "numpy", "--identities", "equals-oracle", "keeps", "--out", str(tmp_path / "out")]
    first = _cli(*args, "--baseline", str(base), "--update-baseline")
    assert first.returncode == 0, first.stdout + first.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(report, json.loads((ROOT / "conv_equivalence" / "report_schema.json").read_text()))
    assert report["schema_version"] == 1 and report["counts"] == {"holds": 6}
    _parse_html((tmp_path / "out" / "report.html").read_text(), expect_cells=6)
    assert {r["outcome"] for r in report["results"]} == {"holds"}
    assert (tmp_path / "out" / "report.md").read_text().startswith("# conv-equivalence audit")
    assert not list((tmp_path / "out").glob(".*tmp"))
    same = _cli(*args, "--baseline", str(base))
    assert same.returncode == 0, same.stdout
    changed = json.loads(base.read_text())
    changed["equals-oracle"]["numpy.convolve"] = "differs"
    base.write_text(json.dumps(changed))
    gate = _cli(*args, "--baseline", str(base))
    assert gate.returncode == 1
    assert "baseline says differs, now holds" in gate.stdout
    # the other direction: the baseline expects a belief to hold, the library refutes it
    belief = _cli("audit", "--backends", "torch", "--identities", "torch-conv-is", "--out", str(tmp_path / "b"),
                  "--baseline", str(_write(tmp_path / "b.json", {"torch-conv-is-scipy-convolve": {"torch": "holds"}})))
    assert belief.returncode == 1
    assert "baseline says holds, now differs" in belief.stdout


def test_explain_lists_and_refutes() -> None:
    listing = _cli("explain")
    assert listing.returncode == 0 and "torch-conv-is-scipy-convolve" in listing.stdout
    one = _cli("explain", "torch-conv-is-scipy-convolve")
    assert one.returncode == 0
    assert "x (2,) float64:\n         0  1" in one.stdout and "w (2,) float64:\n         0  1" in one.stdout
    assert "holds on this counterexample" in one.stdout
    assert _cli("explain", "no-such-identity").returncode == 2


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


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
            if tag == "td" and any(k == "title" and v in ("holds", "differs", "regression", "unsupported", "error") for k, v in attrs):
                self.cells += 1

        def handle_endtag(self, tag: str) -> None:
            assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"

    checker = Checker()
    checker.feed(text)
    assert checker.stack == [] and checker.cells == expect_cells


def test_html_report_draws_counterexamples(tmp_path: Path) -> None:
    result = _cli("audit", "--backends", "torch", "--identities", "torch-conv-is", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    text = (tmp_path / "report.html").read_text()
    _parse_html(text, expect_cells=1)
    for caption in ("argument 0", "argument 1", "expected", "got", "got - expected"):
        assert f"<figcaption>{caption}" in text, caption


def test_a_crashing_library_costs_only_its_own_check() -> None:
    """A backend that kills its process (as a segfault in native code does) gets an error verdict; the rest run."""
    import os
    import signal

    from conv_equivalence.audit import run_audit
    from conv_equivalence.backends import Backend, Capabilities, register
    from conv_equivalence.identities import get_identity

    def crash(problem: object) -> None:
        import faulthandler

        faulthandler.disable()  # pytest's handler would print the dying worker's stack into the log
        os.kill(os.getpid(), signal.SIGSEGV)

    register(Backend("test.crashes", "numpy", "kills its own process", Capabilities(ranks=(1,)), crash), replace=True)
    identity = get_identity("equals-oracle")
    pairs = [(identity, "test.crashes"), (identity, "numpy.correlate"), (identity, "scipy.signal.correlate[direct]")]
    result = run_audit(pairs, "ci", PROFILES["ci"], jobs=2)
    outcomes = [v.outcome for v in result.verdicts]
    assert outcomes == ["error", "holds", "holds"], result.verdicts
    assert "worker process died" in result.verdicts[0].message
