"""The module tree of a checked graph: one group per naming level, one leaf per node.

Both the in-memory module (build.py) and the emitted source (source.py) are made from
this tree, with the same rules, so they have the same modules, the same state-dict keys
and the same forward. A group's steps are its own nodes and its child groups (each a step
with one output); a group is an ``nn.Sequential`` when its steps are a chain of modules
named 0, 1, 2, ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from archc import codegen
from archc.emit_torch.rules import RULES, Impl, Module, Parameter
from archc.errors import EmitError
from archc.ir.graph import Node, Scope
from archc.shape_infer import TypedGraph

MANUAL = {"nn.Conv1d": "ManualConv1d", "nn.Conv2d": "ManualConv2d", "nn.Linear": "ManualLinear"}
GROUP = "<group>"


@dataclass
class Leaf:
    local: str
    node: Node
    impl: Impl


@dataclass
class Group:
    """A module: its children by local name, the steps of its forward, the values it reads and makes."""

    local: str
    path: tuple[str, ...]
    scope: Scope | None
    children: dict[str, Leaf | Group] = field(default_factory=dict)
    steps: list[Node] = field(default_factory=list)  # nodes, and a pseudo-node per child group
    inputs: list[str] = field(default_factory=list)
    output: str = ""
    inline: dict[str, Impl] = field(default_factory=dict)  # steps computed in place: a + b, torch.cat

    @property
    def sequential(self) -> bool:
        """A chain of modules named 0, 1, ...: the group is an nn.Sequential."""
        if len(self.inputs) != 1 or not self.steps or list(self.children) != [str(i) for i in range(len(self.steps))]:
            return False
        prev = self.inputs[0]
        for step, child in zip(self.steps, self.children.values()):
            if step.inputs != (prev,) or (isinstance(child, Leaf) and not isinstance(child.impl, Module)):
                return False
            prev = step.name
        return prev == self.output

    def step_target(self, step: Node) -> Leaf | Group | None:
        """The child a step calls (None for an inline operation such as ``a + b``)."""
        if step.op == GROUP:
            return self.children[step.attrs["child"]]
        child = self.children.get(step.local)
        return child if isinstance(child, Group) or (child is not None and child.node is step) else None


def build_tree(typed: TypedGraph, backward: str = "autograd") -> Group:
    """The module tree of ``typed`` (``backward="manual"``: hand-written backward for conv and linear)."""
    g = typed.graph
    root = Group(g.name, (), None)
    groups = {(): root}
    for node in g.nodes:
        parent = root
        for depth in range(1, len(node.scope) + 1):
            path = node.scope[:depth]
            if path not in groups:
                child = Group(path[-1], path, g.scopes.get(path))
                groups[path] = child
                parent.children[path[-1]] = child
                parent.steps.append(Node("", GROUP, (), {"child": path[-1]}, None, parent.path))
            parent = groups[path]
        impl = RULES[node.op](node.attrs, [typed.shapes[i] for i in node.inputs])
        if backward == "manual" and isinstance(impl, Module) and impl.cls in MANUAL:
            impl = Module(MANUAL[impl.cls], impl.kwargs)
        if isinstance(impl, Module | Parameter):
            parent.children[node.local] = Leaf(node.local, node, impl)
        else:
            parent.inline[node.name] = impl
        parent.steps.append(node)
    _wire(root, typed)
    root.inputs, root.output = list(g.input_names), g.outputs[0] if g.outputs else ""
    return root


def _defined(group: Group) -> list[str]:
    out = []
    for step in group.steps:
        out += _defined(group.children[step.attrs["child"]]) if step.op == GROUP else [step.name]
    return out


def _reads(group: Group) -> list[str]:
    out = []
    for step in group.steps:
        for i in (_reads(group.children[step.attrs["child"]]) if step.op == GROUP else step.inputs):
            if i not in out:
                out.append(i)
    return out


def _wire(root: Group, typed: TypedGraph) -> None:
    """Give each group its inputs (values from outside it, in first-use order) and its output (the
    value made inside it that is read outside it), and make its step in the parent a pseudo-node."""
    g = typed.graph
    readers: dict[str, list[tuple]] = {}
    for node in g.nodes:
        for i in node.inputs:
            readers.setdefault(i, []).append(node.scope)
    outputs = set(g.outputs)

    def escapes(value: str, path: tuple) -> bool:
        return value in outputs or any(s[:len(path)] != path for s in readers.get(value, []))

    groups = list(walk(root))
    for group in groups[1:]:
        defined = _defined(group)
        inner = set(defined)
        group.inputs = [v for v in _reads(group) if v not in inner]
        out = [v for v in defined if escapes(v, group.path)]
        if len(out) > 1:  # pragma: no cover - lexical scoping lets only a group's result out
            raise EmitError(f"group '{'.'.join(group.path)}' has several outputs: {out}")
        group.output = out[0] if out else defined[-1]
    for group in groups:
        for k, step in enumerate(group.steps):
            if step.op == GROUP:
                child = group.children[step.attrs["child"]]
                group.steps[k] = Node(child.output, GROUP, tuple(child.inputs), step.attrs, None, group.path)


NN_ATTRS = frozenset(dir(torch.nn.Module())) | {"archc_graph"}


def attr_names(group: Group) -> dict[str, str]:
    """Each child's attribute name: its spec name (any string torch accepts, as nn.Sequential's "0"), or a
    renamed one where the spec name is taken by nn.Module itself (``training``, ``forward``, ...)."""
    namer = codegen.Namer(NN_ATTRS)
    for local in group.children:
        if local not in NN_ATTRS:
            namer.names[local] = local
            namer.reserve(local)
    return {local: namer(local) for local in group.children}


def access(attr: str) -> str:
    """Source that reads a child of ``self``: ``self.conv1``, or ``getattr(self, "0")`` for other names."""
    if codegen.IDENT.match(attr) and attr not in codegen.KEYWORDS:
        return f"self.{attr}"
    return f"getattr(self, {codegen.literal(attr)})"


def assign(attr: str, expr: str) -> str:
    """Source that sets a child of ``self``."""
    if codegen.IDENT.match(attr) and attr not in codegen.KEYWORDS:
        return f"self.{attr} = {expr}"
    return f"self.add_module({codegen.literal(attr)}, {expr})"


def walk(group: Group) -> Any:
    """Every group of the tree, parents first."""
    yield group
    for child in group.children.values():
        if isinstance(child, Group):
            yield from walk(child)
