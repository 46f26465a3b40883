"""Regularisers that zero whole channels or whole examples in training: dropout1d/2d and stochastic
depth. Both are the identity in eval mode."""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register


class ChannelDropout(Layer):
    """dropout1d / dropout2d: zero each channel of each example with probability p, scale the rest.

    A: (N, C, *size)
    Z: (N, C, *size)
    """

    def init_params(self, shapes, buffers, rng):
        self.rng = np.random.default_rng(rng.integers(2**63))

    def forward(self, A):
        p = self.attrs["p"]
        if not self.training or p == 0:
            self.mask = None
            return A
        keep = self.rng.random((*A.shape[:2], *(1,) * (A.ndim - 2))) >= p
        self.mask = keep.astype(A.dtype) / A.dtype.type(1 - p) if p < 1 else np.zeros_like(keep, dtype=A.dtype)
        return A * self.mask

    def backward(self, dLdZ):
        return dLdZ if self.mask is None else dLdZ * self.mask


register("dropout1d", ChannelDropout)
register("dropout2d", ChannelDropout)


class StochasticDepth(Layer):
    """stochastic_depth: in training, zero the value per example ("row") or for the whole batch ("batch")
    with probability p, scaling what survives by 1/(1-p) (torchvision's StochasticDepth).

    A: (N, *)
    Z: (N, *)
    """

    def init_params(self, shapes, buffers, rng):
        self.rng = np.random.default_rng(rng.integers(2**63))

    def forward(self, A):
        p = self.attrs["p"]
        if not self.training or p == 0:
            self.mask = None
            return A
        shape = (A.shape[0], *(1,) * (A.ndim - 1)) if self.attrs["mode"] == "row" else (1,) * A.ndim
        keep = self.rng.random(shape) >= p
        self.mask = keep.astype(A.dtype) / A.dtype.type(1 - p) if p < 1 else np.zeros(shape, dtype=A.dtype)
        return A * self.mask

    def backward(self, dLdZ):
        return dLdZ if self.mask is None else dLdZ * self.mask


register("stochastic_depth", StochasticDepth)
