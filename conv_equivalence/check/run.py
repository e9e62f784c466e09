"""Check a user's own convolution against the oracle, facet by facet (`conv_equivalence.check.facets`).

The callable has the signature of ``torch.nn.functional.conv{N}d`` (``input, weight, bias=None,
stride=1, padding=0, dilation=1, groups=1``) or, with ``transposed=True``, of
``conv_transpose{N}d`` (``input, weight, bias=None, stride=1, padding=0, output_padding=0,
groups=1, dilation=1``), with the arrays of a calling convention (`conv_equivalence.check.conventions`).
It runs in a child process (`conv_equivalence.check.runner`). Each facet is its own Hypothesis search
with its own shrunk counterexample and one of the statuses ``pass``, ``fail``, ``crash``,
``timeout``, ``declined`` (every example raised `NotImplementedError` or a declared type),
``skipped`` (excluded) and ``explained`` (its counterexample, without the facet's feature, fails
where a more basic facet already failed). Results are compared with `oracle.solve` within
`tolerance.declared_bound` for the declared ``precision``. Cases where torch itself is known to
deviate (the torch backend's `KnownIssue`s) are not generated, so torch's own function passes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

from conv_equivalence.check import drawing
from conv_equivalence.check import facets as fct
from conv_equivalence.check.cascade import Base, early, explain, find_base, on_failing_base, plains_own
from conv_equivalence.check.conventions import SIGNAL_CONVENTIONS
from conv_equivalence.check.conventions import dtypes as convention_dtypes
from conv_equivalence.check.conventions import layouts as convention_layouts
from conv_equivalence.check.judge import Unusable
from conv_equivalence.check.options import CheckOptions, UsageError
from conv_equivalence.check.result import FAILING, CheckResult, FacetResult, short
from conv_equivalence.check.runner import LoadFailed, Runner, Target
from conv_equivalence.check.search import MIN_CHECKED, search

FEATURE_SHARE = 3
"""The facets that add one feature to ``plain`` search a third of the profile's examples (at least
20): ``plain`` and ``combined`` already cover their ground, and a narrow domain needs fewer draws.
Facets that cross features (``nonfinite`` with padding, ``output-padding``, ``padding-mode``), like
``plain``, ``combined`` and ``grad``, search the whole count: at 20, a loop that leaves the zero
padding out of its sums got past ``nonfinite`` under 3 to 6 of 30 seeds. ``--examples N`` sets every
facet's count."""
WHOLE_COUNT = ("plain", "combined", "grad", "nonfinite", "nonfinite-crossed", "output-padding", "padding-mode")
"""The facets that search the profile's whole count (see `FEATURE_SHARE`)."""
def check_conv(fn: Callable[..., Any] | str, ndim: int | None = None, *, options: CheckOptions | None = None,
               raise_on_failure: bool = True, **changes: Any) -> CheckResult:
    """Check ``fn`` (a callable, or a ``MODULE:ATTR``/``FILE.py:ATTR`` spec) facet by facet; raise
    ``AssertionError`` with the report when a facet fails and ``raise_on_failure``.

    What is checked is ``options`` (a `CheckOptions`; default: its defaults), with ``ndim`` and any
    other option given as a keyword (``check_conv(fn, 3, transposed=True)``) replacing its field. A
    mistake in them is a `UsageError` before any work.

    ``convention="layer"``: ``fn`` is a class built like ``torch.nn.Conv{N}d`` (`conventions`), and
    ``padding_mode`` is checked too. ``grad``: check the backward (the ``grad`` facet) always
    (``True``), never (``False``), or, by default, for the torch and layer conventions where the
    output has a ``grad_fn`` (an output without one declines the facet).

    ``shapes``: the ``real-sizes`` facet's layers (``all``, shipped table names, table files; default: a
    sample of the shipped tables that reaches every large value), or ``shapes_from`` a ``MODULE:ATTR``
    model whose convolutions are harvested on a sample input (``input_size``, like ``1x3x224x224``).
    ``nondeterministic``: do not require two calls on the same real-size problem to agree bitwise."""
    from hypothesis import settings

    from conv_equivalence.backends import get_backend

    if ndim is not None:
        changes["ndim"] = ndim
    o = (options or CheckOptions()).replace(**changes)
    if o.convention in SIGNAL_CONVENTIONS:
        return _check_signal(fn, o, raise_on_failure)
    ndim, transposed, convention, device, precision = o.ndim, o.transposed, o.convention, o.device, o.precision
    dtypes, excluded, only, examples, grad = o.dtypes, o.exclude, o.only, o.examples, o.grad
    limit, seed, decline_on, nondeterministic = o.time_limit, o.seed, o.decline_on, o.nondeterministic
    layer = convention == "layer"
    reference = get_backend(("torch.nn.ConvTranspose" if transposed else "torch.nn.Conv") if layer else
                            "torch.functional.conv_transpose" if transposed else "torch.functional.conv")
    possible = [d for d in reference.capabilities.dtypes if d in convention_dtypes(convention)]
    allowed = possible
    if dtypes is not None:
        bad = [d for d in dtypes if d not in possible]
        if bad:
            raise UsageError(f"--dtypes must be among {', '.join(possible)}; got {', '.join(bad)}")
        allowed = list(dtypes)
    for word, family in fct.DTYPE_FAMILIES.items():
        if word in excluded:
            allowed = [d for d in allowed if d not in family]
    if not allowed:
        raise UsageError("the options exclude every dtype")
    if isinstance(fn, str):
        target = Target(spec=fn, convention=convention, transposed=transposed, device=device, decline_on=tuple(decline_on))
    else:
        target = Target(fn=fn, convention=convention, transposed=transposed, device=device, decline_on=tuple(decline_on))
    runner = Runner(target, limit)
    opts = fct.Options(ndim=ndim, transposed=transposed, dtypes=tuple(allowed), exclude=excluded,
                       equal_per_axis=o.equal_per_axis, int_padding=o.int_padding, bias_always=o.bias_always,
                       depthwise=o.depthwise, shared_kernel=o.shared_kernel, odd_kernels=o.odd_kernels,
                       square_kernels=o.square_kernels,
                       layouts=convention_layouts(convention), nonfinite=precision != "fft",
                       precision="tf32" if device == "cuda" and precision == "exact" else precision,
                       padding_modes=reference.capabilities.padding_modes if layer and not transposed else ("zeros",),
                       grad="off" if grad is False or convention not in ("torch", "layer") else
                       "require" if grad else "auto")
    base = fct.base_dtype(allowed)
    wanted = None if only is None else set(only)
    facets = fct.build(reference.capabilities, opts, base)
    if wanted is not None:
        planned = {f.name: f for f in facets}
        unknown_facets = sorted(wanted - set(planned))
        if unknown_facets:
            raise UsageError(f"--facets: no facet {', '.join(unknown_facets)} in this check (with these options the "
                             f"facets are {', '.join(planned)})")
        if all(planned[name].skipped for name in wanted):
            raise UsageError(f"--facets: nothing to check: {', '.join(f'{n} is skipped ({planned[n].skipped})' for n in sorted(wanted))}")
    layers = _real_layers(o.shapes, o.shapes_from, o.input_size, opts) if "real-sizes" in {f.name for f in facets if not f.skipped} \
        and (wanted is None or "real-sizes" in wanted) else []
    settings_ = o.profile if o.profile is not None else settings()
    if examples is not None:
        settings_ = settings(settings_, max_examples=examples)
    narrow = settings_ if examples is not None else settings(
        settings_, max_examples=max(20, settings_.max_examples // FEATURE_SHARE))
    notes = [note for note in [drawing.domain_note(opts)] if note]
    if device == "cuda" and precision == "exact" and "float32" in allowed:
        notes.append("note: on CUDA float32 is checked at TF32 precision (torch.backends.cudnn.allow_tf32)")
    start = time.perf_counter()
    try:
        try:
            runner.start()  # the worker imports the framework while the parent builds its strategies
            runner.wait_ready()
        except LoadFailed as exc:
            raise UsageError(str(exc)) from None
        results: dict[str, FacetResult] = {}
        bases: dict[str, Base] = {}
        first = Base(base, opts)
        unrebased = {f.name: f for f in facets}
        found_on_plains_base: set[str] = set()
        current = first
        for index in range(len(facets)):
            facet = facets[index]
            if (facet.name != "plain" and results.get("plain") and results["plain"].status in FAILING
                    and current is first):
                # A defect of plain must not hide the others: check from the nearest variation of it that passes.
                found = find_base(results, reference.capabilities, opts, allowed, runner, settings_, seed,
                                   reference.known_issue, convention)
                if found is None:
                    notes.append("note: plain fails, and no variation of it passes (bias given, parameters as ints or "
                                 "as tuples, a batch of one, padding 'same', another dtype): the other facets are checked from it")
                    current = Base(base, opts, "plain")  # so that plain can explain what fails only as it does
                else:
                    current = found
                    rebuilt = {f.name: f for f in fct.build(reference.capabilities, found.opts, found.dtype)}
                    if results["plain"].failure is None:  # declined, not failed: its domain is the base's
                        declined = results["plain"]
                        results["plain"] = search(rebuilt["plain"], found.opts, runner, opts.precision, convention,
                                                   settings_, seed, reference.known_issue)
                        results["plain"].base = found.description
                        notes.append(f"note: plain declined {declined.declined} of its examples ({short(declined.note, 80)}); "
                                     f"it and every facet are checked from base: {found.description}")
                    else:
                        notes.append(f"note: plain fails; the facets after it are checked from base: {found.description} "
                                     "(which passes), and tried on plain's failing base too: a failure of another kind "
                                     "there is the facet's own, marked 'on plain's failing base'")
                    # the base's own dtype has no facet of its own there: it is the base's plain, named as before
                    rebuilt[f"dtype:{found.dtype}"] = dataclasses.replace(rebuilt["plain"], name=f"dtype:{found.dtype}",
                                                                           owns=frozenset({"dtype"}))
                    facets[index:] = [rebuilt[f.name] for f in facets[index:]]
                    facet = facets[index]
            if wanted is not None and facet.name not in wanted:
                continue
            if facet.skipped:
                results[facet.name] = FacetResult(facet.name, "skipped", note=facet.skipped)
                continue
            prec = opts.precision
            bases[facet.name] = current
            whole = facet.name in WHOLE_COUNT
            if facet.name == "real-sizes":
                results[facet.name] = _real_sizes(layers, runner, current.opts, allowed, current.dtype,
                                                  reference.known_issue, limit, nondeterministic, seed,
                                                  settings_.max_examples)
                results[facet.name].base = current.description
                continue
            r = search(facet, bases[facet.name].opts, runner, prec, convention, settings_ if whole else narrow, seed,
                        reference.known_issue,
                        early(results, [b for b in facets[:index] if facet.explained_by(b)], bases, runner,
                               bases[facet.name], prec, convention), folds=plains_own(results, current, first))
            r.base = bases[facet.name].description
            if current is not first and current.description != "plain" and r.status not in FAILING \
                    and not facet.name.startswith("dtype:"):
                r = on_failing_base(r, unrebased[facet.name], first, results["plain"], runner, prec, convention,
                                     narrow, seed, reference.known_issue)
                if r.status in FAILING:  # found on plain's base: explained against it, as that base's facet
                    bases[facet.name], facets[index] = first, unrebased[facet.name]
                    found_on_plains_base.add(facet.name)
            if facet.name in ("grad", "double-grad") and r.failure is not None and r.failure.part == "output":
                r.note = f"the forward fails (no backward reached): {r.note}"  # found here, but a forward defect
            if facet.name == "plain" and r.status in ("pass", "declined", "skipped") and r.examples < MIN_CHECKED:
                r.status = "fail"
                r.note = f"only {r.examples} example(s) checked, {r.declined} declined: too few to pass"
            elif r.status == "pass" and r.examples < MIN_CHECKED and r.declined > r.examples:
                r.status = "declined"  # not a failure, but too little checked to call it a pass
                r.note = f"only {r.examples} example(s) checked, {r.declined} declined: too few to call it a pass"
            elif r.status == "pass" and r.exercised < MIN_CHECKED and r.declined_feature > r.exercised:
                r.status = "declined"  # the examples that passed did not use the facet's feature
                r.note = (f"only {r.exercised} checked example(s) used {facet.name}, {r.declined_feature} that did "
                          f"were declined: {r.declined_reasons.most_common(1)[0][0]}")
            results[facet.name] = r
        explain(results, [f for f in facets if f.name in results], runner, bases, opts.precision, convention,
                 found_on_plains_base)
    except Unusable as exc:
        raise UsageError(str(exc)) from None
    finally:
        runner.close()
    from conv_equivalence.check.reproduce import snippet

    fn_ref = None if isinstance(fn, str) else (getattr(fn, "__module__", "__main__"), getattr(fn, "__qualname__", "?"))
    for r in results.values():
        if r.status in FAILING and r.real is not None and r.failure is not None:
            from conv_equivalence.check.reproduce import rule_snippet

            r.reproduction = rule_snippet(r.real.smallest, r.failure.kind, r.failure.atol, target=fn if isinstance(fn, str) else "",
                                          fn_ref=fn_ref, convention=convention, device=device)
        elif r.status in FAILING and r.counterexample is not None and r.failure is not None:
            r.reproduction = snippet(r.counterexample, r.failure.kind, r.failure.atol, part=r.failure.part,
                                     target=fn if isinstance(fn, str) else "",
                                     fn_ref=fn_ref, convention=convention, device=device, facet=r.name)
    if not any(r.status in ("pass", *FAILING) for r in results.values()):
        notes.append("note: no facet passed or failed (every example was declined or skipped): nothing was checked, "
                     "so this is not a pass")
    result = CheckResult(target.label, list(results.values()), notes, time.perf_counter() - start)
    if raise_on_failure and result.verdict == "fail":
        raise AssertionError(result.report())
    return result


def _check_signal(fn: Callable[..., Any] | str, o: CheckOptions, raise_on_failure: bool) -> CheckResult:
    """`check_conv` for the signal-processing and filter conventions (`signals`)."""
    from conv_equivalence.check import signals

    spec, callable_ = (fn, None) if isinstance(fn, str) else (None, fn)
    target = Target(fn=callable_, spec=spec, convention=o.convention, transposed=False, device="cpu",
                    decline_on=tuple(o.decline_on))
    runner = Runner(target, o.time_limit)
    start = time.perf_counter()
    try:
        try:
            runner.start()
            runner.wait_ready()
        except LoadFailed as exc:
            raise UsageError(str(exc)) from None
        results, notes = signals.check_signal(fn, o, runner)
    finally:
        runner.close()
    if not any(r.status in ("pass", *FAILING) for r in results):
        notes.append("note: no facet passed or failed (every example was declined or skipped): nothing was checked, "
                     "so this is not a pass")
    result = CheckResult(target.label, results, notes, time.perf_counter() - start)
    if raise_on_failure and result.verdict == "fail":
        raise AssertionError(result.report())
    return result


def _real_layers(shapes: Iterable[str] | None, shapes_from: str | None, input_size: str | None,
                 opts: fct.Options) -> list[Any]:
    """The ``real-sizes`` facet's table layers for this rank and kind, as the options allow them (usage errors
    before any work)."""
    from conv_equivalence.check import realsize
    from conv_equivalence.check import shapes as tables
    try:
        if shapes_from is not None:
            chosen = tables.harvest_spec(shapes_from, input_size)
        elif shapes is not None:
            chosen = [tables.within(layer, tables.TABLE_MACS, most=tables.TABLE_ELEMENTS) for layer in tables.resolve(list(shapes))]
        else:
            chosen = tables.sample(tables.matching(tables.builtin(), opts.ndim, opts.transposed))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    fitting = tables.matching(chosen, opts.ndim, opts.transposed)
    if (shapes is not None or shapes_from is not None) and not fitting:
        kinds = sorted({layer.op for layer in chosen})
        raise UsageError(f"--shapes: no layer is a {'transposed ' if opts.transposed else ''}{opts.ndim}-D convolution "
                         f"(the layers are {', '.join(kinds)}): pick --ndim/--transposed to match")
    allowed = [realsize.admissible(layer, opts.exclude, **_limits(opts)) for layer in fitting]
    return [layer for layer in allowed if layer is not None]


def _limits(opts: fct.Options) -> dict[str, bool]:
    """The declared limits a real-size layer must keep (`realsize.admissible`)."""
    return {"int_padding": opts.int_padding, "equal_per_axis": opts.equal_per_axis, "bias_always": opts.bias_always,
            "depthwise": opts.depthwise, "odd_kernels": opts.odd_kernels, "square_kernels": opts.square_kernels}


def _real_sizes(layers: list[Any], runner: Runner, opts: fct.Options, allowed: list[str], base: str, known: Any,
                limit: float, nondeterministic: bool, seed: int | None, examples: int) -> FacetResult:
    """The ``real-sizes`` facet (`conv_equivalence.check.realsize`): drawn sizes, then the table's layers."""
    from conv_equivalence.check import realsize
    start = time.perf_counter()
    result = FacetResult("real-sizes")
    dtypes = [base] + (["float32"] if base != "float32" and "float32" in allowed and not base.startswith("int") else [])
    drawn_count = max(2, min(realsize.DRAWN, examples // 10))
    drawn = [layer for layer in (realsize.admissible(d, opts.exclude, **_limits(opts))
                                 for d in realsize.drawn_layers(opts.ndim, opts.transposed, drawn_count, seed))
             if layer is not None]
    driver = realsize.Driver(runner, opts.precision, _convention_of(runner), known, limit, nondeterministic, result)
    failure = realsize.run(layers, drawn, driver, dtypes, opts.precision, seed, opts.shared_kernel)
    result.seconds = time.perf_counter() - start
    checked = [layer for layer in layers + drawn if layer.label in driver.checked]
    models = sorted({layer.model for layer in checked if layer.model != "drawn"})
    if failure is not None:
        result.real = failure
        moved = [b for b in failure.boundaries if b.below is not None]
        where = "; ".join(f"{b.dimension} from {b.value}" for b in moved[:3]) or "at the smallest sizes"
        result.note = f"{failure.first.layer.label} fails; smallest failing: {where}"
        return result
    table_checked = [layer for layer in layers if layer.label in driver.checked]
    if driver.slow and len(driver.slow) >= len(table_checked):  # a few small layers passing make no real-size pass
        result.status = "declined"
        result.note = f"too slow at this size ({len(driver.slow)} layers): {driver.slow[-1]}"
    elif result.examples == 0 and result.declined:
        result.status = "declined"
        result.note = f"every layer declined: {result.declined_reasons.most_common(1)[0][0]}" if result.declined_reasons else ""
    elif result.examples == 0:
        result.status, result.note = "skipped", "no layer fits the declared limits"
    else:
        biggest = max(checked, key=lambda layer: layer.macs)
        result.note = (f"largest {biggest.label} ({biggest.macs:,} multiply-adds); {len(table_checked)} layer"
                       f"{'s' * (len(table_checked) != 1)} of {', '.join(models) or 'no table'} and "
                       f"{len([d for d in drawn if d.label in driver.checked])} drawn, exact and float data")
        if driver.slow:
            result.note += f"; {len(driver.slow)} too slow: {driver.slow[0]}"
    return result


def _convention_of(runner: Runner) -> str:
    return runner.target.convention
