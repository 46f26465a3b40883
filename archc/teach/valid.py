"""The input sizes a network accepts, from the conditions shape inference records on symbolic sizes.

Each condition is a size that must be at least 1, or two sizes that must agree at a join
(:attr:`archc.shape_infer.TypedGraph.constraints`). A size is a polynomial in the input's
symbols and floor divisions of them; where it is affine in one symbol H (every size of a
CNN is) it is *quasi-affine*: ``f(H + L) = f(H) + c`` for all H, with L the lcm of its
denominators. So along each residue class mod L each condition flips at most once, at a
point found from one period of values; past the last flip the valid sizes repeat with
period L. :func:`valid_sizes` finds that point, evaluates the conditions up to it and two
periods on, and summarises the set as a minimum, a period and residues (``H >= 16``,
``H % 16 == 0``). That summary is exact for every size, not just those evaluated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from archc import dims
from archc.dims import Dim, Expr, Floor
from archc.errors import ArchcError
from archc.ir.graph import Graph
from archc.shape_infer import TypedGraph, infer

MAX_EXACT = 100_000  # largest size evaluated for an exact answer
INEXACT_LIMIT = 4_096  # sizes evaluated where a condition is not quasi-affine


@dataclass(frozen=True)
class Condition:
    """One recorded condition: ``a >= 1`` ("ge1") or ``a == b`` ("eq"), from layer ``node``."""

    node: str
    kind: str
    a: Dim
    b: Dim

    def holds(self, env: dict[str, int]) -> bool:
        a = dims.evaluate(self.a, env)
        return a >= 1 if self.kind == "ge1" else a == dims.evaluate(self.b, env)

    @property
    def symbols(self) -> set[str]:
        return dims.symbols_of(self.a) | dims.symbols_of(self.b)

    def text(self) -> str:
        a, b = dims.dim_str(self.a, True), dims.dim_str(self.b, True)
        return f"{self.node}: {a} ≥ 1" if self.kind == "ge1" else f"{self.node}: {a} = {b}"


@dataclass(frozen=True)
class SizeSet:
    """The sizes ``symbol`` may take: the values in ``head``, and from ``start`` on every value whose
    remainder mod ``period`` is in ``residues`` (``start`` None: none from there on). ``exact`` says the
    description holds for every size; else it was checked for sizes up to ``checked_to``."""

    symbol: str
    head: tuple[int, ...]
    start: int | None
    period: int
    residues: tuple[int, ...]
    exact: bool = True
    checked_to: int = 0
    why: tuple[str, ...] = ()

    def __contains__(self, v: object) -> bool:
        if not isinstance(v, int) or v < 1:
            return False
        if v in self.head:
            return True
        return self.start is not None and v >= self.start and v % self.period in self.residues

    @property
    def minimum(self) -> int | None:
        return self.head[0] if self.head else self.start

    def conditions(self) -> list[str]:
        """The set as simple conditions: ``["H >= 16", "H % 16 == 0"]``."""
        s = self.symbol
        if self.start is None:
            if not self.head:
                return [f"no size of {s} works"]
            steps = {b - a for a, b in zip(self.head, self.head[1:])}
            if len(self.head) > 2 and len(steps) == 1 and steps != {1}:  # 2, 4, ..., 98
                (d,) = steps
                return [f"{s} >= {self.head[0]}", f"{s} <= {self.head[-1]}", f"{s} % {d} == {self.head[0] % d}"]
            return [f"{s} in {_ranges(self.head)}"]
        tail = [f"{s} >= {self.start}"] if self.start > 1 or self.head else []
        if self.period > 1:
            rs = self.residues
            tail.append(f"{s} % {self.period} == {rs[0]}" if len(rs) == 1 else
                        f"{s} % {self.period} in {{{', '.join(map(str, rs))}}}")
        if not self.head:
            return tail or [f"{s} >= 1"]
        return [f"{s} in {_ranges(self.head)} or ({' and '.join(tail)})"]

    def text(self) -> str:
        out = ", ".join(self.conditions())
        return out if self.exact else f"{out} (checked for {self.symbol} up to {self.checked_to})"


def _ranges(values: tuple[int, ...]) -> str:
    parts, i = [], 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        parts.append(str(values[i]) if i == j else f"{values[i]}..{values[j]}")
        i = j + 1
    return "{" + ", ".join(parts) + "}"


def _affine_period(x: Dim) -> int | None:
    """L with f(v + L) = f(v) + c for every integer v, if ``x`` is quasi-affine; else None."""
    if isinstance(x, int):
        return 1
    period = 1
    for mono, _ in x.terms:
        if len(mono) > 1:
            return None
        for atom in mono:
            if isinstance(atom, Floor):
                inner = _affine_period(atom.num)
                if inner is None:
                    return None
                period = math.lcm(period, atom.den * inner)
    return period


def _settled(cond: Condition, symbol: str, period: int) -> int:
    """A size from which ``cond`` holds or fails periodically (with ``period``), for a quasi-affine one."""
    def f(v: int) -> int:
        env = {symbol: v}
        a = dims.evaluate(cond.a, env)
        return a if cond.kind == "ge1" else a - dims.evaluate(cond.b, env)

    last = 1
    for r in range(1, period + 1):
        base, step = f(r), f(r + period) - f(r)
        if step == 0:
            continue
        # the k from which the value stays on one side: >= 1 (ge1), or away from 0 (eq)
        if cond.kind == "ge1":
            k = -((base - 1) // step) if step > 0 else (base - 1) // -step + 1
        else:
            k = (-base // step) + 1 if step > 0 else (base // -step) + 1
        last = max(last, r + max(k, 0) * period)
    return last


def valid_sizes(conditions: list[Condition], symbol: str) -> SizeSet:
    """The sizes ``symbol`` may take under the conditions that involve it alone."""
    mine = [c for c in conditions if c.symbols == {symbol}]
    periods = [_affine_period(c.a - c.b if c.kind == "eq" else c.a) for c in mine]
    exact = all(p is not None for p in periods)
    period = math.lcm(1, *(p for p in periods if p))
    if exact:
        start = max([_settled(c, symbol, period) for c in mine], default=1)
        limit = start + 2 * period
        exact = limit <= MAX_EXACT
    if not exact:
        limit = INEXACT_LIMIT
    ok = [False] + [all(c.holds({symbol: v}) for c in mine) for v in range(1, limit + 1)]
    p = _tail_period(ok, limit, period if exact else None)
    if p is None:  # no period seen: list the sizes that work
        head = tuple(v for v in range(1, limit + 1) if ok[v])
        return SizeSet(symbol, head, None, 1, (), False, limit, _why(mine, symbol, ok, head[0] if head else 1, 1, ()))
    s = limit - period - p + 1 if exact else limit // 2
    while s > 1 and ok[s - 1] == ok[s - 1 + p]:
        s -= 1
    residues = tuple(sorted({v % p for v in range(s, s + p) if ok[v]}))
    head = tuple(v for v in range(1, s) if ok[v])
    tail_start = next(v for v in range(s, s + p) if ok[v]) if residues else None
    why = _why(mine, symbol, ok, tail_start or (head[0] if head else 1), p, residues)
    return SizeSet(symbol, head, tail_start, p, residues, exact, limit, why)


def _tail_period(ok: list[bool], limit: int, period: int | None) -> int | None:
    """The smallest period of ``ok`` at its end: a divisor of ``period`` when the tail is known to repeat
    with it (checked over one period), else any p <= 64 that holds over the last half."""
    if period is not None:
        return next(d for d in range(1, period + 1) if period % d == 0 and
                    all(ok[v] == ok[v + d] for v in range(limit - period - d + 1, limit - d + 1)))
    return next((d for d in range(1, 65) if all(ok[v] == ok[v + d] for v in range(limit // 2, limit - d + 1))),
                None)


def _why(conds: list[Condition], symbol: str, ok: list[bool], first: int, p: int, residues: tuple) -> tuple:
    """The conditions behind the minimum (failing just below it) and the period (failing in the gaps)."""
    out: list[str] = []
    below = [c for c in conds if first > 1 and not c.holds({symbol: first - 1})]
    out += [c.text() for c in below[:1]]
    gaps = [v for v in range(first, first + p) if v % p not in residues]
    for c in conds:
        if gaps and not c.holds({symbol: gaps[0]}) and c.text() not in out:
            out.append(c.text())
            break
    return tuple(out)


@dataclass
class InputSizes:
    """The valid sizes of each symbol of a network's inputs, and the conditions that tie several together."""

    network: str
    inputs: dict[str, tuple]
    sets: dict[str, SizeSet]
    joint: list[Condition] = field(default_factory=list)

    def __contains__(self, env: object) -> bool:
        """Whether sizes ``{"H": 32, "W": 32}`` work (symbols not given are taken to be valid)."""
        if not isinstance(env, dict):
            return False
        return all(env[s] in ss for s, ss in self.sets.items() if s in env) and \
            all(c.holds(env) for c in self.joint if c.symbols <= set(env))

    def conditions(self) -> list[str]:
        return [c for ss in self.sets.values() for c in ss.conditions()] + [c.text() for c in self.joint]

    def text(self) -> str:
        parts = [ss.text() for ss in self.sets.values()] + [c.text() for c in self.joint]
        return ", ".join(parts) if parts else "any size"

    def to_dict(self) -> dict:
        return {s: {"conditions": ss.conditions(), "minimum": ss.minimum, "period": ss.period,
                    "residues": list(ss.residues), "start": ss.start, "head": list(ss.head), "exact": ss.exact,
                    "why": list(ss.why)} for s, ss in self.sets.items()} | \
            ({"joint": [c.text() for c in self.joint]} if self.joint else {})


def input_sizes(typed: TypedGraph) -> InputSizes:
    """The input sizes a checked network with symbolic inputs accepts (a TypedGraph inferred without
    concrete input sizes)."""
    shapes = typed.input_shapes
    conds = [Condition(node, kind, a, b) for node, kind, a, b, _ in typed.constraints]
    batch = {str(s[0]) for s in shapes.values() if s and isinstance(s[0], Expr)}
    symbols: list[str] = []
    for shape in shapes.values():
        for d in shape:
            for s in sorted(dims.symbols_of(d)):
                if s not in symbols:
                    symbols.append(s)
    used = set().union(*(c.symbols for c in conds)) if conds else set()
    sets = {s: valid_sizes(conds, s) for s in symbols if s in used or s not in batch}
    joint = [c for c in conds if len(c.symbols) > 1]
    return InputSizes(typed.graph.name, shapes, sets, joint)


def misfit_note(graph: Graph, given: dict[str, tuple]) -> str | None:
    """For concrete input shapes that fail: which given sizes lie outside the valid ones, and what those are
    (None when the network has no symbolic sizes, or every given size is valid)."""
    try:
        sizes = input_sizes(infer(graph))
    except ArchcError:
        return None
    env = {}
    for decl in graph.inputs:
        for d, v in zip(decl.shape, given.get(decl.name, ())):
            if isinstance(d, Expr) and d.symbols() == {str(d)}:
                env[str(d)] = v
    bad = [f"{s} = {env[s]}" for s, ss in sizes.sets.items() if s in env and env[s] not in ss]
    if not bad:
        return None
    return f"the network accepts {sizes.text()}; here {', '.join(bad)}"


def valid_line(typed: TypedGraph) -> str | None:
    """``H >= 8, W >= 8`` for a network with symbolic input sizes; None where the input is concrete."""
    sizes = input_sizes(typed)
    return sizes.text() if sizes.sets or sizes.joint else None
