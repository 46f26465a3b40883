"""Hover text and inlay hints, as Markdown and plain text, from archc.api's answers."""

from __future__ import annotations

from typing import Any

from archc import api
from archc.dims import shape_str
from archc.errors import ArchcError
from archc.lsp.analysis import Analysis
from archc.lsp.index import Index, Occurrence
from archc.parser import ast

MAX_INSTANCES = 4


def _count(n: Any) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


def _rf(rf: tuple | None) -> str:
    return "×".join(str(r) for r in rf) if rf else ""


def instances(a: Analysis, line: int, column: int) -> list[tuple[str, api.Written, api.Written | None]]:
    """Each network's instances of the item written at ``line:column``: (network, symbolic, concrete)."""
    out = []
    for net, typed in a.typed.items():
        concrete = {w.name: w for w in api.written_at(a.concrete[net], line, column)} if net in a.concrete else {}
        out += [(net, w, concrete.get(w.name)) for w in api.written_at(typed, line, column)]
    return out


def _explain(a: Analysis, net: str, name: str) -> str:
    typed = a.concrete.get(net) or a.typed[net]
    try:
        text = api.explain(typed, layers=[name]).text()
    except ArchcError:
        return ""
    body = [ln for ln in text.splitlines()[1:] if ln.strip()]
    return "\n".join(body[1:]) if len(body) > 1 else ""


def item_hover(a: Analysis, item: Any) -> str | None:
    """The layer's (or group's) shape, parameters, MACs, receptive field and formulas; then the op's reference."""
    if item.span is None:
        return None
    found = instances(a, item.span.line, item.span.column)
    parts: list[str] = []
    for net, w, c in found[:MAX_INSTANCES]:
        what = w.label if w.kind == "layer" else f"{w.kind} {w.label}"
        head = f"**{w.name}** ({what}{', ' + net if len(a.typed) > 1 else ''}) → `{shape_str(w.shape)}`"
        if c is not None and c.shape != w.shape:
            given = next(iter(a.concrete[net].input_shapes.values()))
            head += f", at input {shape_str(given)}: `{shape_str(c.shape)}`"
        facts = [f"params {_count(w.params)}", f"MACs {_count((c or w).macs)} per sample"]
        if (c or w).receptive_field:
            facts.append(f"receptive field {_rf((c or w).receptive_field)}")
        parts.append(head + "  \n" + " · ".join(facts))
        if w.kind == "layer" and len(found) == 1:
            formulas = _explain(a, net, w.name)
            if formulas:
                parts.append("```\n" + formulas + "\n```")
    if len(found) > MAX_INSTANCES:
        parts.append(f"… and {len(found) - MAX_INSTANCES} more instances")
    ref = op_hover(item.op) if isinstance(item, ast.Call) else None
    if ref:
        parts.append(ref)
    return "\n\n".join(parts) or None


def op_hover(name: str) -> str | None:
    """An op's reference entry from the registry: usage, what it does, its shapes and output size."""
    try:
        entries = api.ops(name)
    except ArchcError:
        return None
    if not entries:
        return None
    e = entries[0]
    lines = [f"`{e['usage']}`", "", e["doc"] or "", "", f"shapes: `{e['shapes']}`" if e["shapes"] else ""]
    if e["output_size"]:
        lines.append(f"output size: `{e['output_size']}`")
    return "\n".join(ln for ln in lines if ln is not None).strip()


def name_hover(a: Analysis, index: Index, d: Occurrence) -> str | None:
    """What a name is: a block's parameters, a parameter's value, an input's or a named value's shape."""
    if d.kind == "block" and a.module:
        for b in _all_blocks(a.module):
            if b.name == d.name:
                params = ", ".join(p.name for p in b.params)
                return f"block **{b.name}**({params})"
    if d.kind == "network" and d.name in a.typed:
        t = a.typed[d.name]
        outs = ", ".join(shape_str(s) for s in t.output_shapes)
        return f"network **{d.name}**: {_count(t.total_params)} params → `{outs}`"
    for net, t in a.typed.items():
        g = t.graph
        if d.kind == "param" and d.name in g.params:
            return f"parameter **{d.name}** = `{g.params[d.name]}` (in {net})"
        if d.kind in ("input", "value") and d.name in t.shapes:
            return f"**{d.name}** → `{shape_str(t.shapes[d.name])}`"
    return f"{d.kind} **{d.name}**"


def _all_blocks(module: ast.Module) -> list[ast.BlockDef]:
    out, todo = [], [*module.blocks, *(s for n in module.networks for s in n.body if isinstance(s, ast.BlockDef))]
    while todo:
        b = todo.pop(0)
        out.append(b)
        todo += [s for s in b.body if isinstance(s, ast.BlockDef)]
    return out


def chain_hints(a: Analysis) -> list[tuple[int, int, str]]:
    """(line, column after the text, label) for each chain of a network that has no written expectation:
    the chain's output shape, at the end of its last line."""
    out = []
    lines = a.text.splitlines()
    for net in a.module.networks if a.module else []:
        if net.name not in a.typed:
            continue
        for s in net.body:
            if not isinstance(s, ast.Chain) or s.expect is not None or not s.items or s.items[-1].span is None:
                continue
            last = s.items[-1].span
            found = api.written_at(a.typed[net.name], last.line, last.column)
            if not found:
                continue
            line = s.span.end_line if s.span and s.span.end_line else last.line
            if not 1 <= line <= len(lines):
                continue
            text = lines[line - 1]
            comment = text.find("#")
            end = len(text[:comment].rstrip()) if comment >= 0 else len(text.rstrip())
            out.append((line, end + 1, f": {shape_str(found[-1].shape)}"))
    return out
