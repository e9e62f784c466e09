"""Calling conventions: how a user's convolution takes its arguments and gives its answer.

Every convention calls ``fn(input, weight, bias, stride, padding, dilation, groups)`` (with
``transposed``: ``fn(input, weight, bias, stride, padding, output_padding, groups, dilation)``),
the positional order of ``torch.nn.functional.conv{N}d``/``conv_transpose{N}d``; the integer
parameters arrive as an int or a per-axis tuple, as drawn. What differs is the arrays:

* ``torch``: torch tensors in (on ``device``), a tensor out, ``(N, C, *spatial)`` input and
  ``(C_out, C_in/groups, *kernel)`` weight (transposed: ``(C_in, C_out/groups, *kernel)``);
* ``numpy``: NumPy arrays in and out, the same layouts (no bfloat16: NumPy has none);
* ``jax``: JAX arrays in and out, the same layouts (``jax_enable_x64`` switched on for float64);
* ``nhwc-hwio``, ``nhwc-ohwi``: NumPy arrays, channels last: input ``(N, *spatial, C)``, weight
  ``(*kernel, C_in/groups, C_out)`` or ``(C_out, *kernel, C_in/groups)``, output
  ``(N, *spatial, C_out)`` (TensorFlow's and oneDNN's layouts). Transposed, the weight is the forward
  convolution's filter in that layout: ``(*kernel, C_out/groups, C_in)`` for ``hwio``, as
  ``tf.nn.conv2d_transpose`` and Keras's ``Conv2DTranspose`` take it, ``(C_in, *kernel, C_out/groups)``
  for ``ohwi`` (JAX's ``conv_transpose`` with ``transpose_kernel=False`` takes ``(*kernel, C_in, C_out)``:
  wrap it);
* ``layer``: the callable is a class built like ``torch.nn.Conv{N}d`` (``ConvTranspose{N}d``):
  ``cls(in_channels, out_channels, kernel_size, stride=, padding=, dilation=, groups=, bias=,
  padding_mode=)`` (transposed: ``output_padding=`` and no ``padding_mode``), moved to the dtype
  (and channels-last memory for channels-last input), its ``weight`` and ``bias`` loaded through
  ``load_state_dict``, or through its method ``conv_equivalence_load(weight, bias)`` where it
  defines one (layers that store re-parametrised weights); then ``layer(input)``.

With a ``cotangent`` in the call (the ``grad`` facet, torch and layer conventions), the input,
weight and bias require gradients and ``torch.autograd.grad`` of the output against the
cotangent gives the gradients (for a layer with a load hook, the input's only).

This module runs in the child process (`conv_equivalence.check.runner`): it loads the callable,
builds the arrays, calls it and reads the answer back as a NumPy carrier (float64, complex128
or int64) in the ``(N, C, *spatial)`` layout.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

CONVENTIONS: tuple[str, ...] = ("torch", "numpy", "jax", "nhwc-hwio", "nhwc-ohwi", "layer", "signal", "signal2d", "filter")
"""The last three take ``fn(in1, in2, mode[, ...])`` on NumPy arrays (`conv_equivalence.check.signals`)."""
SIGNAL_CONVENTIONS = ("signal", "signal2d", "filter")
SIGNAL_MODES = ("full", "same", "valid")
"""The ``signal`` and ``signal2d`` conventions' modes (``filter`` takes scipy.ndimage's boundary modes)."""
SAME_RULES = ("scipy", "numpy")
"""Whose 'same' a ``signal`` implementation follows: scipy's (the shape of in1) or NumPy's (max(n1, n2))."""
DEVICES: tuple[str, ...] = ("cpu", "cuda", "mps")
TORCH_DTYPES = ("float16", "bfloat16", "float32", "float64", "complex64", "complex128", "int64")


class LoadError(Exception):
    """The callable cannot be loaded (or the convention cannot run here): a usage error."""


def dtypes(convention: str) -> tuple[str, ...]:
    """The dtypes the convention's arrays can hold (NumPy has no bfloat16)."""
    if convention == "layer":  # a Parameter holds floating or complex values only
        return tuple(d for d in TORCH_DTYPES if d != "int64")
    return TORCH_DTYPES if convention in ("torch", "jax") else tuple(d for d in TORCH_DTYPES if d != "bfloat16")


def layouts(convention: str) -> tuple[str, ...]:
    """Memory layouts the convention's arrays can have (JAX arrays are always contiguous; the NHWC
    conventions are channels-last already)."""
    return {"torch": ("contiguous", "channels_last", "strided"), "numpy": ("contiguous", "channels_last", "strided"),
            "layer": ("contiguous", "channels_last", "strided"), "jax": ("contiguous",)}.get(convention, ("contiguous", "strided"))


def needs(convention: str) -> str:
    """The framework the child imports ahead of the callable."""
    return {"torch": "torch", "layer": "torch", "jax": "jax"}.get(convention, "numpy")


def load(spec: str) -> Callable[..., Any]:
    """``MODULE:ATTR`` or ``PATH/TO/FILE.py:ATTR`` to the callable it names.

    A module name is looked up on ``sys.path`` with the current directory last, so that the
    module installed (or on ``PYTHONPATH``) is the one loaded, not a same-named file here.
    """
    location, sep, attr = spec.rpartition(":")
    if not sep or not location or not attr:
        raise LoadError(f"expected MODULE:ATTR or PATH/TO/FILE.py:ATTR, got {spec!r}")
    if location.endswith(".py") or os.sep in location:
        path = Path(location)
        if not path.is_file():
            raise LoadError(f"no such file: {location}")
        name = f"conv_equivalence_user_{abs(hash(str(path.resolve())))}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:
            raise LoadError(f"cannot load {location} as a Python module")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        sys.path.append(str(path.resolve().parent))  # for the file's own sibling imports, after everything else
        try:
            module_spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - any failure at import is the user's to fix
            raise LoadError(f"importing {location} raised {type(exc).__name__}: {exc}") from None
        where = location
    else:
        here = {"", ".", os.getcwd()}
        sys.path[:] = [p for p in sys.path if p not in here] + [os.getcwd()]
        try:
            module = importlib.import_module(location)
        except Exception as exc:  # noqa: BLE001
            raise LoadError(f"cannot import module {location!r}: {type(exc).__name__}: {exc}") from None
        where = f"module {location!r}"
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            raise LoadError(f"{where} has no attribute {attr!r}")
        target = getattr(target, part)
    if not callable(target):
        raise LoadError(f"{spec} is not callable (it is a {type(target).__name__})")
    return target


def prepare(convention: str, device: str) -> None:
    """Import the convention's framework and check the device; `LoadError` when it cannot run here."""
    if convention not in CONVENTIONS:
        raise LoadError(f"--convention must be one of {', '.join(CONVENTIONS)}, got {convention!r}")
    if device != "cpu" and convention not in ("torch", "layer"):
        raise LoadError(f"--device {device} needs the torch convention, got {convention!r}")
    if convention == "jax":
        try:
            import jax
        except ImportError:
            raise LoadError("the jax convention needs jax (pip install 'conv-equivalence[jax]')") from None
        jax.config.update("jax_enable_x64", True)
    if convention in ("torch", "layer"):
        import torch

        if device == "cuda" and not torch.cuda.is_available():
            raise LoadError("--device cuda: no CUDA device is visible to torch")
        if device == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise LoadError("--device mps: torch reports no MPS device")


def _layout_numpy(a: np.ndarray, layout: str) -> np.ndarray:
    """A fresh array with these values in this memory layout."""
    a = np.array(a, order="C", copy=True)
    if layout == "channels_last" and a.ndim in (4, 5):
        return np.moveaxis(np.ascontiguousarray(np.moveaxis(a, 1, -1)), -1, 1)
    if layout == "strided" and a.ndim >= 1 and a.size:
        big = np.zeros((*a.shape[:-1], 2 * a.shape[-1]), dtype=a.dtype)
        big[..., ::2] = a
        return big[..., ::2]
    return a


def _to_torch(a: np.ndarray, dtype: str, layout: str, device: str) -> Any:
    import torch

    t = torch.from_numpy(np.array(a, order="C", copy=True)).to(device=device, dtype=getattr(torch, dtype))
    if layout == "channels_last" and t.ndim in (4, 5):
        t = t.contiguous(memory_format=torch.channels_last if t.ndim == 4 else torch.channels_last_3d)
    elif layout == "strided" and t.ndim >= 1 and t.numel() > 0:
        big = torch.zeros((*t.shape[:-1], 2 * t.shape[-1]), dtype=t.dtype, device=device)
        big[..., ::2] = t
        t = big[..., ::2]
    return t


def _channels_last(a: np.ndarray, weight: str | None = None) -> np.ndarray:
    """``(N, C, *s)`` to ``(N, *s, C)``; weights ``(O, I, *k)`` to HWIO ``(*k, I, O)`` or OHWI ``(O, *k, I)``."""
    if weight == "hwio":
        return np.transpose(a, (*range(2, a.ndim), 1, 0))
    return np.moveaxis(a, 1, -1)


def build(convention: str, call: dict[str, Any], device: str = "cpu") -> tuple[Any, Any, Any]:
    """The input, weight and bias as the convention passes them."""
    dtype, layout = call["dtype"], call["layout"]
    x, w, b = call["x"], call["weight"], call["bias"]
    if convention in ("torch", "layer"):
        return (_to_torch(x, dtype, layout, device), _to_torch(w, dtype, layout, device),
                None if b is None else _to_torch(b, dtype, "contiguous", device))
    if convention == "jax":
        import jax.numpy as jnp

        return (jnp.asarray(x, dtype=dtype), jnp.asarray(w, dtype=dtype), None if b is None else jnp.asarray(b, dtype=dtype))
    x, w = x.astype(dtype), w.astype(dtype)
    b = None if b is None else b.astype(dtype)
    if convention.startswith("nhwc"):
        x, w = _channels_last(x), _channels_last(w, convention.split("-")[1])
    return _layout_numpy(x, layout), _layout_numpy(w, layout), b


def _snapshot(a: Any) -> Any:
    """What must not change: shape, strides and the bytes of every element (NaN payloads included)."""
    if a is None:
        return None
    if type(a).__module__.startswith("torch"):
        import torch

        t = a.detach().cpu()
        if t.dtype == torch.bfloat16:
            t = t.view(torch.int16)
        return (tuple(a.shape), tuple(a.stride()), t.numpy().tobytes())
    if isinstance(a, np.ndarray):
        return (a.shape, a.strides, a.tobytes())
    return None  # JAX arrays are immutable


def carrier(out: Any, convention: str) -> tuple[np.ndarray | None, str, str | None, tuple[int, ...] | None]:
    """``(array in (N, C, *s) as float64/complex128/int64, type name, dtype name, shape as returned)``;
    the array is ``None`` when ``out`` is not the convention's array type."""
    kind = type(out).__module__.split(".")[0] + "." + type(out).__name__
    if convention in ("torch", "layer"):
        import torch

        if not isinstance(out, torch.Tensor):
            return None, kind, None, None
        dtype = str(out.dtype).removeprefix("torch.")
        t = out.detach().cpu().resolve_conj()
        if t.dtype == torch.bfloat16:
            t = t.float()
        array = t.numpy()
    elif convention == "jax":
        import jax

        if not isinstance(out, jax.Array):
            return None, kind, None, None
        dtype = str(out.dtype)
        array = np.asarray(out.astype("float32") if dtype == "bfloat16" else out)
    else:
        if not isinstance(out, np.ndarray):
            return None, kind, None, None
        dtype, array = str(out.dtype), out
    shape = tuple(int(n) for n in array.shape)
    if convention.startswith("nhwc") and array.ndim >= 3:
        array = np.moveaxis(array, -1, 1)
    carrier = np.complex128 if array.dtype.kind == "c" else np.int64 if array.dtype.kind in "iub" else np.float64
    return np.asarray(array, dtype=carrier), kind, dtype, shape


def user_traceback(exc: BaseException, limit: int = 8) -> str:
    """The innermost frames of the user's code (the checker's own frames left out), then the exception."""
    here = {str(Path(__file__).resolve()), str(Path(__file__).with_name("runner.py").resolve())}
    torch_file = getattr(sys.modules.get("torch"), "__file__", None)
    autograd = str(Path(torch_file).parent / "autograd") if torch_file else "\0"  # torch's own frames of a backward
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if str(Path(f.filename).resolve()) not in here and not f.filename.startswith(autograd)]
    text = "".join(traceback.format_list(frames[-limit:]))
    return (("Traceback (innermost frames):\n" + text) if text else "") + "".join(
        traceback.format_exception_only(type(exc), exc)).rstrip()


def declines(exc: BaseException, names: tuple[str, ...]) -> bool:
    """Whether ``exc`` declares a limit: a `NotImplementedError`, or a type named in ``names``
    (by class name or ``module.QualName``, subclasses included)."""
    wanted = {"NotImplementedError", *names}
    return any(cls.__name__ in wanted or f"{cls.__module__}.{cls.__qualname__}" in wanted for cls in type(exc).__mro__)


class LayerUnusable(Exception):
    """The layer class cannot be built or loaded the way ``--layer`` does it: a usage error, not a verdict."""


def layer_arguments(w_shape: tuple[int, ...], p: dict[str, Any], transposed: bool, groups: int, bias: bool,
                    padding_mode: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``torch.nn.Conv{N}d``'s constructor arguments for a weight of this shape: ``kernel_size`` an int
    where square, ``padding_mode`` only where it is not the default ``'zeros'``."""
    kernel = tuple(w_shape[2:])
    size: Any = kernel[0] if len(set(kernel)) == 1 else kernel
    if transposed:
        return ((w_shape[0], w_shape[1] * groups, size),
                {"stride": p["stride"], "padding": p["padding"], "output_padding": p["output_padding"], "groups": groups,
                 "bias": bias, "dilation": p["dilation"]})
    kwargs = {"stride": p["stride"], "padding": p["padding"], "dilation": p["dilation"], "groups": groups, "bias": bias}
    if padding_mode != "zeros":
        kwargs["padding_mode"] = padding_mode
    return (w_shape[1] * groups, w_shape[0], size), kwargs


def call_text(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """``(1, 2, stride=1)``: the arguments as Python source."""
    return "(" + ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())]) + ")"


def _layer(cls: Callable[..., Any], x: Any, w: Any, b: Any, p: dict[str, Any], transposed: bool,
           padding_mode: str) -> tuple[Any, list[Any]]:
    """Build the layer class as `torch.nn.Conv{N}d` is built, load ``w`` and ``b`` into it; the layer
    and the tensors whose gradients are its weight's and bias's (none where a load hook is used)."""
    import torch

    groups = p["groups"]
    args, kwargs = layer_arguments(tuple(w.shape), p, transposed, groups, b is not None, padding_mode)
    try:
        layer = cls(*args, **kwargs)
    except TypeError as exc:
        if "padding_mode" in kwargs:  # a class without padding_mode: that facet's examples are declined
            raise NotImplementedError(f"{getattr(cls, '__name__', cls)} takes no padding_mode ({exc})") from None
        # it cannot be built as torch.nn.ConvNd is: the check cannot call it at all
        raise LayerUnusable(f"building {getattr(cls, '__name__', cls)}{call_text(args, kwargs)} raised TypeError: {exc} "
                            "(--layer builds the class with torch.nn.ConvNd's constructor arguments)") from None
    layer = layer.to(device=w.device, dtype=w.dtype)
    if x.dim() in (4, 5) and not x.is_contiguous() and x.is_contiguous(
            memory_format=torch.channels_last if x.dim() == 4 else torch.channels_last_3d):
        layer = layer.to(memory_format=torch.channels_last if x.dim() == 4 else torch.channels_last_3d)
    hook = getattr(layer, "conv_equivalence_load", None)
    if callable(hook):
        hook(w.detach(), None if b is None else b.detach())
        return layer, []
    state = layer.state_dict()
    missing = [name for name, a in (("weight", w), ("bias", b)) if a is not None and name not in state]
    if missing:
        raise LayerUnusable(f"{type(layer).__name__}'s state_dict has no {' or '.join(missing)}: give the class a method "
                            "conv_equivalence_load(self, weight, bias) that stores them (see docs/check.md, Layers)")
    with torch.no_grad():
        state.update({"weight": w.detach(), **({"bias": b.detach()} if b is not None else {})})
        layer.load_state_dict(state)
    params = dict(layer.named_parameters())
    return layer, [params.get("weight"), params.get("bias") if b is not None else None]


def _backward(out: Any, inputs: list[Any], cotangent: np.ndarray, convention: str, double: bool) -> dict[str, Any]:
    """The gradients of ``out`` against ``cotangent`` for ``inputs`` (input, weight, bias; ``None`` for
    those not checked), each as a carrier with its dtype and shape, ``None`` where autograd gave none.

    ``double``: also the gradients of ``s = <dL/dx, x> + <dL/dw, w>`` with respect to the cotangent,
    the input and the weight (``"double"``; for a bilinear convolution they are ``2 conv(x, w)``,
    ``2 dL/dx`` and ``2 dL/dw``), or the reason double backward is not supported (``"double_declined"``)."""
    import torch

    wanted = [t for t in inputs if t is not None]
    cot = torch.from_numpy(np.array(cotangent)).to(device=out.device, dtype=out.dtype).requires_grad_(double)
    grads = torch.autograd.grad(out, wanted, cot, allow_unused=True, create_graph=double)
    result: dict[str, Any] = {}
    by_name = {}
    for name, t, g in zip([n for n, t in zip(("input", "weight", "bias"), inputs) if t is not None], wanted, grads):
        by_name[name] = (t, g)
        array, _, dtype, shape = carrier(g, convention) if g is not None else (None, "", None, None)
        result[name] = None if g is None else {"out": array, "dtype": dtype, "shape": shape}
    if not double or any(by_name.get(n, (None, None))[1] is None for n in ("input", "weight")):
        return result
    (x, gx), (w, gw) = by_name["input"], by_name["weight"]
    if not (gx.requires_grad or gw.requires_grad):
        result["double_declined"] = "the gradients have no grad_fn: double backward is not supported"
        return result
    s = (gx * x).sum() + (gw * w).sum()
    try:
        second = torch.autograd.grad(s, [cot, x, w], allow_unused=True)
    except RuntimeError as exc:
        if "once_differentiable" not in str(exc):
            raise
        result["double_declined"] = f"double backward is not supported: {str(exc).splitlines()[0][:120]}"
        return result
    if second[0] is None:  # torch's answer for a @once_differentiable backward: nothing flows to the cotangent
        result["double_declined"] = ("double backward is not supported: no gradient reaches the cotangent "
                                     "(a @once_differentiable backward, or one computed outside autograd)")
        return result
    result["double"] = {name: None if g is None else dict(zip(("out", "dtype", "shape"), _pick(carrier(g, convention))))
                        for name, g in zip(("cotangent", "input", "weight"), second)}
    return result


def _pick(described: tuple[Any, ...]) -> tuple[Any, Any, Any]:
    array, _, dtype, shape = described
    return array, dtype, shape


def _signature_mismatch(fn: Callable[..., Any], count: int, transposed: bool) -> str | None:
    """Why ``fn`` cannot take the convention's ``count`` positional arguments, or ``None`` (it can, or
    its signature cannot be read): a usage error, found on the first call, not a verdict."""
    try:
        signature = inspect.signature(fn)
        signature.bind(*range(count))
    except TypeError as exc:
        wanted = ("input, weight, bias, stride, padding, output_padding, groups, dilation" if transposed
                  else "input, weight, bias, stride, padding, dilation, groups")
        return (f"the callable's signature {getattr(fn, '__name__', 'fn')}{signature} cannot take the {count} positional "
                f"arguments check passes ({wanted}, as torch's functional convolution): {exc}. Wrap it in a function "
                "with that signature (docs/check.md, Calling conventions), declining what it cannot do with "
                "NotImplementedError")
    except ValueError:
        return None
    return None


SIGNAL_ARRAYS = ("numpy", "torch", "jax")
"""The arrays a signal or filter implementation takes (``--arrays``): NumPy's, torch tensors (on ``device``) or
JAX arrays (``jax_enable_x64`` switched on for float64); it may answer with any of the three."""


def signal_operands(args: tuple[Any, ...], arrays: str, device: str = "cpu") -> tuple[Any, ...]:
    """The call's two operands as ``arrays`` (`SIGNAL_ARRAYS`), the other arguments as they are."""
    if arrays == "torch":
        import torch

        return tuple(torch.from_numpy(np.array(a)).to(device) for a in args[:2]) + tuple(args[2:])
    if arrays == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
        return tuple(jax.numpy.asarray(a) for a in args[:2]) + tuple(args[2:])
    return args


def invoke_signal(fn: Callable[..., Any], args: tuple[Any, ...], decline_on: tuple[str, ...], arrays: str = "numpy",
                  device: str = "cpu") -> dict[str, Any]:
    """Call a signal-processing or filter ``fn(in1, in2, mode, ...)`` once on ``arrays`` (`signals`)."""
    args = signal_operands(args, arrays, device)
    before = [_snapshot(a) for a in args[:2]]
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*args)
        except Exception as exc:  # noqa: BLE001 - the user's exception is the verdict's material
            kind = "declined" if declines(exc, decline_on) else "raised"
            return {"kind": kind, "message": f"{type(exc).__name__}: {exc}", "traceback": user_traceback(exc),
                    "warnings": _warnings(caught), "refused": isinstance(exc, (ValueError, TypeError, RuntimeError))}
        except SystemExit as exc:
            return {"kind": "crash", "message": f"the implementation raised SystemExit({exc.code!r})",
                    "warnings": _warnings(caught)}
    seconds = time.perf_counter() - start
    mutated = [name for name, a, b in zip(("in1", "in2"), args, before) if b is not None and _snapshot(a) != b]
    return {**signal_reply(out), "mutated": mutated, "warnings": _warnings(caught), "seconds": seconds}


def signal_reply(out: Any) -> dict[str, Any]:
    """A signal implementation's answer as the judge reads it: a NumPy array (a NumPy scalar as a 0-d array; a
    torch tensor or a JAX array read back into one)."""
    if isinstance(out, np.generic):  # a NumPy scalar where a 0-d array is meant
        out = np.asarray(out)
    module = type(out).__module__.split(".")[0]
    if module == "torch" and hasattr(out, "detach"):
        out = out.detach().cpu()
        out = out.numpy() if str(out.dtype) != "torch.bfloat16" else out.float().numpy()
    elif module in ("jax", "jaxlib") and hasattr(out, "__array__"):
        out = np.asarray(out)
    if not isinstance(out, np.ndarray):
        return {"kind": "ok", "out": None, "type": type(out).__module__.split(".")[0] + "." + type(out).__name__}
    return {"kind": "ok", "out": out, "type": "numpy.ndarray", "dtype": str(out.dtype), "shape": out.shape}


def invoke(fn: Callable[..., Any], call: dict[str, Any], *, convention: str, transposed: bool, device: str,
           decline_on: tuple[str, ...]) -> dict[str, Any]:
    """Call ``fn`` once (and its backward, given a cotangent) and describe what happened, as plain data
    for the parent process."""
    if call.get("signal"):
        return invoke_signal(fn, call["args"], decline_on, call.get("arrays", "numpy"), device)
    x, w, b = build(convention, call, device)
    cotangent = call.get("cotangent")
    if cotangent is not None:
        for t in (x, w, b):
            if t is not None:
                t.requires_grad_(True)
    before = [_snapshot(a) for a in (x, w, b)]
    p = call["args"]
    args = ((p["stride"], p["padding"], p["output_padding"], p["groups"], p["dilation"]) if transposed
            else (p["stride"], p["padding"], p["dilation"], p["groups"]))
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stage = "forward"
        try:
            effective = None
            if convention == "layer":
                layer, params = _layer(fn, x, w, b, p, transposed, call.get("padding_mode", "zeros"))
                out = layer(x)
                effective = effective_weights(layer, b)
                if effective is not None:
                    params = [None, params[1] if len(params) > 1 and effective.get("bias") is None else None]
            else:
                out, params = fn(x, w, b, *args), [w, b]
            seconds = time.perf_counter() - start
            array, type_name, dtype, shape = carrier(out, convention)
            grads = None
            if cotangent is not None and array is not None and array.shape == cotangent.shape:
                if out.grad_fn is None and not out.requires_grad:
                    reason = "the output has no grad_fn: it is not differentiable (its gradients cannot be checked)"
                    if not call.get("require_grad"):
                        return {"kind": "declined", "message": reason, "warnings": _warnings(caught)}
                    return {"kind": "raised", "message": reason, "traceback": reason + " (--grad requires gradients)",
                            "warnings": _warnings(caught)}
                stage = "backward"
                grads = _backward(out, [x, *params], cotangent, convention, bool(call.get("double")))
                if "double_declined" in grads:
                    return {"kind": "declined", "message": grads["double_declined"], "warnings": _warnings(caught)}
        except LayerUnusable as exc:
            return {"kind": "usage", "message": str(exc), "warnings": _warnings(caught)}
        except Exception as exc:  # noqa: BLE001 - the user's exception is the verdict's material
            mismatch = _signature_mismatch(fn, 3 + len(args), transposed) if isinstance(exc, TypeError) else None
            if mismatch and convention != "layer" and stage == "forward":
                return {"kind": "usage", "message": mismatch, "warnings": _warnings(caught)}
            if cotangent is not None and stage == "forward" and not call.get("require_grad") \
                    and not declines(exc, decline_on) and _works_detached(fn, call, convention, transposed, device, args):
                reason = (f"forward-only: with inputs that require grad it raises {type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''} (the same call on detached inputs works; "
                          "--grad makes this a failure)")
                return {"kind": "declined", "message": reason, "warnings": _warnings(caught)}
            kind = "declined" if declines(exc, decline_on) else "raised"
            where = "backward: " if stage == "backward" else ""
            return {"kind": kind, "message": f"{where}{type(exc).__name__}: {exc}", "stage": stage,
                    "traceback": ("in the backward pass (torch.autograd.grad of the output):\n" if where else "")
                    + user_traceback(exc), "warnings": _warnings(caught)}
        except SystemExit as exc:
            return {"kind": "crash", "message": f"the implementation raised SystemExit({exc.code!r})",
                    "warnings": _warnings(caught)}
    after = [_snapshot(a) for a in (x, w, b)]
    mutated = [name for name, s, t in zip(("input", "weight", "bias"), before, after) if s is not None and s != t]
    return {"kind": "ok", "out": array, "type": type_name, "dtype": dtype, "shape": shape, "mutated": mutated,
            "warnings": _warnings(caught), "seconds": seconds, "grads": grads, "effective": effective}


def effective_weights(layer: Any, bias: Any) -> dict[str, Any] | None:
    """What a layer reports it convolves with, through ``conv_equivalence_weight(self)``: the weight, or
    ``(weight, bias)``, after its own re-parametrisation (weight standardisation, weight norm, a mask);
    ``None`` for a layer without the method (it convolves with what was loaded). As float64 arrays."""
    hook = getattr(layer, "conv_equivalence_weight", None)
    if not callable(hook):
        return None
    import torch

    reported = hook()
    weight, new_bias = reported if isinstance(reported, tuple) else (reported, None)

    def as_array(t: Any) -> np.ndarray:
        if not isinstance(t, torch.Tensor):
            raise LayerUnusable(f"{type(layer).__name__}.conv_equivalence_weight() must return a tensor or a (weight, "
                                f"bias) pair of tensors, got {type(t).__name__}")
        return t.detach().cpu().resolve_conj().to(torch.complex128 if t.is_complex() else torch.float64).numpy()

    return {"weight": as_array(weight), "bias": None if new_bias is None else as_array(new_bias),
            "loaded_bias": bias is not None}


def _works_detached(fn: Callable[..., Any], call: dict[str, Any], convention: str, transposed: bool, device: str,
                    args: tuple[Any, ...]) -> bool:
    """Whether the forward call succeeds on fresh inputs that do not require grad (a forward-only kernel)."""
    x, w, b = build(convention, call, device)
    try:
        if convention == "layer":
            layer, _ = _layer(fn, x, w, b, call["args"], transposed, call.get("padding_mode", "zeros"))
            layer(x)
        else:
            fn(x, w, b, *args)
    except Exception:  # noqa: BLE001 - it fails either way: the forward's own failure
        return False
    return True


def _warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [f"{w.category.__name__}: {w.message}" for w in caught]
