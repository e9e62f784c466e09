"""A failing call, written for people and machines: a standalone Python snippet, and plain JSON data.

The snippet imports only the user's callable and torch (and NumPy for the NumPy conventions),
builds the exact arrays (values written out, dtype, layout), calls the implementation and
compares with torch's own function computed in float64 (complex128, int64), within the bound
the check used at the worst differing element (``atol=0``: exactly). Run on its own, it fails
the way the check did.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from conv_equivalence.check.facets import Case


def _scalar(v: Any) -> Any:
    """A JSON-able value: non-finite floats as the strings ``"nan"``, ``"inf"``, ``"-inf"``; complex as [re, im]."""
    if isinstance(v, complex):
        return [_scalar(v.real), _scalar(v.imag)]
    if isinstance(v, float) and not np.isfinite(v):
        return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, float) and v == int(v) and abs(v) < 2**53:
        return v
    return v


def array_json(a: np.ndarray | None, dtype: str) -> dict[str, Any] | None:
    """``{"shape", "dtype", "values"}`` for an array carried as float64/complex128/int64."""
    if a is None:
        return None
    values = np.vectorize(_scalar, otypes=[object])(a.tolist()).tolist() if a.size else a.tolist()
    return {"shape": list(a.shape), "dtype": dtype, "values": values}


def case_json(case: Case) -> dict[str, Any]:
    """The call as data: the three arrays and every parameter, in the form it was passed."""
    p = case.problem
    out: dict[str, Any] = {"input": array_json(p.x, p.dtype), "weight": array_json(p.weight, p.dtype),
                           "bias": array_json(p.bias, p.dtype), "layout": p.layout}
    for name, value in case.args.items():
        if value is not None:
            out[name] = list(value) if isinstance(value, tuple) else value
    return out


def _literal(v: Any) -> str:
    if isinstance(v, complex):
        return f"complex({_literal(v.real)}, {_literal(v.imag)})"
    if isinstance(v, float):
        if np.isnan(v):
            return "nan"
        if np.isinf(v):
            return "inf" if v > 0 else "-inf"
        return str(int(v)) + "." if v == int(v) and abs(v) < 1e15 else repr(v)
    return repr(v)


def _nested(values: Any) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v) for v in values) + "]"
    return _literal(values)


def _array_code(name: str, a: np.ndarray, dtype: str, layout: str, convention: str) -> str:
    lib = "torch" if convention == "torch" else "np"
    dt = f"{lib}.{dtype}"
    if a.size == 0:
        code = f"{name} = {lib}.zeros({tuple(a.shape)!r}, dtype={dt})"
    else:
        code = f"{name} = {lib}.{'tensor' if lib == 'torch' else 'array'}({_nested(a.tolist())}, dtype={dt})"
    if layout == "channels_last" and a.ndim in (4, 5) and name != "b":
        code += (f".contiguous(memory_format=torch.channels_last{'_3d' if a.ndim == 5 else ''})" if lib == "torch"
                 else f"\n{name} = np.moveaxis(np.ascontiguousarray(np.moveaxis({name}, 1, -1)), -1, 1)  # channels-last memory")
    if layout == "strided" and name != "b" and a.size:
        code += f"\n{name} = strided({name})"
    return code


def _loader(target: str, fn_ref: tuple[str, str] | None) -> str:
    location, _, attr = target.rpartition(":") if target else ("", "", "")
    if location.endswith(".py") or "/" in location:
        return ("import importlib.util\n"
                f"_spec = importlib.util.spec_from_file_location('impl_module', {os.path.abspath(location)!r})\n"
                "_module = importlib.util.module_from_spec(_spec)\n_spec.loader.exec_module(_module)\n"
                f"impl = _module.{attr}")
    # the directory the check ran in, searched last as the check searched it: the snippet runs from anywhere
    here = f"import sys\nsys.path.append({os.getcwd()!r})\n"
    if location:
        return f"import importlib\n{here}impl = importlib.import_module({location!r}).{attr}"
    if fn_ref and fn_ref[0] != "__main__" and "<locals>" not in fn_ref[1]:
        return f"import importlib\n{here}impl = importlib.import_module({fn_ref[0]!r}).{fn_ref[1]}"
    return "impl = ...  # your convolution (it could not be named by module and attribute)"


def snippet(case: Case, failure_kind: str, atol: float, *, target: str, fn_ref: tuple[str, str] | None = None,
            convention: str = "torch", device: str = "cpu", facet: str = "", part: str = "output") -> str:
    """Standalone Python that repeats the failing call and fails the same way (``part``: what failed,
    the output or the ``input``/``weight``/``bias`` gradient, or ``backward`` when it raised)."""
    p = case.problem
    s = p.spec
    nd = s.ndim
    numpy_like = convention not in ("torch", "layer")
    lines = [f"# conv-equivalence check, facet {facet}: {failure_kind}", "import torch"]
    if numpy_like:
        lines.append("import numpy as np")
    lines += ["from math import inf, nan", _loader(target, fn_ref), ""]
    if p.layout == "strided":
        lib = "np" if numpy_like else "torch"
        lines += ["def strided(a):  # the same values in a non-contiguous view: every other element of a wider buffer",
                  f"    big = {lib}.zeros((*a.shape[:-1], 2 * a.shape[-1]), dtype=a.dtype)",
                  "    big[..., ::2] = a", "    return big[..., ::2]", ""]
    x, w = p.x, p.weight
    if convention.startswith("nhwc"):
        x = np.moveaxis(x, 1, -1)
        w = np.transpose(w, (*range(2, w.ndim), 1, 0)) if convention.endswith("hwio") else np.moveaxis(w, 1, -1)
    lines.append(_array_code("x", x, p.dtype, p.layout, "torch" if not numpy_like else "numpy"))
    lines.append(_array_code("w", w, p.dtype, p.layout, "torch" if not numpy_like else "numpy"))
    lines.append("b = None" if p.bias is None else _array_code("b", p.bias, p.dtype, "contiguous", "torch" if not numpy_like else "numpy"))
    if convention == "jax":
        lines.append("import jax\njax.config.update('jax_enable_x64', True)\nimport jax.numpy as jnp\n"
                     "x, w, b = jnp.asarray(x), jnp.asarray(w), None if b is None else jnp.asarray(b)")
    if device != "cpu":
        lines.append(f"x, w, b = x.to({device!r}), w.to({device!r}), None if b is None else b.to({device!r})")
    a = case.args
    params = ([a["stride"], a["padding"], a["output_padding"], a["groups"], a["dilation"]] if s.transposed
              else [a["stride"], a["padding"], a["dilation"], a["groups"]])
    params_code = ", ".join(repr(v) for v in params)
    lines.append(f"params = ({params_code})  # {'stride, padding, output_padding, groups, dilation' if s.transposed else 'stride, padding, dilation, groups'}")
    if convention == "layer" or case.cotangent is not None:
        return "\n".join(lines + _autograd_lines(case, failure_kind, atol, convention == "layer", part)) + "\n"
    if failure_kind == "mutated":
        lines.append("x0, w0 = x.clone(), w.clone()" if not numpy_like else "x0, w0 = np.array(x), np.array(w)")
    lines.append("got = impl(x, w, b, *params)")
    wide = "torch.complex128" if p.dtype.startswith("complex") else "torch.int64" if p.dtype.startswith("int") else "torch.float64"
    conv = f"torch.nn.functional.conv{'_transpose' if s.transposed else ''}{nd}d"
    if failure_kind in ("crash", "timeout", "raised"):
        lines.append(f"# the call above {'ended the process' if failure_kind == 'crash' else 'did not return' if failure_kind == 'timeout' else 'raises'}")
        return "\n".join(lines) + "\n"
    if failure_kind == "mutated":
        check = "torch.testing.assert_close" if not numpy_like else "np.testing.assert_array_equal"
        extra = ", rtol=0, atol=0, equal_nan=True" if not numpy_like else ""
        lines += [f"{check}(x, x0{extra})  # the implementation must not write into its input",
                  f"{check}(w, w0{extra})"]
        return "\n".join(lines) + "\n"
    if numpy_like:
        to_t = "torch.from_numpy(np.asarray({}))"
        nchw_x = "np.moveaxis(x, -1, 1)" if convention.startswith("nhwc") else "x"
        nchw_w = ("np.transpose(w, (w.ndim - 1, w.ndim - 2, *range(w.ndim - 2)))" if convention.endswith("hwio")
                  else "np.moveaxis(w, -1, 1)" if convention.endswith("ohwi") else "w")
        lines.append(f"assert isinstance(got, {'np.ndarray' if convention != 'jax' else 'jax.Array'}), type(got)")
        lines.append(f"assert str(got.dtype) == {p.dtype!r}, got.dtype")
        got = "np.moveaxis(np.asarray(got), -1, 1)" if convention.startswith("nhwc") else "np.asarray(got)"
        lines.append(f"expected = {conv}({to_t.format(nchw_x)}.to({wide}), {to_t.format(nchw_w)}.to({wide}), "
                     f"None if b is None else {to_t.format('b')}.to({wide}), *params)")
        lines.append(f"got = torch.from_numpy({got})")
        lines += _compare(wide, atol)
    else:
        lines.append("assert isinstance(got, torch.Tensor), type(got)")
        lines.append(f"assert got.dtype == torch.{p.dtype}, got.dtype")
        lines.append(f"expected = {conv}(x.to({wide}), w.to({wide}), None if b is None else b.to({wide}), *params)")
        lines += _compare(wide, atol)
    return "\n".join(lines) + "\n"


def _layer_code(name: str, cls: str, case: Case, dtype: str, hook: bool = True) -> list[str]:
    """``name = cls(...)`` built as ``torch.nn.Conv{N}d`` is, in ``dtype``, holding ``w`` and ``b``."""
    from conv_equivalence.check.conventions import call_text, layer_arguments

    p = case.problem
    s, w = p.spec, p.weight
    args, kwargs = layer_arguments(tuple(w.shape), case.args, s.transposed, s.groups, p.bias is not None, s.padding_mode)
    build = cls + call_text(args, kwargs)
    lines = [f"{name} = {build}.to({dtype})"]
    if p.layout == "channels_last" and w.ndim in (4, 5):
        lines.append(f"{name} = {name}.to(memory_format=torch.channels_last{'_3d' if w.ndim == 5 else ''})")
    wb = "w.detach()" + ("" if dtype.endswith(p.dtype) else f".to({dtype})")
    bb = "None if b is None else b.detach()" + ("" if dtype.endswith(p.dtype) else f".to({dtype})")
    load = (f"{name}.load_state_dict({{**{name}.state_dict(), 'weight': {wb}, "
            f"**({{}} if b is None else {{'bias': {bb.removeprefix('None if b is None else ')}}})}})")
    if not hook:
        return [*lines, load]
    return lines + [f"if hasattr({name}, 'conv_equivalence_load'):  # a layer that stores re-parametrised weights",
                    f"    {name}.conv_equivalence_load({wb}, {bb})", "else:", f"    {load}"]


def _autograd_lines(case: Case, failure_kind: str, atol: float, layer: bool, part: str) -> list[str]:
    """The call (a layer built and loaded, or the function), its backward with the cotangent, and
    the comparison of the part that failed with torch's own in float64."""
    p, s = case.problem, case.problem.spec
    nd = s.ndim
    wide = "torch.complex128" if p.dtype.startswith("complex") else "torch.float64"
    kind = f"{'Conv' if not s.transposed else 'ConvTranspose'}{nd}d"
    grad = case.cotangent is not None
    lines = ["x, w = x.requires_grad_(), w.requires_grad_()\nb = None if b is None else b.requires_grad_()"] if grad else []
    if layer:
        lines += _layer_code("layer", "impl", case, f"torch.{p.dtype}")
        lines.append("got = layer(x)")
        wrt = "[x] if hasattr(layer, 'conv_equivalence_load') else [x, layer.weight] + ([] if b is None else [layer.bias])"
    else:
        lines.append("got = impl(x, w, b, *params)")
        wrt = "[x, w] + ([] if b is None else [b])"
    if failure_kind in ("crash", "timeout") or (failure_kind == "raised" and part != "backward"):
        return lines + [f"# the call above {'ended the process' if failure_kind == 'crash' else 'did not return' if failure_kind == 'timeout' else 'raises'}"]
    double = part.startswith("double")
    w_leaf = "layer.weight" if layer else "w"
    if grad:
        lines.append(_array_code("cotangent", case.cotangent, p.dtype, "contiguous", "torch"))  # type: ignore[arg-type]
        if double:
            lines += ["cotangent.requires_grad_()",
                      f"got_grads = torch.autograd.grad(got, {wrt}, cotangent, create_graph=True)",
                      "# double backward: the gradients of <dL/dx, x> + <dL/dw, w> for the cotangent, input and weight",
                      f"got_grads = torch.autograd.grad((got_grads[0] * x).sum() + (got_grads[1] * {w_leaf}).sum(), "
                      f"[cotangent, x, {w_leaf}], allow_unused=True)"]
        else:
            lines.append(f"got_grads = torch.autograd.grad(got, {wrt}, cotangent, allow_unused=True)")
        if failure_kind == "raised":
            return lines + ["# the backward above raises"]
    x64 = f"x.detach().to({wide}).requires_grad_()" if grad else f"x.to({wide})"
    lines.append(f"x64 = {x64}")
    if layer:
        lines += _layer_code("reference", f"torch.nn.{kind}", case, wide, hook=False)
        lines.append("expected = reference(x64)")
        ref_wrt = "[x64, reference.weight] + ([] if b is None else [reference.bias])"
    else:
        lines.append(f"w64 = w.detach().to({wide}){'.requires_grad_()' if grad else ''}")
        lines.append(f"b64 = None if b is None else b.detach().to({wide}){'.requires_grad_()' if grad else ''}")
        lines.append(f"expected = torch.nn.functional.conv{'_transpose' if s.transposed else ''}{nd}d(x64, w64, b64, *params)")
        ref_wrt = "[x64, w64] + ([] if b is None else [b64])"
    if not grad or part == "output":
        lines += ["assert isinstance(got, torch.Tensor), type(got)", f"assert got.dtype == torch.{p.dtype}, got.dtype"]
        return lines + _compare(wide, atol)
    if double:
        index = {"double cotangent": 0, "double input": 1, "double weight": 2}.get(part, 0)
        ref_w = "reference.weight" if layer else "w64"
        lines += ["cotangent64 = cotangent.detach().to(torch.float64).requires_grad_()",
                  f"expected_grads = torch.autograd.grad(expected, [x64, {ref_w}], cotangent64, create_graph=True)",
                  f"expected_grads = torch.autograd.grad((expected_grads[0] * x64).sum() + (expected_grads[1] * {ref_w}).sum(), "
                  f"[cotangent64, x64, {ref_w}])"]
    else:
        index = {"input": 0, "weight": 1, "bias": 2}.get(part, 0)
        lines.append(f"expected_grads = torch.autograd.grad(expected, {ref_wrt}, cotangent.to({wide}))")
    lines += [
              f"got, expected = got_grads[{index}], expected_grads[{index}]  # the {part} gradient",
              f"assert got is not None, 'no {part} gradient'",
              f"assert got.shape == expected.shape and got.dtype == torch.{p.dtype}, (got.shape, got.dtype)"]
    return lines + _compare(wide, atol)


def _compare(wide: str, atol: float) -> list[str]:
    bound = "exactly" if atol == 0 else f"within {atol!r} (the rounding bound at the worst element)"
    return [f"got = got.to({wide})",
            f"ok = (got == expected) | (got.isnan() & expected.isnan()) | ((got - expected).abs() <= {atol!r})",
            f"assert bool(ok.all()), f'differs from torch {bound} at {{ok.logical_not().nonzero().tolist()}}: got {{got}}, expected {{expected}}'"]


def dumps(data: Any) -> str:
    """JSON text for the report (no NaN literals: they were turned into strings)."""
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def rule_snippet(trial: Any, failure_kind: str, atol: float, *, target: str, fn_ref: tuple[str, str] | None = None,
                 convention: str = "torch", device: str = "cpu") -> str:
    """Standalone Python for a ``real-sizes`` failure (`realsize.Trial`): the arrays are built from the data's
    rule and seed (the rule's source is included), not written out, then called and compared as `snippet` does;
    a ``nondeterministic`` failure calls twice and compares the bits."""
    import inspect

    from conv_equivalence.check import realsize
    layer = trial.layer
    numpy_like = convention not in ("torch", "layer")
    rule = realsize.exact_operands if trial.data == "exact" else realsize.float_operands
    lines = [f"# conv-equivalence check, facet real-sizes: {failure_kind} on {layer.line()}",
             f"# data: {trial.data} ({'small integers' if trial.data == 'exact' else 'standard normal'}), seed {trial.seed}, "
             f"{trial.dtype}", "from __future__ import annotations", "from collections.abc import Sequence",
             "import numpy as np", "import torch", _loader(target, fn_ref), "", inspect.getsource(rule)]
    extra = f", {trial.nonzeros!r}" if trial.data == "exact" else ""
    lines.append(f"x, w, b = {rule.__name__}({layer.input_shape!r}, {layer.weight_shape!r}, {layer.bias!r}, "
                 f"{layer.transposed!r}, {layer.groups!r}{extra}, seed={trial.seed})")
    wide = "torch.complex128" if trial.dtype.startswith("complex") else "torch.int64" if trial.dtype.startswith("int") else "torch.float64"
    lines.append(f"x, w, b = (None if a is None else torch.from_numpy(a).to(torch.{trial.dtype}) for a in (x, w, b))")
    lines.append(f"xe, we, be = (None if a is None else a.to({wide}) for a in (x, w, b))  # the reference's operands")
    if numpy_like:
        lines.append("x, w, b = (None if a is None else a.numpy() for a in (x, w, b))")
        if convention.startswith("nhwc"):
            lines.append("x = np.ascontiguousarray(np.moveaxis(x, 1, -1))")
            lines.append("w = np.ascontiguousarray(" + ("np.transpose(w, (*range(2, w.ndim), 1, 0)))" if convention.endswith("hwio")
                                                        else "np.moveaxis(w, 1, -1))"))
        if convention == "jax":
            lines.append("import jax\njax.config.update('jax_enable_x64', True)\nimport jax.numpy as jnp\n"
                         "x, w, b = jnp.asarray(x), jnp.asarray(w), None if b is None else jnp.asarray(b)")
    elif device != "cpu":
        lines.append(f"x, w, b = x.to({device!r}), w.to({device!r}), None if b is None else b.to({device!r})")
    kwargs = layer.kwargs()
    params = ([kwargs["stride"], kwargs["padding"], kwargs["output_padding"], kwargs["groups"], kwargs["dilation"]]
              if layer.transposed else [kwargs["stride"], kwargs["padding"], kwargs["dilation"], kwargs["groups"]])
    lines.append(f"params = ({', '.join(repr(v) for v in params)})")
    if convention == "layer":
        lines += _layer_code("layer", "impl", trial.case(), f"torch.{trial.dtype}", hook=True)
        lines.append("call = lambda: layer(x)")
    else:
        lines.append("call = lambda: impl(x, w, b, *params)")
    lines.append("got = call()")
    if failure_kind == "nondeterministic":
        lines += ["again = call()",
                  "def bits(t):  # the answer's bytes",
                  "    t = t.detach().cpu() if isinstance(t, torch.Tensor) else torch.from_numpy(np.array(t))",
                  "    return t.contiguous().flatten().view(torch.uint8)",
                  "assert torch.equal(bits(got), bits(again)), 'two calls on the same inputs gave different bits'"]
        return "\n".join(lines) + "\n"
    if failure_kind in ("crash", "timeout", "raised"):
        lines.append(f"# the call above {'ended the process' if failure_kind == 'crash' else 'did not return' if failure_kind == 'timeout' else 'raises'}")
        return "\n".join(lines) + "\n"
    conv = f"torch.nn.functional.conv{'_transpose' if layer.transposed else ''}{layer.ndim}d"
    lines.append(f"expected = {conv}(xe, we, be, *params)")
    if convention.startswith("nhwc"):
        lines.append("got = np.moveaxis(np.asarray(got), -1, 1)")
    if numpy_like:
        lines.append(f"assert str(got.dtype) == {trial.dtype!r}, got.dtype")
        lines.append("got = torch.from_numpy(np.asarray(got))")
    else:
        lines.append(f"assert isinstance(got, torch.Tensor) and got.dtype == torch.{trial.dtype}, (type(got), getattr(got, 'dtype', None))")
        lines.append("got = got.detach().cpu()")
    lines.append("assert got.shape == expected.shape, (tuple(got.shape), tuple(expected.shape))")
    bound = "exactly" if atol == 0 else f"within {atol!r} (the rounding bound at the worst element)"
    lines += [f"got = got.to({wide})",
              f"ok = (got == expected) | (got.isnan() & expected.isnan()) | ((got - expected).abs() <= {atol!r})",
              "bad = ok.logical_not().nonzero().tolist()",
              f"assert not bad, f'differs from torch {bound} at {{len(bad)}} of {{ok.numel()}} elements; first: ' + "
              "', '.join(f'{tuple(i)}: got {got[tuple(i)].item()}, expected {expected[tuple(i)].item()}' for i in bad[:5])"]
    return "\n".join(lines) + "\n"
