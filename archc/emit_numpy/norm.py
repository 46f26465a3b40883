"""Normalisation: batch normalisation (train and eval) and layer normalisation."""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register


def normalise_backward(dLdZ, xhat, inv_std, weight, axes):
    """dL/dA of Z = weight * (A - mean) * inv_std + bias, with mean and var taken over ``axes``."""
    dxhat = dLdZ * weight if weight is not None else dLdZ
    mean_d = dxhat.mean(axis=axes, keepdims=True)
    mean_dx = (dxhat * xhat).mean(axis=axes, keepdims=True)
    return inv_std * (dxhat - mean_d - xhat * mean_dx)


class BatchNorm(Layer):
    """batchnorm1d / batchnorm2d: per-channel statistics over the batch (and positions).

    A: (N, C) or (N, C, *size)
    Z: same shape; running_mean/running_var updated in training with `momentum`
    """

    def init_params(self, shapes, buffers, rng):
        for name, shape in shapes.items():
            self.params[name] = (np.ones if name == "weight" else np.zeros)(shape, dtype=self.dtype)
        self.buffers = {"running_mean": np.zeros(buffers["running_mean"], dtype=self.dtype),
                        "running_var": np.ones(buffers["running_var"], dtype=self.dtype),
                        "num_batches_tracked": np.zeros(buffers["num_batches_tracked"], dtype=np.int64)}

    def forward(self, A):
        eps, m = self.attrs["eps"], self.attrs["momentum"]
        self.axes = (0, *range(2, A.ndim))
        shape = (1, -1) + (1,) * (A.ndim - 2)
        if self.training:
            mean = A.mean(axis=self.axes, keepdims=True)
            centered = A - mean
            var = np.square(centered).mean(axis=self.axes, keepdims=True)
            count = A.size // A.shape[1]
            b = self.buffers
            b["running_mean"] *= 1 - m
            b["running_mean"] += m * mean.reshape(-1)
            b["running_var"] *= 1 - m
            b["running_var"] += m * var.reshape(-1) * (count / max(count - 1, 1))
            b["num_batches_tracked"] += 1
        else:
            centered = A - self.buffers["running_mean"].reshape(shape)
            var = self.buffers["running_var"].reshape(shape)
        self.inv_std = (1.0 / np.sqrt(var + eps)).astype(A.dtype, copy=False)
        self.xhat = np.multiply(centered, self.inv_std, out=centered)
        self.w = self.params["weight"].reshape(shape) if "weight" in self.params else None
        if self.w is None:
            return self.xhat
        Z = self.xhat * self.w
        Z += self.params["bias"].reshape(shape)
        return Z

    def backward(self, dLdZ):
        sum_dZ = dLdZ.sum(axis=self.axes, keepdims=True)  # dL/dbias
        sum_dZ_xhat = (dLdZ * self.xhat).sum(axis=self.axes, keepdims=True)  # dL/dweight
        if self.w is not None:
            self.grads["weight"] += sum_dZ_xhat.reshape(-1)
            self.grads["bias"] += sum_dZ.reshape(-1)
        scale = self.inv_std * (self.w if self.w is not None else 1)
        if not self.training:
            return dLdZ * scale
        # normalise_backward with per-channel weight: scale * (dLdZ - mean(dLdZ) - xhat * mean(dLdZ * xhat))
        count = dLdZ.size // dLdZ.shape[1]
        dLdA = np.multiply(self.xhat, -sum_dZ_xhat / count)
        dLdA += dLdZ
        dLdA -= sum_dZ / count
        dLdA *= scale
        return dLdA


register("batchnorm1d", BatchNorm)
register("batchnorm2d", BatchNorm)


class LayerNorm(Layer):
    """layernorm over the last `ndim` dims, with an elementwise affine map.

    A: (N, *, *normalized)
    Z: same shape
    """

    def init_params(self, shapes, buffers, rng):
        for name, shape in shapes.items():
            self.params[name] = (np.ones if name == "weight" else np.zeros)(shape, dtype=self.dtype)

    def forward(self, A):
        self.axes = tuple(range(A.ndim - self.attrs["ndim"], A.ndim))
        mean = A.mean(axis=self.axes, keepdims=True)
        var = A.var(axis=self.axes, keepdims=True)
        self.inv_std = (1.0 / np.sqrt(var + self.attrs["eps"])).astype(A.dtype, copy=False)
        self.xhat = (A - mean) * self.inv_std
        if "weight" not in self.params:
            return self.xhat
        return self.xhat * self.params["weight"] + self.params["bias"]

    def backward(self, dLdZ):
        w = self.params.get("weight")
        if w is not None:
            lead = tuple(range(dLdZ.ndim - self.attrs["ndim"]))
            self.grads["weight"] += (dLdZ * self.xhat).sum(axis=lead)
            self.grads["bias"] += dLdZ.sum(axis=lead)
        return normalise_backward(dLdZ, self.xhat, self.inv_std, w, self.axes)


register("layernorm", LayerNorm)
