"""Adaptive pooling: split each spatial dim into output_size windows, floor(i W/o) to ceil((i+1) W/o)."""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register
from archc.sizes import adaptive_window


def mean_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """(out, size): row i averages window i of an adaptive pool."""
    M = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, end = adaptive_window(size, out, i)
        M[i, start:end] = 1.0 / (end - start)
    return M


class AdaptiveMeanPool(Layer):
    """adaptive_meanpool1d / adaptive_meanpool2d: a mean per window; one matrix per spatial dim.

    A: (N, C, *size)
    Z: (N, C, *output_size)
    """

    def forward(self, A):
        self.Ms = [mean_matrix(w, o, A.dtype) for w, o in zip(A.shape[2:], self.attrs["output_size"])]
        Z = A
        for i, M in enumerate(self.Ms):  # contract dim 2+i with its averaging matrix
            Z = np.moveaxis(np.tensordot(Z, M, axes=([2 + i], [1])), -1, 2 + i)
        return Z

    def backward(self, dLdZ):
        dLdA = dLdZ
        for i, M in enumerate(self.Ms):
            dLdA = np.moveaxis(np.tensordot(dLdA, M, axes=([2 + i], [0])), -1, 2 + i)
        return dLdA


register("adaptive_meanpool1d", AdaptiveMeanPool)
register("adaptive_meanpool2d", AdaptiveMeanPool)


class AdaptiveMaxPool(Layer):
    """adaptive_maxpool1d / adaptive_maxpool2d: the maximum of each window (the first, in row-major order).

    A: (N, C, *size)
    Z: (N, C, *output_size)
    """

    def windows(self, size):
        grids = [[adaptive_window(w, o, i) for i in range(o)] for w, o in zip(size, self.attrs["output_size"])]
        for index in np.ndindex(*self.attrs["output_size"]):
            yield index, tuple(slice(*grids[d][i]) for d, i in enumerate(index))

    def forward(self, A):
        self.A_shape = A.shape
        N, C = A.shape[:2]
        Z = np.empty((N, C, *self.attrs["output_size"]), dtype=A.dtype)
        self.argmax = {}
        for index, window in self.windows(A.shape[2:]):  # one step per output position, vectorised over N, C
            block = A[(slice(None), slice(None), *window)].reshape(N, C, -1)
            k = block.argmax(axis=2)
            self.argmax[index] = (window, k)
            Z[(slice(None), slice(None), *index)] = np.take_along_axis(block, k[..., None], axis=2)[..., 0]
        return Z

    def backward(self, dLdZ):
        N, C = dLdZ.shape[:2]
        dLdA = np.zeros(self.A_shape, dtype=dLdZ.dtype)
        for index, (window, k) in self.argmax.items():
            region = dLdA[(slice(None), slice(None), *window)]
            flat = np.zeros((N, C, region[0, 0].size), dtype=dLdZ.dtype)
            np.put_along_axis(flat, k[..., None], dLdZ[(slice(None), slice(None), *index)][..., None], axis=2)
            region += flat.reshape(region.shape)
        return dLdA


register("adaptive_maxpool1d", AdaptiveMaxPool)
register("adaptive_maxpool2d", AdaptiveMaxPool)
