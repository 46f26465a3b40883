"""Convolution as im2col plus one BLAS matrix product.

Shared by conv1d/2d and conv_transpose1d/2d (which is an upsample, a pad and a
stride-1 convolution with the flipped kernel). ``n`` is the number of spatial
dims; arrays are (N, C, *spatial) as PyTorch lays them out.

The column matrix is laid out (C, *K, N, *out): it is filled by one strided
copy per kernel offset (each with long contiguous runs), its rows match the
weight's natural (O, C/G, *K) flattening, and the product W @ cols gives the
output channel-major, (O, N, *out). Outputs are returned as (N, O, *out) views
of that memory, so the next layer's copies stay contiguous too.
"""

from __future__ import annotations

import numpy as np

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


class ConvWorkspace:
    """Buffers reused between calls (the column matrix and its gradient)."""

    def __init__(self) -> None:
        self.buffers: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple, dtype: np.dtype) -> np.ndarray:
        buf = self.buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self.buffers[name] = np.empty(shape, dtype=dtype)
        return buf


def im2col(A: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` (C, *K, N, *out) with every window of the padded input A (N, C, *size)."""
    n = len(kernel)
    size = out.shape[-n:]
    for offset in np.ndindex(*kernel):
        window = A[offset_slices(offset, stride, dilation, size)]
        out[(slice(None), *offset)] = window.swapaxes(0, 1)
    return out


def conv_forward(A: np.ndarray, W: np.ndarray, stride: tuple, dilation: tuple, groups: int,
                 ws: ConvWorkspace) -> tuple[np.ndarray, np.ndarray]:
    """Z (N, O, *out) of a padded input A and weight W (O, C/G, *K); also the columns for backward."""
    kernel = W.shape[2:]
    N, C = A.shape[:2]
    out = out_size(A.shape[2:], kernel, stride, dilation)
    cols = im2col(A, kernel, stride, dilation, ws.get("cols", (C, *kernel, N, *out), A.dtype))
    O = W.shape[0]
    rows = cols.reshape(groups, -1, N * int(np.prod(out)))  # (G, C/G*K, N*out)
    Z = np.matmul(W.reshape(groups, O // groups, -1), rows)  # (G, O/G, N*out)
    return Z.reshape(O, N, *out).swapaxes(0, 1), cols


def conv_backward(dLdZ: np.ndarray, cols: np.ndarray, W: np.ndarray, A: np.ndarray, stride: tuple,
                  dilation: tuple, groups: int, ws: ConvWorkspace) -> tuple[np.ndarray, np.ndarray]:
    """(dLdA of the padded input A, dLdW) from the upstream gradient (N, O, *out).

    dLdA is laid out in memory like A, so the layers below see one consistent layout.
    """
    kernel = W.shape[2:]
    O = W.shape[0]
    out = dLdZ.shape[2:]
    dZ = np.ascontiguousarray(dLdZ.swapaxes(0, 1)).reshape(groups, O // groups, -1)  # (G, O/G, N*out)
    rows = cols.reshape(groups, -1, dZ.shape[-1])
    dLdW = np.matmul(dZ, rows.transpose(0, 2, 1)).reshape(W.shape)
    dcols = ws.get("dcols", cols.shape, dLdZ.dtype)
    np.matmul(W.reshape(groups, O // groups, -1).transpose(0, 2, 1), dZ, out=dcols.reshape(rows.shape))
    dLdA = empty_like_layout(A, A.shape)
    for offset in np.ndindex(*kernel):  # col2im: one strided add per kernel offset
        dLdA[offset_slices(offset, stride, dilation, out)] += dcols[(slice(None), *offset)].swapaxes(0, 1)
    return dLdA, dLdW
