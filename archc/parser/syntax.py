"""DSL syntax errors as diagnostics: lark's UnexpectedInput -> one located SpecSyntaxError that says
what was found and what was expected, in the grammar's words."""

from __future__ import annotations

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from archc.errors import Span, SpecSyntaxError

_NAMES = {"NAME": "a name", "INT": "an integer", "FLOAT": "a number", "STRING": "a string",
          "CMP": "a comparison (==, <=, ...)", "$END": "end of file"}


def _describe_terminal(name: str, parser: Lark) -> str:
    if name in _NAMES:
        return _NAMES[name]
    for t in parser.terminals:
        if t.name == name and t.pattern.type == "str":
            return f"'{t.pattern.value}'"
    return name.lower()


def syntax_error(e: UnexpectedInput, text: str, file: str, parser: Lark) -> SpecSyntaxError:
    line, col = max(getattr(e, "line", 1) or 1, 1), max(getattr(e, "column", 1) or 1, 1)
    if isinstance(e, UnexpectedToken):
        tok = e.token
        if tok.type == "$END":
            what = "unexpected end of file"
            lines = text.splitlines() or [""]
            line, col = len(lines), len(lines[-1]) + 1
        elif tok == ">" and tok.start_pos and text[tok.start_pos - 1] == "-":  # an arrow where it cannot go
            what, col = "unexpected '->'", col - 1
        else:
            desc = _describe_terminal(tok.type, parser)
            what = f"unexpected {desc}" if desc.startswith("'") else f"unexpected {desc} '{tok}'"
        expected = sorted({_describe_terminal(t, parser) for t in e.expected})
    elif isinstance(e, UnexpectedCharacters):
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else "?"
        what = f"unexpected character {ch!r}"
        expected = sorted({_describe_terminal(t, parser) for t in (e.allowed or ())})
    elif isinstance(e, UnexpectedEOF):
        lines = text.splitlines() or [""]
        line, col = len(lines), len(lines[-1]) + 1
        what = "unexpected end of file"
        expected = sorted({_describe_terminal(t, parser) for t in e.expected})
    else:  # pragma: no cover - lark has no other UnexpectedInput kinds
        what, expected = "syntax error", []
    hint = None
    if expected:
        shown = expected[:8]
        hint = "expected " + ", ".join(shown) + (", ..." if len(expected) > 8 else "")
    return SpecSyntaxError(what, Span(file, line, col), hint=hint, source=text)
