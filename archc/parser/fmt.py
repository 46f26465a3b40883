"""Print a parsed spec back as DSL or YAML, keeping its `#` comments.

Comments are kept by line: one on the line(s) of a statement stays after that
statement; one above a statement stays above it.
"""

from __future__ import annotations

import json

from archc.parser import ast

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2}


def expr_text(e: ast.Expr, prec: int = 0) -> str:
    """An expression as DSL text, with only the parentheses it needs."""
    if isinstance(e, ast.Num):
        if isinstance(e.value, bool):
            return "true" if e.value else "false"
        return repr(e.value)
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Str):
        return json.dumps(e.value)
    if isinstance(e, ast.Tuple):
        inner = ", ".join(expr_text(x) for x in e.items)
        return f"({inner},)" if len(e.items) == 1 else f"({inner})"
    if isinstance(e, ast.Func):
        return f"{e.fn}({expr_text(e.arg)})"
    if isinstance(e, ast.BinOp):
        if e.op == "-" and isinstance(e.left, ast.Num) and e.left.value == 0 and e.left.span == e.span:
            return "-" + expr_text(e.right, 3)
        p = _PREC[e.op]
        text = f"{expr_text(e.left, p)} {e.op} {expr_text(e.right, p + 1)}"
        return f"({text})" if p < prec else text
    raise TypeError(e)


def _shape(dims: tuple) -> str:
    return "[" + ", ".join(expr_text(d) for d in dims) + "]"


def _args(args: tuple[ast.Arg, ...]) -> str:
    return ", ".join(expr_text(a.value) if a.name is None else f"{a.name}={expr_text(a.value)}" for a in args)


class _Comments:
    def __init__(self, comments: list[tuple[int, str]], merge: bool = False) -> None:
        self.pending = sorted(comments)
        self.merge = merge  # join one-layer statements into chains (YAML input)

    def before(self, line: int | None) -> list[str]:
        if line is None:
            return []
        out = [t for ln, t in self.pending if ln < line]
        self.pending = [(ln, t) for ln, t in self.pending if ln >= line]
        return out

    def on(self, span) -> str:
        if span is None:
            return ""
        end = span.end_line or span.line
        out = [t for ln, t in self.pending if span.line <= ln <= end]
        self.pending = [(ln, t) for ln, t in self.pending if not span.line <= ln <= end]
        return ("  " + "  ".join(out)) if out else ""

    def rest(self) -> list[str]:
        out = [t for _, t in self.pending]
        self.pending = []
        return out


def _line(span) -> int | None:
    return span.line if span else None


# -- DSL ---------------------------------------------------------------------------------
def to_dsl(module: ast.Module) -> str:
    """The module as DSL text."""
    c = _Comments(module.comments, merge=module.format == "yaml")
    out: list[str] = []
    tops = sorted([*module.blocks, *module.networks], key=lambda x: (_line(x.span) or 0))
    for i, top in enumerate(tops):
        if i:
            out.append("")
        out.extend(c.before(_line(top.span)))
        out.extend(_dsl_def(top, c, 0))
    out.extend(c.rest())
    return "\n".join(out) + "\n"


def _dsl_def(d: ast.Network | ast.BlockDef, c: _Comments, depth: int) -> list[str]:
    pad = "  " * depth
    kw = "network" if isinstance(d, ast.Network) else "block"
    params = ""
    if d.params:
        params = "(" + ", ".join(p.name if p.default is None else f"{p.name}={expr_text(p.default)}"
                                 for p in d.params) + ")"
    head = f"{pad}{kw} {d.name}{params} {{"
    return [head, *_dsl_body(d.body, c, depth + 1), f"{pad}}}"]


def _merge_chains(stmts: tuple, width: int) -> list:
    """Join runs of one-layer statements (as YAML gives them) into `a -> b -> c` chains."""
    out: list = []
    for s in stmts:
        prev = out[-1] if out else None
        plain = isinstance(s, ast.Chain) and all(isinstance(i, ast.Call) for i in s.items)
        if (plain and isinstance(prev, ast.Chain) and prev.expect is None
                and all(isinstance(i, ast.Call) for i in prev.items)
                and len(_dsl_chain(prev, _Comments([]), 0)[0]) + len(_dsl_chain(s, _Comments([]), 0)[0]) + 4 <= width):
            span = prev.span if prev.span is None or s.span is None else \
                type(prev.span)(prev.span.file, prev.span.line, prev.span.column, s.span.end_line, s.span.end_column)
            out[-1] = ast.Chain(prev.items + s.items, s.expect, span, s.expect_span)
        else:
            out.append(s)
    return out


def _dsl_body(stmts: tuple, c: _Comments, depth: int) -> list[str]:
    pad = "  " * depth
    out: list[str] = []
    if c.merge:
        stmts = _merge_chains(stmts, 88 - 2 * depth)
    for s in stmts:
        out.extend(pad + t for t in c.before(_line(s.span)))
        if isinstance(s, ast.BlockDef):
            out.extend(_dsl_def(s, c, depth))
        elif isinstance(s, ast.Input):
            out.append(f"{pad}input {s.name}: {_shape(s.shape)}" + c.on(s.span))
        elif isinstance(s, ast.Output):
            out.append(f"{pad}output {s.name}" + c.on(s.span))
        elif isinstance(s, ast.Expect):
            out.append(f"{pad}expect {s.what} {s.cmp} {expr_text(s.value)}" + c.on(s.span))
        else:
            out.extend(_dsl_chain(s, c, depth))
    return out


def _dsl_chain(s: ast.Chain, c: _Comments, depth: int) -> list[str]:
    pad = "  " * depth
    lines = [""]
    for i, it in enumerate(s.items):
        if i:
            lines[-1] += " -> "
        if isinstance(it, ast.Call):
            text = it.op + (f"({_args(it.args)})" if it.args or it.has_parens else "")
            lines[-1] += text + (f" as {it.name}" if it.name else "")
        else:
            nested = _dsl_compound(it, c, depth)
            lines[-1] += nested[0]
            lines.extend(nested[1:])
    if s.expect is not None:
        lines[-1] += f" : {_shape(s.expect)}"
    # a single-line chain keeps the comments of its line(s)
    lines[-1] += c.on(s.span) if len(lines) == 1 else ""
    return [pad + lines[0], *lines[1:]]


def _dsl_compound(it: ast.Item, c: _Comments, depth: int) -> list[str]:
    pad = "  " * depth
    alias = f" as {it.name}" if it.name else ""
    if isinstance(it, ast.Residual):
        head = f"residual{alias} {{"
    elif isinstance(it, ast.Repeat):
        head = f"repeat {expr_text(it.count)}{alias} {{"
    else:
        head = f"scan({_args(it.args)}){alias} {{"
    lines = [head]
    lines.extend(_dsl_body(it.body, c, depth + 1))
    if isinstance(it, ast.Residual) and it.shortcut is not None:
        lines.append(f"{pad}}} shortcut {{")
        lines.extend(_dsl_body(it.shortcut, c, depth + 1))
    lines.append(f"{pad}}}")
    return lines


# -- YAML ----------------------------------------------------------------------------------
def _yv(e: ast.Expr) -> str:
    """An expression as a YAML flow value."""
    if isinstance(e, ast.Num):
        return expr_text(e)
    if isinstance(e, ast.Name):
        return e.id if e.id not in ("true", "false", "null", "yes", "no", "on", "off", "y", "n") else json.dumps(e.id)
    if isinstance(e, ast.Tuple):
        return "[" + ", ".join(_yv(x) for x in e.items) + "]"
    return json.dumps(expr_text(e))


def _yargs(it: ast.Call | ast.Scan) -> str:
    pos = [a for a in it.args if a.name is None]
    kw = [a for a in it.args if a.name is not None]
    kw_text = "{" + ", ".join(f"{a.name}: {_yv(a.value)}" for a in kw) + "}"
    if not pos:
        return kw_text if kw else ("[]" if getattr(it, "has_parens", False) else "")
    items = [_yv(a.value) for a in pos] + ([kw_text] if kw else [])
    if len(items) == 1 and not isinstance(pos[0].value, ast.Tuple):
        return items[0]
    return "[" + ", ".join(items) + "]"


def to_yaml(module: ast.Module) -> str:
    """The module as YAML (one document per network; shared blocks copied into each)."""
    docs = []
    start = 0
    for net in module.networks:
        end = (net.span.end_line or net.span.line) if net.span else 10**9
        c = _Comments([(ln, t) for ln, t in module.comments if start < ln <= end])
        start = end
        out = c.before(_line(net.span))
        out.append(f"network: {net.name}")
        if net.params:
            out.append("params: {" + ", ".join(f"{p.name}: {_yv(p.default) if p.default else 'null'}"
                                               for p in net.params) + "}")
        blocks = [*module.blocks, *[s for s in net.body if isinstance(s, ast.BlockDef)]]
        if blocks:
            out.append("blocks:")
            for b in blocks:
                out.extend("  " + t for t in c.before(_line(b.span)))
                out.append(f"  {b.name}:")
                if b.params:
                    out.append("    params: {" + ", ".join(
                        f"{p.name}: {_yv(p.default) if p.default else 'null'}" for p in b.params) + "}")
                out.append("    layers:")
                out.extend(_yaml_layers(b.body, c, 3))
        inputs = [s for s in net.body if isinstance(s, ast.Input)]
        if inputs:
            out.append("input:")
            for s in inputs:
                out.extend("  " + t for t in c.before(_line(s.span)))
                out.append(f"  {s.name}: [{', '.join(_yv(d) for d in s.shape)}]" + c.on(s.span))
        out.append("layers:")
        out.extend(_yaml_layers(tuple(s for s in net.body if isinstance(s, ast.Chain)), c, 1))
        for s in net.body:
            if isinstance(s, ast.Output):
                out.append(f"output: {s.name}")
        expects = [s for s in net.body if isinstance(s, ast.Expect)]
        if expects:
            out.append("expect:")
            for s in expects:
                out.extend("  " + t for t in c.before(_line(s.span)))
                value = _yv(s.value) if s.cmp == "==" else json.dumps(f"{s.cmp} {expr_text(s.value)}")
                out.append(f"  {s.what}: {value}" + c.on(s.span))
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
            last = i == len(s.items) - 1
            extra = []
            if it.name:
                extra.append(f"as: {it.name}")
            if last and s.expect is not None:
                extra.append(f"expect: [{', '.join(_yv(d) for d in s.expect)}]")
            if isinstance(it, ast.Call):
                args = _yargs(it)
                head = it.op if not args and not extra else f"{it.op}: {args or 'null'}"
                out.append(f"{pad}- {head}")
                out.extend(f"{pad}  {e}" for e in extra)
            elif isinstance(it, ast.Residual):
                out.append(f"{pad}- residual:")
                out.extend(_yaml_layers(it.body, c, depth + 2))
                if it.shortcut is not None:
                    out.append(f"{pad}  shortcut:")
                    out.extend(_yaml_layers(it.shortcut, c, depth + 2))
                out.extend(f"{pad}  {e}" for e in extra)
            else:
                head = f"repeat: {_yv(it.count)}" if isinstance(it, ast.Repeat) else f"scan: {_yargs(it)}"
                out.append(f"{pad}- {head}")
                out.extend(f"{pad}  {e}" for e in extra)
                out.append(f"{pad}  layers:")
                out.extend(_yaml_layers(it.body, c, depth + 2))
        if trailing:
            out[-1] += trailing
    return out
