"""Draw a checked graph with graphviz: one node per layer (name, op and key attributes,
parameter count), output shapes on the edges, residual skip edges dashed, blocks,
repeats, residuals and scans as clusters that can be collapsed, and a legend."""

from __future__ import annotations

import html
from typing import Any

import graphviz

from archc.diagram.styles import COLLAPSED_STYLE, FAMILY_NAMES, FAMILY_STYLE
from archc.dims import shape_str
from archc.ops.base import REGISTRY
from archc.shape_infer import TypedGraph


def _id(name: str) -> str:
    return "n_" + name


def _shape(s: tuple) -> str:
    return shape_str(s, pretty=True)


def render_graph(typed: TypedGraph, rankdir: str = "TB", collapse: int | None = None, scan_as: str = "cnn",
                 legend: bool = True) -> graphviz.Digraph:
    """The graphviz.Digraph of a checked network.

    collapse: draw every cluster nested ``collapse`` levels deep (1 = top-level blocks
    and repeats) as one node. scan_as: draw a `scan` as the "cnn" it compiles to or
    the "mlp" it describes.
    """
    g = typed.graph
    dot = graphviz.Digraph(g.name, graph_attr={
        "rankdir": rankdir, "fontname": "Helvetica", "labelloc": "t", "nodesep": "0.25", "ranksep": "0.3",
        "label": f"{g.name}: {typed.total_params:,} parameters"},
        node_attr={"fontname": "Helvetica", "fontsize": "10", "penwidth": "1.2"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.6"})
    rep = _representatives(typed, collapse)
    clusters: dict[tuple, list[str]] = {}
    families: set[str] = set()

    for i in g.inputs:
        dot.node(_id(i.name), f"{i.name}\n{_shape(typed.shapes[i.name])}", shape="oval", style="bold")
    drawn: set[str] = set()
    for node in g.nodes:
        target = rep[node.name]
        if target in drawn:
            continue
        drawn.add(target)
        if target != node.name:  # a collapsed cluster, drawn once
            path = _collapsed_path(node.scope, collapse)
            dot.node(_id(target), _collapsed_label(typed, path), **COLLAPSED_STYLE)
            families.add("collapsed")
            continue
        op = REGISTRY[node.op]
        families.add(op.family)
        dot.node(_id(node.name), _label(typed, node, scan_as), **FAMILY_STYLE[op.family])
        if node.scope:
            clusters.setdefault(node.scope, []).append(_id(node.name))

    _draw_clusters(dot, typed, clusters, scan_as)
    edges: set[tuple] = set()
    for node in g.nodes:
        dst = rep[node.name]
        for k, src_value in enumerate(node.inputs):
            src = rep.get(src_value, src_value)
            if src == dst or (src, dst) in edges:
                continue
            edges.add((src, dst))
            skip = REGISTRY[node.op].arity != 1 and k >= 1
            attrs = {"label": " " + _shape(typed.shapes[src_value])}
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


def _representatives(typed: TypedGraph, collapse: int | None) -> dict[str, str]:
    """Each node's drawn node: itself, or the collapsed cluster it belongs to."""
    rep: dict[str, str] = {}
    for node in typed.graph.nodes:
        path = _collapsed_path(node.scope, collapse)
        rep[node.name] = "cluster__" + "__".join(path) if path else node.name
    for i in typed.graph.inputs:
        rep[i.name] = i.name
    return rep


def _collapsed_path(scope: tuple, collapse: int | None) -> tuple:
    if collapse is None or len(scope) < collapse:
        return ()
    return scope[:collapse]


def _collapsed_label(typed: TypedGraph, path: tuple) -> str:
    members = [n for n in typed.graph.nodes if n.scope[:len(path)] == path]
    params = sum(typed.layers[n.name].n_params for n in members)
    scope = typed.graph.scopes.get(path)
    kind = scope.kind if scope else "group"
    detail = f"×{scope.attrs['count']}" if scope and kind == "repeat" else (scope.label if scope else "")
    last = members[-1].name
    return (f"<<B>{html.escape(path[-1])}</B><BR/>{html.escape(kind)} {html.escape(str(detail))}"
            f"<BR/>{len(members)} layers, {params:,} params<BR/>→ {html.escape(_shape(typed.shapes[last]))}>")


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
        styles = {**FAMILY_STYLE, "collapsed": COLLAPSED_STYLE}
        for fam in [f for f in styles if f in families]:
            leg.node("legend_" + fam, FAMILY_NAMES[fam], fontsize="8", **styles[fam])
            if previous:
                leg.edge(previous, "legend_" + fam, style="invis")
            previous = "legend_" + fam


def write(dot: graphviz.Digraph, path: str, inputs: list | None = None) -> str:
    """Write .svg, .png, .pdf or .dot (the source; needs no Graphviz install), atomically."""
    from pathlib import Path

    from archc.errors import EmitError
    from archc.fileio import atomic_write, check_not_input

    check_not_input(path, inputs or [])  # before anything else, so that this is what the user hears
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
    return str(atomic_write(out, data, inputs or []))
