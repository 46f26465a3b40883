"""Printing the pieces of emitted torch source: a module constructor from its rule, and a forward
from a group's steps (the graph interpreter run over variable names)."""

from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from archc import codegen
from archc.emit_torch.build import HELPERS
from archc.emit_torch.rules import Module, Parameter, constructor_kwargs
from archc.emit_torch.tree import GROUP, Group, Leaf, access
from archc.ir.interpret import Interpreter

# leading constructor arguments printed positionally, as hand-written PyTorch does
POSITIONAL = ("in_channels", "out_channels", "in_features", "out_features", "num_features", "normalized_shape",
              "num_groups", "num_channels", "num_parameters")
def module_class(cls: str) -> type:
    return getattr(nn, cls[3:]) if cls.startswith("nn.") else HELPERS[cls]


def arg_text(key: str, v: Any) -> str:
    """A constructor argument's value as source, as the module is built (constructor_kwargs)."""
    return codegen.literal(constructor_kwargs(Module("", {key: v}))[key])


def default_text(cls: str, key: str) -> str | None:
    """The text of the constructor's default for ``key`` (None: no default)."""
    try:
        p = inspect.signature(module_class(cls)).parameters.get(key)
    except (TypeError, ValueError):  # pragma: no cover - torch classes have signatures
        return None
    if p is None or p.default is inspect.Parameter.empty:
        return None
    return arg_text(key, p.default)


def call_text(cls: str, args: list[tuple[str, str]]) -> str:
    """``cls(a, b, key=value)`` from (key, value text) pairs, positional for the leading POSITIONAL keys."""
    parts, named = [], False
    for key, text in args:
        if key in POSITIONAL and not named:
            parts.append(text)
        else:
            named = True
            parts.append(f"{key}={text}")
    return f"{cls}({', '.join(parts)})"


def leaf_kwargs(leaf: Leaf) -> list[tuple[str, Any]]:
    return list(leaf.impl.kwargs.items()) if isinstance(leaf.impl, Module) else []


def forward_lines(group: Group, attrs: dict[str, str], comment: Any = None,
                  outputs: list[str] | None = None, root: bool = False) -> tuple[list[str], list[str]]:
    """(argument names, body lines) of a group's forward; ``comment(value)`` gives a shape comment.

    The root's arguments are the network's input names; a group's are ``x`` and the names of the
    other values it reads.
    """
    outputs = outputs or [group.output]
    namer = codegen.Namer()
    reads: dict[str, list[int]] = {}
    for k, step in enumerate(group.steps):
        for i in dict.fromkeys(step.inputs):
            reads.setdefault(i, []).append(k)
    first = group.inputs[0] if group.inputs else None
    if root:
        args = [namer(v) for v in group.inputs]
    else:
        namer.reserve("x")
        args = ["x"] + [namer(v, v.rpartition(".")[2]) for v in group.inputs[1:]]
    reused = first is not None and len(reads.get(first, [])) > 1
    chain = next(c for c in ("x", "out", "h", "y") if c not in args[1:] and not (args and c == args[0] and reused))
    namer.reserve(chain)
    var = dict(zip(group.inputs, args))
    lines: list[str] = []
    position = {step.name: k for k, step in enumerate(group.steps)}

    def step(node: Any, ins: list[str]) -> str:
        k = position[node.name]
        target = group.step_target(node)
        if node.op == GROUP:
            expr = f"{access(attrs[node.attrs['child']])}({', '.join(ins)})"
        elif isinstance(target, Leaf) and isinstance(target.impl, Parameter):
            expr = target.impl.text(ins, attrs[node.local])
        elif isinstance(target, Leaf):
            expr = f"{access(attrs[node.local])}({', '.join(ins)})"
        else:
            expr = group.inline[node.name].text(ins)
        flows = (reads.get(node.name) == [k + 1] and node.name not in outputs) or (
            outputs == [node.name] and k == len(group.steps) - 1 and not reads.get(node.name))
        out = chain if flows else namer(node.name, node.name.rpartition(".")[2])
        note = comment(node.name) if comment else ""
        lines.append(f"{out} = {expr}" + (f"  # {codegen.comment(note)}" if note else ""))
        return out

    result = Interpreter(group.steps, group.inputs, outputs).run(step, [var[i] for i in group.inputs])
    lines.append(f"return {', '.join(result)}")
    return args, lines
