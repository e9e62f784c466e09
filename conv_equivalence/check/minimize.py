"""A last, greedy pass over a shrunk counterexample: moves Hypothesis's shrinker cannot make in one step.

The strategies draw an input's length as the smallest valid length plus an extra, so a kernel
one tap shorter with the same input is two coordinated changes for the shrinker, and a local
minimum (a 2-tap kernel where 1 tap and 2 samples would do) can remain. This pass tries, until
none helps: stride, dilation, padding or output_padding back to its default, one group alone (as an
ungrouped convolution), one batch item,
fewer output and input channels, one tap fewer or one sample fewer at either end of each axis,
and each non-zero element (of the cotangent too) set to 0; it keeps a candidate that the facet
could have drawn and that still fails the same way.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator

import numpy as np

from conv_equivalence.check.facets import Case
from conv_equivalence.problem import ConvProblem


def _candidates(case: Case) -> Iterator[ConvProblem]:
    p = case.problem
    x, w, b, s = p.x, p.weight, p.bias, p.spec

    def make(x2: np.ndarray, w2: np.ndarray, b2: np.ndarray | None) -> ConvProblem | None:
        try:
            return ConvProblem(s, x2, w2, b2, dtype=p.dtype, layout=p.layout)
        except ValueError:
            return None

    out_axis = 1 if s.transposed else 0
    shapes = []
    if x.shape[0] > 1:
        shapes.append(make(x[:1], w, b))
    g = s.groups
    per_out = w.shape[out_axis] // (1 if s.transposed else g)
    per_in = x.shape[1] // g
    for drop in (-1, 0):  # one channel fewer in every group, the last or the first
        if per_out > 1:
            if s.transposed:
                w2 = np.delete(w, drop, axis=1)
            else:
                w2 = np.delete(w.reshape(g, per_out, *w.shape[1:]), drop, axis=1).reshape(g * (per_out - 1), *w.shape[1:])
            b2 = None if b is None else np.delete(b.reshape(g, -1), drop, axis=1).reshape(-1)
            shapes.append(make(x, w2, b2))
        if per_in > 1:
            x2 = np.delete(x.reshape(x.shape[0], g, per_in, *x.shape[2:]), drop, axis=2).reshape(
                x.shape[0], g * (per_in - 1), *x.shape[2:])
            if s.transposed:
                w2 = np.delete(w.reshape(g, per_in, *w.shape[1:]), drop, axis=1).reshape(g * (per_in - 1), *w.shape[1:])
            else:
                w2 = np.delete(w, drop, axis=1)
            shapes.append(make(x2, w2, b))
    for axis in range(2, w.ndim):
        if w.shape[axis] > 1:
            shapes += [make(x, np.delete(w, -1, axis=axis), b), make(x, np.delete(w, 0, axis=axis), b)]
    for axis in range(2, x.ndim):
        if x.shape[axis] > 1:
            shapes += [make(np.delete(x, -1, axis=axis), w, b), make(np.delete(x, 0, axis=axis), w, b)]
    yield from (c for c in shapes if c is not None)
    finite = all(a is None or np.isfinite(a).all() for a in (x, w, b))
    for name, array in (("x", x), ("weight", w), ("bias", b)):
        if array is None or (name != "x" and not finite):  # a zero weight meeting inf: libraries may skip it
            continue
        for index in zip(*np.nonzero(array)):
            zeroed = array.copy()
            zeroed[index] = 0
            candidate = p.replace(**{name: zeroed})
            yield candidate


def _simpler_parameters(case: Case) -> Iterator[Case]:
    """The case with one of stride, dilation, padding or output_padding back to its default, where the
    arrays still make a valid problem (the output, and a cotangent with it, changes shape)."""
    s = case.problem.spec
    for name, default in (("stride", 1), ("dilation", 1), ("padding", 0), ("output_padding", 0)):
        value = getattr(s, name)
        if isinstance(value, str) or all(v == default for v in value) or (name == "output_padding" and not s.transposed):
            continue
        try:
            problem = case.problem.replace(spec=s.replace(**{name: default}))
        except ValueError:
            continue
        yield dataclasses.replace(case.with_problem(problem), args={**case.args, name: default})


def _single_groups(case: Case) -> Iterator[Case]:
    """The case cut to one of its groups, as an ungrouped convolution (its channels of the input, the
    weight, the bias and the cotangent): a defect that shows in one group shows there alone."""
    p, s = case.problem, case.problem.spec
    g = s.groups
    if g == 1:
        return
    x, w, b = p.x, p.weight, p.bias
    per_in = x.shape[1] // g
    per_out = (w.shape[1] if s.transposed else w.shape[0] // g)
    for i in range(g):
        ins, outs = slice(i * per_in, (i + 1) * per_in), slice(i * per_out, (i + 1) * per_out)
        try:
            problem = ConvProblem(s.replace(groups=1), x[:, ins], w[ins] if s.transposed else w[outs],
                                  None if b is None else b[outs], dtype=p.dtype, layout=p.layout)
        except ValueError:
            continue
        cot = None if case.cotangent is None else case.cotangent[:, outs]
        yield dataclasses.replace(case, problem=problem, cotangent=cot, args={**case.args, "groups": 1})


def _cotangents(case: Case) -> Iterator[Case]:
    """The case with one more element of its cotangent (the ``grad`` facet's) set to 0."""
    cot = case.cotangent
    if cot is None:
        return
    for index in zip(*np.nonzero(cot)):
        zeroed = cot.copy()
        zeroed[index] = 0
        yield dataclasses.replace(case, cotangent=zeroed)


def minimize(case: Case, fails: Callable[[Case], bool], allowed: Callable[[Case], bool], budget: int = 200) -> Case:
    """The smallest case reachable from ``case`` by the moves above that ``allowed`` and ``fails``."""
    calls = 0
    improved = True
    while improved and calls < budget:
        improved = False
        for candidate in itertools.chain(_simpler_parameters(case), _single_groups(case),
                                         (case.with_problem(p) for p in _candidates(case)), _cotangents(case)):
            if not allowed(candidate):
                continue
            calls += 1
            if fails(candidate):
                case, improved = candidate, True
                break
            if calls >= budget:
                break
    return case
