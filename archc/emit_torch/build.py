"""Build an nn.Module in memory from a checked graph."""

from __future__ import annotations

import keyword
from typing import Any

import torch
from torch import nn

from archc.emit_torch import manual, modules
from archc.emit_torch.rules import RULES
from archc.errors import EmitError
from archc.shape_infer import TypedGraph, check_inputs

MANUAL = {"nn.Conv1d": "ManualConv1d", "nn.Conv2d": "ManualConv2d", "nn.Linear": "ManualLinear"}
BACKWARDS = ("autograd", "manual")


def module_spec(typed: TypedGraph, node: Any, backward: str = "autograd") -> tuple[str, dict[str, Any]]:
    """The (class name, arguments) that implement ``node``: one rule per op, in rules.py."""
    cls, kwargs = RULES[node.op](node.attrs, [typed.shapes[i] for i in node.inputs])
    if backward == "manual":
        cls = MANUAL.get(cls, cls)
    return cls, kwargs


def instantiate(cls: str, kwargs: dict[str, Any]) -> nn.Module:
    if cls.startswith("nn."):
        return getattr(nn, cls[3:])(**kwargs)
    return (getattr(modules, cls, None) or getattr(manual, cls))(**kwargs)


def check_names(typed: TypedGraph) -> None:
    """Node names become attributes of an nn.Module (and of generated Python)."""
    reserved = set(dir(nn.Module)) | {"archc_graph"}
    for node in typed.graph.nodes:
        if keyword.iskeyword(node.name) or node.name in reserved:
            raise EmitError(f"layer name '{node.name}' cannot be a PyTorch module attribute", node.span,
                            hint="rename it with `as NAME`", source=typed.graph.source)


class CompiledModule(nn.Module):
    """The torch build of a checked spec: standard torch.nn layers named after the graph's nodes."""

    def __init__(self, typed: TypedGraph, backward: str = "autograd") -> None:
        super().__init__()
        if backward not in BACKWARDS:
            raise EmitError(f"unknown backward mode '{backward}'", hint="autograd or manual")
        check_names(typed)
        self.archc_graph = typed.graph
        self._steps: list[tuple[str, str, tuple[str, ...]]] = []
        for node in typed.graph.nodes:
            cls, kwargs = module_spec(typed, node, backward)
            if cls:
                self.add_module(node.name, instantiate(cls, kwargs))
            self._steps.append((node.name, node.op, node.inputs))
        self._input_names = [i.name for i in typed.graph.inputs]
        self._outputs = list(typed.graph.outputs)
        self._checked: set[tuple] = set()

    def forward(self, *inputs: torch.Tensor) -> Any:
        if len(inputs) != len(self._input_names):
            raise EmitError(f"{self.archc_graph.name} takes {len(self._input_names)} input(s), got {len(inputs)}")
        shapes = tuple(tuple(x.shape) for x in inputs)
        tracing = torch.compiler.is_compiling() or torch.jit.is_tracing()
        if shapes not in self._checked and not tracing:
            check_inputs(self.archc_graph, shapes)
            self._checked.add(shapes)
        values = dict(zip(self._input_names, inputs))
        for name, op, ins in self._steps:
            if op == "add":
                values[name] = values[ins[0]] + values[ins[1]]
            else:
                values[name] = getattr(self, name)(values[ins[0]])
        outs = tuple(values[o] for o in self._outputs)
        return outs[0] if len(outs) == 1 else outs


def build_torch(typed: TypedGraph, backward: str = "autograd", dtype: torch.dtype | None = None,
                seed: int | None = 0) -> CompiledModule:
    """Build the nn.Module of a checked graph (weights drawn with torch's defaults from ``seed``)."""
    with torch.random.fork_rng():
        if seed is not None:
            torch.manual_seed(seed)
        module = CompiledModule(typed, backward)
    return module.to(dtype) if dtype is not None else module
