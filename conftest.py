"""Repository-wide pytest set-up: Hypothesis profiles (see conv_equivalence.profiles), and one
Hypothesis constant pool for every selection and every order of tests.

Hypothesis seeds generation with literals collected from the local modules imported so far
(``hypothesis.internal.conjecture.providers``), so a derandomised test could draw, and shrink,
differently under ``-k`` than in the whole suite, and under pytest-xdist differently from run to
run, as the modules that earlier tests in the same worker imported (the corpus members, the broken
kernels) vary with the scheduling: ``test_shrinks_to_a_single_number`` stopped at a 3-sample input
in one full run on Hypothesis 6.170.27 and at 1 sample when run alone or in the whole file. The pool
is therefore taken once, here, from every module of the package, and kept for the session.
"""

import importlib
import pkgutil

import conv_equivalence
from conv_equivalence.profiles import load_default

for _module in pkgutil.walk_packages(conv_equivalence.__path__, "conv_equivalence."):
    importlib.import_module(_module.name)


def _freeze_constant_pool() -> None:
    """Make Hypothesis's pool of local constants what it is now, for the rest of the session (a private
    hook: on releases without it, selection and order can still change what a derandomised test draws)."""
    from hypothesis.internal.conjecture import providers

    collect = getattr(providers, "_get_local_constants", None)
    if collect is not None:
        pool = collect()
        providers._get_local_constants = lambda: pool


_freeze_constant_pool()
load_default()


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """Mark every test whose id names TensorFlow ``tensorflow``: CI runs them in a pytest session of
    their own (``pytest -m tensorflow``), as the audit runs TensorFlow's checks in workers of their own,
    because TensorFlow has crashed when it shared a process with torch, JAX and ONNX Runtime."""
    import pytest

    for item in items:
        if "tensorflow" in item.nodeid:
            item.add_marker(pytest.mark.tensorflow)
