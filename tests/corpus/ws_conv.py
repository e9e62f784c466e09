"""Weight-standardised convolution layers, as vision backbones define them.

``StdConv2dForgetful`` follows the common recipe (e.g. the BiT / timm ``StdConv2d`` pattern of
standardising ``self.weight`` and calling ``F.conv2d(x, weight, self.bias, self.stride,
self.padding, self.dilation, self.groups)``): calling the functional form directly skips
``nn.Conv2d._conv_forward``, which is where ``padding_mode`` is applied, so a layer built with
``padding_mode='reflect'`` (or replicate, circular) silently pads with zeros. ``StdConv2d`` calls
``self._conv_forward`` and is correct. Standardisation is switched off (``standardise=False``)
by default here, so that the layer computes exactly the convolution of the weight it holds.
"""

import torch
import torch.nn.functional as F
from torch import nn


class StdConv2d(nn.Conv2d):
    def __init__(self, *args, standardise=False, eps=1e-6, **kwargs):
        super().__init__(*args, **kwargs)
        self.standardise, self.eps = standardise, eps

    def _weight(self):
        w = self.weight
        if self.standardise:
            w = (w - w.mean(dim=(1, 2, 3), keepdim=True)) / torch.sqrt(w.var(dim=(1, 2, 3), keepdim=True) + self.eps)
        return w

    def forward(self, x):
        return self._conv_forward(x, self._weight(), self.bias)


class StdConv2dForgetful(StdConv2d):
    def forward(self, x):
        return F.conv2d(x, self._weight(), self.bias, self.stride, self.padding, self.dilation, self.groups)
