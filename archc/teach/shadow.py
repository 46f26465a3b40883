"""Warnings for names that silently change what an input's dims mean.

A network parameter used in an input's shape fixes that dim: ``network varres(N=81)`` with
``input x: [N, 1, H, W]`` makes the batch size 81, not a channel count. A block argument
with the name of a symbolic input dim (``block down(H)`` where the input is ``[N, 1, H, W]``)
hides that dim inside the block. Both are legal, and both are usually a mistake, so archc
warns (one diagnostic each, with the location of the parameter).
"""

from __future__ import annotations

from typing import Any

from archc.errors import ArchcError
from archc.parser import ast

DIM_NAMES = ("N", "D", "H", "W", "L", "T")  # names people give batch, depth, height, width, length, time


class SpecWarning(ArchcError):  # noqa: N818 - a warning, reported like an error
    """Something legal that is usually a mistake; printed as ``file:line:col: warning: ...``."""

    kind = "warning"


def _names(e: Any) -> set[str]:
    if isinstance(e, ast.Name):
        return {e.id}
    if isinstance(e, ast.BinOp):
        return _names(e.left) | _names(e.right)
    if isinstance(e, ast.Func | ast.Tuple):
        return set().union(*map(_names, e.args if isinstance(e, ast.Func) else e.items))
    return set()


def _inputs(stmts: tuple) -> list[ast.Input]:
    return [s for s in stmts if isinstance(s, ast.Input)]


def _blocks(module: ast.Module, stmts: tuple) -> list[ast.BlockDef]:
    """The blocks a network can use: the file's and those defined inside the network or inside blocks."""
    out: list[ast.BlockDef] = []
    todo = [*module.blocks, *(s for s in stmts if isinstance(s, ast.BlockDef))]
    while todo:
        b = todo.pop(0)
        out.append(b)
        todo += [s for s in b.body if isinstance(s, ast.BlockDef)]
    return out


def _shape_text(inp: ast.Input, source: str) -> str:
    lines = source.splitlines()
    if inp.span and 1 <= inp.span.line <= len(lines):
        text = lines[inp.span.line - 1]
        if "[" in text and "]" in text:
            return text[text.index("["):text.index("]") + 1]
    return inp.name


def shadow_warnings(module: ast.Module, network: str | None = None, values: dict | None = None) -> list[SpecWarning]:
    """The warnings for one network of a parsed spec; ``values`` are its parameters' values (for the text)."""
    net = module.network(network)
    values = values or {}
    out: list[SpecWarning] = []
    params = {p.name for p in net.params}
    symbolic: set[str] = set()
    for inp in _inputs(net.body):
        for i, d in enumerate(inp.shape):
            names = _names(d)
            symbolic |= names - params
            for p in net.params:
                if p.name in names and p.name in DIM_NAMES:
                    what = "the batch size" if i == 0 else f"dim {i} of input '{inp.name}'"
                    fixed = f" to {values[p.name]}" if p.name in values else ""
                    out.append(SpecWarning(
                        f"network parameter '{p.name}' is also a dim of input '{inp.name}' "
                        f"{_shape_text(inp, module.source)}: it fixes {what}{fixed}",
                        p.span, source=module.source,
                        hint=f"if {p.name} is not meant to size the input, rename it (e.g. C)" if i == 0 else
                        f"to keep {p.name} a symbolic size, leave it out of the parameters"))
    for b in _blocks(module, net.body):
        for p in b.params:
            if p.name in symbolic:
                out.append(SpecWarning(
                    f"argument '{p.name}' of block '{b.name}' has the name of a dim of the network's input: "
                    f"inside the block, {p.name} means the argument", p.span, source=module.source,
                    hint="rename the argument"))
    return out
