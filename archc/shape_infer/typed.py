"""A checked graph: every value's shape and every layer's counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from archc import dims
from archc.dims import Dim
from archc.ir.graph import Graph


@dataclass(frozen=True)
class LayerInfo:
    """What shape inference knows of one node.

    ``macs`` are the node's multiply-accumulates for the whole batch; ``macs_factors`` their
    factors, the batch size first. ``sizes`` records each output-size formula applied, as
    (dim label, formula name in archc.sizes, its arguments, the result).
    """

    name: str
    op: str
    inputs: tuple[str, ...]
    shape: tuple
    params: dict[str, tuple]
    buffers: dict[str, tuple]
    n_params: int
    macs: Dim
    macs_factors: tuple | None = None
    receptive_field: tuple | None = None  # per spatial dim, in input steps
    jump: tuple | None = None
    sizes: tuple = ()

    @property
    def macs_per_sample(self) -> Dim:
        """Multiply-accumulates for one example: every factor but the batch size."""
        return dims.product(self.macs_factors[1:]) if self.macs_factors else 0


@dataclass
class TypedGraph:
    """A graph with every value's shape and every layer's counts.

    ``constraints`` are the conditions symbolic sizes must meet for the network to work:
    (node, kind, a, b, message) with kind "ge1" (a >= 1) or "eq" (a == b).
    """

    graph: Graph
    shapes: dict[str, tuple]
    layers: dict[str, LayerInfo]
    bindings: dict[str, int] = field(default_factory=dict)
    constraints: list[tuple] = field(default_factory=list)

    @property
    def input_shapes(self) -> dict[str, tuple]:
        return {i.name: self.shapes[i.name] for i in self.graph.inputs}

    @property
    def output_shapes(self) -> list[tuple]:
        return [self.shapes[o] for o in self.graph.outputs]

    @property
    def total_params(self) -> int:
        return sum(layer.n_params for layer in self.layers.values())

    @property
    def batch(self) -> Dim | None:
        """The batch size: the first dim of the first input (a symbol such as N, or an int)."""
        first = self.graph.inputs[0].name if self.graph.inputs else None
        return self.shapes[first][0] if first and self.shapes[first] else None

    def macs(self, name: str | None = None) -> Dim:
        """Multiply-accumulates per sample, of one layer or of all (bias adds are not counted)."""
        total: Dim = 0
        for layer in ([self.layers[name]] if name else self.layers.values()):
            total = total + layer.macs_per_sample
        return total

    def macs_per_batch(self, name: str | None = None) -> Dim:
        total: Dim = 0
        for layer in ([self.layers[name]] if name else self.layers.values()):
            total = total + layer.macs
        return total

    @property
    def total_macs(self) -> Dim:
        return self.macs()
