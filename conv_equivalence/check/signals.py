"""``check`` for signal-processing and image-filter convolutions: the ``signal``, ``signal2d`` and ``filter``
calling conventions, with facets of their own.

* ``signal``: ``fn(in1, in2, mode)`` on N-d NumPy arrays, as ``scipy.signal.convolve`` (``correlate=True``:
  ``correlate``, the second operand conjugated); ``mode`` ``full``, ``same``, ``valid``; either operand the
  larger. ``same`` follows scipy's rule (the shape of ``in1``, starting ``(n2 - 1) // 2`` into the full
  result) or, declared with ``same="numpy"``, NumPy's (``max(n1, n2)`` samples from ``(min(n1, n2) - 1) // 2``).
* ``signal2d``: ``fn(in1, in2, mode, boundary, fillvalue)`` as ``convolve2d``/``correlate2d``.
* ``filter``: ``fn(input, weights, mode, cval, origin)`` as ``scipy.ndimage.convolve``/``correlate``, every
  boundary mode.

The answers are the oracle's (`oracle`, `oracle_filters`): exact for integers, within the derived rounding
bound (`tolerance.direct_bound`, or `tolerance.fft_bound` with ``precision="fft"``) for floats, the result
dtype ``result_type(in1, in2)`` (a filter keeps its input's). Each facet is its own Hypothesis search in the
child process of `runner`, shrunk to its smallest counterexample, with a reproduction that runs against
scipy on the same arrays.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from conv_equivalence import oracle, oracle_filters, tolerance
from conv_equivalence.backends.scipy_ndimage import near_symmetry_hazard
from conv_equivalence.check.conventions import SAME_RULES, SIGNAL_CONVENTIONS, SIGNAL_MODES  # noqa: F401 (re-exported)
from conv_equivalence.check.judge import Failure
from conv_equivalence.check.options import UsageError
from conv_equivalence.check.result import FacetResult
from conv_equivalence.check.search import StopFacet, run_search

LONG = {1: 40_000, 2: 300}
"""The ``long`` facet's largest side: tens of thousands of samples in 1-D, where FFT and overlap-add block seams lie."""


SHRINK_CALLS = 2000
"""Calls a facet's shrinking may make after its first failure (``budget`` seconds is only a safety net: counted
in seconds, the smallest counterexample depended on the machine's load)."""


@dataclasses.dataclass(frozen=True)
class SignalCase:
    """One call: the two operands and the convention's other arguments, and what the answer must be."""

    convention: str
    correlate: bool
    a: np.ndarray
    v: np.ndarray
    mode: str
    boundary: str = "fill"
    fill: float = 0
    origin: tuple[int, ...] = ()
    same: str = "scipy"
    rule: int | None = None
    """For the long facet: the seed its operands were drawn from (``np.random.default_rng(rule)``, in1 then in2)."""

    @property
    def args(self) -> tuple[Any, ...]:
        if self.convention == "signal":
            return (self.a, self.v, self.mode)
        if self.convention == "signal2d":
            return (self.a, self.v, self.mode, self.boundary, self.fill)
        return (self.a, self.v, self.mode, self.fill, self.origin if len(self.origin) > 1 else self.origin[0])

    @property
    def size(self) -> int:
        return int(self.a.size + self.v.size)

    @property
    def empty(self) -> bool:
        """An operand with no elements. The definition has no sample to give (scipy.signal refuses), so the
        implementation may refuse (``ValueError``, ``TypeError`` or ``RuntimeError``) or answer with zeros only,
        in any shape; a filter's empty *input* is answered, with an empty output of its shape."""
        return self.a.size == 0 or self.v.size == 0

    @property
    def terms(self) -> int:
        return max(1, min(self.a.size, self.v.size) if self.convention == "signal" else self.v.size)

    def answer(self, magnitude: bool = False) -> np.ndarray:
        """The oracle's answer (or, ``magnitude``, the same sums of absolute values, for the rounding bound)."""
        a, v = (np.abs(self.a).astype(np.float64), np.abs(self.v).astype(np.float64)) if magnitude else (self.a, self.v)
        fill = abs(self.fill) if magnitude and np.isfinite(self.fill) else 0 if magnitude else self.fill
        if magnitude:
            a, v = np.nan_to_num(a, posinf=0.0), np.nan_to_num(v, posinf=0.0)
        if self.convention == "signal":
            fn = oracle.correlate if self.correlate else oracle.convolve
            if self.mode == "same" and self.same == "numpy" and a.ndim and self.correlate and v.size > a.size:
                # NumPy correlates the longer with the shorter and reverses (and conjugates) the result
                swapped = dataclasses.replace(self, a=np.conj(v) if v.dtype.kind == "c" else v,
                                              v=np.conj(a) if a.dtype.kind == "c" else a)
                return np.flip(swapped.answer(magnitude))
            if self.mode == "same" and self.same == "numpy" and a.ndim:
                full = fn(a, v, "full")
                start = [(min(m, n) - 1) // 2 for m, n in zip(a.shape, v.shape)]
                return full[tuple(slice(s, s + max(m, n)) for s, m, n in zip(start, a.shape, v.shape))]
            return fn(a, v, self.mode)
        if self.convention == "signal2d":
            fn2 = oracle_filters.correlate2d if self.correlate else oracle_filters.convolve2d
            return fn2(a, v, self.mode, self.boundary, fill)
        fn3 = oracle_filters.filter_correlate if self.correlate else oracle_filters.filter_convolve
        return fn3(a, v, self.mode, fill, self.origin)

    @property
    def dtype(self) -> np.dtype:
        return self.a.dtype if self.convention == "filter" else np.result_type(self.a, self.v)

    def to_json(self) -> dict[str, Any]:
        """The call as plain data (long operands by shape and dtype only)."""
        def array(a: np.ndarray) -> dict[str, Any]:
            data: dict[str, Any] = {"shape": list(a.shape), "dtype": str(a.dtype)}
            if a.size <= 200:
                data["values"] = [str(v) if isinstance(v, complex) or not np.isfinite(v) else v for v in a.ravel().tolist()]
            return data

        return {"convention": self.convention, "correlate": self.correlate, "in1": array(self.a), "in2": array(self.v),
                "mode": self.mode, "boundary": self.boundary, "fill": self.fill, "origin": list(self.origin)}


def _values(dtype: str, kind: str, convention: str = "signal", large: bool = True) -> st.SearchStrategy[Any]:
    if kind == "integers" and dtype == "int64" and not large:  # an FFT method: exact only for small sums
        return st.integers(-4, 4)
    if kind == "integers" and convention == "filter" and dtype == "int64":
        # a filter computes in float64 (scipy.ndimage does, and casts back): sums exact there, not in float32
        return st.one_of(st.integers(-4, 4), st.integers(2**20, 2**24))
    if kind == "integers":
        # large int64 values: products to 2**58 and sums of five to 2**61, exact in int64; a float32 or float64
        # path rounds them
        return st.integers(-4, 4) if dtype != "int64" else st.one_of(st.integers(-4, 4), st.integers(2**27, 2**29))
    if kind == "nonfinite":
        return st.one_of(st.integers(-4, 4).map(float), st.sampled_from([np.nan, np.inf, -np.inf]))
    return st.floats(-8, 8, width=32) if dtype in ("float32", "complex64") else st.floats(-8, 8)


@st.composite
def _array(draw: st.DrawFn, shape: tuple[int, ...], dtype: str, kind: str, convention: str = "signal",
           large: bool = True) -> np.ndarray:
    real = draw(st.lists(_values(dtype, kind, convention, large), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    out = np.array(real, dtype=np.float64 if dtype.startswith("complex") else dtype).reshape(shape)
    if dtype.startswith("complex"):
        imag = draw(st.lists(_values(dtype, kind), min_size=out.size, max_size=out.size))
        values = np.empty(shape, dtype=dtype)
        values.real, values.imag = out, np.array(imag, dtype=np.float64).reshape(shape)
        out = values
    return out


@dataclasses.dataclass(frozen=True)
class SignalFacet:
    """A domain: rank, dtypes, element kinds, modes, boundaries, relative sizes, and what it owns."""

    name: str
    ndims: tuple[int, ...] = (1,)
    dtypes: tuple[str, ...] = ("float64",)
    kinds: tuple[str, ...] = ("integers", "floats")
    modes: tuple[str, ...] = ("full",)
    boundaries: tuple[str, ...] = ("fill",)
    fills: bool = False
    origins: bool = False
    even: bool = False
    longer_second: bool = False
    max_side: int = 5
    odd: bool = False
    """Odd kernel sizes only (a declared ``--odd-kernels``)."""
    large_integers: bool = True
    """int64 values to 2**29 (an FFT method, exact only for small sums, gets small ones)."""
    empty: bool = False
    """One operand with a zero-length axis: refused, or answered with zeros (`SignalCase.empty`)."""
    skipped: str | None = None


def facets(convention: str, modes: tuple[str, ...], precision: str, dtypes: tuple[str, ...],
           exclude: frozenset[str] = frozenset(), odd_kernels: bool = False) -> list[SignalFacet]:
    """The facets of a convention: ``plain`` (1-D float64, the first declared mode), then one feature each."""
    out = _facets(convention, modes, precision, dtypes, exclude, odd_kernels)
    return [dataclasses.replace(f, skipped=f.skipped or ("excluded (--exclude)" if f.name in exclude else None)) for f in out]


def _facets(convention: str, modes: tuple[str, ...], precision: str, dtypes: tuple[str, ...],
            exclude: frozenset[str], odd_kernels: bool) -> list[SignalFacet]:
    filt = convention == "filter"
    if "complex" in exclude:
        dtypes = tuple(d for d in dtypes if not d.startswith("complex"))
    first = modes[0]
    nd_all = (1, 2, 3) if convention != "signal2d" and "ndim" not in exclude else (2,) if convention == "signal2d" else (1,)
    base = (2,) if convention == "signal2d" else (1,)
    nonfinite = None if precision != "fft" else "declared: --precision fft need not propagate NaN/inf"
    out = [SignalFacet("plain", base, modes=(first,))]
    out += [SignalFacet(f"mode:{m}", base, modes=(m,)) for m in modes[1:]]
    if filt:
        out.append(SignalFacet("cval", base, modes=tuple(m for m in modes if "constant" in m) or (first,), fills=True,
                               skipped=None if any("constant" in m for m in modes) else "no constant mode declared"))
        out.append(SignalFacet("origins", base, modes=modes, origins=True))
    if convention == "signal2d":
        out.append(SignalFacet("boundaries", base, modes=modes, boundaries=tuple(oracle_filters.BOUNDARIES), fills=True))
    out.append(SignalFacet("even-kernels", base, modes=modes, even=True,
                           skipped="declared: odd kernels only (--odd-kernels)" if odd_kernels else None))
    out.append(SignalFacet("second-longer", base, modes=modes, longer_second=True))
    out += [SignalFacet(f"dtype:{d}", base, dtypes=(d,), modes=modes) for d in dtypes if d not in ("float64", "int64")]
    out.append(SignalFacet("integers", base, dtypes=("int64",), kinds=("integers",), modes=modes,
                           large_integers=precision != "fft",
                           skipped="int64 not among --dtypes" if "int64" not in dtypes else None))
    out.append(SignalFacet("nonfinite", base, kinds=("nonfinite",), modes=modes, skipped=nonfinite))
    if convention != "signal2d":
        out.append(SignalFacet("ndim", tuple(n for n in nd_all if n > 1), modes=modes, max_side=4))
    if convention == "signal":
        out.append(SignalFacet("0-d", (0,), modes=modes))
    out.append(SignalFacet("empty", base, modes=modes, empty=True, max_side=3))
    out.append(SignalFacet("long", base, kinds=("integers",), modes=modes, max_side=LONG[base[0]]))
    nonfinite_too = nonfinite is None and "nonfinite" not in exclude
    out.append(SignalFacet("combined", nd_all, dtypes=tuple(d for d in dtypes if d != "int64") or ("float64",),
                           kinds=("integers", "floats") + (("nonfinite",) if nonfinite_too else ()), modes=modes,
                           boundaries=tuple(oracle_filters.BOUNDARIES) if convention == "signal2d" else ("fill",),
                           fills=convention != "signal" and "cval" not in exclude,
                           origins=filt and "origins" not in exclude, max_side=4))
    if odd_kernels:
        out = [dataclasses.replace(f, odd=True) for f in out]
    return out


@st.composite
def cases(draw: st.DrawFn, facet: SignalFacet, convention: str, correlate: bool, same: str) -> SignalCase:
    """A `SignalCase` inside ``facet``."""
    nd = draw(st.sampled_from(facet.ndims))
    dtype = draw(st.sampled_from(facet.dtypes))
    rule = None
    kind = draw(st.sampled_from(facet.kinds)) if not dtype.startswith("int") else "integers"
    if kind == "nonfinite" and dtype.startswith("complex"):  # complex NaN/inf arithmetic has no one convention
        kind = "floats"
    if facet.name == "long":  # a long signal and a short kernel: where blocks of an FFT or overlap-add meet
        a_shape = tuple(draw(st.integers(facet.max_side // 4, facet.max_side)) for _ in range(nd))
        v_shape = tuple(draw(st.integers(1, 65 if nd == 1 else 9)) for _ in range(nd))
        rule = draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(rule)
        a, v = (rng.integers(-2, 3, size=s).astype(dtype) for s in (a_shape, v_shape))
    else:
        sides = st.integers(1, facet.max_side)
        a_shape = tuple(draw(sides) for _ in range(nd))
        v_shape = tuple(draw(sides) for _ in range(nd))
        if facet.even:
            v_shape = tuple(s + s % 2 for s in v_shape)
        if facet.longer_second and nd:
            axis = draw(st.integers(0, nd - 1))
            v_shape = tuple(max(s, a_shape[i] + draw(st.integers(1, 3))) if i == axis else s for i, s in enumerate(v_shape))
        elif not facet.longer_second and convention != "filter":  # plain and its kin: in1 the larger on every axis
            a_shape = tuple(max(m, n) for m, n in zip(a_shape, v_shape))
        if facet.odd:
            v_shape = tuple(s if s % 2 else s + 1 for s in v_shape)
        if facet.empty:  # one axis of one operand of length 0
            axis, second = draw(st.integers(0, nd - 1)), draw(st.booleans())
            shape = v_shape if second else a_shape
            shape = tuple(0 if i == axis else n for i, n in enumerate(shape))
            a_shape, v_shape = (a_shape, shape) if second else (shape, v_shape)
        a = draw(_array(a_shape, dtype, kind, convention, facet.large_integers))
        v = draw(_array(v_shape, dtype, kind if kind != "nonfinite" else "integers", convention, facet.large_integers))
        if kind == "nonfinite" and draw(st.booleans()):
            v = draw(_array(v_shape, dtype, "nonfinite"))
    mode = draw(st.sampled_from(facet.modes))
    boundary = draw(st.sampled_from(facet.boundaries))
    fill: float = 0
    if facet.fills:
        fill = draw(st.integers(-3, 3)) if dtype.startswith("int") else draw(st.sampled_from([0.0, 1.0, -2.5, 7.0]))
    origin = tuple(draw(st.integers(-(n // 2), (n - 1) // 2)) if facet.origins else 0 for n in v.shape) or (0,)
    case = SignalCase(convention, correlate, a, v, mode, boundary, fill, origin, same,
                      rule if facet.name == "long" else None)
    if (convention == "signal2d" and correlate and mode == "valid" and np.result_type(a, v).kind == "c"
            and not all(m >= n for m, n in zip(a.shape, v.shape))):
        from hypothesis import reject

        reject()  # scipy's correlate2d conjugates in1 when it swaps a larger in2 (belief correlate2d-valid-is-correlate-valid)
    finite = bool(np.isfinite(a).all() and np.isfinite(v).all())
    if convention == "signal" and not finite and a.ndim > 1:
        from hypothesis import reject

        reject()  # scipy's N-d direct loop multiplies the zero padding (its known issue scipy-direct-swap-spreads-nan)
    if convention == "filter" and (not np.isfinite(v).all() or near_symmetry_hazard(v)
                                   or (not np.isfinite(a).all() and (v == 0).any())):
        from hypothesis import reject

        # scipy.ndimage's own known issues (ndimage-absolute-epsilon: tiny, near-symmetric and zero weights skipped,
        # so a NaN input never meets a zero weight; ndimage-nan-weights-ignored) are not drawn, as torch's are not
        # for the torch conventions: scipy's function passes its own convention
        reject()
    if convention != "filter" and mode == "valid" and not case.empty and not (all(m >= n for m, n in zip(a.shape, v.shape))
                                                          or all(n >= m for m, n in zip(a.shape, v.shape))):
        from hypothesis import reject

        reject()  # no answer is defined: scipy refuses it
    return case


def judge(case: SignalCase, reply: dict[str, Any], precision: str) -> tuple[str, str] | None:
    """What is wrong with the reply, as ``(kind, message)``, or ``None``."""
    kind = reply["kind"]
    if kind == "declined":
        return None
    if kind in ("crash", "timeout"):
        return kind, reply["message"]
    if kind == "raised" and case.empty and reply.get("refused"):
        return None  # a refusal of an operand with no elements, as scipy.signal's
    if kind == "raised":
        return "raised", reply["traceback"]
    if reply.get("mutated"):
        return "mutated", f"the implementation wrote into its {' and '.join(reply['mutated'])}"
    got = reply["out"]
    if got is None:
        return "type", f"the implementation returned a {reply['type']}, not an array"
    if case.empty and not (case.convention == "filter" and case.v.size):
        if got.size and not (got == 0).all():
            return "values", (f"an empty operand ({case.a.shape} and {case.v.shape}) has no sample to give, yet the "
                              f"answer of shape {got.shape} holds non-zero values (uninitialised memory?): "
                              f"{np.array2string(got.ravel()[:8], threshold=8)}")
        return None
    expected = case.answer()
    if got.shape != expected.shape:
        return "shape", f"the implementation returned shape {got.shape}; the definition's is {expected.shape}"
    returned = np.dtype(reply["dtype"])
    # an FFT method may return integer inputs' result as float64 (scipy.signal.fftconvolve does)
    if returned != case.dtype and not (precision == "fft" and case.dtype.kind in "iu" and returned == np.float64):
        return "dtype", f"the implementation returned {reply['dtype']} for {case.a.dtype} and {case.v.dtype}; the result is {case.dtype}"
    dtype = str(case.dtype) if case.dtype.kind not in "iu" else "float64"
    if returned.kind in "iu":
        bound: Any = 0.0
    elif precision == "fft":
        # the transform sees the operand as extended: its fill values (|fillvalue|, |cval|) count in its norms
        width = [(n - 1, n - 1) for n in case.v.shape]
        magnitude = np.abs(np.nan_to_num(case.a))
        extended = np.pad(magnitude, width, constant_values=abs(np.nan_to_num(case.fill))) if width else magnitude
        bound = tolerance.fft_bound(extended, np.nan_to_num(case.v), int(np.prod([m + n - 1 for m, n in
                                    zip(extended.shape, case.v.shape)]) or 1), dtype)
    else:
        bound = tolerance.direct_bound(case.answer(magnitude=True), case.terms, dtype, complex_data=case.dtype.kind == "c")
    mismatch = tolerance.compare(got, expected, bound)
    if mismatch is None:
        return None
    return "values", f"values differ at {mismatch.count} of {mismatch.total} output elements\n" + "\n".join(
        mismatch.describe().splitlines()[1:])


def reproduction(case: SignalCase, target: str, fn_ref: tuple[str, str] | None, precision: str = "exact",
                 arrays: str = "numpy", device: str = "cpu") -> str:
    """A standalone script: the arrays written out (long ones by their seeded rule), the call, the definition's
    answer written out (the library's own call beside it, as a comment), compared within the bound. With torch
    or JAX ``arrays``, the operands are handed over as those and the answer read back into NumPy."""
    from conv_equivalence.check.reproduce import _array_code, _loader

    def written(name: str, a: np.ndarray) -> str:  # every value exactly (repr), as check's own snippets write them
        return _array_code(name, a, "int64" if a.dtype == object else str(a.dtype), "contiguous", "numpy")

    lines = ["import numpy as np", "from math import inf, nan", _loader(target, fn_ref)]
    long = case.rule is not None
    if long:
        lines.append(f"rng = np.random.default_rng({case.rule})  # the long facet's data: small integers in [-2, 2]")
        lines += [f"a = rng.integers(-2, 3, size={case.a.shape}).astype(np.{case.a.dtype})",
                  f"v = rng.integers(-2, 3, size={case.v.shape}).astype(np.{case.v.dtype})"]
    else:
        lines += [written("a", case.a), written("v", case.v)]
    if case.convention == "signal":
        library = f"scipy.signal.{'correlate' if case.correlate else 'convolve'}(a, v, {case.mode!r}, method='direct')"
        if case.mode == "same" and case.same == "numpy":
            library = f"np.{'correlate' if case.correlate else 'convolve'}(a, v, 'same')"
        call = f"impl(a, v, {case.mode!r})"
    elif case.convention == "signal2d":
        library = f"scipy.signal.{'correlate2d' if case.correlate else 'convolve2d'}(a, v, {case.mode!r}, {case.boundary!r}, {case.fill!r})"
        call = f"impl(a, v, {case.mode!r}, {case.boundary!r}, {case.fill!r})"
    else:
        library = (f"scipy.ndimage.{'correlate' if case.correlate else 'convolve'}(a, v, mode={case.mode!r}, "
                   f"cval={case.fill!r}, origin={list(case.origin)!r})")
        call = f"impl(a, v, {case.mode!r}, {case.fill!r}, {case.args[4]!r})"
    if arrays != "numpy":
        call = call.replace("impl(a, v,", "impl(A, V,")
        lines += ["import torch", f"A, V = torch.from_numpy(a).to({device!r}), torch.from_numpy(v).to({device!r})"] \
            if arrays == "torch" else ["import jax", "jax.config.update('jax_enable_x64', True)",
                                       "A, V = jax.numpy.asarray(a), jax.numpy.asarray(v)"]
    read_back = "np.asarray(got.detach().cpu())" if arrays == "torch" else "np.asarray(got)"
    if case.empty:
        lines += ["try:", f"    got = {read_back.replace('got', call)}", "except (ValueError, TypeError, RuntimeError) as exc:",
                  "    print('refused (allowed for an operand with no elements):', exc)", "else:",
                  "    print('got:', got)",
                  "    assert not got.size or (got == 0).all(), 'an empty operand answered with non-zero values'"]
        return "\n".join(lines) + "\n"
    expected = case.answer()
    if long:
        lines += [f"import scipy.signal, scipy.ndimage\nexpected = {library}  # exact here: small integers"]
    else:
        lines.append(written("expected", expected) + f"  # the definition's answer; the library's call: {library}")
    bound = 0.0
    if case.dtype.kind in "fc" and precision != "fft":
        bound = float(np.nanmax(tolerance.direct_bound(case.answer(magnitude=True), case.terms, str(case.dtype),
                                                       complex_data=case.dtype.kind == "c"), initial=0.0))
    lines += [f"got = {call}" if arrays == "numpy" else f"got = {read_back.replace('got', call)}", "print('got:     ', got)", "print('expected:', expected)",
              f"assert got.shape == expected.shape and np.allclose(got, expected, rtol=0, atol={bound!r}, equal_nan=True), 'differs'"]
    return "\n".join(lines) + "\n"


def run_facet(facet: SignalFacet, runner: Any, convention: str, correlate: bool, same: str, precision: str,
              settings_: Any, seed: int | None, budget: float = 120.0, arrays: str = "numpy") -> FacetResult:
    """One facet's search: examples checked and declined, the smallest failing case."""
    from hypothesis import settings

    result = FacetResult(facet.name)
    if facet.skipped:
        result.status, result.note = "skipped", facet.skipped
        return result
    failures: list[tuple[SignalCase, tuple[str, str]]] = []
    started, shrink_calls = [0.0], [0]

    def body(case: SignalCase) -> None:
        if failures:  # shrinking: a budget of calls, so that the smallest counterexample does not depend on load
            shrink_calls[0] += 1
            if shrink_calls[0] > SHRINK_CALLS or time.perf_counter() - started[0] > budget:
                raise StopFacet
        reply = runner.call({"signal": True, "args": case.args, "arrays": arrays})
        result.warnings.update(reply.get("warnings", ()))
        if reply["kind"] == "declined":
            if not failures:
                result.declined += 1
                result.declined_reasons[reply["message"].splitlines()[0][:160] if reply["message"] else ""] += 1
            if result.declined >= 4 * settings_.max_examples and not failures:
                raise StopFacet
            from hypothesis import reject

            reject()
        if not failures:
            result.examples += 1
        failure = judge(case, reply, precision)
        if failure is None:
            return
        failures.append((case, failure))
        started[0] = started[0] or time.perf_counter()
        if failure[0] == "timeout":
            raise StopFacet
        raise AssertionError(failure[1])

    profile = settings(settings_, database=None, print_blob=False, report_multiple_bugs=False, deadline=None)
    if facet.name == "long":
        profile = settings(profile, max_examples=max(3, profile.max_examples // 10))
    start = time.perf_counter()
    stopped, flaky = run_search(cases(facet, convention, correlate, same), body, profile, seed, f"{convention}:{facet.name}")
    result.note = "not deterministic: " if flaky else ""
    result.seconds = time.perf_counter() - start
    if failures:  # Hypothesis's last failure is its shrunk one, unless the search was cut short
        case, (kind, message) = min(failures, key=lambda cf: (cf[0].size, cf[0].a.shape + cf[0].v.shape)) if stopped else failures[-1]
        failure = Failure(kind, message)
        result.status, result.failure = failure.status, failure
        result.note += failure.headline
        result.counterexample = case
    elif result.examples == 0:
        result.status = "declined" if result.declined else "skipped"
        result.note = (f"every example declined: {result.declined_reasons.most_common(1)[0][0]}" if result.declined
                       else "no example fits the declared limits")
    elif result.declined:
        result.note = f"some declined: {result.declined_reasons.most_common(1)[0][0]}"
    return result


FEATURES: dict[str, Callable[[SignalCase], bool]] = {
    "plain": lambda c: True,
    "even-kernels": lambda c: any(n % 2 == 0 for n in c.v.shape),
    "second-longer": lambda c: any(n > m for m, n in zip(c.a.shape, c.v.shape)),
    "integers": lambda c: c.dtype.kind in "iu",
    "nonfinite": lambda c: not (np.isfinite(c.a).all() and np.isfinite(c.v).all()),
    "ndim": lambda c: c.a.ndim > 1,
    "0-d": lambda c: c.a.ndim == 0,
    "empty": lambda c: c.empty,
    "long": lambda c: c.a.size > 1000,
    "boundaries": lambda c: c.boundary != "fill" or c.fill != 0,
    "cval": lambda c: c.fill != 0,
    "origins": lambda c: any(o != 0 for o in c.origin),
}
"""Whether a counterexample has a facet's feature (``mode:X`` and ``dtype:X`` are read from their names)."""


def _has(facet: str, case: SignalCase) -> bool:
    if facet.startswith("mode:"):
        return case.mode == facet[5:]
    if facet.startswith("dtype:"):
        return str(case.dtype) == facet[6:]
    return FEATURES.get(facet, lambda c: False)(case)


def _explain(results: list[FacetResult]) -> None:
    """A failing facet whose counterexample has the feature of an earlier facet that fails in the same way is
    ``explained`` by it: one defect is reported once, under the first facet that shows it."""
    failing = ("fail", "crash", "timeout")
    for i, r in enumerate(results):
        if r.status not in failing or not isinstance(r.counterexample, SignalCase) or r.failure is None:
            continue
        for basic in results[:i]:
            if basic.status in failing and basic.failure is not None and basic.failure.kind == r.failure.kind \
                    and _has(basic.name, r.counterexample):
                r.status, r.note = "explained", f"fails as {basic.name} does (its counterexample has {basic.name}'s feature)"
                break


def check_signal(fn: Callable[..., Any] | str, options: Any, runner: Any) -> tuple[list[FacetResult], list[str]]:
    """Every facet of ``options.convention`` against ``runner`` (started); the results and the table's notes."""
    from hypothesis import settings

    convention = options.convention
    modes = tuple(options.modes or (SIGNAL_MODES if convention != "filter" else tuple(oracle_filters.FILTER_MODES)))
    dtypes = tuple(options.dtypes or ("float64", "float32", "complex128", "complex64", "int64"))
    settings_ = options.profile if options.profile is not None else settings()
    if options.examples is not None:
        settings_ = settings(settings_, max_examples=options.examples)
    planned = facets(convention, modes, options.precision, dtypes, options.exclude, options.odd_kernels)
    unknown = sorted(set(options.only or ()) - {f.name for f in planned})
    if unknown:
        raise UsageError(f"--facets: no facet {', '.join(unknown)} in this check (with these options the facets are "
                         f"{', '.join(f.name for f in planned)})")
    results = []
    fn_ref = None if isinstance(fn, str) else (getattr(fn, "__module__", "__main__"), getattr(fn, "__qualname__", "?"))
    for facet in planned:
        if options.only is not None and facet.name not in options.only:
            continue
        r = run_facet(facet, runner, convention, options.correlate, options.same, options.precision, settings_,
                      options.seed, arrays=options.arrays)
        if r.status in ("fail", "crash", "timeout") and isinstance(r.counterexample, SignalCase):
            r.reproduction = reproduction(r.counterexample, fn if isinstance(fn, str) else "", fn_ref, options.precision,
                                          options.arrays, options.device)
        results.append(r)
    _explain(results)
    same = "" if convention != "signal" else f", 'same' by {options.same}'s rule"
    arrays = "" if options.arrays == "numpy" else f", {options.arrays} arrays on {options.device}"
    notes = [f"note: {convention} convention, {'correlate' if options.correlate else 'convolve'} semantics{same}{arrays}; "
             f"modes checked: {', '.join(modes)}"]
    return results, notes
