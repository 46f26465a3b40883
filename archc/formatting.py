"""`archc fmt`: print a spec back, and refuse rather than change or drop what it means.

The formatted text is parsed again and every network is compared with the original: the
same nodes (names, ops, inputs, attributes), inputs, outputs, parameters and expectations.
"""

from __future__ import annotations

from typing import Any

from archc.errors import ArchcError, Span, SpecError
from archc.parser import ast


def _plain(x: Any) -> Any:
    """An AST node without its spans, chains merged into one run of items (how YAML and DSL differ)."""
    if isinstance(x, tuple | list):
        out: list = []
        for item in x:
            if isinstance(item, ast.Chain) and out and isinstance(out[-1], tuple) and out[-1][0] == "chain" \
                    and out[-1][2] is None:
                out[-1] = ("chain", out[-1][1] + _plain(item.items), _plain(item.expect))
            elif isinstance(item, ast.Chain):
                out.append(("chain", _plain(item.items), _plain(item.expect)))
            else:
                out.append(_plain(item))
        return tuple(out)
    if hasattr(x, "__dataclass_fields__"):
        return (type(x).__name__, *(_plain(getattr(x, f)) for f in x.__dataclass_fields__
                                    if f not in ("span", "expect_span", "has_parens")))
    return x


def meaning(module: ast.Module) -> list[Any]:
    """What a module means, network by network: the IR and every check (to compare two texts);
    for a network that cannot be built without more parameters, its syntax tree."""
    from archc.ir import lower

    out = []
    for net in module.networks:
        try:
            g = lower(module, net.name)
        except ArchcError:
            out.append(("ast", net.name, _plain(net.params), _plain(net.body), _plain(tuple(module.blocks))))
            continue
        out.append((g.name, [(i.name, i.shape) for i in g.inputs],
                    [(n.name, n.op, n.inputs, n.attrs) for n in g.nodes], list(g.outputs),
                    [(type(c).__name__, *(getattr(c, f) for f in c.__dataclass_fields__ if f != "span"))
                     for c in g.checks], sorted(g.params.items(), key=str),
                    sorted((k, v.kind, v.label, sorted(v.attrs.items(), key=str)) for k, v in g.scopes.items())))
    return out


def format_module(module: ast.Module, to: str | None = None) -> str:
    """``module`` as DSL or YAML text that means exactly the same, or a SpecError saying why not."""
    from archc.parser import parse_dsl, parse_yaml
    from archc.parser.fmt import to_dsl
    from archc.parser.fmt_yaml import to_yaml

    to = to or module.format
    if to not in ("arch", "yaml"):
        raise SpecError(f"cannot format to '{to}'", hint="arch or yaml")
    text = to_yaml(module) if to == "yaml" else to_dsl(module)
    where = Span(module.file, 1, 1)
    try:
        again = (parse_yaml if to == "yaml" else parse_dsl)(text, module.file)
    except ArchcError as e:
        raise SpecError(f"{module.file}: cannot be written as {to}: {e.message}", where,
                        hint="nothing was written", source=module.source) from None
    before = meaning(module)
    if meaning(again) != before:
        raise SpecError(f"{module.file}: formatting as {to} would change what the spec means; nothing written",
                        where, source=module.source)
    if len(again.comments) != len(module.comments):
        raise SpecError(f"{module.file}: formatting as {to} would drop a comment; nothing written", where,
                        source=module.source)
    return text
