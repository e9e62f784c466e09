"""A torch-style ``conv2d`` on JAX arrays through ``jax.lax.conv_general_dilated``.

Inspired by the usual way JAX code (Flax's ``nn.Conv``, tutorials porting PyTorch models)
calls ``lax.conv_general_dilated`` with ``dimension_numbers=('NCHW', 'OIHW', 'NCHW')``, explicit
``(low, high)`` padding pairs or the ``'SAME'``/``'VALID'`` strings, ``rhs_dilation`` and
``feature_group_count``.
x64 is switched on at import, as JAX code that needs float64 does.
"""

import jax
from jax import lax

jax.config.update("jax_enable_x64", True)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    if isinstance(padding, str):
        pad = padding.upper()
    else:
        ph, pw = _pair(padding)
        pad = [(ph, ph), (pw, pw)]
    out = lax.conv_general_dilated(
        x, w, window_strides=_pair(stride), padding=pad, rhs_dilation=_pair(dilation),
        dimension_numbers=("NCHW", "OIHW", "NCHW"), feature_group_count=groups,
    )
    if b is not None:
        out = out + b[None, :, None, None]
    return out
