"""Print a parsed spec as YAML (the form yaml_loader.py reads), keeping its `#` comments."""

from __future__ import annotations

import json

from yaml.reader import Reader

from archc.errors import Span, SpecError
from archc.parser import ast
from archc.parser.fmt import _Comments, _line, expr_text

NON_PRINTABLE = Reader.NON_PRINTABLE  # what a YAML stream may not hold
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def _printable_comments(module: ast.Module) -> None:
    """Refuse, at the character, a comment YAML cannot hold (a control character)."""
    lines = module.source.splitlines()
    for ln, text in module.comments:
        bad = NON_PRINTABLE.search(text)
        if bad:
            col = (lines[ln - 1].find(text) if ln <= len(lines) else 0) + bad.start() + 1
            raise SpecError(f"the comment holds the character {bad.group()!r}, which YAML cannot hold",
                            Span(module.file, ln, col), hint="remove it from the comment, or keep the spec as .arch",
                            source=module.source)


def _yv(e: ast.Expr) -> str:
    """An expression as a YAML flow value."""
    if isinstance(e, ast.Num):
        return expr_text(e)
    if isinstance(e, ast.Name):
        return json.dumps(e.id) if e.id.lower() in _YAML_WORDS else e.id
    if isinstance(e, ast.Tuple):
        return "[" + ", ".join(_yv(x) for x in e.items) + "]"
    return json.dumps(expr_text(e))


def _key(name: str) -> str:
    """A mapping key: quoted when YAML would read it as something other than the string."""
    return name if name.isidentifier() and name.lower() not in _YAML_WORDS else json.dumps(name)


def _label(name: str) -> str:
    return name if name.isidentifier() and name.lower() not in _YAML_WORDS else json.dumps(name)


def _yargs(it: ast.Call | ast.Scan | ast.Branches) -> str:
    pos = [a for a in it.args if a.name is None]
    kw = [a for a in it.args if a.name is not None]
    kw_text = "{" + ", ".join(f"{_key(a.name)}: {_yv(a.value)}" for a in kw) + "}"
    if not pos:
        return kw_text if kw else ("[]" if getattr(it, "has_parens", False) else "")
    items = [_yv(a.value) for a in pos] + ([kw_text] if kw else [])
    if len(items) == 1 and not isinstance(pos[0].value, ast.Tuple):
        return items[0]
    return "[" + ", ".join(items) + "]"


def _params(params: tuple[ast.Param, ...]) -> str:
    return "{" + ", ".join(f"{_key(p.name)}: {_yv(p.default) if p.default else 'null'}" for p in params) + "}"


def _block(b: ast.BlockDef, c: _Comments, depth: int) -> list[str]:
    pad = "  " * depth
    out = [pad + t for t in c.before(_line(b.span))]
    out.append(f"{pad}{_key(b.name)}:")
    if b.params:
        out.append(f"{pad}  params: {_params(b.params)}")
    if b.indexed:
        out.append(f"{pad}  seq: true")
    nested = [s for s in b.body if isinstance(s, ast.BlockDef)]
    if nested:
        out.append(f"{pad}  blocks:")
        for n in nested:
            out.extend(_block(n, c, depth + 2))
    out.append(f"{pad}  layers:")
    out.extend(_yaml_layers(b.body, c, depth + 2))
    return out


def to_yaml(module: ast.Module) -> str:
    """The module as YAML (one document per network; shared blocks copied into each)."""
    _printable_comments(module)
    docs = []
    start = 0
    for k, net in enumerate(module.networks):
        last = k == len(module.networks) - 1
        end = (net.span.end_line or net.span.line) if net.span and not last else 10**9
        c = _Comments([(ln, t) for ln, t in module.comments if start < ln <= end])
        start = end
        out = c.before(_line(net.span))
        out.append(f"network: {net.name}")
        if net.params:
            out.append(f"params: {_params(net.params)}")
        blocks = [*module.blocks, *[s for s in net.body if isinstance(s, ast.BlockDef)]]
        if blocks:
            out.append("blocks:")
            for b in blocks:
                out.extend(_block(b, c, 1))
        inputs = [s for s in net.body if isinstance(s, ast.Input)]
        if inputs:
            out.append("input:")
            for s in inputs:
                out.extend("  " + t for t in c.before(_line(s.span)))
                out.append(f"  {_key(s.name)}: [{', '.join(_yv(d) for d in s.shape)}]" + c.on(s.span))
        out.append("layers:")
        out.extend(_yaml_layers(tuple(s for s in net.body if isinstance(s, ast.Chain)), c, 1))
        names = [n for s in net.body if isinstance(s, ast.Output) for n in s.names]
        if names:
            out.append(f"output: {names[0]}" if len(names) == 1 else f"output: [{', '.join(names)}]")
        expects = [s for s in net.body if isinstance(s, ast.Expect)]
        if expects:
            out.append("expect:")
            for s in expects:
                out.extend("  " + t for t in c.before(_line(s.span)))
                value = _yv(s.value) if s.cmp == "==" else json.dumps(f"{s.cmp} {expr_text(s.value)}")
                out.append(f"  - {s.what}: {value}" + c.on(s.span))
        out.extend(c.rest())
        docs.append("\n".join(out))
    return "\n---\n".join(docs) + "\n"


def _yaml_layers(stmts: tuple, c: _Comments, depth: int) -> list[str]:
    pad = "  " * depth
    out: list[str] = []
    for s in stmts:
        if not isinstance(s, ast.Chain):
            continue
        out.extend(pad + t for t in c.before(_line(s.span)))
        trailing = c.on(s.span) if s.span and s.span.line == (s.span.end_line or s.span.line) else ""
        for i, it in enumerate(s.items):
            out.extend(_yaml_item(it, c, depth, i == len(s.items) - 1 and s.expect is not None and s.expect))
        if trailing:
            out[-1] += trailing
    return out


def _yaml_item(it: ast.Item, c: _Comments, depth: int, expect: tuple | None) -> list[str]:
    pad = "  " * depth
    extra = [f"as: {_label(it.name)}"] if getattr(it, "name", None) is not None else []
    if expect:
        extra.append(f"expect: [{', '.join(_yv(d) for d in expect)}]")
    if isinstance(it, ast.Call):
        args = _yargs(it)
        head = it.op if not args and not extra else f"{it.op}: {args or 'null'}"
        return [f"{pad}- {head}", *(f"{pad}  {e}" for e in extra)]
    if isinstance(it, ast.Residual):
        out = [f"{pad}- residual:", *_yaml_layers(it.body, c, depth + 2)]
        if it.shortcut is not None:
            out += [f"{pad}  shortcut:", *_yaml_layers(it.shortcut, c, depth + 2)]
        return out + [f"{pad}  {e}" for e in extra]
    if isinstance(it, ast.Branches):
        out = [f"{pad}- concat: {_yargs(it) or 'null'}", *(f"{pad}  {e}" for e in extra), f"{pad}  branches:"]
        for branch in it.branches:
            body = _yaml_layers(branch, c, depth + 3)
            out += [f"{pad}    -" + (" []" if not body else ""), *body]
        return out
    if isinstance(it, ast.If):
        out = [f"{pad}- if: {json.dumps(expr_text(it.cond))}", f"{pad}  then:", *_yaml_layers(it.body, c, depth + 2)]
        if it.orelse is not None:
            out += [f"{pad}  else:", *_yaml_layers(it.orelse, c, depth + 2)]
        return out
    if isinstance(it, ast.Repeat):
        head = f"repeat: {_yv(it.count)}"
        extra = ([f"index: {it.index}"] if it.index else []) + extra
    elif isinstance(it, ast.Seq):
        head = "seq: null"
    else:
        head = f"scan: {_yargs(it)}"
    return [f"{pad}- {head}", *(f"{pad}  {e}" for e in extra), f"{pad}  layers:", *_yaml_layers(it.body, c, depth + 2)]
