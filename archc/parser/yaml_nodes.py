"""Checks on composed YAML nodes before they are read: keys given twice, and where a node really ends."""

from __future__ import annotations

from typing import Any

import yaml

from archc.errors import Span, SpecSyntaxError


def no_duplicate_keys(root: Any, file: str, text: str) -> None:
    """A mapping that gives one key twice is an error (YAML would keep the last one silently)."""
    todo, seen_nodes = [root], set()
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen_nodes:  # aliases share nodes; a recursive one loops
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    if (k.tag, k.value) in first:
                        line = first[(k.tag, k.value)].start_mark.line + 1
                        s, e = k.start_mark, k.end_mark
                        raise SpecSyntaxError(f"key '{k.value}' is given twice (first at line {line})",
                                              Span(file, s.line + 1, s.column + 1, e.line + 1, e.column + 1),
                                              hint="YAML would keep only the last one", source=text)
                    first[(k.tag, k.value)] = k
                todo.extend((k, v))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)


def node_span(node: Any, file: str, lines: list[str]) -> Span:
    """The span of a node, from its first character to its last (``lines``: the text's lines and one more)."""
    s, e = node.start_mark, node.end_mark
    end_line, end_col = e.line, e.column
    # a block node's end mark is where the next token starts (the next item's `-`): it ended above,
    # on the last line that is not blank or only a comment
    if end_line > s.line and lines[end_line][:end_col].strip() in ("", "-"):
        end_line -= 1
        while end_line > s.line and (not lines[end_line].strip() or lines[end_line].strip()[0] == "#"):
            end_line -= 1
        end_col = len(lines[end_line])
    return Span(file, s.line + 1, s.column + 1, end_line + 1, end_col + 1)
