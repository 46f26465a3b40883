"""Lower linear layers to dense matrices: y = A x + b on row-major flattened tensors
(one example, no batch dim), as in the course's "write this convolution as Y = AX".

Convolutions (any stride, padding, dilation, groups), transposed convolutions and
linear layers are built from index arithmetic; mean pooling, zero-insertion
upsampling, downsampling and global mean pooling are depthwise convolutions with
fixed weights; batchnorm in eval mode is a per-channel affine map; flatten,
identity and dropout (eval) are the identity. A chain of such layers composes
into one matrix.
"""

from __future__ import annotations

import numpy as np

from archc.dims import shape_str
from archc.errors import EmitError
from archc.ops.base import REGISTRY
from archc.shape_infer import TypedGraph


def _conv_index(in_shape: tuple, out_shape: tuple, weight: np.ndarray, stride: tuple, padding: tuple,
                dilation: tuple, groups: int, transpose: bool) -> np.ndarray:
    """The dense matrix of a (transposed) convolution; in/out shapes are (C, *size)."""
    n = len(in_shape) - 1
    A = np.zeros((int(np.prod(out_shape)), int(np.prod(in_shape))), dtype=np.float64)
    kernel = weight.shape[2:]
    # one term per (low-res position q, tap t, low channel, high channel): conv reads x at q*s - p + t*d
    low_shape, high_shape = (in_shape, out_shape) if transpose else (out_shape, in_shape)
    low_c, high_c = low_shape[0], high_shape[0]
    per_low, per_high = low_c // groups, high_c // groups
    grids = np.meshgrid(np.arange(low_c), np.arange(per_high), *(np.arange(s) for s in low_shape[1:]),
                        *(np.arange(k) for k in kernel), indexing="ij")
    lc, hc_local = grids[0], grids[1]
    q, t = grids[2:2 + n], grids[2 + n:]
    hc = (lc // per_low) * per_high + hc_local
    pos = [q[i] * stride[i] - padding[i] + t[i] * dilation[i] for i in range(n)]
    ok = np.ones(lc.shape, dtype=bool)
    for i in range(n):
        ok &= (pos[i] >= 0) & (pos[i] < high_shape[1 + i])
    low_idx = np.ravel_multi_index((lc[ok], *(x[ok] for x in q)), low_shape)
    high_idx = np.ravel_multi_index((hc[ok], *(x[ok] for x in pos)), high_shape)
    if transpose:  # weight (C_in = low, C_out/G, *K): low channel lc, high channel local index
        values = weight[(lc[ok], hc_local[ok], *(x[ok] for x in t))]
        np.add.at(A, (high_idx, low_idx), values)
    else:  # weight (C_out = low, C_in/G, *K)
        values = weight[(lc[ok], hc_local[ok], *(x[ok] for x in t))]
        np.add.at(A, (low_idx, high_idx), values)
    return A


def _depthwise(c: int, kernel: tuple, value: float) -> np.ndarray:
    return np.full((c, 1, *kernel), value)


def layer_matrix(op: str, attrs: dict, in_shape: tuple, out_shape: tuple,
                 params: dict[str, np.ndarray], buffers: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) of one layer; shapes exclude the batch dim."""
    a = attrs
    n_in, n_out = int(np.prod(in_shape)), int(np.prod(out_shape))
    zero = np.zeros(n_out)
    if op in ("conv1d", "conv2d"):
        A = _conv_index(in_shape, out_shape, np.asarray(params["weight"], np.float64), a["stride"], a["padding"],
                        a["dilation"], a["groups"], transpose=False)
        return A, _channel_bias(params, out_shape)
    if op in ("conv_transpose1d", "conv_transpose2d"):
        A = _conv_index(in_shape, out_shape, np.asarray(params["weight"], np.float64), a["stride"], a["padding"],
                        a["dilation"], a["groups"], transpose=True)
        return A, _channel_bias(params, out_shape)
    if op in ("meanpool1d", "meanpool2d"):
        k = a["kernel_size"]
        w = _depthwise(in_shape[0], k, 1.0 / np.prod(k))
        return _conv_index(in_shape, out_shape, w, a["stride"], a["padding"], (1,) * len(k), in_shape[0], False), zero
    if op in ("downsample1d", "downsample2d"):
        n = len(in_shape) - 1
        w = _depthwise(in_shape[0], (1,) * n, 1.0)
        return _conv_index(in_shape, out_shape, w, (a["factor"],) * n, (0,) * n, (1,) * n, in_shape[0], False), zero
    if op in ("upsample1d", "upsample2d"):
        n = len(in_shape) - 1
        w = _depthwise(in_shape[0], (1,) * n, 1.0)
        return _conv_index(in_shape, out_shape, w, (a["factor"],) * n, (0,) * n, (1,) * n, in_shape[0], True), zero
    if op == "global_pool" and a["mode"] == "mean":
        k = in_shape[1:]
        w = _depthwise(in_shape[0], k, 1.0 / np.prod(k))
        n = len(k)
        return _conv_index(in_shape, (in_shape[0], *([1] * n)), w, (1,) * n, (0,) * n, (1,) * n, in_shape[0],
                           False), zero
    if op == "linear":
        W = np.asarray(params["weight"], np.float64)
        rows = int(np.prod(in_shape[:-1]))
        b = np.asarray(params["bias"], np.float64) if "bias" in params else np.zeros(W.shape[0])
        return np.kron(np.eye(rows), W), np.tile(b, rows)
    if op in ("batchnorm1d", "batchnorm2d"):
        c = in_shape[0]
        inv = 1.0 / np.sqrt(np.asarray(buffers["running_var"], np.float64) + a["eps"])
        scale = inv * np.asarray(params.get("weight", np.ones(c)), np.float64)
        shift = np.asarray(params.get("bias", np.zeros(c)), np.float64) - np.asarray(buffers["running_mean"]) * scale
        per = n_in // c
        return np.diag(np.repeat(scale, per)), np.repeat(shift, per)
    if op in ("flatten", "identity", "dropout"):
        return np.eye(n_in), zero
    raise EmitError(f"{op} is not a linear layer, so it has no matrix",
                    hint="lower a linear part of the network (convolutions, pooling by mean, resampling, linear)")


def _channel_bias(params: dict, out_shape: tuple) -> np.ndarray:
    if "bias" not in params:
        return np.zeros(int(np.prod(out_shape)))
    return np.repeat(np.asarray(params["bias"], np.float64), int(np.prod(out_shape[1:])))


def conv_matrix(typed: TypedGraph, name: str, state: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) of the layer called ``name`` with y = A x + b on one flattened example."""
    try:
        node = typed.graph.node(name)
    except KeyError:
        from archc.ops.base import did_you_mean
        raise EmitError(f"{typed.graph.name} has no layer '{name}'",
                        hint=did_you_mean(name, [n.name for n in typed.graph.nodes])) from None
    in_shape, out_shape = typed.shapes[node.inputs[0]][1:], typed.shapes[name][1:]
    if not all(isinstance(d, int) for d in (*in_shape, *out_shape)):
        raise EmitError(f"'{name}' has symbolic sizes {shape_str(typed.shapes[name])}", hint="give --input")
    info = typed.layers[name]
    params = {k: state[f"{name}.{k}"] for k in info.params}
    buffers = {k: state[f"{name}.{k}"] for k in info.buffers}
    try:
        return layer_matrix(node.op, node.attrs, in_shape, out_shape, params, buffers)
    except EmitError as e:
        raise e.add_note(f"in layer '{name}'") from None


def network_matrix(typed: TypedGraph, state: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) of a whole chain of linear layers: y = A x + b."""
    A, b = None, None
    for node in typed.graph.nodes:
        if REGISTRY[node.op].family == "merge":
            raise EmitError(f"'{node.name}' merges two branches; only a chain of layers lowers to one matrix")
        An, bn = conv_matrix(typed, node.name, state)
        A, b = (An, bn) if A is None else (An @ A, An @ b + bn)
    if A is None:
        raise EmitError(f"{typed.graph.name} has no layers")
    return A, b
