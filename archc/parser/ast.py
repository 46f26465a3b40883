"""The spec AST, shared by the DSL and YAML front ends.

    Module   := (Network | BlockDef)*
    Network  := name Param* Stmt*              BlockDef := name Param* Stmt* indexed
    Stmt     := Input | Chain | Expect | Output | BlockDef
    Chain    := Item+ [": " shape]             (each chain continues from the last one)
    Item     := Call | Residual | Repeat | Scan | Seq | Branches | If
    Expr     := Num | Name | Str | Tuple | BinOp | Func   (values, dims, counts)

A layer's ``name`` (its ``as`` label) is a string: an identifier, digits, or a quoted label
that may hold ``{expr}`` parts, filled in when the network is built.

Every node carries the span it came from. Nothing here is evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archc.errors import Span


# -- expressions -------------------------------------------------------------------
@dataclass(frozen=True)
class Num:
    value: int | float | bool
    span: Span | None = None


@dataclass(frozen=True)
class Name:
    id: str
    span: Span | None = None


@dataclass(frozen=True)
class Str:
    value: str
    span: Span | None = None


@dataclass(frozen=True)
class Tuple:
    items: tuple
    span: Span | None = None


@dataclass(frozen=True)
class BinOp:
    op: str  # + - * / // %, == != < <= > >=, and, or
    left: object
    right: object
    span: Span | None = None


@dataclass(frozen=True)
class Func:
    fn: str  # floor, ceil, min, max, round, make_divisible, channels, size
    args: tuple
    span: Span | None = None


Expr = Num | Name | Str | Tuple | BinOp | Func


# -- items of a chain ------------------------------------------------------------------
@dataclass(frozen=True)
class Arg:
    name: str | None
    value: Expr
    span: Span | None = None


@dataclass(frozen=True)
class Call:
    """``op(args) as name``; also a block use or a reference to a named value."""

    op: str
    args: tuple[Arg, ...] = ()
    name: str | None = None
    span: Span | None = None
    has_parens: bool = False


@dataclass(frozen=True)
class Residual:
    body: tuple
    shortcut: tuple | None = None
    name: str | None = None
    span: Span | None = None


@dataclass(frozen=True)
class Repeat:
    count: Expr
    body: tuple
    name: str | None = None
    span: Span | None = None
    index: str | None = None  # the name bound to 0, 1, ... in each iteration


@dataclass(frozen=True)
class If:
    """``if COND { ... } else { ... }``: one of two bodies, chosen when the network is built."""

    cond: Expr
    body: tuple
    orelse: tuple | None = None
    span: Span | None = None


@dataclass(frozen=True)
class Seq:
    """``seq as NAME { ... }``: a group whose unnamed layers are numbered 0, 1, 2 (like nn.Sequential)."""

    body: tuple
    name: str | None = None
    span: Span | None = None


@dataclass(frozen=True)
class Branches:
    """``concat(dim=1) { branch { ... } branch { ... } }``: parallel branches from one value, joined."""

    args: tuple[Arg, ...]
    branches: tuple  # tuple of statement tuples
    name: str | None = None
    span: Span | None = None


@dataclass(frozen=True)
class Scan:
    args: tuple[Arg, ...]
    body: tuple
    name: str | None = None
    span: Span | None = None


Item = Call | Residual | Repeat | Scan | Seq | Branches | If


# -- statements ------------------------------------------------------------------------
@dataclass(frozen=True)
class Input:
    name: str
    shape: tuple
    span: Span | None = None


@dataclass(frozen=True)
class Chain:
    items: tuple
    expect: tuple | None = None  # expected output shape of the last item
    span: Span | None = None
    expect_span: Span | None = None


@dataclass(frozen=True)
class Expect:
    what: str  # params | macs
    cmp: str  # == <= >= < >
    value: Expr
    span: Span | None = None


@dataclass(frozen=True)
class Output:
    names: tuple[str, ...]
    span: Span | None = None


@dataclass(frozen=True)
class Param:
    name: str
    default: Expr | None = None
    span: Span | None = None


@dataclass(frozen=True)
class BlockDef:
    name: str
    params: tuple[Param, ...]
    body: tuple
    span: Span | None = None
    indexed: bool = False  # `seq NAME(...) { }`: unnamed layers numbered 0, 1, 2


@dataclass(frozen=True)
class Network:
    name: str
    params: tuple[Param, ...]
    body: tuple
    span: Span | None = None


@dataclass
class Module:
    """A parsed spec file: its networks, top-level blocks, comments and text."""

    file: str
    source: str
    networks: list[Network] = field(default_factory=list)
    blocks: list[BlockDef] = field(default_factory=list)
    comments: list[tuple[int, str]] = field(default_factory=list)  # (line, text)
    format: str = "arch"

    def network(self, name: str | None = None) -> Network:
        """The network called ``name``, or the only (else the last) one in the file."""
        from archc.errors import Span, SpecError, did_you_mean

        if not self.networks:
            raise SpecError(f"{self.file} defines no network", Span(self.file, 1, 1),
                            hint="add `network NAME { ... }`", source=self.source)
        if name is None:
            return self.networks[-1]
        for n in self.networks:
            if n.name == name:
                return n
        raise SpecError(f"{self.file} has no network '{name}'",
                        hint=did_you_mean(name, [n.name for n in self.networks]))


def check_unique_networks(module: Module) -> None:
    """Two networks of one name are an error at the second (a command would check only one)."""
    from archc.errors import SpecError

    first: dict[str, Network] = {}
    for net in module.networks:
        if net.name in first:
            prev = first[net.name].span
            where = f" (first defined at line {prev.line})" if prev else ""
            raise SpecError(f"network '{net.name}' is defined twice{where}", net.span, source=module.source)
        first[net.name] = net


def check_unique_params(kind: str, name: str, params: tuple[Param, ...]) -> None:
    """A network or block that declares one parameter twice is an error at the second."""
    from archc.errors import SpecError

    seen: set[str] = set()
    for p in params:
        if p.name in seen:
            raise SpecError(f"parameter '{p.name}' of {kind} '{name}' is declared twice", p.span)
        seen.add(p.name)
