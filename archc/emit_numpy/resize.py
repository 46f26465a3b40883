"""Resizing by interpolation (PyTorch's Upsample / interpolate): nearest, linear and bilinear.

Each spatial dim is resized by one interpolation matrix (out, size), built with PyTorch's
source-index rules, so the forward is a product per dim and the backward its transpose.
"""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register


def interpolation_matrix(size: int, out: int, mode: str, align_corners: bool, scale: int | None,
                         dtype: np.dtype) -> np.ndarray:
    """(out, size): row i holds the weights output position i takes from the input positions."""
    M = np.zeros((out, size), dtype=np.float64)
    rows = np.arange(out)
    ratio = 1.0 / scale if scale else size / out  # PyTorch uses 1/scale_factor when it is given
    if mode == "nearest":
        M[rows, np.minimum(np.floor(rows * ratio).astype(int), size - 1)] = 1.0
        return M.astype(dtype)
    if align_corners:
        src = rows * ((size - 1) / (out - 1)) if out > 1 else np.zeros(out)
    else:
        src = np.maximum((rows + 0.5) * ratio - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(int), size - 1)
    i1 = np.minimum(i0 + 1, size - 1)
    w1 = src - i0
    np.add.at(M, (rows, i0), 1.0 - w1)
    np.add.at(M, (rows, i1), w1)
    return M.astype(dtype)


class Resize(Layer):
    """resize1d / resize2d: Z = A interpolated to a scaled or a given size.

    A: (N, C, *size)
    Z: (N, C, *(size * scale or the given size))
    """

    def forward(self, A):
        a = self.attrs
        size = a["size"] or tuple(w * a["scale"] for w in A.shape[2:])
        mode = "nearest" if a["mode"] == "nearest" else "linear"
        self.Ms = [interpolation_matrix(w, o, mode, a["align_corners"], a["scale"], A.dtype)
                   for w, o in zip(A.shape[2:], size)]
        Z = A
        for i, M in enumerate(self.Ms):
            Z = np.moveaxis(np.tensordot(Z, M, axes=([2 + i], [1])), -1, 2 + i)
        return np.ascontiguousarray(Z)

    def backward(self, dLdZ):
        dLdA = dLdZ
        for i, M in enumerate(self.Ms):
            dLdA = np.moveaxis(np.tensordot(dLdA, M, axes=([2 + i], [0])), -1, 2 + i)
        return np.ascontiguousarray(dLdA)


register("resize1d", Resize)
register("resize2d", Resize)
