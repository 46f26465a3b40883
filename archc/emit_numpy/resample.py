"""Zero-insertion upsampling and keep-every-k-th downsampling (the course's layers)."""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register


def upsample(A: np.ndarray, factor: tuple) -> np.ndarray:
    """Insert factor-1 zeros between neighbours along each spatial dim: W -> k(W-1)+1."""
    if all(k == 1 for k in factor):
        return A
    size = tuple(k * (w - 1) + 1 for k, w in zip(factor, A.shape[2:]))
    Z = np.zeros((*A.shape[:2], *size), dtype=A.dtype)
    Z[(slice(None), slice(None), *(slice(None, None, k) for k in factor))] = A
    return Z


def downsample(A: np.ndarray, factor: tuple) -> np.ndarray:
    """Keep indices 0, k, 2k, ... along each spatial dim: W -> ceil(W/k)."""
    if all(k == 1 for k in factor):
        return A
    return A[(slice(None), slice(None), *(slice(None, None, k) for k in factor))]


class Upsample(Layer):
    """upsample1d / upsample2d.

    A: (N, C, *size)
    Z: (N, C, *(k(size-1)+1))
    """

    def forward(self, A: np.ndarray) -> np.ndarray:
        self.k = (self.attrs["factor"],) * (A.ndim - 2)
        return upsample(A, self.k)

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(downsample(dLdZ, self.k))


class Downsample(Layer):
    """downsample1d / downsample2d.

    A: (N, C, *size)
    Z: (N, C, *ceil(size/k))
    """

    def forward(self, A: np.ndarray) -> np.ndarray:
        self.k = (self.attrs["factor"],) * (A.ndim - 2)
        self.A_shape = A.shape
        return np.ascontiguousarray(downsample(A, self.k))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        dLdA = np.zeros(self.A_shape, dtype=dLdZ.dtype)
        dLdA[(slice(None), slice(None), *(slice(None, None, k) for k in self.k))] = dLdZ
        return dLdA


register("upsample1d", Upsample)
register("upsample2d", Upsample)
register("downsample1d", Downsample)
register("downsample2d", Downsample)
