"""The teaching reports of archc.api (imported there): explain, valid inputs, warnings, several
resolutions, sweeps and solving for a network parameter."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from archc.api import Overrides, Spec, _is_file, check, load, parse, parse_overrides
from archc.errors import ArchcError, SpecError
from archc.ir import Graph
from archc.ir.graph import CountCheck
from archc.parser import ast
from archc.shape_infer import TypedGraph


def explain(spec: Spec, network: str | None = None, overrides: Overrides = None,
            input_shape: tuple | dict | None = None, layers: str | list[str] | None = None) -> Any:
    """Each layer's output sizes, parameter count and MACs as formulas, in textbook form and with the
    numbers filled in: an Explanation (``.text()``, ``.markdown()``, ``.latex()``, ``.to_dict()``; it
    displays in notebooks)."""
    from archc.teach.explain import explain as explain_typed

    return explain_typed(check(spec, network, overrides, input_shape), [layers] if isinstance(layers, str) else layers)


def valid_inputs(spec: Spec, network: str | None = None, overrides: Overrides = None) -> Any:
    """The sizes each symbolic input dim may take: an InputSizes (``.text()``: ``H >= 8, W >= 8``)."""
    from archc.teach.valid import input_sizes

    return input_sizes(check(load(spec, network, overrides)))


def warnings(spec: Spec, network: str | None = None, overrides: Overrides = None) -> list[ArchcError]:
    """Warnings (SpecWarning diagnostics): network parameters and block arguments named like input dims,
    and layers whose value is never used."""
    from archc.teach.shadow import shadow_warnings
    from archc.teach.unused import unused_warnings

    module = _module(spec)
    graph = load(module, network, overrides)
    return shadow_warnings(module, network, graph.params) + unused_warnings(graph)


def resolutions(spec: Spec, input_shapes: list, network: str | None = None, overrides: Overrides = None) -> Any:
    """One network at several input shapes: a Resolutions table (shape and MACs per input, params once)."""
    from archc.teach.sweep import Resolutions

    graph = load(spec, network, overrides)
    return Resolutions([check(graph, input_shape=s) for s in input_shapes])


def sweep(spec: Spec, name: str, values: range, network: str | None = None, overrides: Overrides = None,
          input_shape: tuple | dict | None = None) -> Any:
    """The network checked at each value of parameter ``name``: a Sweep (params, MACs; ``.plot(path)``)."""
    from archc.teach.sweep import int_param
    from archc.teach.sweep import sweep as sweep_values

    module, fixed = _module(spec), parse_overrides(overrides)
    graph = int_param(load(module, network, fixed), name)
    fixed_counts = _fixed_counts(module, network, fixed, name)
    return sweep_values(lambda v: _uncounted(module, network, {**fixed, name: v}, input_shape, fixed_counts), name,
                        values, graph.name)


def solve(spec: Spec, name: str, params: int | None = None, macs: int | None = None, match: Spec | None = None,
          count: str = "params", network: str | None = None, overrides: Overrides = None,
          input_shape: tuple | dict | None = None, values: range | None = None, show_all: bool = False) -> Any:
    """The value(s) of integer parameter ``name`` whose parameter count (or MACs per sample) comes closest
    to ``params`` (``macs``), or to another spec's (``match``: a spec, or ``"FILE:network"``): a Solution."""
    from archc.teach.solve import count_of
    from archc.teach.solve import solve as solve_counts
    from archc.teach.sweep import int_param

    if sum(x is not None for x in (params, macs, match)) != 1:
        raise SpecError("solve needs one target: params=N, macs=N or match=OTHER")
    what = "MACs" if macs is not None or (match is not None and count == "macs") else "params"
    module, fixed = _module(spec), parse_overrides(overrides)
    graph = int_param(load(module, network, fixed), name)
    label = ""
    if match is not None:
        other, other_net = _split_match(match)
        typed = check(other, other_net)
        if what == "MACs" and not isinstance(typed.total_macs, int) and input_shape is not None:
            typed = check(typed, input_shape=input_shape)
        target, label = count_of(typed, what), f"{typed.graph.name}, {typed.graph.file}"
    else:
        target = params if params is not None else macs
    drop = _fixed_counts(module, network, fixed, name)
    count_of(_uncounted(module, network, fixed, input_shape, drop), what)  # MACs of a symbolic input: say so once
    values = values or range(1, max(64, 4 * graph.params[name]) + 1)
    solution = solve_counts(lambda v: count_of(_uncounted(module, network, {**fixed, name: v}, input_shape, drop),
                                               what), name, int(target), values, graph.name, what, label, show_all)
    solution.notes += [f"the spec's `expect {c.what} {c.cmp} {c.value}` (line {c.span.line if c.span else '?'}) "
                       f"holds for one {name}; it is not checked here" for c in graph.checks if c in drop]
    return solution


def _fixed_counts(module: ast.Module, network: str | None, overrides: dict, name: str) -> set:
    """The `expect params/macs` whose value does not change with ``name`` (such as resnet32's
    ``expect params == 464154``): they hold for one value only, so a sweep or a solve leaves them out."""
    a = load(module, network, overrides)
    try:
        b = load(module, network, {**overrides, name: a.params[name] + 1})
    except ArchcError:
        return set()
    return {c for c, d in zip(a.checks, b.checks) if isinstance(c, CountCheck) and c == d}


def _uncounted(module: ast.Module, network: str | None, overrides: dict, input_shape: Any, drop: set) -> TypedGraph:
    graph = load(module, network, overrides)
    return check(replace(graph, checks=tuple(c for c in graph.checks if c not in drop)), input_shape=input_shape)


def _module(spec: Spec) -> ast.Module:
    if isinstance(spec, TypedGraph | Graph):
        g = spec.graph if isinstance(spec, TypedGraph) else spec
        return parse(g.file, g.source) if g.source is not None else parse(g.file)
    return spec if isinstance(spec, ast.Module) else parse(spec)


def _split_match(match: Spec) -> tuple[Spec, str | None]:
    """``"other.arch:net"`` -> (path, network); a path that exists is a path, even with a colon in it."""
    if isinstance(match, str) and not _is_file(match) and ":" in match:
        path, _, net = match.rpartition(":")
        if net.isidentifier():
            return path, net
    return match, None
