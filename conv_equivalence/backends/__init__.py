"""Backends: one adapter per library function, each computing a canonical `ConvProblem`.

A backend takes a problem in torch's convention (cross-correlation, ``(N, C, *spatial)``
input, ``(C_out, C_in/groups, *kernel)`` weight, torch padding placement and modes) and
returns the library's answer as a NumPy array, translating the problem into the library's
own conventions (kernel flips, 'same' placements, boundary names, layouts) on the way. What a
library cannot express is declared in its `Capabilities`, so strategies never ask for it.

Frameworks are imported lazily, when a backend runs or is asked whether it is available, so
that this package imports without any of them.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from conv_equivalence.capabilities import (  # noqa: F401 (re-exported: adapters declare their capabilities here)
    COMPLEX_DTYPES,
    FLOAT_DTYPES,
    INTEGER_DTYPES,
    LAYOUTS,
    Capabilities,
)
from conv_equivalence.problem import ConvProblem

EXTRAS = {"jax": "jax", "onnx": "onnx", "onnxruntime": "onnx", "cv2": "opencv", "tensorflow": "tensorflow",
          "keras": "keras", "flax": "flax", "equinox": "equinox", "mlx": "mlx", "kornia": "kornia", "astropy": "astropy",
          "PIL": "pillow", "dask_image": "dask-image"}
"""The pyproject extra that installs each optional framework (by import name)."""


def cpu_reason(flag: str) -> str | None:
    """``None`` when this CPU has the instruction-set ``flag`` (as ``/proc/cpuinfo`` names it, e.g.
    ``avx512f``), else a reason for `KnownIssue.condition`: some defects live in one CPU code path."""
    try:
        with open("/proc/cpuinfo") as handle:
            flags = handle.read()
    except OSError:
        return f"cannot read the CPU's flags to look for {flag}"
    return None if f" {flag}" in flags else f"seen only on a CPU with {flag} (this CPU has none)"


@dataclass(frozen=True)
class DtypeRule:
    """How a library function chooses its result dtype and computes in it, as its documentation says.

    ``result(in1, in2)`` is the result dtype for operands of these dtypes; ``integers`` says what
    happens to an integer result: ``"wrap"`` (exact, modulo ``2**bits``, two's complement),
    ``"truncate"`` (a float64 sum cast to the integer dtype: rounded toward zero; a sum outside the
    dtype's range is undefined behaviour of the C cast and is not checked) or ``"round-saturate"``
    (rounded half to even, then clamped to the dtype's range, as OpenCV's ``saturate_cast``);
    ``accumulates_in(result)`` is the dtype whose rounding the float result carries. ``text`` states
    the rule in words, for reports.
    """

    result: Callable[[np.dtype, np.dtype], np.dtype]
    integers: str
    accumulates_in: Callable[[np.dtype], np.dtype]
    text: str


@dataclass(frozen=True)
class KnownIssue:
    """A verified defect of a library on some problems, kept as data instead of an xfail.

    ``matches(problem)`` says whether a problem can hit it; property tests leave such
    problems out, and ``example()`` is a problem that shows it, which a test keeps checking so
    that a fixed library is noticed (the entry is then stale and should go). ``verified_with``
    is the ``package==version`` it was verified on; other versions may not have it.
    ``script`` is the specific part of its standalone reproduction (`conv_equivalence.teach.repro`:
    Python that sets ``expected`` and ``actual`` for ``example()``), and ``reported`` where the
    defect stands in the library's public tracker. ``condition()`` is ``None`` where the defect
    can show on this machine, else why not (a code path that depends on the CPU or on a setting).
    ``intermittent`` marks a defect that reads memory the library never wrote: whether it shows
    depends on what the process allocated before, so it is checked in a fresh process, repeatedly.
    ``crashes`` marks one that kills the process (a segmentation fault): it is checked in a child process.
    """

    id: str
    summary: str
    matches: Callable[[ConvProblem], bool]
    example: Callable[[], ConvProblem]
    verified_with: str = ""
    script: str = ""
    reported: str = ""
    condition: Callable[[], str | None] = field(default=lambda: None)
    intermittent: bool = False
    crashes: bool = False

    def other_version(self) -> str | None:
        """``None`` when the installed package is the version this issue was verified on, else what differs."""
        package, _, version = self.verified_with.partition("==")
        if not version:
            return None
        try:
            installed = importlib.metadata.version(package).split("+")[0]  # 2.13.0+cpu is 2.13.0
        except importlib.metadata.PackageNotFoundError:
            return f"verified on {self.verified_with}; {package} is not installed"
        return None if installed == version else f"verified on {self.verified_with}; {package} here is {installed}"


@dataclass(frozen=True)
class Backend:
    """A named adapter: ``run(problem)`` computes the problem with one library function."""

    name: str
    library: str
    summary: str
    capabilities: Capabilities
    run: Callable[[ConvProblem], np.ndarray]
    available_check: Callable[[], str | None] = field(default=lambda: None)
    computing_dtype: Callable[[str], str] = field(default=lambda dtype: dtype)
    known_issues: tuple[KnownIssue, ...] = ()

    def known_issue(self, problem: ConvProblem) -> KnownIssue | None:
        """The first known issue that ``problem`` can hit, if any."""
        return next((issue for issue in self.known_issues if issue.matches(problem)), None)

    def unavailable_reason(self) -> str | None:
        """``None`` when the backend can run here, else a one-line reason."""
        module = self.library.split(".")[0]
        if importlib.util.find_spec(module) is None:
            extra = EXTRAS.get(module)
            return f"{module} is not installed" + (f" (pip install 'conv-equivalence[{extra}]')" if extra else "")
        return self.available_check()

    def version(self) -> str:
        module = importlib.import_module(self.library.split(".")[0])
        version = getattr(module, "__version__", None)  # mlx has none: its distribution's metadata does
        if version is None:
            try:
                version = importlib.metadata.version(module.__name__)
            except importlib.metadata.PackageNotFoundError:
                version = "unknown"
        return str(version)

    def __call__(self, problem: ConvProblem) -> np.ndarray:
        reason = self.capabilities.reason_unsupported(problem)
        if reason is not None:
            raise ValueError(f"{self.name}: {reason}")
        return self.run(problem)


_REGISTRY: dict[str, Backend] = {}
_MODULES = ("pytorch", "scipy_signal", "scipy_ndimage", "numpy_correlate", "jax_lax", "onnx_conv", "opencv", "tensorflow_nn",
            "keras_ops", "flax_conv", "equinox_conv", "mlx_conv", "kornia_filters", "astropy_convolution", "pillow_filter",
            "jax_scipy_signal", "dask_image")
_loaded = False


def register(backend: Backend, *, replace: bool = False) -> Backend:
    """Add a backend to the registry (names are unique unless ``replace``)."""
    if backend.name in _REGISTRY and not replace:
        raise ValueError(f"backend name {backend.name!r} is already registered")
    _REGISTRY[backend.name] = backend
    return backend


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _MODULES:
            importlib.import_module(f"conv_equivalence.backends.{module}")


def all_backends() -> list[Backend]:
    """Every registered backend, installed or not, in registration order."""
    _load()
    return list(_REGISTRY.values())


def available_backends() -> list[Backend]:
    """The backends whose library is installed and usable here."""
    return [b for b in all_backends() if b.unavailable_reason() is None]


def get_backend(name: str) -> Backend:
    """The backend registered as ``name``; ``KeyError`` listing the known names otherwise."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown backend {name!r}; known: {', '.join(_REGISTRY)}") from None
