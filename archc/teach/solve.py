"""`archc solve`: the value of an integer network parameter whose count comes closest to a target.

Where the parameter sets only channel counts, widths or repeat counts, a network's parameter
count and MACs are polynomials in it (each is a sum of products of sizes). :func:`solve`
fits that polynomial exactly (rational coefficients) to counts at consecutive values, checks
it at values spread over the range, and then finds the closest value from the polynomial's
roots, with no search. Where the fit fails (the parameter also sets sizes, so floors enter)
it checks every value of the range. Either way the counts shown are counted, not predicted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise

from archc.errors import ArchcError, SpecError
from archc.shape_infer import TypedGraph
from archc.teach.report import Report, Table

FIT_POINTS = 8  # consecutive values the polynomial is fitted to (degree up to FIT_POINTS - 2)
CHECK_POINTS = 6  # further values, spread over the range, it is checked at
MAX_SEARCH = 4_096  # values a search may check


@dataclass(frozen=True)
class Polynomial:
    """Exact rational coefficients, constant first, in the parameter ``name``."""

    coeffs: tuple[Fraction, ...]
    name: str

    def __call__(self, x: int | Fraction) -> Fraction:
        out = Fraction(0)
        for c in reversed(self.coeffs):
            out = out * x + c
        return out

    def __str__(self) -> str:
        sup = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
        parts = []
        for k in range(len(self.coeffs) - 1, -1, -1):
            c = self.coeffs[k]
            if c == 0:
                continue
            mag = abs(c)
            num = f"{mag.numerator:,}" if mag.denominator == 1 else f"{mag.numerator}/{mag.denominator}"
            var = "" if k == 0 else self.name + (str(k).translate(sup) if k > 1 else "")
            body = num if not var else var if mag == 1 else f"{num}·{var}"
            parts.append(("−" if c < 0 else "+", body))
        if not parts:
            return "0"
        first = ("−" if parts[0][0] == "−" else "") + parts[0][1]
        return " ".join([first, *(f"{s} {b}" for s, b in parts[1:])])


def fit(xs: list[int], ys: list[int], name: str) -> Polynomial | None:
    """The polynomial through (xs, ys) at consecutive xs, if one of degree at most len(xs) - 3 fits (so that
    at least two differences past its degree are zero); else None."""
    diffs, row = [], [Fraction(y) for y in ys]
    while len(row) > 2 and any(row):
        diffs.append(row[0])
        row = [b - a for a, b in pairwise(row)]
    if any(row):
        return None
    # Newton's forward form: p(x) = sum_k diffs[k] * (t choose k), t = x - xs[0]; expanded into powers of x
    coeffs = [Fraction(0)] * max(len(diffs), 1)
    basis = [Fraction(1)]  # (t choose k) in powers of x
    for k, d in enumerate(diffs):
        if k:  # (t choose k) = (t choose k-1) * (x - (xs[0] + k - 1)) / k
            a = xs[0] + k - 1
            basis = [((basis[i - 1] if i else 0) - a * (basis[i] if i < len(basis) else 0)) / k
                     for i in range(len(basis) + 1)]
        for i, b in enumerate(basis):
            coeffs[i] += d * b
    return Polynomial(tuple(coeffs), name)


def _closest(p: Polynomial, target: int, values: range) -> list[int]:
    """The values of ``values`` where |p - target| is least: near the real roots of p - target and of p'
    (|p - target| is unimodal between them), and at the ends."""
    import numpy as np

    cands = {values[0], values[-1]}
    deriv = [c * k for k, c in enumerate(p.coeffs)][1:]
    shifted = [p.coeffs[0] - target, *p.coeffs[1:]]
    for poly in (shifted, deriv):
        if len(poly) > 1 and any(poly[1:]):
            for r in np.roots([float(c) for c in reversed(poly)]):
                if abs(r.imag) < 1e-6 * max(1.0, abs(r.real)) and values[0] - 1 <= r.real <= values[-1] + 1:
                    i = (int(np.floor(r.real)) - values[0]) // values.step
                    cands |= {values[j] for j in range(i - 1, i + 3) if 0 <= j < len(values)}
    best = min(abs(p(v) - target) for v in cands)
    return sorted(v for v in cands if abs(p(v) - target) == best)


@dataclass
class Solution(Report):
    """The best value(s) of a parameter, with the counts at them and their neighbours."""

    network: str
    name: str
    what: str  # params | MACs
    target: int
    target_label: str
    best: list[int]
    rows: list[tuple[int, int | None, str | None]]  # (value, count, error)
    method: str  # "polynomial" | "search"
    polynomial: Polynomial | None = None
    checked: int = 0
    values: range = range(0)
    notes: list[str] = field(default_factory=list)

    def tables(self) -> list[Table]:
        title = f"{self.network}: the {self.name} whose {self.what} come closest to {self.target:,}" + \
            (f" ({self.target_label})" if self.target_label else "")
        rows = []
        for v, count, error in self.rows:
            mark = "← best" if v in self.best else ""
            if count is None:
                rows.append([str(v), "-", "", error or ""])
            else:
                rows.append([str(v), f"{count:,}", f"{count - self.target:+,}".replace("-", "−"), mark])
        notes = [self.how(), *self.notes, self.answer()]
        return [Table(title, [self.name, self.what, "difference", ""], rows, notes, math=(0, 1, 2))]

    def how(self) -> str:
        if self.method == "polynomial" and self.polynomial is not None:
            return (f"{self.what} = {self.polynomial}: a polynomial in {self.name}, fitted at {FIT_POINTS} values "
                    f"and checked at {self.checked - FIT_POINTS} more, so the answer is exact for "
                    f"{self.name} = {_range_text(self.values)}")
        return f"checked every value of {self.name} = {_range_text(self.values)}"

    def answer(self) -> str:
        return f"{self.name} = " + " or ".join(map(str, self.best)) if self.best else f"no value of {self.name} works"

    def to_dict(self) -> dict:
        return {"network": self.network, "parameter": self.name, "count": self.what, "target": self.target,
                "target_label": self.target_label, "best": self.best, "method": self.method,
                "polynomial": str(self.polynomial) if self.polynomial else None,
                "rows": [{"value": v, "count": c, "difference": None if c is None else c - self.target, "error": e}
                         for v, c, e in self.rows]}


def _range_text(values: range) -> str:
    step = f":{values.step}" if values.step != 1 else ""
    return f"{values[0]}..{values[-1]}{step}" if values else "(none)"


def _count(count_at: Callable[[int], int], v: int) -> tuple[int | None, str | None]:
    try:
        return count_at(v), None
    except ArchcError as e:
        return None, e.message


def _spread(values: range, k: int) -> list[int]:
    """k values spread over ``values`` beyond the first FIT_POINTS, from the next one to the last."""
    rest = values[FIT_POINTS:]
    if not rest:
        return []
    return sorted({rest[(len(rest) - 1) * i // (k - 1)] for i in range(k)})


def solve(count_at: Callable[[int], int], name: str, target: int, values: range, network: str = "",
          what: str = "params", target_label: str = "", show_all: bool = False) -> Solution:
    """The values of ``values`` whose count ``count_at(v)`` (an ArchcError where v does not work) is closest
    to ``target``; every value's count when ``show_all``, else the best and its neighbours."""
    if not values:
        raise SpecError(f"the range of {name} is empty")
    counted: dict[int, tuple[int | None, str | None]] = {}

    def at(v: int) -> tuple[int | None, str | None]:
        if v not in counted:
            counted[v] = _count(count_at, v)
        return counted[v]

    poly = None
    if len(values) > FIT_POINTS + CHECK_POINTS and not show_all:
        first = [at(v) for v in values[:FIT_POINTS]]
        if all(c is not None for c, _ in first):
            poly = fit(list(values[:FIT_POINTS]), [c for c, _ in first], name)
        checks = _spread(values, CHECK_POINTS)
        if poly is not None and not all(at(v)[0] == poly(v) for v in checks):
            poly = None
    if poly is not None:
        if len(poly.coeffs) == 1:
            raise SpecError(f"the {what} of {network} do not depend on {name} "
                            f"({int(poly.coeffs[0]):,} for every value)")
        best = _closest(poly, target, values)
        if all(at(v)[0] == poly(v) for v in best):
            checked = FIT_POINTS + len(checks)
            shown = sorted({w for v in best for w in (v - values.step, v, v + values.step) if w in values})
            return Solution(network, name, what, target, target_label, best, [(v, *at(v)) for v in shown],
                            "polynomial", poly, checked, values)
    if len(values) > MAX_SEARCH:
        raise SpecError(f"the {what} of {network} are not a polynomial in {name}, and the range has "
                        f"{len(values):,} values",
                        hint=f"give a range of at most {MAX_SEARCH:,} values (--range LO..HI)")
    for v in values:
        at(v)
    ok = [v for v in values if counted[v][0] is not None]
    best_diff = min((abs(counted[v][0] - target) for v in ok), default=None)
    best = [v for v in ok if abs(counted[v][0] - target) == best_diff]
    shown = list(values) if show_all else \
        sorted({w for v in best for w in (v - values.step, v, v + values.step) if w in values})
    return Solution(network, name, what, target, target_label, best, [(v, *counted[v]) for v in shown], "search",
                    None, len(values), values)


def count_of(typed: TypedGraph, what: str) -> int:
    """The parameter count ("params") or MACs per sample ("MACs") of a checked network, as a number."""
    n = typed.total_params if what == "params" else typed.total_macs
    if not isinstance(n, int):
        raise SpecError(f"the MACs of {typed.graph.name} depend on the input size ({n})",
                        hint="give a concrete input shape (--input N,C,H,W)")
    return n
