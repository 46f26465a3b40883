"""Convolution as im2col over a strided view plus one BLAS matrix product.

Shared by conv1d/2d and conv_transpose1d/2d (which is an upsample, a pad and a
stride-1 convolution with the flipped kernel). ``n`` is the number of spatial
dims; arrays are (N, C, *spatial).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def pad(A: np.ndarray, before: tuple, after: tuple, value: float = 0.0) -> np.ndarray:
    """Pad (or, for negative amounts, crop) the spatial dims."""
    if not any(before) and not any(after):
        return A
    n = len(before)
    crop = tuple(slice(max(-b, 0), A.shape[2 + i] - max(-a, 0)) for i, (b, a) in enumerate(zip(before, after)))
    A = A[(slice(None), slice(None), *crop)]
    widths = [(0, 0), (0, 0)] + [(max(b, 0), max(a, 0)) for b, a in zip(before, after)]
    if all(w == (0, 0) for w in widths[2:]):
        return A
    assert len(widths) == n + 2
    return np.pad(A, widths, constant_values=value)


def unpad(dA: np.ndarray, before: tuple, after: tuple) -> np.ndarray:
    """The gradient of :func:`pad`: crop what was padded, zero-fill what was cropped."""
    return pad(dA, tuple(-b for b in before), tuple(-a for a in after))


def windows(A: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
    """A read-only view (N, C, *out, *kernel) of every window of a padded input."""
    n = len(kernel)
    N, C, *size = A.shape
    out = tuple((size[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(n))
    s = A.strides
    strides = (s[0], s[1], *(s[2 + i] * stride[i] for i in range(n)), *(s[2 + i] * dilation[i] for i in range(n)))
    return as_strided(A, (N, C, *out, *kernel), strides, writeable=False)


def im2col(A: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple, groups: int) -> np.ndarray:
    """The column matrix (G, N*prod(out), C/G*prod(kernel)) of a padded input (one copy)."""
    n = len(kernel)
    view = windows(A, kernel, stride, dilation)
    N, C = A.shape[:2]
    out = view.shape[2:2 + n]
    view = view.reshape(N, groups, C // groups, *out, *kernel)
    # (G, N, *out, C/G, *kernel): rows are output positions, columns are a window
    order = (1, 0, *range(3, 3 + n), 2, *range(3 + n, 3 + 2 * n))
    return np.ascontiguousarray(view.transpose(order)).reshape(groups, N * int(np.prod(out)), -1)


def conv_forward(A: np.ndarray, W: np.ndarray, stride: tuple, dilation: tuple,
                 groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Z (N, O, *out) of a padded input A and weight W (O, C/G, *k); also the columns for backward."""
    n = W.ndim - 2
    kernel = W.shape[2:]
    cols = im2col(A, kernel, stride, dilation, groups)
    N = A.shape[0]
    out = tuple((A.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(n))
    O = W.shape[0]
    Wg = W.reshape(groups, O // groups, -1)
    if groups == 1:
        Z = cols[0] @ Wg[0].T  # (N*out, O)
    else:
        Z = np.matmul(cols, Wg.transpose(0, 2, 1))  # (G, N*out, O/G)
        Z = Z.transpose(1, 0, 2).reshape(N * int(np.prod(out)), O)
    Z = Z.reshape(N, *out, O)
    return np.moveaxis(Z, -1, 1), cols


def conv_backward(dLdZ: np.ndarray, cols: np.ndarray, W: np.ndarray, A_shape: tuple, stride: tuple,
                  dilation: tuple, groups: int, need_dA: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
    """(dLdA of the padded input, dLdW) from the upstream gradient (N, O, *out)."""
    n = W.ndim - 2
    kernel = W.shape[2:]
    O = W.shape[0]
    N = dLdZ.shape[0]
    out = dLdZ.shape[2:]
    rows = np.moveaxis(dLdZ, 1, -1).reshape(N * int(np.prod(out)), groups, O // groups).transpose(1, 0, 2)
    dLdW = np.matmul(rows.transpose(0, 2, 1), cols).reshape(W.shape)  # (G, O/G, C/G*k)
    if not need_dA:
        return None, dLdW
    Wg = W.reshape(groups, O // groups, -1)
    dcols = np.matmul(rows, Wg)  # (G, N*out, C/G*prod(k))
    C = A_shape[1]
    dcols = dcols.reshape(groups, N, *out, C // groups, *kernel)
    # (N, G, C/G, *kernel, *out) -> (N, C, *kernel, *out)
    order = (1, 0, 2 + n, *range(3 + n, 3 + 2 * n), *range(2, 2 + n))
    dcols = dcols.transpose(order).reshape(N, C, *kernel, *out)
    dLdA = np.zeros(A_shape, dtype=dLdZ.dtype)
    for offset in np.ndindex(*kernel):  # col2im: one strided add per kernel offset
        target = tuple(slice(o * dilation[i], o * dilation[i] + stride[i] * (out[i] - 1) + 1, stride[i])
                       for i, o in enumerate(offset))
        dLdA[(slice(None), slice(None), *target)] += dcols[(slice(None), slice(None), *offset)]
    return dLdA, dLdW
