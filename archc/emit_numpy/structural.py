"""Flatten and dropout."""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register


class Flatten(Layer):
    """Channel-major flatten from `start_dim`.

    A: (N, C, *size)
    Z: (N, C*prod(size))
    """

    def forward(self, A):
        self.A_shape = A.shape
        return A.reshape(*A.shape[:self.attrs["start_dim"]], -1)

    def backward(self, dLdZ):
        return dLdZ.reshape(self.A_shape)


register("flatten", Flatten)


class Dropout(Layer):
    """Inverted dropout: zero with probability p and scale by 1/(1-p) in training; identity in eval.

    A: (*)
    Z: (*)
    """

    def init_params(self, shapes, buffers, rng):
        self.rng = np.random.default_rng(rng.integers(2**63))

    def forward(self, A):
        p = self.attrs["p"]
        if not self.training or p == 0:
            self.mask = None
            return A
        keep = self.rng.random(A.shape) >= p
        self.mask = keep.astype(A.dtype) / A.dtype.type(1 - p) if p < 1 else np.zeros_like(A)
        return A * self.mask

    def backward(self, dLdZ):
        return dLdZ if self.mask is None else dLdZ * self.mask


register("dropout", Dropout)
