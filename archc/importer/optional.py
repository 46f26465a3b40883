"""Instances of one module class that differ by an optional shortcut fold into one block with ``if``.

torchvision's BasicBlock has a ``downsample`` only where the shape changes: traced, the instances
with one and those without have two structures. When they are equal but for residual shortcuts that
some instances lack, they are one block whose shortcut reads ``if COND { ... }`` (an empty shortcut
otherwise: the identity). COND is the simplest condition on the block's arguments (or its input's
channel count) that holds exactly for the instances that have the shortcut, else a boolean argument
named after the shortcut.
"""

from __future__ import annotations

from typing import Any

from archc.importer.draft import Concat, Layer, Residual, Seq, Use, walk
from archc.parser import ast


class _DontCare:
    """The value of a slot an instance does not have (inside a shortcut it lacks)."""

    def __repr__(self) -> str:
        return "DONTCARE"


DONTCARE = _DontCare()


def skeleton(stmts: list, codes: dict[str, Any], structure: Any) -> tuple[tuple, list]:
    """(the structure of some statements with every residual's shortcut left out, those shortcuts'
    structures in order, None where a residual has none)."""
    shortcuts: list = []

    def strip(items: list) -> list:
        out = []
        for s in items:
            new_items = []
            for it in s.items:
                if isinstance(it, Residual):
                    shortcuts.append(None if it.shortcut is None else structure(it.shortcut, codes))
                    it = Residual(it.value, strip(it.body), None)
                elif isinstance(it, Seq):
                    it = Seq(it.value, strip(it.body), it.want)
                elif isinstance(it, Concat):
                    it = Concat(it.value, [strip(b) for b in it.branches], it.dim)
                new_items.append(it)
            out.append(type(s)(new_items, s.start))
        return out

    return structure(strip(stmts), codes), shortcuts


def mergeable(a: tuple[tuple, list], b: tuple[tuple, list]) -> bool:
    """Whether two variants (skeletons) differ only by shortcuts one of them lacks, b lacking all of them."""
    (sa, ca), (sb, cb) = a, b
    if sa != sb or len(ca) != len(cb):
        return False
    differs = [x != y for x, y in zip(ca, cb)]
    return any(differs) and all(y is None and x is not None for x, y, d in zip(ca, cb, differs) if d)


def optional_residuals(rep: list, other: list) -> list[Residual]:
    """The residuals of ``rep`` whose shortcut the aligned residual of ``other`` lacks."""
    out: list[Residual] = []
    for s, t in zip(rep, other):
        for it, jt in zip(s.items, t.items):
            if isinstance(it, Residual):
                if it.shortcut is not None and jt.shortcut is None:
                    out.append(it)
                out += optional_residuals(it.body, jt.body)
            elif isinstance(it, Seq):
                out += optional_residuals(it.body, jt.body)
            elif isinstance(it, Concat):
                for b, c in zip(it.branches, jt.branches):
                    out += optional_residuals(b, c)
    return out


def aligned_values(rep: list, inst: list, value: Any) -> list[Any]:
    """An instance's slot values in the order of the representative's slots (blocks.slots), DONTCARE
    for the slots of shortcuts the instance lacks; ``value(holder, key)`` reads one slot."""
    out: list[Any] = []
    for s, t in zip(rep, inst):
        for it, jt in zip(s.items, t.items):
            if isinstance(it, Layer):
                out += [value(jt, k) for k in it.attrs]
            elif isinstance(it, Use):
                out += [value(jt, str(i)) for i in range(len(it.key.params))]
            if isinstance(it, Residual):
                out += aligned_values(it.body, jt.body, value)
                if it.shortcut is not None:
                    out += (aligned_values(it.shortcut, jt.shortcut, value) if jt.shortcut is not None
                            else [DONTCARE] * _count(it.shortcut))
            elif isinstance(it, Seq):
                out += aligned_values(it.body, jt.body, value)
            elif isinstance(it, Concat):
                for b, c in zip(it.branches, jt.branches):
                    out += aligned_values(b, c, value)
    return out


def _count(stmts: list) -> int:
    from archc.importer.blocks import slots

    return len(slots(stmts))


def condition(present: list[bool], columns: list[tuple[str, list]], in_channels: list[int | None],
              want: str | None) -> tuple[ast.Expr, tuple[str, list] | None]:
    """The condition that holds exactly where ``present``, and a new (boolean) parameter if one is needed."""
    candidates: list[tuple[ast.Expr, list[bool]]] = []
    for name, col in columns:
        values = {repr(c) for c, p in zip(col, present) if not p}
        if len(values) == 1 and all(isinstance(c, int | float) for c in col):
            v = next(c for c, p in zip(col, present) if not p)
            candidates.append((ast.BinOp("!=", ast.Name(name), ast.Num(v)), [c != v for c in col]))
    if all(c is not None for c in in_channels):
        for name, col in columns:
            for k in (1, 2, 4):
                if all(isinstance(c, int) and not isinstance(c, bool) for c in col):
                    rhs: ast.Expr = ast.Name(name) if k == 1 else ast.BinOp("*", ast.Num(k), ast.Name(name))
                    candidates.append((ast.BinOp("!=", ast.Name("in_channels"), rhs),
                                       [i != k * c for i, c in zip(in_channels, col)]))
    for cond, holds in candidates:
        if holds == present:
            return cond, None
    for i, (c1, h1) in enumerate(candidates):
        for c2, h2 in candidates[i + 1:]:
            if [a or b for a, b in zip(h1, h2)] == present:
                return ast.BinOp("or", c1, c2), None
    name = want if want and want.isidentifier() else "shortcut"
    return ast.Name(name), (name, list(present))


def merge(table: dict) -> None:
    """Fold the blocks of a Blocks table that are variants of one class differing only by shortcuts some
    of them lack into one block, whose shortcuts are optional."""
    from archc.importer.blocks import structure, value_codes

    keys = list(table)
    for ka in keys:
        for kb in keys:
            a, b = table.get(ka), table.get(kb)
            if a is None or b is None or a is b or a.cls != b.cls or ka[0] != kb[0] or ka[2] != kb[2]:
                continue
            ua, ub = a.instances[0], b.instances[0]
            sa = skeleton(ua.body, value_codes(ua, False), structure)
            if not mergeable(sa, skeleton(ub.body, value_codes(ub, False), structure)):
                continue
            n = len(a.instances)
            for r in optional_residuals(ua.body, ub.body):
                a.optional[id(r)] = ast.Name("?")
                a.present[id(r)] = a.present.get(id(r), [True] * n) + [False] * len(b.instances)
            for flags in a.present.values():
                flags.extend([True] * (n + len(b.instances) - len(flags)))
            for u in b.instances:
                u.key = a
            a.instances += b.instances
            del table[kb]


def conditions(b: Any, shapes: dict[str, tuple]) -> None:
    """The condition of each optional shortcut, as a default-valued last size parameter where it can be."""
    residuals = {id(it): it for it in walk(b.instances[0].body) if isinstance(it, Residual)}
    ins = [(shapes.get(u.group.inputs[0]) or (None, None))[1] if u.group.inputs else None for u in b.instances]
    for rid, present in b.present.items():
        want = next((it.want for it in walk(residuals[rid].shortcut) if getattr(it, "want", None)), None)
        cond, new = condition(present, b.columns, ins, want)
        if new is not None:
            b.columns.append(new)
            b.defaults[new[0]] = False
        elif isinstance(cond, ast.BinOp) and cond.op == "!=" and isinstance(cond.left, ast.Name) \
                and cond.left.id != "in_channels" and isinstance(cond.right, ast.Num):
            b.defaults.setdefault(cond.left.id, cond.right.value)
        b.optional[rid] = cond
    # parameters with defaults last among the size parameters (value parameters follow, without defaults)
    if b.n_values:
        b.defaults.clear()
    size = sorted(b.columns, key=lambda c: c[0] in b.defaults)
    b.columns = size
    b.params = [p for p, _ in size] + b.params[len(b.params) - b.n_values:]
    b.args = [[col[i] for _, col in size] for i in range(len(b.instances))]
