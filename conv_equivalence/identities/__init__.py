"""The identity catalogue: every convolution fact as a named, checkable property.

An `Identity` is a mathematical statement (in words and as a formula) with a Hypothesis
strategy of cases and a check that raises `IdentityFailure` when a case breaks it. It is
checked against *targets*: backend names (see `conv_equivalence.backends`) or, for facts about
one library's raw functions, names of those functions. ``status`` is ``"holds"`` for a true
identity and ``"differs"`` for a tempting belief that a library contradicts; a ``differs``
entry names the true identity that replaces it (``replaced_by``) or carries it as ``truth``, a
check of the corrected statement that runs on the belief's own counterexample, and the number of
array elements of the smallest counterexample one can argue for (``minimal_size``).

Modules register their identities on import; `all_identities` loads them all.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from conv_equivalence import tolerance
from conv_equivalence.backends import EXTRAS, Backend, all_backends, get_backend
from conv_equivalence.problem import ConvProblem


class IdentityFailure(AssertionError):
    """A case that breaks an identity, with both sides and where they differ."""

    def __init__(self, message: str, *, case: Any = None, left: Any = None, right: Any = None,
                 mismatch: tolerance.Mismatch | None = None) -> None:
        super().__init__(message)
        self.case, self.left, self.right, self.mismatch = case, left, right, mismatch


@dataclass(frozen=True)
class Identity:
    """A named statement about convolution, checked by Hypothesis on each of its targets."""

    id: str
    statement: str
    formula: str
    targets: Callable[[], Sequence[str]]
    strategy: Callable[[str], st.SearchStrategy[Any]]
    check: Callable[[str, Any], None]
    status: str = "holds"
    replaced_by: str | None = None
    why: str = ""
    tags: tuple[str, ...] = field(default=())
    truth: Callable[[str, Any], None] | None = None
    truth_formula: str = ""
    minimal_size: int | None = None

    def unavailable_reason(self, target: str) -> str | None:
        """``None`` when ``target`` (a backend, ``backend|backend``, or a library) can be checked here,
        else a one-line reason."""
        if "|" in target:
            return next((r for r in (self.unavailable_reason(part) for part in target.split("|")) if r), None)
        try:
            return get_backend(target).unavailable_reason()
        except KeyError:
            library = target.split(".")[0].split("[")[0]  # keras[jax]: Keras on its JAX backend
            inner = target[target.index("[") + 1:target.index("]")] if "[" in target else None
            if inner and importlib.util.find_spec(inner) is None:
                return f"{inner} is not installed (the target runs {library} on it)"
            extra = EXTRAS.get(library)
            return None if importlib.util.find_spec(library) else (
                f"{library} is not installed" + (f" (pip install 'conv-equivalence[{extra}]')" if extra else ""))


_REGISTRY: dict[str, Identity] = {}
_MODULES = ("agreement", "structure", "transposed", "gradients", "algebra", "native", "native_lax", "native_onnx", "native_tf",
            "beliefs_signal", "beliefs_numeric", "beliefs_torch", "beliefs_ndimage", "beliefs_frameworks", "beliefs_onnx",
            "beliefs_native", "native_keras", "native_flax", "native_mlx", "native_kornia", "native_astropy", "native_pillow",
            "native_jax_scipy", "native_dask")
_loaded = False


def register(identity: Identity) -> Identity:
    if identity.id in _REGISTRY:
        raise ValueError(f"identity id {identity.id!r} is already registered")
    _REGISTRY[identity.id] = identity
    return identity


def all_identities() -> list[Identity]:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _MODULES:
            importlib.import_module(f"conv_equivalence.identities.{module}")
    return list(_REGISTRY.values())


def get_identity(identity_id: str) -> Identity:
    all_identities()
    try:
        return _REGISTRY[identity_id]
    except KeyError:
        raise KeyError(f"unknown identity {identity_id!r}; `conv-equivalence explain` lists them") from None


def cases() -> list[tuple[Identity, str]]:
    """Every (identity, target) pair, available or not."""
    return [(identity, target) for identity in all_identities() for target in identity.targets()]


# -- helpers for checks ------------------------------------------------------------------------

AGREEMENT_ONLY = ("keras[", "flax.", "equinox.", "mlx.", "kornia.", "astropy.", "PIL.", "jax.scipy.", "dask_image.")
"""Backends (by name prefix) that the structure, algebra and transposed identities leave out: every answer of
theirs is compared with the oracle (the agreement family, on their whole capability space), which satisfies
those identities by construction, and their own arguments are explored by their native identities. The
structure identities, which teach what each library does, stay on the libraries audited first; checking them
again on nine more libraries would double the gate's time and find nothing the agreement family does not."""


def backends_where(predicate: Callable[[Backend], bool], *, agreement: bool = False) -> Callable[[], list[str]]:
    """Targets: the names of every registered backend satisfying ``predicate`` (``agreement``: every backend;
    otherwise those outside `AGREEMENT_ONLY`)."""
    return lambda: [b.name for b in all_backends() if predicate(b) and (agreement or not b.name.startswith(AGREEMENT_ONLY))]


def run(backend: Backend, problem: ConvProblem) -> np.ndarray:
    """The backend's answer, with torch's advisory warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return backend(problem)


def error_bound(backend: Backend, problem: ConvProblem) -> np.ndarray:
    """How far the backend's answer to ``problem`` may be from the exact one (`tolerance`)."""
    precision = backend.computing_dtype(problem.dtype)
    if backend.capabilities.error_model == "fft":
        return tolerance.fft_bound_for(problem, dtype=precision)
    return tolerance.bound_for(problem, dtype=precision)


def assert_close(left: np.ndarray, right: np.ndarray, bound: np.ndarray | float, *, what: str, case: Any) -> None:
    """Raise `IdentityFailure` unless ``|left - right| <= bound`` element by element."""
    left, right = np.asarray(left), np.asarray(right)
    if left.shape != right.shape:
        raise IdentityFailure(f"{what}: shapes differ, {left.shape} vs {right.shape}", case=case, left=left, right=right)
    mismatch = tolerance.compare(left, right, bound)
    if mismatch is not None:
        raise IdentityFailure(f"{what}\n{mismatch.describe()}", case=case, left=left, right=right, mismatch=mismatch)


def assert_within_rounding(got: np.ndarray, exact: np.ndarray, magnitude: np.ndarray, terms: int, dtype: str, *,
                           what: str, case: Any) -> None:
    """Raise `IdentityFailure` unless ``got`` is within the summation bound of ``dtype`` for ``terms`` products
    of total magnitude ``magnitude`` (`tolerance.direct_bound`) of the ``exact`` float64 answer."""
    bound = tolerance.direct_bound(magnitude, terms, dtype)
    assert_close(np.asarray(got).astype(np.float64), exact.astype(np.float64), bound, what=what, case=case)


def supported(backend: Backend, problem: ConvProblem) -> bool:
    """True when the backend can compute ``problem`` and no known issue applies."""
    return backend.capabilities.reason_unsupported(problem) is None and backend.known_issue(problem) is None


def check_backend(target: str, problem: ConvProblem, expected: Callable[[ConvProblem], np.ndarray], what: str) -> None:
    """The backend's answer to ``problem`` is within its rounding bound of ``expected(problem)``."""
    backend = get_backend(target)
    assume(supported(backend, problem))
    assert_close(run(backend, problem), expected(problem), error_bound(backend, problem), what=f"{target} vs {what}", case=problem)
