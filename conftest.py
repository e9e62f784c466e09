"""Repository-wide pytest set-up: Hypothesis profiles (see conv_equivalence.profiles), and one
Hypothesis constant pool for every selection of tests.

Hypothesis seeds generation with literals collected from the local modules already imported
(``hypothesis.internal.conjecture.providers``), so a derandomised run of one test could draw,
and shrink, differently under ``-k`` than in the whole suite. Importing every module of the
package first makes a failure found in CI replay the same way when that test runs alone.
"""

import importlib
import pkgutil

import conv_equivalence
from conv_equivalence.profiles import load_default

for _module in pkgutil.walk_packages(conv_equivalence.__path__, "conv_equivalence."):
    importlib.import_module(_module.name)

load_default()


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """Mark every test whose id names TensorFlow ``tensorflow``: CI runs them in a pytest session of
    their own (``pytest -m tensorflow``), as the audit runs TensorFlow's checks in workers of their own,
    because TensorFlow has crashed when it shared a process with torch, JAX and ONNX Runtime."""
    import pytest

    for item in items:
        if "tensorflow" in item.nodeid:
            item.add_marker(pytest.mark.tensorflow)
