"""Activations and the softmax family: Z has A's shape."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf

from archc.emit_numpy.base import Layer, register


class Identity(Layer):
    """Z = A."""

    def forward(self, A):
        return A

    def backward(self, dLdZ):
        return dLdZ


register("identity", Identity)


class ReLU(Layer):
    """Z = max(A, 0); the gradient at 0 is 0."""

    def forward(self, A):
        self.Z = np.maximum(A, 0)
        return self.Z

    def backward(self, dLdZ):
        return dLdZ * (self.Z > 0)  # (np.where with a scalar is ~5x slower here)


register("relu", ReLU)


class ReLU6(Layer):
    """Z = min(max(A, 0), 6); the gradient is 1 strictly between 0 and 6."""

    def forward(self, A):
        self.A = A
        return np.clip(A, 0, 6)

    def backward(self, dLdZ):
        return dLdZ * ((self.A > 0) & (self.A < 6))


register("relu6", ReLU6)


class LeakyReLU(Layer):
    """Z = A if A > 0 else slope * A."""

    def forward(self, A):
        self.mask = A > 0
        return np.where(self.mask, A, A * self.attrs["negative_slope"]).astype(A.dtype, copy=False)

    def backward(self, dLdZ):
        return np.where(self.mask, dLdZ, dLdZ * self.attrs["negative_slope"]).astype(dLdZ.dtype, copy=False)


register("leaky_relu", LeakyReLU)


class ELU(Layer):
    """Z = A if A > 0 else alpha (exp(A) - 1)."""

    def forward(self, A):
        alpha = self.attrs["alpha"]
        self.mask = A > 0
        self.Z = np.where(self.mask, A, alpha * np.expm1(np.minimum(A, 0))).astype(A.dtype, copy=False)
        return self.Z

    def backward(self, dLdZ):
        return np.where(self.mask, dLdZ, dLdZ * (self.Z + self.attrs["alpha"])).astype(dLdZ.dtype, copy=False)


register("elu", ELU)


class GELU(Layer):
    """Z = A Φ(A) (exact, with erf) or its tanh approximation."""

    def forward(self, A):
        self.A = A
        if self.attrs["approximate"] == "tanh":
            c = math.sqrt(2 / math.pi)
            self.t = np.tanh(c * (A + 0.044715 * A**3))
            return (0.5 * A * (1 + self.t)).astype(A.dtype, copy=False)
        self.cdf = 0.5 * (1 + erf(A / math.sqrt(2)))
        return (A * self.cdf).astype(A.dtype, copy=False)

    def backward(self, dLdZ):
        A = self.A
        if self.attrs["approximate"] == "tanh":
            c = math.sqrt(2 / math.pi)
            dt = (1 - self.t**2) * c * (1 + 3 * 0.044715 * A**2)
            return (dLdZ * (0.5 * (1 + self.t) + 0.5 * A * dt)).astype(dLdZ.dtype, copy=False)
        pdf = np.exp(-0.5 * A**2) / math.sqrt(2 * math.pi)
        return (dLdZ * (self.cdf + A * pdf)).astype(dLdZ.dtype, copy=False)


register("gelu", GELU)


class Tanh(Layer):
    """Z = tanh(A)."""

    def forward(self, A):
        self.Z = np.tanh(A)
        return self.Z

    def backward(self, dLdZ):
        return dLdZ * (1 - self.Z**2)


register("tanh", Tanh)


class Sigmoid(Layer):
    """Z = 1 / (1 + exp(-A)), computed without overflow."""

    def forward(self, A):
        self.Z = np.exp(-np.logaddexp(0, -A)).astype(A.dtype, copy=False)
        return self.Z

    def backward(self, dLdZ):
        return dLdZ * self.Z * (1 - self.Z)


register("sigmoid", Sigmoid)


class Softmax(Layer):
    """Z = exp(A) / sum(exp(A)) along `dim`."""

    def forward(self, A):
        d = self.attrs["dim"]
        e = np.exp(A - A.max(axis=d, keepdims=True))
        self.Z = e / e.sum(axis=d, keepdims=True)
        return self.Z

    def backward(self, dLdZ):
        d = self.attrs["dim"]
        return self.Z * (dLdZ - (dLdZ * self.Z).sum(axis=d, keepdims=True))


register("softmax", Softmax)


class LogSoftmax(Layer):
    """Z = A - logsumexp(A) along `dim`."""

    def forward(self, A):
        d = self.attrs["dim"]
        shifted = A - A.max(axis=d, keepdims=True)
        self.Z = shifted - np.log(np.exp(shifted).sum(axis=d, keepdims=True))
        return self.Z

    def backward(self, dLdZ):
        d = self.attrs["dim"]
        return dLdZ - np.exp(self.Z) * dLdZ.sum(axis=d, keepdims=True)


register("log_softmax", LogSoftmax)
