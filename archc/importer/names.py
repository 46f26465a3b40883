"""Naming as lowering names: which ``as`` labels a spec needs so its layers get the model's names.

``Scope`` follows archc.ir.naming exactly (the same Level, claimed in the order lowering claims): a
layer whose module name is what lowering would call it anyway gets no label; a layer with parameters
keeps its module's name as its label; a parameter-free layer keeps its module's name where that is a
valid, free label, and else gets the automatic one. It also tracks which names each scope can see, so
references (``add(skip)``, ``skip -> ...``) use names lowering will resolve.
"""

from __future__ import annotations

import re
from collections import ChainMap

from archc.importer.modules import UnsupportedError
from archc.ir.naming import LABEL, Level
from archc.ops import REGISTRY

KEYWORDS = frozenset({"network", "block", "seq", "input", "output", "expect", "as", "concat", "branch", "residual",
                      "shortcut", "repeat", "index", "scan", "true", "false", "in", "in_channels"})
NOT_LABELS = frozenset({"in", "in_channels"})  # the names a block's frame defines itself
AUTO = re.compile(r"(?P<base>[A-Za-z_][A-Za-z0-9_]*)_(?P<k>[0-9]+)\Z")


def peek(level: Level, base: str, index: bool) -> str:
    """What ``level.auto(base, index)`` would return, without changing the level."""
    if level.indexed and index:
        i = level.next_index
        while str(i) in level.taken:
            i += 1
        return str(i)
    k = level.counters.get(base, 0) + 1
    while f"{base}_{k}" in level.taken:
        k += 1
    return f"{base}_{k}"


class Scope:
    """A naming level and the values visible in it (name -> value), as one frame of lowering."""

    def __init__(self, level: Level, values: ChainMap, reserved: set[str], blocks: set[str]) -> None:
        self.level, self.values, self.reserved, self.blocks = level, values, reserved, blocks

    def nested(self, level: Level | None = None, reserved: set[str] | None = None) -> Scope:
        return Scope(level or self.level, self.values.new_child(),
                     self.reserved if reserved is None else reserved, self.blocks)

    def name_of(self, value: str) -> str | None:
        """The name a value is visible by here (the innermost)."""
        for name, v in self.values.items():
            if v == value:
                return name
        return None

    def valid(self, label: str | None, kept: bool = False) -> bool:
        """Whether ``label`` can name a layer. An op's or a block's name only where the state dict needs it
        and nothing refers to the value by it (``relu -> ...`` would call the op): ``kept``, as for
        ConvNeXt's ``layer_scale`` parameter."""
        return (label is not None and bool(LABEL.match(label)) and label not in NOT_LABELS
                and (kept or (label not in REGISTRY and label not in self.blocks)))

    def label(self, want: str | None, fixed: bool, base: str, index: bool, value: str, named: bool) -> str | None:
        """The label a layer making ``value`` needs (None: the automatic name); claims and defines its name.

        ``named``: the value is referred to by name later, so its name must be an identifier.
        """
        auto = peek(self.level, base, index)
        if fixed and not self.valid(want, kept=not named):
            raise UnsupportedError(f"'{want}' cannot name a layer of a spec (letters, digits, '_' and '-'; not an op "
                                   "or a block where the value is referred to, not a keyword)")
        if fixed and want in self.level.taken:
            raise UnsupportedError(f"two layers of one scope would both be called '{want}'")
        usable = not named or (auto.isidentifier() and auto not in KEYWORDS)
        if want == auto and usable:
            label = None
        elif want is not None and self.valid(want, kept=fixed and not named) and (fixed or self._free(want, base)):
            label = want
        elif auto in self.reserved or auto in self.values or not usable:
            label = self._fresh(base)
        else:
            label = None
        local = label or self.level.auto(base, index)
        self.level.claim(local, None)
        if named and (not local.isidentifier() or local in KEYWORDS):
            raise UnsupportedError(f"the value of '{local}' is read elsewhere, and the name '{local}' cannot be "
                                   "referred to in a spec (a number or a keyword)", "rename the module")
        self.define(local, value)
        return label

    def auto(self, base: str, value: str) -> None:
        """The automatic name of a join lowering makes itself (a residual's add, a concat of branches)."""
        local = self.level.auto(base, False)
        self.level.claim(local, None)
        self.define(local, value)

    def _free(self, want: str, base: str) -> bool:
        m = AUTO.match(want)
        auto_like = m is not None and (m["base"] in REGISTRY or m["base"] in self.blocks or m["base"] == base)
        return (want not in self.level.taken and want not in self.reserved and want not in self.values
                and not auto_like and not (self.level.indexed and want.isdigit()) and want not in KEYWORDS)

    def _fresh(self, base: str) -> str:
        k = 1
        while any(f"{base}_{k}" in s for s in (self.level.taken, self.reserved, self.values)):
            k += 1
        return f"{base}_{k}"

    def define(self, local: str, value: str) -> None:
        """Make ``local`` name ``value`` here (lowering defines every identifier name)."""
        if not local.isidentifier():
            return
        if local in self.values:
            raise UnsupportedError(f"the name '{local}' is already used by an enclosing scope of the spec",
                              "rename one of the modules")
        self.values[local] = value
