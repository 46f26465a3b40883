"""archc's positions (1-based line and column, in characters) to LSP's (0-based, UTF-16 units) and back,
and diagnostics to LSP diagnostics."""

from __future__ import annotations

import re

from lsprotocol import types
from pygls.workspace import TextDocument

from archc.errors import ArchcError

_WORD = re.compile(r"[A-Za-z0-9_.]+")


class Positions:
    """One document's text, split once, to convert many positions."""

    def __init__(self, doc: TextDocument) -> None:
        self.lines = doc.lines or ("",)
        self.codec = doc.position_codec

    def range(self, line: int, column: int, end_line: int, end_column: int) -> types.Range:
        """A range from archc's 1-based (line, column) pairs, clamped to the text."""
        return to_client(self, line, column, end_line, end_column)

    def point(self, p: types.Position) -> tuple[int, int]:
        """archc's 1-based (line, column) of an LSP position."""
        server = self.codec.position_from_client_units(self.lines, p)
        return server.line + 1, server.character + 1


def to_client(doc: Positions, line: int, column: int, end_line: int, end_column: int) -> types.Range:
    lines = doc.lines

    def pos(ln: int, col: int) -> types.Position:
        ln = min(max(ln, 1), len(lines))
        text = lines[ln - 1].rstrip("\r\n")
        return types.Position(ln - 1, min(max(col, 1), len(text) + 1) - 1)

    server = types.Range(pos(line, column), pos(end_line, end_column))
    return doc.codec.range_to_client_units(lines, server)


def diagnostic(doc: Positions, e: ArchcError) -> types.Diagnostic:
    """The LSP diagnostic of one archc diagnostic: its span (or the word it starts at), message, notes, hint."""
    s = e.span
    if s is None:
        rng = to_client(doc, 1, 1, 1, 1)
    elif s.end_line is not None and s.end_column is not None and (s.end_line, s.end_column) > (s.line, s.column):
        rng = to_client(doc, s.line, s.column, s.end_line, s.end_column)
    else:
        lines = doc.lines
        text = lines[s.line - 1] if 1 <= s.line <= len(lines) else ""
        m = _WORD.match(text, max(s.column - 1, 0))
        rng = to_client(doc, s.line, s.column, s.line, s.column + (len(m.group(0)) if m else 1))
    message = "\n".join([e.message, *(f"note: {n}" for n in e.notes), *([f"hint: {e.hint}"] if e.hint else [])])
    severity = types.DiagnosticSeverity.Warning if e.kind == "warning" else types.DiagnosticSeverity.Error
    from archc.teach.unused import UnusedValue

    tags = [types.DiagnosticTag.Unnecessary] if isinstance(e, UnusedValue) else None
    return types.Diagnostic(range=rng, message=message, severity=severity, source="archc", code=type(e).__name__,
                            tags=tags)
