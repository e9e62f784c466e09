"""What `check_conv` is asked: a frozen, validated value, as `hypothesis.settings` is.

``CheckOptions(ndim=3, transposed=True)`` checks every field when it is made (and again in
``replace``), and a mistake is a `UsageError` naming the option and its rule, before any work. The
command line builds one from its arguments; the testing API and the pytest plugin build theirs the
same way, so all three check the same thing.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Iterable
from typing import Any

from conv_equivalence.check import facets as fct
from conv_equivalence.check.conventions import (
    CONVENTIONS,
    DEVICES,
    SAME_RULES,
    SIGNAL_ARRAYS,
    SIGNAL_CONVENTIONS,
    SIGNAL_MODES,
)
from conv_equivalence.check.runner import time_limit as checked_time_limit
from conv_equivalence.tolerance import PRECISIONS

EXCLUDABLE = tuple(fct.EXCLUDE_WORDS) + tuple(f for f in fct.FEATURES if f not in fct.EXCLUDE_WORDS)
SIGNAL_EXCLUDABLE = ("even-kernels", "second-longer", "integers", "nonfinite", "ndim", "0-d", "long", "boundaries",
                     "cval", "origins", "combined", "complex")
"""What ``exclude`` accepts with a signal convention: one of its facets, or ``complex`` (the complex dtypes)."""
"""What ``exclude`` accepts: a feature (every facet that draws it is skipped) or a dtype family."""


class UsageError(Exception):
    """The callable cannot be loaded or the options make no sense."""


def _strings(value: Iterable[str] | str | None, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    try:
        items = tuple(value)
    except TypeError:
        raise UsageError(f"{name} must be a list of strings, got {value!r}") from None
    if not all(isinstance(item, str) for item in items):
        raise UsageError(f"{name} must be a list of strings, got {value!r}")
    return items


@dataclasses.dataclass(frozen=True)
class CheckOptions:
    """Every option of a check (the command line's ``--NAME`` is the field ``NAME``).

    ``ndim``: spatial rank (1 to 3). ``transposed``: the callable has ``conv_transpose{N}d``'s signature.
    ``convention``: how it takes arrays (`conventions.CONVENTIONS`; ``layer`` for a class built like
    ``torch.nn.Conv{N}d``). ``device``: ``cpu`` or ``cuda``. ``precision``: ``exact`` (every product
    the definition has, rounded at most once each), ``tf32``, ``fft`` (`tolerance.PRECISIONS`).
    ``dtypes``: the dtypes checked (default: every one the convention takes). ``exclude``: features or
    dtype families left out. ``only``: the facets to run (default: all). ``examples``: every facet's
    example count (default: the profile's, a third of it for single-feature facets). ``profile``:
    Hypothesis settings (default: the current profile). ``seed``: the search's seed. ``time_limit``:
    seconds a call may take. ``grad``: check the backward always (True), never (False) or where the
    output has a ``grad_fn`` (None). ``decline_on``: exception class names that mean "not supported".
    ``equal_per_axis``, ``int_padding``, ``bias_always``: draw only such parameters. ``depthwise``,
    ``shared_kernel``, ``odd_kernels``, ``square_kernels``: a declared domain every facet draws inside
    (an image filter: depthwise, one shared kernel, odd square kernels; with ``exclude=["stride",
    "dilation"]``, and ``exclude=["padding"]`` where it takes only 'same' and 'valid'). ``shapes``,
    ``shapes_from``, ``input_size``, ``nondeterministic``: the real-sizes facet (`realsize`).
    """

    ndim: int = 2
    transposed: bool = False
    convention: str = "torch"
    device: str = "cpu"
    precision: str = "exact"
    dtypes: tuple[str, ...] | None = None
    exclude: frozenset[str] = frozenset()
    only: tuple[str, ...] | None = None
    examples: int | None = None
    profile: Any = None
    seed: int | None = None
    time_limit: float = 10.0
    grad: bool | None = None
    decline_on: tuple[str, ...] = ()
    equal_per_axis: bool = False
    int_padding: bool = False
    bias_always: bool = False
    depthwise: bool = False
    shared_kernel: bool = False
    odd_kernels: bool = False
    square_kernels: bool = False
    correlate: bool = False
    modes: tuple[str, ...] | None = None
    same: str = "scipy"
    arrays: str = "numpy"
    shapes: tuple[str, ...] | None = None
    shapes_from: str | None = None
    input_size: str | None = None
    nondeterministic: bool = False

    def __post_init__(self) -> None:
        normal = {"dtypes": _strings(self.dtypes, "dtypes"), "only": _strings(self.only, "only"),
                  "modes": _strings(self.modes, "modes"),
                  "shapes": _strings(self.shapes, "shapes"),
                  "exclude": frozenset(_strings(self.exclude, "exclude") or ()),
                  "decline_on": _strings(self.decline_on, "decline_on") or ()}
        for name, value in normal.items():
            object.__setattr__(self, name, value)
        try:
            object.__setattr__(self, "time_limit", checked_time_limit(self.time_limit))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if self.ndim not in (1, 2, 3) or isinstance(self.ndim, bool):
            raise UsageError(f"--ndim must be 1, 2 or 3, got {self.ndim!r}")
        if self.convention not in CONVENTIONS:
            raise UsageError(f"--convention must be one of {', '.join(CONVENTIONS)}, got {self.convention!r}")
        if self.device not in DEVICES:
            raise UsageError(f"--device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.precision not in PRECISIONS:
            raise UsageError(f"--precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.transposed and self.precision == "fft":
            raise UsageError("--precision fft applies to convolutions, not --transposed")
        words = SIGNAL_EXCLUDABLE if self.convention in SIGNAL_CONVENTIONS else EXCLUDABLE
        unknown = self.exclude - set(words)
        if unknown:
            raise UsageError(f"--exclude accepts {', '.join(words)}"
                             f"{f' (with --convention {self.convention})' if words is SIGNAL_EXCLUDABLE else ''}; "
                             f"got {', '.join(sorted(unknown))}")
        if self.grad and self.convention not in ("torch", "layer"):
            raise UsageError(f"--grad needs torch tensors (the torch convention or --layer), not --convention {self.convention}")
        if self.examples is not None and (isinstance(self.examples, bool) or not isinstance(self.examples, int)
                                          or self.examples < 1):
            raise UsageError(f"--examples must be a positive integer, got {self.examples!r}")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise UsageError(f"--seed must be an integer, got {self.seed!r}")
        self._check_signal_options()
        if self.depthwise and "groups" in self.exclude:
            raise UsageError("--depthwise needs groups (a depthwise convolution has groups = channels): leave out "
                             "--exclude groups")
        if self.shapes is not None and self.shapes_from is not None:
            raise UsageError("give --shapes or --shapes-from, not both")
        if self.input_size is not None and self.shapes_from is None:
            raise UsageError("--input-size is the sample input of --shapes-from")

    def _check_signal_options(self) -> None:
        """The signal-processing and filter conventions' own options, and what they cannot take."""
        from conv_equivalence.oracle_filters import FILTER_MODES

        if self.convention not in SIGNAL_CONVENTIONS:
            for name, default in (("correlate", False), ("modes", None), ("same", "scipy"), ("arrays", "numpy")):
                if getattr(self, name) != default:
                    raise UsageError(f"--{name} is for --convention signal, signal2d or filter, not {self.convention}")
            return
        if self.arrays not in SIGNAL_ARRAYS:
            raise UsageError(f"--arrays must be one of {', '.join(SIGNAL_ARRAYS)}, got {self.arrays!r}")
        if self.arrays != "numpy" and importlib.util.find_spec(self.arrays) is None:
            raise UsageError(f"--arrays {self.arrays} needs {self.arrays} installed (pip install "
                             f"'conv-equivalence[{self.arrays}]')")
        for name, wrong in (("transposed", self.transposed), ("grad", bool(self.grad)),
                            ("device", self.device != "cpu" and self.arrays != "torch"),
                            ("depthwise", self.depthwise), ("shared-kernel", self.shared_kernel),
                            ("square-kernels", self.square_kernels), ("shapes", self.shapes is not None),
                            ("int-padding", self.int_padding), ("equal-per-axis", self.equal_per_axis),
                            ("bias-always", self.bias_always)):
            if wrong:
                raise UsageError(f"--{name} does not apply to --convention {self.convention}")
        if self.precision not in ("exact", "fft"):
            raise UsageError(f"--precision for --convention {self.convention} must be exact or fft, got {self.precision!r}")
        allowed = tuple(FILTER_MODES) if self.convention == "filter" else SIGNAL_MODES
        bad = [m for m in self.modes or () if m not in allowed]
        if bad or self.modes == ():
            raise UsageError(f"--modes for --convention {self.convention} must be among {', '.join(allowed)}; got "
                             f"{', '.join(bad) or 'none'}")
        if self.same not in SAME_RULES or (self.same != "scipy" and self.convention != "signal"):
            raise UsageError(f"--same must be one of {', '.join(SAME_RULES)} (for --convention signal), got {self.same!r}")
        wrong_dtypes = [d for d in self.dtypes or () if d not in ("float64", "float32", "complex128", "complex64", "int64")]
        if wrong_dtypes:
            raise UsageError(f"--dtypes for --convention {self.convention} must be among float64, float32, complex128, "
                             f"complex64, int64; got {', '.join(wrong_dtypes)}")

    def replace(self, **changes: Any) -> CheckOptions:
        """A copy with ``changes``, checked again."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise UsageError(f"no option {', '.join(unknown)}; the options are {', '.join(f.name for f in dataclasses.fields(self))}")
        return dataclasses.replace(self, **changes)
