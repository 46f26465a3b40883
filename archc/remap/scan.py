"""Scanning MLP <-> CNN weights, for any Conv1d stack.

One window of the last layer's receptive field R (hop J) sees an MLP whose
layer l has positions[l] neurons per channel. Its dense weight, stored
(in, out), has row ``t * C_in + c`` for input position t and channel c
(time-major, as the course flattens a window; ``flatten="channel"`` uses
``c * positions + t``), and column ``p * C_out + o``. Output position p of a
layer with kernel k and stride s reads positions ``p*s .. p*s + k - 1``, so

    W[(p*s + t) * C_in + c, p * C_out + o] = conv.weight[o, c, t]

and every other entry is zero. The neurons (p, o) for all p share one filter:
the blocks are copies. The simple scanning MLP is the stack with kernels
(R, 1, 1, ...), whose matrices are dense.
"""

from __future__ import annotations

import numpy as np

from archc.errors import EmitError
from archc.remap.stack import ConvLayer, ConvStack

LAYOUTS = ("in_out", "out_in")
FLATTENS = ("time", "channel")


def _index(pos: int, channel: int, n_pos: int, n_ch: int, flatten: str) -> int:
    return pos * n_ch + channel if flatten == "time" else channel * n_pos + pos


def _indices(layer: ConvLayer, p_in: int, p_out: int, flatten: str) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Row and column index arrays (O, C, K, P) of each conv weight entry in the dense matrix, per block p."""
    o, c, t, p = np.meshgrid(np.arange(layer.out_channels), np.arange(layer.in_channels), np.arange(layer.kernel),
                             np.arange(p_out), indexing="ij")
    rows = _index(p * layer.stride + t, c, p_in, layer.in_channels, flatten)
    cols = _index(p, o, p_out, layer.out_channels, flatten)
    return rows, cols, (p_in * layer.in_channels, p_out * layer.out_channels)


def cnn_to_mlp(stack: ConvStack, state: dict[str, np.ndarray], layout: str = "in_out", flatten: str = "time",
               fill: float = 0.0) -> list[dict[str, np.ndarray]]:
    """The dense MLP of one window: per layer {"weight": matrix, "bias": vector (if any)}.

    Entries outside the shared blocks are ``fill`` (0, or NaN for "don't care" as in the course fixture).
    Every key of the stack must be present with its shape (other keys are ignored here).
    """
    from archc.weights import check_state

    _check_options(layout, flatten)
    check_state(state, stack.state_shapes(), "the CNN state dict", strict=False)
    out = []
    pos = stack.positions
    for i, layer in enumerate(stack.layers):
        w = np.asarray(state[f"{layer.name}.weight"])
        rows, cols, shape = _indices(layer, pos[i], pos[i + 1], flatten)
        dense = np.full(shape, fill, dtype=np.result_type(w.dtype, np.float64) if np.isnan(fill) else w.dtype)
        dense[rows, cols] = np.broadcast_to(w[..., None], rows.shape)
        entry = {"weight": dense if layout == "in_out" else dense.T}
        if layer.bias:
            b = np.asarray(state[f"{layer.name}.bias"])
            idx = _index(np.arange(pos[i + 1])[:, None], np.arange(layer.out_channels)[None, :], pos[i + 1],
                         layer.out_channels, flatten)
            bias = np.empty(shape[1], dtype=b.dtype)
            bias[idx] = b[None, :]
            entry["bias"] = bias
        out.append(entry)
    return out


def mlp_to_cnn(stack: ConvStack, weights: list[np.ndarray], biases: list[np.ndarray | None] | None = None,
               layout: str = "in_out", flatten: str = "time") -> dict[str, np.ndarray]:
    """Conv weights from dense MLP matrices, checking that shared blocks agree.

    NaN entries are "don't care"; any real disagreement between the copies of a
    filter, or a nonzero entry outside the blocks, is an error naming the layer.
    """
    _check_options(layout, flatten)
    if len(weights) != len(stack.layers):
        raise EmitError(f"the network has {len(stack.layers)} conv1d layers, "
                        f"but {len(weights)} MLP matrices were given")
    pos = stack.positions
    state: dict[str, np.ndarray] = {}
    for i, (layer, W) in enumerate(zip(stack.layers, weights)):
        W = np.asarray(W, dtype=np.float64)
        if layout == "out_in":
            W = W.T
        rows, cols, shape = _indices(layer, pos[i], pos[i + 1], flatten)
        if W.shape != shape:
            raise EmitError(f"'{layer.name}': expected an MLP matrix of shape {shape} ({layout}), got {W.shape}",
                            hint="check --layout (in_out or out_in)" if W.shape == shape[::-1] else None)
        blocks = W[rows, cols]  # (O, C, K, P): one copy of the filter per position
        state[f"{layer.name}.weight"] = _merge_blocks(layer, blocks)
        outside = np.ones(shape, dtype=bool)
        outside[rows, cols] = False
        stray = outside & ~np.isnan(W) & (W != 0)
        if stray.any():
            r, c = np.argwhere(stray)[0]
            raise EmitError(f"'{layer.name}': entry [{r}, {c}] = {W[r, c]:g} lies outside every shared block "
                            f"(it must be 0 or NaN for the MLP to be a convolution)")
        if biases is not None and biases[i] is not None:
            b = np.asarray(biases[i], dtype=np.float64).reshape(pos[i + 1], layer.out_channels) if flatten == "time" \
                else np.asarray(biases[i], dtype=np.float64).reshape(layer.out_channels, pos[i + 1]).T
            state[f"{layer.name}.bias"] = _merge_blocks(layer, b.T[:, None, None, :], what="bias")[:, 0, 0]
    return state


def _merge_blocks(layer: ConvLayer, blocks: np.ndarray, what: str = "weight") -> np.ndarray:
    """One filter from its copies (last axis), NaN meaning "don't care"; disagreeing copies are an error."""
    known = ~np.isnan(blocks)
    first = np.argmax(known, axis=-1)[..., None]
    ref = np.take_along_axis(blocks, first, axis=-1)[..., 0]  # the first known copy (NaN if none)
    bad = known & (blocks != ref[..., None])
    if bad.any():
        o, c, t, p = np.argwhere(bad)[0]
        raise EmitError(f"'{layer.name}': the copies of the shared {what} disagree: block {p} has "
                        f"{blocks[o, c, t, p]:g} where another block has {ref[o, c, t]:g} "
                        f"(output channel {o}, input channel {c}, tap {t})")
    if np.isnan(ref).any():
        o, c, t = np.argwhere(np.isnan(ref))[0]
        raise EmitError(f"'{layer.name}': {what} entry (output channel {o}, input channel {c}, tap {t}) is NaN in "
                        f"every block")
    return ref


def shared_slices(stack: ConvStack, flatten: str = "time") -> list[dict[str, object]]:
    """Per layer: the MLP matrix shape (in_out), the number of positions sharing each filter, and the
    (rows, cols) slice of the first block, which holds the unique parameters."""
    out = []
    pos = stack.positions
    for i, layer in enumerate(stack.layers):
        rows, cols, shape = _indices(layer, pos[i], pos[i + 1], flatten)
        first_rows, first_cols = rows[..., 0], cols[..., 0]
        block = (slice(int(first_rows.min()), int(first_rows.max()) + 1),
                 slice(int(first_cols.min()), int(first_cols.max()) + 1))
        out.append({"layer": layer.name, "matrix": shape, "positions": pos[i + 1], "block": block,
                    "unique": layer.out_channels * layer.in_channels * layer.kernel})
    return out


def _check_options(layout: str, flatten: str) -> None:
    if layout not in LAYOUTS:
        raise EmitError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if flatten not in FLATTENS:
        raise EmitError(f"flatten must be one of {FLATTENS}, got {flatten!r}")
