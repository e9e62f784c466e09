"""`check`'s real-sizes facet end to end: each kernel that is right on small problems and wrong where real
kernels tile, block and split fails in one default run, with the boundary where it starts to fail; correct
kernels (torch's own, a NumPy im2col, a blocked NumPy GEMM) pass at every real shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conv_equivalence.check import check_conv
from conv_equivalence.profiles import PROFILES
from tests import broken
from tests.broken import real_sizes

pytest.importorskip("torch")
ROOT = Path(__file__).parents[1]
CI = PROFILES["ci"]

# kernel: (rank, the smallest failing layer's values, the dimensions whose value below passes)
BOUNDARIES = {
    "split_k_drops_remainder": (2, {"in_channels": 17}, {"in_channels": 17}),
    "tail_columns_no_bias": (2, {"out_width": 17}, {"width": 17}),
    "batch_block_wrong_item": (2, {"batch": 17}, {"batch": 17}),
    "cout_block_wrong_weights": (2, {"out_channels": 25}, {"out_channels": 25}),
    "large_kernel_loses_tap": (2, {"kernel": (7, 7)}, {"kernel height": 7, "kernel width": 7}),
    "patch_embed_drops_last_patch": (2, {"width": 128, "stride": (8, 8)}, {"width": 128, "patch height (kernel = stride)": 8}),
    "depthwise_wide_border": (2, {"out_width": 65, "groups": 2}, {"channels (C_in = groups)": 2, "padding width": 1}),
    "row_tiles_last_tile": (2, {"out_height": 33}, {"height": 33}),
    "long_signal_block_seams": (1, {"out_length": 4097, "kernel": (2,)}, {"kernel": 2}),
}


def _value(layer, key):  # type: ignore[no-untyped-def]
    return {"batch": layer.batch, "in_channels": layer.in_channels, "out_channels": layer.out_channels,
            "kernel": layer.kernel, "stride": layer.stride, "groups": layer.groups, "width": layer.size[-1],
            "out_width": layer.output_size[-1], "out_height": layer.output_size[0], "out_length": layer.output_size[0]}[key]


@pytest.mark.parametrize("name", sorted(BOUNDARIES))
def test_each_real_size_defect_fails_once_with_its_boundary(name: str) -> None:
    ndim, smallest, boundaries = BOUNDARIES[name]
    assert name in real_sizes.REAL_SIZE_DEFECTS
    result = check_conv(getattr(real_sizes, name), ndim=ndim, only=["real-sizes"], profile=CI, raise_on_failure=False)
    facet = result.facet("real-sizes")
    assert facet.status == "fail", result.report()
    real = facet.real
    layer = real.smallest.layer
    for key, value in smallest.items():
        assert _value(layer, key) == value, (key, layer.line())
    found = {b.dimension: b for b in real.boundaries}
    for dimension, value in boundaries.items():
        assert found[dimension].value == value and found[dimension].below == "passes", real.boundaries
    # every other dimension shrank as far as the defect allows: the counterexample is small
    assert layer.batch <= 17 and layer.in_channels <= 17 and layer.out_channels <= 25, layer.line()
    assert facet.failure is not None and facet.failure.atol == 0  # exact data: compared exactly
    text = result.report()
    assert text.count("where it starts to fail") == 1 and "seed" in text
    assert len(text) < 8000  # shapes, a rule and a seed: no grids of megabytes


def test_a_real_size_reproduction_rebuilds_the_data_and_fails_standalone(tmp_path: Path) -> None:
    result = check_conv("tests.broken.real_sizes:split_k_drops_remainder", only=["real-sizes"], profile=CI,
                        raise_on_failure=False)
    script = tmp_path / "repro.py"
    script.write_text(result.facet("real-sizes").reproduction or "")
    assert "exact_operands(" in script.read_text() and "[[" not in script.read_text()  # the rule, not literals
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "differs from torch exactly" in run.stderr, run.stderr[-2000:]


@pytest.mark.parametrize("name", ["im2col_numpy", "blocked_gemm_numpy"])
def test_correct_numpy_kernels_pass_at_real_sizes(name: str) -> None:
    result = check_conv(getattr(real_sizes, name), only=["real-sizes"], profile=CI, raise_on_failure=False,
                        nondeterministic=False)
    assert result.facet("real-sizes").status == "pass", result.report()


@pytest.mark.parametrize("ndim, transposed", [(1, False), (2, False), (2, True), (3, False)])
def test_torch_passes_the_default_real_sizes_at_every_rank(ndim: int, transposed: bool) -> None:
    fn = broken.correct_transposed if transposed else broken.correct
    result = check_conv(fn, ndim=ndim, transposed=transposed, only=["real-sizes"], profile=CI, raise_on_failure=False)
    facet = result.facet("real-sizes")
    assert facet.status == "pass", result.report()
    assert facet.examples >= 10


def test_a_nondeterministic_kernel_fails_and_can_be_declared() -> None:
    result = check_conv(broken.real_sizes_racy, only=["real-sizes"], profile=CI, raise_on_failure=False)
    facet = result.facet("real-sizes")
    assert facet.status == "fail" and facet.failure.kind == "nondeterministic", result.report()
    assert "two calls on the same inputs" in facet.failure.message
    declared = check_conv(broken.real_sizes_racy, only=["real-sizes"], profile=CI, raise_on_failure=False,
                          nondeterministic=True)
    assert declared.facet("real-sizes").status == "pass", declared.report()


def test_a_slow_kernel_is_declined_as_too_slow_not_failed() -> None:
    result = check_conv(broken.real_sizes_slow, only=["real-sizes"], profile=CI, raise_on_failure=False, time_limit=2)
    facet = result.facet("real-sizes")
    assert facet.status == "declined" and "too slow at this size" in facet.note, result.report()


def test_shapes_options_pick_tables_files_and_models(tmp_path: Path) -> None:
    table = tmp_path / "mine.txt"
    table.write_text("# model: mine\nwide conv2d n=2 in=24 out=40 size=40x40 k=3 p=1\n")
    result = check_conv("tests.broken.real_sizes:split_k_drops_remainder", only=["real-sizes"], profile=CI,
                        raise_on_failure=False, shapes=[str(table)])
    assert result.facet("real-sizes").status == "fail"
    assert result.facet("real-sizes").real.first.layer.label in ("mine:wide",) or \
        result.facet("real-sizes").real.first.layer.model == "drawn"
    run = subprocess.run([sys.executable, "-m", "conv_equivalence.cli", "check", "tests.broken:correct", "--facets",
                          "real-sizes", "--shapes-from", "tests.broken:tiny_model", "--input-size", "2x3x40x40",
                          "--json", str(tmp_path / "r.json")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    facet = json.loads((tmp_path / "r.json").read_text())["facets"][0]
    assert facet["name"] == "real-sizes" and facet["status"] == "pass" and "harvested" in facet["note"]


@pytest.mark.parametrize("args, words", [
    (["--shapes", "nosuch"], "--shapes 'nosuch' is neither 'all', a shipped table"),
    (["--shapes", "whisper"], "no layer is a 2-D convolution"),
    (["--shapes", "resnet50", "--shapes-from", "x:y"], "not both"),
    (["--input-size", "1x3x8x8"], "--input-size is the sample input of --shapes-from"),
    (["--shapes-from", "tests.broken:tiny_model", "--input-size", "3x8"], "--input-size must be the sample input's shape"),
])
def test_bad_shape_options_are_usage_errors_before_any_work(args: list[str], words: str) -> None:
    run = subprocess.run([sys.executable, "-m", "conv_equivalence.cli", "check", "tests.broken:correct", *args],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and words in run.stderr, run.stderr


def test_the_testing_api_draws_real_sizes_and_reports_the_boundary() -> None:
    from hypothesis import Phase, given, settings

    from conv_equivalence.testing import assert_matches, real_convolutions

    kernel = real_sizes.split_k_drops_remainder
    layer_file = ROOT / "tests" / "broken" / "real_size_table.txt"

    # Hypothesis's own shrinking left out (its steps at real sizes are slow): the boundary search is the point
    @settings(max_examples=5, database=None, derandomize=True, deadline=None, phases=(Phase.explicit, Phase.generate))
    @given(real_convolutions("torch", shapes=[str(layer_file)], dtypes=["float32"]))
    def test_kernel(conv):  # type: ignore[no-untyped-def]
        assert_matches(conv, kernel(*conv.args), name="split_k", function=kernel)

    with pytest.raises(AssertionError) as info:
        test_kernel()
    text = str(info.value)
    assert "in_channels: fails from 17 (passes at 16)" in text and "exact_operands(" in text, text

    @settings(max_examples=3, database=None, derandomize=True, deadline=None)
    @given(real_convolutions("numpy", shapes=[str(layer_file)], dtypes=["float64"]))
    def test_correct(conv):  # type: ignore[no-untyped-def]
        assert_matches(conv, real_sizes.im2col_numpy(*(__import__("torch").from_numpy(a) if a is not None and
                                                        hasattr(a, "dtype") else a for a in conv.args)).numpy())

    test_correct()


def test_the_pytest_plugin_splits_real_sizes_into_one_test_per_layer_group() -> None:
    run = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "conv_equivalence" / "pytest_plugin" / "impl_tests.py"), "-q", "-rA",
                          "--conv-impl", "tests.broken.real_sizes:split_k_drops_remainder", "--conv-shapes", "mobilenet_v2",
                          "whisper", "-k", "real-sizes", "-p", "no:cacheprovider", "--rootdir", str(ROOT), "-o", "addopts="],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "CI": "true"})
    out = run.stdout
    # one test a layer group: MobileNetV2's fails (the split-K defect), Whisper's is skipped (its layers are 1-D)
    assert "FAILED conv_equivalence/pytest_plugin/impl_tests.py::test_conv_impl[real-sizes:mobilenet_v2]" in out, out[-3000:]
    assert "whisper has no layer of this rank and kind" in out and "1 failed, 1 skipped" in out, out[-3000:]
