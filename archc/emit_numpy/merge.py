"""Ops that read several values: add, mul (both broadcasting) and concat."""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register


def unbroadcast(dLdZ: np.ndarray, shape: tuple) -> np.ndarray:
    """The gradient of a broadcast operand: sum over the dims it was stretched along."""
    if dLdZ.shape == tuple(shape):
        return dLdZ
    lead = dLdZ.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and dLdZ.shape[lead + i] != 1)
    return dLdZ.sum(axis=axes, keepdims=True).reshape(shape)


class Add(Layer):
    """Z = A + B (a residual connection), broadcasting.

    A, B: (*), broadcastable
    Z: (*)
    """

    def forward(self, A, B):
        self.shapes = (A.shape, B.shape)
        return A + B

    def backward(self, dLdZ):
        return unbroadcast(dLdZ, self.shapes[0]), unbroadcast(dLdZ, self.shapes[1])


register("add", Add)


class Mul(Layer):
    """Z = A * B elementwise, broadcasting (a gate, as in squeeze-excitation).

    A, B: (*), broadcastable
    Z: (*)
    """

    def forward(self, A, B):
        self.A, self.B = A, B
        return A * B

    def backward(self, dLdZ):
        return unbroadcast(dLdZ * self.B, self.A.shape), unbroadcast(dLdZ * self.A, self.B.shape)


register("mul", Mul)


class Concat(Layer):
    """Z = [A_1, A_2, ...] joined along `dim`.

    A_i: (N, C_i, *)
    Z: (N, sum C_i, *)
    """

    def forward(self, *As):
        self.sizes = [A.shape[self.attrs["dim"]] for A in As]
        return np.concatenate(As, axis=self.attrs["dim"])

    def backward(self, dLdZ):
        cuts = np.cumsum(self.sizes)[:-1]
        return tuple(np.split(dLdZ, cuts, axis=self.attrs["dim"]))


register("concat", Concat)
