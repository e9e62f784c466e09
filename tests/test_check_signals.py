"""check's signal-processing and filter conventions (`conv_equivalence.check.signals`): scipy's own functions
pass; each deliberately broken implementation fails exactly its facet, shrunk, once (the rest explained)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conv_equivalence.check import CheckOptions, UsageError, check_conv
from conv_equivalence.profiles import PROFILES

ROOT = Path(__file__).resolve().parents[1]
CI = PROFILES["ci"]


def _check(name: str, convention: str, **options: Any) -> Any:
    return check_conv(f"tests.broken.signals:{name}", convention=convention, profile=CI, raise_on_failure=False, **options)


@pytest.mark.parametrize(("target", "convention", "options"), [
    ("tests.broken.signals:convolve", "signal", {}),  # scipy.signal.convolve(method='direct')
    ("scipy.signal:convolve", "signal", {"precision": "fft"}),  # method='auto' picks FFT for large arrays
    ("scipy.signal:correlate", "signal", {"correlate": True, "precision": "fft"}),
    ("scipy.signal:fftconvolve", "signal", {"precision": "fft"}),
    ("scipy.signal:oaconvolve", "signal", {"precision": "fft"}),
    ("scipy.signal:convolve2d", "signal2d", {}),
    ("scipy.signal:correlate2d", "signal2d", {"correlate": True}),
    ("tests.broken.signals:correlate", "filter", {"correlate": True}),
    ("tests.broken.signals:numpy_convolve", "signal", {"same": "numpy"}),
])
def test_the_libraries_own_functions_pass(target: str, convention: str, options: dict[str, Any]) -> None:
    result = check_conv(target, convention=convention, profile=CI, raise_on_failure=False, **options)
    assert result.verdict == "pass" and not result.failed, result.report()
    assert result.facet("plain").examples >= 10


@pytest.mark.parametrize(("name", "convention", "options", "facet", "size"), [
    ("overlap_add_seam", "signal", {}, "long", None),  # a seam at 4096 samples: the long facet alone reaches it
    ("same_even_off_by_one", "signal", {}, "mode:same", 4),  # in1 [0, 1], in2 [0, 1]: the even kernel's sample
    ("integers_through_float64", "signal", {}, "integers", None),
    ("first_operand_always_larger", "signal", {}, "second-longer", 3),  # in1 of 1, in2 of 2
    ("symm_as_reflect", "signal2d", {}, "boundaries", None),
    ("origin_reversed", "filter", {"correlate": True}, "origins", None),
    ("empty_garbage", "signal", {}, "empty", None),
    ("empty_index_error", "signal", {}, "empty", None),
])
def test_a_broken_implementation_fails_exactly_its_facet(name: str, convention: str, options: dict[str, Any],
                                                         facet: str, size: int | None) -> None:
    result = _check(name, convention, **options)
    assert [f.name for f in result.failed] == [facet], result.table()
    found = result.facet(facet)
    if size is not None:
        assert found.counterexample.size == size, result.report()
    assert result.report().count(f"== {facet}:") == 1


def test_an_fft_convolution_that_drops_imaginary_parts() -> None:
    """Declared FFT precision: real inputs pass within the normwise bound, complex ones fail; its 0-d defect
    (an IndexError where scipy multiplies) and its int64 results truncated from floats are its own; NaN/inf are
    not required of it."""
    result = _check("fft_drops_imaginary", "signal", precision="fft")
    assert {f.name for f in result.failed} == {"dtype:complex128", "dtype:complex64", "0-d", "integers"}, result.table()
    assert result.facet("nonfinite").status == "skipped" and result.facet("plain").status == "pass"


def test_the_reproduction_runs_standalone_and_fails() -> None:
    result = _check("same_even_off_by_one", "signal")
    script = result.facet("mode:same").reproduction
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 1 and "differs" in run.stderr, run.stdout + run.stderr
    assert "scipy.signal.convolve(a, v, 'same', method='direct')" in script


def test_json_and_numpy_same_rule() -> None:
    """np.convolve's 'same' (max(n1, n2) samples) fails second-longer under scipy's rule, passes declared."""
    scipy_rule = _check("numpy_convolve", "signal", only=["plain", "second-longer"])
    assert [f.name for f in scipy_rule.failed] == ["second-longer"] and "shape" in scipy_rule.failed[0].note
    import json

    import jsonschema

    from conv_equivalence.check.reproduce import dumps

    data = json.loads(dumps(scipy_rule.to_json()))
    jsonschema.validate(data, json.loads((ROOT / "conv_equivalence" / "check" / "schema.json").read_text()))
    assert data["facets"][1]["counterexample"]["convention"] == "signal"


@pytest.mark.parametrize(("options", "match"), [
    ({"convention": "signal", "modes": ["circular"]}, "--modes"),
    ({"convention": "filter", "same": "numpy"}, "--same"),
    ({"convention": "signal", "transposed": True}, "--transposed"),
    ({"convention": "torch", "correlate": True}, "--correlate"),
    ({"convention": "signal2d", "precision": "float32"}, "--precision"),
])
def test_bad_options_are_named_before_any_work(options: dict[str, Any], match: str) -> None:
    with pytest.raises(UsageError, match=match):
        CheckOptions(**options)


def test_numpy_correlate_with_the_longer_second_operand() -> None:
    """np.correlate's 'same' with a longer in2 correlates the swapped pair and reverses it: declared, it passes."""
    result = check_conv("numpy:correlate", convention="signal", correlate=True, same="numpy", profile=CI,
                        raise_on_failure=False, only=["plain", "mode:same", "second-longer", "even-kernels"])
    assert result.verdict == "pass", result.report()


def test_fft_precision_still_checks_integers() -> None:
    """Under --precision fft int64 results are compared exactly (a float64 result within the FFT bound): an FFT
    convolution that truncates its float result to int64 fails integers."""
    result = _check("fft_truncates_integers", "signal", precision="fft", dtypes=["int64", "float64"])
    assert [f.name for f in result.failed] == ["integers"], result.table()


def test_exclude_and_odd_kernels_for_filters() -> None:
    result = _check("correlate", "filter", correlate=True, odd_kernels=True, exclude=["nonfinite", "complex"],
                    only=["plain", "even-kernels", "nonfinite", "second-longer"])
    statuses = {f.name: f.status for f in result.facets}
    assert statuses["even-kernels"] == "skipped" and statuses["nonfinite"] == "skipped", result.table()
    assert statuses["second-longer"] == "pass", result.table()
    from conv_equivalence.check.signals import facets

    assert not any(f.name.startswith("dtype:complex") for f in facets("filter", ("reflect",), "exact",
                                                                           ("float64", "complex128"), frozenset({"complex"})))


@pytest.mark.parametrize("arrays", ["torch", "jax"])
def test_torch_and_jax_arrays(arrays: str) -> None:
    """``arrays``: the operands arrive as torch tensors or JAX arrays, the answer is read back from either; the
    reproduction hands the same arrays over."""
    pytest.importorskip(arrays)
    right = _check(f"{arrays}_convolve", "signal", arrays=arrays, only=["plain", "mode:same", "0-d", "empty",
                                                                       "dtype:complex64"])
    assert right.verdict == "pass" and right.facet("plain").examples >= 10, right.report()
    assert f"{arrays} arrays" in right.report()
    wrong = _check("convolve", "signal", arrays=arrays, only=["plain"], dtypes=["float64"])
    assert wrong.facet("plain").status == "pass"  # scipy takes both (through __array__) and answers with NumPy
    refused = _check(f"{arrays}_convolve", "signal", only=["plain"])  # NumPy arrays where tensors are expected
    assert refused.facet("plain").status == "fail" and "TypeError" in refused.report()


def test_arrays_option_is_checked() -> None:
    with pytest.raises(UsageError, match="--arrays must be one of"):
        CheckOptions(convention="signal", arrays="cupy")
    with pytest.raises(UsageError, match="--arrays is for"):
        CheckOptions(convention="torch", arrays="jax")
    with pytest.raises(UsageError, match="--device"):
        CheckOptions(convention="signal", device="cuda")


def test_empty_reproduction_runs_standalone() -> None:
    result = _check("empty_garbage", "signal", only=["empty"])
    script = result.facet("empty").reproduction
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 1 and "non-zero values" in run.stderr, run.stdout + run.stderr
