"""The op registry: each op is declared once, with its attributes, shape rule,
parameter shapes and multiply-accumulate count.

Shape rules are pure functions ``(input shapes, attrs) -> output shape`` over
symbolic dims (:mod:`archc.dims`); they raise :class:`ShapeError` quoting every
input. Every backend implements exactly the ops registered here.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from archc.dims import Dim, shape_str
from archc.errors import ShapeError, SpecError

Shape = tuple  # tuple[Dim, ...]
REQUIRED = object()

FAMILIES = ("linear", "conv", "pool", "resample", "activation", "norm", "shape", "merge")


@dataclass(frozen=True)
class Attr:
    """One attribute of an op.

    kind: ``int``, ``float``, ``bool``, ``choice``, ``ints`` (an int or a tuple of
    ``spatial`` ints, normalised to a tuple), or ``ref`` (the name of another value:
    it becomes an extra input of the node).
    """

    name: str
    kind: str
    default: Any = REQUIRED
    minimum: float | None = None
    choices: tuple = ()
    aliases: tuple = ()
    default_from: str | None = None  # when omitted, take the value of this attribute
    doc: str = ""


@dataclass(frozen=True)
class OpDef:
    """The single declaration of an op."""

    name: str
    family: str
    attrs: tuple[Attr, ...]
    shape: Callable[[list[Shape], dict], Shape]
    positional: tuple[str, ...] = ()
    params: Callable[[list[Shape], dict], dict[str, Shape]] = field(default=lambda s, a: {})
    buffers: Callable[[list[Shape], dict], dict[str, Shape]] = field(default=lambda s, a: {})
    macs: Callable[[list[Shape], Shape, dict], Dim] = field(default=lambda s, o, a: 0)
    spatial: int = 0  # number of spatial dims for ``ints`` attributes
    doc: str = ""

    def attr(self, name: str) -> Attr | None:
        for a in self.attrs:
            if a.name == name or name in a.aliases:
                return a
        return None


REGISTRY: dict[str, OpDef] = {}


def register(op: OpDef) -> OpDef:
    """Add an op to the registry (once)."""
    if op.name in REGISTRY:
        raise ValueError(f"op {op.name!r} registered twice")
    if op.family not in FAMILIES:
        raise ValueError(f"op {op.name!r}: unknown family {op.family!r}")
    REGISTRY[op.name] = op
    return op


def get_op(name: str) -> OpDef:
    """The op called ``name``, or a SpecError that suggests close names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise SpecError(f"unknown op '{name}'", hint=did_you_mean(name, REGISTRY)) from None


def did_you_mean(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    return "known: " + ", ".join(sorted(known))


# -- attribute validation ------------------------------------------------------

def bind_attrs(op: OpDef, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Match call arguments to ``op``'s attributes, check types and fill defaults.

    Values are already resolved Python values: int, float, bool, str (a bare
    identifier or string), or tuple. Raises SpecError naming the attribute.
    """
    if len(args) > len(op.positional):
        raise SpecError(f"{op.name} takes at most {len(op.positional)} positional "
                        f"argument{'s' if len(op.positional) != 1 else ''}, got {len(args)}",
                        hint=_signature(op))
    raw: dict[str, Any] = dict(zip(op.positional, args))
    for key, value in kwargs.items():
        a = op.attr(key)
        if a is None:
            raise _on(key, SpecError(f"{op.name} has no attribute '{key}'",
                                     hint=did_you_mean(key, [x.name for x in op.attrs]) + "; " + _signature(op)))
        if a.name in raw:
            raise _on(key, SpecError(f"{op.name}: attribute '{a.name}' given twice"))
        raw[a.name] = value
    out: dict[str, Any] = {}
    for a in op.attrs:
        if a.name in raw:
            try:
                out[a.name] = _check(op, a, raw[a.name])
            except SpecError as e:
                raise _on(a.name, e) from None
        elif a.default is REQUIRED:
            raise SpecError(f"{op.name} needs attribute '{a.name}'", hint=_signature(op))
        elif a.default_from is not None:
            out[a.name] = out[a.default_from]
        else:
            out[a.name] = _check(op, a, a.default) if a.default is not None else None
    return out


def _on(attr: str, e: SpecError) -> SpecError:
    """Mark which attribute an error is about, so the caller can point at its argument."""
    e.attr = attr  # type: ignore[attr-defined]
    return e


def _signature(op: OpDef) -> str:
    parts = []
    for a in op.attrs:
        parts.append(a.name if a.default is REQUIRED else f"{a.name}={a.default!r}")
    return f"usage: {op.name}({', '.join(parts)})"


def _type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "a bool"
    if isinstance(v, int):
        return "an int"
    if isinstance(v, float):
        return "a float"
    if isinstance(v, tuple):
        return "a tuple"
    return "a name" if isinstance(v, str) else type(v).__name__


def _check(op: OpDef, a: Attr, v: Any) -> Any:
    where = f"{op.name}: attribute '{a.name}'"
    if a.kind == "int":
        if isinstance(v, bool) or not isinstance(v, int):
            raise SpecError(f"{where} must be an int, got {_type_name(v)} ({v!r})")
        _check_min(where, a, v)
        return v
    if a.kind == "float":
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise SpecError(f"{where} must be a number, got {_type_name(v)} ({v!r})")
        _check_min(where, a, v)
        return float(v)
    if a.kind == "bool":
        if not isinstance(v, bool):
            raise SpecError(f"{where} must be true or false, got {_type_name(v)} ({v!r})")
        return v
    if a.kind == "choice":
        if not isinstance(v, str) or v not in a.choices:
            raise SpecError(f"{where} must be one of {', '.join(a.choices)}, got {v!r}")
        return v
    if a.kind == "ints":
        items = v if isinstance(v, tuple) else (v,) * op.spatial
        if len(items) != op.spatial or any(isinstance(x, bool) or not isinstance(x, int) for x in items):
            raise SpecError(f"{where} must be an int or a tuple of {op.spatial} ints, got {v!r}")
        for x in items:
            _check_min(where, a, x)
        return tuple(items)
    if a.kind == "ref":
        if not isinstance(v, str):
            raise SpecError(f"{where} must name a layer or input, got {v!r}")
        return v
    raise AssertionError(a.kind)


def _check_min(where: str, a: Attr, v: float) -> None:
    if a.minimum is not None and v < a.minimum:
        raise SpecError(f"{where} must be >= {a.minimum:g}, got {v}")


# -- helpers shared by shape rules -----------------------------------------------

def expect_rank(op: str, shape: Shape, rank: int, layout: str) -> None:
    if len(shape) != rank:
        raise ShapeError(f"{op} expects a {rank}-D input {layout}, got {shape_str(shape)}")


def require_positive(op: str, what: str, size: Dim, inputs: str) -> None:
    if isinstance(size, int) and size < 1:
        raise ShapeError(f"{op}: computed {what} is {size}, which is less than 1; received {inputs}",
                         hint="use a smaller kernel or stride, more padding, or a larger input")


def ref_attrs(op: OpDef) -> list[str]:
    return [a.name for a in op.attrs if a.kind == "ref"]
