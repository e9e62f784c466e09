"""Tests that ``pytest --conv-impl MODULE:ATTR`` adds: one per facet of the check (`conv_equivalence.check.facets`).

The whole check runs once (a module fixture), so ``explained`` facets can be told apart; each test
then passes or fails with its facet's status, and prints the facet's counterexample when it fails.
With ``--conv-shapes NAME|FILE|all ...`` the ``real-sizes`` facet is split into one test per layer group
(a shipped model table or a table file: ``real-sizes:resnet50``), each its own check, so that
``pytest -n auto`` and ``--conv-shard I/N`` spread a whole table over cores and machines.
"""

from __future__ import annotations

from typing import Any

import pytest

from conv_equivalence.check.result import FAILING, CheckResult
from conv_equivalence.check.run import UsageError, check_conv


def pytest_generate_tests(metafunc: Any) -> None:
    if "facet_name" in metafunc.fixturenames:
        from conv_equivalence.backends import get_backend
        from conv_equivalence.check import facets

        config = metafunc.config
        transposed = config.getoption("--conv-transposed")
        reference = get_backend("torch.functional.conv_transpose" if transposed else "torch.functional.conv")
        dtypes = reference.capabilities.dtypes
        opts = facets.Options(ndim=config.getoption("--conv-ndim"), transposed=transposed, dtypes=dtypes, grad="auto")
        names = [f.name for f in facets.build(reference.capabilities, opts, facets.base_dtype(dtypes))]
        groups = layer_groups(config)
        if groups is not None:
            names = [n for n in names if n != "real-sizes"] + [f"real-sizes:{group}" for group in groups]
        metafunc.parametrize("facet_name", names)


def layer_groups(config: Any) -> list[str] | None:
    """``--conv-shapes`` words as layer groups: ``all`` is every shipped table; ``None`` without the option."""
    from conv_equivalence.check import shapes
    words = config.getoption("--conv-shapes")
    if not words:
        return None
    return [name for word in words for name in (shapes.table_names() if word == "all" else [word])]


def _options(config: Any) -> dict[str, Any]:
    return {"ndim": config.getoption("--conv-ndim"), "transposed": config.getoption("--conv-transposed"),
            "raise_on_failure": False}


@pytest.fixture(scope="module")
def check_result(pytestconfig: Any) -> CheckResult:
    spec = pytestconfig.getoption("--conv-impl")
    split = layer_groups(pytestconfig) is not None
    try:
        return check_conv(spec, exclude=["real-sizes"] if split else (), **_options(pytestconfig))
    except UsageError as exc:
        pytest.fail(f"--conv-impl: {exc}", pytrace=False)


def _real_sizes(config: Any, group: str) -> Any:
    from conv_equivalence.check import shapes
    try:
        layers = shapes.resolve([group])
    except ValueError as exc:
        pytest.fail(f"--conv-shapes: {exc}", pytrace=False)
    if not shapes.matching(layers, config.getoption("--conv-ndim"), config.getoption("--conv-transposed")):
        pytest.skip(f"{group} has no layer of this rank and kind")
    try:
        return check_conv(config.getoption("--conv-impl"), only=["real-sizes"], shapes=[group], **_options(config))
    except UsageError as exc:
        pytest.fail(f"--conv-impl: {exc}", pytrace=False)


def test_conv_impl(request: Any, facet_name: str) -> None:
    from conv_equivalence.check.render import failure_text

    if facet_name.startswith("real-sizes:"):
        result = _real_sizes(request.config, facet_name.split(":", 1)[1]).facet("real-sizes")
    else:
        result = request.getfixturevalue("check_result").facet(facet_name)
    if result.status in ("skipped", "declined"):
        pytest.skip(f"{result.status}: {result.note}")
    if result.status in FAILING:
        pytest.fail(failure_text(result), pytrace=False)
    if result.status == "explained":
        pytest.xfail(result.note)  # the more basic facet's test fails for it
