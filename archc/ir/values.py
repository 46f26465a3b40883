"""Evaluation of spec expressions: attribute values, sizes, counts and label templates.

Still an expression language, never Python: numbers, names, ``+ - * / // %``, comparisons
(``== != < <= > >=``) with ``and``, ``or``, ``not`` (for ``if``), tuples, and the functions
below. ``/`` of two integers must divide exactly (else write ``floor(a/b)``);
with a float operand it is a float, for width multipliers (``make_divisible(C * 0.75, 8)``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from archc import dims
from archc.errors import SpecError
from archc.limits import MAX_DIGITS
from archc.parser import ast

FUNCTIONS = ("floor", "ceil", "min", "max", "round", "make_divisible", "channels", "size", "not")


class Context:
    """What an expression may look up beyond parameters: the shapes of named values."""

    def __init__(self, shape_of: Callable[[str, Any], tuple] | None = None) -> None:
        self.shape_of = shape_of


NO_VALUES = Context()


def evaluate(e: ast.Expr, env: dict[str, Any], symbolic: bool = False, ctx: Context = NO_VALUES) -> Any:
    """The value of an expression under ``env``.

    Unknown names become symbolic dims when ``symbolic`` (shapes), else bare
    strings (choices such as ``max``, and references to layers).
    """
    if isinstance(e, ast.Num):
        return _checked(e.value, e)
    if isinstance(e, ast.Str):
        return e.value
    if isinstance(e, ast.Name):
        if e.id in env:
            return env[e.id]
        if e.id == "in_channels" and ctx.shape_of is not None:  # inside a block: channels(in)
            return _shape_query(ast.Func("channels", (ast.Name("in", e.span),), e.span), env, ctx)
        return dims.sym(e.id) if symbolic else e.id
    if isinstance(e, ast.Tuple):
        return tuple(evaluate(x, env, symbolic, ctx) for x in e.items)
    if isinstance(e, ast.Func):
        return _func(e, env, ctx)
    if isinstance(e, ast.BinOp) and e.op in COMPARE | {"and", "or"}:
        return _logic(e, evaluate(e.left, env, False, ctx), evaluate(e.right, env, False, ctx))
    if isinstance(e, ast.BinOp):
        a, b = evaluate(e.left, env, True, ctx), evaluate(e.right, env, True, ctx)
        try:
            return _checked(_binop(e, a, b), e)
        except SpecError as err:  # a limit of dims (terms of a size) is located here
            raise err.with_span(e.span) from None
    raise SpecError(f"cannot evaluate {e!r}")  # pragma: no cover


def _checked(v: Any, e: Any) -> Any:
    """Refuse numbers no size can be: integers of very many digits, infinite or NaN floats."""
    if isinstance(v, bool):
        return v
    if isinstance(v, dims.Expr):
        for _, c in v.terms:
            _checked(c, e)
    if isinstance(v, int) and abs(v) >= 10 ** MAX_DIGITS:
        raise SpecError(f"the number has {len(str(abs(v)))} digits; archc accepts integers below 10^{MAX_DIGITS}",
                        getattr(e, "span", None))
    if isinstance(v, float) and not math.isfinite(v):
        raise SpecError(f"the expression gives {v}, not a finite number", getattr(e, "span", None))
    return v


COMPARE = {"==", "!=", "<", "<=", ">", ">="}


def _logic(e: ast.BinOp, a: Any, b: Any) -> bool:
    """A comparison (of numbers, or == and != of names too), or and/or of truth values."""
    if e.op in ("and", "or"):
        for v in (a, b):
            if not isinstance(v, bool):
                raise SpecError(f"'{e.op}' needs true or false on both sides, got {v!r}", e.span)
        return (a and b) if e.op == "and" else (a or b)
    if isinstance(a, dims.Expr) or isinstance(b, dims.Expr):
        raise SpecError("a symbolic size cannot be compared: the condition depends on the input", e.span)
    if e.op in ("==", "!="):
        return (a == b) == (e.op == "==")
    if not (_is_num(a) and _is_num(b)):
        name = a if isinstance(a, str) else b
        raise SpecError(f"cannot compare {a!r} {e.op} {b!r}: {name!r} is not a number (a symbolic size, or a "
                        f"name without a value); only numbers are ordered", e.span)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[e.op]


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float | dims.Expr) and not isinstance(v, bool)


def _binop(e: ast.BinOp, a: Any, b: Any) -> Any:
    if not (_is_num(a) and _is_num(b)):
        raise SpecError(f"cannot apply '{e.op}' to {a!r} and {b!r}", e.span)
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, dims.Expr) or isinstance(b, dims.Expr):
            raise SpecError("a symbolic size cannot be combined with a float", e.span)
        if e.op in ("/", "//", "%") and b == 0:
            raise SpecError("division by zero", e.span)
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if e.op == "/" else 0,
                "//": a // b if e.op == "//" else 0, "%": a % b if e.op == "%" else 0}[e.op]
    if e.op == "+":
        return a + b
    if e.op == "-":
        return a - b
    if e.op == "*":
        return a * b
    den = _int_divisor(e, b)
    if e.op == "//":
        return dims.floordiv(a, den)
    if e.op == "%":
        if not isinstance(a, int):
            raise SpecError(f"{dims.dim_str(a)} % {den}: the remainder of a symbolic size is not a size", e.span)
        return a % den
    q = dims.exactdiv(a, den)
    if q is None:
        raise SpecError(f"{dims.dim_str(a)} / {den} is not a whole number", e.span,
                        hint=f"write floor({dims.dim_str(a)}/{den}) or ceil(...)")
    return q


def _int_divisor(e: ast.Expr, b: Any) -> int:
    if not isinstance(b, int) or b <= 0:
        raise SpecError(f"can only divide by a positive integer, got {dims.dim_str(b)}", e.span)
    return b


def make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """The multiple of ``divisor`` nearest to v, at least min_value (default: divisor), and never
    more than 10% below v: the channel rounding of MobileNet and EfficientNet."""
    low = divisor if min_value is None else min_value
    out = max(low, int(v + divisor / 2) // divisor * divisor)
    return out + divisor if out < 0.9 * v else out


def _numbers(e: ast.Func, values: list, kinds: tuple = (int, float)) -> list:
    for v in values:
        if isinstance(v, bool) or not isinstance(v, kinds):
            raise SpecError(f"{e.fn}() needs numbers, got {dims.dim_str(v) if _is_num(v) else repr(v)}", e.span)
    return values


def _func(e: ast.Func, env: dict[str, Any], ctx: Context) -> Any:
    if e.fn not in FUNCTIONS:
        raise SpecError(f"unknown function '{e.fn}'", e.span, hint="known: " + ", ".join(FUNCTIONS))
    if e.fn in ("channels", "size"):
        return _shape_query(e, env, ctx)
    if e.fn == "not":
        v = evaluate(e.args[0], env, False, ctx)
        if not isinstance(v, bool):
            raise SpecError(f"'not' needs true or false, got {v!r}", e.span)
        return not v
    if e.fn in ("floor", "ceil"):
        if len(e.args) != 1:
            raise SpecError(f"{e.fn}() takes one argument", e.span)
        return _rounding(e, e.args[0], env, ctx)
    values = [evaluate(a, env, True, ctx) for a in e.args]
    if e.fn in ("min", "max"):
        if not values:
            raise SpecError(f"{e.fn}() needs at least one argument", e.span)
        return (min if e.fn == "min" else max)(_numbers(e, values))
    if e.fn == "round":
        if len(values) != 1:
            raise SpecError("round() takes one argument", e.span)
        (v,) = _numbers(e, values)
        return math.floor(v + 0.5)  # half up, as taught (Python's round() rounds half to even)
    if not 2 <= len(values) <= 3:
        raise SpecError("make_divisible(value, divisor[, min_value]) takes two or three arguments", e.span)
    v, divisor, *low = _numbers(e, values)
    if not isinstance(divisor, int) or divisor < 1 or (low and not isinstance(low[0], int)):
        raise SpecError("make_divisible: the divisor and min_value must be positive integers", e.span)
    return make_divisible(v, divisor, *low)


def _rounding(e: ast.Func, arg: Any, env: dict[str, Any], ctx: Context) -> Any:
    if isinstance(arg, ast.BinOp) and arg.op == "/":
        num = evaluate(arg.left, env, True, ctx)
        den = evaluate(arg.right, env, True, ctx)
        if isinstance(num, float) or isinstance(den, float):
            if isinstance(num, dims.Expr) or isinstance(den, dims.Expr):
                raise SpecError("a symbolic size cannot be combined with a float", arg.span,
                                hint=f"write {e.fn}({dims.dim_str(num)}/{dims.dim_str(den)}) with integers")
            if not (_is_num(num) and _is_num(den)) or den == 0:
                raise SpecError(f"cannot divide {num!r} by {den!r}", arg.span)
            return _round_float(e, num / den)
        if not _is_num(num):
            raise SpecError(f"cannot divide {num!r}", arg.span)
        d = _int_divisor(arg, den)
        return dims.floordiv(num, d) if e.fn == "floor" else dims.ceildiv(num, d)
    v = evaluate(arg, env, True, ctx)
    if not _is_num(v):
        raise SpecError(f"{e.fn}() needs a number, got {v!r}", e.span)
    return _round_float(e, v) if isinstance(v, float) else v


def _round_float(e: ast.Func, v: float) -> int:
    if not math.isfinite(v):
        raise SpecError(f"{e.fn}() of {v} is not a number", e.span)
    return _checked((math.floor if e.fn == "floor" else math.ceil)(v), e)


def _shape_query(e: ast.Func, env: dict[str, Any], ctx: Context) -> Any:
    want = 1 if e.fn == "channels" else 2
    if len(e.args) != want or not isinstance(e.args[0], ast.Name):
        usage = "channels(VALUE)" if e.fn == "channels" else "size(VALUE, DIM)"
        raise SpecError(f"{e.fn}() takes a named value: {usage}", e.span)
    if ctx.shape_of is None:
        raise SpecError(f"{e.fn}() can only be used where layers are built", e.span)
    shape = ctx.shape_of(e.args[0].id, e.span)
    if e.fn == "channels":
        if len(shape) < 2:
            raise SpecError(f"'{e.args[0].id}' has shape {dims.shape_str(shape)}: no channel dim", e.span)
        return shape[1]
    d = evaluate(e.args[1], env, False, ctx)
    if not isinstance(d, int) or isinstance(d, bool) or not -len(shape) <= d < len(shape):
        raise SpecError(f"size(): dim {d!r} is out of range for shape {dims.shape_str(shape)}", e.span)
    return shape[d]


def eval_int(e: ast.Expr, env: dict[str, Any], what: str, ctx: Context = NO_VALUES) -> int:
    v = evaluate(e, env, ctx=ctx)
    if isinstance(v, bool) or not isinstance(v, int):
        raise SpecError(f"{what} must be an integer, got {dims.dim_str(v) if _is_num(v) else repr(v)}",
                        getattr(e, "span", None))
    return v


def eval_dim(e: ast.Expr, env: dict[str, Any], ctx: Context = NO_VALUES) -> Any:
    """A tensor size: an integer or a symbolic expression (names not in ``env`` become symbols)."""
    v = evaluate(e, env, symbolic=True, ctx=ctx)
    if isinstance(v, bool) or not isinstance(v, int | dims.Expr):
        shown = dims.dim_str(v) if isinstance(v, int | float) and not isinstance(v, bool) else repr(v)
        raise SpecError(f"a size must be an integer or a symbolic expression, got {shown}",
                        getattr(e, "span", None))
    return v
