"""Diagnostics: one error root, `ArchcError`, carrying a source span.

The CLI prints a diagnostic like a compiler does::

    specs/mnist.arch:12:5: error: conv2d expects 4-D input, got [N, 784]
       12 |   conv2d(16, kernel=3)
          |   ^~~~~~~~~~~~~~~~~~~~
      hint: insert `flatten` or check the input shape
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Span:
    """A region of a source file: 1-based line and column, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class ArchcError(Exception):
    """Every error archc reports about a spec, a model or its inputs."""

    kind = "error"

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None,
                 source: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.source = source
        self.notes: list[str] = []

    def with_span(self, span: Span | None, source: str | None = None) -> ArchcError:
        """Attach a location (and the text it points into) unless one is already set."""
        if self.span is None and span is not None:
            self.span = span
        if self.source is None and source is not None:
            self.source = source
        return self

    def add_note(self, note: str) -> ArchcError:  # type: ignore[override]
        """Add context such as "while inferring node conv2d_1"."""
        self.notes.append(note)
        return self

    def __str__(self) -> str:
        return self.format()

    def format(self) -> str:
        """The compiler-style text of this diagnostic: location, message, source line, caret."""
        where = f"{self.span}: " if self.span else ""
        lines = [f"{where}{self.kind}: {self.message}"]
        excerpt = self._excerpt()
        if excerpt:
            lines.extend(excerpt)
        lines.extend(f"  note: {n}" for n in self.notes)
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def _excerpt(self) -> list[str]:
        span, source = self.span, self.source
        if span is None or source is None:
            return []
        src_lines = source.splitlines()
        if not 1 <= span.line <= len(src_lines):
            return []
        text = src_lines[span.line - 1].expandtabs(1)
        width = 1
        if span.end_line == span.line and span.end_column and span.end_column > span.column:
            width = span.end_column - span.column
        col = max(span.column, 1)
        width = max(1, min(width, len(text) - col + 1))
        gutter = f"{span.line:>5} | "
        pad = " " * (len(gutter) - 2) + "| "
        return [gutter + text, pad + " " * (col - 1) + "^" + "~" * (width - 1)]


class SpecSyntaxError(ArchcError):
    """The spec text does not parse (DSL or YAML)."""


class SpecError(ArchcError):
    """The spec parses but is not meaningful: unknown op, bad attribute, bad reference."""


class ShapeError(ArchcError):
    """Shapes do not fit: channel mismatch, size < 1, failed expectation."""


class EmitError(ArchcError):
    """A backend cannot build or run a model (including wrong tensors at run time)."""


def did_you_mean(name: str, known: Any) -> str:
    """A hint naming the closest known names, or listing them all."""
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    return "known: " + ", ".join(sorted(str(k) for k in known))
