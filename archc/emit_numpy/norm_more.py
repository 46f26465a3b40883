"""Group, instance and channel-wise layer normalisation, and the learned per-channel scale."""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register
from archc.emit_numpy.norm import normalise_backward


def _per_channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


class GroupNorm(Layer):
    """groupnorm: mean and variance over each group of channels and all positions, per example.

    A: (N, C, *)
    Z: (N, C, *); weight, bias: (C,)
    """

    def init_params(self, shapes, buffers, rng):
        for name, shape in shapes.items():
            self.params[name] = (np.ones if name == "weight" else np.zeros)(shape, dtype=self.dtype)

    def groups(self, A):
        return self.attrs["num_groups"]

    def forward(self, A):
        self.shape = A.shape
        G = A.reshape(A.shape[0], self.groups(A), -1)
        mean = G.mean(axis=2, keepdims=True)
        self.inv_std = (1.0 / np.sqrt(G.var(axis=2, keepdims=True) + self.attrs["eps"])).astype(A.dtype, copy=False)
        self.xhat = ((G - mean) * self.inv_std).reshape(A.shape)
        if "weight" not in self.params:
            return self.xhat
        return self.xhat * _per_channel(self.params["weight"], A.ndim) + _per_channel(self.params["bias"], A.ndim)

    def backward(self, dLdZ):
        axes = (0, *range(2, dLdZ.ndim))
        dxhat = dLdZ
        if "weight" in self.params:
            self.grads["weight"] += (dLdZ * self.xhat).sum(axis=axes)
            self.grads["bias"] += dLdZ.sum(axis=axes)
            dxhat = dLdZ * _per_channel(self.params["weight"], dLdZ.ndim)
        n, g = self.shape[0], self.inv_std.shape[1]
        dLdA = normalise_backward(dxhat.reshape(n, g, -1), self.xhat.reshape(n, g, -1), self.inv_std, None, (2,))
        return dLdA.reshape(self.shape)


register("groupnorm", GroupNorm)


class InstanceNorm(GroupNorm):
    """instancenorm1d / instancenorm2d: group normalisation with one channel per group.

    A: (N, C, *size)
    Z: (N, C, *size)
    """

    def groups(self, A):
        return A.shape[1]


register("instancenorm1d", InstanceNorm)
register("instancenorm2d", InstanceNorm)


class LayerNorm2d(Layer):
    """layernorm2d: at each position, normalise over the channels (ConvNeXt's LayerNorm2d).

    A: (N, C, *size)
    Z: (N, C, *size); weight, bias: (C,)
    """

    def init_params(self, shapes, buffers, rng):
        for name, shape in shapes.items():
            self.params[name] = (np.ones if name == "weight" else np.zeros)(shape, dtype=self.dtype)

    def forward(self, A):
        mean = A.mean(axis=1, keepdims=True)
        self.inv_std = (1.0 / np.sqrt(A.var(axis=1, keepdims=True) + self.attrs["eps"])).astype(A.dtype, copy=False)
        self.xhat = (A - mean) * self.inv_std
        if "weight" not in self.params:
            return self.xhat
        return self.xhat * _per_channel(self.params["weight"], A.ndim) + _per_channel(self.params["bias"], A.ndim)

    def backward(self, dLdZ):
        w = None
        if "weight" in self.params:
            axes = (0, *range(2, dLdZ.ndim))
            self.grads["weight"] += (dLdZ * self.xhat).sum(axis=axes)
            self.grads["bias"] += dLdZ.sum(axis=axes)
            w = _per_channel(self.params["weight"], dLdZ.ndim)
        return normalise_backward(dLdZ, self.xhat, self.inv_std, w, (1,))


register("layernorm2d", LayerNorm2d)


class LayerScale(Layer):
    """Z = A * scale, a learned scale per channel (its parameter is keyed by the layer's own name).

    A: (N, C, *size)
    Z: (N, C, *size); scale: (C, 1, ...)
    """

    def init_params(self, shapes, buffers, rng):
        self.params[""] = np.full(shapes[""], self.attrs["init"], dtype=self.dtype)

    def forward(self, A):
        self.A = A
        return A * self.params[""]

    def backward(self, dLdZ):
        self.grads[""] += (dLdZ * self.A).sum(axis=(0, *range(2, self.A.ndim)), keepdims=True)[0]
        return dLdZ * self.params[""]


register("layer_scale", LayerScale)
