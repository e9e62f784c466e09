"""Repository-wide pytest set-up: Hypothesis profiles (see conv_equivalence.profiles), and one
Hypothesis constant pool for every selection and order of tests and every way of installing.

Hypothesis seeds generation with literals collected from the *local* modules imported so far
(``hypothesis.internal.conjecture.providers``), so a derandomised test could draw, and shrink,
differently under ``-k`` than in the whole suite; under pytest-xdist differently with what earlier
tests in the same worker imported (the corpus members, the broken kernels); and differently when
tox installs the package into site-packages, which is not local: there, in tox's ``newest``
environment, ``test_shrinks_to_a_single_number`` stopped at a 3-sample input where the editable
install reaches 1 sample. The pool is therefore made here, once, from the package's own modules and
this file, and kept for the session.
"""

import importlib
import pkgutil
import sys

import pytest

import conv_equivalence
from conv_equivalence.profiles import load_default

PACKAGE_MODULES = [importlib.import_module(m.name) for m in pkgutil.walk_packages(conv_equivalence.__path__, "conv_equivalence.")
                   if not m.name.endswith(".__main__")]  # `python -m conv_equivalence.cli` runs the command


def _freeze_constant_pool() -> None:
    """Hypothesis's pool of local constants: the package's modules and this file, wherever the package is
    installed, for the whole session (private hooks: on releases without them the pool is Hypothesis's own)."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants, constants_from_module
    except ImportError:
        return
    if not hasattr(providers, "_get_local_constants"):
        return
    pool = Constants()
    for module in [conv_equivalence, *PACKAGE_MODULES, sys.modules[__name__]]:
        pool |= constants_from_module(module)
    providers._get_local_constants = lambda *args: pool
    if hasattr(providers, "CONSTANTS_CACHE"):  # filled from the pool on first use
        providers.CONSTANTS_CACHE.cache.clear()


load_default()


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session):  # type: ignore[no-untyped-def]
    """After Hypothesis's plugin has ended its start-up, during which reading its constants cache is a
    side effect it warns of."""
    _freeze_constant_pool()


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """Mark every test whose id names TensorFlow ``tensorflow``: CI runs them in a pytest session of
    their own (``pytest -m tensorflow``), as the audit runs TensorFlow's checks in workers of their own,
    because TensorFlow has crashed when it shared a process with torch, JAX and ONNX Runtime."""
    for item in items:
        if "tensorflow" in item.nodeid:
            item.add_marker(pytest.mark.tensorflow)
