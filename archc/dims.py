"""Symbolic tensor dimensions.

A dimension is a plain ``int`` or an :class:`Expr`: a polynomial with integer
coefficients over *atoms*, where an atom is a symbol (``N``, ``H``) or a floor
division ``floor(p / d)`` of another polynomial by a positive integer.

Expressions are kept in a canonical form so that two ways of writing the same
size compare equal::

    floor((floor(H/2) + b) / c)  ==  floor((H + 2b) / 2c)      (nested floors)
    floor((2W + 3) / 2)          ==  W + 1                     (exact parts pulled out)

so ``maxpool2d(2)`` applied three times to ``H`` gives ``floor(H/8)``.
"""

from __future__ import annotations

import math
from typing import Union

from archc import limits
from archc.errors import SpecError

Monomial = tuple  # sorted tuple of atoms (str symbols and Floor atoms); () is the constant
Dim = Union[int, "Expr"]


class Floor:
    """The atom ``floor(num / den)`` with ``num`` a canonical polynomial and ``den > 1``."""

    __slots__ = ("_key", "den", "num")

    def __init__(self, num: Expr, den: int) -> None:
        self.num = num
        self.den = den
        self._key = ("floor", num.terms, den)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Floor) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def sort_key(self) -> str:
        return "~" + str(self)  # symbols before floors when printing

    def __str__(self) -> str:
        return self.render(False)

    def render(self, pretty: bool) -> str:
        inner = self.num.render(pretty)
        if len(self.num.terms) > 1 or not _is_atomic(self.num):
            inner = f"({inner})"
        return f"⌊{inner}/{self.den}⌋" if pretty else f"floor({inner}/{self.den})"


def _atom_key(atom: str | Floor) -> str:
    return atom if isinstance(atom, str) else atom.sort_key()


def _is_atomic(p: Expr) -> bool:
    if len(p.terms) != 1:
        return False
    mono, coeff = p.terms[0]
    return coeff == 1 and len(mono) == 1


class Expr:
    """A canonical integer polynomial over symbols and floor atoms (never a constant)."""

    __slots__ = ("_hash", "terms")

    def __init__(self, terms: tuple) -> None:
        self.terms = terms  # sorted tuple of (Monomial, int coeff), no zero coefficients
        self._hash = hash(terms)

    # -- construction -------------------------------------------------------
    @staticmethod
    def symbol(name: str) -> Expr:
        return Expr(((((name,)), 1),))

    @staticmethod
    def _from_dict(d: dict) -> Dim:
        items = [(m, c) for m, c in d.items() if c != 0]
        _check_terms(len(items))
        if not items:
            return 0
        if len(items) == 1 and items[0][0] == ():
            return items[0][1]
        items.sort(key=lambda mc: (-len(mc[0]), [_atom_key(a) for a in mc[0]]))
        return Expr(tuple(items))

    def _dict(self) -> dict:
        return dict(self.terms)

    # -- arithmetic ---------------------------------------------------------
    def __add__(self, other: Dim) -> Dim:
        d = self._dict()
        for m, c in _terms(other):
            d[m] = d.get(m, 0) + c
        return Expr._from_dict(d)

    __radd__ = __add__

    def __neg__(self) -> Dim:
        return Expr._from_dict({m: -c for m, c in self.terms})

    def __sub__(self, other: Dim) -> Dim:
        return self + (-other)

    def __rsub__(self, other: Dim) -> Dim:
        return (-self) + other

    def __mul__(self, other: Dim) -> Dim:
        _check_terms(len(self.terms) * len(_terms(other)))
        d: dict = {}
        for m1, c1 in self.terms:
            for m2, c2 in _terms(other):
                m = tuple(sorted(m1 + m2, key=_atom_key))
                d[m] = d.get(m, 0) + c1 * c2
        return Expr._from_dict(d)

    __rmul__ = __mul__

    def __floordiv__(self, den: int) -> Dim:
        return floordiv(self, den)

    # -- comparison and printing ---------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expr) and self.terms == other.terms

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Expr({self})"

    def __str__(self) -> str:
        return self.render(False)

    def render(self, pretty: bool = False) -> str:
        """Text of the expression; ``pretty`` uses ⌊ ⌋ and × for diagrams."""
        out = ""
        for i, (mono, coeff) in enumerate(self.terms):
            factors = [a if isinstance(a, str) else a.render(pretty) for a in mono]
            mag = abs(coeff)
            if not factors:
                body = str(mag)
            elif mag == 1:
                body = "*".join(factors)
            else:
                body = "*".join([str(mag), *factors])
            if pretty:
                body = body.replace("*", "·")
            if i == 0:
                out = ("-" if coeff < 0 else "") + body
            else:
                out += (" - " if coeff < 0 else " + ") + body
        return out

    def symbols(self) -> set[str]:
        names: set[str] = set()
        for mono, _ in self.terms:
            for a in mono:
                if isinstance(a, str):
                    names.add(a)
                else:
                    names |= a.num.symbols()
        return names


def _check_terms(n: int) -> None:
    if n > limits.limit("terms"):
        raise SpecError(f"a symbolic size would have {n:,} terms, more than the limit of {limits.limit('terms'):,}",
                        hint="give the input concrete sizes (--input), or " + limits.hint("terms"))


def _terms(x: Dim) -> tuple:
    if isinstance(x, Expr):
        return x.terms
    return (((), int(x)),) if x else ()


def floordiv(x: Dim, den: int) -> Dim:
    """``floor(x / den)`` for a positive integer ``den``, kept canonical."""
    if den <= 0:
        raise ValueError(f"floor division by {den}")
    if isinstance(x, int):
        return x // den
    g = math.gcd(den, *(c for _, c in x.terms))
    if g > 1:  # floor(g*a / (g*d)) == floor(a/d) for an integer a
        x = Expr._from_dict({m: c // g for m, c in x.terms})
        den //= g
        if isinstance(x, int):
            return x // den
    if den == 1:
        return x
    quotient: dict = {}
    rest: dict = {}
    for m, c in x.terms:
        q, r = divmod(c, den)
        if q:
            quotient[m] = q
        if r:
            rest[m] = r
    if not rest:
        return Expr._from_dict(quotient)
    rest_expr = Expr._from_dict(rest)
    if isinstance(rest_expr, int):  # only a constant remainder in [0, den): floors to 0
        return Expr._from_dict(quotient)
    nested = _single_floor(rest)
    if nested is not None:  # floor((floor(L/a) + b) / d) == floor((L + a*b) / (a*d))
        atom, b = nested
        inner = floordiv(atom.num + atom.den * b, atom.den * den)
    else:
        inner = Expr._from_dict({((Floor(rest_expr, den),)): 1})
    return Expr._from_dict(quotient) + inner


def _single_floor(rest: dict) -> tuple[Floor, int] | None:
    """If ``rest`` is ``floor(L/a) + b``, return (that atom, b)."""
    atoms = [(m, c) for m, c in rest.items() if m != ()]
    if len(atoms) == 1 and atoms[0][1] == 1 and len(atoms[0][0]) == 1 and isinstance(atoms[0][0][0], Floor):
        return atoms[0][0][0], rest.get((), 0)
    return None


def ceildiv(x: Dim, den: int) -> Dim:
    """``ceil(x / den)`` for a positive integer ``den``."""
    return floordiv(x + (den - 1), den)


def exactdiv(x: Dim, den: int) -> Dim | None:
    """``x / den`` if it divides exactly (every coefficient divisible), else None."""
    if isinstance(x, int):
        return x // den if x % den == 0 else None
    if all(c % den == 0 for _, c in x.terms):
        return Expr._from_dict({m: c // den for m, c in x.terms})
    return None


def evaluate(x: Dim, env: dict[str, int]) -> Dim:
    """Substitute integer values for symbols; unknown symbols stay symbolic."""
    if isinstance(x, int):
        return x
    total: dict = {}  # summed as one dict: adding term by term would re-sort the sum each time
    for mono, coeff in x.terms:
        term: Dim = coeff
        for a in mono:
            term = term * (Expr.symbol(a) if isinstance(a, str) and a not in env
                           else env[a] if isinstance(a, str)
                           else floordiv(evaluate(a.num, env), a.den))
        for m, c in _terms(term):
            total[m] = total.get(m, 0) + c
    return Expr._from_dict(total)


def symbols_of(x: Dim) -> set[str]:
    """The symbol names a size depends on (none for an int)."""
    return x.symbols() if isinstance(x, Expr) else set()


def sym(name: str) -> Expr:
    """The symbolic dimension called ``name``."""
    return Expr.symbol(name)


def is_concrete(x: Dim) -> bool:
    return isinstance(x, int)


def dim_str(x: Dim, pretty: bool = False) -> str:
    return x.render(pretty) if isinstance(x, Expr) else str(x)


def shape_str(shape: tuple, pretty: bool = False) -> str:
    """``[N, 16, 14, 14]``, or ``N×16×14×14`` when ``pretty``."""
    if pretty:
        return "×".join(dim_str(d, True) for d in shape)
    return "[" + ", ".join(dim_str(d) for d in shape) + "]"


def product(dims: tuple) -> Dim:
    out: Dim = 1
    for d in dims:
        out = out * d
    return out
