"""Op attributes: their kinds, defaults and validation, and binding a call's arguments to them.

Kinds: ``int``, ``float``, ``bool``, ``choice``, ``str``, ``ints`` (an int or a tuple of
``spatial`` ints, normalised to a tuple), ``intlist`` (an int or a tuple of any length),
``pair`` (an int, or a (before, after) pair), ``sides`` (padding amounts: an int for every side,
a tuple of ints per dim, or a tuple of (before, after) pairs), ``ref`` (a value the op
reads: it becomes an input of the node) and ``refs`` (any number of them, positionally).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from archc.errors import SpecError, did_you_mean

REQUIRED = object()
KINDS = ("int", "float", "bool", "choice", "str", "ints", "intlist", "sides", "pair", "ref", "refs", "floats")


@dataclass(frozen=True)
class Attr:
    """One attribute of an op: its kind, default, bounds and documentation."""

    name: str
    kind: str
    default: Any = REQUIRED
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None  # exclusive lower bound (eps > 0)
    choices: tuple = ()
    aliases: tuple = ()
    default_from: str | None = None  # when omitted, take the value of this attribute
    doc: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"attribute {self.name!r}: unknown kind {self.kind!r}")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe_default(self) -> str:
        """The default as the reference documents it."""
        if self.required:
            return "required"
        if self.default_from:
            return self.default_from
        if self.default is None:
            return "none"
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        return repr(self.default) if isinstance(self.default, str) else str(self.default)


def _on(attr: str, e: SpecError) -> SpecError:
    """Mark which attribute an error is about, so the caller can point at its argument."""
    e.attr = attr  # type: ignore[attr-defined]
    return e


def signature(op: Any) -> str:
    parts = []
    for a in op.attrs:
        if a.kind == "refs":
            parts.append(f"*{a.name}")
        else:
            parts.append(a.name if a.required else f"{a.name}={a.describe_default()}")
    return f"usage: {op.name}({', '.join(parts)})"


def bind_attrs(op: Any, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Match call arguments to ``op``'s attributes, check kinds and bounds, fill defaults.

    Values are resolved Python values: int, float, bool, str (a bare name or a string), tuple.
    Raises SpecError naming the attribute (``e.attr``) so the caller can point at it.
    """
    variadic = next((a.name for a in op.attrs if a.kind == "refs"), None)
    positional = list(op.positional)
    raw: dict[str, Any] = {}
    if variadic is not None and variadic in positional:
        k = positional.index(variadic)
        raw.update(zip(positional[:k], args[:k]))
        raw[variadic] = tuple(args[k:])
    else:
        if len(args) > len(positional):
            n = len(positional)
            raise SpecError(f"{op.name} takes at most {n} positional argument{'s' if n != 1 else ''}, "
                            f"got {len(args)}", hint=signature(op))
        raw.update(zip(positional, args))
    for key, value in kwargs.items():
        a = op.attr(key)
        if a is None:
            raise _on(key, SpecError(f"{op.name} has no attribute '{key}'",
                                     hint=did_you_mean(key, [x.name for x in op.attrs]) + "; " + signature(op)))
        if a.name in raw and not (a.kind == "refs" and raw[a.name] == ()):
            raise _on(key, SpecError(f"{op.name}: attribute '{a.name}' given twice"))
        raw[a.name] = value
    out: dict[str, Any] = {}
    for a in op.attrs:
        if a.name in raw:
            try:
                out[a.name] = check_value(op, a, raw[a.name])
            except SpecError as e:
                raise _on(a.name, e) from None
        elif a.required:
            raise SpecError(f"{op.name} needs attribute '{a.name}'", hint=signature(op))
        elif a.default_from is not None:
            out[a.name] = out[a.default_from]
        else:
            out[a.name] = check_value(op, a, a.default) if a.default is not None else None
    return out


def type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "a bool"
    if isinstance(v, int):
        return "an int"
    if isinstance(v, float):
        return "a float"
    if isinstance(v, tuple):
        return "a tuple"
    return "a name" if isinstance(v, str) else type(v).__name__


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_value(op: Any, a: Attr, v: Any) -> Any:
    """The checked, normalised value of attribute ``a``; a SpecError says what is wrong."""
    where = f"{op.name}: attribute '{a.name}'"
    if a.kind == "int":
        if not _is_int(v):
            raise SpecError(f"{where} must be an int, got {type_name(v)} ({v!r})")
        _check_bounds(where, a, v)
        return v
    if a.kind == "float":
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise SpecError(f"{where} must be a number, got {type_name(v)} ({v!r})")
        if not math.isfinite(v):
            raise SpecError(f"{where} must be a finite number, got {v!r}")
        _check_bounds(where, a, v)
        return float(v)
    if a.kind == "floats":
        items = v if isinstance(v, tuple) else (v,) * op.spatial
        if len(items) != op.spatial or any(isinstance(x, bool) or not isinstance(x, int | float) for x in items):
            raise SpecError(f"{where} must be a number or a tuple of {op.spatial} numbers, got {v!r}")
        for x in items:
            if not math.isfinite(x):
                raise SpecError(f"{where} must be finite, got {v!r}")
            _check_bounds(where, a, x)
        return tuple(float(x) for x in items)
    if a.kind == "bool":
        if not isinstance(v, bool):
            raise SpecError(f"{where} must be true or false, got {type_name(v)} ({v!r})")
        return v
    if a.kind == "choice":
        if not isinstance(v, str) or v not in a.choices:
            raise SpecError(f"{where} must be one of {', '.join(a.choices)}, got {v!r}")
        return v
    if a.kind == "str":
        if not isinstance(v, str):
            raise SpecError(f"{where} must be a name or a string, got {type_name(v)} ({v!r})")
        return v
    if a.kind == "ints":
        if isinstance(v, str) and v in a.choices:  # e.g. padding="same"
            return v
        items = v if isinstance(v, tuple) else (v,) * op.spatial
        if len(items) != op.spatial or not all(_is_int(x) for x in items):
            raise SpecError(f"{where} must be an int or a tuple of {op.spatial} ints, got {v!r}")
        for x in items:
            _check_bounds(where, a, x)
        return tuple(items)
    if a.kind == "intlist":
        items = v if isinstance(v, tuple) else (v,)
        if not items or not all(_is_int(x) for x in items):
            raise SpecError(f"{where} must be an int or a tuple of ints, got {v!r}")
        for x in items:
            _check_bounds(where, a, x)
        return tuple(items)
    if a.kind == "sides":
        return _sides(where, a, v)
    if a.kind == "pair":
        pair = (v, v) if _is_int(v) else v
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(_is_int(x) for x in pair)):
            raise SpecError(f"{where} must be an int or a (before, after) pair of ints, got {v!r}")
        for x in pair:
            _check_bounds(where, a, x)
        return pair
    if a.kind == "ref":
        if not isinstance(v, str):
            raise SpecError(f"{where} must name a layer or an input, got {v!r}")
        return v
    if a.kind == "refs":
        items = v if isinstance(v, tuple) else (v,)
        if not all(isinstance(x, str) for x in items):
            raise SpecError(f"{where} must name layers or inputs, got {v!r}")
        return items
    raise AssertionError(a.kind)


def _sides(where: str, a: Attr, v: Any) -> tuple:
    """Padding amounts as (before, after) pairs: one pair for every dim, or one pair per dim."""
    if _is_int(v):
        return ((v, v),)  # one pair: every padded dim
    if isinstance(v, tuple) and v and all(_is_int(x) for x in v):
        return tuple((x, x) for x in v)
    if isinstance(v, tuple) and v and all(isinstance(p, tuple) and len(p) == 2 and all(_is_int(x) for x in p)
                                          for p in v):
        return tuple(tuple(p) for p in v)
    raise SpecError(f"{where} must be an int, a tuple of ints (one per dim), or a tuple of (before, after) "
                    f"pairs, got {v!r}")


def _check_bounds(where: str, a: Attr, v: float) -> None:
    if a.minimum is not None and v < a.minimum:
        raise SpecError(f"{where} must be >= {a.minimum:g}, got {v}")
    if a.maximum is not None and v > a.maximum:
        raise SpecError(f"{where} must be <= {a.maximum:g}, got {v}")
    if a.above is not None and v <= a.above:
        raise SpecError(f"{where} must be > {a.above:g}, got {v}")
