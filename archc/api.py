"""Everything archc does, as functions: the CLI, the playground and the language server call these.

    parse    spec file or text -> AST            load     -> IR (Graph)
    check    -> TypedGraph (shapes, counts)       compile  -> NumPy model or torch module
    emit     -> standalone source text            format   -> the spec as DSL or YAML text
    summary  -> table / JSON of a checked net     render   -> graphviz diagram
    ops      -> the op reference from the registry
    import_module  a PyTorch model -> spec text and its state dict


    explain, solve, valid_inputs, warnings, resolutions, sweep  -> teaching reports (archc.teach)
    written_at  -> the layers and groups written at a source position (the language server)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archc import limits
from archc.errors import ArchcError, EmitError, SpecError
from archc.ir import Graph, lower
from archc.ir.lower import MAX_NODES
from archc.parser import ast, parse_dsl, parse_yaml
from archc.shape_infer import TypedGraph, infer

Spec = str | Path | ast.Module | Graph | TypedGraph
Overrides = dict[str, Any] | list[str] | None


def parse(source: str | Path, text: str | None = None) -> ast.Module:
    """Parse a spec file (``.arch``, ``.yaml``/``.yml``), or ``text`` named ``source``.

    A string holding a ``network`` definition rather than a path is parsed as DSL text.
    """
    if text is None and isinstance(source, str) and ("{" in source or "\n" in source) and not _is_file(source):
        return parse_dsl(source, "<string>")
    path = Path(source)
    if text is None:
        from archc.fileio import read_bytes

        try:
            data = read_bytes(path, "spec", limits.limit("spec_bytes"))
        except ArchcError as e:
            if e.hint is None and "limit" in e.message:
                e.hint = limits.hint("spec_bytes")
            raise
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SpecError(f"{path}: not UTF-8 text (byte {e.start}: {data[e.start:e.start + 1]!r})") from None
    text = text.removeprefix("\ufeff")
    if path.suffix in (".yaml", ".yml"):
        return parse_yaml(text, str(source))
    return parse_dsl(text, str(source))


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # too long, or a NUL byte: text, not a path
        return False


def parse_overrides(pairs: Overrides) -> dict[str, Any]:
    """``["C=64", "pool=mean"]`` (or a dict) -> parameter values, each a spec expression."""
    if not pairs:
        return {}
    if isinstance(pairs, dict):
        return dict(pairs)
    from lark.exceptions import LarkError

    from archc.ir.values import evaluate
    from archc.parser.dsl import parse_expression

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise SpecError(f"--set expects NAME=VALUE, got {pair!r}")
        try:
            expr = parse_expression(value.strip(), "<--set>")
        except LarkError:
            raise SpecError(f"--set {key}: cannot read value {value!r}") from None
        out[key.strip()] = evaluate(expr, {})
    return out


def load(spec: Spec, network: str | None = None, overrides: Overrides = None, max_nodes: int = MAX_NODES) -> Graph:
    """The IR of a spec (a path, DSL text, a parsed Module, a Graph or a TypedGraph)."""
    if isinstance(spec, TypedGraph):
        return spec.graph
    if isinstance(spec, Graph):
        return spec
    module = spec if isinstance(spec, ast.Module) else parse(spec)
    return lower(module, network, parse_overrides(overrides), max_nodes=max_nodes)


def input_shapes(graph: Graph, shape: tuple | dict | None) -> dict[str, tuple] | None:
    """Concrete input shapes by input name: a dict, or one shape for the first input."""
    if shape is None:
        return None
    if isinstance(shape, dict):
        return {k: tuple(v) for k, v in shape.items()}
    if not graph.inputs:
        raise SpecError(f"network '{graph.name}' declares no input")
    return {graph.inputs[0].name: tuple(shape)}


def check(spec: Spec, network: str | None = None, overrides: Overrides = None,
          input_shape: tuple | dict | None = None, max_nodes: int = MAX_NODES) -> TypedGraph:
    """Load and shape-check a spec; raises one ArchcError on the first problem."""
    from archc.summary import CheckedNetwork

    if isinstance(spec, TypedGraph) and input_shape is None:
        return CheckedNetwork.of(spec)
    graph = load(spec, network, overrides, max_nodes)
    given = input_shapes(graph, input_shape)
    try:
        return CheckedNetwork.of(infer(graph, given))
    except ArchcError as e:
        if given:  # say which sizes would work, where the given ones do not
            from archc.teach.valid import misfit_note

            note = misfit_note(graph, given)
            if note:
                e.add_note(note)
        raise e.with_span(None, graph.source) from None


def compile(spec: Spec, target: str = "numpy", network: str | None = None,  # noqa: A001 - the verb users expect
            overrides: Overrides = None, **options: Any) -> Any:
    """Check a spec and build it for ``target``: "numpy" (a NumpyModel) or "torch" (an nn.Module)."""
    typed = check(spec, network, overrides)
    if target == "numpy":
        from archc.emit_numpy import build_numpy
        return build_numpy(typed, **options)
    if target == "torch":
        return _torch().build_torch(typed, **options)
    raise SpecError(f"unknown target '{target}'", hint="targets: numpy, torch")


def _torch() -> Any:
    try:
        from archc import emit_torch
    except ImportError:
        raise EmitError("the torch target needs PyTorch", hint="pip install 'archc[torch]'") from None
    return emit_torch


def emit(spec: Spec, target: str = "torch", network: str | None = None, overrides: Overrides = None,
         backward: str = "autograd") -> str:
    """Standalone source of the network: PyTorch (``backward="manual"``: hand-written backward passes
    for convolutions and linear layers) or NumPy."""
    typed = check(spec, network, overrides)
    if target == "numpy":
        from archc.emit_numpy.source import emit_numpy_source
        return emit_numpy_source(typed)
    if target == "torch":
        return _torch().emit_source(typed, backward=backward)
    raise SpecError(f"unknown target '{target}'", hint="targets: torch, numpy")


def format(spec: str | Path | ast.Module, to: str | None = None) -> str:  # noqa: A001 - the verb users expect
    """The spec printed back as DSL (``to="arch"``) or YAML, keeping its comments; refuses (a SpecError)
    rather than drop or change anything the spec means."""
    from archc.formatting import format_module

    module = spec if isinstance(spec, ast.Module) else parse(spec)
    return format_module(module, to)


def summary(spec: Spec, network: str | None = None, overrides: Overrides = None,
            input_shape: tuple | dict | None = None) -> dict[str, Any]:
    """The summary of a checked network as a dict (what `archc summary --json` prints)."""
    from archc.summary import summary_dict

    return summary_dict(check(spec, network, overrides, input_shape))


def render(spec: Spec, network: str | None = None, overrides: Overrides = None,
           input_shape: tuple | dict | None = None, **options: Any) -> Any:
    """The graphviz.Digraph of a spec (it displays inline in Jupyter); options as render_graph's."""
    from archc.diagram import render_graph

    return render_graph(check(spec, network, overrides, input_shape), **options)


def ops(name: str | None = None) -> list[dict[str, Any]]:
    """The op reference generated from the registry: every op (or the one named), with its attributes."""
    from archc.reference import op_reference

    return op_reference(name)


def import_module(module: Any, example_input: Any, symbolic: str | tuple | None = None,
                  name: str | None = None) -> Any:
    """A PyTorch model (an nn.Module) as spec text and its state dict under the spec's names: an
    ``Imported(spec, state)`` (a named tuple). ``example_input`` is a tensor it is traced on; ``symbolic``
    names input dims ("N,H,W"; default "N"); ``name`` names the network. The spec built with
    ``archc.compile(spec, target="torch")`` loads the state dict strictly and gives the same outputs."""
    from archc.importer import import_module as run

    return run(module, example_input, symbolic=symbolic, name=name)


# the teaching reports are part of this API, defined beside it
from archc.api_source import Written, written_at  # noqa: E402, F401
from archc.api_teach import explain, resolutions, solve, sweep, valid_inputs, warnings  # noqa: E402, F401
