"""The YAML front end: the same AST as the DSL, from a YAML document.

    network: mnist_cnn
    params: {C: 64}                      # optional, overridable with --set
    blocks:                              # optional
      preact: {params: {C: null}, layers: [batchnorm2d, relu, {conv2d: [C, 3, {padding: 1}]}]}
    input: {x: [N, 1, 28, 28]}
    layers:
      - conv2d: {out_channels: 16, kernel: 3, padding: 1}
      - relu
      - maxpool2d: 2
        expect: [N, 16, 14, 14]
      - residual: [batchnorm2d, relu]    # with optional `shortcut: [...]`
      - repeat: 3                        # with `layers: [...]` (and `index: i`)
      - seq: null                        # with `layers: [...]`: numbered 0, 1, 2 (nn.Sequential)
      - concat: {dim: 1}                 # with `branches: [[...], [...]]`; or concat: [skip]
      - scan: {window: 8, stride: 4}     # with `layers: [...]`
    output: x                            # optional; or a list [a, b]
    expect: {params: 29066}              # or "<= 30000"; or a list of such mappings

Arguments: a scalar (one positional), a list (positionals, optionally ending
with a mapping of keywords), or a mapping (keywords). A layer entry may carry
`as: NAME` and `expect: SHAPE`. Strings in shapes and arguments are DSL
expressions (`floor(H/8)`, `2*C`). Values are read with ``yaml.safe_load``.
"""

from __future__ import annotations

from typing import Any

import yaml
from lark.exceptions import UnexpectedInput

from archc.errors import Span, SpecSyntaxError
from archc.parser import ast
from archc.parser.bounds import key_problem, kind, read_documents
from archc.parser.dsl import parse_expression, scan_comments
from archc.parser.yaml_nodes import no_duplicate_keys, node_span

_LAYER_KEYS = {"as", "expect", "shortcut", "layers", "branches", "index", "then", "else"}


def parse_yaml(text: str, file: str = "<string>") -> ast.Module:
    """Parse a YAML spec into a Module; any problem raises one located SpecSyntaxError."""
    nodes, docs = read_documents(text, file)
    for node in nodes:
        no_duplicate_keys(node, file, text)
    loader = _Loader(file, text)
    module = ast.Module(file, text, format="yaml", comments=scan_comments(text))
    for doc, node in zip(docs, nodes):
        if doc is not None:
            module.networks.append(loader.network(doc, node))
    ast.check_unique_networks(module)
    if not module.networks:
        raise SpecSyntaxError("empty YAML spec", Span(file, 1, 1), hint="start with `network: NAME`",
                              source=text)
    return module


class _Loader:
    def __init__(self, file: str, text: str) -> None:
        self.file, self.text = file, text
        self.lines = [*text.splitlines(), ""]

    # -- helpers
    def span(self, node: Any) -> Span | None:
        if node is None:
            return None
        return node_span(node, self.file, self.lines)

    def error(self, msg: str, node: Any, hint: str | None = None) -> SpecSyntaxError:
        return SpecSyntaxError(msg, self.span(node) or Span(self.file, 1, 1), hint=hint, source=self.text)

    def child(self, node: Any, key: Any) -> Any:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(key):
                    return v
        if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            return node.value[key]
        return node

    def key_node(self, node: Any, key: str) -> Any:
        if isinstance(node, yaml.MappingNode):
            for k, _ in node.value:
                if k.value == key:
                    return k
        return node

    def mapping(self, data: Any, node: Any, what: str) -> dict:
        if not isinstance(data, dict):
            raise self.error(f"{what} must be a mapping, got {kind(data)}", node)
        self.string_keys(data, node)
        return data

    def string_keys(self, data: dict, node: Any) -> None:
        """Refuse keys YAML 1.1 reads as something else than a name (``On:`` is true, ``1:`` a number)."""
        problem = key_problem(data, node)
        if problem:
            raise self.error(problem[1], problem[0], hint=problem[2])

    def sequence(self, data: Any, node: Any, what: str) -> list:
        if not isinstance(data, list):
            raise self.error(f"{what} must be a list, got {kind(data)}", node)
        return data

    # -- document
    def network(self, doc: Any, node: Any) -> ast.Network:
        doc = self.mapping(doc, node, "a YAML spec")
        allowed = {"network", "params", "blocks", "input", "layers", "output", "expect"}
        for key in doc:
            if key not in allowed:
                raise self.error(f"unknown top-level key '{key}'", self.key_node(node, key),
                                 hint="allowed: " + ", ".join(sorted(allowed)))
        if "network" not in doc:
            raise self.error("missing `network: NAME`", node)
        name = doc["network"]
        if not isinstance(name, str) or not name.isidentifier():
            raise self.error(f"network name must be an identifier, got {name!r}", self.child(node, "network"))
        body: list = []
        blocks = self.mapping(doc.get("blocks") or {}, self.child(node, "blocks"), "`blocks`")
        bnode = self.child(node, "blocks")
        for bname, bdef in blocks.items():
            body.append(self.block(str(bname), bdef, self.child(bnode, bname)))
        inputs = self.mapping(doc.get("input") or {}, self.child(node, "input"), "`input`")
        inode = self.child(node, "input")
        for iname, shape in inputs.items():
            body.append(ast.Input(str(iname), self.shape(shape, self.child(inode, iname)),
                                  self.span(self.key_node(inode, iname))))
        body.extend(self.layers(doc.get("layers") or [], self.child(node, "layers")))
        if "output" in doc:
            names = doc["output"] if isinstance(doc["output"], list) else [doc["output"]]
            onode = self.child(node, "output")
            for i, n in enumerate(names):
                if not isinstance(n, str) or not n.isidentifier():
                    raise self.error(f"an output must name a value, got {n!r}", self.child(onode, i))
            body.append(ast.Output(tuple(names), self.span(onode)))
        enode = self.child(node, "expect")
        expects = doc.get("expect") or {}
        for i, entry in enumerate(expects if isinstance(expects, list) else [expects]):
            entry_node = self.child(enode, i) if isinstance(expects, list) else enode
            for what, value in self.mapping(entry, entry_node, "`expect`").items():
                body.append(self.expect(str(what), value, self.child(entry_node, what)))
        return ast.Network(name, self.params(doc.get("params"), self.child(node, "params")),
                           tuple(body), self.span(node))

    def params(self, data: Any, node: Any) -> tuple[ast.Param, ...]:
        if data is None:
            return ()
        if isinstance(data, list):
            return tuple(ast.Param(str(p), None, self.span(self.child(node, i))) for i, p in enumerate(data))
        data = self.mapping(data, node, "`params`")
        return tuple(ast.Param(str(k), None if v is None else self.value(v, self.child(node, k)),
                               self.span(self.key_node(node, k))) for k, v in data.items())

    def block(self, name: str, data: Any, node: Any) -> ast.BlockDef:
        if isinstance(data, list):
            data = {"layers": data}
        data = self.mapping(data, node, f"block '{name}'")
        for key in data:
            if key not in ("params", "layers", "seq", "blocks"):
                raise self.error(f"unknown key '{key}' in block '{name}'", self.key_node(node, key),
                                 hint="allowed: params, layers, seq, blocks")
        indexed = data.get("seq", False)
        if not isinstance(indexed, bool):
            raise self.error("`seq` must be true or false", self.child(node, "seq"))
        bnode = self.child(node, "blocks")
        nested = [self.block(str(k), v, self.child(bnode, k))
                  for k, v in self.mapping(data.get("blocks") or {}, bnode, "`blocks`").items()]
        return ast.BlockDef(name, self.params(data.get("params"), self.child(node, "params")),
                            (*nested, *self.layers(data.get("layers") or [], self.child(node, "layers"))),
                            self.span(node), indexed=indexed)

    def expect(self, what: str, value: Any, node: Any) -> ast.Expect:
        cmp, expr = "==", value
        if isinstance(value, str):
            for op in ("==", "<=", ">=", "<", ">"):
                if value.strip().startswith(op):
                    cmp, expr = op, value.strip()[len(op):]
                    break
        return ast.Expect(what, cmp, self.value(expr, node), self.span(node))

    # -- layers
    def layers(self, data: Any, node: Any) -> list[ast.Chain]:
        data = self.sequence(data, node, "`layers`")
        return [self.layer(item, self.child(node, i)) for i, item in enumerate(data)]

    def layer(self, item: Any, node: Any) -> ast.Chain:
        span = self.span(node)
        if isinstance(item, str):
            return ast.Chain((ast.Call(item, (), None, span),), None, span)
        item = self.mapping(item, node, "a layer")
        ops = [k for k in item if k not in _LAYER_KEYS]
        if len(ops) != 1:
            raise self.error(f"a layer entry needs exactly one op key, got {ops or 'none'}", node,
                             hint="write e.g. `- conv2d: {out_channels: 16, kernel: 3}`")
        op = str(ops[0])
        args_node = self.child(node, op)
        alias = item.get("as")
        if alias is not None:
            if isinstance(alias, int) and not isinstance(alias, bool) and alias >= 0:
                alias = str(alias)
            if not isinstance(alias, str) or not alias:
                raise self.error(f"`as` must be a name, got {alias!r}", self.child(node, "as"))
        expect = self.shape(item["expect"], self.child(node, "expect")) if "expect" in item else None
        body_node = self.child(node, "layers")
        if op == "residual":
            body = self.layers(item[op] or [], args_node)
            shortcut = None
            if "shortcut" in item:
                shortcut = tuple(self.layers(item["shortcut"] or [], self.child(node, "shortcut")))
            it: ast.Item = ast.Residual(tuple(body), shortcut, alias, span)
        elif op == "repeat":
            index = item.get("index")
            if index is not None and not (isinstance(index, str) and index.isidentifier()):
                raise self.error(f"`index` must be a name, got {index!r}", self.child(node, "index"))
            it = ast.Repeat(self.value(item[op], args_node),
                            tuple(self.layers(item.get("layers") or [], body_node)), alias, span, index)
        elif op == "if":
            orelse = item.get("else")
            it = ast.If(self.value(item[op], args_node), tuple(self.layers(item.get("then") or [],
                                                                           self.child(node, "then"))),
                        None if orelse is None else tuple(self.layers(orelse, self.child(node, "else"))), span)
        elif op == "seq":
            it = ast.Seq(tuple(self.layers(item.get("layers") or [], body_node)), alias, span)
        elif op == "concat" and "branches" in item:
            bnode = self.child(node, "branches")
            branches = self.sequence(item["branches"], bnode, "`branches`")
            it = ast.Branches(self.args(item[op], args_node),
                              tuple(tuple(self.layers(b or [], self.child(bnode, i))) for i, b in enumerate(branches)),
                              alias, span)
        elif op == "scan":
            it = ast.Scan(self.args(item[op], args_node),
                          tuple(self.layers(item.get("layers") or [], body_node)), alias, span)
        else:
            for key, owner in (("layers", "residual, repeat, seq or scan"), ("shortcut", "residual"),
                               ("branches", "concat"), ("index", "repeat"), ("then", "if"), ("else", "if")):
                if key in item:
                    raise self.error(f"`{key}` only goes with {owner}", self.key_node(node, key))
            it = ast.Call(op, self.args(item[op], args_node), alias, span, has_parens=item[op] is not None)
        return ast.Chain((it,), expect, span, self.span(self.child(node, "expect")) if expect else None)

    def args(self, data: Any, node: Any) -> tuple[ast.Arg, ...]:
        if data is None:
            return ()
        if isinstance(data, dict):
            self.string_keys(data, node)
            return tuple(ast.Arg(str(k), self.value(v, self.child(node, k)), self.span(self.key_node(node, k)))
                         for k, v in data.items())
        if isinstance(data, list):
            out: list[ast.Arg] = []
            for i, v in enumerate(data):
                if isinstance(v, dict) and i == len(data) - 1:
                    out.extend(self.args(v, self.child(node, i)))
                else:
                    out.append(ast.Arg(None, self.value(v, self.child(node, i)), self.span(self.child(node, i))))
            return tuple(out)
        return (ast.Arg(None, self.value(data, node), self.span(node)),)

    def shape(self, data: Any, node: Any) -> tuple:
        data = self.sequence(data, node, "a shape")
        return tuple(self.value(v, self.child(node, i)) for i, v in enumerate(data))

    def value(self, v: Any, node: Any) -> ast.Expr:
        span = self.span(node)
        if isinstance(v, bool | int | float):
            return ast.Num(v, span)
        if isinstance(v, list):
            return ast.Tuple(tuple(self.value(x, self.child(node, i)) for i, x in enumerate(v)), span)
        if isinstance(v, str):
            if v.isidentifier():
                return ast.Name(v, span)
            return self.expression(v, node)
        raise self.error(f"expected a number, a name or an expression, got {kind(v)}", node)

    def expression(self, text: str, node: Any) -> ast.Expr:
        try:
            expr = parse_expression(text, self.file)
        except SpecSyntaxError as e:  # located in the expression's text: locate it at the YAML value
            e.span, e.source = self.span(node) or e.span, self.text
            raise e from None
        except UnexpectedInput as e:
            col = getattr(e, "column", 1) or 1
            base = self.span(node)
            where = Span(self.file, base.line, base.column + col - 1) if base else Span(self.file, 1, 1)
            raise SpecSyntaxError(f"cannot read expression {text!r}", where,
                                  hint="write a number, a name, or e.g. floor(H/8), 2*C", source=self.text) from None
        return _respan(expr, self.span(node))


def _respan(e: Any, span: Span | None) -> Any:
    """Give every node of an expression parsed from a YAML string that string's span."""
    if isinstance(e, ast.BinOp):
        return ast.BinOp(e.op, _respan(e.left, span), _respan(e.right, span), span)
    if isinstance(e, ast.Func):
        return ast.Func(e.fn, tuple(_respan(a, span) for a in e.args), span)
    if isinstance(e, ast.Tuple):
        return ast.Tuple(tuple(_respan(x, span) for x in e.items), span)
    return type(e)(*[getattr(e, f) for f in e.__dataclass_fields__ if f != "span"], span)
