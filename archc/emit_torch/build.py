"""Build the nn.Module of a checked graph in memory, from its module tree (tree.py).

Every group is a :class:`GraphModule` (or an ``nn.Sequential`` when it is a chain of modules
named 0, 1, ...) whose forward runs its steps through the graph interpreter; leaves are the
modules the torch rules name. The emitted source (source.py) prints the same tree.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from archc.emit_torch import manual, modules
from archc.emit_torch.rules import Module, Parameter, constructor_kwargs
from archc.emit_torch.tree import GROUP, Group, Leaf, attr_names, build_tree
from archc.errors import EmitError
from archc.ir.interpret import Interpreter
from archc.shape_infer import TypedGraph, check_inputs

BACKWARDS = ("autograd", "manual")
HELPERS = {name: obj for mod in (modules, manual) for name, obj in vars(mod).items()
           if isinstance(obj, type) and issubclass(obj, nn.Module) and obj.__module__ == mod.__name__}


def instantiate(impl: Module) -> nn.Module:
    """The module a rule names: ``nn.Conv2d(...)`` or a helper class of modules.py / manual.py."""
    cls = getattr(nn, impl.cls[3:]) if impl.cls.startswith("nn.") else HELPERS[impl.cls]
    return cls(**constructor_kwargs(impl))


def make(child: Leaf | Group) -> nn.Module:
    if isinstance(child, Leaf):
        return instantiate(child.impl)
    if child.sequential:
        return nn.Sequential(*(make(c) for c in child.children.values()))
    return GraphModule(child)


class GraphModule(nn.Module):
    """One group of the tree: its children, and a forward over its steps."""

    def __init__(self, group: Group) -> None:
        super().__init__()
        attrs = attr_names(group)
        for local, child in group.children.items():
            if isinstance(child, Leaf) and isinstance(child.impl, Parameter):
                self.register_parameter(attrs[local], nn.Parameter(torch.full(child.impl.shape, child.impl.init)))
            else:
                self.add_module(attrs[local], make(child))
        renamed = {a: local for local, a in attrs.items() if a != local}
        if renamed:
            modules.keep_spec_names(self, renamed)
        self._calls: dict[str, Any] = {}
        for step in group.steps:
            target = group.step_target(step)
            if step.op == GROUP or (target is not None and isinstance(target.impl, Module)):
                self._calls[step.name] = attrs[step.attrs["child"] if step.op == GROUP else step.local]
            elif isinstance(target, Leaf):  # a parameter of this module
                self._calls[step.name] = (target.impl.live(), attrs[step.local])
            else:
                self._calls[step.name] = (group.inline[step.name].live(), None)
        self._interpreter = Interpreter(group.steps, group.inputs, [group.output])

    def _step(self, step: Any, args: list) -> Any:
        call = self._calls[step.name]
        if isinstance(call, str):
            return self._modules[call](*args)
        fn, param = call
        return fn(*args, getattr(self, param)) if param else fn(*args)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self._interpreter.run(self._step, inputs)[0]


class CompiledModule(GraphModule):
    """The torch build of a checked spec: standard torch.nn layers, nested like the spec's blocks."""

    def __init__(self, typed: TypedGraph, backward: str = "autograd") -> None:
        if backward not in BACKWARDS:
            raise EmitError(f"unknown backward mode '{backward}'", hint="autograd or manual")
        tree = build_tree(typed, backward)
        super().__init__(tree)
        self.archc_graph = typed.graph
        self._outputs = list(typed.graph.outputs)
        self._interpreter = Interpreter(tree.steps, tree.inputs, self._outputs)
        self._checked: set[tuple] = set()

    def forward(self, *inputs: torch.Tensor) -> Any:
        g = self.archc_graph
        if len(inputs) != len(g.inputs):
            raise EmitError(f"{g.name} takes {len(g.inputs)} input(s), got {len(inputs)}")
        shapes = tuple(tuple(x.shape) for x in inputs)
        tracing = torch.compiler.is_compiling() or torch.jit.is_tracing()
        if shapes not in self._checked and not tracing:
            check_inputs(g, shapes)
            self._checked.add(shapes)
        outs = self._interpreter.run(self._step, inputs)
        return outs[0] if len(outs) == 1 else outs


def build_torch(typed: TypedGraph, backward: str = "autograd", dtype: torch.dtype | None = None,
                seed: int | None = 0) -> CompiledModule:
    """Build the nn.Module of a checked graph (weights drawn with torch's defaults from ``seed``)."""
    with torch.random.fork_rng():
        if seed is not None:
            torch.manual_seed(seed)
        module = CompiledModule(typed, backward)
    return module.to(dtype) if dtype is not None else module
