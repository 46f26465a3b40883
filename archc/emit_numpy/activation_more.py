"""The activations of the torchvision zoo: hardtanh, silu, hardswish, hardsigmoid, mish, softplus, prelu.

Where a gradient has a kink (hardtanh, hardswish, hardsigmoid), the value at the kink is PyTorch's.
"""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register


def sigmoid(A):
    """1 / (1 + exp(-A)), without overflow."""
    return np.exp(-np.logaddexp(0, -A)).astype(A.dtype, copy=False)


class HardTanh(Layer):
    """Z = min(max(A, min_val), max_val); the gradient is 1 strictly inside."""

    def forward(self, A):
        lo, hi = self.attrs["min_val"], self.attrs["max_val"]
        self.inside = (A > lo) & (A < hi)
        return np.clip(A, lo, hi).astype(A.dtype, copy=False)

    def backward(self, dLdZ):
        return dLdZ * self.inside


register("hardtanh", HardTanh)


class SiLU(Layer):
    """Z = A sigmoid(A)."""

    def forward(self, A):
        self.A, self.s = A, sigmoid(A)
        return A * self.s

    def backward(self, dLdZ):
        return dLdZ * self.s * (1 + self.A * (1 - self.s))


register("silu", SiLU)


class Hardswish(Layer):
    """Z = A relu6(A + 3) / 6: 0 below -3, A above 3."""

    def forward(self, A):
        self.A = A
        return (A * np.clip(A + 3, 0, 6) / 6).astype(A.dtype, copy=False)

    def backward(self, dLdZ):
        A = self.A
        slope = np.where(A < -3, 0, np.where(A <= 3, A / 3 + 0.5, 1))  # PyTorch's choice at A = +-3
        return (dLdZ * slope).astype(dLdZ.dtype, copy=False)


register("hardswish", Hardswish)


class Hardsigmoid(Layer):
    """Z = relu6(A + 3) / 6; the gradient is 1/6 strictly between -3 and 3."""

    def forward(self, A):
        self.inside = (A > -3) & (A < 3)
        return (np.clip(A + 3, 0, 6) / 6).astype(A.dtype, copy=False)

    def backward(self, dLdZ):
        return (dLdZ * self.inside / 6).astype(dLdZ.dtype, copy=False)


register("hardsigmoid", Hardsigmoid)


class Mish(Layer):
    """Z = A tanh(softplus(A))."""

    def forward(self, A):
        self.A = A
        self.t = np.tanh(np.logaddexp(0, A)).astype(A.dtype, copy=False)
        return A * self.t

    def backward(self, dLdZ):
        A, t = self.A, self.t
        return dLdZ * (t + A * sigmoid(A) * (1 - t * t))


register("mish", Mish)


class Softplus(Layer):
    """Z = log(1 + exp(beta A)) / beta, and A itself where beta A > threshold (as PyTorch)."""

    def forward(self, A):
        beta, threshold = self.attrs["beta"], self.attrs["threshold"]
        self.linear = A * beta > threshold
        self.s = sigmoid(A * beta)
        return np.where(self.linear, A, np.logaddexp(0, A * beta) / beta).astype(A.dtype, copy=False)

    def backward(self, dLdZ):
        return (dLdZ * np.where(self.linear, 1, self.s)).astype(dLdZ.dtype, copy=False)


register("softplus", Softplus)


class PReLU(Layer):
    """Z = A if A > 0 else weight * A, with one learned slope or one per channel (dim 1).

    A: (N, C, *)
    Z: (N, C, *); weight: (1,) or (C,)
    """

    def init_params(self, shapes, buffers, rng):
        self.params["weight"] = np.full(shapes["weight"], self.attrs["init"], dtype=self.dtype)

    def _slope(self, ndim):
        w = self.params["weight"]
        return w.reshape((1, -1) + (1,) * (ndim - 2)) if w.size > 1 else w.reshape(())

    def forward(self, A):
        self.A = A
        return np.where(A > 0, A, A * self._slope(A.ndim)).astype(A.dtype, copy=False)

    def backward(self, dLdZ):
        A = self.A
        neg = np.minimum(A, 0) * dLdZ
        w = self.params["weight"]
        self.grads["weight"] += neg.sum(axis=(0, *range(2, A.ndim))) if w.size > 1 else neg.sum().reshape(1)
        return np.where(A > 0, dLdZ, dLdZ * self._slope(A.ndim)).astype(dLdZ.dtype, copy=False)


register("prelu", PReLU)
