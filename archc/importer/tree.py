"""The flat ops -> a tree of groups, one per module that holds layers: the levels of the spec's names.

A leaf module's op sits in the group of its parent module (``layer1.0.conv1`` in ``layer1.0``); a
function call sits in the group of the module whose forward made it. A group is a ``block`` (a custom
module's forward), a ``seq`` (an ``nn.Sequential``, or a container such as ``nn.ModuleList`` whose
children the parent calls) or the ``root``. Each group must run as one piece, read its inputs and give
one output, as a block or a seq of a spec does.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from archc.importer.errors import Where, error
from archc.importer.flat import Flat, Op


@dataclass
class Group:
    """The ops and child groups of one module, in the order they run."""

    path: str
    kind: str  # root, block (indexed when the module is an nn.Sequential subclass), seq
    module: Any
    items: list[Op | Group] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # values read from outside; the first is `in`
    output: str = ""
    arg_names: list[str] = field(default_factory=list)  # a block's names for inputs[1:]

    @property
    def value(self) -> str:
        return self.output

    @property
    def local(self) -> str:
        return self.path.rpartition(".")[2]

    @property
    def where(self) -> Where:
        first = self.items[0] if self.items else None
        while isinstance(first, Group):
            first = first.items[0] if first.items else None
        w = first.where if first is not None else Where(self.path)
        return Where(self.path, type(self.module).__name__, w.file, w.line)


def _parent(path: str) -> str:
    return path.rpartition(".")[0]


def level_of(op: Op) -> str:
    """The group an op's name lives in: a module's parent, or the module whose forward made the call."""
    return _parent(op.path) if op.path else op.owner


def _within(level: str, path: str) -> bool:
    """Whether ``level`` is ``path`` or inside it (everything is inside the model itself, "")."""
    return not path or level == path or level.startswith(path + ".")


def build_tree(flat: Flat) -> Group:
    """The group tree of a model's ops; a diagnostic where a module's calls do not form one piece."""
    ops = flat.ops
    levels = [level_of(op) for op in ops]
    paths = sorted({p for lv in levels if lv for p in _prefixes(lv)}, key=lambda p: p.count("."))
    for path in paths:  # parameter-free calls between a group's own calls join the group
        idx = [i for i, lv in enumerate(levels) if _within(lv, path)]
        for i in range(idx[0], idx[-1] + 1):
            if not _within(levels[i], path):
                if ops[i].path is None and _within(path, levels[i]):
                    levels[i] = path
                    continue
                other = ops[i].path or ops[i].op
                raise error(f"its calls are interleaved with '{other}', which is not part of it; a spec's group "
                            "runs as one piece", _group_where(flat, path, ops[idx[0]]),
                            "call the module's children one after the other")
    groups = {"": Group("", "root", flat.model)}
    for path in paths:
        groups[path] = Group(path, _kind(flat, path), flat.model.get_submodule(path))
    placed: set[str] = set()
    for op, lv in zip(ops, levels):
        for p in [*_prefixes(lv)]:
            if p not in placed:
                placed.add(p)
                groups[_parent(p)].items.append(groups[p])
        groups[lv].items.append(op)
    for path in reversed(paths):
        _wire(groups[path], flat)
    root = groups[""]
    root.inputs, root.output = [name for name, _ in flat.inputs], flat.output
    return root


def _prefixes(level: str) -> list[str]:
    parts = level.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts) + 1)] if level else []


def _kind(flat: Flat, path: str) -> str:
    from torch import nn

    m = flat.model.get_submodule(path)  # a subclass of nn.Sequential is a block too (an indexed one)
    return "block" if path in flat.entered and type(m) is not nn.Sequential else "seq"


def _group_where(flat: Flat, path: str, first: Op) -> Where:
    return Where(path, type(flat.model.get_submodule(path)).__name__, first.where.file, first.where.line)


def _ops(group: Group) -> list[Op]:
    out: list[Op] = []
    for it in group.items:
        out.extend(_ops(it) if isinstance(it, Group) else [it])
    return out


def _wire(group: Group, flat: Flat) -> None:
    """A group's inputs (values from outside, in first-read order; a block's in its call's order) and output."""
    inside = _ops(group)
    made = {op.name for op in inside}
    reads: list[str] = []
    for op in inside:
        reads += [v for v in op.inputs if v not in made and v not in reads]
    readers_outside = {v for op in flat.ops if op not in inside for v in op.inputs}
    outs = [op.name for op in inside if op.name in readers_outside or op.name == flat.output]
    if len(outs) != 1:
        what = "gives no value the rest of the model reads" if not outs else \
            f"gives {len(outs)} values that the rest of the model reads; a spec's group gives one"
        raise error(what, group.where)
    group.output = outs[0]
    group.inputs = reads
    if group.kind == "block":
        args, kwargs, _ = flat.entered[group.path][0]
        names = _arg_names(group.module)
        order = [(flat.resolve(a.name), n) for a, n in zip(args, names) if hasattr(a, "name")]
        order += [(flat.resolve(v.name), k) for k, v in kwargs.items() if hasattr(v, "name")]
        tensors = [(v, n) for v, n in order if v is not None]
        if not tensors or any(v not in {t for t, _ in tensors} for v in reads):
            group.kind = "seq"  # it reads values it was not given: keep its calls in the caller's scope
            return
        used = [(v, n) for v, n in tensors if v in reads]
        group.inputs = [v for v, _ in used]
        group.arg_names = [n for _, n in used[1:]]


def _arg_names(module: Any) -> list[str]:
    try:
        params = list(inspect.signature(module.forward).parameters)
    except (TypeError, ValueError):
        params = []
    return params + [f"x{i}" for i in range(len(params), 16)]
