"""Instances of one module class whose statements differ only in values fold into one block.

A block instance's statements give a structure (ops, names, attributes present, joins, the blocks it
uses) and a vector of slot values (every attribute value, every argument of a nested block use).
Instances with the same class and structure are one block; a slot whose value differs between them is
a parameter, shared by slots with the same values, or written ``2 * C`` / ``C // 4`` when a multiple.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from archc.importer.draft import Concat, Layer, Residual, Use, children, walk
from archc.importer.optional import DONTCARE, aligned_values, conditions, merge
from archc.ops import REGISTRY
from archc.parser import ast

PARAM_NAMES = {"out_channels": "C", "out_features": "C", "num_parameters": "C", "kernel_size": "kernel",
               "num_groups": "groups", "output_size": "size"}


def snake(name: str) -> str:
    """A class name as a spec name: BasicBlock -> basic_block, SEBlock -> se_block."""
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"[^A-Za-z0-9_]", "_", s).lower().strip("_") or "block"


def show(op: str, key: str, v: Any) -> Any:
    """An attribute's value as a person writes it, meaning the same: kernel (3, 3) -> 3; padding amounts
    ((1, 1), (1, 1)) -> 1 and ((0, 1), (0, 1)) -> ((0, 1),); a (before, after) pair (2, 2) -> 2."""
    from archc.ops.attrs import check_value

    a = REGISTRY[op].attr(key)
    if a is None or v is None or isinstance(v, str):
        return v
    v = check_value(REGISTRY[op], a, v)
    if a.kind in ("ints", "floats") and isinstance(v, tuple) and v and all(x == v[0] for x in v):
        return v[0]
    if a.kind == "sides" and all(p == v[0] for p in v):
        return v[0][0] if v[0][0] == v[0][1] else (v[0],)
    if a.kind == "pair" and v[0] == v[1]:
        return v[0]
    return v


def slots(stmts: list) -> list[tuple[Any, str]]:
    """Every slot of some statements, in one fixed order: (layer, attribute) or (use, argument index)."""
    out: list[tuple[Any, str]] = []
    for s in stmts:
        for it in s.items:
            if isinstance(it, Layer):
                out += [(it, k) for k in it.attrs]
            elif isinstance(it, Use):
                out += [(it, str(i)) for i in range(len(it.key.params))]
            for body in children(it):
                out += slots(body)
    return out


def structure(stmts: list, codes: dict[str, Any]) -> tuple:
    """What instances of a block must share: everything but the slot values."""
    out = []
    for s in stmts:
        items = []
        for it in s.items:
            refs = tuple(codes.get(r, r) for r in getattr(it, "refs", []))
            if isinstance(it, Layer):
                items.append(("layer", it.op, it.want, it.fixed, tuple(it.attrs), refs))
            elif isinstance(it, Use):
                items.append(("use", id(it.key), it.want, refs))
            elif isinstance(it, Concat):
                items.append(("concat", it.dim, tuple(structure(b, codes) for b in it.branches)))
            else:
                items.append((type(it).__name__, getattr(it, "want", None),
                              tuple(structure(b, codes) for b in children(it))))
        out.append((codes.get(s.start, s.start), tuple(items)))
    return tuple(out)


def value_codes(use: Use, shortcuts: bool = True) -> dict[str, Any]:
    """Values of an instance by their place: ``in``, an argument, or the n-th item that makes them
    (``shortcuts=False``: not counting the items of residual shortcuts)."""
    g = use.group
    codes: dict[str, Any] = {g.inputs[0]: "in"} if g.inputs else {}
    codes.update({v: ("arg", i) for i, v in enumerate(g.inputs[1:])})

    def visit(stmts: list) -> None:
        for s in stmts:
            for it in s.items:
                codes.setdefault(it.value, ("item", len(codes)))
                for body in children(it) if shortcuts or not isinstance(it, Residual) else [it.body]:
                    visit(body)
    visit(use.body)
    return codes


@dataclass(eq=False)
class Block:
    """One block of the spec: its instances, and (once decided) its name and parameters."""

    cls: str
    instances: list[Use] = field(default_factory=list)
    name: str = ""
    params: list[str] = field(default_factory=list)  # value parameters (other inputs) come last
    exprs: dict[int, ast.Expr] = field(default_factory=dict)  # slot index -> its expression in the body
    args: list[list[Any]] = field(default_factory=list)  # per instance, the values of the size parameters
    n_values: int = 0  # how many of params are value parameters
    columns: list[tuple[str, list]] = field(default_factory=list)  # size parameters and their values
    optional: dict[int, ast.Expr] = field(default_factory=dict)  # id of a residual (first instance) -> if COND
    present: dict[int, list[bool]] = field(default_factory=dict)  # ... and which instances have its shortcut
    defaults: dict[str, Any] = field(default_factory=dict)  # parameter -> its default value

    @property
    def indexed(self) -> bool:
        """A block made from an nn.Sequential subclass numbers its layers (``seq NAME(...) { }``)."""
        from torch import nn

        return isinstance(self.instances[0].group.module, nn.Sequential)

    def slot_values(self, use: Use) -> list[Any]:
        """An instance's values of the first instance's slots (DONTCARE in a shortcut it lacks)."""
        def value(holder: Any, key: str) -> Any:
            if isinstance(holder, Layer):
                return show(holder.op, key, holder.attrs[key])
            return holder.key.args[holder.key.instances.index(holder)][int(key)]
        return aligned_values(self.instances[0].body, use.body, value)


class Blocks:
    """The blocks of an import, by (class, structure)."""

    def __init__(self, shapes: dict[str, tuple] | None = None) -> None:
        self.table: dict[tuple, Block] = {}
        self.shapes = shapes or {}

    def add(self, use: Use) -> Block:
        key = (type(use.group.module).__qualname__, structure(use.body, value_codes(use)), len(use.refs))
        block = self.table.setdefault(key, Block(type(use.group.module).__name__))
        block.instances.append(use)
        use.key = block
        return block

    def decide(self, taken: set[str]) -> list[Block]:
        """Name every block and choose its parameters (nested blocks first); the blocks in definition order."""
        merge(self.table)
        order = sorted(self.table.values(), key=_depth)  # blocks used inside others first; stable: first seen first
        for b in order:
            _parameters(b)
            if b.optional:
                conditions(b, self.shapes)
        used: set[str] = set()
        by_cls: dict[str, list[Block]] = {}
        for b in self.table.values():
            by_cls.setdefault(b.cls, []).append(b)
        for cls, variants in by_cls.items():
            base = snake(cls)
            first = {w for _, w in _wants(variants[0])}
            first_ops = set(_ops(variants[0]))
            for i, b in enumerate(variants):
                extra = [w for _, w in _wants(b) if w not in first and w.isidentifier()] if i else []
                extra = extra or ([op for op in _ops(b) if op not in first_ops] if i else [])
                b.name = _free(f"{base}_{extra[0]}" if extra else base, taken, used)
                used.add(b.name)
        return order


def _wants(b: Block) -> list[tuple[Any, str]]:
    return [(it, it.want) for it in walk(b.instances[0].body) if getattr(it, "want", None)]


def _ops(b: Block) -> list[str]:
    return [it.op for it in walk(b.instances[0].body) if isinstance(it, Layer)]


def _free(name: str, taken: set[str], used: set[str]) -> str:
    """A block name that is no op, keyword or layer name (``taken``), nor another block's (``used``)."""
    from archc.importer.names import KEYWORDS

    if name in REGISTRY or name in KEYWORDS or name in taken:
        name += "_block"
    out, k = name, 1
    while out in used or out in taken:
        k += 1
        out = f"{name}_{k}"
    return out


def _depth(b: Block) -> int:
    subs = [it.key for it in walk(b.instances[0].body) if isinstance(it, Use)]
    return 1 + max((_depth(x) for x in subs), default=0)


def _parameters(b: Block) -> None:
    vectors = [b.slot_values(u) for u in b.instances]
    names = slots(b.instances[0].body)
    columns: list[tuple[str, list]] = []  # (parameter, its values per instance)
    avoid = {w for u in b.instances for _, w in _wants(b)} | {"in", "in_channels"}
    for s, (holder, key) in enumerate(names):
        col = [v[s] for v in vectors]
        known = [c for c in col if c is not DONTCARE]
        constant = all(c == known[0] and type(c) is type(known[0]) for c in known)
        if constant and len(known) == len(col):
            continue
        expr = _relate(col, columns, exact=constant)
        if expr is None and constant:  # a slot only some instances have, the same in each
            continue
        if expr is None:
            col = [known[0] if c is DONTCARE else c for c in col]
            base = PARAM_NAMES.get(key, key) if isinstance(holder, Layer) else holder.key.params[int(key)]
            name, k = base, 1
            while name in avoid or any(name == p for p, _ in columns):
                k += 1
                name = f"{base}{k}"
            columns.append((name, col))
            expr = ast.Name(name)
        b.exprs[s] = expr
    b.columns = columns
    b.params = [p for p, _ in columns]
    b.args = [[col[i] for _, col in columns] for i in range(len(b.instances))]
    g = b.instances[0].group
    values = [n if n not in b.params else f"{n}_value" for n in g.arg_names]
    b.params += values
    b.n_values = len(values)


def _relate(col: list, columns: list[tuple[str, list]], exact: bool = False) -> ast.Expr | None:
    """``p``, ``k * p`` or ``p // k`` for an existing parameter p whose values relate to ``col`` so (only ``p``
    where ``exact``), DONTCARE entries of ``col`` matching anything."""
    known = [i for i, c in enumerate(col) if c is not DONTCARE]
    col = [col[i] for i in known]
    for name, other in columns:
        other = [other[i] for i in known]
        if other == col and all(type(c) is type(o) for c, o in zip(col, other)):
            return ast.Name(name)
    ints = not exact and all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in col)
    for name, other in columns if ints else ():
        other = [other[i] for i in known]
        if not all(isinstance(o, int) and not isinstance(o, bool) and o > 0 for o in other):
            continue
        if all(c > 0 and c % o == 0 for c, o in zip(col, other)) and len({c // o for c, o in zip(col, other)}) == 1:
            return ast.BinOp("*", ast.Num(col[0] // other[0]), ast.Name(name))
        for k in range(2, 9):
            if all(o // k == c for c, o in zip(col, other)):
                return ast.BinOp("//", ast.Name(name), ast.Num(k))
    return None
