"""The op registry: each op is declared once, as an :class:`OpDef`.

An OpDef holds everything archc knows about an op: its attributes (kinds, defaults,
validation, docs), its shape rule, parameter and buffer shapes, multiply-accumulates,
how many inputs it reads, whether it is elementwise, how it changes the receptive
field and jump, and its diagram label. Shape rules are pure functions
``(input shapes, attrs) -> output shape`` over symbolic dims (:mod:`archc.dims`); output
sizes come from :mod:`archc.sizes` through :func:`apply_size`, so `archc explain` can
show each formula with its numbers. Every backend implements exactly these ops.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from archc.dims import Dim, Expr, shape_str
from archc.errors import ShapeError, SpecError
from archc.ops.attrs import Attr, bind_attrs, did_you_mean

Shape = tuple  # tuple[Dim, ...]
FAMILIES = ("linear", "conv", "pool", "resample", "activation", "norm", "shape", "merge", "regularize")
VARIADIC = -1
KEEP = "keep"  # an op's ``window`` when it keeps the receptive field and jump (it acts per position)


def _no_params(ins: list[Shape], a: dict) -> dict[str, Shape]:
    return {}


def _no_macs(ins: list[Shape], out: Shape, a: dict) -> None:
    return None


def _no_label(a: dict, ins: list[Shape]) -> str:
    return ""


@dataclass(frozen=True)
class OpDef:
    """The single declaration of an op.

    ``macs`` returns the factors of the op's multiply-accumulate count (their product), or None.
    ``window`` returns, per spatial dim, the (kernel, stride, dilation) the op slides with, for
    receptive fields; KEEP (and every elementwise op) keeps the field; None ends it.
    """

    name: str
    family: str
    attrs: tuple[Attr, ...]
    shape: Callable[[list[Shape], dict], Shape]
    positional: tuple[str, ...] = ()
    params: Callable[[list[Shape], dict], dict[str, Shape]] = _no_params
    buffers: Callable[[list[Shape], dict], dict[str, Shape]] = _no_params
    macs: Callable[[list[Shape], Shape, dict], tuple | None] = _no_macs
    elementwise: bool = False
    window: Callable[[dict, int], tuple] | str | None = None
    label: Callable[[dict, list[Shape]], str] = _no_label
    spatial: int = 0  # number of spatial dims for ``ints`` attributes
    doc: str = ""
    inputs_doc: str = ""
    extra: dict = field(default_factory=dict)

    def attr(self, name: str) -> Attr | None:
        for a in self.attrs:
            if a.name == name or name in a.aliases:
                return a
        return None

    @property
    def arity(self) -> int:
        """How many tensors the op reads: 1 plus one per ``ref`` attribute, or VARIADIC."""
        if any(a.kind == "refs" for a in self.attrs):
            return VARIADIC
        return 1 + sum(a.kind == "ref" for a in self.attrs)

    @property
    def ref_attrs(self) -> list[str]:
        return [a.name for a in self.attrs if a.kind in ("ref", "refs")]

    def bind(self, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        return bind_attrs(self, args, kwargs)


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


# -- what shape rules report besides the shape: size formulas used, constraints on symbols ----------
@dataclass
class Trace:
    """Collected while shape rules run: each size formula applied, and each condition a symbolic size
    must meet (``size >= 1``, or two sizes equal at a join)."""

    formulas: list[tuple[str, str, dict, Dim]] = field(default_factory=list)  # (label, formula, args, result)
    constraints: list[tuple[str, Dim, Dim, str]] = field(default_factory=list)  # (kind, a, b, message)


_TRACE: ContextVar[Trace | None] = ContextVar("archc_trace", default=None)


@contextmanager
def tracing(trace: Trace):
    token = _TRACE.set(trace)
    try:
        yield trace
    finally:
        _TRACE.reset(token)


DIM_LABELS = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}


def dim_label(spatial: int, i: int) -> str:
    return DIM_LABELS.get(spatial, tuple(f"d{k}" for k in range(spatial)))[i]


def apply_size(fn: Callable[..., Dim], label: str, **args: Any) -> Dim:
    """``fn(**args)``, a function of :mod:`archc.sizes`, recorded for `archc explain`."""
    out = fn(**args)
    trace = _TRACE.get()
    if trace is not None:
        trace.formulas.append((label, fn.__name__, args, out))
    return out


def expect_rank(op: str, shape: Shape, rank: int | tuple, layout: str) -> None:
    ranks = rank if isinstance(rank, tuple) else (rank,)
    if len(shape) not in ranks:
        what = " or ".join(f"{r}-D" for r in ranks)
        raise ShapeError(f"{op} expects a {what} input {layout}, got {shape_str(shape)}")


def concrete(op: str, what: str, d: Dim, shape: Shape, hint: str | None = None) -> int:
    if not isinstance(d, int):
        raise ShapeError(f"{op} needs a concrete {what}, got input {shape_str(shape)}", hint=hint)
    return d


def require_positive(op: str, what: str, size: Dim, inputs: str) -> None:
    """A size must be at least 1: an error for a concrete size, a recorded condition for a symbolic one."""
    if isinstance(size, int):
        if size < 1:
            raise ShapeError(f"{op}: computed {what} is {size}, which is less than 1; received {inputs}",
                             hint="use a smaller kernel or stride, more padding, or a larger input")
        return
    trace = _TRACE.get()
    if trace is not None:
        trace.constraints.append(("ge1", size, 1, f"{op}: {what} {size} must be at least 1"))


def join_dim(op: str, a: Dim, b: Dim, describe: Callable[[], str]) -> Dim:
    """Two sizes that must agree at a join (add, mul, concat): the agreed size.

    Equal forms agree; different concrete sizes (or sizes that differ by a constant) are an
    error; symbolic sizes whose equality cannot be decided symbolically become a condition on
    the input sizes, decided when concrete sizes are given.
    """
    if isinstance(a, int) and isinstance(b, int):
        if a != b:
            raise ShapeError(f"{op}: shapes differ: {describe()}")
        return a
    if a == b:
        return a
    diff = a - b
    if isinstance(diff, int) or not _ever_equal(a, b):
        raise ShapeError(f"{op}: shapes differ for every input size: {describe()}")
    trace = _TRACE.get()
    if trace is not None:
        trace.constraints.append(("eq", a, b, f"{op}: {a} and {b} must be equal (not decidable symbolically)"))
    return a if isinstance(a, Expr) or not isinstance(b, int) else b


def _ever_equal(a: Dim, b: Dim) -> bool:
    """Whether a and b agree at some small symbol values (a symbolic join is then a condition, not an error)."""
    from archc.dims import evaluate, symbols_of

    names = sorted(symbols_of(a) | symbols_of(b))
    for v in range(1, 65):
        env = dict.fromkeys(names, v)
        if evaluate(a, env) == evaluate(b, env):
            return True
    return False


def same_shape(ins: list[Shape], a: dict) -> Shape:
    return ins[0]


def window_of(a: dict, n: int) -> tuple:
    """(kernel, stride, dilation) per spatial dim of a sliding-window op."""
    d = a.get("dilation") or (1,) * n
    return tuple(zip(a["kernel_size"], a["stride"], d))


def by(values: tuple) -> str:
    return "x".join(map(str, values))


def one(values: tuple) -> str:
    """A per-dim attribute, once when every dim has the same value."""
    return str(values[0]) if len(set(values)) == 1 else by(values)


__all__ = ["KEEP", "REGISTRY", "VARIADIC", "Attr", "OpDef", "Trace", "apply_size", "did_you_mean", "expect_rank",
           "get_op", "join_dim", "register", "require_positive", "same_shape", "tracing"]
