"""Evaluation of spec expressions: attribute values, dims and counts."""

from __future__ import annotations

from typing import Any

from archc import dims
from archc.errors import SpecError
from archc.parser import ast


def evaluate(e: ast.Expr, env: dict[str, Any], symbolic: bool = False) -> Any:
    """The value of an expression under ``env``.

    Unknown names become symbolic dims when ``symbolic`` (shapes), else bare
    strings (choices such as ``max``, and references to layers).
    """
    if isinstance(e, ast.Num):
        return e.value
    if isinstance(e, ast.Str):
        return e.value
    if isinstance(e, ast.Name):
        if e.id in env:
            return env[e.id]
        return dims.sym(e.id) if symbolic else e.id
    if isinstance(e, ast.Tuple):
        return tuple(evaluate(x, env, symbolic) for x in e.items)
    if isinstance(e, ast.Func):
        return _func(e, env)
    if isinstance(e, ast.BinOp):
        a, b = evaluate(e.left, env, True), evaluate(e.right, env, True)
        return _binop(e, a, b)
    raise SpecError(f"cannot evaluate {e!r}")  # pragma: no cover


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float | dims.Expr) and not isinstance(v, bool)


def _binop(e: ast.BinOp, a: Any, b: Any) -> Any:
    if not (_is_num(a) and _is_num(b)):
        raise SpecError(f"cannot apply '{e.op}' to {a!r} and {b!r}", e.span)
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, dims.Expr) or isinstance(b, dims.Expr):
            raise SpecError("a symbolic size cannot be combined with a float", e.span)
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else float("nan"),
                "//": a // b if b else float("nan")}[e.op]
    if e.op == "+":
        return a + b
    if e.op == "-":
        return a - b
    if e.op == "*":
        return a * b
    den = _int_divisor(e, b)
    if e.op == "//":
        return dims.floordiv(a, den)
    q = dims.exactdiv(a, den)
    if q is None:
        raise SpecError(f"{dims.dim_str(a)} / {den} is not a whole number", e.span,
                        hint=f"write floor({dims.dim_str(a)}/{den}) or ceil(...)")
    return q


def _int_divisor(e: ast.Expr, b: Any) -> int:
    if not isinstance(b, int) or b <= 0:
        raise SpecError(f"can only divide by a positive integer, got {dims.dim_str(b)}", e.span)
    return b


def _func(e: ast.Func, env: dict[str, Any]) -> Any:
    if e.fn not in ("floor", "ceil"):
        raise SpecError(f"unknown function '{e.fn}'", e.span, hint="known: floor, ceil")
    arg = e.arg
    if isinstance(arg, ast.BinOp) and arg.op == "/":
        num = evaluate(arg.left, env, True)
        den = evaluate(arg.right, env, True)
        if isinstance(num, float) or isinstance(den, float):
            import math
            return (math.floor if e.fn == "floor" else math.ceil)(num / den)
        if not _is_num(num):
            raise SpecError(f"cannot divide {num!r}", arg.span)
        d = _int_divisor(arg, den)
        return dims.floordiv(num, d) if e.fn == "floor" else dims.ceildiv(num, d)
    v = evaluate(arg, env, True)
    if not _is_num(v):
        raise SpecError(f"{e.fn}() needs a number, got {v!r}", e.span)
    if isinstance(v, float):
        import math
        return (math.floor if e.fn == "floor" else math.ceil)(v)
    return v


def eval_int(e: ast.Expr, env: dict[str, Any], what: str) -> int:
    v = evaluate(e, env)
    if isinstance(v, bool) or not isinstance(v, int):
        raise SpecError(f"{what} must be an integer, got {dims.dim_str(v) if _is_num(v) else repr(v)}",
                        getattr(e, "span", None))
    return v


def eval_dim(e: ast.Expr, env: dict[str, Any]) -> Any:
    """A tensor size: an integer or a symbolic expression (names not in ``env`` become symbols)."""
    v = evaluate(e, env, symbolic=True)
    if isinstance(v, bool) or not isinstance(v, int | dims.Expr):
        shown = dims.dim_str(v) if isinstance(v, int | float) and not isinstance(v, bool) else repr(v)
        raise SpecError(f"a size must be an integer or a symbolic expression, got {shown}",
                        getattr(e, "span", None))
    return v
