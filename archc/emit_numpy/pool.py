"""Pooling: max and mean pooling over windows, global pooling.

The window loops run over kernel offsets only (k*k strided array operations),
never over pixels. Max pooling keeps the first maximum in row-major order.
"""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register
from archc.emit_numpy.conv_math import empty_like_layout, pad, unpad
from archc.sizes import conv_out


def _offsets(kernel: tuple, stride: tuple, out: tuple):
    """Yield (t, slices) for each kernel offset: the strided slice of the padded input it reads."""
    for t, offset in enumerate(np.ndindex(*kernel)):
        yield t, (slice(None), slice(None),
                  *(slice(o, o + stride[i] * (out[i] - 1) + 1, stride[i]) for i, o in enumerate(offset)))


def _out(size: tuple, kernel: tuple, stride: tuple) -> tuple:
    """Output sizes of a pool over an already padded input."""
    return tuple(conv_out(size[i], kernel[i], stride[i]) for i in range(len(kernel)))


class MaxPool(Layer):
    """maxpool1d / maxpool2d, padding with -inf.

    A: (N, C, *size)
    Z: (N, C, *out), out = floor((size + 2p - K)/s) + 1
    """

    def forward(self, A):
        a = self.attrs
        k, s, p = a["kernel_size"], a["stride"], a["padding"]
        self.Ap = pad(A, p, p, value=-np.inf)
        out = _out(self.Ap.shape[2:], k, s)
        self.Z = None
        for _, window in _offsets(k, s, out):
            if self.Z is None:
                self.Z = self.Ap[window].copy()
            else:
                np.maximum(self.Z, self.Ap[window], out=self.Z)
        return self.Z

    def backward(self, dLdZ):
        a = self.attrs
        k, s, p = a["kernel_size"], a["stride"], a["padding"]
        dLdAp = empty_like_layout(self.Ap, self.Ap.shape)
        free = np.ones(dLdZ.shape, dtype=bool)  # outputs whose maximum is not yet assigned
        disjoint = all(si >= ki for si, ki in zip(s, k))  # each input in at most one window
        hit = np.empty(dLdZ.shape, dtype=bool)
        for _, window in _offsets(k, s, dLdZ.shape[2:]):
            np.equal(self.Ap[window], self.Z, out=hit)
            hit &= free  # ties: the first maximum in row-major order takes the gradient
            free ^= hit
            if disjoint:
                np.multiply(dLdZ, hit, out=dLdAp[window])
            else:
                dLdAp[window] += dLdZ * hit
        return unpad(dLdAp, p, p)


register("maxpool1d", MaxPool)
register("maxpool2d", MaxPool)


class MeanPool(Layer):
    """meanpool1d / meanpool2d, zero padding counted in the mean (PyTorch's AvgPool default).

    A: (N, C, *size)
    Z: (N, C, *out), out = floor((size + 2p - K)/s) + 1
    """

    def forward(self, A):
        a = self.attrs
        k, s, p = a["kernel_size"], a["stride"], a["padding"]
        Ap = pad(A, p, p)
        self.Ap_shape = Ap.shape
        out = _out(Ap.shape[2:], k, s)
        Z = np.zeros((*A.shape[:2], *out), dtype=A.dtype)
        for _, window in _offsets(k, s, out):
            Z += Ap[window]
        return Z / A.dtype.type(np.prod(k))

    def backward(self, dLdZ):
        a = self.attrs
        k, s, p = a["kernel_size"], a["stride"], a["padding"]
        share = dLdZ / dLdZ.dtype.type(np.prod(k))
        dLdAp = np.zeros(self.Ap_shape, dtype=dLdZ.dtype)
        for _, window in _offsets(k, s, dLdZ.shape[2:]):
            dLdAp[window] += share
        return unpad(dLdAp, p, p)


register("meanpool1d", MeanPool)
register("meanpool2d", MeanPool)


class GlobalPool(Layer):
    """global_pool: max or mean over every spatial position.

    A: (N, C, *size)
    Z: (N, C)
    """

    def forward(self, A):
        self.A_shape = A.shape
        flat = A.reshape(*A.shape[:2], -1)
        if self.attrs["mode"] == "mean":
            return flat.mean(axis=2)
        self.idx = flat.argmax(axis=2)  # the first maximum in row-major order
        return np.take_along_axis(flat, self.idx[..., None], axis=2)[..., 0]

    def backward(self, dLdZ):
        N, C, *size = self.A_shape
        count = int(np.prod(size))
        if self.attrs["mode"] == "mean":
            return np.broadcast_to((dLdZ / dLdZ.dtype.type(count))[..., None], (N, C, count)).reshape(self.A_shape)
        dLdA = np.zeros((N, C, count), dtype=dLdZ.dtype)
        np.put_along_axis(dLdA, self.idx[..., None], dLdZ[..., None], axis=2)
        return dLdA.reshape(self.A_shape)


register("global_pool", GlobalPool)
