"""The IR: one frozen graph that every stage after the parser reads.

    Graph  := name InputDecl* Node* outputs Check*
    Node   := name op inputs attrs span scope expect?
    Check  := ShapeCheck(value, dims) | CountCheck(what, cmp, value)

Nodes are topologically sorted; ``inputs`` name input declarations or earlier
nodes. ``scope`` is the path of blocks/repeats/residuals/scans a node was
expanded from (for diagrams and generated code); ``Graph.scopes`` describes each.
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
    """A group of nodes that came from one construct: block, repeat, residual or scan."""

    path: tuple[str, ...]
    kind: str
    label: str
    attrs: dict[str, Any] = field(default_factory=dict)


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


def class_name(network: str) -> str:
    """A network's name as a Python class name: mnist_cnn -> MnistCnn."""
    return "".join(part[:1].upper() + part[1:] for part in network.split("_")) or "Net"


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
    for n in g.nodes:
        attrs = ", ".join(f"{k}={_attr_text(v)}" for k, v in n.attrs.items() if v is not None)
        args = ", ".join(n.inputs) + ("; " + attrs if attrs else "")
        scope = f"  # in {'/'.join(n.scope)}" if n.scope else ""
        lines.append(f"  {n.name} = {n.op}({args}){scope}")
    for c in g.checks:
        if isinstance(c, ShapeCheck):
            lines.append(f"  check {c.value}: [{', '.join(dim_str(d) for d in c.dims)}]")
        else:
            lines.append(f"  check {c.what} {c.cmp} {c.value}")
    lines.append(f"  return {', '.join(g.outputs)}")
    lines.append("}")
    return "\n".join(lines)
