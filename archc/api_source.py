"""What archc.api knows of a checked network by source position (imported there): the layers and
groups written at a place in the spec, with their output shapes and counts. The language server
answers hover and inlay hints from these."""

from __future__ import annotations

from dataclasses import dataclass

from archc.dims import Dim
from archc.shape_infer import TypedGraph


@dataclass(frozen=True)
class Written:
    """One instance of what a spec item made: a layer (``kind="layer"``) or a group (a block call,
    a named repeat, residual, seq or scan: ``kind`` is the group's) with the nodes it expanded to.

    ``shape`` is the output shape, ``params`` the parameter count, ``macs`` the multiply-accumulates
    per sample and ``receptive_field`` the output's receptive field in input steps, per spatial dim.
    """

    name: str
    kind: str
    label: str
    nodes: tuple[str, ...]
    shape: tuple
    params: int
    macs: Dim
    receptive_field: tuple | None
    attrs: dict


def written_at(typed: TypedGraph, line: int, column: int) -> list[Written]:
    """Every instance of the layer or group whose span starts at ``line:column`` (1-based): one for a
    layer of the network, one per use for a layer inside a block, one per call for a block call."""
    out: list[Written] = []
    for n in typed.graph.nodes:
        if n.span is not None and (n.span.line, n.span.column) == (line, column):
            info = typed.layers[n.name]
            out.append(Written(n.name, "layer", n.op, (n.name,), info.shape, info.n_params, info.macs_per_sample,
                               info.receptive_field, dict(n.attrs)))
    for path, sc in typed.graph.scopes.items():
        if sc.span is None or (sc.span.line, sc.span.column) != (line, column) or sc.kind == "iteration":
            continue
        prefix = ".".join(path) + "."
        nodes = tuple(n.name for n in typed.graph.nodes if n.name.startswith(prefix))
        if not nodes:
            continue
        last = typed.layers[nodes[-1]]
        macs: Dim = 0
        for name in nodes:
            macs = macs + typed.layers[name].macs_per_sample
        out.append(Written(".".join(path), sc.kind, sc.label, nodes, last.shape,
                           sum(typed.layers[name].n_params for name in nodes), macs, last.receptive_field,
                           {k: v for k, v in sc.attrs.items() if k != "mlp"}))
    return out
