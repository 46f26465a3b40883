"""A group's items -> statements: chains joined with ->, and the joins the language writes itself.

An ``add`` whose two inputs are chains from one value is a ``residual { } shortcut { }`` (where the model
runs the first chain first); a ``cat`` of chains from one value is ``concat { branch { } ... }``; ``mul``
of a chain from a value by that value is ``... -> mul(v)`` (a gate). Each input's chain walks back while
a value has one reader. Joins are folded inner first, so a residual inside a branch is one item of that
branch. Other joins read named values: ``add(v)``, ``concat(a, b)``.
"""

from __future__ import annotations

from typing import Any

from archc.importer.draft import Concat, Layer, Residual, Stmt
from archc.importer.flat import Op

JOINS = ("add", "mul", "concat")


class _Item:
    """An item of the group being decompiled: what it reads and makes, and the draft it becomes."""

    def __init__(self, draft: Any, inputs: list[str], value: str, shape: tuple | None = None) -> None:
        self.draft, self.inputs, self.value, self.shape = draft, list(inputs), value, shape
        self.gate: list | None = None  # a gate: chain items before the mul


def statements(items: list[_Item], first: str | None, output: str, shapes: dict[str, tuple]) -> list[Stmt]:
    """The statements computing ``output`` from ``first`` (and named values) with ``items``."""
    items = _fold(items, output, shapes)
    return _emit(items, first)


def item(draft: Any, inputs: list[str], value: str) -> _Item:
    return _Item(draft, inputs, value)


def _readers(items: list[_Item], output: str) -> dict[str, int]:
    n: dict[str, int] = {output: 1}
    for it in items:
        for v in it.inputs:
            n[v] = n.get(v, 0) + 1
    return n


def _branch(v: str, made: dict[str, _Item], readers: dict[str, int]) -> tuple[str, list[_Item]]:
    """Walk back from ``v`` while each value has one reader and its maker one input: (start, chain)."""
    chain: list[_Item] = []
    while v in made and readers.get(v, 0) == 1 and len(made[v].inputs) == 1:
        chain.insert(0, made[v])
        v = made[v].inputs[0]
    return v, chain


def _fold(items: list[_Item], output: str, shapes: dict[str, tuple]) -> list[_Item]:
    k = 0
    while k < len(items):
        m = items[k]
        k += 1
        if not (isinstance(m.draft, Layer) and m.draft.op in JOINS and len(m.inputs) >= 2 and m.gate is None):
            continue
        made = {it.value: it for it in items}
        readers = _readers(items, output)
        branches = []
        seen: set[int] = set()
        for v in m.inputs:
            start, chain = _branch(v, made, readers) if m.inputs.count(v) == 1 else (v, [])
            if any(id(c) in seen for c in chain):
                break
            seen.update(id(c) for c in chain)
            branches.append((start, chain))
        starts = {s for s, _ in branches}
        if len(branches) != len(m.inputs) or len(starts) != 1:
            continue
        fork = starts.pop()
        if _shortcut_first(items, [c for _, c in branches]) and m.draft.op == "add":
            continue
        folded = _join(m, fork, [c for _, c in branches], shapes)
        if folded is None:
            continue
        items = [folded if it is m else it for it in items if id(it) not in seen]
        k = items.index(folded) + 1
    return items


def _shortcut_first(items: list[_Item], chains: list[list[_Item]]) -> bool:
    """Whether the model runs the second chain of a sum before the first: a residual lowers its body
    first, so such a sum (RegNet's ``proj(x) + f(x)``) stays ``add(v)`` of named values, in the model's order."""
    return len(chains) == 2 and all(chains) and items.index(chains[1][0]) < items.index(chains[0][0])


def _join(m: _Item, fork: str, chains: list[list[_Item]], shapes: dict[str, tuple]) -> _Item | None:
    op = m.draft.op
    if op == "add" and shapes.get(m.inputs[0]) == shapes.get(m.inputs[1]):
        body, short = chains
        if not body and short:
            body, short = short, body
        draft = Residual(m.value, _emit(body, fork), _emit(short, fork) if short else None)
        return _Item(draft, [fork], m.value)
    if op == "concat":
        return _Item(Concat(m.value, [_emit(c, fork) for c in chains], m.draft.attrs["dim"]), [fork], m.value)
    if op == "mul" and sum(1 for c in chains if not c) == 1:
        chain = next(c for c in chains if c)
        gate = _Item(Layer("mul", {}, m.value, [fork]), [fork], m.value)
        gate.gate = chain
        return gate
    return None


def _emit(items: list[_Item], first: str | None) -> list[Stmt]:
    out: list[Stmt] = []
    current = first
    for it in items:
        if it.gate is not None:
            for g in it.gate:
                current = _place(out, g, current)
            out[-1].items.append(it.draft)
            current = it.value
            continue
        current = _place(out, it, current)
    return out


def _place(out: list[Stmt], it: _Item, current: str | None) -> str:
    """Append ``it`` to the statements: to the current chain if it reads the chain's value, else a new one."""
    inputs = it.inputs  # in the model's order, even for add and mul: the spec's IR is the model's
    draft = it.draft
    primary = inputs[0]
    if isinstance(draft, Layer) and draft.op in JOINS:
        draft.refs = inputs[1:]
    if primary != current or not out:
        out.append(Stmt([], None if primary == current else primary))
    out[-1].items.append(draft)
    return it.value


def op_item(op: Op, want: str | None, fixed: bool) -> _Item:
    """The item of one op: a Layer reading the op's inputs."""
    return _Item(Layer(op.op, dict(op.attrs), op.name, [], want, fixed), op.inputs, op.name, op.shape)
