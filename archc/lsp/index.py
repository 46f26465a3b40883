"""Where each name of a spec is defined and used: networks, blocks, network and block parameters,
inputs and named values (``as`` labels), read off the syntax tree archc.api parsed.

An occurrence is a (1-based) line, a column and a length; a use resolves to the definition of its
name in the innermost network or block that defines it, blocks by name across the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from archc.parser import ast

GROUPS = (ast.Residual, ast.Repeat, ast.Seq, ast.Scan, ast.Branches)


@dataclass(frozen=True)
class Occurrence:
    name: str
    kind: str  # network | block | param | input | value
    line: int
    column: int
    owner: int  # id() of the network or block it belongs to (0: the file)

    @property
    def end(self) -> int:
        return self.column + len(self.name)


@dataclass
class Index:
    """Every definition and use in a module; ``uses`` maps each use to its definition."""

    defs: list[Occurrence] = field(default_factory=list)
    uses: dict[Occurrence, Occurrence] = field(default_factory=dict)
    parents: dict[int, int] = field(default_factory=dict)
    items: list[tuple[Any, Any]] = field(default_factory=list)  # (AST item, its network or block)
    owners: dict[int, Any] = field(default_factory=dict)  # id() -> the network or block

    def owner_at(self, line: int) -> Any:
        """The innermost network or block whose text holds ``line``."""
        best = None
        for d in self.owners.values():
            s = d.span
            if s is not None and s.line <= line <= (s.end_line or s.line) and (best is None or s.line > best.span.line):
                best = d
        return best

    def visible(self, owner: Any) -> list[Occurrence]:
        """The parameters, inputs and named values a use inside ``owner`` can name."""
        ids, o = set(), id(owner) if owner is not None else 0
        while o:
            ids.add(o)
            o = self.parents.get(o, 0)
        return [d for d in self.defs if d.kind in ("param", "input", "value") and d.owner in ids]

    def at(self, line: int, column: int) -> Occurrence | None:
        """The definition of the name at ``line:column``, whether the position is on it or on a use."""
        for o in self.defs:
            if o.line == line and o.column <= column <= o.end:
                return o
        for u, d in self.uses.items():
            if u.line == line and u.column <= column <= u.end:
                return d
        return None

    def references(self, d: Occurrence) -> list[Occurrence]:
        return [d, *(u for u, target in self.uses.items() if target == d)]

    def item_at(self, line: int, column: int) -> tuple[Any, Any] | None:
        """The innermost chain item (a call or a group) whose span holds the position, and its owner."""
        best, size = None, None
        for item, owner in self.items:
            s = item.span
            if s is None or s.end_line is None:
                continue
            if not (s.line, s.column) <= (line, column) <= (s.end_line, s.end_column):
                continue
            here = (s.end_line - s.line, s.end_column - s.column if s.end_line == s.line else s.end_column)
            if size is None or here < size:
                best, size = (item, owner), here
        return best


def _find(lines: list[str], span: Any, name: str, after: str = "") -> tuple[int, int] | None:
    """Where ``name`` (preceded by ``after`` and spaces, if given) first appears at or after ``span``."""
    if span is None:
        return None
    pattern = re.compile((rf"\b{re.escape(after)}\s+" if after else "") + rf"\b({re.escape(name)})\b")
    for ln in range(span.line, min(len(lines), (span.end_line or span.line)) + 1):
        start = span.column - 1 if ln == span.line else 0
        m = pattern.search(lines[ln - 1], start)
        if m:
            return ln, m.start(1) + 1
    return None


def _names(e: Any) -> list[ast.Name]:
    if isinstance(e, ast.Name):
        return [e]
    if isinstance(e, ast.BinOp):
        return _names(e.left) + _names(e.right)
    if isinstance(e, ast.Func | ast.Tuple):
        return [n for x in (e.args if isinstance(e, ast.Func) else e.items) for n in _names(x)]
    return []


class _Builder:
    def __init__(self, module: ast.Module) -> None:
        self.lines = module.source.splitlines()
        self.index = Index()
        self.blocks: dict[str, Occurrence] = {}
        self.scopes: dict[int, dict[str, Occurrence]] = {}  # owner -> name -> definition
        self.parents = self.index.parents
        self.pending: list[tuple[str, int, int, int, bool]] = []  # name, line, col, owner, may be a block

    def define(self, name: str, kind: str, where: tuple[int, int] | None, owner: int, scope: int) -> None:
        if where is None or not name.isidentifier():
            return
        o = Occurrence(name, kind, where[0], where[1], owner)
        self.index.defs.append(o)
        if kind == "block":
            self.blocks.setdefault(name, o)
        else:
            self.scopes.setdefault(scope, {}).setdefault(name, o)

    def use(self, name: str, span: Any, owner: int, block: bool = False) -> None:
        if span is not None:
            self.pending.append((name, span.line, span.column, owner, block))

    def definer(self, d: Any, parent: int, kind: str) -> None:
        """A network or a block: its name, its parameters, its body."""
        me = id(d)
        self.parents[me] = parent
        self.index.owners[me] = d
        self.define(d.name, kind, _find(self.lines, d.span, d.name, kind if kind == "network" else ""), parent,
                    parent)
        for p in d.params:
            self.define(p.name, "param", (p.span.line, p.span.column) if p.span else None, me, me)
            if p.default is not None:
                self.expr(p.default, parent)
        self.body(d.body, me)

    def body(self, stmts: tuple, owner: int) -> None:
        for s in stmts:
            if isinstance(s, ast.BlockDef):
                self.definer(s, owner, "block")
            elif isinstance(s, ast.Input):
                self.define(s.name, "input", _find(self.lines, s.span, s.name, "input"), owner, owner)
                for e in s.shape:
                    self.expr(e, owner)
            elif isinstance(s, ast.Chain):
                for it in s.items:
                    self.item(it, owner)
                for e in s.expect or ():
                    self.expr(e, owner)
            elif isinstance(s, ast.Expect):
                self.expr(s.value, owner)
            elif isinstance(s, ast.Output):
                for n in s.names:
                    where = _find(self.lines, s.span, n)
                    if where:
                        self.pending.append((n, *where, owner, False))

    def item(self, it: Any, owner: int) -> None:
        self.index.items.append((it, owner))
        if isinstance(it, ast.Call):
            self.use(it.op, it.span, owner, block=True)
            for a in it.args:
                self.expr(a.value, owner)
        elif isinstance(it, ast.If):
            self.expr(it.cond, owner)
            self.body(it.body, owner)
            self.body(it.orelse or (), owner)
            return
        else:
            for e in (getattr(it, "count", None), *(a.value for a in getattr(it, "args", ()))):
                self.expr(e, owner)
            for part in (getattr(it, "body", ()), getattr(it, "shortcut", None) or (),
                         *getattr(it, "branches", ())):
                self.body(part, owner)
        name = getattr(it, "name", None)
        if name and name.isidentifier():
            where = None
            if isinstance(it, ast.Call) and it.span and it.span.end_line == it.span.line:
                where = (it.span.line, it.span.end_column - len(name))
            self.define(name, "value", where or _find(self.lines, it.span, name, "as"), owner, owner)

    def expr(self, e: Any, owner: int) -> None:
        for n in _names(e):
            self.use(n.id, n.span, owner)

    def resolve(self) -> Index:
        for name, line, col, owner, block in self.pending:
            scope, target = owner, None
            while target is None and scope:
                target = self.scopes.get(scope, {}).get(name)
                scope = self.parents.get(scope, 0)
            if target is None and block:
                target = self.blocks.get(name)
            if target is not None and (target.line, target.column) != (line, col):
                self.index.uses[Occurrence(name, target.kind, line, col, owner)] = target
        return self.index


def build_index(module: ast.Module) -> Index:
    """The definitions and uses of every name in ``module``."""
    b = _Builder(module)
    for blk in module.blocks:
        b.definer(blk, 0, "block")
    for net in module.networks:
        b.definer(net, 0, "network")
    return b.resolve()
