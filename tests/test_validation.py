"""Bad input to the public API is refused at the door: only ``ValueError``/``TypeError`` naming the
parameter, quickly and without allocating, whatever the value (issue 11's hostile-user list included)."""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conv_equivalence import oracle
from conv_equivalence.problem import ConvSpec

# Values that no integer parameter may take: bools are not ints, bytes and ranges are not tuples,
# floats are not ints, and sizes past 2**31 - 1 or the memory budget are refused.
NOT_INTS = [True, False, 1.5, float("nan"), "1", b"\x01", range(1, 2), None, [1.0], (True,), {}, object(),
            10**19, 10**30, -10**30, np.array([1]), (1, 2, 3, 4), [[1]], -1]
BAD_ARRAYS = ["abc", b"x", True, [[1], [1, 2]], np.array(["a"]), np.ones((2, 2), bool), {}, None, 3]
PARAMETERS = ["stride", "padding", "dilation", "groups", "padding_mode", "output_padding"]

X, W = np.ones((1, 2, 5)), np.ones((2, 2, 2))


def _refused(call: Any, name: str) -> None:
    """``call()`` either succeeds or raises ValueError/TypeError naming ``name``, within 1 s and 64 MB."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        call()
    except (ValueError, TypeError) as exc:
        assert name in str(exc), f"{type(exc).__name__} does not name {name!r}: {exc}"
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert seconds < 1.0, f"{seconds:.2f}s to refuse"
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MB allocated to refuse"


@settings(max_examples=300)
@given(st.sampled_from(PARAMETERS), st.sampled_from(NOT_INTS), st.booleans())
def test_conv_parameters_refused_by_name(name: str, value: object, transposed: bool) -> None:
    if transposed and name == "padding_mode":
        return  # conv_transpose has no padding_mode
    if name == "padding" and value == -1:
        value = -2
    kwargs = {name: value}
    call = (lambda: oracle.conv_transpose(X, W, **kwargs)) if transposed else (lambda: oracle.conv(X, W, **kwargs))
    _refused(call, "output_padding" if name == "output_padding" else name)


@settings(max_examples=200)
@given(st.sampled_from(["input", "weight", "bias"]), st.sampled_from(BAD_ARRAYS), st.booleans())
def test_conv_arrays_refused_by_name(name: str, value: object, transposed: bool) -> None:
    if name == "bias" and value is None:
        return  # no bias: valid
    arrays = {"input": X, "weight": W, "bias": np.ones(2)}
    arrays[name] = value
    fn = oracle.conv_transpose if transposed else oracle.conv
    _refused(lambda: fn(arrays["input"], arrays["weight"], arrays["bias"]), name)


@settings(max_examples=200)
@given(st.sampled_from(["in1", "in2", "mode"]), st.sampled_from(BAD_ARRAYS + ["circular", b"full", 1]),
       st.sampled_from([oracle.correlate, oracle.convolve]))
def test_signal_arguments_refused_by_name(name: str, value: object, fn: Any) -> None:
    args = {"in1": np.ones(4), "in2": np.ones(2), "mode": "full"}
    args[name] = value
    _refused(lambda: fn(args["in1"], args["in2"], args["mode"]), name if name != "mode" else "mode")


@pytest.mark.parametrize("call,name", [
    (lambda: ConvSpec.create(True), "ndim"),
    (lambda: ConvSpec.create(2.0), "ndim"),  # type: ignore[arg-type]
    (lambda: ConvSpec.create(4), "ndim"),
    (lambda: ConvSpec.create(1, stride=10**19), "stride"),
    (lambda: ConvSpec.create(1, stride=(True,)), "stride"),
    (lambda: ConvSpec.create(1, padding=b"\x01"), "padding"),  # type: ignore[arg-type]
    (lambda: ConvSpec.create(1, stride=range(1, 2)), "stride"),  # type: ignore[arg-type]
    (lambda: ConvSpec.create(1, transposed="yes"), "transposed"),  # type: ignore[arg-type]
    (lambda: oracle.conv(np.ones((1, 1, 5)), np.ones((1, 1, 1)), padding=10**9), "memory budget"),
    # an empty axis is defined only with zero padding long enough for the kernel (issue 25: answered, as TensorFlow does)
    (lambda: oracle.conv(np.ones((1, 1, 0)), np.ones((1, 1, 3)), padding=1), "input"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_issue_11_cases_are_refused(call: Any, name: str) -> None:
    with pytest.raises((ValueError, TypeError), match=name):
        call()
    _refused(call, name)
