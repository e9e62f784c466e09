"""`check` on what implementations legitimately do: decline during shrinking, have no backward, warn;
and the checker's own failure is its own exit code, never a verdict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conv_equivalence.check import check_conv
from conv_equivalence.profiles import PROFILES
from tests import broken

pytest.importorskip("torch")
ROOT = Path(__file__).parents[1]
CI = PROFILES["ci"]


def test_a_candidate_declined_while_shrinking_does_not_crash_the_check() -> None:
    result = check_conv(broken.declines_height_one, profile=CI, only=["padding"], raise_on_failure=False)
    padding = result.facet("padding")
    assert padding.status == "fail" and padding.counterexample is not None, result.report()
    assert padding.counterexample.problem.x.shape[2] > 1  # the declined height is never the counterexample


def test_a_forward_only_kernel_declines_the_gradient_facets_and_passes() -> None:
    result = check_conv(broken.numpy_backed, ndim=1, profile=CI, examples=10, raise_on_failure=False,
                        exclude=["real-sizes"])
    for name in ("grad", "double-grad"):
        facet = result.facet(name)
        assert facet.status == "declined" and "forward-only" in facet.note and "RuntimeError" in facet.note, result.report()
    assert result.verdict == "pass", result.report()
    required = check_conv(broken.numpy_backed, ndim=1, profile=CI, only=["grad"], grad=True, raise_on_failure=False)
    assert required.facet("grad").status == "fail", required.report()


def test_warnings_are_printed_once_per_run_with_their_facets() -> None:
    result = check_conv(broken.warns, ndim=1, profile=CI, examples=10, raise_on_failure=False,
                        only=["plain", "stride", "padding", "dilation"])
    lines = [line for line in result.report().splitlines() if line.startswith("warning")]
    assert len(lines) == 1, result.report()
    assert "plain" in lines[0] and "stride" in lines[0] and "padding" in lines[0] and len(lines[0]) < 300
    data = result.to_json()
    assert all(f["warnings"] for f in data["facets"])  # the JSON keeps every facet's count


def test_long_notes_are_cut_to_one_line_in_the_table() -> None:
    result = check_conv(broken.raises_deep, ndim=1, profile=CI, examples=10, only=["plain"], raise_on_failure=False)
    result.facet("plain").note = "x" * 400 + "\nsecond line"
    row = result.table().splitlines()[1]
    assert len(row) < 200 and row.endswith("…") and "second" not in row
    assert result.to_json()["facets"][0]["note"].endswith("second line")


def test_the_checkers_own_failure_is_exit_3_with_one_line(tmp_path: Path) -> None:
    script = tmp_path / "boom.py"
    script.write_text("import sys\nimport conv_equivalence.cli.check as cc\nfrom conv_equivalence import cli\n"
                      "def boom(*a, **k):\n    raise RuntimeError('a bug in the checker')\n"
                      "cc.check_conv = boom\nsys.exit(cli.main(['check', 'tests.broken:correct']))\n")
    run = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 3, run.stdout + run.stderr
    assert run.stderr.count("\n") == 1 and "internal error" in run.stderr and "a bug in the checker" in run.stderr


def _failing(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.name for f in result.facets if f.status in ("fail", "crash", "timeout")}


def test_a_failing_plain_rebases_on_a_variation_that_passes_and_every_defect_shows() -> None:
    result = check_conv(broken.needs_bias_and_more, ndim=1, profile=CI, raise_on_failure=False,
                        exclude=["real-sizes", "grad", "double-grad"])
    assert _failing(result) == {"plain", "padding-strings", "groups", "dtype:int64"}, result.report()
    assert "base: bias given" in result.report()
    assert result.facet("groups").base == "bias given" and result.facet("plain").base == "plain"
    assert all(f["base"] for f in result.to_json()["facets"])


def test_a_dtype_base_reaches_the_explanations() -> None:
    result = check_conv(broken.downcasts_and_more, ndim=1, profile=CI, raise_on_failure=False,
                        exclude=["real-sizes", "grad", "double-grad"])
    assert _failing(result) == {"plain", "padding-strings", "empty-batch"}, result.report()
    assert result.facet("padding-strings").base == "float32", result.report()


def test_a_same_only_function_is_checked_from_a_same_base() -> None:
    result = check_conv(broken.same_only, ndim=1, profile=CI, raise_on_failure=False, examples=20,
                        exclude=["real-sizes", "grad", "double-grad"])
    assert result.facet("plain").status == "pass" and result.facet("plain").base == "padding 'same'", result.report()
    assert "base: padding 'same'" in result.report(), result.report()
    assert not _failing(result) and result.verdict == "pass", result.report()
    assert result.facet("dilation").status == "pass" and result.facet("dilation").base == "padding 'same'"


def test_a_layer_reports_the_weight_it_convolves_with() -> None:
    """A weight-standardised layer gets a value verdict through conv_equivalence_weight(): right passes every
    facet (gradients of the input and bias checked against the reported weight), a dropped dilation fails
    exactly the dilation facet."""
    right = check_conv("tests.broken:StdConv2d", convention="layer", profile=CI, examples=15, raise_on_failure=False,
                       exclude=["real-sizes"])
    assert right.verdict == "pass" and not right.failed, right.report()
    assert right.facet("plain").examples >= 10 and right.facet("grad").status == "pass", right.table()
    wrong = check_conv("tests.broken:StdConv2dForgetsDilation", convention="layer", profile=CI, examples=15,
                       raise_on_failure=False, exclude=["real-sizes"])
    assert [f.name for f in wrong.failed] == ["dilation"], wrong.table()


def test_a_declared_domain_draws_inside_it() -> None:
    """A depthwise image filter (one odd square kernel for every channel, 'same' or no padding, no stride) declines
    almost every draw of an undeclared check; declared once, every facet draws inside the domain: groups and
    nonfinite are checked, and the filter's border defect (kernels of 3 and more) is found."""
    domain = dict(depthwise=True, shared_kernel=True, odd_kernels=True, square_kernels=True,
                  exclude=["stride", "dilation", "padding", "real-sizes"])
    right = check_conv(broken.depthwise_filter, profile=CI, raise_on_failure=False, **domain)
    statuses = {f.name: f.status for f in right.facets}
    assert right.verdict == "pass" and statuses["groups"] == "pass" and statuses["nonfinite"] == "pass", right.table()
    assert right.facet("groups").examples >= 10 and "declared domain" in "\n".join(right.notes), right.report()
    wrong = check_conv(broken.depthwise_filter_short_border, profile=CI, raise_on_failure=False, **domain)
    assert "padding-strings" in [f.name for f in wrong.failed], wrong.table()
    shape = wrong.facet("padding-strings").counterexample.problem.weight.shape
    assert shape[-1] == 3 and shape[1] == 1, wrong.report()


def test_rebasing_keeps_the_failing_base_covered() -> None:
    """plain fails in float64 (computed in float32) and the facets are checked from float32, which passes; tried
    on the failing float64 base too, groups and dilation raise there: each reported under its own facet, from
    that base, and nothing else fails."""
    result = check_conv(broken.float32_inside_and_raises, ndim=1, profile=CI, examples=20, raise_on_failure=False,
                        exclude=["real-sizes"], grad=False)
    failed = {f.name: f for f in result.failed}
    assert set(failed) == {"plain", "groups", "dilation"}, result.table()
    for name in ("groups", "dilation"):
        assert failed[name].failure.kind == "raised" and "float64" in failed[name].base, result.report()
        assert failed[name].counterexample.problem.dtype == "float64", result.report()
    assert result.facet("stride").status == "pass" and "float32" in result.facet("stride").base, result.table()


def test_a_shared_kernel_is_judged_by_its_gradient_sum() -> None:
    """Under --shared-kernel only the weight gradient's sum over the channels is defined: a filter that reads one
    kernel (its gradient all in that slot) passes grad; the input gradient is still checked element by element."""
    result = check_conv(broken.reads_first_kernel, profile=CI, examples=20, raise_on_failure=False, depthwise=True,
                        shared_kernel=True, odd_kernels=True, square_kernels=True,
                        exclude=["stride", "dilation", "padding", "real-sizes"], only=["plain", "groups", "grad"])
    assert result.verdict == "pass" and result.facet("grad").status == "pass", result.report()
