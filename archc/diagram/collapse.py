"""Which drawn node stands for each layer when a diagram is collapsed.

Two ways to fold: by depth (every cluster ``collapse`` levels deep becomes one node), or by blocks
(``collapse="blocks"``, what ``archc render --collapse`` draws): every block call that holds no
concat becomes one node, labelled like the call that made it, while the groups around it (seqs,
repeats, blocks with a concat inside) stay clusters. The joins of a network (Inception's branches,
a U-Net's skips) stay in sight, each concat with its shape, and the repeated blocks of a stage
(ResNet's bottlenecks) are one node each."""

from __future__ import annotations

import html

from archc.dims import shape_str
from archc.ops.base import REGISTRY, VARIADIC
from archc.shape_infer import TypedGraph

Collapse = int | str | None
BLOCKS = "blocks"


def folded_paths(typed: TypedGraph, collapse: Collapse) -> dict[str, tuple]:
    """Each node's folded group (a scope path), or () where the node is drawn itself."""
    folds = _block_folds(typed) if collapse == BLOCKS else set()
    return {n.name: _folded_path(n.scope, collapse, folds) for n in typed.graph.nodes}


def is_join(op: str) -> bool:
    """Whether the op joins any number of values (concat), as opposed to a two-operand merge."""
    return REGISTRY[op].family == "merge" and REGISTRY[op].arity == VARIADIC


def representatives(typed: TypedGraph, paths: dict[str, tuple]) -> dict[str, str]:
    """Each value's drawn node: the node itself, or the folded group it belongs to."""
    rep = {name: "cluster__" + "__".join(path) if path else name for name, path in paths.items()}
    return {**rep, **{i.name: i.name for i in typed.graph.inputs}}


def _folded_path(scope: tuple, collapse: Collapse, folds: set) -> tuple:
    if collapse is None:
        return ()
    if collapse == BLOCKS:
        return next((scope[:d] for d in range(1, len(scope) + 1) if scope[:d] in folds), ())
    return scope[:collapse] if len(scope) >= collapse else ()


def _block_folds(typed: TypedGraph) -> set[tuple]:
    """The block calls that hold no concat (at any depth): the ones drawn as one node."""
    g = typed.graph
    joined = {n.scope[:d] for n in g.nodes if is_join(n.op) for d in range(1, len(n.scope) + 1)}
    return {path for path, scope in g.scopes.items() if scope.kind == "block" and path not in joined}


def folded_label(typed: TypedGraph, path: tuple, collapse: Collapse) -> str:
    """A folded group's label: its name, what it is (a block call, a repeat) and its size."""
    members = [n for n in typed.graph.nodes if n.scope[:len(path)] == path]
    params = sum(typed.layers[n.name].n_params for n in members)
    scope = typed.graph.scopes.get(path)
    kind = scope.kind if scope else "group"
    count = f"{len(members)} layers" + (f", {params:,} params" if params else "")
    if collapse == BLOCKS and scope is not None and kind == "block":
        args = ", ".join(f"{k}={_value(v)}" for k, v in scope.attrs.items())
        return (f"<<B>{html.escape(path[-1])}</B><BR/>{html.escape(f'{scope.label}({args})')}"
                f'<BR/><FONT POINT-SIZE="8">{count}</FONT>>')
    detail = f"×{scope.attrs['count']}" if scope and kind == "repeat" else (scope.label if scope else "")
    last = shape_str(typed.shapes[members[-1].name], pretty=True)
    return (f"<<B>{html.escape(path[-1])}</B><BR/>{html.escape(kind)} {html.escape(str(detail))}"
            f"<BR/>{count}<BR/>→ {html.escape(last)}>")


def _value(v: object) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(map(_value, v)) + ")"
    return getattr(v, "name", None) or str(v)


def fold_branches(typed: TypedGraph, rep: dict[str, str]) -> dict[str, tuple[tuple, list[list]]]:
    """In blocks mode, each branch of a concat that is a plain chain of folded blocks and layers
    (Inception's 1x1 -> 3x3 -> 3x3) becomes one node, listing them: ``rep`` is updated in place, and the result
    maps each new node to the concat's group and, in order, the layers of each node it stands for."""
    g = typed.graph
    members: dict[str, list] = {}
    for n in g.nodes:
        members.setdefault(rep[n.name], []).append(n)
    inputs = {d: {rep[i] for n in ns for i in n.inputs} - {d} for d, ns in members.items()}
    readers: dict[str, set] = {}
    for d, srcs in inputs.items():
        for s in srcs:
            readers.setdefault(s, set()).add(d)
    chains: dict[str, tuple[tuple, list[list]]] = {}
    for concat in (n for n in g.nodes if is_join(n.op)):
        for k, value in enumerate(concat.inputs):
            chain, after, d = [], rep[concat.name], rep[value]
            while d in members and readers.get(d) == {after} and len(inputs[d]) == 1 \
                    and _plain(members[d], concat, rep):
                chain.append(d)
                after, d = d, next(iter(inputs[d]))
            if len(chain) >= 2 or (chain and chain[0].startswith("cluster__")):
                cid = f"branch__{concat.name}__{k}"
                chains[cid] = (concat.scope, [members[d] for d in chain[::-1]])
                for n in g.nodes:
                    if rep[n.name] in chain:
                        rep[n.name] = cid
    return chains


def _plain(nodes: list, concat: object, rep: dict[str, str]) -> bool:
    """Whether a drawn node can be part of a folded branch: inside the concat's group, not a merge."""
    inside = all(n.scope[:len(concat.scope)] == concat.scope for n in nodes)
    return inside and not any(REGISTRY[n.op].family == "merge" and rep[n.name] == n.name for n in nodes)


def branch_label(typed: TypedGraph, units: list[list]) -> str:
    """A folded branch's label: one line per step, its name, its first layer's op and the channels out."""
    lines = []
    for nodes in units:
        name = _common(nodes)[-1] if len(nodes) > 1 and _common(nodes) else nodes[0].local
        first = next((n for n in nodes if typed.layers[n.name].n_params), nodes[0])
        detail = REGISTRY[first.op].label(first.attrs, [typed.shapes[i] for i in first.inputs])
        channels = typed.shapes[nodes[-1].name][1]
        lines.append(f"<B>{html.escape(name)}</B> {html.escape(f'{first.op} {detail}'.strip())} → {channels}")
    params = sum(typed.layers[n.name].n_params for nodes in units for n in nodes)
    return "<" + "<BR/>".join(lines) + f'<BR/><FONT POINT-SIZE="8">{params:,} params</FONT>>'


def _common(nodes: list) -> tuple:
    """The scope the nodes share (the block call they were folded from)."""
    first = nodes[0].scope
    depth = min(next((d for d in range(len(n.scope)) if d >= len(first) or n.scope[d] != first[d]), len(n.scope))
                for n in nodes)
    return first[:depth]
