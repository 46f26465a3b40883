"""Shape inference: the graph interpreter run over shapes, with each op's shape rule.

Produces, per layer, the output shape (symbolic dims allowed), parameter and buffer
shapes, the parameter count, multiply-accumulates, the size formulas applied, and for
sliding-window stacks the receptive field and jump (total stride) in input steps. Collects
the conditions symbolic sizes must meet, and checks every expectation of the spec. Errors
name the node they happened in.
"""

from __future__ import annotations

from typing import Any

from archc import dims
from archc.dims import shape_str
from archc.errors import ArchcError, EmitError, ShapeError
from archc.ir.graph import CountCheck, Graph, ShapeCheck
from archc.ir.interpret import Interpreter
from archc.ops import KEEP, REGISTRY, Trace, tracing
from archc.shape_infer.typed import LayerInfo, TypedGraph


def infer(graph: Graph, input_shapes: dict[str, tuple] | None = None) -> TypedGraph:
    """Infer every shape of ``graph``; ``input_shapes`` gives concrete input sizes (binding symbols)."""
    bindings = _bind_inputs(graph, input_shapes or {})
    starts = [tuple(dims.evaluate(d, bindings) for d in i.shape) if bindings else i.shape for i in graph.inputs]
    shapes: dict[str, tuple] = dict(zip(graph.input_names, starts))
    field = {i.name: ((1,) * max(len(s) - 2, 0),) * 2 for i, s in zip(graph.inputs, starts)}
    layers: dict[str, LayerInfo] = {}
    constraints: list[tuple] = []

    def rule(node: Any, ins: list) -> tuple:
        op = REGISTRY[node.op]
        with tracing(Trace()) as trace:
            out = tuple(op.shape(ins, node.attrs))
            params = {k: tuple(v) for k, v in op.params(ins, node.attrs).items()}
            buffers = {k: tuple(v) for k, v in op.buffers(ins, node.attrs).items()}
            factors = op.macs(ins, out, node.attrs)
        constraints.extend((node.name, *c) for c in trace.constraints)
        rf, jump = _receptive(op, node.attrs, field.get(node.inputs[0]), len(out) - 2)
        field[node.name] = (rf, jump) if rf is not None else None
        layers[node.name] = LayerInfo(node.name, node.op, node.inputs, out, params, buffers,
                                      sum(dims.product(s) for s in params.values()),
                                      dims.product(factors) if factors else 0, tuple(factors) if factors else None,
                                      rf, jump, tuple(trace.formulas))
        shapes[node.name] = out
        return out

    def located(node: Any, ins: list, e: Exception) -> Exception:
        if not isinstance(e, ArchcError):
            return e
        e.add_note(f"while inferring node '{node.name}' ({node.op})")
        return e.with_span(node.span, graph.source)

    Interpreter(graph.nodes, graph.input_names, graph.outputs).run(rule, starts, located)
    typed = TypedGraph(graph, shapes, layers, bindings, constraints)
    _check(typed, bindings)
    return typed


def check_inputs(graph: Graph, shapes: tuple[tuple, ...]) -> TypedGraph:
    """Shape-check ``graph`` for concrete input shapes (one per input), as an EmitError for backends."""
    try:
        return infer(graph, {d.name: tuple(s) for d, s in zip(graph.inputs, shapes)})
    except ArchcError as e:
        notes = "".join(f"; {n}" for n in e.notes)
        raise EmitError(f"{graph.name}: {e.message}{notes}") from None


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


def _receptive(op: Any, attrs: dict, field: tuple | None, spatial: int) -> tuple:
    """Receptive field and jump after this node, per spatial dim ((None, None) when not a plain stack)."""
    if field is None or op.arity != 1:
        return None, None
    rf, jump = field
    if op.elementwise or op.window == KEEP:
        return rf, jump
    if callable(op.window) and len(rf) == spatial:
        win = op.window(attrs, spatial)
        return (tuple(r + d * (k - 1) * j for r, j, (k, s, d) in zip(rf, jump, win)),
                tuple(j * s for j, (_, s, _) in zip(jump, win)))
    return None, None
