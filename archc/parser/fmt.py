"""Print a parsed spec back as DSL (YAML: fmt_yaml.py), keeping its `#` comments.

Comments are kept by line: one on the line(s) of a statement stays after that
statement; one above a statement stays above it.
"""

from __future__ import annotations

import dataclasses
import json
import re

from archc.parser import ast

_PREC = {"or": -3, "and": -2, "==": 0, "!=": 0, "<": 0, "<=": 0, ">": 0, ">=": 0,
         "+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "%": 2}


def expr_text(e: ast.Expr, prec: int = -10) -> str:
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
    if isinstance(e, ast.Func) and e.fn == "not":
        text = "not " + expr_text(e.args[0], -1)
        return f"({text})" if prec > -1 else text
    if isinstance(e, ast.Func):
        return f"{e.fn}({', '.join(expr_text(a) for a in e.args)})"
    if isinstance(e, ast.BinOp):
        if e.op == "-" and isinstance(e.left, ast.Num) and e.left.value == 0 and e.left.span == e.span:
            return "-" + expr_text(e.right, 3)
        p = _PREC[e.op]
        text = f"{expr_text(e.left, p)} {e.op} {expr_text(e.right, p + 1)}"
        return f"({text})" if p < prec else text
    raise TypeError(e)


def _shape(dims: tuple) -> str:
    return "[" + ", ".join(expr_text(d) for d in dims) + "]"


def label_text(name: str) -> str:
    """An ``as`` label as the DSL writes it: a bare name or digits, else a quoted string."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+", name):  # the grammar's NAME and INT: ASCII only
        return name
    return json.dumps(name, ensure_ascii=False)


def _alias(name: str | None) -> str:
    return f" as {label_text(name)}" if name is not None else ""


def _args(args: tuple[ast.Arg, ...]) -> str:
    return ", ".join(expr_text(a.value) if a.name is None else f"{a.name}={expr_text(a.value)}" for a in args)


class _Comments:
    def __init__(self, comments: list[tuple[int, str]], merge: bool = False) -> None:
        self.pending = sorted(comments)
        self.merge = merge  # join one-layer statements into chains (YAML input)
        self.values: set[str] = set()  # names of values in the definition being printed

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
    kw = "network" if isinstance(d, ast.Network) else ("seq" if d.indexed else "block")
    params = ""
    if d.params:
        params = "(" + ", ".join(p.name if p.default is None else f"{p.name}={expr_text(p.default)}"
                                 for p in d.params) + ")"
    head = f"{pad}{kw} {d.name}{params} {{"
    outer, c.values = c.values, {"in", *_value_names(d.params), *_value_names(d.body)}
    body = _dsl_body(d.body, c, depth + 1)
    c.values = outer
    return [head, *body, f"{pad}}}"]


def _merge_chains(stmts: tuple, width: int, commented: set[int], values: set[str]) -> list:
    """Join runs of one-layer statements (as YAML gives them) into `a -> b -> c` chains; a statement
    with a comment on its line ends its chain, so that the comment stays beside it, and a statement
    that starts from a named value (a reference, `skip -> concat(up)`) starts a chain of its own."""
    out: list = []
    for s in stmts:
        prev = out[-1] if out else None
        plain = isinstance(s, ast.Chain) and all(isinstance(i, ast.Call) for i in s.items) \
            and not _is_reference(s.items[0], values)
        ends = prev is not None and prev.span is not None and \
            any(ln in commented for ln in range(prev.span.line, (prev.span.end_line or prev.span.line) + 1))
        if (plain and not ends and isinstance(prev, ast.Chain) and prev.expect is None
                and all(isinstance(i, ast.Call) for i in prev.items)
                and len(_dsl_chain(prev, _Comments([]), 0)[0]) + len(_dsl_chain(s, _Comments([]), 0)[0]) + 4 <= width):
            span = prev.span if prev.span is None or s.span is None else \
                type(prev.span)(prev.span.file, prev.span.line, prev.span.column, s.span.end_line, s.span.end_column)
            out[-1] = ast.Chain(prev.items + s.items, s.expect, span, s.expect_span)
        else:
            out.append(s)
    return out


def _is_reference(item: ast.Call, values: set[str]) -> bool:
    return not item.args and not item.has_parens and item.name is None and item.op in values


def _value_names(node: object) -> set[str]:
    """Every name a definition can refer to as a value: its parameters, inputs and `as` labels."""
    if isinstance(node, tuple | list):
        return set().union(*map(_value_names, node)) if node else set()
    if not dataclasses.is_dataclass(node):
        return set()
    own = {node.name} if isinstance(node, ast.Call | ast.Input | ast.Param) and isinstance(node.name, str) else set()
    return own.union(*(_value_names(getattr(node, f.name)) for f in dataclasses.fields(node)))


def _dsl_body(stmts: tuple, c: _Comments, depth: int) -> list[str]:
    pad = "  " * depth
    out: list[str] = []
    if c.merge:
        stmts = _merge_chains(stmts, 88 - 2 * depth, {ln for ln, _ in c.pending}, c.values)
    for s in stmts:
        out.extend(pad + t for t in c.before(_line(s.span)))
        if isinstance(s, ast.BlockDef):
            out.extend(_dsl_def(s, c, depth))
        elif isinstance(s, ast.Input):
            out.append(f"{pad}input {s.name}: {_shape(s.shape)}" + c.on(s.span))
        elif isinstance(s, ast.Output):
            out.append(f"{pad}output {', '.join(s.names)}" + c.on(s.span))
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
            lines[-1] += text + _alias(it.name)
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
    if isinstance(it, ast.If):
        lines = [f"if {expr_text(it.cond)} {{", *_dsl_body(it.body, c, depth + 1)]
        if it.orelse is not None:
            lines += [f"{pad}}} else {{", *_dsl_body(it.orelse, c, depth + 1)]
        return [*lines, f"{pad}}}"]
    alias = _alias(it.name)
    if isinstance(it, ast.Branches):
        args = f"({_args(it.args)})" if it.args else ""
        lines = [f"concat{args}{alias} {{"]
        for branch in it.branches:
            lines.append(f"{pad}  branch {{")
            lines.extend(_dsl_body(branch, c, depth + 2))
            lines.append(f"{pad}  }}")
        lines.append(f"{pad}}}")
        return lines
    if isinstance(it, ast.Residual):
        head = f"residual{alias} {{"
    elif isinstance(it, ast.Repeat):
        index = f" index {it.index}" if it.index else ""
        head = f"repeat {expr_text(it.count)}{index}{alias} {{"
    elif isinstance(it, ast.Seq):
        head = f"seq{alias} {{"
    else:
        head = f"scan({_args(it.args)}){alias} {{"
    lines = [head]
    lines.extend(_dsl_body(it.body, c, depth + 1))
    if isinstance(it, ast.Residual) and it.shortcut is not None:
        lines.append(f"{pad}}} shortcut {{")
        lines.extend(_dsl_body(it.shortcut, c, depth + 1))
    lines.append(f"{pad}}}")
    return lines
