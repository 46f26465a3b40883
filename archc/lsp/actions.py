"""Quick fixes: where an archc diagnostic says "did you mean 'X'?", replace the misspelt name with X."""

from __future__ import annotations

import re

from lsprotocol import types

from archc.lsp.convert import Positions

_SUGGESTION = re.compile(r"did you mean ((?:'[A-Za-z_][A-Za-z0-9_]*'(?: or )?)+)\?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def quick_fixes(uri: str, pos: Positions, diagnostics: list[types.Diagnostic]) -> list[types.CodeAction]:
    """One "replace with" action per suggestion of each diagnostic, for the name its range starts at
    (when the diagnostic's message names it)."""
    out = []
    for d in diagnostics:
        m = _SUGGESTION.search(d.message or "")
        start = d.range.start
        if m is None or d.source != "archc" or start.line >= len(pos.lines):
            continue
        word = _WORD.match(pos.lines[start.line], start.character)
        if word is None or f"'{word.group(0)}'" not in d.message.splitlines()[0]:
            continue
        rng = types.Range(start, types.Position(start.line, word.end()))
        for name in re.findall(r"'([^']+)'", m.group(1)):
            out.append(types.CodeAction(
                title=f"Replace '{word.group(0)}' with '{name}'", kind=types.CodeActionKind.QuickFix,
                diagnostics=[d], edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(rng, name)]})))
    return out
