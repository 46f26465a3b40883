"""The spec before it is written: statements of layers, block uses, seqs, residuals and concatenations,
on the model's values. regions.py makes it from a group's items; blocks.py folds instances; write.py names
every layer (as lowering will) and prints it.

    Stmt   := start? Item*            (start: the value the chain begins from; None: the previous output)
    Item   := Layer | Use | Seq | Residual | Concat
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Layer:
    """One registry op: ``op(attrs, refs...)`` making ``value``; ``want`` is the module's name for it."""

    op: str
    attrs: dict[str, Any]
    value: str
    refs: list[str] = field(default_factory=list)  # the values read besides the chain's (add, mul, concat)
    want: str | None = None
    fixed: bool = False  # it owns parameters: it must be called ``want``


@dataclass
class Use:
    """A use of the block made from a custom module (``group``), fed the values ``refs`` beside its input."""

    group: Any
    value: str
    refs: list[str] = field(default_factory=list)
    want: str | None = None
    body: list = field(default_factory=list)  # the instance's statements (folded into its block's)
    key: Any = None  # the block it is an instance of (blocks.py)


@dataclass
class Seq:
    """``seq as want { body }``: a container's children, numbered like nn.Sequential's."""

    value: str
    body: list
    want: str | None = None


@dataclass
class Residual:
    """``residual { body } shortcut { shortcut }``: the sum of two branches from one value."""

    value: str
    body: list
    shortcut: list | None = None


@dataclass
class Concat:
    """``concat(dim) { branch { ... } ... }``: branches from one value, joined."""

    value: str
    branches: list
    dim: int = 1


@dataclass
class Stmt:
    items: list
    start: str | None = None


Item = Layer | Use | Seq | Residual | Concat


def walk(stmts: list) -> Any:
    """Every item of some statements, nested ones after their parent, in order."""
    for s in stmts:
        for it in s.items:
            yield it
            for body in children(it):
                yield from walk(body)


def children(it: Any) -> list[list]:
    """The statement lists inside an item (a use's body is its block's, not walked here)."""
    if isinstance(it, Seq):
        return [it.body]
    if isinstance(it, Residual):
        return [it.body] + ([it.shortcut] if it.shortcut is not None else [])
    if isinstance(it, Concat):
        return list(it.branches)
    return []
