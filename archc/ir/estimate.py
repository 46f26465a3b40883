"""The fewest layers a block or a body expands to, counted without expanding it, so that a spec
whose expansion is too large (a block fan-out of 2^40 layers) is refused before it is built.

The count is a lower bound: a repeat whose count is not a number in the text counts 0 times, an
`if` its smaller branch, and a name that is neither an op nor a visible block (a reference) 0.
"""

from __future__ import annotations

from archc import limits
from archc.ops import REGISTRY
from archc.parser import ast


class LeastLayers:
    """Counts, remembered per block and the blocks visible to it."""

    def __init__(self) -> None:
        self.memo: dict[tuple, int] = {}
        self.active: set[tuple] = set()

    def body(self, stmts: tuple, blocks: dict) -> int:
        """The fewest layers ``stmts`` expand to, with ``blocks`` visible."""
        nested = {s.name: s for s in stmts if isinstance(s, ast.BlockDef)}
        if nested:
            blocks = {**blocks, **nested}
        return sum(self.item(it, blocks) for s in stmts if isinstance(s, ast.Chain) for it in s.items)

    def block(self, b: ast.BlockDef, blocks: dict) -> int:
        key = (id(b), tuple(sorted((k, id(v)) for k, v in blocks.items())))
        if key in self.memo:
            return self.memo[key]
        if key in self.active or len(self.active) > limits.limit("depth"):
            return 0  # a block inside itself is the lowering's error; deeper than allowed, too
        self.active.add(key)
        try:
            n = self.memo[key] = self.body(b.body, blocks)
        finally:
            self.active.discard(key)
        return n

    def item(self, it: object, blocks: dict) -> int:
        if isinstance(it, ast.Call):
            if it.op in blocks:
                return self.block(blocks[it.op], blocks)
            return 1 if it.op in REGISTRY else 0
        if isinstance(it, ast.Repeat):
            count = it.count.value if isinstance(it.count, ast.Num) else 0
            return count * self.body(it.body, blocks) if isinstance(count, int) and count > 0 else 0
        if isinstance(it, ast.Residual):
            return 1 + self.body(it.body, blocks) + self.body(it.shortcut or (), blocks)
        if isinstance(it, ast.If):
            return min(self.body(it.body, blocks), self.body(it.orelse or (), blocks))
        if isinstance(it, ast.Branches):
            return 1 + sum(self.body(b, blocks) for b in it.branches)
        if isinstance(it, ast.Seq | ast.Scan):
            return self.body(it.body, blocks)
        return 0
