"""Lowering of the compound items: residual, repeat, seq, concat branches and scan."""

from __future__ import annotations

from collections import ChainMap
from typing import Any

from archc.errors import SpecError, did_you_mean
from archc.ir.estimate import LeastLayers
from archc.ir.graph import Scope
from archc.ir.naming import Frame, resolve_label
from archc.ir.values import eval_int, evaluate
from archc.ops import REGISTRY
from archc.parser import ast

NODES_HINT = "raise the limit with --max-nodes N (or max_nodes= in the API)"


def _items(stmts: tuple) -> list:
    return [it for s in stmts if isinstance(s, ast.Chain) for it in s.items]


class Compounds:
    """Block calls and the compound items; mixed into the lowering, which provides body(), layer(),
    arguments() and add_node()."""

    least = LeastLayers()  # replaced per lowering by _Lowering.__init__

    def group(self, name: str | None, frame: Frame, base: str, kind: str, indexed: bool, span: Any,
              attrs: dict | None = None) -> tuple[str, Frame]:
        """A new naming level for a named (or, where it must be one, automatically named) group."""
        local = resolve_label(name, frame, span) or frame.level.auto(base)
        frame.level.claim(local, span)
        level = frame.level.child(local, indexed)
        self.scopes[level.path] = Scope(level.path, kind, local if name else base, attrs or {}, span)
        return local, frame.nested(level)

    def close(self, local: str, frame: Frame, out: str, span: Any) -> str:
        if local.isidentifier():
            frame.define(local, out, span)
        return out

    def use_block(self, c: ast.Call, frame: Frame, current: str) -> str:
        b = frame.blocks[c.op]
        if b.name in self.calls:
            chain = " -> ".join([*self.calls[self.calls.index(b.name):], b.name])
            raise SpecError(f"block '{b.name}' calls itself ({chain})", c.span, hint="a block cannot contain itself")
        least = self.least.block(b, frame.blocks)
        if least > self.max_nodes - len(self.nodes):
            raise SpecError(f"block '{b.name}' expands to at least {least:,} layers, more than the network's limit "
                            f"of {self.max_nodes:,}", c.span, hint=NODES_HINT)
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
        env, values = dict(frame.env), {"in": current}
        shown: dict[str, Any] = {}
        for p in b.params:
            if p.name in given:
                v = given[p.name]
                if isinstance(v, str) and v in frame.values:  # a value passed to the block
                    values[p.name] = frame.values[v]
                    shown[p.name] = v
                    continue
                env[p.name] = v
            elif p.default is not None:
                env[p.name] = evaluate(p.default, env)
            else:
                raise SpecError(f"block '{b.name}' needs argument '{p.name}'", c.span)
            shown[p.name] = env[p.name]
        local = resolve_label(c.name, frame, c.span) or frame.level.auto(b.name)
        frame.level.claim(local, c.span)
        level = frame.level.child(local, b.indexed)
        sub = self.frame(level, env, ChainMap(values), frame.blocks)
        self.scopes[level.path] = Scope(level.path, "block", b.name, shown, c.span)
        self.calls.append(b.name)
        out = self.body(b.body, sub, current) or current
        self.calls.pop()
        if local.isidentifier():
            frame.define(local, out, c.span)
        return out

    def residual(self, r: ast.Residual, frame: Frame, current: str) -> str:
        sub, local = frame, None
        if r.name is not None:
            local, sub = self.group(r.name, frame, "residual", "residual", False, r.span)
        body_out = self.body(r.body, sub, current) or current
        short_out = current
        if r.shortcut is not None:
            short_out = self.body(r.shortcut, sub, current) or current
        add_local = sub.level.auto("residual" if local is None else "add", index=False)
        out = self.add_node(add_local, "add", (body_out, short_out), {"broadcast": False}, r.span, sub)
        return self.close(local, frame, out, r.span) if local is not None else out

    def repeat(self, r: ast.Repeat, frame: Frame, current: str) -> str:
        n = eval_int(r.count, frame.env, "repeat count", frame.ctx)
        if n < 0:
            raise SpecError(f"repeat count must be at least 0, got {n}", getattr(r.count, "span", None) or r.span)
        body = _items(r.body)
        if n * max(1, self.least.body(r.body, frame.blocks)) > self.max_nodes - len(self.nodes):
            raise SpecError(f"repeat {n:,} would make the network larger than {self.max_nodes:,} layers", r.span,
                            hint=NODES_HINT)
        local = None
        if r.name is not None or not frame.level.indexed:  # an unnamed repeat in a seq adds no level
            local, frame_r = self.group(r.name, frame, "repeat", "repeat", True, r.span, {"count": n})
        else:
            frame_r = frame
        single = len(body) == 1 and len(r.body) == 1
        for t in range(n):
            env = {**frame_r.env, r.index: t} if r.index else frame_r.env
            if single or local is None:  # one item per iteration, or spliced into the seq: no level
                it_frame = frame_r.nested(env=env)
            else:
                it_local = frame_r.level.claim(frame_r.level.auto("iteration"), r.span).rpartition(".")[2]
                level = frame_r.level.child(it_local, True)
                self.scopes[level.path] = Scope(level.path, "iteration", frame_r.level.path[-1] if frame_r.level.path
                                                else "repeat", {"index": t})
                it_frame = frame_r.nested(level, env)
            current = self.body(r.body, it_frame, current) or current
        return self.close(local, frame, current, r.span) if local is not None else current

    def if_(self, s: ast.If, frame: Frame, current: str) -> str:
        """The body the condition chooses, lowered in place (an `if` adds no naming level)."""
        cond = evaluate(s.cond, frame.env, ctx=frame.ctx)
        if not isinstance(cond, bool):
            raise SpecError(f"an `if` needs a condition that is true or false, got {cond!r}",
                            getattr(s.cond, "span", None) or s.span)
        body = s.body if cond else (s.orelse or ())
        return self.body(body, frame, current) or current

    def seq(self, s: ast.Seq, frame: Frame, current: str) -> str:
        local, sub = self.group(s.name, frame, "seq", "seq", True, s.span)
        out = self.body(s.body, sub, current) or current
        return self.close(local, frame, out, s.span)

    def branches(self, b: ast.Branches, frame: Frame, current: str) -> str:
        sub, local = frame, None
        if b.name is not None:
            local, sub = self.group(b.name, frame, "concat", "concat", False, b.span)
        outs = [self.body(stmts, sub, current) or current for stmts in b.branches]
        args, kwargs, spans = self.arguments(b.args, sub)
        op = REGISTRY["concat"]
        try:
            attrs = op.bind(args, kwargs)
        except SpecError as e:
            raise e.with_span(spans.get(getattr(e, "attr", None)) or b.span) from None
        attrs.pop("others")
        out = self.add_node(sub.level.auto("concat", index=False), "concat", tuple(outs), attrs, b.span, sub)
        return self.close(local, frame, out, b.span) if local is not None else out

    def scan(self, s: ast.Scan, frame: Frame, current: str) -> str:
        args, kwargs, _ = self.arguments(s.args, frame)
        opts = dict(zip(("window", "stride"), args)) | kwargs
        if set(opts) - {"window", "stride"} or "window" not in opts:
            raise SpecError("scan takes window and stride: scan(window=K, stride=S) { ... }", s.span)
        window, stride = opts["window"], opts.get("stride", 1)
        for what, v in (("window", window), ("stride", stride)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise SpecError(f"scan: {what} must be a positive integer, got {v!r}", s.span)
        local, sub = self.group(s.name, frame, "scan", "scan", False, s.span)
        mlp, first = [], True
        for stmt in s.body:
            if not isinstance(stmt, ast.Chain):
                raise SpecError("a scan body holds only layers", getattr(stmt, "span", s.span))
            for it in stmt.items:
                if not isinstance(it, ast.Call) or not (it.op == "linear" or (it.op in REGISTRY
                                                        and REGISTRY[it.op].elementwise)):
                    raise SpecError("a scan body may hold only linear and elementwise layers (an MLP)",
                                    getattr(it, "span", s.span))
                if it.op == "linear":
                    extra = {"kernel_size": window if first else 1, "stride": stride if first else 1}
                    lin = REGISTRY["linear"].bind(*self.arguments(it.args, sub)[:2])
                    call = ast.Call("conv1d", (), it.name or sub.level.auto("linear"), it.span)
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
        self.scopes[sub.level.path] = Scope(sub.level.path, "scan", local,
                                            {"window": window, "stride": stride, "mlp": tuple(mlp)}, s.span)
        return self.close(local, frame, current, s.span)
