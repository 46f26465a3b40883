"""The IR: one frozen graph that every stage after the parser reads.

    Graph  := name InputDecl* Node* outputs Check* Scope*
    Node   := name op inputs attrs span scope
    Check  := ShapeCheck(value, dims) | CountCheck(what, cmp, value)
    Scope  := path kind label attrs            (kind: block, seq, repeat, residual, concat, scan)

Nodes are topologically sorted; ``inputs`` name input declarations or earlier
nodes, in the order the op reads them. A node's name is its dotted path
(``layer1.0.conv1``): ``scope`` is that path without the last part, the nesting of
named groups (blocks, seqs, repeats, named residuals, scans) it was expanded from.
Every backend names parameters ``<node>.weight``, so the nesting is the nesting of
the PyTorch modules and the state-dict keys are the same in every backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archc.dims import dim_str, shape_str
from archc.errors import Span


@dataclass(frozen=True)
class InputDecl:
    name: str
    shape: tuple
    span: Span | None = None


@dataclass(frozen=True)
class Node:
    name: str
    op: str
    inputs: tuple[str, ...]
    attrs: dict[str, Any]
    span: Span | None = None
    scope: tuple[str, ...] = ()
    uses: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)  # attr -> names its expression reads

    @property
    def local(self) -> str:
        """The last part of the name: the node's name inside its scope."""
        return self.name.rpartition(".")[2]


@dataclass(frozen=True)
class ShapeCheck:
    value: str
    dims: tuple
    span: Span | None = None


@dataclass(frozen=True)
class CountCheck:
    what: str  # params | macs
    cmp: str
    value: int
    span: Span | None = None


@dataclass(frozen=True)
class Scope:
    """A named group of nodes from one construct: a block, seq, repeat, named residual or concat, or scan."""

    path: tuple[str, ...]
    kind: str
    label: str
    attrs: dict[str, Any] = field(default_factory=dict)
    span: Span | None = field(default=None, compare=False)  # where the group is written (a block call: the call)


@dataclass(frozen=True)
class Graph:
    name: str
    inputs: tuple[InputDecl, ...]
    nodes: tuple[Node, ...]
    outputs: tuple[str, ...]
    checks: tuple = ()
    scopes: dict[tuple[str, ...], Scope] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    file: str = "<string>"
    source: str | None = None

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs)

    def consumers(self) -> dict[str, list[str]]:
        """For each value, the nodes that read it."""
        out: dict[str, list[str]] = {i.name: [] for i in self.inputs}
        for n in self.nodes:
            out.setdefault(n.name, [])
            for i in n.inputs:
                out.setdefault(i, []).append(n.name)
        return out

    def __str__(self) -> str:
        return format_graph(self)


def param_key(node: str, param: str) -> str:
    """The state-dict key of a node's parameter or buffer: ``<node>.<param>``; a parameter named ""
    (a learned scale owned by its block, as ConvNeXt's layer_scale) is keyed by the node's name."""
    return f"{node}.{param}" if param else node


def _attr_text(v: Any) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(_attr_text(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def format_graph(g: Graph) -> str:
    """A readable listing of the IR, one node per line (a debugging tool)."""
    head = ", ".join(f"{i.name}: {shape_str(i.shape)}" for i in g.inputs)
    lines = [f"graph {g.name}({head}) {{"]
    for path, sc in g.scopes.items():
        args = ", ".join(f"{k}={_attr_text(v)}" for k, v in sc.attrs.items() if k != "mlp")
        lines.append(f"  # {'.'.join(path)}: {sc.kind} {sc.label}" + (f"({args})" if args else ""))
    for n in g.nodes:
        attrs = ", ".join(f"{k}={_attr_text(v)}" for k, v in n.attrs.items() if v is not None)
        args = ", ".join(n.inputs) + ("; " + attrs if attrs else "")
        lines.append(f"  {n.name} = {n.op}({args})")
    for c in g.checks:
        if isinstance(c, ShapeCheck):
            lines.append(f"  check {c.value}: [{', '.join(dim_str(d) for d in c.dims)}]")
        else:
            lines.append(f"  check {c.what} {c.cmp} {c.value}")
    lines.append(f"  return {', '.join(g.outputs)}")
    lines.append("}")
    return "\n".join(lines)
