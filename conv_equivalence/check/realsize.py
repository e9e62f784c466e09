"""The ``real-sizes`` facet: the implementation at the sizes real kernels tile, block and split.

Layers come from the shape tables (`conv_equivalence.check.shapes`: a sample that reaches every large value
by default, ``--shapes NAME|FILE|all``, or ``--shapes-from MODULE:ATTR``) and from Hypothesis-drawn
sizes between the small facets' and those. Each layer is called with:

* **exact data** (`exact_operands`): integers in ``[-A, A]``; where a dense sum could leave the
  integers a dtype holds exactly, each output channel keeps only ``m`` non-zero weights
  (`nonzeros_per_output`), so that every partial sum of every output is an integer below
  ``2**p`` and every order of summation gives the exact answer: the comparison is exact
  (`tolerance.bound_for` is zero there) at any size;
* **float data** (`float_operands`, standard normal, rounded to the dtype) within the derived
  rounding bound, called twice: the two answers must be bitwise identical (a race or an
  uninitialised read shows there) unless ``nondeterministic`` is declared.

A layer whose predicted time (from the implementation's measured time per multiply-add on the
smaller problems) or measured time exceeds the time limit is declined as too slow, with the time.
A failing layer is shrunk one dimension at a time (`shrink`) to the smallest value that still
fails, and each dimension's boundary is reported: ``in_channels: fails from 17 (passes at 16)``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from conv_equivalence.check.facets import Case
from conv_equivalence.check.judge import Failure, judge, one_line
from conv_equivalence.check.shapes import Layer
from conv_equivalence.problem import ConvProblem
from conv_equivalence.strategies import round_to
from conv_equivalence.tolerance import PRECISION_BITS, max_terms, unit_roundoff

A = 2
"""Exact data are non-zero integers in ``[-A, A]`` (input, weight and bias)."""
DRAWN = 6
"""Hypothesis-drawn intermediate layers per check (sizes between the small facets' and the tables')."""
RATE_FROM = 1_000_000
"""Calls of at least this many multiply-adds measure the implementation's speed; the best time per
multiply-add seen predicts a larger layer's time (a first call's warm-up or one slow path declines nothing)."""
MAX_SHRINK_CALLS = 400
SEEDS = 3
"""Seeds a value must pass with, where the output is smaller than `SMALL_OUTPUT`, before it counts as passing."""
SMALL_OUTPUT = 64
"""Calls one boundary search may make before it keeps the smallest failing layer found so far."""


def nonzeros_per_output(reduction: int, bits: int | None) -> int | None:
    """How many weights of each output channel may be non-zero for exact sums (``None``: all of them).

    With ``|x|, |w|, |b| <= A`` an output with ``m`` non-zero products has every partial sum below
    ``m A**2 + A``; all are integers exactly representable with a ``bits``-bit significand while that
    is below ``2**bits``: ``m = (2**bits - 1 - A) // A**2``. ``bits`` is ``None`` for integer dtypes.
    """
    if bits is None:
        return None
    m = (2**bits - 1 - A) // (A * A)
    return None if reduction <= m else m


def exact_operands(x_shape: Sequence[int], w_shape: Sequence[int], bias: bool, transposed: bool, groups: int,
                   nonzeros: int | None, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Non-zero small integers (-2, -1, 1, 2) for input, weight and bias (int64) from ``seed``, so that every
    product counts; with ``nonzeros``, each output channel keeps that many non-zero weights, at random
    places, and the rest are 0."""
    rng = np.random.default_rng(seed)

    def draw(shape: tuple[int, ...]) -> np.ndarray:
        return rng.integers(1, 3, size=shape) * (2 * rng.integers(0, 2, size=shape) - 1)

    x = draw(tuple(x_shape))
    c_out = w_shape[1] * groups if transposed else w_shape[0]
    per_row = int(np.prod(w_shape)) // c_out  # C_in/groups * prod(kernel): the weights feeding one output channel
    rows = draw((c_out, per_row))
    if nonzeros is not None and nonzeros < per_row:
        keep = np.zeros((c_out, per_row), dtype=bool)
        keep[:, :nonzeros] = True
        rows = np.where(rng.permuted(keep, axis=1), rows, 0)
    if transposed:  # rows (C_out, C_in/g, *k) to the transposed layout (C_in, C_out/g, *k)
        c_in_g, c_out_g = w_shape[0] // groups, w_shape[1]
        w = rows.reshape(groups, c_out_g, c_in_g, -1).transpose(0, 2, 1, 3).reshape(tuple(w_shape))
    else:
        w = rows.reshape(tuple(w_shape))
    b = draw((c_out,)) if bias else None
    return x, w, b


def float_operands(x_shape: Sequence[int], w_shape: Sequence[int], bias: bool, transposed: bool, groups: int,
                   seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Standard normal input, weight and bias (float64) from ``seed``."""
    rng = np.random.default_rng(seed)
    c_out = w_shape[1] * groups if transposed else w_shape[0]
    return (rng.standard_normal(tuple(x_shape)), rng.standard_normal(tuple(w_shape)),
            rng.standard_normal(c_out) if bias else None)


@dataclasses.dataclass(frozen=True)
class Trial:
    """One real-size call: a layer, its data (``exact`` or ``float``), dtype and seed."""

    layer: Layer
    data: str
    dtype: str
    seed: int
    bits: int | None = None
    """Significand bits of the accumulation (None: integer dtype), which sets the exact data's density."""
    shared: bool = False
    """One kernel for every channel (a declared domain): every weight row is the first."""

    @property
    def nonzeros(self) -> int | None:
        return nonzeros_per_output(self.layer.reduction, self.bits) if self.data == "exact" else None

    def case(self) -> Case:
        layer = self.layer
        if self.data == "exact":
            ints = exact_operands(layer.input_shape, layer.weight_shape, layer.bias, layer.transposed, layer.groups,
                                  self.nonzeros, self.seed)
            arrays: list[np.ndarray | None] = [None if a is None else (a if self.dtype.startswith("int") else a.astype(np.float64))
                                               for a in ints]
        else:
            arrays = [None if a is None else round_to(a, self.dtype) for a in
                      float_operands(layer.input_shape, layer.weight_shape, layer.bias, layer.transposed, layer.groups, self.seed)]
        x, w, bias = arrays
        assert x is not None and w is not None
        if self.shared:
            w = np.broadcast_to(w.reshape(-1, *w.shape[2:])[0], w.shape).copy()
        problem = ConvProblem(layer.spec(), x, w, bias, dtype=self.dtype)
        args = layer.kwargs()
        args.setdefault("output_padding", None)
        return Case(problem, args)

    def with_layer(self, layer: Layer) -> Trial:
        return dataclasses.replace(self, layer=layer)


@dataclasses.dataclass(frozen=True)
class Boundary:
    """Where one dimension starts to fail, the others held at the smallest failing layer's values."""

    dimension: str
    value: int
    below: str | None
    """What the value below does (``passes``, ``is declined``, ...), or ``None`` where there is no valid
    value below (the smallest there is, or the smallest the other dimensions allow: a size and its kernel)."""

    def text(self) -> str:
        if self.below is None:
            return f"{self.dimension}: fails at {self.value}, the smallest the others allow"
        return f"{self.dimension}: fails from {self.value} ({self.below} at {self.value - 1})"


def boundary_lines(boundaries: Sequence[Boundary]) -> list[str]:
    """One line a dimension with a boundary, then one line for those that fail at their smallest value."""
    lines = [b.text() for b in boundaries if b.below is not None]
    smallest = [f"{b.dimension} {b.value}" for b in boundaries if b.below is None]
    if smallest:
        lines.append(f"fails at the smallest {', '.join(smallest)}")
    return lines


@dataclasses.dataclass
class RealSizeFailure:
    """The first failing real layer, the smallest layer the failure shrank to, and each dimension's boundary."""

    first: Trial
    smallest: Trial
    boundaries: list[Boundary]
    kind: str
    """``values`` (and the other `Failure` kinds) or ``nondeterministic``."""
    calls: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"first_failing_layer": self.first.layer.line(), "smallest_failing_layer": self.smallest.layer.line(),
                "data": self.smallest.data, "dtype": self.smallest.dtype, "seed": self.smallest.seed,
                "nonzeros_per_output": self.smallest.nonzeros, "kind": self.kind,
                "boundaries": [dataclasses.asdict(b) for b in self.boundaries]}


_AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def dimensions(layer: Layer) -> list[tuple[str, int, int, Callable[[int], Layer]]]:
    """The dimensions a failing layer shrinks along: ``(name, value, smallest, layer with that value)``,
    cheapest-to-shrink first (batch, then sizes)."""
    axes = _AXES[layer.ndim]
    dims: list[tuple[str, int, int, Callable[[int], Layer]]] = [
        ("batch", layer.batch, 1, lambda v: layer.replace(batch=v))]

    def per_axis(field: str, i: int, v: int) -> Layer:
        values = list(getattr(layer, field))
        values[i] = v
        return layer.replace(**{field: tuple(values)})

    for i, axis in enumerate(axes):
        dims.append((axis, layer.size[i], 1, functools.partial(per_axis, "size", i)))
    g = layer.groups
    if layer.depthwise:
        mult = layer.out_channels // g
        dims.append(("channels (C_in = groups)", g, 1,
                     lambda v: layer.replace(in_channels=v, out_channels=v * mult, groups=v)))
    else:
        dims.append(("in_channels" + (f" (groups {g})" if g > 1 else ""), layer.in_channels, g,
                     lambda v: layer.replace(in_channels=v)))
        dims.append(("out_channels" + (f" (groups {g})" if g > 1 else ""), layer.out_channels, g,
                     lambda v: layer.replace(out_channels=v)))
        if g > 1:
            dims.append(("groups", g, 1, lambda v: layer.replace(
                groups=v, in_channels=layer.in_channels // g * v, out_channels=layer.out_channels // g * v)))
    for i, axis in enumerate(axes):
        k, s = layer.kernel[i], layer.stride[i]
        if k == s > 1:  # a patch embedding: kernel and stride move together
            def patch(v: int, i: int = i) -> Layer:
                return per_axis("kernel", i, v).replace(stride=tuple(v if j == i else t for j, t in enumerate(layer.stride)))
            dims.append((f"patch {axis} (kernel = stride)", k, 1, patch))
        dims.append((f"kernel {axis}", k, 1, functools.partial(per_axis, "kernel", i)))
        if s > 1:
            dims.append((f"stride {axis}", s, 1, functools.partial(per_axis, "stride", i)))
        if layer.dilation[i] > 1:
            dims.append((f"dilation {axis}", layer.dilation[i], 1, functools.partial(per_axis, "dilation", i)))
        if not isinstance(layer.padding, str) and layer.padding[i] > 0:
            dims.append((f"padding {axis}", layer.padding[i], 0, functools.partial(per_axis, "padding", i)))
        if layer.transposed and layer.output_padding[i] > 0:
            dims.append((f"output_padding {axis}", layer.output_padding[i], 0,
                         functools.partial(per_axis, "output_padding", i)))
    if len(axes) == 1:
        dims = [(name.replace(" length", ""), *rest) for name, *rest in dims]  # type: ignore[misc]
    return dims


def candidates(value: int, smallest: int) -> list[int]:
    """Values below ``value`` to try, smallest first: the few smallest, powers of two and their
    neighbours (where blocks and tiles end), halves and quarters (`shrink` bisects between them)."""
    found = set(range(smallest, smallest + 5))
    power = 1
    while power < value:
        found.update((power - 1, power, power + 1))
        power *= 2
    found.update((value // 2, value // 4, 3 * value // 4))
    return sorted(v for v in found if smallest <= v < value)


def shrink(trial: Trial, fails: Callable[[Trial], str]) -> tuple[Trial, list[Boundary], int]:
    """Shrink a failing trial's layer one dimension at a time to the smallest value that still fails.

    ``fails`` says what a trial does: ``fails``, ``passes``, ``is declined`` or ``fails differently``.
    Along each dimension: `candidates` smallest first, then bisection between the largest value seen
    to pass and the smallest seen to fail. Rounds over every dimension repeat until none moves, so that
    at the end each dimension's value fails and the value below it does not (or cannot be built). Where
    the output is tiny, a value that passes is tried with `SEEDS` seeds before it counts as passing, so
    that data that happen to hide the defect (two equal weights) do not set a boundary."""
    calls = [0]
    memo: dict[str, tuple[str, int]] = {}
    seed = [trial.seed]

    def outcome(layer: Layer) -> str:
        key = layer.line()
        if key not in memo:
            tries = [seed[0]] + ([seed[0] + i for i in range(1, SEEDS)] if math.prod(layer.output_shape) < SMALL_OUTPUT else [])
            found = ("not tried", seed[0])
            for s in tries:
                calls[0] += 1
                if calls[0] > MAX_SHRINK_CALLS:
                    break
                found = (fails(dataclasses.replace(trial, layer=layer, seed=s)), s)
                if found[0] == "fails":
                    break
            memo[key] = found
        return memo[key][0]

    def build(make: Callable[[int], Layer], v: int) -> Layer | None:
        try:
            return make(v)
        except (ValueError, TypeError):
            return None

    def fails_at(make: Callable[[int], Layer], v: int) -> bool:
        layer = build(make, v)
        return layer is not None and outcome(layer) == "fails"

    current = trial.layer
    for _ in range(6):
        moved = False
        for name in [d[0] for d in dimensions(current)]:
            found = [d for d in dimensions(current) if d[0] == name]
            if not found:
                continue  # the dimension went away with an earlier one (groups once channels reached 1)
            _, value, smallest, make = found[0]
            best, passing = value, smallest - 1
            progress = True
            while progress:
                progress = False
                for v in candidates(best, smallest):
                    if fails_at(make, v):
                        best, progress = v, True
                        break
                    passing = max(passing, v)
            while best - passing > 1:  # the largest value seen to pass and the smallest seen to fail
                middle = (best + passing) // 2
                if fails_at(make, middle):
                    best = middle
                else:
                    passing = middle
            if best != value:
                layer = build(make, best)
                if layer is not None:
                    current, moved = layer, True
                    seed[0] = memo[layer.line()][1]
        if not moved:
            break
    boundaries = []
    for name, value, smallest, make in dimensions(current):
        below = build(make, value - 1) if value > smallest else None
        what = None if below is None else outcome(below)
        boundaries.append(Boundary(name, value, what))
    return dataclasses.replace(trial, layer=current, seed=seed[0]), boundaries, calls[0]


def seed_for(layer: Layer, data: str, base_seed: int | None) -> int:
    """The data's seed: stable per layer, so a reported seed rebuilds the same arrays anywhere."""
    return zlib.crc32(f"{layer.line()}|{data}|{base_seed or 0}".encode()) % 2**31


def accumulation_bits(dtype: str, precision: str) -> int | None:
    """Significand bits the exact data must fit: the coarser of the dtype and a declared precision."""
    if dtype.startswith("int"):
        return None
    bits = PRECISION_BITS[dtype]
    if precision in PRECISION_BITS:
        bits = min(bits, PRECISION_BITS[precision]) if not (precision == "tf32" and dtype not in ("float32", "complex64")) else bits
    return bits


def float_pass_meaningful(layer: Layer, dtype: str, precision: str) -> bool:
    """Whether the rounding bound means anything for random floats at this size (``n u <= 1/2``)."""
    if dtype.startswith("int") or precision == "fft":
        return False
    coarse = precision if precision in PRECISION_BITS and unit_roundoff(precision) > unit_roundoff(dtype) else dtype
    return layer.reduction <= max_terms(coarse)


def elapsed_text(seconds: float) -> str:
    return f"{seconds:.2g}s" if seconds < 10 else f"{math.ceil(seconds)}s"


def admissible(layer: Layer, exclude: frozenset[str], *, int_padding: bool, equal_per_axis: bool,
               bias_always: bool, depthwise: bool = False, odd_kernels: bool = False,
               square_kernels: bool = False) -> Layer | None:
    """``layer`` as the declared limits allow it (bias dropped or added, 'same'/'valid' written as ints where
    only ints are taken), or ``None`` where they rule out one of its features (groups, stride, dilation, a
    declared domain's depthwise, odd or square kernels)."""
    if ("groups" in exclude and layer.groups > 1) or ("stride" in exclude and max(layer.stride) > 1) or \
            ("dilation" in exclude and max(layer.dilation) > 1):
        return None
    if (depthwise and not layer.groups == layer.in_channels == layer.out_channels) or \
            (odd_kernels and any(k % 2 == 0 for k in layer.kernel)) or (square_kernels and len(set(layer.kernel)) > 1):
        return None
    if bias_always or "bias" in exclude:
        layer = layer.replace(bias=bias_always)
    if isinstance(layer.padding, str) and (int_padding or "padding-strings" in exclude):
        pads = layer.spec().pads(layer.kernel)
        if any(a != b for a, b in pads):
            return None
        layer = layer.replace(padding=tuple(a for a, _ in pads))
    if "padding" in exclude and (isinstance(layer.padding, str) or any(layer.padding)):
        return None
    if equal_per_axis and any(len(set(v)) > 1 for v in (layer.stride, layer.dilation, layer.output_padding,
                                                          () if isinstance(layer.padding, str) else layer.padding)):
        return None
    return layer


def drawn_layers(ndim: int, transposed: bool, count: int, seed: int | None) -> list[Layer]:
    """``count`` layers between the small facets' sizes and the tables', drawn by Hypothesis (derandomised
    unless ``seed`` is given): batch to 20, channels to 72 a group, depthwise and grouped, kernels to 7 (33
    in 1-D), inputs of 17 to 80 a side (to 6000 samples in 1-D), strides to 4, dilation, padding."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    side = {1: (100, 6000), 2: (17, 80), 3: (6, 20)}[ndim]
    taps = {1: 33, 2: 7, 3: 5}[ndim]

    @st.composite
    def layers(draw: st.DrawFn) -> Layer:
        kind = draw(st.sampled_from(("dense", "dense", "depthwise", "grouped")))
        groups = {"dense": 1, "depthwise": draw(st.integers(17, 96)), "grouped": draw(st.integers(2, 8))}[kind]
        c_in = groups if kind == "depthwise" else groups * draw(st.integers(1, 72))
        c_out = groups * draw(st.integers(1, 2)) if kind == "depthwise" else groups * draw(st.integers(1, 72))
        kernel = tuple(draw(st.integers(1, taps)) for _ in range(ndim))
        stride = tuple(draw(st.sampled_from((1, 1, 2, 3, 4))) for _ in range(ndim))
        dilation = tuple(draw(st.sampled_from((1, 1, 1, 2))) for _ in range(ndim))
        size = tuple(draw(st.integers(*side)) for _ in range(ndim))
        padding: Any = tuple(draw(st.integers(0, d * (k - 1) // 2 + 1)) for k, d in zip(kernel, dilation))
        if not transposed and all(s == 1 for s in stride) and draw(st.booleans()):
            padding = "same"
        output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation)) if transposed \
            else (0,) * ndim
        try:
            layer = Layer("drawn", ndim, c_in, c_out, size, kernel, batch=draw(st.sampled_from((1, 2, 5, 8, 9, 16, 17, 20))),
                          stride=stride, padding=padding, dilation=dilation, groups=groups, transposed=transposed,
                          output_padding=output_padding, bias=draw(st.booleans()), model="drawn")
        except ValueError:
            from hypothesis import reject
            reject()
        from conv_equivalence.check.shapes import with_batch_within
        return with_batch_within(layer, 20_000_000)

    found: list[Layer] = []

    @settings(max_examples=count, database=None, phases=(Phase.generate,), deadline=None,
              suppress_health_check=list(HealthCheck), derandomize=seed is None)
    @given(layers())
    def collect(layer: Layer) -> None:
        found.append(layer)

    test = hypothesis_seed(seed)(collect) if seed is not None else collect
    test()
    return [layer.replace(name=f"drawn{i + 1}") for i, layer in enumerate(found)]


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _nondeterministic(first: np.ndarray, second: np.ndarray) -> Failure:
    differ = np.argwhere(~((first == second) | (np.isnan(first) & np.isnan(second))))
    if not len(differ):  # equal values in different bits: signed zeros or NaN payloads
        differ = np.argwhere(np.signbit(first) != np.signbit(second))
    lines = [f"two calls on the same inputs gave different answers at {len(differ)} of {first.size} output elements; first:"]
    for pos in differ[:5]:
        i = tuple(int(v) for v in pos)
        lines.append(f"  at {i}: {first[i]!r}, then {second[i]!r}")
    return Failure("nondeterministic", "\n".join(lines),
                   summary=f"not deterministic: two calls differ at {len(differ)} of {first.size} elements")


class Driver:
    """Runs trials on the implementation (through the check's runner) and records what it saw."""

    def __init__(self, runner: Any, precision: str, convention: str, known: Callable[[Any], Any], limit: float,
                 nondeterministic: bool, result: Any) -> None:
        self.runner, self.precision, self.convention, self.known = runner, precision, convention, known
        self.limit, self.nondeterministic, self.result = limit, nondeterministic, result
        self.rate: tuple[int, float] = (0, 0.0)  # (macs, seconds) of the call with the best throughput so far
        self.slow: list[str] = []
        self.checked: set[str] = set()
        """The layers called and judged (drawn ones included)."""
        self.too_slow_from = 0
        """The fewest multiply-adds of a layer that ran past the time limit (0: none did)."""

    def predicted(self, layer: Layer) -> float:
        macs, seconds = self.rate
        return 0.0 if macs == 0 else seconds * layer.macs / macs

    def attempt(self, trial: Trial, record: bool = True) -> tuple[str, Failure | None]:
        """What the implementation does on ``trial``: ``passes``, ``fails`` (with the failure), ``is declined``,
        ``is too slow`` or ``is skipped`` (a problem where the reference itself is known to deviate)."""
        case = trial.case()
        if self.known(case.problem) is not None:
            return "is skipped", None
        reply = self.runner.call(case.call_data())
        if record:
            self.result.warnings.update(reply.get("warnings", ()))
        kind = reply["kind"]
        if kind == "declined":
            if record:
                self.result.declined += 1
                self.result.declined_reasons[one_line(reply["message"])] += 1
            return "is declined", None
        if kind == "timeout":
            if record:
                self.slow.append(f"{trial.layer.label} ({trial.layer.macs:,} multiply-adds): no answer within {self.limit:g}s")
            return "is too slow", None
        seconds = float(reply.get("seconds", 0.0))
        if kind == "ok" and trial.layer.macs >= RATE_FROM and (
                self.rate[0] == 0 or seconds * self.rate[0] < self.rate[1] * trial.layer.macs):
            self.rate = (trial.layer.macs, seconds)
        failure = judge(case, reply, self.precision, self.convention)
        if failure is None and trial.data == "float" and not self.nondeterministic:
            again = self.runner.call(case.call_data())
            if again["kind"] == "ok" and again["out"] is not None and not _same_bits(reply["out"], again["out"]):
                failure = _nondeterministic(reply["out"], again["out"])
        if record:
            self.result.examples += 1
            self.result.exercised += 1
            self.checked.add(trial.layer.label)
        return ("passes", None) if failure is None else ("fails", failure)


def run(layers: Sequence[Layer], drawn: Sequence[Layer], driver: Driver, dtypes: Sequence[str], precision: str,
        seed: int | None, shared_kernel: bool = False) -> RealSizeFailure | None:
    """Check ``drawn`` then ``layers`` (cheapest first) in each of ``dtypes`` with exact data, and in the first
    with float data (twice, for determinism); shrink the first failure (`shrink`). Fills ``driver.result``'s
    counts; returns the failure, if any."""
    result = driver.result
    ordered = sorted(drawn, key=lambda layer: layer.macs) + sorted(layers, key=lambda layer: layer.macs)
    for layer in ordered:
        if driver.too_slow_from and layer.macs >= driver.too_slow_from:
            result.declined += 1  # a smaller layer already ran past the time limit
            continue
        if driver.predicted(layer) > driver.limit:
            driver.slow.append(f"{layer.label} ({layer.macs:,} multiply-adds): about "
                               f"{elapsed_text(driver.predicted(layer))} predicted from {elapsed_text(driver.rate[1])} "
                               f"on {driver.rate[0]:,}")
            result.declined += 1
            continue
        trials = [Trial(layer, "exact", d, seed_for(layer, "exact", seed), accumulation_bits(d, precision), shared_kernel)
                  for d in dtypes]
        if float_pass_meaningful(layer, dtypes[0], precision):
            trials.append(Trial(layer, "float", dtypes[0], seed_for(layer, "float", seed), shared=shared_kernel))
        for trial in trials:
            outcome, failure = driver.attempt(trial)
            if outcome == "is too slow":
                result.declined += 1
                driver.too_slow_from = min(driver.too_slow_from or layer.macs, layer.macs)
                break
            if failure is None:
                continue
            kind = failure.kind

            def fails(candidate: Trial, kind: str = kind) -> str:
                what, found = driver.attempt(candidate, record=False)
                if what == "fails" and found is not None and found.kind != kind:
                    return "fails differently"
                return what

            smallest, boundaries, calls = shrink(trial, fails)
            _, final = driver.attempt(smallest, record=False)
            result.failure = final if final is not None else failure
            result.counterexample = smallest.case()
            result.status = result.failure.status
            return RealSizeFailure(trial, smallest, boundaries, kind, calls)
    return None
