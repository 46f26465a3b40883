"""The importer's diagnostics: what a model does that a spec cannot say, with the module path and the
model's own source line (file, line and the line's text, like every archc diagnostic)."""

from __future__ import annotations

import linecache
import os
import re
from dataclasses import dataclass

from archc.errors import ArchcError, Span

_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<fn>\S+)')


class ModelImportError(ArchcError):
    """A model cannot be written as a spec: an unsupported module or function, control flow on a
    tensor, an in-place trick, a size computed from a tensor's values."""


@dataclass(frozen=True)
class Where:
    """Where in the model a call was made: the module path ("" the model itself) and the source line."""

    path: str
    module_type: str = ""
    file: str | None = None
    line: int | None = None

    def span(self) -> Span | None:
        return Span(self.file, self.line, _indent(self.file, self.line)) if self.file and self.line else None


def _indent(file: str, line: int) -> int:
    text = linecache.getline(file, line)
    return len(text) - len(text.lstrip()) + 1 if text.strip() else 1


def _skipped(file: str) -> bool:
    """Frames of torch and of the importer itself: the user's line is the innermost other frame."""
    import torch

    roots = (os.path.dirname(torch.__file__), os.path.dirname(__file__))
    return file.startswith(roots) or file.startswith("<")


def frame_in(stack_trace: str | None) -> tuple[str | None, int | None]:
    """The innermost frame of the model's code in an fx/export stack trace text."""
    found: tuple[str | None, int | None] = (None, None)
    for m in _FRAME.finditer(stack_trace or ""):
        if not _skipped(m["file"]):
            found = (m["file"], int(m["line"]))
    return found


def frame_of(exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost frame of the model's code in an exception's traceback."""
    import traceback

    found: tuple[str | None, int | None] = (None, None)
    for fr in traceback.extract_tb(exc.__traceback__):
        if not _skipped(fr.filename):
            found = (fr.filename, fr.lineno)
    return found


def error(message: str, where: Where | None, hint: str | None = None) -> ModelImportError:
    """A diagnostic naming the module (``layer1.0`` (BasicBlock)) and pointing at the model's source line."""
    if where is not None:
        who = f"'{where.path}'" if where.path else "the model"
        kind = f" ({where.module_type})" if where.module_type else ""
        message = f"{who}{kind}: {message}"
    span = where.span() if where is not None else None
    source = "".join(linecache.getlines(span.file)) if span is not None else None
    return ModelImportError(message, span, hint=hint, source=source or None)
