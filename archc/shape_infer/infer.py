"""Shape inference: one loop over the graph applying each op's shape rule.

Produces, per layer, the output shape (symbolic dims allowed), parameter and
buffer shapes, the parameter count, multiply-accumulates, and for convolution
and pooling stacks the receptive field and jump (total stride) in input steps.
Checks every expectation of the spec. Errors name the node they happened in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archc import dims
from archc.dims import Dim, shape_str
from archc.errors import ArchcError, ShapeError
from archc.ir.graph import CountCheck, Graph, ShapeCheck
from archc.ops.base import REGISTRY


@dataclass(frozen=True)
class LayerInfo:
    name: str
    op: str
    inputs: tuple[str, ...]
    shape: tuple
    params: dict[str, tuple]
    buffers: dict[str, tuple]
    n_params: int
    macs: Dim
    receptive_field: tuple | None = None  # per spatial dim, in input steps
    jump: tuple | None = None


@dataclass
class TypedGraph:
    """A graph with every value's shape and every layer's counts."""

    graph: Graph
    shapes: dict[str, tuple]
    layers: dict[str, LayerInfo]
    bindings: dict[str, int] = field(default_factory=dict)

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
    def batch_symbol(self) -> str | None:
        first = self.graph.inputs[0].shape[0] if self.graph.inputs and self.graph.inputs[0].shape else None
        if isinstance(first, dims.Expr) and len(first.symbols()) == 1 and str(first) in first.symbols():
            return str(first)
        return None

    def macs(self, name: str | None = None) -> Dim:
        """Multiply-accumulates of one layer or of all, per sample when the batch is symbolic."""
        total: Dim = 0
        for layer in ([self.layers[name]] if name else self.layers.values()):
            total = total + layer.macs
        b = self.batch_symbol
        return dims.evaluate(total, {b: 1}) if b else total

    @property
    def total_macs(self) -> Dim:
        return self.macs()


def infer(graph: Graph, input_shapes: dict[str, tuple] | None = None) -> TypedGraph:
    """Infer every shape of ``graph``; ``input_shapes`` gives concrete input sizes (binding symbols)."""
    bindings = _bind_inputs(graph, input_shapes or {})
    shapes: dict[str, tuple] = {}
    for i in graph.inputs:
        shapes[i.name] = tuple(dims.evaluate(d, bindings) for d in i.shape) if bindings else i.shape
    rf: dict[str, tuple | None] = {i.name: (1,) * max(len(i.shape) - 2, 0) for i in graph.inputs}
    jump: dict[str, tuple | None] = dict(rf)
    layers: dict[str, LayerInfo] = {}
    for node in graph.nodes:
        op = REGISTRY[node.op]
        ins = [shapes[i] for i in node.inputs]
        try:
            out = tuple(op.shape(ins, node.attrs))
            params = {k: tuple(v) for k, v in op.params(ins, node.attrs).items()}
            buffers = {k: tuple(v) for k, v in op.buffers(ins, node.attrs).items()}
            macs = op.macs(ins, out, node.attrs)
        except ArchcError as e:
            e.add_note(f"while inferring node '{node.name}' ({node.op})")
            raise e.with_span(node.span, graph.source) from None
        shapes[node.name] = out
        n_params = sum(_size(s) for s in params.values())
        r, j = _receptive(node, op.family, rf.get(node.inputs[0]), jump.get(node.inputs[0]), len(out) - 2)
        rf[node.name], jump[node.name] = r, j
        layers[node.name] = LayerInfo(node.name, node.op, node.inputs, out, params, buffers, n_params, macs, r, j)
    typed = TypedGraph(graph, shapes, layers, bindings)
    _check(typed, bindings)
    return typed


def check_inputs(graph: Graph, shapes: tuple[tuple, ...]) -> None:
    """Shape-check ``graph`` for concrete input shapes (one per input), as an EmitError for backends."""
    from archc.errors import EmitError

    try:
        infer(graph, {d.name: tuple(s) for d, s in zip(graph.inputs, shapes)})
    except ArchcError as e:
        notes = "".join(f"; {n}" for n in e.notes)
        raise EmitError(f"{graph.name}: {e.message}{notes}") from None


def _size(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _bind_inputs(graph: Graph, given: dict[str, tuple]) -> dict[str, int]:
    bindings: dict[str, int] = {}
    names = {i.name for i in graph.inputs}
    for key in given:
        if key not in names:
            raise ShapeError(f"network '{graph.name}' has no input '{key}'")
    for decl in graph.inputs:
        if decl.name not in given:
            continue
        actual = tuple(given[decl.name])
        if len(actual) != len(decl.shape):
            raise ShapeError(f"input '{decl.name}' is declared {shape_str(decl.shape)} "
                             f"({len(decl.shape)}-D), got {shape_str(actual)}", decl.span, source=graph.source)
        for d, a in zip(decl.shape, actual):
            if isinstance(d, dims.Expr) and str(d) in d.symbols() and len(d.symbols()) == 1:
                prev = bindings.setdefault(str(d), a)
                if prev != a:
                    raise ShapeError(f"input '{decl.name}': {d} is {prev} and {a} at once", decl.span,
                                     source=graph.source)
        resolved = tuple(dims.evaluate(d, bindings) for d in decl.shape)
        if resolved != actual:
            raise ShapeError(f"input '{decl.name}' is declared {shape_str(decl.shape)}, got {shape_str(actual)}",
                             decl.span, source=graph.source)
    return bindings


_CMP = {"==": lambda a, b: a == b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b, ">": lambda a, b: a > b}


def _check(typed: TypedGraph, bindings: dict[str, int]) -> None:
    g = typed.graph
    for c in g.checks:
        if isinstance(c, ShapeCheck):
            want = tuple(dims.evaluate(d, bindings) for d in c.dims)
            got = typed.shapes[c.value]
            if want != got:
                op = typed.layers[c.value].op if c.value in typed.layers else "input"
                raise ShapeError(f"'{c.value}' ({op}) has output shape {shape_str(got)}, expected {shape_str(want)}",
                                 c.span, source=g.source)
        elif isinstance(c, CountCheck):
            got = typed.total_params if c.what == "params" else typed.total_macs
            if not isinstance(got, int):
                raise ShapeError(f"{c.what} depend on the input size ({dims.dim_str(got)}); "
                                 f"cannot check {c.cmp} {c.value}", c.span, source=g.source)
            if not _CMP[c.cmp](got, c.value):
                raise ShapeError(f"the network has {got:,} {c.what}, expected {c.cmp} {c.value:,}",
                                 c.span, hint=f"difference: {got - c.value:+,}", source=g.source)


def _receptive(node: Any, family: str, rf: tuple | None, jump: tuple | None, spatial: int):
    """Receptive field and jump after this node, per spatial dim (None when not a plain stack)."""
    if rf is None or jump is None:
        return None, None
    a = node.attrs
    if family in ("activation", "norm") or node.op == "dropout":
        return rf, jump
    if node.op.startswith(("conv1d", "conv2d", "maxpool", "meanpool")) and len(rf) == spatial:
        d = a.get("dilation") or (1,) * spatial
        k, s = a["kernel_size"], a["stride"]
        return (tuple(r + d[i] * (k[i] - 1) * jump[i] for i, r in enumerate(rf)),
                tuple(jump[i] * s[i] for i in range(spatial)))
    if node.op.startswith("downsample") and len(rf) == spatial:
        return rf, tuple(j * a["factor"] for j in jump)
    return None, None
