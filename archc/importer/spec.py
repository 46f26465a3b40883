"""The group tree -> spec text: drafts per group (regions.py), blocks folded (blocks.py), every name
decided and printed (write.py); then checked, with the output shape and the parameter count written in
as expectations, and its state-dict keys compared with the model's."""

from __future__ import annotations

from collections import ChainMap
from typing import Any

from archc.dims import dim_str
from archc.errors import ArchcError
from archc.importer.blocks import Blocks, snake
from archc.importer.draft import Seq, Stmt, Use, walk
from archc.importer.errors import ModelImportError, Where, error
from archc.importer.flat import Flat, Op
from archc.importer.modules import UnsupportedError
from archc.importer.names import KEYWORDS, Scope
from archc.importer.regions import item, op_item, statements
from archc.importer.tree import Group
from archc.importer.write import Writer, reserved
from archc.ir.graph import param_key
from archc.ir.naming import Level
from archc.parser import ast
from archc.parser.fmt import to_dsl


def drafts(group: Group, flat: Flat, blocks: Blocks, shapes: dict[str, tuple]) -> list[Stmt]:
    """The statements of one group, its child groups as block uses and seqs (their blocks registered)."""
    items = []
    for it in group.items:
        if isinstance(it, Op):
            want = it.path.rpartition(".")[2] if it.path and it.path not in flat.shared else None
            items.append(op_item(it, want, it.params))
            continue
        body = drafts(it, flat, blocks, shapes)
        if it.kind == "block":
            use = Use(it, it.output, list(it.inputs[1:]), it.local, body)
            blocks.add(use)
            items.append(item(use, it.inputs, it.output))
        else:
            items.append(item(Seq(it.output, body, it.local), it.inputs, it.output))
    return statements(items, group.inputs[0] if group.inputs else None, group.output, shapes)


def _named(stmts: list[Stmt], out: set[str]) -> set[str]:
    """The values some statement refers to by name (a block's own inputs are ``in`` and its parameters)."""
    for s in stmts:
        if s.start is not None:
            out.add(s.start)
    for it in walk(stmts):
        out.update(getattr(it, "refs", []))
        if isinstance(it, Use):
            out |= _named(it.body, set()) - set(it.group.inputs)
    return out


def _wants(stmts: list[Stmt], out: set[str]) -> set[str]:
    for it in walk(stmts):
        if getattr(it, "want", None):
            out.add(it.want)
        if isinstance(it, Use):
            _wants(it.body, out)
    return out


def _dims_expr(d: Any) -> ast.Expr:
    if isinstance(d, int):
        return ast.Num(d)
    from archc.parser.dsl import _parser, _ToAst

    return _ToAst("<import>").transform(_parser().parse(dim_str(d), start="expr"))


def input_name(flat: Flat) -> str:
    name = flat.inputs[0][0]
    return name if name.isidentifier() and name not in KEYWORDS and not name.startswith("input") else "x"


def check_text(text: str) -> Any:
    """The checked graph of spec text (what archc.check does, from the stages below the API)."""
    from archc.ir import lower
    from archc.parser import parse_dsl
    from archc.shape_infer import infer

    return infer(lower(parse_dsl(text, "<import>")), None)


def write_spec(root: Group, flat: Flat, name: str, symbolic: tuple[str | None, ...]) -> tuple[str, Any]:
    """The spec text of a model's group tree, and its checked graph."""
    shapes = {op.name: op.shape for op in flat.ops} | dict(flat.inputs)
    blocks = Blocks(shapes)
    try:
        stmts = drafts(root, flat, blocks, shapes)
        x = input_name(flat)
        order = blocks.decide(_wants(stmts, set()) | {name, x})
        writer = Writer(order, _named(stmts, set()))
        defs = [writer.block_def(b) for b in order]
        scope = Scope(Level((), False), ChainMap({x: root.inputs[0]}), reserved(stmts), {b.name for b in order})
        scope.level.claim(x, None)
        body = writer.body(stmts, scope)
    except UnsupportedError as e:
        raise error(e.message, Where("", type(flat.model).__name__), e.hint) from None
    dims = tuple(ast.Name(s) if s else ast.Num(d) for d, s in zip(flat.inputs[0][1], symbolic))
    head = ast.Input(x, dims)

    def text(body: list, tail: tuple = ()) -> str:
        net = ast.Network(name, (), (head, *body, *tail))
        return to_dsl(ast.Module("<import>", "", networks=[net], blocks=defs))

    try:
        typed = check_text(text(body))
    except ArchcError as e:
        raise ModelImportError(f"the imported spec does not check: {e.message}", hint=e.hint,
                               source=text(body)) from None
    last = body[-1]
    body[-1] = ast.Chain(last.items, tuple(_dims_expr(d) for d in typed.output_shapes[0]))
    final = text(body, (ast.Expect("params", "==", ast.Num(typed.total_params)),))
    return final, check_text(final)


def spec_keys(typed: Any) -> dict[str, tuple]:
    """The state-dict keys (and shapes) a checked spec's modules have."""
    out = {}
    for name, layer in typed.layers.items():
        for p, shape in {**layer.params, **layer.buffers}.items():
            out[param_key(name, p)] = tuple(shape)
    return out


def network_name(model: Any, name: str | None) -> str:
    if name:
        out = snake(name) if not name.isidentifier() else name
    else:
        out = snake(type(model).__name__)
    return out if out not in KEYWORDS else out + "_net"
