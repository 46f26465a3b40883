"""Linear layers as dense matrices: y = A x + b on row-major flattened tensors
(one example, no batch dim), as in the course's "write this convolution as Y = AX".

Convolutions (any stride, padding, dilation, groups), transposed convolutions and
linear layers are built from index arithmetic; mean pooling, zero-insertion
upsampling, downsampling and global mean pooling are depthwise convolutions with
fixed weights; batchnorm in eval mode is a per-channel affine map; flatten,
identity and dropout (eval) are the identity. A chain of such layers composes
into one matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from archc.dims import shape_str
from archc.errors import EmitError, did_you_mean
from archc.ir.graph import param_key
from archc.ops import REGISTRY
from archc.shape_infer import TypedGraph
from archc.sizes import conv_padding


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


@dataclass(frozen=True)
class MatrixRule:
    """How a linear op becomes a matrix: build(attrs, in_shape, out_shape, params, buffers) -> (A, b);
    ``linear(attrs)`` says whether the op is linear with these attributes."""

    build: Callable[..., tuple[np.ndarray, np.ndarray]]
    linear: Callable[[dict], bool] = lambda a: True


MATRICES: dict[str, MatrixRule] = {}


def matrix_rule(*ops: str, linear: Callable[[dict], bool] = lambda a: True) -> Callable:
    def add(fn: Callable) -> Callable:
        for op in ops:
            MATRICES[op] = MatrixRule(fn, linear)
        return fn
    return add


@matrix_rule("conv1d", "conv2d")
def _conv(a, in_shape, out_shape, params, buffers):
    before, _after = conv_padding(a["padding"], a["kernel_size"], a["dilation"])  # the output size implies after
    A = _conv_index(in_shape, out_shape, np.asarray(params["weight"], np.float64), a["stride"], before,
                    a["dilation"], a["groups"], transpose=False)
    return A, _channel_bias(params, out_shape)


@matrix_rule("conv_transpose1d", "conv_transpose2d")
def _conv_transpose(a, in_shape, out_shape, params, buffers):
    A = _conv_index(in_shape, out_shape, np.asarray(params["weight"], np.float64), a["stride"], a["padding"],
                    a["dilation"], a["groups"], transpose=True)
    return A, _channel_bias(params, out_shape)


@matrix_rule("meanpool1d", "meanpool2d")
def _meanpool(a, in_shape, out_shape, params, buffers):
    k = a["kernel_size"]
    w = _depthwise(in_shape[0], k, 1.0 / np.prod(k))
    A = _conv_index(in_shape, out_shape, w, a["stride"], a["padding"], (1,) * len(k), in_shape[0], False)
    return A, np.zeros(A.shape[0])


def _every_kth(a, in_shape, out_shape, transpose):
    n = len(in_shape) - 1
    w = _depthwise(in_shape[0], (1,) * n, 1.0)
    A = _conv_index(in_shape, out_shape, w, (a["factor"],) * n, (0,) * n, (1,) * n, in_shape[0], transpose)
    return A, np.zeros(A.shape[0])


@matrix_rule("downsample1d", "downsample2d")
def _downsample(a, in_shape, out_shape, params, buffers):
    return _every_kth(a, in_shape, out_shape, False)


@matrix_rule("upsample1d", "upsample2d")
def _upsample(a, in_shape, out_shape, params, buffers):
    return _every_kth(a, in_shape, out_shape, True)  # zero insertion is the transpose of keeping every k-th


@matrix_rule("global_pool", linear=lambda a: a["mode"] == "mean")
def _global_mean(a, in_shape, out_shape, params, buffers):
    k = in_shape[1:]
    n = len(k)
    w = _depthwise(in_shape[0], k, 1.0 / np.prod(k))
    A = _conv_index(in_shape, (in_shape[0], *([1] * n)), w, (1,) * n, (0,) * n, (1,) * n, in_shape[0], False)
    return A, np.zeros(A.shape[0])


@matrix_rule("linear")
def _linear(a, in_shape, out_shape, params, buffers):
    W = np.asarray(params["weight"], np.float64)
    rows = int(np.prod(in_shape[:-1]))
    b = np.asarray(params["bias"], np.float64) if "bias" in params else np.zeros(W.shape[0])
    return np.kron(np.eye(rows), W), np.tile(b, rows)


@matrix_rule("batchnorm1d", "batchnorm2d")
def _batchnorm(a, in_shape, out_shape, params, buffers):
    c = in_shape[0]
    inv = 1.0 / np.sqrt(np.asarray(buffers["running_var"], np.float64) + a["eps"])
    scale = inv * np.asarray(params.get("weight", np.ones(c)), np.float64)
    shift = np.asarray(params.get("bias", np.zeros(c)), np.float64) - np.asarray(buffers["running_mean"]) * scale
    per = int(np.prod(in_shape)) // c
    return np.diag(np.repeat(scale, per)), np.repeat(shift, per)


@matrix_rule("flatten", "identity", "dropout")
def _identity(a, in_shape, out_shape, params, buffers):
    n = int(np.prod(in_shape))
    return np.eye(n), np.zeros(n)


def check_linear(op: str, attrs: dict, name: str) -> None:
    """An EmitError unless the op (with these attributes) is linear."""
    rule = MATRICES.get(op)
    if rule is None or not rule.linear(attrs):
        raise EmitError(f"'{name}' ({op}) is not a linear layer, so it has no matrix",
                        hint="lower a linear part of the network (convolutions, pooling by mean, resampling, linear)")


def layer_matrix(op: str, attrs: dict, in_shape: tuple, out_shape: tuple,
                 params: dict[str, np.ndarray], buffers: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) of one layer; shapes exclude the batch dim."""
    check_linear(op, attrs, op)
    return MATRICES[op].build(attrs, in_shape, out_shape, params, buffers)


def _channel_bias(params: dict, out_shape: tuple) -> np.ndarray:
    if "bias" not in params:
        return np.zeros(int(np.prod(out_shape)))
    return np.repeat(np.asarray(params["bias"], np.float64), int(np.prod(out_shape[1:])))


MAX_ELEMENTS = 50_000_000  # 400 MB of float64; raise with --max-elements


def plan(typed: TypedGraph, layer: str | None = None, max_elements: int = MAX_ELEMENTS) -> list:
    """The nodes to turn into matrices, checked before anything is built: each linear, every size concrete,
    and no matrix (of a layer, or the product so far) larger than ``max_elements`` entries."""
    g = typed.graph
    if layer is not None:
        try:
            nodes = [g.node(layer)]
        except KeyError:
            raise EmitError(f"{g.name} has no layer '{layer}'", hint=did_you_mean(layer, [n.name for n in g.nodes])) \
                from None
    else:
        nodes = list(g.nodes)
        if not nodes:
            raise EmitError(f"{g.name} has no layers")
    first_in = None
    for node in nodes:
        if REGISTRY[node.op].arity != 1:
            raise EmitError(f"'{node.name}' merges values; only a chain of layers lowers to one matrix", node.span,
                            source=g.source)
        try:
            check_linear(node.op, node.attrs, node.name)
        except EmitError as e:
            raise e.with_span(node.span, g.source) from None
        in_shape, out_shape = typed.shapes[node.inputs[0]][1:], typed.shapes[node.name][1:]
        if not all(isinstance(d, int) for d in (*in_shape, *out_shape)):
            raise EmitError(f"'{node.name}' has symbolic sizes {shape_str(typed.shapes[node.name])}",
                            hint="give --input", source=g.source)
        n_in, n_out = int(np.prod(in_shape)), int(np.prod(out_shape))
        first_in = first_in or n_in
        biggest = max(n_in * n_out, first_in * n_out)
        if biggest > max_elements:
            raise EmitError(f"the matrix of '{node.name}' would have {biggest:,} entries "
                            f"({biggest * 8 / 2**30:.1f} GiB), more than the limit of {max_elements:,}",
                            node.span, hint="lower one layer with --layer, or raise the limit with --max-elements",
                            source=g.source)
    return nodes


def _matrix(typed: TypedGraph, node: Any, state: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    info = typed.layers[node.name]
    params = {k: state[param_key(node.name, k)] for k in info.params}
    buffers = {k: state[param_key(node.name, k)] for k in info.buffers}
    in_shape, out_shape = typed.shapes[node.inputs[0]][1:], typed.shapes[node.name][1:]
    return MATRICES[node.op].build(node.attrs, in_shape, out_shape, params, buffers)


def conv_matrix(typed: TypedGraph, name: str, state: dict[str, np.ndarray],
                max_elements: int = MAX_ELEMENTS) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) of the layer called ``name`` with y = A x + b on one flattened example."""
    (node,) = plan(typed, name, max_elements)
    return _matrix(typed, node, state)


def network_matrix(typed: TypedGraph, state: dict[str, np.ndarray],
                   max_elements: int = MAX_ELEMENTS) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) of a whole chain of linear layers: y = A x + b."""
    A, b = None, None
    for node in plan(typed, None, max_elements):
        An, bn = _matrix(typed, node, state)
        A, b = (An, bn) if A is None else (An @ A, An @ b + bn)
    return A, b
