"""AST -> IR: resolve parameters, expand blocks, repeats, residuals and scans
into core ops, name every node, and check references and cycles.

Naming: a layer is called by its ``as`` name, else ``<op>_<k>`` (k counts that
op in its scope, from 1); nodes inside a block, repeat, named residual or scan
are prefixed with the scope path (``stage1_2_conv2d_1``). An unnamed residual
adds no naming level; its add node is called ``residual_<k>``, and its
shortcut's nodes ``residual_<k>_shortcut_...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archc.errors import ArchcError, SpecError
from archc.ir.graph import CountCheck, Graph, InputDecl, Node, Scope, ShapeCheck
from archc.ir.values import eval_dim, eval_int, evaluate
from archc.ops.base import REGISTRY, bind_attrs, did_you_mean, ref_attrs
from archc.parser import ast

ELEMENTWISE = {"identity", "relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid", "dropout"}


def lower(module: ast.Module, network: str | None = None, overrides: dict[str, Any] | None = None) -> Graph:
    """Build the IR of one network of a parsed spec. ``overrides`` sets network parameters."""
    net = module.network(network)
    try:
        return _Lowering(module, net).run(overrides or {})
    except ArchcError as e:
        raise e.with_span(net.span, module.source) from None


@dataclass
class _Frame:
    """Where lowering is: scope path (for clusters), name prefix, parameter values, per-op counters."""

    path: tuple[str, ...]
    env: dict[str, Any]
    blocks: dict[str, ast.BlockDef]
    counters: dict[str, int] = field(default_factory=dict)
    prefix: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.prefix is None:
            self.prefix = self.path

    def auto_name(self, base: str) -> str:
        k = self.counters.get(base, 0) + 1
        self.counters[base] = k
        return f"{base}_{k}"

    def child(self, name: str, env: dict[str, Any] | None = None,
              blocks: dict[str, ast.BlockDef] | None = None) -> _Frame:
        return _Frame((*self.path, name), self.env if env is None else env,
                      self.blocks if blocks is None else blocks, prefix=(*self.prefix, name))

    def scope_only(self, name: str) -> _Frame:
        """A nested scope that adds no naming level (its nodes share this frame's names)."""
        return _Frame((*self.path, name), self.env, self.blocks, self.counters, self.prefix)

    def full(self, local: str) -> str:
        return "_".join((*self.prefix, local))


class _Lowering:
    def __init__(self, module: ast.Module, net: ast.Network) -> None:
        self.module, self.net = module, net
        self.nodes: list[Node] = []
        self.inputs: list[InputDecl] = []
        self.checks: list = []
        self.scopes: dict[tuple[str, ...], Scope] = {}
        self.defined: dict[str, Any] = {}  # value name -> span where it was defined
        self.outputs: list[str] = []
        self.refs: list[tuple[str, str, Any]] = []  # (node, referenced value, span)
        self.depth = 0

    # -- entry -------------------------------------------------------------------------
    def run(self, overrides: dict[str, Any]) -> Graph:
        env = self.bind_params(self.net.params, overrides)
        blocks = {b.name: b for b in self.module.blocks}
        frame = _Frame((), env, blocks)
        current = self.body(self.net.body, frame, None)
        if not self.outputs:
            if current is None:
                raise SpecError(f"network '{self.net.name}' has no layers and no input", self.net.span)
            self.outputs.append(current)
        self.check_refs()
        nodes = self.toposort()
        return Graph(self.net.name, tuple(self.inputs), tuple(nodes), tuple(self.outputs), tuple(self.checks),
                     self.scopes, dict(env), self.module.file, self.module.source)

    def bind_params(self, params: tuple[ast.Param, ...], overrides: dict[str, Any]) -> dict[str, Any]:
        names = [p.name for p in params]
        for key in overrides:
            if key not in names:
                raise SpecError(f"network '{self.net.name}' has no parameter '{key}'",
                                self.net.span, hint=did_you_mean(key, names) if names else "it takes no parameters")
        env: dict[str, Any] = {}
        for p in params:
            if p.name in overrides:
                env[p.name] = overrides[p.name]
            elif p.default is not None:
                env[p.name] = evaluate(p.default, env)
            else:
                raise SpecError(f"network parameter '{p.name}' has no default", p.span,
                                hint=f"give one (`{p.name}=...`) or set it with --set {p.name}=...")
        return env

    # -- statements ------------------------------------------------------------------------
    def body(self, stmts: tuple, frame: _Frame, current: str | None) -> str | None:
        self.depth += 1
        if self.depth > 200:
            raise SpecError("blocks are nested too deeply (recursive block?)",
                            getattr(stmts[0], "span", None) if stmts else None)
        for s in stmts:
            if isinstance(s, ast.Input):
                current = self.input(s, frame)
            elif isinstance(s, ast.Chain):
                current = self.chain(s, frame, current)
            elif isinstance(s, ast.Expect):
                value = eval_int(s.value, frame.env, f"expect {s.what}")
                if s.what not in ("params", "macs"):
                    raise SpecError(f"cannot expect '{s.what}'", s.span, hint="expect params == N or expect macs == N")
                self.checks.append(CountCheck(s.what, s.cmp, value, s.span))
            elif isinstance(s, ast.Output):
                if s.name not in self.defined:
                    raise SpecError(f"output '{s.name}' is not defined", s.span,
                                    hint=did_you_mean(s.name, self.defined) if self.defined else None)
                self.outputs.append(s.name)
            elif isinstance(s, ast.BlockDef):
                frame.blocks = {**frame.blocks, s.name: s}
        self.depth -= 1
        return current

    def input(self, s: ast.Input, frame: _Frame) -> str:
        if frame.path:
            raise SpecError("inputs are declared at the top of a network, not inside a block", s.span)
        self.define(s.name, s.span)
        shape = tuple(eval_dim(d, frame.env) for d in s.shape)
        for d, e in zip(shape, s.shape):
            if isinstance(d, int) and d < 1:
                raise SpecError(f"input size must be at least 1, got {d}", e.span)
        self.inputs.append(InputDecl(s.name, shape, s.span))
        return s.name

    def define(self, name: str, span: Any) -> None:
        if name in self.defined:
            prev = self.defined[name]
            where = f" (first defined at line {prev.line})" if prev is not None else ""
            raise SpecError(f"name '{name}' is already used{where}", span)
        if name in REGISTRY:
            raise SpecError(f"'{name}' is an op; a layer cannot take its name", span)
        self.defined[name] = span

    def chain(self, c: ast.Chain, frame: _Frame, current: str | None) -> str | None:
        for i, item in enumerate(c.items):
            current = self.item(item, frame, current, first=i == 0)
        if c.expect is not None:
            if current is None:
                raise SpecError("nothing to check a shape on", c.expect_span or c.span)
            dims_ = tuple(eval_dim(d, frame.env) for d in c.expect)
            self.checks.append(ShapeCheck(current, dims_, c.expect_span or c.span))
        return current

    # -- items -----------------------------------------------------------------------------
    def item(self, it: Any, frame: _Frame, current: str | None, first: bool) -> str:
        if isinstance(it, ast.Call):
            return self.call(it, frame, current, first)
        if current is None:
            raise SpecError("this layer has no input: declare `input NAME: [...]` first", it.span)
        if isinstance(it, ast.Residual):
            return self.residual(it, frame, current)
        if isinstance(it, ast.Repeat):
            return self.repeat(it, frame, current)
        return self.scan(it, frame, current)

    def call(self, c: ast.Call, frame: _Frame, current: str | None, first: bool) -> str:
        if c.op in frame.blocks:
            if current is None:
                raise SpecError("this block has no input: declare `input NAME: [...]` first", c.span)
            return self.use_block(c, frame, current)
        if c.op in REGISTRY:
            if current is None:
                raise SpecError("this layer has no input: declare `input NAME: [...]` first", c.span)
            return self.layer(c, frame, current)
        if not c.has_parens and c.name is None and c.op in self.defined:
            if not first:
                raise SpecError(f"'{c.op}' names a value; a reference can only start a chain", c.span,
                                hint=f"start a new line with `{c.op} -> ...`")
            return c.op
        known = [*REGISTRY, *frame.blocks, *self.defined]
        raise SpecError(f"unknown op, block or name '{c.op}'", c.span, hint=did_you_mean(c.op, known))

    def layer(self, c: ast.Call, frame: _Frame, current: str, op_name: str | None = None,
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
            attrs = bind_attrs(op, args, kwargs)
        except SpecError as e:
            raise e.with_span(spans.get(getattr(e, "attr", None)) or c.span) from None
        local = c.name or frame.auto_name(op.name)
        name = frame.full(local)
        self.define(name, c.span)
        inputs = [current]
        for ref in ref_attrs(op):
            inputs.append(attrs[ref])
            self.refs.append((name, attrs[ref], spans.get(ref) or c.span))
        self.nodes.append(Node(name, op.name, tuple(inputs), attrs, c.span, frame.path))
        return name

    def arguments(self, args: tuple[ast.Arg, ...], frame: _Frame) -> tuple[list, dict, dict]:
        pos, kw, spans = [], {}, {}
        for i, a in enumerate(args):
            value = evaluate(a.value, frame.env)
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

    def use_block(self, c: ast.Call, frame: _Frame, current: str) -> str:
        b = frame.blocks[c.op]
        args, kwargs, _ = self.arguments(c.args, frame)
        names = [p.name for p in b.params]
        if len(args) > len(names):
            raise SpecError(f"block '{b.name}' takes {len(names)} argument(s), got {len(args)}", c.span)
        given = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names:
                raise SpecError(f"block '{b.name}' has no parameter '{k}'", c.span,
                                hint=did_you_mean(k, names) if names else "it takes no parameters")
            if k in given:
                raise SpecError(f"argument '{k}' given twice", c.span)
            given[k] = v
        env = dict(frame.env)
        for p in b.params:
            if p.name in given:
                env[p.name] = given[p.name]
            elif p.default is not None:
                env[p.name] = evaluate(p.default, env)
            else:
                raise SpecError(f"block '{b.name}' needs argument '{p.name}'", c.span)
        local = c.name or frame.auto_name(b.name)
        sub = frame.child(local, env)
        self.scopes[sub.path] = Scope(sub.path, "block", b.name, {k: env[k] for k in names})
        out = self.body(b.body, sub, current)
        return out if out is not None else current

    def residual(self, r: ast.Residual, frame: _Frame, current: str) -> str:
        local = r.name or frame.auto_name("residual")
        sub = frame.child(local) if r.name else frame.scope_only(local)
        self.scopes[sub.path] = Scope(sub.path, "residual", local)
        body_out = self.body(r.body, sub, current) or current
        short_out = current
        if r.shortcut is not None:
            short = sub.child("shortcut" if r.name else f"{local}_shortcut")
            self.scopes[short.path] = Scope(short.path, "shortcut", "shortcut")
            short_out = self.body(r.shortcut, short, current) or current
        name = frame.full(local)
        self.define(name, r.span)
        self.nodes.append(Node(name, "add", (body_out, short_out), {"other": short_out}, r.span, sub.path))
        return name

    def repeat(self, r: ast.Repeat, frame: _Frame, current: str) -> str:
        n = eval_int(r.count, frame.env, "repeat count")
        if n < 1:
            raise SpecError(f"repeat count must be at least 1, got {n}", r.count.span or r.span)
        local = r.name or frame.auto_name("repeat")
        outer = frame.child(local)
        self.scopes[outer.path] = Scope(outer.path, "repeat", local, {"count": n})
        for i in range(n):
            current = self.body(r.body, outer.child(str(i)), current) or current
        return current

    def scan(self, s: ast.Scan, frame: _Frame, current: str) -> str:
        args, kwargs, _ = self.arguments(s.args, frame)
        opts = dict(zip(("window", "stride"), args)) | kwargs
        unknown = set(opts) - {"window", "stride"}
        if unknown or "window" not in opts:
            raise SpecError("scan takes window and stride: scan(window=K, stride=S) { ... }", s.span)
        window, stride = opts["window"], opts.get("stride", 1)
        for what, v in (("window", window), ("stride", stride)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise SpecError(f"scan: {what} must be a positive integer, got {v!r}", s.span)
        local = s.name or frame.auto_name("scan")
        sub = frame.child(local)
        mlp = []
        first = True
        for stmt in s.body:
            if not isinstance(stmt, ast.Chain):
                raise SpecError("a scan body holds only layers", getattr(stmt, "span", s.span))
            for it in stmt.items:
                if not isinstance(it, ast.Call) or it.op not in ({"linear"} | ELEMENTWISE):
                    raise SpecError("a scan body may hold only linear and elementwise layers (an MLP)",
                                    getattr(it, "span", s.span))
                if it.op == "linear":
                    extra = {"kernel_size": window if first else 1, "stride": stride if first else 1}
                    lin = bind_attrs(REGISTRY["linear"], *self.arguments(it.args, sub)[:2])
                    call = ast.Call("conv1d", (), it.name or (sub.auto_name("linear")), it.span)
                    current = self.layer(call, sub, current, "conv1d",
                                         {"out_channels": lin["out_features"], "bias": lin["bias"], **extra})
                    mlp.append(("linear", lin["out_features"], current))
                    first = False
                else:
                    current = self.layer(it, sub, current)
                    mlp.append((it.op, None, current))
            if stmt.expect is not None:
                raise SpecError("put shape expectations after the scan, not inside it", stmt.expect_span)
        if first:
            raise SpecError("a scan body needs at least one linear layer", s.span)
        self.scopes[sub.path] = Scope(sub.path, "scan", local, {"window": window, "stride": stride, "mlp": tuple(mlp)})
        return current

    # -- whole-graph checks ---------------------------------------------------------------------
    def check_refs(self) -> None:
        for node, ref, span in self.refs:
            if ref not in self.defined:
                raise SpecError(f"'{node}' refers to '{ref}', which is not defined", span,
                                hint=did_you_mean(ref, self.defined))

    def cycle_error(self, cycle: list[str]) -> SpecError:
        """Point at the reference that closes the cycle: one to a value defined later."""
        position = {n.name: i for i, n in enumerate(self.nodes)}
        members = set(cycle)
        span = None
        for node, ref, ref_span in self.refs:
            if node in members and ref in members and position[ref] > position[node]:
                span = ref_span
                break
        text = " -> ".join([*reversed(cycle), cycle[-1]])
        return SpecError(f"cycle in the graph: {text}", span, hint="a layer cannot depend on its own output")

    def toposort(self) -> list[Node]:
        by_name = {n.name: n for n in self.nodes}
        order: list[Node] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done
        for root in self.nodes:
            if state.get(root.name):
                continue
            stack = [(root, iter(root.inputs))]
            state[root.name] = 1
            path = [root.name]
            while stack:
                node, it = stack[-1]
                for dep in it:
                    if dep not in by_name or state.get(dep) == 2:
                        continue
                    if state.get(dep) == 1:
                        raise self.cycle_error(path[path.index(dep):])
                    state[dep] = 1
                    path.append(dep)
                    stack.append((by_name[dep], iter(by_name[dep].inputs)))
                    break
                else:
                    stack.pop()
                    path.pop()
                    state[node.name] = 2
                    order.append(node)
        return order
