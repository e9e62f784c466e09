"""Keras 3: ``keras.ops.conv``, ``conv_transpose`` and ``depthwise_conv`` on each installed Keras backend
(torch, JAX, TensorFlow), one target a backend: ``keras[torch].ops.conv`` and so on.

Keras's convention (``data_format="channels_last"``, its default): input ``(N, *spatial, C)``; ``conv``'s
kernel ``(*kernel, C_in/groups, C_out)`` (the groups are read from the kernel's input depth), a
cross-correlation as torch's; ``conv_transpose``'s kernel ``(*kernel, C_out, C_in)``; ``depthwise_conv``'s
``(*kernel, C_in, multiplier)``, output channel ``c * multiplier + m``. ``padding`` is ``"valid"`` or
``"same"``: ``"same"`` is TensorFlow's (`problem.framework_same_pads`: ``ceil(n / s)`` outputs, the odd
padding sample after the input), which is torch's ``padding="same"`` at stride 1. ``conv_transpose`` with
``"valid"`` and an ``output_padding`` is torch's ``conv_transpose`` with padding 0 and that output padding;
its ``"same"`` (an output of ``n * s`` samples, the adjoint of the forward ``"same"``) has no torch padding in
general and is checked by the native identity (`identities.native_keras`).

Keras fixes its backend when it is imported (``KERAS_BACKEND``). The audit runs each backend's targets in
worker processes of their own, started with ``KERAS_BACKEND`` set (`audit.workers.group_of`); in one
process, `keras_on` switches with Keras's documented ``keras.config.set_backend`` (it reloads Keras), and
sets ``KERAS_BACKEND`` before Keras's first import, so that Keras never imports TensorFlow, its default
backend, beside torch or JAX unasked. Float32 and float64 (JAX in 64-bit mode for float64); float16 and
bfloat16 are left out, so that the backends' own half-precision defects (torch's known issues) are not
reported again through Keras.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from conv_equivalence.backends import Backend, Capabilities, KnownIssue, register
from conv_equivalence.backends._signal import NUMPY_DTYPES
from conv_equivalence.problem import ConvProblem, framework_same_pads

KERAS_BACKENDS = ("torch", "jax", "tensorflow")


def keras_on(backend: str) -> ModuleType:
    """Keras on ``backend`` (`KERAS_BACKENDS`), switched to it if it runs on another."""
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", backend)
    keras = importlib.import_module("keras")
    if keras.backend.backend() != backend:
        with warnings.catch_warnings():  # its warning is about objects made before: none are kept here
            warnings.simplefilter("ignore", UserWarning)
            keras.config.set_backend(backend)  # reloads the Keras package with that backend
        keras = importlib.import_module("keras")
    return keras


def call(backend: str, function: Callable[[ModuleType], Any], dtype: str) -> np.ndarray:
    """``function(keras)`` on ``backend``, JAX in 64-bit mode for float64; the answer as a NumPy array."""
    keras = keras_on(backend)
    if backend == "jax":
        from conv_equivalence.backends.jax_lax import x64_scope

        with x64_scope():
            return np.asarray(keras.ops.convert_to_numpy(function(keras)))
    return np.asarray(keras.ops.convert_to_numpy(function(keras)))


def _available(backend: str) -> Callable[[], str | None]:
    def check() -> str | None:
        if importlib.util.find_spec(backend) is None:
            return f"{backend} is not installed (Keras's {backend} backend)"
        return None
    return check


def _same_or_valid(problem: ConvProblem) -> str | None:
    """Keras's padding for the problem's pads: ``"valid"``, ``"same"``, or ``None`` where neither is."""
    spec, kernel = problem.spec, problem.weight.shape[2:]
    pads = spec.pads(kernel)
    if all(p == (0, 0) for p in pads):
        return "valid"
    if pads == framework_same_pads(problem.x.shape[2:], kernel, spec.stride, spec.dilation):
        return "same"
    return None


def _padding_rule(problem: ConvProblem) -> str | None:
    if _same_or_valid(problem) is None:
        return "unsupported: padding other than none or TensorFlow's 'same' (Keras takes 'valid' and 'same')"
    return None


def _tensorflow_rule(problem: ConvProblem, depthwise: bool = False) -> str | None:
    """What Keras's TensorFlow backend refuses on the CPU: stride with dilation (`keras.ops.conv`), a 3-D or
    unequally strided depthwise convolution, a dilated transposed one."""
    spec = problem.spec
    if spec.transposed:
        return "unsupported: dilation in conv_transpose (TensorFlow's CPU kernel)" if max(spec.dilation) > 1 else None
    if max(spec.stride) > 1 and max(spec.dilation) > 1:
        return "unsupported: stride with dilation (TensorFlow)"
    if depthwise and (spec.ndim == 3 or len(set(spec.stride)) > 1):
        return "unsupported: 3-D or unequal strides in depthwise_conv (TensorFlow)"
    return None


def _rule(backend: str, base: Callable[[ConvProblem], str | None] | None,
          depthwise: bool = False) -> Callable[[ConvProblem], str | None]:
    def rule(problem: ConvProblem) -> str | None:
        reason = base(problem) if base else None
        if reason is None and backend == "tensorflow":
            reason = _tensorflow_rule(problem, depthwise)
        return reason
    return rule


def _transposed_rule(problem: ConvProblem) -> str | None:
    if any(p for p in problem.spec.padding if isinstance(p, int)) or isinstance(problem.spec.padding, str):
        return "unsupported: conv_transpose padding other than 0 (Keras's 'valid')"
    return None


def _last(x: np.ndarray) -> np.ndarray:
    return np.moveaxis(x, 1, -1)


def _first(y: np.ndarray) -> np.ndarray:
    return np.moveaxis(y, -1, 1)


def _conv(backend: str) -> Callable[[ConvProblem], np.ndarray]:
    def run(problem: ConvProblem) -> np.ndarray:
        dtype = NUMPY_DTYPES[problem.dtype]
        x, w, spec = _last(problem.x).astype(dtype), problem.weight.astype(dtype), problem.spec
        kernel = np.moveaxis(w, (0, 1), (-1, -2))  # (C_out, C_in/g, *K) -> (*K, C_in/g, C_out)
        padding = _same_or_valid(problem)
        return _first(call(backend, lambda k: k.ops.conv(x, kernel, strides=spec.stride, padding=padding,
                                                          dilation_rate=spec.dilation), problem.dtype))
    return run


def _depthwise(backend: str) -> Callable[[ConvProblem], np.ndarray]:
    def run(problem: ConvProblem) -> np.ndarray:
        dtype = NUMPY_DTYPES[problem.dtype]
        x, w, spec = _last(problem.x).astype(dtype), problem.weight.astype(dtype), problem.spec
        c_in = problem.x.shape[1]
        multiplier = w.shape[0] // c_in
        # (C_in * m, 1, *K) -> (*K, C_in, m): output channel c * m + j is kernel[..., c, j]
        kernel = np.moveaxis(w[:, 0].reshape(c_in, multiplier, *w.shape[2:]), (0, 1), (-2, -1))
        padding = _same_or_valid(problem)
        return _first(call(backend, lambda k: k.ops.depthwise_conv(x, kernel, strides=spec.stride, padding=padding,
                                                                    dilation_rate=spec.dilation), problem.dtype))
    return run


def _transpose(backend: str) -> Callable[[ConvProblem], np.ndarray]:
    def run(problem: ConvProblem) -> np.ndarray:
        dtype = NUMPY_DTYPES[problem.dtype]
        x, w, spec = _last(problem.x).astype(dtype), problem.weight.astype(dtype), problem.spec
        kernel = np.moveaxis(w, (0, 1), (-1, -2))  # (C_in, C_out, *K) -> (*K, C_out, C_in)
        return _first(call(backend, lambda k: k.ops.conv_transpose(
            x, kernel, strides=spec.stride, padding="valid", output_padding=spec.output_padding or None,
            dilation_rate=spec.dilation), problem.dtype))
    return run


def _issues(backend: str, transposed: bool, depthwise: bool = False) -> tuple[KnownIssue, ...]:
    """The known issues of the library underneath: Keras's JAX backend calls ``jax.lax.conv_general_dilated``,
    its TensorFlow backend ``tf.nn.convolution``."""
    if backend == "tensorflow" and not transposed and not depthwise:
        from conv_equivalence.backends import tensorflow_nn

        return (tensorflow_nn.UNINITIALISED_PADDING,)
    if backend != "jax":
        return ()
    from conv_equivalence.backends import jax_lax

    return ((jax_lax.TRANSPOSE_MULTIPLIES_ZEROS,) if transposed
            else (jax_lax.GROUPED_NONFINITE,))  # conv_transpose takes no groups: the grouped one cannot arise


_common: dict[str, Any] = dict(dtypes=("float32", "float64"), channels=True, stride=True, dilation=True,
                               padding_strings=("same", "valid"), padding_pairs=True)
for _backend in KERAS_BACKENDS:
    register(Backend(
        f"keras[{_backend}].ops.conv", "keras", f"keras.ops.conv on Keras's {_backend} backend (channels last, "
        "'valid' or TensorFlow's 'same')",
        Capabilities(groups=True, extra_rule=_rule(_backend, _padding_rule), **_common), _conv(_backend),
        _available(_backend),
        known_issues=_issues(_backend, False),
    ))
    register(Backend(
        f"keras[{_backend}].ops.depthwise_conv", "keras", f"keras.ops.depthwise_conv on Keras's {_backend} backend "
        "(kernel (*K, C_in, multiplier))",
        Capabilities(ranks=(1, 2) if _backend == "tensorflow" else (1, 2, 3), groups=True, depthwise_only=True,
                     extra_rule=_rule(_backend, _padding_rule, True), **_common),
        _depthwise(_backend),
        _available(_backend), known_issues=_issues(_backend, False, depthwise=True),
    ))
    register(Backend(
        f"keras[{_backend}].ops.conv_transpose", "keras", f"keras.ops.conv_transpose on Keras's {_backend} backend "
        "('valid' with output_padding: torch's conv_transpose with padding 0)",
        Capabilities(transposed=True, dtypes=("float32", "float64"), channels=True, stride=True, dilation=True,
                     extra_rule=_rule(_backend, _transposed_rule)),
        _transpose(_backend), _available(_backend), known_issues=_issues(_backend, True),
    ))
