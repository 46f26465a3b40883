"""What the front ends check before they build anything, so that no text makes them recurse or
expand without bound: bracket nesting (DSL), and for YAML nesting, values with every alias
expanded and aliases inside themselves; YAML is then constructed with ``safe_load``'s rules."""

from __future__ import annotations

import re
from typing import Any

import yaml

from archc import limits
from archc.errors import Span, SpecSyntaxError

TOKEN = re.compile(r"\w+|[^\w\s]")


def check_nesting(text: str, file: str) -> None:
    """Refuse more tokens than the ``tokens`` limit (the parser's time grows with them), and brackets
    and braces nested deeper than the ``nesting`` limit (outside strings and comments), at the token
    or the bracket that goes past it."""
    most = limits.limit("tokens")
    for k, m in enumerate(TOKEN.finditer(text)):
        if k == most:
            line = text.count("\n", 0, m.start()) + 1
            raise SpecSyntaxError(f"the text has more than {most:,} tokens", Span(file, line, m.start() -
                                  text.rfind("\n", 0, m.start())), source=text, hint=limits.hint("tokens"))
    depth, most = 0, limits.limit("nesting")
    for lineno, line in enumerate(text.splitlines(), 1):
        end = comment_start(line)
        quote = None
        for col, ch in enumerate(line[:end], 1):
            if quote:
                quote = None if ch == quote else quote
            elif ch in "\"'":
                quote = ch
            elif ch in "([{":
                depth += 1
                if depth > most:
                    raise SpecSyntaxError(f"brackets are nested more than {most} deep", Span(file, lineno, col),
                                          source=text, hint=limits.hint("nesting"))
            elif ch in ")]}":
                depth -= 1


def too_deep(text: str, file: str) -> SpecSyntaxError:
    return SpecSyntaxError("the spec is nested too deeply to read", Span(file, 1, 1), source=text,
                           hint=f"nest blocks and expressions less deeply; {limits.hint('nesting')}")


def comment_start(line: str) -> int | None:
    """Column of a `#` comment that is not inside a string literal."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return i
    return None


def read_documents(text: str, file: str) -> tuple[list, list]:
    """The documents of ``text``: their nodes (for locations) and their values (``yaml.safe_load``'s);
    a YAML error is a located SpecSyntaxError."""
    try:
        bounded(text, file)
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        return nodes, [_Constructor("").construct_document(n) for n in nodes]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        span = Span(file, mark.line + 1, mark.column + 1) if mark else Span(file, 1, 1)
        problem = getattr(e, "problem", None) or str(e)
        raise SpecSyntaxError(f"invalid YAML: {problem}", span, source=text) from None


def bounded(text: str, file: str) -> None:
    """Refuse, before anything is built, YAML nested deeper than the ``nesting`` limit, an alias
    inside what it names, or more values than ``yaml_nodes`` with every alias expanded (a
    "billion laughs" of nested aliases). Reads the event stream: no recursion, no expansion."""
    deep, cap = limits.limit("nesting"), limits.limit("yaml_nodes")
    size: dict[str, int] = {}  # anchor -> the number of values it stands for
    open_: list[tuple[str | None, int]] = []  # collections being read: (anchor, total at their start)
    total = 0

    def fail(msg: str, ev: Any, name: str) -> SpecSyntaxError:
        m = ev.start_mark
        return SpecSyntaxError(msg, Span(file, m.line + 1, m.column + 1), hint=limits.hint(name), source=text)

    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(ev, yaml.AliasEvent):
            if any(a == ev.anchor for a, _ in open_):
                raise SpecSyntaxError(f"the alias *{ev.anchor} is inside the value &{ev.anchor} it names",
                                      _mark_span(file, ev), hint="a YAML spec cannot contain itself", source=text)
            total += size.get(ev.anchor, 1)  # an unknown anchor is the composer's error
        elif isinstance(ev, yaml.CollectionStartEvent):
            open_.append((ev.anchor, total))
            total += 1
            if len(open_) > deep:
                raise fail(f"YAML lists and mappings are nested more than {deep} deep", ev, "nesting")
        elif isinstance(ev, yaml.CollectionEndEvent):
            anchor, start = open_.pop()
            if anchor is not None:
                size[anchor] = total - start
        elif isinstance(ev, yaml.ScalarEvent):
            total += 1
            if ev.anchor is not None:
                size[ev.anchor] = 1
        if total > cap:
            raise fail(f"the YAML holds more than {cap:,} values with its aliases expanded", ev, "yaml_nodes")


def _mark_span(file: str, ev: Any) -> Span:
    return Span(file, ev.start_mark.line + 1, ev.start_mark.column + 1)


class _Constructor(yaml.SafeLoader):
    """safe_load's constructor, whose errors on a tagged value (``!!int x``) say where it is."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError, IndexError):
            tag = str(node.tag).rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(None, None, f"cannot read {node.value!r} as {tag}",
                                                    node.start_mark) from None


def key_problem(data: dict, node: Any) -> tuple[Any, str, str] | None:
    """(where, message, hint) for the first key of a mapping that YAML 1.1 did not read as a name
    (``On:`` is true, ``1:`` a number, ``~:`` null), else None."""
    for key in data:
        if not isinstance(key, str):
            where = next((k for k, _ in getattr(node, "value", ()) if isinstance(k, yaml.Node)
                          and k.tag != "tag:yaml.org,2002:str"), node)
            raw = getattr(where, "value", key)
            shown = {None: "null", True: "true", False: "false"}.get(key, f"{kind(key)} {key!r}") \
                if key is None or isinstance(key, bool) else f"{kind(key)} {key!r}"
            return where, f"the key {raw!r} is not a name: YAML reads it as {shown}", f"quote it: '{raw}':"
    return None


def kind(v: Any) -> str:
    """How a diagnostic names the type of a YAML value."""
    return {dict: "a mapping", list: "a list", str: "a string", type(None): "nothing", bool: "a truth value",
            int: "an integer", float: "a number"}.get(type(v), type(v).__name__)
