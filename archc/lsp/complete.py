"""Completion: op names (from the registry), attribute names with their defaults and docs inside an
op's parentheses, a block's parameters inside its call, block names and the names in scope."""

from __future__ import annotations

import re

from lsprotocol import types

from archc import api
from archc.lsp.index import Index
from archc.parser import ast

KEYWORDS = ("input", "expect", "output", "residual", "shortcut", "repeat", "index", "scan", "seq", "concat",
            "branch", "if", "else", "block", "network", "as")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_KWARG = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)")
LOOKBACK = 4000


def open_call(text: str) -> tuple[str, str] | None:
    """(callee, the text after its open parenthesis) when ``text`` ends inside an unclosed call."""
    depth, quote = 0, None
    tail = text[-LOOKBACK:]
    for i in range(len(tail) - 1, -1, -1):
        ch = tail[i]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in ")]":
            depth += 1
        elif ch in "([":
            if depth == 0:
                if ch == "[":
                    return None
                m = _WORD.search(tail[:i].rstrip())
                return (m.group(0), tail[i + 1:]) if m else None
            depth -= 1
        elif ch in "{}":
            return None
    return None


def _ops() -> list[dict]:
    if not hasattr(_ops, "cache"):
        _ops.cache = api.ops()  # type: ignore[attr-defined]
    return _ops.cache  # type: ignore[attr-defined]


def op_entry(op: str) -> dict | None:
    """The registry's reference entry of ``op`` (archc.api.ops), or None for a name that is not an op."""
    return next((e for e in _ops() if e["name"] == op), None)


def argument_index(given: str) -> int:
    """Which argument the cursor is in, after the text ``given`` since the call's parenthesis."""
    depth, n = 0, 0
    for ch in given:
        depth += ch in "([{"
        depth -= ch in ")]}"
        n += ch == "," and depth == 0
    return n


def attribute_items(op: str, given: str) -> list[types.CompletionItem]:
    """``NAME=`` for each attribute of ``op`` (and each alias) not yet given by keyword."""
    entry = op_entry(op)
    if entry is None:
        return []
    used = set(_KWARG.findall(given))
    out = []
    for a in entry["attributes"]:
        names = [a["name"], *a["aliases"]]
        if used & set(names):
            continue
        detail = f"{a['kind']}, {'required' if a['default'] == 'required' else 'default ' + a['default']}"
        doc = a["doc"] + (f" (choices: {', '.join(a['choices'])})" if a["choices"] else "")
        for n in names:
            out.append(types.CompletionItem(label=n, kind=types.CompletionItemKind.Property, detail=detail,
                                            documentation=doc, insert_text=f"{n}=",
                                            sort_text=f"0{len(out):03d}"))
    return out


def choice_items(op: str, attr: str) -> list[types.CompletionItem]:
    """The values an attribute of ``op`` names (``padding=`` -> same, valid), and its default."""
    entry = op_entry(op)
    a = next((a for a in entry["attributes"] if attr in (a["name"], *a["aliases"])), None) if entry else None
    if a is None:
        return []
    out = [types.CompletionItem(label=c, kind=types.CompletionItemKind.EnumMember, detail=f"{op} {a['name']}")
           for c in a["choices"]]
    if a["kind"] == "bool":
        out += [types.CompletionItem(label=v, kind=types.CompletionItemKind.Value) for v in ("true", "false")]
    return out


def _block_params(module: ast.Module | None, name: str, given: str) -> list[types.CompletionItem]:
    from archc.lsp.hover import _all_blocks

    used = set(_KWARG.findall(given))
    for b in _all_blocks(module) if module else []:
        if b.name == name:
            return [types.CompletionItem(label=p.name, kind=types.CompletionItemKind.Property, insert_text=f"{p.name}=",
                                         detail="block parameter" + ("" if p.default is None else ", has a default"))
                    for p in b.params if p.name not in used]
    return []


def complete(text_before: str, line: int, module: ast.Module | None, index: Index | None) -> list[types.CompletionItem]:
    """What may be written at the end of ``text_before`` (the document up to the cursor, on 1-based ``line``)."""
    call = open_call(text_before)
    items: list[types.CompletionItem] = []
    after_eq = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*[A-Za-z_0-9]*$", text_before)
    if call is not None and after_eq:
        return choice_items(call[0], after_eq.group(1)) + _names(line, index)
    if call is not None:
        callee, given = call
        items = attribute_items(callee, given) or _block_params(module, callee, given)
        if items:
            return items + _names(line, index)
    if call is None:
        items += [types.CompletionItem(label=e["name"], kind=types.CompletionItemKind.Function, detail=e["usage"],
                                       documentation=e["doc"]) for e in _ops()]
        items += [types.CompletionItem(label=k, kind=types.CompletionItemKind.Keyword) for k in KEYWORDS]
    return items + _names(line, index)


def _names(line: int, index: Index | None) -> list[types.CompletionItem]:
    if index is None:
        return []
    kinds = {"param": types.CompletionItemKind.Variable, "input": types.CompletionItemKind.Variable,
             "value": types.CompletionItemKind.Reference}
    seen: set[str] = set()
    out = []
    for d in [*index.visible(index.owner_at(line)), *(d for d in index.defs if d.kind == "block")]:
        if d.name in seen:
            continue
        seen.add(d.name)
        out.append(types.CompletionItem(label=d.name, kind=kinds.get(d.kind, types.CompletionItemKind.Module),
                                        detail=d.kind))
    return out
