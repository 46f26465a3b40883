"""Convolution as im2col plus one BLAS matrix product per group, the batch folded in.

Shared by conv1d/2d and conv_transpose1d/2d (which is an upsample, a pad and a
stride-1 convolution with the flipped kernel). ``n`` is the number of spatial
dims; arrays are (N, C, *spatial) as PyTorch lays them out.

The column matrix is laid out (C, *K, N, *out): a read-only ``as_strided`` view
of the padded input gives every window in that order, copied once into a reused
buffer (or, for a 1x1 stride-1 convolution over a channel-major input, used as
it is). Its rows match the weight's natural (O, C/G, *K) flattening, and the
product W @ cols gives the output channel-major, (O, N, *out). Outputs and input
gradients are returned as (N, C, *size) views of channel-major memory, so the
layers between convolutions (elementwise, keeping the layout) pass it on and
the next product reads and writes contiguous rows without a transposing copy.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from archc.sizes import conv_out


def empty_like_layout(A: np.ndarray, shape: tuple, zero: bool = True) -> np.ndarray:
    """A new array of ``shape`` whose axes are laid out in memory in the same order as A's."""
    order = sorted(range(A.ndim), key=lambda i: -A.strides[i])  # outermost axis first
    make = np.zeros if zero else np.empty
    base = make(tuple(shape[i] for i in order), dtype=A.dtype)
    return base.transpose(np.argsort(order))


def pad(A: np.ndarray, before: tuple, after: tuple, value: float = 0.0) -> np.ndarray:
    """Pad (or, for negative amounts, crop) the spatial dims, keeping A's memory layout."""
    if not any(before) and not any(after):
        return A
    crop = tuple(slice(max(-b, 0), A.shape[2 + i] - max(-a, 0)) for i, (b, a) in enumerate(zip(before, after)))
    A = A[(slice(None), slice(None), *crop)]
    grow_b = tuple(max(b, 0) for b in before)
    grow_a = tuple(max(a, 0) for a in after)
    if not any(grow_b) and not any(grow_a):
        return A
    shape = (*A.shape[:2], *(A.shape[2 + i] + grow_b[i] + grow_a[i] for i in range(len(before))))
    out = empty_like_layout(A, shape, zero=value == 0)
    if value != 0:
        out.fill(value)
    out[(slice(None), slice(None), *(slice(b, b + A.shape[2 + i]) for i, b in enumerate(grow_b)))] = A
    return out


def unpad(dA: np.ndarray, before: tuple, after: tuple) -> np.ndarray:
    """The gradient of :func:`pad`: crop what was padded, zero-fill what was cropped."""
    return pad(dA, tuple(-b for b in before), tuple(-a for a in after))


def out_size(size: tuple, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """Output sizes of a convolution over an already padded input."""
    return tuple(conv_out(size[i], kernel[i], stride[i], 0, dilation[i]) for i in range(len(kernel)))


def offset_slices(offset: tuple, stride: tuple, dilation: tuple, out: tuple) -> tuple:
    """The strided slice of a padded input that kernel offset ``offset`` reads for every output."""
    return (slice(None), slice(None),
            *(slice(o * dilation[i], o * dilation[i] + stride[i] * (out[i] - 1) + 1, stride[i])
              for i, o in enumerate(offset)))


def windows(A: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple, out: tuple) -> np.ndarray:
    """A read-only view (C, *K, N, *out) of the padded input A (N, C, *size): entry [c, k, n, o] is
    A[n, c, o * stride + k * dilation]."""
    sN, sC, *sS = A.strides
    shape = (A.shape[1], *kernel, A.shape[0], *out)
    strides = (sC, *(s * d for s, d in zip(sS, dilation)), sN, *(s * t for s, t in zip(sS, stride)))
    return as_strided(A, shape, strides, writeable=False)


class ConvWorkspace:
    """Buffers reused between calls (the column matrix and its gradient)."""

    def __init__(self) -> None:
        self.buffers: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple, dtype: np.dtype) -> np.ndarray:
        buf = self.buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self.buffers[name] = np.empty(shape, dtype=dtype)
        return buf


def im2col(A: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple, out: tuple,
           ws: ConvWorkspace) -> np.ndarray:
    """The column matrix (C*K, N*out) of the padded input A (N, C, *size): a view of A where its
    memory allows (a 1x1 stride-1 convolution over a channel-major input), else one copy into a buffer."""
    rows = (A.shape[1] * int(np.prod(kernel)), A.shape[0] * int(np.prod(out)))
    channel_major = A.swapaxes(0, 1)
    if all(k == 1 for k in kernel) and all(s == 1 for s in stride) and channel_major.flags.c_contiguous:
        return channel_major.reshape(rows)  # every window is one entry, already in place
    cols = ws.get("cols", (A.shape[1], *kernel, A.shape[0], *out), A.dtype)
    np.copyto(cols, windows(A, kernel, stride, dilation, out))
    return cols.reshape(rows)


def conv_forward(A: np.ndarray, W: np.ndarray, stride: tuple, dilation: tuple, groups: int,
                 ws: ConvWorkspace) -> tuple[np.ndarray, np.ndarray]:
    """Z (N, O, *out) of a padded input A and weight W (O, C/G, *K); also the columns for backward."""
    kernel = W.shape[2:]
    out = out_size(A.shape[2:], kernel, stride, dilation)
    cols = im2col(A, kernel, stride, dilation, out, ws)  # (C*K, N*out)
    O = W.shape[0]
    Z = np.matmul(W.reshape(groups, O // groups, -1), cols.reshape(groups, -1, cols.shape[1]))  # (G, O/G, N*out)
    return Z.reshape(O, A.shape[0], *out).swapaxes(0, 1), cols


def conv_backward(dLdZ: np.ndarray, cols: np.ndarray, W: np.ndarray, A_shape: tuple, stride: tuple,
                  dilation: tuple, groups: int, ws: ConvWorkspace,
                  input_grad: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
    """(dLdA of the padded input, of shape A_shape, laid out channel-major, or None where not
    ``input_grad``; dLdW) from the upstream gradient (N, O, *out)."""
    kernel = W.shape[2:]
    O = W.shape[0]
    out = dLdZ.shape[2:]
    M = cols.shape[1]  # N * out
    dZ = dLdZ.swapaxes(0, 1).reshape(groups, O // groups, M)  # free when dLdZ is channel-major
    rows = cols.reshape(groups, -1, M)  # (G, C/G*K, N*out)
    dLdW = np.matmul(dZ, rows.transpose(0, 2, 1)).reshape(W.shape)
    if not input_grad:
        return None, dLdW
    if O == groups == A_shape[1]:  # depthwise: no column gradient, one broadcast product per kernel offset
        return depthwise_backward_input(dLdZ.swapaxes(0, 1), W, A_shape, stride, dilation), dLdW
    Wt = W.reshape(groups, O // groups, -1).transpose(0, 2, 1)  # (G, C/G*K, O/G)
    dcols = ws.get("dcols", rows.shape, dLdZ.dtype)
    if O == groups:  # one output per group (depthwise): an outer product, faster broadcast than as a GEMM
        np.multiply(Wt, dZ, out=dcols)
    else:
        np.matmul(Wt, dZ, out=dcols)
    dcols = dcols.reshape(A_shape[1], *kernel, A_shape[0], *out)
    dLdA = np.zeros((A_shape[1], A_shape[0], *A_shape[2:]), dtype=dLdZ.dtype)  # (C, N, *size)
    for offset in np.ndindex(*kernel):  # col2im: one strided add per kernel offset
        dLdA[offset_slices(offset, stride, dilation, out)] += dcols[(slice(None), *offset)]
    return dLdA.swapaxes(0, 1), dLdW


def depthwise_backward_input(dZ: np.ndarray, W: np.ndarray, A_shape: tuple, stride: tuple,
                             dilation: tuple) -> np.ndarray:
    """dLdA (channel-major) of a depthwise convolution, W (C, 1, *K), from dZ (C, N, *out): the window that
    kernel offset k read gets W[c, 0, k] * dZ[c]."""
    dLdA = np.zeros((A_shape[1], A_shape[0], *A_shape[2:]), dtype=dZ.dtype)  # (C, N, *size)
    tap = np.empty_like(dZ)
    w = W.reshape(W.shape[0], -1, *(1,) * (dZ.ndim - 1))  # (C, K, 1, ...): broadcasts over (N, *out)
    for t, offset in enumerate(np.ndindex(*W.shape[2:])):
        np.multiply(dZ, w[:, t], out=tap)
        dLdA[offset_slices(offset, stride, dilation, dZ.shape[2:])] += tap
    return dLdA.swapaxes(0, 1)
