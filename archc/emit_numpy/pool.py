"""Pooling: max and mean pooling over windows, global pooling.

The window loops run over kernel offsets only (k*k strided array operations),
never over pixels. Max pooling keeps the first maximum in row-major order.
"""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register
from archc.emit_numpy.conv_math import empty_like_layout, pad, unpad
from archc.sizes import conv_out, pool_ceil_out


def _offsets(kernel: tuple, stride: tuple, out: tuple):
    """Yield (t, slices) for each kernel offset: the strided slice of the padded input it reads."""
    for t, offset in enumerate(np.ndindex(*kernel)):
        yield t, (slice(None), slice(None),
                  *(slice(o, o + stride[i] * (out[i] - 1) + 1, stride[i]) for i, o in enumerate(offset)))


def window_plan(a: dict, size: tuple) -> tuple[tuple, tuple, tuple]:
    """(padding before, padding after, output size) per spatial dim: the windows of a pool over ``size``.

    In ceil mode the last window may run past the padded input; the padding after is what it reads.
    """
    out_size = pool_ceil_out if a.get("ceil_mode") else conv_out
    k, s, p = a["kernel_size"], a["stride"], a["padding"]
    out = tuple(out_size(size[i], k[i], s[i], p[i]) for i in range(len(k)))
    after = tuple(max(0, (out[i] - 1) * s[i] + k[i] - size[i] - p[i]) for i in range(len(k)))
    return p, after, out


def mean_divisor(a: dict, size: tuple, out: tuple, dtype: np.dtype) -> np.ndarray | float:
    """How many entries each window's mean divides by: the window clipped to the padded input (or, without
    count_include_pad, to the input), as PyTorch's AvgPool counts them; one product per dim."""
    k, s, p = a["kernel_size"], a["stride"], a["padding"]
    if not a.get("ceil_mode") and a.get("count_include_pad", True):
        return dtype.type(np.prod(k))
    total = np.ones((1, 1) + (1,) * len(k), dtype=dtype)
    for i in range(len(k)):
        start = np.arange(out[i]) * s[i] - p[i]
        if a.get("count_include_pad", True):
            count = np.minimum(start + k[i], size[i] + p[i]) - start
        else:
            count = np.minimum(start + k[i], size[i]) - np.maximum(start, 0)
        total = total * count.reshape((1, 1, *(-1 if j == i else 1 for j in range(len(k)))))
    return total.astype(dtype)


class MaxPool(Layer):
    """maxpool1d / maxpool2d, padding with -inf.

    A: (N, C, *size)
    Z: (N, C, *out), out = floor((size + 2p - K)/s) + 1 (ceil in ceil mode)
    """

    def forward(self, A):
        a = self.attrs
        k, s = a["kernel_size"], a["stride"]
        self.before, self.after, out = window_plan(a, A.shape[2:])
        self.Ap = pad(A, self.before, self.after, value=-np.inf)
        self.Z = None
        for _, window in _offsets(k, s, out):
            if self.Z is None:
                self.Z = self.Ap[window].copy(order="K")  # keeping the layout
            else:
                np.maximum(self.Z, self.Ap[window], out=self.Z)
        return self.Z

    def backward(self, dLdZ):
        a = self.attrs
        k, s = a["kernel_size"], a["stride"]
        disjoint = all(si >= ki for si, ki in zip(s, k))  # each input in at most one window
        sizes = zip(s, k, self.Ap.shape[2:], dLdZ.shape[2:])
        tiled = all(si == ki and n == o * si for si, ki, n, o in sizes)  # every input in exactly one window
        dLdAp = empty_like_layout(self.Ap, self.Ap.shape, zero=not tiled)
        free = np.ones_like(dLdZ, dtype=bool)  # outputs whose maximum is not yet assigned (in dLdZ's layout)
        hit = np.empty_like(free)
        for _, window in _offsets(k, s, dLdZ.shape[2:]):
            np.equal(self.Ap[window], self.Z, out=hit)
            hit &= free  # ties: the first maximum in row-major order takes the gradient
            free ^= hit
            if disjoint:
                np.multiply(dLdZ, hit, out=dLdAp[window])
            else:
                dLdAp[window] += dLdZ * hit
        return unpad(dLdAp, self.before, self.after)


register("maxpool1d", MaxPool)
register("maxpool2d", MaxPool)


class MeanPool(Layer):
    """meanpool1d / meanpool2d: each window's mean, with PyTorch's AvgPool counting of padded entries.

    A: (N, C, *size)
    Z: (N, C, *out), out = floor((size + 2p - K)/s) + 1 (ceil in ceil mode)
    """

    def forward(self, A):
        a = self.attrs
        k, s = a["kernel_size"], a["stride"]
        self.before, self.after, out = window_plan(a, A.shape[2:])
        Ap = pad(A, self.before, self.after)
        self.Ap_shape = Ap.shape
        self.divisor = mean_divisor(a, A.shape[2:], out, A.dtype)
        Z = empty_like_layout(Ap, (*A.shape[:2], *out))
        for _, window in _offsets(k, s, out):
            Z += Ap[window]
        return Z / self.divisor

    def backward(self, dLdZ):
        a = self.attrs
        k, s = a["kernel_size"], a["stride"]
        share = dLdZ / self.divisor
        dLdAp = empty_like_layout(dLdZ, self.Ap_shape)
        for _, window in _offsets(k, s, dLdZ.shape[2:]):
            dLdAp[window] += share
        return unpad(dLdAp, self.before, self.after)


register("meanpool1d", MeanPool)
register("meanpool2d", MeanPool)


class GlobalPool(Layer):
    """global_pool: max or mean over every spatial position.

    A: (N, C, *size)
    Z: (N, C), or (N, C, 1, ...) with keepdim
    """

    def forward(self, A):
        self.A_shape = A.shape
        flat = A.reshape(*A.shape[:2], -1)
        if self.attrs["mode"] == "mean":
            Z = flat.mean(axis=2)
        else:
            self.idx = flat.argmax(axis=2)  # the first maximum in row-major order
            Z = np.take_along_axis(flat, self.idx[..., None], axis=2)[..., 0]
        return Z.reshape(*Z.shape, *(1,) * (A.ndim - 2)) if self.attrs["keepdim"] else Z

    def backward(self, dLdZ):
        dLdZ = dLdZ.reshape(dLdZ.shape[:2])
        N, C, *size = self.A_shape
        count = int(np.prod(size))
        if self.attrs["mode"] == "mean":
            return np.broadcast_to((dLdZ / dLdZ.dtype.type(count))[..., None], (N, C, count)).reshape(self.A_shape)
        dLdA = np.zeros((N, C, count), dtype=dLdZ.dtype)
        np.put_along_axis(dLdA, self.idx[..., None], dLdZ[..., None], axis=2)
        return dLdA.reshape(self.A_shape)


register("global_pool", GlobalPool)
