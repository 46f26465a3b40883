"""The limits that keep archc bounded in time and memory on any input, hostile or huge.

Each is a number of things a spec may hold; going past one is a diagnostic that names the limit
and how to raise it (``archc COMMAND --max NAME=N``, or ``--max-nodes`` for layers)::

    spec_bytes   bytes of a spec file
    tokens       words and symbols of a DSL text (the parser's time grows with them)
    nesting      brackets, braces, operators of an expression, YAML lists and mappings, in each other
    depth        blocks, repeats and groups nested in each other as they are expanded
    terms        terms of one symbolic size
    yaml_nodes   values of a YAML document, every alias expanded
    render_nodes nodes `archc render` draws (Graphviz's layout takes minutes past a few thousand)

A few bounds are not limits but facts: no size has more than ``MAX_DIGITS`` digits.
"""

from __future__ import annotations

from archc.errors import SpecError

DEFAULTS = {"spec_bytes": 4 * 2**20, "tokens": 100_000, "depth": 48, "nesting": 100, "terms": 10_000,
            "yaml_nodes": 1_000_000, "render_nodes": 2_000}
MAX_DIGITS = 60  # integers of more digits are refused: they are never sizes
_current = dict(DEFAULTS)


def limit(name: str) -> int:
    """The current value of the limit ``name``."""
    return _current[name]


def hint(name: str) -> str:
    """How to raise the limit ``name``."""
    return f"raise the limit with --max {name}=N (now {_current[name]:,})"


def set_limits(pairs: list[str] | dict[str, int] | None = None) -> None:
    """Reset every limit to its default, then apply ``["depth=100", ...]`` (or a dict)."""
    _current.clear()
    _current.update(DEFAULTS)
    items = pairs.items() if isinstance(pairs, dict) else (p.partition("=")[::2] for p in pairs or [])
    for name, value in items:
        if name not in DEFAULTS:
            raise SpecError(f"--max: unknown limit '{name}'", hint="known: " + ", ".join(DEFAULTS))
        try:
            n = int(value)
        except ValueError:
            raise SpecError(f"--max {name}= needs a positive integer, got {value!r}") from None
        if n < 1:
            raise SpecError(f"--max {name}= needs a positive integer, got {n}")
        _current[name] = n
