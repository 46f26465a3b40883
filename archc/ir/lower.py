"""AST -> IR: resolve parameters, expand blocks, seqs, repeats, residuals, branches and scans
into core ops, name every node by its dotted path (see :mod:`archc.ir.naming`), and resolve
every reference lexically (a value must be defined before it is used; a block sees only its
input, called ``in``, its arguments and the network's parameters).

Lowering computes shapes of the values built so far only when an expression asks for one
(``channels(v)``, ``in_channels``), with the ops' shape rules.
"""

from __future__ import annotations

from collections import ChainMap
from typing import Any

from archc import limits
from archc.dims import shape_str
from archc.errors import ArchcError, Span, SpecError, did_you_mean
from archc.ir.compound import NODES_HINT, Compounds
from archc.ir.estimate import LeastLayers
from archc.ir.graph import CountCheck, Graph, InputDecl, Node, Scope, ShapeCheck
from archc.ir.naming import Frame, Level, resolve_label
from archc.ir.values import eval_dim, eval_int, evaluate
from archc.ops import REGISTRY, VARIADIC, Trace, tracing
from archc.parser import ast

MAX_NODES = 100_000  # layers after expansion; raise with max_nodes= (archc --max-nodes)


def lower(module: ast.Module, network: str | None = None, overrides: dict[str, Any] | None = None,
          max_nodes: int = MAX_NODES) -> Graph:
    """Build the IR of one network of a parsed spec. ``overrides`` sets network parameters."""
    net = module.network(network)
    try:
        return _Lowering(module, net, max_nodes).run(overrides or {})
    except ArchcError as e:
        raise e.with_span(net.span, module.source) from None


class _Lowering(Compounds):
    def __init__(self, module: ast.Module, net: ast.Network, max_nodes: int) -> None:
        self.module, self.net, self.max_nodes = module, net, max_nodes
        self.nodes: list[Node] = []
        self.inputs: list[InputDecl] = []
        self.checks: list = []
        self.scopes: dict[tuple[str, ...], Scope] = {}
        self.outputs: list[str] = []
        self.shapes: dict[str, tuple] = {}
        self.shaped = 0  # nodes[:shaped] have shapes in self.shapes
        self.depth = 0
        self.calls: list[str] = []  # the blocks being expanded, outermost first
        self.least = LeastLayers()

    # -- entry -------------------------------------------------------------------------
    def run(self, overrides: dict[str, Any]) -> Graph:
        env = self.bind_params(self.net.params, overrides)
        blocks: dict[str, ast.BlockDef] = {}
        for b in self.module.blocks:
            self.add_block(blocks, b)
        frame = self.frame(Level((), False), env, ChainMap(), blocks)
        current = self.body(self.net.body, frame, None)
        if not self.outputs:
            if current is None:
                raise SpecError(f"network '{self.net.name}' has no layers and no input", self.net.span)
            self.outputs.append(current)
        return Graph(self.net.name, tuple(self.inputs), tuple(self.nodes), tuple(self.outputs), tuple(self.checks),
                     self.scopes, dict(env), self.module.file, self.module.source)

    def frame(self, level: Level, env: dict, values: ChainMap, blocks: dict) -> Frame:
        return Frame(level, env, values, blocks, self.value_shape)

    def add_block(self, blocks: dict[str, ast.BlockDef], b: ast.BlockDef) -> None:
        if b.name in blocks:
            prev = blocks[b.name].span
            where = f" (first defined at line {prev.line})" if prev else ""
            raise SpecError(f"block '{b.name}' is defined twice{where}", b.span)
        if b.name in REGISTRY:
            raise SpecError(f"'{b.name}' is an op; a block cannot take its name", b.span)
        blocks[b.name] = b

    def bind_params(self, params: tuple[ast.Param, ...], overrides: dict[str, Any]) -> dict[str, Any]:
        names = [p.name for p in params]
        for key in overrides:
            if key not in names:
                raise SpecError(f"network '{self.net.name}' has no parameter '{key}'",
                                self.net.span, hint=did_you_mean(key, names) if names else "it takes no parameters")
        env: dict[str, Any] = {}
        for p in params:
            if p.name in env:
                raise SpecError(f"parameter '{p.name}' is declared twice", p.span)
            if p.name in overrides:
                env[p.name] = overrides[p.name]
            elif p.default is not None:
                env[p.name] = evaluate(p.default, env)
            else:
                raise SpecError(f"network parameter '{p.name}' has no default", p.span,
                                hint=f"give one (`{p.name}=...`) or set it with --set {p.name}=...")
        return env

    # -- shapes of what is built so far (for channels() and in_channels) ------------------
    def value_shape(self, value: str, span: Span | None) -> tuple:
        for decl in self.inputs:
            if decl.name == value:
                return decl.shape
        with tracing(Trace()):
            for node in self.nodes[self.shaped:]:
                try:
                    self.shapes[node.name] = tuple(REGISTRY[node.op].shape([self.shapes_of(i) for i in node.inputs],
                                                                           node.attrs))
                except ArchcError as e:
                    e.add_note(f"while inferring node '{node.name}' ({node.op})")
                    raise e.with_span(node.span) from None
                self.shaped += 1
        return self.shapes[value]

    def shapes_of(self, value: str) -> tuple:
        return self.shapes[value] if value in self.shapes else self.value_shape(value, None)

    # -- statements ------------------------------------------------------------------------
    def body(self, stmts: tuple, frame: Frame, current: str | None) -> str | None:
        self.depth += 1
        if self.depth > limits.limit("depth"):
            raise SpecError(f"blocks and groups are nested more than {limits.limit('depth')} deep",
                            getattr(stmts[0], "span", None) if stmts else None, hint=limits.hint("depth"))
        for s in stmts:
            if isinstance(s, ast.BlockDef):
                frame.blocks = {**frame.blocks}
                self.add_block(frame.blocks, s)
        for s in stmts:
            if isinstance(s, ast.Input):
                current = self.input(s, frame)
            elif isinstance(s, ast.Chain):
                current = self.chain(s, frame, current)
            elif isinstance(s, ast.Expect):
                self.expect(s, frame)
            elif isinstance(s, ast.Output):
                self.output(s, frame)
        self.depth -= 1
        return current

    def output(self, s: ast.Output, frame: Frame) -> None:
        if frame.level.path:
            raise SpecError("outputs are declared in the network, not inside a block", s.span)
        for n in s.names:
            if n not in frame.values:
                visible = [k for k in frame.values if k.isidentifier()]
                raise SpecError(f"output '{n}' is not defined", s.span,
                                hint=did_you_mean(n, visible) if visible else None)
            if frame.values[n] in self.outputs:
                raise SpecError(f"output '{n}' is declared twice", s.span)
            self.outputs.append(frame.values[n])

    def expect(self, s: ast.Expect, frame: Frame) -> None:
        if s.what not in ("params", "macs"):
            raise SpecError(f"cannot expect '{s.what}'", s.span, hint="expect params == N or expect macs == N")
        self.checks.append(CountCheck(s.what, s.cmp, eval_int(s.value, frame.env, f"expect {s.what}"), s.span))

    def input(self, s: ast.Input, frame: Frame) -> str:
        if frame.level.path:
            raise SpecError("inputs are declared at the top of a network, not inside a block", s.span)
        frame.level.claim(s.name, s.span)
        frame.define(s.name, s.name, s.span)
        shape = tuple(eval_dim(d, frame.env) for d in s.shape)
        for d, e in zip(shape, s.shape):
            if isinstance(d, int) and d < 1:
                raise SpecError(f"input size must be at least 1, got {d}", e.span)
        self.inputs.append(InputDecl(s.name, shape, s.span))
        return s.name

    def chain(self, c: ast.Chain, frame: Frame, current: str | None) -> str | None:
        for i, item in enumerate(c.items):
            current = self.item(item, frame, current, first=i == 0)
        if c.expect is not None:
            if current is None:
                raise SpecError("nothing to check a shape on", c.expect_span or c.span)
            dims_ = tuple(eval_dim(d, frame.env, frame.ctx) for d in c.expect)
            self.checks.append(ShapeCheck(current, dims_, c.expect_span or c.span))
        return current

    def item(self, it: Any, frame: Frame, current: str | None, first: bool) -> str:
        if isinstance(it, ast.Call):
            return self.call(it, frame, current, first)
        if current is None:
            raise SpecError("this layer has no input: declare `input NAME: [...]` first", it.span)
        kind = {ast.Residual: self.residual, ast.Repeat: self.repeat, ast.Scan: self.scan, ast.Seq: self.seq,
                ast.Branches: self.branches, ast.If: self.if_}[type(it)]
        return kind(it, frame, current)

    def call(self, c: ast.Call, frame: Frame, current: str | None, first: bool) -> str:
        known = c.op in frame.blocks or c.op in REGISTRY
        if known and current is None:
            raise SpecError("this layer has no input: declare `input NAME: [...]` first", c.span)
        if c.op in frame.blocks:
            return self.use_block(c, frame, current)
        if c.op in REGISTRY:
            return self.layer(c, frame, current)
        if not c.has_parens and c.name is None and c.op in frame.values:
            if not first:
                raise SpecError(f"'{c.op}' names a value; a reference can only start a chain", c.span,
                                hint=f"start a new line with `{c.op} -> ...`")
            return frame.values[c.op]
        visible = [k for k in frame.values if k.isidentifier()]
        raise SpecError(f"unknown op, block or name '{c.op}'", c.span,
                        hint=did_you_mean(c.op, [*REGISTRY, *frame.blocks, *visible]))

    def add_node(self, local: str, op: str, inputs: tuple, attrs: dict, span: Span | None, frame: Frame,
                 uses: dict | None = None) -> str:
        if len(self.nodes) >= self.max_nodes:
            raise SpecError(f"the network has more than {self.max_nodes:,} layers after expanding blocks and repeats",
                            span, hint=NODES_HINT)
        if local in frame.blocks:  # a call of it would be the block's, never a reference to the layer
            raise SpecError(f"'{local}' is a block; a layer cannot take its name", span)
        name = frame.level.claim(local, span)
        if local.isidentifier():
            frame.define(local, name, span)
        self.nodes.append(Node(name, op, tuple(inputs), attrs, span, frame.level.path, uses or {}))
        return name

    def layer(self, c: ast.Call, frame: Frame, current: str, op_name: str | None = None,
              extra: dict[str, Any] | None = None) -> str:
        op = REGISTRY[op_name or c.op]
        args, kwargs, spans = self.arguments(c.args, frame)
        kwargs.update(extra or {})
        for i, name in enumerate(op.positional):  # positional spans under the attribute's name
            if f"#{i}" in spans:
                spans[name] = spans[f"#{i}"]
        for key in list(spans):
            a = op.attr(key)
            if a is not None and a.name not in spans:
                spans[a.name] = spans[key]
        try:
            attrs = op.bind(args, kwargs)
        except SpecError as e:
            raise e.with_span(spans.get(getattr(e, "attr", None)) or c.span) from None
        inputs = [current]
        for ref in op.ref_attrs:
            refs = attrs.pop(ref)
            for r in refs if isinstance(refs, tuple) else (refs,):
                inputs.append(frame.lookup(r, spans.get(ref) or c.span, user=c.op))
        if op.arity == VARIADIC and len(inputs) < 2:
            raise SpecError(f"{op.name} needs at least one value to join with the current one", c.span,
                            hint=f"{op.name}(skip), or {op.name} {{ branch {{ ... }} branch {{ ... }} }}")
        local = resolve_label(c.name, frame, c.span) or frame.level.auto(op.name, index=op.arity == 1)
        return self.add_node(local, op.name, tuple(inputs), attrs, c.span, frame, _uses(op, c.args))

    def arguments(self, args: tuple[ast.Arg, ...], frame: Frame) -> tuple[list, dict, dict]:
        pos, kw, spans = [], {}, {}
        for i, a in enumerate(args):
            value = evaluate(a.value, frame.env, ctx=frame.ctx)
            if a.name is None:
                if kw:
                    raise SpecError("a positional argument cannot follow a keyword argument", a.span)
                pos.append(value)
                spans[f"#{i}"] = a.span
            else:
                if a.name in kw:
                    raise SpecError(f"argument '{a.name}' given twice", a.span)
                kw[a.name] = value
                spans[a.name] = a.span
        return pos, kw, spans


def _uses(op: Any, args: tuple) -> dict[str, tuple[str, ...]]:
    """For each attribute given, the names its expression reads (the emitter names class arguments by them)."""
    out = {}
    for i, a in enumerate(args):
        attr = op.attr(a.name) if a.name else (op.attr(op.positional[i]) if i < len(op.positional) else None)
        if attr is not None:
            out[attr.name] = tuple(dict.fromkeys(_names(a.value)))
    return out


def _names(e: Any) -> list[str]:
    if isinstance(e, ast.Name):
        return [e.id]
    if isinstance(e, ast.BinOp):
        return _names(e.left) + _names(e.right)
    if isinstance(e, ast.Func | ast.Tuple):
        return [n for x in (e.args if isinstance(e, ast.Func) else e.items) for n in _names(x)]
    return []


__all__ = ["MAX_NODES", "lower", "shape_str"]
