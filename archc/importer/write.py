"""Drafts -> the spec's AST, named as lowering will name it (names.py), printed by archc.parser.fmt.

Attributes equal to the op's default are left out; required ones (and an op's first positional one)
are written positionally, the rest by keyword. In a seq, runs of equal unnamed layers or block uses
become ``repeat``; a seq that is one such run is a named repeat. Chains break before weight layers,
pools and compound items, as a person lays a spec out.
"""

from __future__ import annotations

from collections import ChainMap
from typing import Any

from archc.importer.blocks import Block, show
from archc.importer.draft import Concat, Layer, Residual, Seq, Stmt, Use
from archc.importer.names import KEYWORDS, Scope
from archc.ir.naming import Level
from archc.ops import REGISTRY, VARIADIC
from archc.ops.attrs import REQUIRED
from archc.parser import ast
from archc.parser.fmt import expr_text

WIDTH = 100
BREAK_FAMILIES = ("conv", "linear")


def value_expr(v: Any, params: set[str] = frozenset()) -> ast.Expr:
    """A Python value as a spec expression (a name for a choice such as ``max``)."""
    if isinstance(v, bool | int | float):
        return ast.Num(v)
    if isinstance(v, str):
        ok = v.isidentifier() and v not in KEYWORDS and v not in params
        return ast.Name(v) if ok else ast.Str(v)
    if isinstance(v, tuple | list):
        return ast.Tuple(tuple(value_expr(x, params) for x in v))
    raise TypeError(f"cannot write {v!r} in a spec")


def _default(op: Any, a: Any, attrs: dict) -> Any:
    if a.required:
        return REQUIRED
    if a.default_from is not None:
        return attrs.get(a.default_from)
    return None if a.default is None else show(op.name, a.name, a.default)


def layer_args(op_name: str, attrs: dict, exprs: dict[str, ast.Expr], params: set[str]) -> list[ast.Arg]:
    """The arguments of ``op(...)``: required attributes (and a leading positional one) by position, the
    rest by keyword, defaults left out; ``exprs`` gives an attribute's expression in a block (a parameter)."""
    op = REGISTRY[op_name]
    norm = {k: show(op_name, k, v) for k, v in attrs.items()}
    out: list[ast.Arg] = []
    positional = True
    for a in op.attrs:
        if a.name not in norm or a.kind in ("ref", "refs"):
            continue
        value = norm[a.name]
        if a.name not in exprs and value == _default(op, a, norm):
            positional = positional and a.name not in op.positional
            continue
        k = len(out)
        lead = positional and k < len(op.positional) and op.positional[k] == a.name and (a.required or k == 0)
        out.append(ast.Arg(None if lead else a.name, exprs.get(a.name) or value_expr(value, params)))
        positional = lead
    return out


class Writer:
    """Writes the network and its blocks, deciding every label (names.Scope) and reference on the way."""

    def __init__(self, blocks: list[Block], named: set[str]) -> None:
        self.blocks = blocks
        self.block_names = {b.name for b in blocks}
        self.named = named  # values some statement refers to by name
        self.exprs: dict[int, ast.Expr] = {}
        self.slot = 0
        self.params: set[str] = set()
        self.enclosing: list[str] = []  # the values of the groups being written (their names are the groups')
        self.optional: dict[int, ast.Expr] = {}  # in a block: residuals whose shortcut is ``if COND { }``

    def needs_name(self, value: str) -> bool:
        return value in self.named and value not in self.enclosing

    # -- blocks ------------------------------------------------------------------------
    def block_def(self, b: Block) -> ast.BlockDef:
        """The definition of block ``b``, written from its first instance (parameters where values differ)."""
        use = b.instances[0]
        g = use.group
        values = ChainMap({"in": g.inputs[0]} if g.inputs else {})
        values.update({p: v for p, v in zip(b.params[len(b.params) - b.n_values:], g.inputs[1:])})
        self.exprs, self.slot, self.params, self.optional = b.exprs, 0, set(b.params), b.optional
        scope = Scope(Level((b.name,), b.indexed), values, reserved(use.body), self.block_names)
        self.enclosing.append(g.output)
        body = self.body(use.body, scope)
        self.enclosing.pop()
        self.exprs, self.params, self.optional = {}, set(), {}
        params = tuple(ast.Param(p, value_expr(b.defaults[p]) if p in b.defaults else None) for p in b.params)
        return ast.BlockDef(b.name, params, tuple(body), indexed=b.indexed)

    # -- statements ----------------------------------------------------------------------
    def body(self, stmts: list[Stmt], scope: Scope) -> list[ast.Chain]:
        """Statements as chains, named in ``scope`` in the order lowering names them."""
        out: list[ast.Chain] = []
        for s in stmts:
            items: list[Any] = []
            if s.start is not None:
                items.append(ast.Call(self.ref(s.start, scope)))
            for it in s.items:
                items.append(self.item(it, scope))
            if scope.level.indexed:
                items = fold_repeats(items)
            out.extend(layout(items, s.start is not None))
        return out

    def ref(self, value: str, scope: Scope) -> str:
        name = scope.name_of(value)
        if name is None:  # pragma: no cover - the statements only read values made before them
            raise AssertionError(f"no name for value {value}")
        return name

    def item(self, it: Any, scope: Scope) -> Any:
        if isinstance(it, Layer):
            return self.layer(it, scope)
        if isinstance(it, Use):
            return self.use(it, scope)
        if isinstance(it, Seq):
            label = scope.label(it.want, True, "seq", True, it.value, self.needs_name(it.value))
            local = label or it.want
            inner = scope.nested(Level((*scope.level.path, local), True), reserved(it.body))
            self.enclosing.append(it.value)
            body = self.body(it.body, inner)
            self.enclosing.pop()
            if len(body) == 1 and len(body[0].items) == 1 and isinstance(body[0].items[0], ast.Repeat) \
                    and body[0].items[0].name is None:  # the seq is one run of equal layers
                rep = body[0].items[0]
                return ast.Repeat(rep.count, rep.body, local)  # named: unlike a seq, a repeat makes a level only so
            return ast.Seq(tuple(body), label)
        if isinstance(it, Residual):
            body = self.body(it.body, scope)
            short = self.body(it.shortcut, scope) if it.shortcut is not None else None
            if id(it) in self.optional:
                short = [ast.Chain((ast.If(self.optional[id(it)], tuple(short)),))]
            scope.auto("residual", it.value)
            return ast.Residual(tuple(body), tuple(short) if short is not None else None)
        if isinstance(it, Concat):
            branches = tuple(tuple(self.body(b, scope)) for b in it.branches)
            scope.auto("concat", it.value)
            args = (ast.Arg("dim", ast.Num(it.dim)),) if it.dim != 1 else ()
            return ast.Branches(args, branches)
        raise TypeError(it)  # pragma: no cover

    def _slot_exprs(self, keys: list[str]) -> dict[str, ast.Expr]:
        out = {}
        for k in keys:
            if self.slot in self.exprs:
                out[k] = self.exprs[self.slot]
            self.slot += 1
        return out

    def layer(self, it: Layer, scope: Scope) -> ast.Call:
        exprs = self._slot_exprs(list(it.attrs))
        refs = [ast.Arg(None, ast.Name(self.ref(r, scope))) for r in it.refs]
        args = refs + layer_args(it.op, it.attrs, exprs, self.params)
        op = REGISTRY[it.op]
        label = scope.label(it.want, it.fixed, it.op, op.arity == 1, it.value, self.needs_name(it.value))
        return ast.Call(it.op, tuple(args), label, has_parens=bool(args))

    def use(self, it: Use, scope: Scope) -> ast.Call:
        b = it.key
        n_size = len(b.params) - b.n_values
        exprs = self._slot_exprs([str(i) for i in range(n_size)])
        values = b.args[b.instances.index(it)]
        args = [exprs.get(str(i)) or value_expr(v, self.params) for i, v in enumerate(values)]
        args += [ast.Name(self.ref(r, scope)) for r in it.refs]
        named = [ast.Arg(None if i == 0 and p not in b.defaults else p, a)
                 for i, (p, a) in enumerate(zip(b.params, args))
                 if p not in b.defaults or values[i] != b.defaults[p]]
        label = scope.label(it.want, True, b.name, True, it.value, self.needs_name(it.value))
        return ast.Call(b.name, tuple(named), label, has_parens=bool(named))


def reserved(stmts: list) -> set[str]:
    """The fixed names a level's layers take (its own items and those of its unnamed residuals and concats)."""
    out: set[str] = set()
    for s in stmts:
        for it in s.items:
            if isinstance(it, Layer | Use | Seq) and it.want and (not isinstance(it, Layer) or it.fixed):
                out.add(it.want)
            if isinstance(it, Residual):
                out |= reserved(it.body) | reserved(it.shortcut or [])
            if isinstance(it, Concat):
                for b in it.branches:
                    out |= reserved(b)
    return out


def fold_repeats(items: list) -> list:
    """Runs of two or more equal unnamed calls or seqs (in a seq, where they are numbered, as an unnamed
    repeat's iterations are) -> ``repeat n { call }``, ``repeat n { seq { ... } }``."""
    out: list = []
    i = 0
    while i < len(items):
        it, j = items[i], i + 1
        while isinstance(it, ast.Call | ast.Seq) and it.name is None and j < len(items) and items[j] == it:
            j += 1
        if j - i >= 2 and (isinstance(it, ast.Seq) or it.op not in REGISTRY or REGISTRY[it.op].arity == 1):
            out.append(ast.Repeat(ast.Num(j - i), (ast.Chain((it,)),)))
        else:
            out.extend(items[i:j])
        i = j
    return out


def _width(it: Any) -> int:
    if not isinstance(it, ast.Call):
        return WIDTH
    args = ", ".join(expr_text(a.value) if a.name is None else f"{a.name}={expr_text(a.value)}" for a in it.args)
    return len(it.op) + len(args) + 2 + (len(it.name) + 4 if it.name else 0) + 4


def _kind(it: Any) -> str:
    """How an item counts for line breaks: a weight layer, a block use, or other."""
    if not isinstance(it, ast.Call):
        return "compound"
    op = REGISTRY.get(it.op)
    if op is None:
        return "use" if it.has_parens or it.name else "ref"
    return "weight" if op.family in BREAK_FAMILIES or op.arity == VARIADIC else "other"


def layout(items: list, starts_with_ref: bool = False) -> list[ast.Chain]:
    """One statement's items as chains (lines): compound items alone; a weight layer starts a line (with the
    norms and activations after it); block uses share a line with each other; no line much wider than WIDTH."""
    chains: list[list] = []
    width, kinds = 0, set()
    for k, it in enumerate(items):
        kind = _kind(it)
        keep = k == 1 and starts_with_ref  # a reference stays with what reads it
        crowded = (kind == "weight" and kinds & {"weight", "use"}) or (kind == "use" and "weight" in kinds)
        new = not chains or (not keep and (kind == "compound" or "compound" in kinds or crowded
                                           or width + _width(it) > WIDTH))
        if new:
            chains.append([])
            width, kinds = 0, set()
        chains[-1].append(it)
        width += _width(it)
        kinds.add(kind)
    return [ast.Chain(tuple(c)) for c in chains]
