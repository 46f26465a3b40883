"""What both source emitters share: safe identifiers, safe literals, and copied definitions.

Nothing from a spec or its file name reaches emitted code except as an escaped literal
(:func:`literal`, :func:`docstring`, :func:`comment`) or a validated identifier
(:class:`Namer`): a layer called ``self``, ``class`` or ``forward`` gets a mangled Python
name, while state-dict keys keep the spec's names.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import keyword
import math
import re
import textwrap
from collections.abc import Iterable
from types import ModuleType
from typing import Any

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"self"}
# names emitted code uses besides the spec's: modules, arguments, helpers
RESERVED = KEYWORDS | frozenset(dir(builtins)) | {
    "self", "torch", "nn", "F", "np", "math", "erf", "as_strided", "Any", "annotations", "dtype", "rng", "seed",
    "state", "mode", "layer", "store", "k", "v", "n"}


def identifier(text: str) -> str:
    """A Python identifier made from ``text``: other characters become ``_``; a leading digit gets ``_``."""
    out = re.sub(r"[^A-Za-z0-9_]", "_", text) or "_"
    return "_" + out if out[0].isdigit() else out


class Namer:
    """Gives each spec name one Python identifier, distinct from the others and from ``reserved``."""

    def __init__(self, reserved: Iterable[str] = RESERVED) -> None:
        self.reserved = set(reserved)
        self.names: dict[Any, str] = {}
        self.used: set[str] = set()

    def __call__(self, name: Any, hint: str | None = None) -> str:
        """The identifier for ``name`` (any hashable key; ``hint`` is the text to make it from)."""
        if name in self.names:
            return self.names[name]
        base = identifier(hint if hint is not None else name)
        if base in self.reserved:
            base += "_"
        out, k = base, 1
        while out in self.used or out in self.reserved:
            k += 1
            out = f"{base}_{k}"
        self.names[name] = out
        self.used.add(out)
        return out

    def reserve(self, name: str) -> None:
        self.used.add(name)


def class_name(name: str, suffix: str = "") -> str:
    """A CamelCase class name from a spec name: mnist_cnn -> MnistCnn."""
    parts = [p for p in identifier(name).split("_") if p]
    out = "".join(p[:1].upper() + p[1:] for p in parts) or "Net"
    if out[0].isdigit():
        out = "Net" + out
    out += suffix
    return out + "_" if keyword.iskeyword(out) or out in RESERVED else out


def literal(v: Any) -> str:
    """Python source for a value from a spec: numbers, bools, None, strings, tuples, lists, dicts."""
    if v is None or isinstance(v, bool | int):
        return repr(v)
    if isinstance(v, float):
        if math.isnan(v):
            return 'float("nan")'
        if math.isinf(v):
            return 'float("inf")' if v > 0 else '-float("inf")'
        return repr(v)
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, tuple):
        inner = ", ".join(literal(x) for x in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    if isinstance(v, list):
        return "[" + ", ".join(literal(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"no literal for {type(v).__name__}")


_PLAIN = re.compile(r"[A-Za-z0-9 _.,:;()\[\]{}<>=+\-*/#%&|~^!?@$'\n]*\Z")


def docstring(text: str, indent: str = "") -> str:
    """A docstring statement holding ``text``: triple-quoted when that is safe, else an escaped literal."""
    if _PLAIN.match(text) and not text.endswith("'") and '"""' not in text and "\\" not in text:
        body = text.replace("\n", "\n" + indent) if indent else text
        return f'{indent}"""{body}"""'
    return indent + repr(text)


def comment(text: str) -> str:
    """Text safe for the rest of a ``#`` comment line (one line, printable)."""
    return "".join(ch if ch.isprintable() else "?" for ch in text.replace("\n", " ").replace("\r", " "))


def definitions(modules: Iterable[ModuleType], skip: Iterable[str] = ("register",)) -> dict[str, object]:
    """Every top-level function and class defined in ``modules``, by name."""
    out: dict[str, object] = {}
    skipped = set(skip)
    for mod in modules:
        for name, obj in vars(mod).items():
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == mod.__name__ \
                    and name not in skipped:
                out[name] = obj
    return out


def source(obj: object) -> str:
    """The source text of a function or class of archc's (for the emitted files)."""
    try:
        return inspect.getsource(obj)
    except SystemError:  # CPython 3.11.7's AST recursion-depth check can misfire once (gh-106905); it reparses fine
        return inspect.getsource(obj)


def closure(roots: Iterable[str], defs: dict[str, object]) -> list[str]:
    """The roots and every definition their source refers to, dependencies first."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:  # done, or being visited (definitions that refer to each other)
            return
        seen.add(name)
        text = textwrap.dedent(source(defs[name]))
        try:
            tree = ast.parse(text)
        except SystemError:  # as in source()
            tree = ast.parse(text)
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}  # code, not docstrings or comments
        for d in defs:
            if d != name and d in used:
                visit(d)
        order.append(name)

    for r in roots:
        visit(r)
    return order


def sources(names: Iterable[str], defs: dict[str, object]) -> list[str]:
    return [source(defs[n]).rstrip() for n in names]
