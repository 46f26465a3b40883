"""Draw a checked graph with graphviz: one node per layer (name, op and key attributes,
parameter count), output shapes on the edges, residual skip edges dashed, blocks,
repeats, residuals and scans as clusters that can be collapsed, and a legend."""

from __future__ import annotations

import html
from typing import Any

import graphviz

from archc.diagram.collapse import (
    BLOCKS,
    Collapse,
    branch_label,
    fold_branches,
    folded_label,
    folded_paths,
    is_join,
    representatives,
)
from archc.diagram.styles import COLLAPSED_STYLE, FAMILY_NAMES, FAMILY_STYLE, MERGE_BOX_STYLE
from archc.dims import shape_str
from archc.errors import SpecError
from archc.limits import hint, limit
from archc.ops.base import REGISTRY
from archc.shape_infer import TypedGraph


def _id(name: str) -> str:
    return "n_" + name


def _shape(s: tuple) -> str:
    return shape_str(s, pretty=True)


def render_graph(typed: TypedGraph, rankdir: str = "TB", collapse: Collapse = None, scan_as: str = "cnn",
                 legend: bool = True) -> graphviz.Digraph:
    """The graphviz.Digraph of a checked network.

    collapse: "blocks" draws every block call without a concat inside as one node (the
    concats, with their shapes, stay); an int draws every cluster nested that many levels
    deep (1 = top-level blocks and repeats) as one node. scan_as: draw a `scan` as the
    "cnn" it compiles to or the "mlp" it describes.
    """
    g = typed.graph
    dot = graphviz.Digraph(g.name, graph_attr={
        "rankdir": rankdir, "fontname": "Helvetica", "labelloc": "t", "nodesep": "0.25", "ranksep": "0.3",
        "label": f"{g.name}: {typed.total_params:,} parameters"},
        node_attr={"fontname": "Helvetica", "fontsize": "10", "penwidth": "1.2"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.6"})
    paths = folded_paths(typed, collapse)
    rep = representatives(typed, paths)
    branches = fold_branches(typed, rep) if collapse == BLOCKS else {}
    scope_of = {n.name: n.scope for n in g.nodes}
    clusters: dict[tuple, list[str]] = {}
    families: set[str] = set()

    for i in g.inputs:
        dot.node(_id(i.name), f"{i.name}\n{_shape(typed.shapes[i.name])}", shape="oval", style="bold")
    drawn: set[str] = set()
    most = limit("render_nodes")
    for node in g.nodes:
        target = rep[node.name]
        if target in drawn:
            continue
        drawn.add(target)
        if len(drawn) > most:  # before Graphviz lays it out: dot takes minutes and gigabytes on such a graph
            raise SpecError(f"the diagram would draw more than {most:,} nodes", span=node.span, source=g.source,
                            hint=f"use --collapse (or --collapse DEPTH) or {hint('render_nodes')}")
        if target in branches:  # a branch of a concat, folded
            scope, units = branches[target]
            dot.node(_id(target), branch_label(typed, units), **COLLAPSED_STYLE)
            families.add("collapsed")
            if scope:
                clusters.setdefault(scope, []).append(_id(target))
            continue
        if target != node.name:  # a collapsed cluster, drawn once
            path = paths[node.name]
            dot.node(_id(target), folded_label(typed, path, collapse), **COLLAPSED_STYLE)
            families.add("collapsed")
            if path[:-1]:  # a folded block inside a cluster that is drawn
                clusters.setdefault(path[:-1], []).append(_id(target))
            continue
        op = REGISTRY[node.op]
        families.add(op.family)
        label = _label(typed, node, scan_as)
        boxed = op.family == "merge" and label.startswith("<")
        dot.node(_id(node.name), label, **(MERGE_BOX_STYLE if boxed else FAMILY_STYLE[op.family]))
        if node.scope:
            clusters.setdefault(node.scope, []).append(_id(node.name))

    _draw_clusters(dot, typed, clusters, scan_as)
    edges: set[tuple] = set()
    labelled: set[str] = set()
    for node in g.nodes:
        dst = rep[node.name]
        for k, src_value in enumerate(node.inputs):
            src = rep.get(src_value, src_value)
            if src == dst or (src, dst) in edges:
                continue
            edges.add((src, dst))
            skip = _is_skip(node, k, scope_of.get(src_value))
            # a value read by several drawn nodes has its shape on the first edge only
            attrs = {"label": "" if src_value in labelled else " " + _shape(typed.shapes[src_value])}
            labelled.add(src_value)
            if skip:
                attrs.update(style="dashed", color="#555555", label=" skip " + _shape(typed.shapes[src_value]),
                             fontcolor="#555555")
            dot.edge(_id(src), _id(dst), **attrs)
    for out in g.outputs:
        dot.node("out_" + out, "output", shape="oval", style="bold")
        dot.edge(_id(rep[out]), "out_" + out, label=" " + _shape(typed.shapes[out]))
    if legend:
        _legend(dot, families)
    return dot


def _is_skip(node: Any, k: int, src_scope: tuple | None) -> bool:
    """Whether input ``k`` of a merge is drawn as a skip: the second operand of add and mul (a
    residual's input), and a concat's input from outside the concat's own group (a value saved
    earlier, as a U-Net's encoder output or a DenseNet layer's input)."""
    if REGISTRY[node.op].arity == 1:
        return False
    if not is_join(node.op):
        return k >= 1
    return src_scope is None or src_scope[:len(node.scope)] != node.scope


def _label(typed: TypedGraph, node: Any, scan_as: str) -> str:
    info = typed.layers[node.name]
    ins = [typed.shapes[i] for i in node.inputs]
    opdef = REGISTRY[node.op]
    if opdef.family == "merge":
        text = opdef.label(node.attrs, ins) or node.op
        return text if len(text) <= 2 else f"<{html.escape(node.op)}<BR/>{html.escape(_shape(info.shape))}>"
    op, detail = node.op, opdef.label(node.attrs, ins)
    scan = _scan_scope(typed, node)
    linear = {n for kind, _, n in scan.attrs["mlp"] if kind == "linear"} if scan is not None else set()
    if scan_as == "mlp" and node.name in linear:
        k = node.attrs["kernel_size"][0]
        op, detail = "linear", f"{ins[0][1] * k}→{node.attrs['out_channels']}"
    lines = [f"<B>{html.escape(node.local)}</B>", html.escape(f"{op} {detail}".strip())]
    if info.n_params:
        lines.append(f'<FONT POINT-SIZE="8">{info.n_params:,} params</FONT>')
    return "<" + "<BR/>".join(lines) + ">"


def _scan_scope(typed: TypedGraph, node: Any) -> Any:
    for depth in range(len(node.scope), 0, -1):
        scope = typed.graph.scopes.get(node.scope[:depth])
        if scope is not None and scope.kind == "scan":
            return scope
    return None


def _cluster_label(typed: TypedGraph, path: tuple, scan_as: str) -> str:
    scope = typed.graph.scopes.get(path)
    if scope is None or scope.kind == "iteration":  # one iteration of a repeat
        return f"{path[-2]}[{path[-1]}]" if len(path) > 1 else path[-1]
    if scope.kind == "repeat":
        return f"{scope.label} (repeat ×{scope.attrs['count']})"
    if scope.kind == "block":
        args = ", ".join(f"{k}={v}" for k, v in scope.attrs.items())
        return f"{path[-1]}: {scope.label}({args})"
    if scope.kind == "scan":
        w, s = scope.attrs["window"], scope.attrs["stride"]
        what = "scanning MLP" if scan_as == "mlp" else "scan as Conv1d stack"
        return f"{scope.label}: {what}, window {w}, hop {s}"
    return f"{scope.label} ({scope.kind})"


def _draw_clusters(dot: graphviz.Digraph, typed: TypedGraph, clusters: dict[tuple, list[str]], scan_as: str) -> None:
    paths = set()
    for scope in clusters:
        for depth in range(1, len(scope) + 1):
            paths.add(scope[:depth])

    def build(parent: Any, path: tuple) -> None:
        with parent.subgraph(name="cluster__" + "__".join(path)) as sub:
            sub.attr(label=_cluster_label(typed, path, scan_as), style="rounded,dashed", color="#888888",
                     fontsize="10", labeljust="l")
            for node_id in clusters.get(path, []):
                sub.node(node_id)
            for child in sorted(p for p in paths if len(p) == len(path) + 1 and p[:len(path)] == path):
                build(sub, child)

    for top in sorted(p for p in paths if len(p) == 1):
        build(dot, top)


def _legend(dot: graphviz.Digraph, families: set[str]) -> None:
    with dot.subgraph(name="cluster_legend") as leg:
        leg.attr(label="legend", style="rounded", color="#bbbbbb", fontsize="9")
        previous = None
        styles = {**FAMILY_STYLE, "merge": MERGE_BOX_STYLE, "collapsed": COLLAPSED_STYLE}
        for fam in [f for f in styles if f in families]:
            leg.node("legend_" + fam, FAMILY_NAMES[fam], fontsize="8", **styles[fam])
            if previous:
                leg.edge(previous, "legend_" + fam, style="invis")
            previous = "legend_" + fam


def write(dot: graphviz.Digraph, path: str, inputs: list | None = None) -> str:
    """Write .svg, .png, .pdf or .dot (the source; needs no Graphviz install), atomically."""
    from pathlib import Path

    from archc.errors import EmitError
    from archc.fileio import atomic_write, check_not_input, check_regular

    check_not_input(path, inputs or [])  # before anything else, so that this is what the user hears
    check_regular(path)
    out = Path(path)
    fmt = out.suffix.lstrip(".").lower()
    if fmt in ("dot", "gv"):
        return str(atomic_write(out, dot.source.encode("utf-8"), inputs or []))
    if fmt not in ("svg", "png", "pdf"):
        raise EmitError(f"cannot render to '.{fmt}'", hint="use .svg, .png, .pdf or .dot")
    try:
        data = dot.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise EmitError("Graphviz's `dot` program is not installed",
                        hint="install it (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz), "
                             "or write the .dot source with -o net.dot") from None
    except graphviz.CalledProcessError as e:
        said = (e.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        how = f"was killed by signal {-e.returncode}" if e.returncode < 0 else f"exited with status {e.returncode}"
        raise EmitError(f"{path}: Graphviz's `dot` {how}" + (f": {said[-1]}" if said else ""),
                        hint="draw less (--collapse), or write the .dot source with -o net.dot") from None
    return str(atomic_write(out, data, inputs or []))
