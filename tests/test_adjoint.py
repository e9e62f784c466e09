"""The oracle's gradients (`conv_equivalence.adjoint`) against torch's autograd, exactly on integers,
and their bounds on floats."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from conv_equivalence import adjoint
from conv_equivalence import strategies as cst
from conv_equivalence.backends import get_backend
from conv_equivalence.problem import ConvProblem


@st.composite
def _cases(draw: st.DrawFn, transposed: bool, kind: str = "integers") -> tuple[ConvProblem, np.ndarray]:
    name = "torch.nn.ConvTranspose" if transposed else "torch.nn.Conv"
    caps = dataclasses.replace(get_backend(name).capabilities, dtypes=("float64",), layouts=("contiguous",),
                               empty_batch=False)
    problem = draw(cst.problems(caps, kind=kind, max_extra_size=5))
    cotangent = draw(cst.carrier_arrays(problem.output_shape, "float64", kind))
    return problem, cotangent


def _torch_grads(problem: ConvProblem, cotangent: np.ndarray) -> list[np.ndarray | None]:
    s = problem.spec
    x = torch.from_numpy(problem.x).requires_grad_(True)
    w = torch.from_numpy(problem.weight).requires_grad_(True)
    b = None if problem.bias is None else torch.from_numpy(problem.bias).requires_grad_(True)
    nd = s.ndim
    if s.transposed:
        out = getattr(torch.nn.functional, f"conv_transpose{nd}d")(x, w, b, s.stride, s.int_padding, s.output_padding,
                                                                   s.groups, s.dilation)
    else:
        layer = getattr(torch.nn, f"Conv{nd}d")(x.shape[1], w.shape[0], w.shape[2:], s.stride,
                                               s.padding if isinstance(s.padding, str) else s.int_padding,
                                               s.dilation, s.groups, b is not None, s.padding_mode, dtype=torch.float64)
        out = torch.func.functional_call(layer, {"weight": w, **({"bias": b} if b is not None else {})}, (x,))
    inputs = [x, w] + ([b] if b is not None else [])
    grads = torch.autograd.grad(out, inputs, torch.from_numpy(cotangent))
    return [g.numpy() for g in grads] + ([None] if b is None else [])


@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "conv_transpose"])
@given(data=st.data())
def test_vjp_is_autograd_exactly_on_integers(transposed: bool, data: st.DataObject) -> None:
    problem, cotangent = data.draw(_cases(transposed))
    if not transposed and problem.spec.asymmetric:
        problem = problem.replace(spec=problem.spec.replace(padding=tuple(lo for lo, _ in problem.spec.padding)))
    grads = adjoint.vjp(problem, cotangent)
    gx, gw, gb = _torch_grads(problem, cotangent)
    np.testing.assert_array_equal(gx, grads.x.astype(np.float64))
    np.testing.assert_array_equal(gw, grads.weight.astype(np.float64))
    if gb is not None:
        assert grads.bias is not None
        np.testing.assert_array_equal(gb, grads.bias.astype(np.float64))
    assert not grads.x_bound.any() and not grads.weight_bound.any()  # integers in float64: exact


@given(data=st.data())
def test_float32_autograd_is_within_the_bounds(data: st.DataObject) -> None:
    problem, cotangent = data.draw(_cases(False, "floats"))
    if problem.spec.asymmetric:
        problem = problem.replace(spec=problem.spec.replace(padding=tuple(lo for lo, _ in problem.spec.padding)))
    problem32 = problem.replace(x=problem.x.astype(np.float32).astype(np.float64),
                                weight=problem.weight.astype(np.float32).astype(np.float64), bias=None, dtype="float32")
    cot32 = cotangent.astype(np.float32).astype(np.float64)
    grads = adjoint.vjp(problem32, cot32)
    low = problem32.replace(x=problem32.x.astype(np.float32), weight=problem32.weight.astype(np.float32))
    gx, gw, _ = _torch_grads(low, cot32.astype(np.float32))
    assert (np.abs(gx - grads.x) <= grads.x_bound).all()
    assert (np.abs(gw - grads.weight) <= grads.weight_bound).all()


def test_reflect_padding_folds_into_the_samples_it_copies() -> None:
    # conv1d of [a b c] with reflect padding 1 and kernel [1]: the padded [b a b c b] sums into a, b, c as 1, 3, 1.
    from conv_equivalence.problem import ConvSpec

    spec = ConvSpec.create(1, padding=1, padding_mode="reflect")
    problem = ConvProblem(spec, np.zeros((1, 1, 3)), np.ones((1, 1, 1)))
    grads = adjoint.vjp(problem, np.ones((1, 1, 5)))
    assert grads.x.tolist() == [[[1.0, 3.0, 1.0]]]


def test_cotangent_of_the_wrong_shape_is_refused() -> None:
    from conv_equivalence.problem import ConvSpec

    problem = ConvProblem(ConvSpec.create(1), np.zeros((1, 1, 3)), np.ones((1, 1, 2)))
    with pytest.raises(ValueError, match="cotangent must have the output's shape"):
        adjoint.vjp(problem, np.ones((1, 1, 3)))
