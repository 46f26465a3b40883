"""Ops that move entries: pad (constant, reflect, replicate; channels with zeros), permute, chunk and
channel shuffle. Each backward sends every gradient entry back to the input entry it came from."""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register


def pad_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each output position of one padded dim, the input position it copies (reflect or replicate)."""
    i = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(i, 0, size - 1)
    period = 2 * (size - 1) if size > 1 else 1  # reflect without repeating the edge
    j = np.abs(i) % period
    return np.where(j >= size, period - j, j)


class Pad(Layer):
    """pad: the spatial dims by (before, after) per dim, and optionally the channels with zeros.

    A: (N, C, *size)
    Z: (N, C + c0 + c1, *(size + before + after))
    """

    def sides(self, A):
        pairs = self.attrs["amount"]
        return pairs * (A.ndim - 2) if len(pairs) == 1 else pairs

    def forward(self, A):
        a = self.attrs
        self.A_shape = A.shape
        self.widths = [(0, 0), a["channels"], *self.sides(A)]
        if a["mode"] == "constant":
            return np.pad(A, self.widths, constant_values=a["value"])
        Z = np.pad(A, [*self.widths[:2], *((0, 0),) * (A.ndim - 2)])  # the channels (zeros, if any)
        self.index = [pad_index(A.shape[2 + d], b, e, a["mode"]) for d, (b, e) in enumerate(self.widths[2:])]
        for d, idx in enumerate(self.index):
            Z = np.take(Z, idx, axis=2 + d)
        return Z

    def backward(self, dLdZ):
        c0, _ = self.widths[1]
        if self.attrs["mode"] == "constant":
            crop = tuple(slice(b, dLdZ.shape[d] - e) for d, (b, e) in enumerate(self.widths))
            return np.ascontiguousarray(dLdZ[crop])
        dLdA = dLdZ
        for d in reversed(range(len(self.index))):  # undo each gather: add back into the source positions
            moved = np.moveaxis(dLdA, 2 + d, 0)
            acc = np.zeros((self.A_shape[2 + d], *moved.shape[1:]), dtype=dLdZ.dtype)
            np.add.at(acc, self.index[d], moved)
            dLdA = np.moveaxis(acc, 0, 2 + d)
        return np.ascontiguousarray(dLdA[:, c0:c0 + self.A_shape[1]])


register("pad", Pad)


class Permute(Layer):
    """permute: Z = A with its dims reordered (as torch.permute).

    A: (d0, d1, ...)
    Z: (d_dims[0], d_dims[1], ...)
    """

    def forward(self, A):
        return np.transpose(A, self.attrs["dims"])

    def backward(self, dLdZ):
        return np.transpose(dLdZ, np.argsort(self.attrs["dims"]))


register("permute", Permute)


class Chunk(Layer):
    """chunk: piece ``index`` of A cut along ``dim`` into pieces of ceil(size/chunks) (as torch.chunk).

    A: (N, C, *)
    Z: (N, C_piece, *)
    """

    def forward(self, A):
        a = self.attrs
        self.A_shape, self.dim = A.shape, a["dim"] % A.ndim
        size = -(-A.shape[self.dim] // a["chunks"])
        self.start = a["index"] * size
        return np.take(A, np.arange(self.start, min(self.start + size, A.shape[self.dim])), axis=self.dim)

    def backward(self, dLdZ):
        dLdA = np.zeros(self.A_shape, dtype=dLdZ.dtype)
        where = [slice(None)] * len(self.A_shape)
        where[self.dim] = slice(self.start, self.start + dLdZ.shape[self.dim])
        dLdA[tuple(where)] = dLdZ
        return dLdA


register("chunk", Chunk)


class ChannelShuffle(Layer):
    """channel_shuffle: channels (g, C/g) transposed to (C/g, g), interleaving the groups (ShuffleNet).

    A: (N, C, *)
    Z: (N, C, *)
    """

    def forward(self, A):
        N, C, *rest = A.shape
        g = self.attrs["groups"]
        return A.reshape(N, g, C // g, *rest).swapaxes(1, 2).reshape(A.shape)

    def backward(self, dLdZ):
        N, C, *rest = dLdZ.shape
        g = self.attrs["groups"]
        return dLdZ.reshape(N, C // g, g, *rest).swapaxes(1, 2).reshape(dLdZ.shape)


register("channel_shuffle", ChannelShuffle)
