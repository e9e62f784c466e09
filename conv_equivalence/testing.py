"""Strategies for your own property tests, in the style of ``hypothesis.extra.numpy``.

`convolutions` draws a ready-to-call convolution for a named calling convention; its `Convolution`
holds the arguments exactly as that convention passes them and the oracle's answer; `assert_matches`
compares a result with that answer under the derived rounding bound and raises ``AssertionError``
with the same readable counterexample that ``conv-equivalence check`` prints::

    from hypothesis import given
    from conv_equivalence.testing import assert_matches, convolutions

    @given(convolutions("torch", ndim=2, dtypes=["float32", "float64"]))
    def test_my_conv(conv):
        assert_matches(conv, my_conv2d(*conv.args), name="my_conv2d")

Conventions (`conv_equivalence.check.conventions`): ``torch`` (tensors, ``torch.nn.functional.conv{N}d``'s
positional order ``input, weight, bias, stride, padding, dilation, groups``; with ``transposed=True``
``conv_transpose{N}d``'s ``input, weight, bias, stride, padding, output_padding, groups, dilation``),
``numpy``, ``jax`` (the same order with arrays), ``nhwc-hwio`` and ``nhwc-ohwi`` (channels-last input
and weight, output in the same layout). `Convolution.layer` builds a ``torch.nn.Conv{N}d`` (or your own
subclass) holding the drawn weight and bias, for layers. Integer parameters come as an int or a
per-axis tuple (both drawn), as torch accepts them; padding never comes as ``(before, after)`` pairs,
which torch's functions do not take.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from conv_equivalence.check import conventions, drawing
from conv_equivalence.check import facets as fct
from conv_equivalence.problem import ConvProblem

__all__ = ["PARAMETERS", "ELEMENTS", "DOMAIN", "Convolution", "SignalConvolution", "convolutions", "real_convolutions",
           "assert_matches", "MismatchError"]
DOMAIN = ("depthwise", "shared-kernel", "odd-kernels", "square-kernels")
"""What ``convolutions(domain=...)`` can declare an implementation takes (as ``check --depthwise`` and the rest)."""

PARAMETERS = ("stride", "padding", "padding-strings", "dilation", "groups", "bias", "empty-batch", "layout",
              "output-padding")
"""What may vary beyond the plain convolution (float or integer values, any batch, channels and sizes,
contiguous arrays, stride 1, no padding, dilation 1, one group, no bias)."""
ELEMENTS = ("integers", "floats", "nonfinite")
"""``integers``: small integers (results compare exactly); ``floats``: wide-range finite floats (within
the rounding bound); ``nonfinite``: NaN and infinities mixed in (IEEE propagation)."""


@dataclasses.dataclass(frozen=True)
class Convolution:
    """One drawn convolution: the problem, and how the named convention passes it.

    ``args`` are the positional arguments for the convention (built afresh on each access, so a
    function that writes into its inputs cannot spoil the next call); ``expected`` is the oracle's
    exact answer, in the convention's output layout, as float64, complex128 or int64.
    """

    case: fct.Case
    convention: str
    device: str = "cpu"
    domain: fct.Facet | None = dataclasses.field(default=None, repr=False, compare=False)
    options: fct.Options | None = dataclasses.field(default=None, repr=False, compare=False)
    trial: Any = dataclasses.field(default=None, repr=False, compare=False)
    """For `real_convolutions`: the layer, its data's rule, dtype and seed (`realsize.Trial`)."""

    def __repr__(self) -> str:
        if self.trial is not None:
            t = self.trial
            return f"Convolution({self.convention!r}, {t.dtype}, {t.layer.label}: {t.layer.line()}, {t.data} data, seed {t.seed})"
        p = self.case.problem
        params = ", ".join(f"{k}={v!r}" for k, v in self.case.args.items() if v is not None)
        bias = "" if p.bias is None else f", bias {tuple(p.bias.shape)}"
        return (f"Convolution({self.convention!r}, {p.dtype}, input {tuple(p.x.shape)} {p.layout}, "
                f"weight {tuple(p.weight.shape)}{bias}, {params})")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how Hypothesis prints a failing case
        printer.text(repr(self))

    @property
    def problem(self) -> ConvProblem:
        return self.case.problem

    @property
    def args(self) -> tuple[Any, ...]:
        p, a = self.case.problem, self.case.args
        x, w, b = conventions.build(self.convention, self.case.call_data(), self.device)
        if p.spec.transposed:
            return (x, w, b, a["stride"], a["padding"], a["output_padding"], a["groups"], a["dilation"])
        return (x, w, b, a["stride"], a["padding"], a["dilation"], a["groups"])

    @property
    def expected(self) -> np.ndarray:
        from conv_equivalence.oracle import solve

        out = solve(self.case.problem)
        return np.moveaxis(out, 1, -1) if self.convention.startswith("nhwc") else out

    def layer(self, cls: Callable[..., Any] | None = None) -> Any:
        """A ``torch.nn.Conv{N}d``/``ConvTranspose{N}d`` (or ``cls``, built with the same constructor
        arguments) holding the drawn weight and bias; call it on ``args[0]``."""
        import torch

        p, a = self.case.problem, self.case.args
        s, nd = p.spec, p.spec.ndim
        if self.convention != "torch":
            raise InvalidArgument(f"layer() needs the torch convention, got convention={self.convention!r}")
        if cls is None:
            cls = getattr(torch.nn, f"ConvTranspose{nd}d" if s.transposed else f"Conv{nd}d")
        c_out = p.weight.shape[1] * s.groups if s.transposed else p.weight.shape[0]
        kwargs: dict[str, Any] = dict(stride=a["stride"], padding=a["padding"], dilation=a["dilation"], groups=s.groups,
                                      bias=p.bias is not None, dtype=getattr(torch, p.dtype), device=self.device)
        if s.transposed:
            kwargs["output_padding"] = a["output_padding"]
        module = cls(p.x.shape[1], c_out, tuple(p.weight.shape[2:]), **kwargs)
        _, w, b = self.args[:3]
        state = {"weight": w} | ({} if b is None else {"bias": b})
        module.load_state_dict(state, strict=False)
        return module


def _choices(name: str, given: Iterable[str] | None, allowed: tuple[str, ...], *, empty: bool = False) -> tuple[str, ...]:
    if given is None:
        return allowed
    if isinstance(given, str):
        raise InvalidArgument(f"{name} must be a list of names, not the string {given!r} (write [{given!r}])")
    values = tuple(given)
    bad = [v for v in values if v not in allowed]
    if bad or not (values or empty):
        raise InvalidArgument(f"{name} must be a {'' if empty else 'non-empty '}list drawn from {', '.join(allowed)}; "
                              f"got {list(values)!r}")
    return values


@dataclasses.dataclass(frozen=True)
class SignalConvolution:
    """One drawn call of the ``signal``, ``signal2d`` or ``filter`` convention (`conv_equivalence.check.signals`):
    ``args`` for the callable (fresh copies, as ``arrays``), ``expected`` the oracle's exact answer."""

    case: Any
    arrays: str = "numpy"
    device: str = "cpu"

    def __repr__(self) -> str:
        c = self.case
        return (f"SignalConvolution({c.convention!r}, {'correlate' if c.correlate else 'convolve'}, in1 {c.a.shape} "
                f"{c.a.dtype}, in2 {c.v.shape} {c.v.dtype}, mode={c.mode!r})")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    @property
    def args(self) -> tuple[Any, ...]:
        return conventions.signal_operands(tuple(a.copy() if isinstance(a, np.ndarray) else a for a in self.case.args),
                                           self.arrays, self.device)

    @property
    def expected(self) -> np.ndarray:
        return self.case.answer()  # type: ignore[no-any-return]


def _signal_convolutions(convention: str, ndim: int | None, dtypes: Iterable[str] | None, modes: Iterable[str] | None,
                         correlate: bool, same: str, elements: Iterable[str]) -> st.SearchStrategy[SignalConvolution]:
    from conv_equivalence.check import signals
    from conv_equivalence.oracle_filters import BOUNDARIES, FILTER_MODES

    allowed_modes = tuple(FILTER_MODES) if convention == "filter" else signals.SIGNAL_MODES
    mode_choices = _choices("modes", modes, allowed_modes)
    dtype_choices = _choices("dtypes", dtypes, ("float64", "float32", "complex128", "complex64", "int64"))
    kinds = _choices("elements", elements, ELEMENTS)
    if not isinstance(correlate, bool):
        raise InvalidArgument(f"correlate must be True or False, got {correlate!r}")
    if same not in signals.SAME_RULES or (same != "scipy" and convention != "signal"):
        raise InvalidArgument(f"same must be one of {', '.join(signals.SAME_RULES)} (for convention='signal'), got {same!r}")
    if convention == "signal2d" and ndim not in (None, 2):
        raise InvalidArgument(f"ndim must be 2 (or None) for convention='signal2d', got {ndim!r}")
    if ndim is not None and (isinstance(ndim, bool) or ndim not in (0, 1, 2, 3)):
        raise InvalidArgument(f"ndim must be 0, 1, 2, 3 or None, got {ndim!r}")
    ranks = (2,) if convention == "signal2d" else (ndim,) if ndim is not None else (1, 2, 3)
    facet = signals.SignalFacet("property test", ranks, dtype_choices, kinds, mode_choices,
                                tuple(BOUNDARIES) if convention == "signal2d" else ("fill",),
                                fills=convention != "signal", origins=convention == "filter", max_side=5 if ranks != (3,) else 3)
    return st.booleans().flatmap(lambda longer: signals.cases(
        dataclasses.replace(facet, longer_second=longer), convention, correlate, same)).map(SignalConvolution)


def convolutions(convention: str = "torch", *, transposed: bool = False, ndim: int | None = None,
                 dtypes: Iterable[str] | None = None, vary: Iterable[str] | None = None,
                 elements: Iterable[str] = ("integers", "floats"), device: str = "cpu",
                 domain: Iterable[str] = (), modes: Iterable[str] | None = None, correlate: bool = False,
                 same: str = "scipy", arrays: str = "numpy") -> st.SearchStrategy[Any]:
    """Ready-to-call convolutions for ``convention`` (see the module docstring).

    ``ndim`` pins the spatial rank (1, 2 or 3; drawn when ``None``); ``dtypes`` limits the dtypes to
    those named (default: every dtype the convention's arrays hold and torch computes); ``vary`` names the
    `PARAMETERS` that may differ from the plain convolution (default: all); ``elements`` picks the
    values (`ELEMENTS`); ``device`` is where torch tensors are put; ``domain`` declares what the
    implementation takes, as ``check``'s options of the same names do (`DOMAIN`: ``depthwise``,
    ``shared-kernel``, ``odd-kernels``, ``square-kernels``): every draw lies inside it. Every argument is checked here,
    before anything is drawn, and a mistake raises ``InvalidArgument`` naming it. The signal-processing and
    filter conventions take ``modes``, ``correlate``, ``same`` and ``arrays`` (``numpy``, ``torch`` on
    ``device``, or ``jax``: what ``args`` hands over) as ``check``'s options of those names.
    """
    if convention not in conventions.CONVENTIONS:
        raise InvalidArgument(f"convention must be one of {', '.join(conventions.CONVENTIONS)}, got {convention!r}")
    if convention in ("signal", "signal2d", "filter"):
        if transposed or vary is not None or tuple(domain):
            raise InvalidArgument(f"transposed, vary and domain are for the torch-style conventions, not "
                                  f"convention={convention!r}")
        if arrays not in conventions.SIGNAL_ARRAYS:
            raise InvalidArgument(f"arrays must be one of {', '.join(conventions.SIGNAL_ARRAYS)}, got {arrays!r}")
        if device not in conventions.DEVICES or (device != "cpu" and arrays != "torch"):
            raise InvalidArgument(f"device must be 'cpu', or one of {', '.join(conventions.DEVICES)} with arrays='torch'; "
                                  f"got {device!r}")
        return _signal_convolutions(convention, ndim, dtypes, modes, correlate, same, elements).map(
            lambda conv: dataclasses.replace(conv, arrays=arrays, device=device))
    if modes is not None or correlate or same != "scipy" or arrays != "numpy":
        raise InvalidArgument(f"modes, correlate, same and arrays are for convention='signal', 'signal2d' or "
                              f"'filter', not {convention!r}")
    if not isinstance(transposed, bool):
        raise InvalidArgument(f"transposed must be True or False, got {transposed!r}")
    if ndim is not None and (isinstance(ndim, bool) or ndim not in (1, 2, 3)):
        raise InvalidArgument(f"ndim must be 1, 2, 3 or None, got {ndim!r}")
    if device not in conventions.DEVICES:
        raise InvalidArgument(f"device must be one of {', '.join(conventions.DEVICES)}, got {device!r}")
    if device != "cpu" and convention != "torch":
        raise InvalidArgument(f"device={device!r} needs convention='torch', got {convention!r}")
    dtype_choices = _choices("dtypes", dtypes, conventions.dtypes(convention))
    varied = set(_choices("vary", vary, PARAMETERS, empty=True))
    kinds = _choices("elements", elements, ELEMENTS)
    declared = frozenset(_choices("domain", domain, DOMAIN, empty=True))
    if "nonfinite" in kinds and not any(d in ("float16", "bfloat16", "float32", "float64") for d in dtype_choices):
        raise InvalidArgument(f"elements='nonfinite' needs a real floating dtype among dtypes={list(dtype_choices)!r}")
    ranks = (ndim,) if ndim is not None else (1, 2, 3)
    return st.sampled_from(ranks).flatmap(
        lambda nd: _draw(convention, transposed, nd, dtype_choices, frozenset(varied), kinds, device, declared))


def _draw(convention: str, transposed: bool, nd: int, dtypes: tuple[str, ...], varied: frozenset[str],
          kinds: tuple[str, ...], device: str, declared: frozenset[str] = frozenset()) -> st.SearchStrategy[Convolution]:
    from conv_equivalence.backends import get_backend

    reference = get_backend("torch.functional.conv_transpose" if transposed else "torch.functional.conv").capabilities
    layouts = conventions.layouts(convention) if "layout" in varied else ("contiguous",)
    layouts = tuple(lay for lay in layouts if not (lay == "channels_last" and nd == 1)) or ("contiguous",)
    varies_strings = "padding-strings" in varied and not transposed
    # 'valid' is how the strategies say "no padding"; `facets.cases` passes it as 0 unless strings may vary.
    strings = () if transposed else ("same", "valid") if varies_strings else ("valid",)
    caps = dataclasses.replace(
        reference, ranks=(nd,), dtypes=tuple(d for d in dtypes if d in reference.dtypes), stride="stride" in varied,
        dilation="dilation" in varied, groups="groups" in varied, bias="bias" in varied, padding_modes=("zeros",),
        padding_strings=strings, padding_pairs=False, layouts=layouts, empty_batch="empty-batch" in varied)
    paddings = ("valid",) + (("ints", "tuple") if "padding" in varied else ()) + (("same",) if varies_strings else ())
    owns = {"padding" if "padding" in varied else "", "padding-strings" if varies_strings else "",
            "output-padding" if "output-padding" in varied else ""} - {""}
    facet = fct.Facet("property test", caps, kinds, paddings, frozenset(owns))
    options = fct.Options(ndim=nd, transposed=transposed, dtypes=caps.dtypes, layouts=layouts,
                          nonfinite="nonfinite" in kinds, depthwise="depthwise" in declared,
                          shared_kernel="shared-kernel" in declared, odd_kernels="odd-kernels" in declared,
                          square_kernels="square-kernels" in declared)
    return drawing.cases(facet, options).map(lambda case: Convolution(case, convention, device, facet, options))


def real_convolutions(convention: str = "torch", *, shapes: Iterable[str] | None = None, ndim: int = 2,
                      transposed: bool = False, dtypes: Iterable[str] = ("float32",), data: str = "exact",
                      device: str = "cpu") -> st.SearchStrategy[Convolution]:
    """Convolutions at real layer sizes, as ``check``'s ``real-sizes`` facet makes them: a layer of the shape
    tables (``shapes``: ``all``, shipped table names or table files; default: the sample that reaches every
    large value, `conv_equivalence.check.shapes.sample`) of this rank and kind, with ``exact`` data (small integers,
    sparse where the dtype needs it, so the comparison is exact at any size) or ``float`` data, from a drawn
    seed. A failing `assert_matches` given ``function`` reports where each dimension starts to fail."""
    from conv_equivalence.check import realsize
    from conv_equivalence.check import shapes as tables
    if convention not in conventions.CONVENTIONS:
        raise InvalidArgument(f"convention must be one of {', '.join(conventions.CONVENTIONS)}, got {convention!r}")
    if convention in ("signal", "signal2d", "filter"):
        raise InvalidArgument(f"real_convolutions draws layers of the torch-style conventions, not convention={convention!r}")
    if ndim not in (1, 2, 3):
        raise InvalidArgument(f"ndim must be 1, 2 or 3, got {ndim!r}")
    if data not in ("exact", "float"):
        raise InvalidArgument(f"data must be 'exact' or 'float', got {data!r}")
    chosen_dtypes = _choices("dtypes", dtypes, tuple(d for d in ("float64", "float32", "float16", "bfloat16", "int64")
                                                      if d in conventions.dtypes(convention)))
    try:
        layers = tables.resolve(list(shapes)) if shapes is not None else tables.sample(tables.builtin())
    except ValueError as exc:
        raise InvalidArgument(str(exc).replace("--shapes", "shapes")) from None
    fitting = tables.matching(layers, ndim, transposed)
    if not fitting:
        raise InvalidArgument(f"shapes: no layer is a {'transposed ' if transposed else ''}{ndim}-D convolution")

    @st.composite
    def draw(draw_: st.DrawFn) -> Convolution:
        layer = draw_(st.sampled_from(fitting))
        dtype = draw_(st.sampled_from(chosen_dtypes))
        trial = realsize.Trial(layer, data, dtype, draw_(st.integers(0, 2**31 - 1)),
                               realsize.accumulation_bits(dtype, "exact"))
        return Convolution(trial.case(), convention, device, trial=trial)

    return draw()


class MismatchError(AssertionError):
    """What `assert_matches` raises: an ``AssertionError`` whose message is the text account, carrying the failure
    as ``facet`` (a `FacetResult`: the counterexample, expected and got, the reproduction; ``None`` for the
    cheap message raised while Hypothesis is still searching). In a notebook it draws as the HTML pages' card
    (``_repr_html_``): catch it and show it (``except AssertionError as e: e``)."""

    def __init__(self, message: str, facet: Any = None) -> None:
        super().__init__(message)
        self.facet = facet

    def __repr__(self) -> str:
        return f"{type(self).__name__}: {self}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str | None:
        if self.facet is None:
            return None
        from conv_equivalence.report.notebook import facet_html

        return facet_html(self.facet)


def assert_matches(conv: Convolution | SignalConvolution, got: Any, *, precision: str = "exact", name: str = "the implementation",
                   function: Callable[..., Any] | None = None) -> None:
    """Raise ``AssertionError`` unless ``got`` is the convention's array of the right shape and dtype, equal
    to the oracle's answer within the bound for ``precision`` (`conv_equivalence.tolerance.declared_bound`:
    ``exact``, ``float32``, ``tf32``, ``fft``, ``float16``, ``bfloat16``).

    The message is ``check``'s counterexample: the call's parameters, the arrays in their dtype,
    expected and got with the differing elements marked. Given ``function`` (the callable under test),
    the counterexample is first made as small as ``check`` makes it (the features that do not matter
    written out of it, then channels, taps, samples and non-zero values removed while it still fails
    the same way, inside the strategy's domain), and a standalone reproduction is added; inside a
    Hypothesis test that happens once, on the final replay of Hypothesis's own smallest example.
    """
    from conv_equivalence.check.judge import judge
    from conv_equivalence.check.render import failure_text
    from conv_equivalence.check.reproduce import snippet
    from conv_equivalence.check.result import FacetResult
    from conv_equivalence.tolerance import PRECISIONS

    if precision not in PRECISIONS:
        raise InvalidArgument(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if isinstance(conv, SignalConvolution):
        _assert_signal(conv, got, precision, name)
        return
    failure = judge(conv.case, _reply(got, conv.convention), precision, conv.convention)
    if failure is None:
        return
    case, reproduction = conv.case, None
    if function is not None and _shrinking():
        # Hypothesis is still searching or shrinking: say so cheaply; the final replay of its smallest
        # example (below) is made smaller still and printed in full, once.
        raise MismatchError(f"{name}: {failure.headline}")
    if conv.trial is not None:
        _real_size_failure(conv, failure, precision, name, function)
    if function is not None:
        case = _smallest(conv, function, precision, failure.kind)
        smaller = dataclasses.replace(conv, case=case)
        failure = judge(case, _reply(function(*smaller.args), conv.convention), precision, conv.convention) or failure
        reproduction = snippet(case, failure.kind, failure.atol, target="",
                               fn_ref=(getattr(function, "__module__", ""), getattr(function, "__qualname__", "")),
                               convention=conv.convention, device=conv.device, facet="property test")
    result = FacetResult(name, "fail", examples=1, counterexample=case, failure=failure, reproduction=reproduction)
    raise MismatchError(failure_text(result), result)


def _assert_signal(conv: SignalConvolution, got: Any, precision: str, name: str) -> None:
    """`assert_matches` for the signal conventions: `check`'s judgement and its account of the counterexample."""
    from conv_equivalence.check.judge import Failure
    from conv_equivalence.check.render import describe_signal as describe
    from conv_equivalence.check.result import FacetResult
    from conv_equivalence.check.signals import judge

    if precision not in ("exact", "fft"):
        raise InvalidArgument(f"precision must be exact or fft for convention={conv.case.convention!r}, got {precision!r}")
    failure = judge(conv.case, conventions.signal_reply(got), precision)
    if failure is not None:
        facet = FacetResult(name, "fail", examples=1, counterexample=conv.case, failure=Failure(*failure))
        raise MismatchError(f"{name}: {failure[1].splitlines()[0]}\n{describe(conv.case)}\n"
                            + "\n".join(failure[1].splitlines()[1:]), facet)


def _real_size_failure(conv: Convolution, failure: Any, precision: str, name: str,
                       function: Callable[..., Any] | None) -> None:
    """Raise the compact real-size account: with ``function``, each dimension shrunk to where it starts to fail."""
    from conv_equivalence.check import realsize
    from conv_equivalence.check.judge import judge
    from conv_equivalence.check.render import real_size_lines
    from conv_equivalence.check.reproduce import rule_snippet
    from conv_equivalence.check.result import FacetResult

    trial, calls = conv.trial, 0
    boundaries: list[Any] = []

    def fails(candidate: Any) -> str:
        case = candidate.case()
        try:
            out = function(*dataclasses.replace(conv, case=case, trial=candidate).args)  # type: ignore[misc]
        except Exception:  # noqa: BLE001 - another failure than the one being shown
            return "fails differently"
        found = judge(case, _reply(out, conv.convention), precision, conv.convention)
        return "passes" if found is None else "fails" if found.kind == failure.kind else "fails differently"

    if function is not None:
        trial, boundaries, calls = realsize.shrink(conv.trial, fails)
        smaller = dataclasses.replace(conv, case=trial.case(), trial=trial)
        failure = judge(smaller.case, _reply(function(*smaller.args), conv.convention), precision, conv.convention) or failure
    fn_ref = None if function is None else (getattr(function, "__module__", ""), getattr(function, "__qualname__", ""))
    reproduction = rule_snippet(trial, failure.kind, failure.atol, target="", fn_ref=fn_ref, convention=conv.convention,
                                device=conv.device) if function is not None else None
    real = realsize.RealSizeFailure(conv.trial, trial, boundaries, failure.kind, calls)
    facet = FacetResult(name, "fail", examples=1, counterexample=trial, failure=failure, reproduction=reproduction, real=real)
    raise MismatchError("\n".join([f"{name}: {failure.headline}", *real_size_lines(real, failure, reproduction)]), facet)


def _shrinking() -> bool:
    """Whether this call is one of Hypothesis's search or shrink steps, not the final replay of the
    falsifying example (or a call outside any Hypothesis test)."""
    from hypothesis.control import _current_build_context

    context = _current_build_context.value
    return context is not None and not context.is_final


def _reply(got: Any, convention: str) -> dict[str, Any]:
    array, type_name, dtype, shape = conventions.carrier(got, convention)
    return {"kind": "ok", "out": array, "type": type_name, "dtype": dtype, "shape": shape, "mutated": []}


def _smallest(conv: Convolution, function: Callable[..., Any], precision: str, kind: str) -> fct.Case:
    """``conv``'s case made small the way ``check`` does it (`facets.project`, then `minimize.minimize`)."""
    from conv_equivalence.check.judge import judge
    from conv_equivalence.check.minimize import minimize

    def fails(case: fct.Case) -> bool:
        try:
            out = function(*dataclasses.replace(conv, case=case).args)
        except Exception:  # noqa: BLE001 - another failure than the one being shown
            return False
        failure = judge(case, _reply(out, conv.convention), precision, conv.convention)
        return failure is not None and failure.kind == kind

    def allowed(case: fct.Case) -> bool:
        return conv.domain is None or conv.domain.contains(case)

    case = conv.case
    if conv.options is not None:
        base = fct.base_dtype(conv.options.dtypes)
        features = ("stride", "padding", "padding-strings", "dilation", "groups", "bias", "dtype", "layout",
                    "empty-batch", "nonfinite", "output-padding")
        for feature in (None, *features):  # the plainest projection that still fails, then one feature kept
            keep = frozenset() if feature is None else frozenset({feature})
            projected = drawing.project(case, base, conv.options, keep)
            if projected is not None and allowed(projected) and fails(projected):
                case = projected
                break
    return minimize(case, fails, allowed)
