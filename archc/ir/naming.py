"""Names while lowering: naming levels (the future modules) and lexical frames (visible values).

A *level* is a named group: the network, a block instance, a ``seq``, a repeat, a named
residual or concat, a scan. A node's name is its level's path plus a local name: its
``as`` label, else ``<op>_<k>`` (k counts that op in the level, from 1); in an *indexed*
level (a ``seq``, a repeat, a block defined with ``seq``) unnamed layers are numbered 0, 1,
2 like the children of an ``nn.Sequential``. A *frame* is where a statement is lowered:
its level, the parameter values, and the value names it can see.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from archc.errors import Span, SpecError
from archc.ir.values import Context, evaluate
from archc.parser import ast

LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*\Z")
TEMPLATE = re.compile(r"\{([^{}]*)\}")


@dataclass
class Level:
    """A naming level: the local names taken in it and its counters."""

    path: tuple[str, ...]
    indexed: bool
    counters: dict[str, int] = field(default_factory=dict)
    next_index: int = 0
    taken: dict[str, Span | None] = field(default_factory=dict)

    def auto(self, base: str, index: bool = True) -> str:
        """The next automatic local name: an index in an indexed level, else ``base_k``."""
        if self.indexed and index:
            while str(self.next_index) in self.taken:
                self.next_index += 1
            return str(self.next_index)
        k = self.counters.get(base, 0) + 1
        while f"{base}_{k}" in self.taken:
            k += 1
        self.counters[base] = k
        return f"{base}_{k}"

    def full(self, local: str) -> str:
        return ".".join((*self.path, local))

    def claim(self, local: str, span: Span | None) -> str:
        """Take ``local`` in this level (once); returns the full dotted name."""
        if local in self.taken:
            prev = self.taken[local]
            where = f" (first defined at line {prev.line})" if prev is not None else ""
            raise SpecError(f"name '{self.full(local)}' is already used{where}", span)
        self.taken[local] = span
        if self.indexed and local.isdigit():
            self.next_index = max(self.next_index, int(local) + 1)
        return self.full(local)

    def child(self, local: str, indexed: bool) -> Level:
        return Level((*self.path, local), indexed)


@dataclass
class Frame:
    """Where statements are lowered: a level, parameter values, visible values, known blocks."""

    level: Level
    env: dict[str, Any]
    values: ChainMap
    blocks: dict[str, ast.BlockDef]
    shapes: Callable[[str, Span | None], tuple] | None = None  # the shape of a full value name

    @property
    def ctx(self) -> Context:
        """What expressions here can look up: the shapes of the values visible here."""
        if self.shapes is None:
            return Context()
        shapes = self.shapes
        return Context(lambda name, span: shapes(self.lookup(name, span), span))

    def nested(self, level: Level | None = None, env: dict[str, Any] | None = None) -> Frame:
        """A frame that sees this one's values; names it defines stay inside it."""
        return Frame(level or self.level, self.env if env is None else env, self.values.new_child(), self.blocks,
                     self.shapes)

    def define(self, name: str, value: str, span: Span | None) -> None:
        """Make ``name`` refer to the value ``value`` (a full node or input name) from here on."""
        if name in self.values:
            raise SpecError(f"name '{name}' is already used", span)
        self.values[name] = value

    def lookup(self, name: str, span: Span | None, user: str | None = None) -> str:
        if name in self.values:
            return self.values[name]
        from archc.errors import did_you_mean

        who = f"'{user}' refers to" if user else "reference to"
        visible = [k for k in self.values if k.isidentifier()]
        raise SpecError(f"{who} '{name}', which is not defined", span,
                        hint=did_you_mean(name, visible) if visible else "no value is defined here yet")


def resolve_label(name: str | None, frame: Frame, span: Span | None) -> str | None:
    """An ``as`` label with its ``{expr}`` parts filled in, checked to be a valid local name."""
    if name is None:
        return None
    text = name
    if "{" in name:
        text = TEMPLATE.sub(lambda m: _fill(m.group(1), frame, span), name)
    if not LABEL.match(text):
        raise SpecError(f"'{text}' cannot name a layer: use letters, digits, '_' and '-' (no dots or spaces)", span)
    return text


def _fill(expr_text: str, frame: Frame, span: Span | None) -> str:
    from lark.exceptions import LarkError

    from archc.parser.dsl import _parser, _ToAst

    try:
        expr = _ToAst(span.file if span else "<label>").transform(_parser().parse(expr_text, start="expr"))
    except LarkError:
        raise SpecError(f"cannot read {{{expr_text}}} in a layer label", span) from None
    value = evaluate(expr, frame.env, ctx=frame.ctx)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SpecError(f"{{{expr_text}}} in a layer label must be an integer or a name, got {value!r}", span)
    return str(value)
