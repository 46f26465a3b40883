"""The public entry points: parse, load, check, compile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archc.errors import ArchcError, SpecError
from archc.ir import Graph, lower
from archc.parser import ast, parse_dsl, parse_yaml
from archc.shape_infer import TypedGraph, infer

Spec = str | Path | ast.Module | Graph


def parse(source: str | Path, text: str | None = None) -> ast.Module:
    """Parse a spec file (``.arch``, ``.yaml``/``.yml``), or ``text`` named ``source``.

    A string holding a ``network`` definition rather than a path is parsed as DSL text.
    """
    if text is None and isinstance(source, str) and ("{" in source or "\n" in source):
        return parse_dsl(source, "<string>")
    path = Path(source)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SpecError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as e:
            raise SpecError(f"{path}: cannot read: {e}") from None
    if path.suffix in (".yaml", ".yml"):
        return parse_yaml(text, str(source))
    return parse_dsl(text, str(source))


def parse_overrides(pairs: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    """``["C=64", "pool=mean"]`` (or a dict) -> parameter values, each a spec expression."""
    if not pairs:
        return {}
    if isinstance(pairs, dict):
        return dict(pairs)
    from archc.ir.values import evaluate
    from archc.parser.dsl import _parser, _ToAst

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise SpecError(f"--set expects NAME=VALUE, got {pair!r}")
        try:
            tree = _parser().parse(value.strip(), start="expr")
        except Exception:
            raise SpecError(f"--set {key}: cannot read value {value!r}") from None
        out[key.strip()] = evaluate(_ToAst("<--set>").transform(tree), {})
    return out


def load(spec: Spec, network: str | None = None, overrides: dict[str, Any] | list[str] | None = None) -> Graph:
    """The IR of a spec (a path, DSL text, a parsed Module or a Graph)."""
    if isinstance(spec, Graph):
        return spec
    module = spec if isinstance(spec, ast.Module) else parse(spec)
    return lower(module, network, parse_overrides(overrides))


def check(spec: Spec, network: str | None = None, overrides: dict[str, Any] | list[str] | None = None,
          input_shape: tuple | dict | None = None) -> TypedGraph:
    """Load and shape-check a spec; raises one ArchcError on the first problem."""
    graph = load(spec, network, overrides)
    shapes = None
    if input_shape is not None:
        shapes = input_shape if isinstance(input_shape, dict) else {graph.inputs[0].name: tuple(input_shape)}
    try:
        return infer(graph, shapes)
    except ArchcError as e:
        raise e.with_span(None, graph.source) from None


def compile(spec: Spec, target: str = "numpy", network: str | None = None,  # noqa: A001 - the verb users expect
            overrides: dict[str, Any] | list[str] | None = None, **options: Any) -> Any:
    """Check a spec and build it for ``target`` ("numpy" or "torch")."""
    typed = check(spec, network, overrides)
    if target == "numpy":
        from archc.emit_numpy import build_numpy
        return build_numpy(typed, **options)
    if target == "torch":
        from archc.emit_torch import build_torch
        return build_torch(typed, **options)
    raise SpecError(f"unknown target '{target}'", hint="targets: numpy, torch")


def render(spec: Spec, network: str | None = None, overrides: dict[str, Any] | list[str] | None = None,
           input_shape: tuple | dict | None = None, **options: Any) -> Any:
    """The graphviz.Digraph of a spec (it displays inline in Jupyter); options as render_graph's."""
    from archc.diagram import render_graph

    return render_graph(check(spec, network, overrides, input_shape), **options)
