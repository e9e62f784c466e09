"""Convolutions written for the other calling conventions (NumPy, NHWC/HWIO, NHWC/OHWI, JAX), by
way of torch, and one that mistakes the weight layout."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def _torch_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, *params: object) -> np.ndarray:
    t = lambda a: None if a is None else torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    return getattr(F, f"conv{x.ndim - 2}d")(t(x), t(w), t(b), *params).numpy()


def numpy_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    return _torch_conv(x, w, b, stride, padding, dilation, groups)


def nhwc_hwio(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    nd = x.ndim - 2
    out = _torch_conv(np.moveaxis(x, -1, 1), np.transpose(w, (nd + 1, nd, *range(nd))), b, stride, padding, dilation, groups)
    return np.moveaxis(out, 1, -1)


def nhwc_ohwi(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    out = _torch_conv(np.moveaxis(x, -1, 1), np.moveaxis(w, -1, 1), b, stride, padding, dilation, groups)
    return np.moveaxis(out, 1, -1)


def nhwc_hwio_swapped(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    # reads HWIO as HWOI: right only when the kernel's in and out channels are one and the same
    return nhwc_hwio(x, w.swapaxes(-1, -2), b, stride, padding, dilation, groups)


def jax_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):  # type: ignore[no-untyped-def]
    import jax.numpy as jnp

    out = _torch_conv(np.asarray(x), np.asarray(w), None if b is None else np.asarray(b), stride, padding, dilation, groups)
    return jnp.asarray(out)


def _torch_conv_transpose(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, *params: object) -> np.ndarray:
    t = lambda a: None if a is None else torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    return getattr(F, f"conv_transpose{x.ndim - 2}d")(t(x), t(w), t(b), *params).numpy()


def nhwc_hwio_transposed(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):  # type: ignore[no-untyped-def]
    """tf.nn.conv2d_transpose's layouts: input (N, *s, C_in), filter (*k, C_out/groups, C_in), output (N, *s, C_out)."""
    nd = x.ndim - 2
    out = _torch_conv_transpose(np.moveaxis(x, -1, 1), np.transpose(w, (nd + 1, nd, *range(nd))), b, stride, padding,
                                output_padding, groups, dilation)
    return np.moveaxis(out, 1, -1)


def nhwc_hwio_transposed_swapped(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):  # type: ignore[no-untyped-def]
    """Reads the transposed filter as (*k, C_in, C_out): Flax's layout, not TensorFlow's."""
    return nhwc_hwio_transposed(x, w.swapaxes(-1, -2), b, stride, padding, output_padding, groups, dilation)
