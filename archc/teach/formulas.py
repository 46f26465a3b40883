"""One layer's numbers as formulas: the output size of each dim, the parameter count and the MACs.

Each quantity is a :class:`Formula`: its textbook form (names such as ``H_in``, ``K``, ``s``,
``p``), the same with the layer's numbers filled in, and the result. Output sizes fill in the
templates of :data:`archc.sizes.FORMULAS` with the arguments shape inference recorded; the
parameter count is the sum of the parameter shapes' products; the MACs are the product of the
op's MAC factors without the batch size. The textbook forms of the counts come from the op's
own rules run on symbolic sizes (the names of :mod:`archc.reference`), never from a second copy.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from archc import dims, sizes
from archc.dims import Dim, Expr
from archc.errors import ArchcError
from archc.ops import REGISTRY
from archc.ops.base import dim_label
from archc.reference import SIZE_NAMES, SYMBOLS


@dataclass(frozen=True)
class Formula:
    """A quantity: ``name = textbook = filled = result`` (the textbook form may be unknown)."""

    name: str
    textbook: str | None
    filled: str
    result: Dim

    @property
    def result_text(self) -> str:
        return count_text(self.result) if self.name in ("params", "MACs") else value_text(self.result)

    def line(self) -> str:
        """``H_out = ⌊(H_in + 2·p − K) / s⌋ + 1 = ⌊(28 + 2·1 − 3) / 1⌋ + 1 = 28``."""
        parts = [self.name, *([self.textbook] if self.textbook else []), self.filled]
        if self.filled != self.result_text:
            parts.append(self.result_text)
        return " = ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "textbook": self.textbook, "filled": self.filled,
                "result": self.result if isinstance(self.result, int) else dims.dim_str(self.result)}


def value_text(v: Any, group: bool = False) -> str:
    """A number or symbolic size as it reads in a formula: ``⌊H/2⌋``, ``−3`` (in parentheses where it is a
    sum or negative and ``group`` is set)."""
    text = dims.dim_str(v, pretty=True).replace("-", "−") if isinstance(v, Expr | int) else str(v)
    if group and ((isinstance(v, int) and v < 0) or (isinstance(v, Expr) and len(v.terms) > 1)):
        return f"({text})"
    return text


def count_text(v: Dim) -> str:
    """A count with thousands separators (112,896), or its symbolic form."""
    return f"{v:,}" if isinstance(v, int) else value_text(v)


def size_formula(label: str, fn: str, args: dict, result: Dim) -> Formula:
    """The output size of one dim (``label`` H, W, ...) from a recorded (label, formula, args, result)."""
    template = sizes.FORMULAS[sizes.textbook(fn, args)]
    defaults = {k: p.default for k, p in inspect.signature(getattr(sizes, fn)).parameters.items()
                if p.default is not inspect.Parameter.empty}
    values = {**defaults, **args}
    names = {k: SIZE_NAMES.get(k, k) for k in values} | {"size": f"{label}_in"}
    filled = template.format(**{k: value_text(v, group=True) for k, v in values.items()})
    return Formula(f"{label}_out", template.format(**names), filled, result)


def product_text(factors: tuple | list) -> str:
    return "·".join(value_text(f, group=True) for f in factors) or "1"


def params_formula(params: dict[str, tuple], textbook: dict[str, tuple] | None) -> Formula | None:
    """``16·1·3·3 + 16 = 160`` from the parameter shapes; the textbook form from symbolic ones."""
    if not params:
        return None
    total = sum(dims.product(s) for s in params.values())
    filled = " + ".join(product_text(s) for s in params.values())
    book = " + ".join(product_text(s) for s in textbook.values()) if textbook else None
    return Formula("params", book, filled, total)


def _grouped(factors: tuple, out: tuple) -> str:
    """MAC factors without the batch size, the output's own sizes apart: ``16·28·28 · 1·3·3``."""
    rest = factors[1:]
    k = len(out) - 1
    if 0 < k < len(rest) and tuple(rest[:k]) == tuple(out[1:]):
        return f"{product_text(rest[:k])} · {product_text(rest[k:])}"
    return product_text(rest)


def macs_formula(factors: tuple | None, out: tuple, textbook: tuple | None) -> Formula | None:
    """``16·28·28 · 1·3·3 = 112,896`` from the MAC factors (the batch size left out); factors that are 1
    in the textbook form too (an empty product) are left out of both."""
    if not factors:
        return None
    total = dims.product(factors[1:])
    book = None
    if textbook and len(textbook[1]) == len(factors):
        book_out, book_factors = textbook
        keep = [i for i, f in enumerate(book_factors) if i == 0 or f != 1]
        factors = tuple(factors[i] for i in keep)
        book = _grouped(tuple(book_factors[i] for i in keep), book_out)
    return Formula("MACs", book, _grouped(factors, out), total)


def _named(shape: tuple, suffix: str, channels: str, features: str) -> tuple:
    """A shape of the same rank in textbook names: (N, C_in, H_in, W_in) or (N, F_in)."""
    n = len(shape) - 2
    if n < 1:
        return (dims.sym("N"), *(dims.sym(features) for _ in shape[1:]))
    return (dims.sym("N"), dims.sym(channels), *(dims.sym(f"{dim_label(n, i)}_{suffix}") for i in range(n)))


def textbook_counts(op_name: str, attrs: dict, ins: list[tuple], out: tuple) -> tuple[dict | None, tuple | None]:
    """(parameter shapes, (output, MAC factors)) of the op's rules run on textbook names: required
    attributes as symbols (C_out, K, ...), inputs as (N, C_in, H_in, W_in); None where a rule needs
    concrete numbers."""
    op = REGISTRY[op_name]
    named = dict(attrs)
    for a in op.attrs:
        if a.required and a.kind in ("int", "ints"):
            value = attrs.get(a.name)
            if a.kind == "ints" and isinstance(value, tuple) and len(set(value)) > 1:
                named[a.name] = tuple(dims.sym(f"{SYMBOLS.get(a.name, a.name)}_{dim_label(len(value), i)}")
                                      for i in range(len(value)))
            else:
                s = dims.sym(SYMBOLS.get(a.name, a.name))
                named[a.name] = (s,) * op.spatial if a.kind == "ints" else s
    sym_ins = [_named(s, "in", "C_in", "F_in") for s in ins]
    sym_out = _named(out, "out", "C_out", "F_out")
    params = factors = None
    try:
        params = {k: tuple(v) for k, v in op.params(sym_ins, named).items()} or None
    except (ArchcError, TypeError, ValueError, KeyError, IndexError):
        pass
    try:
        f = op.macs(sym_ins, sym_out, named)
        factors = (sym_out, tuple(f)) if f else None
    except (ArchcError, TypeError, ValueError, KeyError, IndexError):
        pass
    return params, factors
