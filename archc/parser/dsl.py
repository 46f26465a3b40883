"""The DSL front end: spec text -> :class:`archc.parser.ast.Module` (via lark)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lark import Lark, v_args
from lark.exceptions import UnexpectedInput, VisitError
from lark.visitors import Transformer_NonRecursive

from archc import limits
from archc.errors import ArchcError, Span, SpecSyntaxError
from archc.parser import ast
from archc.parser.bounds import check_nesting, comment_start, too_deep
from archc.parser.syntax import syntax_error

GRAMMAR = Path(__file__).with_name("grammar.lark")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR.read_text(), parser="lalr", propagate_positions=True, start=["start", "expr"],
                lexer="contextual", maybe_placeholders=True)


def parse_dsl(text: str, file: str = "<string>") -> ast.Module:
    """Parse DSL text into a Module; a syntax error raises one SpecSyntaxError."""
    parser = _parser()
    check_nesting(text, file)
    try:
        module = _ToAst(file).transform(parser.parse(text, start="start"))
    except UnexpectedInput as e:
        raise syntax_error(e, text, file, parser) from None
    except VisitError as e:
        if isinstance(e.orig_exc, ArchcError):
            raise e.orig_exc.with_span(None, text) from None
        if isinstance(e.orig_exc, RecursionError):
            raise too_deep(text, file) from None
        raise
    except RecursionError:
        raise too_deep(text, file) from None
    module.file, module.source, module.comments = file, text, scan_comments(text)
    ast.check_unique_networks(module)
    return module


def parse_expression(text: str, file: str) -> ast.Expr:
    """One expression (a YAML value, a --set value); lark's parse errors propagate, anything else
    is a located SpecSyntaxError."""
    check_nesting(text, file)
    tree = _parser().parse(text, start="expr")
    try:
        return _ToAst(file).transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, ArchcError):
            raise e.orig_exc.with_span(None, text) from None
        if isinstance(e.orig_exc, RecursionError):
            raise too_deep(text, file) from None
        raise


def scan_comments(text: str) -> list[tuple[int, str]]:
    """The `#` comments of a text that parsed, as (line, text), for `fmt` to keep."""
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        pos = comment_start(line)
        if pos is not None:
            out.append((lineno, line[pos:].rstrip()))
    return out


def _span(file: str, meta_or_token: object) -> Span | None:
    m = meta_or_token
    line = getattr(m, "line", None)
    if line is None:
        return None
    return Span(file, line, m.column, getattr(m, "end_line", None), getattr(m, "end_column", None))


@v_args(meta=True)
class _ToAst(Transformer_NonRecursive):
    """lark Tree -> AST; rule names here are exactly the grammar's rules and aliases. Not recursive,
    so that a long flat expression (``1+1+...+1``) is refused by its depth, not by Python's stack."""

    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file
        self.depths: dict[int, int] = {}  # id of an expression node -> its depth

    def _expr(self, node: ast.Expr, meta: object) -> ast.Expr:
        kids = [getattr(node, "left", None), getattr(node, "right", None), *getattr(node, "args", ()),
                *getattr(node, "items", ())]
        depth = 1 + max((self.depths.get(id(k), 0) for k in kids if k is not None), default=0)
        if depth > limits.limit("nesting"):
            raise SpecSyntaxError(f"the expression is nested more than {limits.limit('nesting')} deep (each "
                                  "operator nests)", self._s(meta), hint=limits.hint("nesting"))
        self.depths[id(node)] = depth
        return node

    def _s(self, meta: object) -> Span | None:
        return _span(self.file, meta)

    # -- file, networks, blocks
    def start(self, meta, children):
        m = ast.Module(self.file, "")
        for c in children:
            (m.networks if isinstance(c, ast.Network) else m.blocks).append(c)
        return m

    def network(self, meta, c):
        name, params, body = c[0], c[1], c[2:]
        ast.check_unique_params("network", str(name), tuple(params or ()))
        return ast.Network(str(name), tuple(params or ()), tuple(body), self._s(meta))

    def block_def(self, meta, c):
        name, params, body = c[0], c[1], c[2:]
        ast.check_unique_params("block", str(name), tuple(params or ()))
        return ast.BlockDef(str(name), tuple(params or ()), tuple(body), self._s(meta))

    def seq_def(self, meta, c):
        name, params, body = c[0], c[1], c[2:]
        ast.check_unique_params("block", str(name), tuple(params or ()))
        return ast.BlockDef(str(name), tuple(params or ()), tuple(body), self._s(meta), indexed=True)

    def param_list(self, meta, c):
        return [p for p in c if p is not None]

    def param(self, meta, c):
        return ast.Param(str(c[0]), c[1] if len(c) > 1 else None, self._s(meta))

    # -- statements
    def input_stmt(self, meta, c):
        return ast.Input(str(c[0]), c[1].dims, self._s(meta))

    def output_stmt(self, meta, c):
        return ast.Output(tuple(str(x) for x in c), self._s(meta))

    def expect_stmt(self, meta, c):
        return ast.Expect(str(c[0]), str(c[1]), c[2], self._s(meta))

    def chain_stmt(self, meta, c):
        shape = c[-1] if c and isinstance(c[-1], _Shape) else None
        items = [x for x in c if not isinstance(x, _Shape) and x is not None]
        return ast.Chain(tuple(items), shape.dims if shape else None, self._s(meta),
                         shape.span if shape else None)

    def shape(self, meta, c):
        return _Shape(tuple(x for x in c if x is not None), self._s(meta))

    # -- items
    def call(self, meta, c):
        name, args, alias = c
        return ast.Call(str(name), tuple(args or ()), alias, self._s(meta), has_parens=args is not None)

    def label(self, meta, c):
        tok = c[0]
        return str(tok)[1:-1] if tok.type == "STRING" else str(tok)

    def concat(self, meta, c):
        args, alias, *branches = c
        branches = [b for b in branches if b is not None]
        if not branches:
            return ast.Call("concat", tuple(args or ()), alias, self._s(meta), has_parens=args is not None)
        return ast.Branches(tuple(args or ()), tuple(b.body for b in branches), alias, self._s(meta))

    def branch(self, meta, c):
        return _Shortcut(tuple(c))

    def if_item(self, meta, c):
        cond, *body = c
        orelse = body.pop() if body and (body[-1] is None or isinstance(body[-1], _Shortcut)) else None
        return ast.If(cond, tuple(body), orelse.body if orelse else None, self._s(meta))

    def else_part(self, meta, c):
        return _Shortcut(tuple(c))

    def compare(self, meta, c):
        return self._expr(ast.BinOp(str(c[1]), c[0], c[2], self._s(meta)), meta)

    def or_(self, meta, c):
        return self._expr(ast.BinOp("or", c[0], c[1], self._s(meta)), meta)

    def and_(self, meta, c):
        return self._expr(ast.BinOp("and", c[0], c[1], self._s(meta)), meta)

    def not_(self, meta, c):
        return self._expr(ast.Func("not", (c[0],), self._s(meta)), meta)

    def seq(self, meta, c):
        alias, *body = c
        return ast.Seq(tuple(body), alias, self._s(meta))

    def args(self, meta, c):
        return [a for a in c if a is not None]

    def arg(self, meta, c):
        if len(c) == 2:
            return ast.Arg(str(c[0]), c[1], self._s(meta))
        return ast.Arg(None, c[0], self._s(meta))

    def residual(self, meta, c):
        alias, *body = c
        shortcut = body.pop() if body and (body[-1] is None or isinstance(body[-1], _Shortcut)) else None
        return ast.Residual(tuple(body), shortcut.body if shortcut else None, alias, self._s(meta))

    def shortcut(self, meta, c):
        return _Shortcut(tuple(c))

    def repeat(self, meta, c):
        count, index, alias, *body = c
        return ast.Repeat(count, tuple(body), alias, self._s(meta), str(index) if index else None)

    def scan(self, meta, c):
        args, alias, *body = c
        return ast.Scan(tuple(args or ()), tuple(body), alias, self._s(meta))

    # -- expressions
    def int(self, meta, c):
        digits = c[0].lstrip("0")
        if len(digits) > limits.MAX_DIGITS:  # never a size, and int() of thousands of digits is refused
            raise SpecSyntaxError(f"the number has {len(digits):,} digits; archc accepts integers below "
                                  f"10^{limits.MAX_DIGITS}", self._s(c[0]))
        return ast.Num(int(c[0]), self._s(c[0]))

    def float(self, meta, c):
        return ast.Num(float(c[0]), self._s(c[0]))

    def true(self, meta, c):
        return ast.Num(True, self._s(meta))

    def false(self, meta, c):
        return ast.Num(False, self._s(meta))

    def name(self, meta, c):
        return ast.Name(str(c[0]), self._s(c[0]))

    def string(self, meta, c):
        return ast.Str(str(c[0])[1:-1], self._s(c[0]))

    def func(self, meta, c):
        return self._expr(ast.Func(str(c[0]), tuple(c[1:]), self._s(meta)), meta)

    def tuple(self, meta, c):
        return self._expr(ast.Tuple(tuple(x for x in c if x is not None), self._s(meta)), meta)

    def neg(self, meta, c):
        return self._expr(ast.BinOp("-", ast.Num(0, self._s(meta)), c[0], self._s(meta)), meta)

    def _bin(op):  # noqa: N805 - a factory used in the class body
        def rule(self, meta, c):
            return self._expr(ast.BinOp(op, c[0], c[1], self._s(meta)), meta)
        return rule

    add, sub, mul, div, floordiv, mod = _bin("+"), _bin("-"), _bin("*"), _bin("/"), _bin("//"), _bin("%")


class _Shape:
    def __init__(self, dims: tuple, span: Span | None) -> None:
        self.dims, self.span = dims, span


class _Shortcut:
    def __init__(self, body: tuple) -> None:
        self.body = body


__all__ = ["parse_dsl", "scan_comments"]
