"""Tests that ``pytest --conv-impl MODULE:ATTR`` adds: one per facet of the check (`conv_equivalence.facets`).

The whole check runs once (a module fixture), so ``explained`` facets can be told apart; each test
then passes or fails with its facet's status, and prints the facet's counterexample when it fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from conv_equivalence.check import FAILING, CheckResult, UsageError, check_conv


def pytest_generate_tests(metafunc: Any) -> None:
    if "facet_name" in metafunc.fixturenames:
        from conv_equivalence import facets
        from conv_equivalence.backends import get_backend

        config = metafunc.config
        transposed = config.getoption("--conv-transposed")
        reference = get_backend("torch.functional.conv_transpose" if transposed else "torch.functional.conv")
        dtypes = reference.capabilities.dtypes
        opts = facets.Options(ndim=config.getoption("--conv-ndim"), transposed=transposed, dtypes=dtypes, grad="auto")
        names = [f.name for f in facets.build(reference.capabilities, opts, facets.base_dtype(dtypes))]
        metafunc.parametrize("facet_name", names)


@pytest.fixture(scope="module")
def check_result(pytestconfig: Any) -> CheckResult:
    spec = pytestconfig.getoption("--conv-impl")
    try:
        return check_conv(spec, ndim=pytestconfig.getoption("--conv-ndim"),
                          transposed=pytestconfig.getoption("--conv-transposed"), raise_on_failure=False)
    except UsageError as exc:
        pytest.fail(f"--conv-impl: {exc}", pytrace=False)


def test_conv_impl(check_result: CheckResult, facet_name: str) -> None:
    from conv_equivalence.render import failure_text

    result = check_result.facet(facet_name)
    if result.status in ("skipped", "declined"):
        pytest.skip(f"{result.status}: {result.note}")
    if result.status in FAILING:
        pytest.fail(failure_text(result), pytrace=False)
    if result.status == "explained":
        pytest.xfail(result.note)  # the more basic facet's test fails for it
